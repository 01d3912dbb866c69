"""Questionnaire versions per wave (issue 18): freeze, reuse, correct.

Why a JSON snapshot rather than django-simple-history or django-pghistory (docs/versions.md): what
a wave used is one whole questionnaire (survey texts, sections, questions, choices, category
targeting held in many-to-many tables), read as one piece by the diff and the analysis. The export
document (`import_export.survey_export`) already is that piece, validated and re-importable; a
per-row history would have to be reassembled "as of" a date over five tables, and pghistory's
triggers exist on PostgreSQL only while the project also runs on SQLite.

Rules: a wave's version is frozen by its first response (or, for a closed wave nobody answered,
by the next edit or reading); an equal questionnaire reuses the latest version, a different one
becomes the next number. While an open wave is in use (frozen), only a minor correction (texts
only, with a reason) may change the questionnaire; it rewrites the open wave's snapshot and is
logged on the version and in the audit log. Anything else waits for the wave's closing.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from ..models import QuestionnaireVersion, Survey, Wave, audit
from .import_export import survey_export
from .version_diff import Change, diff_snapshots, word_diff, words_text

#: survey-level keys that belong to the questionnaire (not retention, notice nor waves)
SURVEY_KEYS = ("slug", "title", "intro", "thanks", "categories")
#: the Survey model fields behind them, guarded while a wave is open (the notice is not: the law may need it changed)
SURVEY_FIELDS = frozenset({"slug", "title_fr", "title_en", "intro_fr", "intro_en", "thanks_fr", "thanks_en",
                           "categories"})


def questionnaire_snapshot(survey: Survey) -> dict[str, Any]:
    """The questionnaire as the export document, without its waves and administrative settings."""
    doc = survey_export(survey)
    doc.pop("waves", None)
    doc["survey"] = {key: doc["survey"][key] for key in SURVEY_KEYS}
    return doc


def snapshot_digest(snapshot: dict[str, Any]) -> str:
    """A stable fingerprint: two equal questionnaires share it whatever the key order."""
    return hashlib.sha256(json.dumps(snapshot, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _next_version(survey: Survey, snapshot: dict[str, Any]) -> QuestionnaireVersion:
    digest = snapshot_digest(snapshot)
    latest = QuestionnaireVersion.objects.filter(survey=survey).order_by("-number").first()
    if latest is not None and latest.digest == digest:
        return latest
    return QuestionnaireVersion.objects.create(
        survey=survey, number=(latest.number + 1) if latest else 1, snapshot=snapshot, digest=digest)


def freeze_wave(wave: Wave) -> QuestionnaireVersion:
    """The version `wave` uses, frozen now from the current questionnaire if it has none yet."""
    if wave.version_id:
        return wave.version
    with transaction.atomic():
        locked = Wave.objects.select_for_update().get(pk=wave.pk)  # no outer join: PostgreSQL refuses FOR UPDATE
        if locked.version_id is None:
            survey = Survey.objects.select_for_update().get(pk=locked.survey_id)  # one next number at a time
            locked.version = _next_version(survey, questionnaire_snapshot(survey))
            Wave.objects.filter(pk=wave.pk).update(version=locked.version)
    wave.version = locked.version
    return locked.version


def freeze_started_waves(survey: Survey, at: datetime | None = None) -> None:
    """Freeze every closed wave that has no version yet: called before any edit, so the waves
    fielded so far keep the questionnaire they were asked with (an open wave is frozen by its
    first response; until then nobody has answered it and an edit is what its respondents see)."""
    at = at or timezone.now()
    for wave in survey.waves.filter(version__isnull=True, closes_at__lte=at).order_by("opens_at"):
        freeze_wave(wave)


def wave_version_id(wave_id: int) -> int | None:
    """Version id for a new response to the wave (freezing it on its first response)."""
    wave = Wave.objects.select_related("survey").get(pk=wave_id)
    if wave.version_id or wave.opens_at > timezone.now():
        return wave.version_id
    return freeze_wave(wave).pk


def wave_snapshot(wave: Wave) -> dict[str, Any]:
    """The questionnaire of a wave: its frozen version, else (closed: frozen now) the current one."""
    if wave.version_id is None and wave.closes_at <= timezone.now():
        freeze_wave(wave)
    return wave.version.snapshot if wave.version_id else questionnaire_snapshot(wave.survey)


def compare_waves(wave_a: Wave, wave_b: Wave) -> list[Change]:
    """What changed in the questionnaire from wave a to wave b (nothing when they share a version)."""
    snap_a, snap_b = wave_snapshot(wave_a), wave_snapshot(wave_b)
    if wave_a.version_id and wave_a.version_id == wave_b.version_id:
        return []
    return diff_snapshots(snap_a, snap_b)


def open_waves(survey: Survey, at: datetime | None = None) -> list[Wave]:
    """The waves open now whose questionnaire is in use (frozen by a first response)."""
    at = at or timezone.now()
    return list(survey.waves.filter(opens_at__lte=at, closes_at__gt=at, version__isnull=False).order_by("opens_at"))


def wording_changes(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    """The survey's and sections' texts that differ from ``a`` to ``b``, one line each (word diff).

    The questions' diff (`diff_snapshots`) is about comparability; these texts do not touch it, but
    a minor correction of a title or a thank-you text is logged all the same.
    """
    out = []
    parts = [("survey", a.get("survey", {}), b.get("survey", {}), ("title", "intro", "thanks"))]
    sections_a = {s["code"]: s for s in a.get("sections", [])}
    parts += [(f"section {s['code']}", sections_a[s["code"]], s, ("title", "intro"))
              for s in b.get("sections", []) if s["code"] in sections_a]
    for name, old, new, keys in parts:
        for key in keys:
            words = {lang: word_diff((old.get(key) or {}).get(lang, ""), (new.get(key) or {}).get(lang, ""))
                     for lang in ("fr", "en")}
            words = {lang: w for lang, w in words.items() if any(op != "same" for op, _t in w)}
            if words:
                out.append(f"{name}: {key} reworded"
                           + "".join(f" [{lang}] {words_text(w)}" for lang, w in words.items()))
    return out


def record_minor_correction(survey: Survey, actor: object, reason: str) -> list[QuestionnaireVersion]:
    """Apply a logged typo fix to the open waves' versions (no new version: the meaning is kept)."""
    snapshot = questionnaire_snapshot(survey)
    changed = []
    for wave in open_waves(survey):
        version = freeze_wave(wave)
        changes = [c.summary() for c in diff_snapshots(version.snapshot, snapshot)]
        changes += wording_changes(version.snapshot, snapshot)
        if not changes:
            continue
        version.corrections = [*version.corrections, {
            "at": timezone.now().isoformat(), "actor": getattr(actor, "get_username", lambda: str(actor or ""))(),
            "reason": reason, "changes": changes}]
        version.snapshot, version.digest = snapshot, snapshot_digest(snapshot)
        version.save(update_fields=["snapshot", "digest", "corrections"])
        audit(actor, "minor_correction", f"{survey.slug} v{version.number}", reason=reason, changes=changes)
        changed.append(version)
    return changed


#: what a minor correction may change: wording only
TEXT_FIELDS = frozenset({"text_fr", "text_en", "help_fr", "help_en", "title_fr", "title_en", "intro_fr", "intro_en",
                         "label_fr", "label_en", "thanks_fr", "thanks_en"})


def open_wave_refusal(survey: Survey, changed: set[str], *, is_new: bool, minor: bool,
                      reason: str) -> tuple[str | None, str] | None:
    """Why an edit of the questionnaire is refused while a wave is open, as (field, message).

    None when the edit may go ahead: no wave open, nothing changed, or a minor correction of texts
    only, with its reason (then `record_minor_correction` logs it after the save).
    """
    from django.utils.formats import date_format
    from django.utils.translation import gettext as _

    waves = open_waves(survey) if survey is not None and survey.pk else []
    if not waves or not (changed or is_new):
        return None
    wave = waves[0]
    names = {"wave": wave.label or wave.code, "date": date_format(timezone.localtime(wave.closes_at), "DATE_FORMAT")}
    if is_new:
        return None, _("La vague « %(wave)s » est ouverte jusqu'au %(date)s : le questionnaire qu'elle utilise est "
                       "figé, on ne peut pas y ajouter d'élément. Ajoutez-le après la clôture : la vague suivante "
                       "utilisera la nouvelle version.") % names
    if not minor:
        return None, _("La vague « %(wave)s » est ouverte jusqu'au %(date)s : le questionnaire qu'elle utilise est "
                       "figé. Seule une correction mineure (faute de frappe, sans changer le sens) est possible : "
                       "cochez « correction mineure » et donnez-en le motif. Sinon, modifiez le questionnaire après "
                       "la clôture : la vague suivante utilisera la nouvelle version.") % names
    structural = sorted(changed - TEXT_FIELDS)
    if structural:
        return None, _("Une correction mineure ne change que des libellés : %(fields)s ne peut pas changer tant que "
                       "la vague « %(wave)s » est ouverte.") % {**names, "fields": ", ".join(structural)}
    if not (reason or "").strip():
        return "correction_reason", _("Donnez le motif de la correction mineure : il est consigné avec la version.")
    return None
