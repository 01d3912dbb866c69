"""How the browser checks reach the respondent's rights pages and the survey-state pages.

Each function leaves the browser on its page; the data it needs (a submitted response with its
resume code, an invited participant, a draft and a closed survey) is written through the models,
as the questionnaire would have written it.
"""

from __future__ import annotations

import secrets

from tests.browser.site import Site


def _submitted_code(site: Site) -> str:
    """A complete response of the survey's current wave, answered to its first questions."""
    from django.utils import timezone

    from surveys.models import Answer, Question, Response, UserCategory, hash_secret

    raw = secrets.token_urlsafe(12)
    survey = site.survey
    category = survey.categories.first() or UserCategory.objects.first()
    response = Response.objects.create(
        survey=survey, wave=survey.current_wave(), category=category, status="complete",
        submitted_at=timezone.now(), resume_code_hash=hash_secret(raw))
    rows = []
    for q in Question.objects.filter(survey=survey).order_by("section__order", "order")[:12]:
        if q.type in ("satisfaction", "scale", "nps", "number"):
            rows.append(Answer(response=response, question=q, value=float(q.min_value or 1)))
        elif q.type == "text":
            rows.append(Answer(response=response, question=q, text="Les tableaux sont clairs."))
        elif q.type in ("single", "multiple") and q.choices.exists():
            rows.append(Answer(response=response, question=q, codes=[q.choices.first().code]))
        elif q.type == "matrix" and q.choices.exists():
            rows.append(Answer(response=response, question=q, codes={c.code: 4 for c in q.choices.all()}))
    Answer.objects.bulk_create(rows)
    return raw


def my_answers(site: Site) -> None:
    site.goto(f"/s/mes-reponses/{_submitted_code(site)}/")


def erase_confirmation(site: Site) -> None:
    """The erase page asks first (GET), the answers are only removed by its POST."""
    site.goto(f"/s/mes-reponses/{_submitted_code(site)}/effacer/")


def opt_out(site: Site) -> None:
    from surveys.models import Participant, UserCategory
    from surveys.services.invitations import opt_out_code

    survey = site.survey
    participant = Participant(survey=survey, wave=survey.current_wave(), email=f"p{secrets.token_hex(4)}@example.org",
                              category=survey.categories.first() or UserCategory.objects.first())
    participant.issue_token()
    participant.save()
    site.goto(f"/s/t/{opt_out_code(participant)}/desinscription/")


def preview(site: Site) -> None:
    category = site.survey.categories.first()
    site.goto(f"/s/{site.survey.slug}/apercu/{category.code}/")


def _other_survey(status: str):
    """A second survey in `status`, with an open wave (the state, not the dates, closes it)."""
    from surveys.models import Survey
    from tests.factories import SurveyFactory, WaveFactory

    slug = f"enquete-{status}"
    survey = Survey.objects.filter(slug=slug).first()
    if survey is None:
        survey = SurveyFactory(slug=slug, status=status)
        WaveFactory(survey=survey)
    return survey


def closed_survey(site: Site) -> None:
    """A closed survey: answering stops with a clear page (HTTP 410), results are kept."""
    site.goto(f"/s/{_other_survey('closed').slug}/")


def draft_survey_anonymous(site: Site) -> None:
    """A draft is 404 to everyone but its designers."""
    site.goto(f"/s/{_other_survey('draft').slug}/")


def draft_survey_designer(site: Site) -> None:
    """Its own designer gets the preview of the draft."""
    from django.contrib.auth.models import User

    survey = _other_survey("draft")
    survey.owners.add(User.objects.get(username="designer-browser"))
    site.goto(f"/s/{survey.slug}/")
