"""Resume codes: shown from the first step, stored on the server only as a hash.

The raw code lives on the respondent's side only: in a signed, HTTP-only browser-session cookie
(``ecoute_resume_<survey id>``, strictly necessary: it only shows the code again) that lets each
step show it again (the session, the database and the cache hold its SHA-256). A code handed out
before the first answer is recorded as a `ResumeStart` (its hash, the survey, wave, channel and
preset category), so it works from step 1 on: a Response only exists once a category is known.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from .models import Channel, ResumeStart, Survey, UserCategory, hash_secret
from .services.responses import Run

SALT = "ecoute.resume"


def _cookie_name(survey: Survey) -> str:
    return f"ecoute_resume_{survey.pk}"


def remember_code(response: HttpResponse, survey: Survey, raw: str) -> HttpResponse:
    """Keep the raw code in the respondent's browser (signed, HTTP-only, gone with the browser session)."""
    response.set_signed_cookie(_cookie_name(survey), raw, salt=SALT, httponly=True, samesite="Lax",
                               secure=settings.SESSION_COOKIE_SECURE)
    return response


def shown_code(request: HttpRequest, survey: Survey, run: Run | None) -> str | None:
    """The raw code to show on the page: the cookie's, if it is this run's code."""
    if run is None or not run.resume_hash:
        return None
    raw = request.get_signed_cookie(_cookie_name(survey), default=None, salt=SALT)
    return raw if raw and hash_secret(raw) == run.resume_hash else None


def resume_start_record(run: Run, raw: str) -> None:
    """Make a code handed out before any answer findable (by its hash)."""
    ResumeStart.objects.get_or_create(code_hash=hash_secret(raw), defaults={
        "survey_id": run.survey_id, "wave_id": run.wave_id,
        "category": UserCategory.objects.filter(code=run.category).first() if run.category_preset else None,
        "channel": Channel.objects.filter(code=run.channel).first() if run.channel else None,
    })


def resume_start_run(code: str) -> tuple[Survey, Run] | None:
    """The run to start again for a code that has no Response yet, or None."""
    code = (code or "").strip()
    if not code or len(code) > 100:
        return None
    start = ResumeStart.objects.select_related("survey", "wave", "category", "channel").filter(
        code_hash=hash_secret(code)).first()
    if start is None:
        return None
    return start.survey, Run(
        survey_id=start.survey_id, wave_id=start.wave_id, category=start.category.code if start.category else None,
        channel=start.channel.code if start.channel else None, category_preset=start.category is not None,
        resume_hash=start.code_hash)
