"""Fixtures of the API tests: the seeded test survey, staff with roles, tokens and a client."""

from __future__ import annotations

import pytest
from django.test import Client

from api.services import token_create
from surveys.permissions import ANALYSTS, DESIGNERS
from tests import factories
from tests.analysis.dashboard_data import locmem_cache, seed  # noqa: F401 - fixture re-exported

ALL_SCOPES = ["results:read", "microdata:read", "questionnaire:write", "participants:write"]


@pytest.fixture
def seeded(survey, locmem_cache):  # noqa: F811
    seed(survey)
    return survey


@pytest.fixture
def other_survey(db):
    return factories.SurveyFactory(slug="other-survey")


@pytest.fixture
def owner(survey, other_survey):
    """An analyst and designer granted both surveys (every scope is within their rights)."""
    user = factories.staff_user("owner", ANALYSTS, surveys=[survey, other_survey])
    user.groups.add(factories.Group.objects.get_or_create(name=DESIGNERS)[0])
    return user


class Api:
    """A test client that sends the bearer token."""

    def __init__(self, secret: str) -> None:
        self.client = Client()
        self.secret = secret

    def _headers(self, extra):
        return {"HTTP_AUTHORIZATION": f"Bearer {self.secret}", **extra}

    def get(self, path: str, data=None, **extra):
        return self.client.get(path, data, **self._headers(extra))

    def post(self, path: str, data=None, **extra):
        return self.client.post(path, data, content_type="application/json", **self._headers(extra))


@pytest.fixture
def make_token(owner, survey):
    def make(scopes=ALL_SCOPES, surveys=None, days=30, user=None):
        token, secret = token_create(user or owner, "test", scopes, surveys or [survey], days)
        return token, Api(secret)
    return make


@pytest.fixture
def api(make_token):
    return make_token()[1]
