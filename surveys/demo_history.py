"""The demo's questionnaire history (issue 18): three waves, one deliberate series break.

`manage.py load_demo` imports the questionnaire as it is today (surveys/demo/survey.json, waves
2025 and 2026) and, through these two hooks, gives it a past:

* `add_demo_wave`: an earlier wave, 2024, before responses are generated, so the three waves
  have answers;
* `demo_history`: after the responses, the waves 2024 and 2025 are tied to version 1, where the
  trust question SAT_TRUST was asked on the 1–5 satisfaction scale (its generated answers are
  brought back onto 1–5), and 2026 to version 2, the 0–10 scale of today: a scale change, hence
  a series break between 2025 and 2026. The overall satisfaction question was also slightly
  reworded, which the designer ruled harmless.
"""

from __future__ import annotations

import copy
from datetime import datetime
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import F
from django.db.models.functions import Round

from .models import Answer, BreakDecision, QuestionnaireVersion, Response, Survey, Wave
from .services.data_version import responses_changed
from .services.versions import questionnaire_snapshot, snapshot_digest

PARIS = ZoneInfo("Europe/Paris")
EARLY_WAVE = "2024"
OLD_WAVES = ("2024", "2025")
RESCALED = "SAT_TRUST"
REWORDED = "SAT_OVERALL"


def add_demo_wave(survey: Survey) -> None:
    """The wave 2024 (closed), unless present."""
    Wave.objects.get_or_create(survey=survey, code=EARLY_WAVE, defaults={
        "label": "Vague 2024", "opens_at": datetime(2024, 1, 15, tzinfo=PARIS),
        "closes_at": datetime(2024, 3, 31, 23, 59, 59, tzinfo=PARIS)})


def _first_version(today: dict) -> dict:
    old = copy.deepcopy(today)
    for section in old["sections"]:
        for q in section["questions"]:
            if q["code"] == RESCALED:
                q["type"] = "satisfaction"
                q["help"] = {"fr": "1 = aucune confiance, 5 = confiance totale.",
                             "en": "1 = no trust at all, 5 = complete trust."}
            elif q["code"] == REWORDED:
                q["text"] = {"fr": "Dans l'ensemble, êtes-vous satisfait(e) de nos services ?",
                             "en": "Overall, how satisfied are you with our services?"}
    return old


def demo_history(survey: Survey) -> None:
    """Versions 1 (2024, 2025) and 2 (2026) of the demo questionnaire; run once per demo survey."""
    waves = {w.code: w for w in survey.waves.all()}
    if EARLY_WAVE not in waves or survey.versions.filter(number=2).exists():
        return
    today = questionnaire_snapshot(survey)
    old = _first_version(today)
    with transaction.atomic():
        Wave.objects.filter(survey=survey).update(version=None)
        Response.objects.filter(survey=survey).update(version=None)
        survey.versions.all().delete()
        v1 = QuestionnaireVersion.objects.create(survey=survey, number=1, snapshot=old, digest=snapshot_digest(old))
        v2 = QuestionnaireVersion.objects.create(survey=survey, number=2, snapshot=today,
                                                 digest=snapshot_digest(today))
        for code, wave in waves.items():
            version = v1 if code in OLD_WAVES else v2
            Wave.objects.filter(pk=wave.pk).update(version=version)
            Response.objects.filter(wave=wave).update(version=version)
        Answer.objects.filter(response__wave__code__in=OLD_WAVES, response__survey=survey, question__code=RESCALED,
                              value__isnull=False).update(value=Round(1 + F("value") * 0.4))
        BreakDecision.objects.create(
            version_a=v1, version_b=v2, question=REWORDED, decision=BreakDecision.HARMLESS, decided_by="designer",
            reason="Reformulation plus explicite, même objet et même échelle : comparable.")
        responses_changed(survey.pk)
