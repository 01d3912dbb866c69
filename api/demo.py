"""Demo data of the API for ``manage.py load_demo`` (``make run``): a token of the demo analyst."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from surveys.models import Survey

from .models import ApiToken
from .services import token_create

DEMO_TOKEN_NAME = "démo (make run)"


def demo_api_access(stdout, survey: Survey, base: str) -> None:
    """Print the API documentation URL and a ready-to-run curl with a fresh demo token.

    The token belongs to the demo analyst (results and microdata of the demo survey, 30 days);
    the previous demo token is revoked, as the demo password changes at every run.
    """
    user = get_user_model().objects.filter(username="analyst").first()
    docs = f"{base}{reverse('api_v1:openapi-view')}"
    stdout.write(f"  API documentation   {docs}")
    if user is None:
        return
    ApiToken.objects.filter(user=user, name=DEMO_TOKEN_NAME, revoked_at=None).update(revoked_at=timezone.now())
    _token, secret = token_create(user, DEMO_TOKEN_NAME, ["results:read", "microdata:read"], [survey], 30)
    url = f"{base}{reverse('api_v1:indicator_table', args=[survey.slug])}?by=channel"
    stdout.write(f'  API (demo token)    curl -H "Authorization: Bearer {secret}" "{url}"')


def announce(survey: Survey, demo) -> None:
    """``load_demo`` hook (:mod:`surveys.services.demo`): API URLs and a demo token, after the access lines."""
    demo_api_access(demo.stdout, survey, demo.base_url)
