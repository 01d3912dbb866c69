"""A small survey whose verbatims carry the planted themes (tests of the Django side)."""

from __future__ import annotations

import random

import pytest
from django.test import Client
from django.utils import timezone

from surveys.models import Answer, Channel, Question, Response, ResponseStatus, UserCategory
from tests import factories
from tests.verbatims.corpus import planted_corpus


def seed_verbatims(survey, per_theme: int = 30, small_cell: bool = True) -> dict:
    """Complete responses with SUGG verbatims of the planted themes; "délai" answers are unhappy
    (SAT_OVERALL 1–2), the others satisfied (4–5). With ``small_cell``, 2 verbatims (below
    min_cell = 5) are the only ones of journalists × contact service."""
    texts, labels = planted_corpus(per_theme=per_theme, seed=7)
    rng = random.Random(3)
    wave = survey.waves.get(code="2026")
    web, contact = Channel.objects.get(code="website"), Channel.objects.get(code="contact_service")
    res, jour, pub = (UserCategory.objects.get(code=c) for c in ("researchers", "journalists", "general_public"))
    sugg, overall = Question.objects.get(survey=survey, code="SUGG"), Question.objects.get(survey=survey, code="SAT_OVERALL")
    small = []
    for i, (text, label) in enumerate(zip(texts, labels)):
        if small_cell and i < 2:
            cat, chan = jour, contact
            text = f"Le délai de réponse est trop long, attente secrète numéro {i}"
        else:
            cat, chan = rng.choice([(res, web), (res, contact), (pub, web), (pub, contact), (jour, web)])
        r = Response.objects.create(survey=survey, wave=wave, category=cat, channel=chan, status=ResponseStatus.COMPLETE,
                                    submitted_at=timezone.now(), language="fr")
        Answer.objects.create(response=r, question=sugg, text=text)
        Answer.objects.create(response=r, question=overall, value=rng.choice([1, 2]) if label == "délai" else rng.choice([4, 5]))
        if small_cell and i < 2:
            small.append(text)
    return {"texts": texts, "labels": labels, "small": small}


@pytest.fixture
def planted_survey(survey):
    survey.seeded = seed_verbatims(survey)
    return survey


@pytest.fixture
def analyst_client(survey):
    c = Client()
    c.force_login(factories.staff_user("ana", "analysts", [survey]))
    return c
