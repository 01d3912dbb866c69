"""Fewer round trips through the questionnaire, without giving up what the wizard guarantees.

Measured against a peer application (``../shared/bench``): Écoute needed 10 requests per
questionnaire where the peer needs 7 — each step's POST answered by a redirect, then a GET of the
next step (formtools' ``NamedUrlWizardView``), plus the review page. What changes here:

- **The next step is rendered in the POST's response** when the posted step was valid *and stored*
  in the draft (:func:`render_next_step_in_place`). Repeating that POST (reload, double click) is
  harmless: the step's storage is an idempotent upsert and the page shown is the same. The form
  posts to the shown step's own URL, and ``questionnaire.js`` replaces the address bar's URL with
  it (``history.replaceState``), so reload, the back button and bookmarks see the step's URL. A step
  whose storage failed still answers with a redirect (post/redirect/get), as before.
- **The review page is optional** per survey (``Survey.review_page``): without it, the last step's
  POST submits (:func:`review_enabled`).
- **No session write when nothing changed** (:func:`session_set`): a value equal to the stored one
  is not written again, so a GET of a step, or a step posted again unchanged, costs no session save.

Kept apart from :mod:`surveys.wizard` so that the wizard's other changes stay easy to merge.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from formtools.wizard.views import WizardView

from .services.runs import session_set  # noqa: F401 (re-exported)

__all__ = ["render_next_step_in_place", "review_enabled", "session_set"]


def review_enabled(survey: Any) -> bool:
    """Does this survey show the review page before the submission? (Default: yes.)"""
    return bool(getattr(survey, "review_page", True))


def render_next_step_in_place(wizard: Any, form: Any, stored: bool, **kwargs: Any) -> HttpResponse | None:
    """The next step's page as the POST's own response, or None to fall back to the redirect.

    ``stored``: the step just posted reached the database (a step kept only in the session keeps
    post/redirect/get, so that nothing depends on a repeated POST then).
    """
    if not stored:
        return None
    return WizardView.render_next_step(wizard, form, **kwargs)
