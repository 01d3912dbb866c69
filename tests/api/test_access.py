"""Tokens, scopes, survey limits, rate limit, audit and the error shape of the API."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from openapi_spec_validator import validate

from api.models import ApiCall, ApiToken, hash_token
from surveys.models import AuditLog
from surveys.permissions import ANALYSTS
from tests import factories

from .conftest import Api

#: every endpoint: (method, path, scope it needs, body)
ENDPOINTS = [
    ("get", "/api/v1/surveys/test-survey/", "results:read", None),
    ("get", "/api/v1/surveys/test-survey/waves/", "results:read", None),
    ("get", "/api/v1/surveys/test-survey/questionnaire/", "results:read", None),
    ("get", "/api/v1/surveys/test-survey/indicators/", "results:read", None),
    ("get", "/api/v1/surveys/test-survey/responses/", "microdata:read", None),
    ("post", "/api/v1/surveys/test-survey/questionnaire/", "questionnaire:write", {"survey": {"slug": "test-survey"}}),
    ("post", "/api/v1/surveys/test-survey/waves/2026/participants/", "participants:write",
     {"participants": [{"email": "a@example.org", "category": "researchers"}]}),
]


def _call(api: Api, method: str, path: str, body):
    return api.get(path) if method == "get" else api.post(path, json.dumps(body))


def _assert_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) >= {"code", "message", "field"}
    if code:
        assert body["code"] == code
    return body


def test_schema_is_valid_openapi_3_and_lists_every_endpoint(db, client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.json()
    validate(spec)  # raises on an invalid OpenAPI document
    assert spec["openapi"].startswith("3.")
    paths = set(spec["paths"])
    for _method, path, _scope, _body in ENDPOINTS:
        assert path.replace("test-survey", "{slug}").replace("2026", "{wave}") in paths


def test_docs_page_uses_local_assets_only(db, client):
    html = client.get("/api/v1/docs").content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower() and "https://" not in html


@pytest.mark.parametrize("method,path,scope,body", ENDPOINTS)
def test_every_endpoint_refuses_a_token_without_its_scope(survey, locmem_cache, make_token, method, path, scope, body):
    others = [s for s in ("results:read", "microdata:read", "questionnaire:write", "participants:write") if s != scope]
    _token, api = make_token(scopes=others)
    _assert_error(_call(api, method, path, body), 403, "missing_scope")


@pytest.mark.parametrize("method,path,scope,body", ENDPOINTS)
def test_every_endpoint_refuses_a_survey_outside_the_token(survey, locmem_cache, make_token, other_survey, method, path, scope,
                                                          body):
    _token, api = make_token(surveys=[other_survey])
    _assert_error(_call(api, method, path, body), 403, "survey_not_allowed")


@pytest.mark.parametrize("method,path,scope,body", ENDPOINTS)
def test_every_endpoint_refuses_expired_and_revoked_tokens(survey, locmem_cache, make_token, method, path, scope, body):
    token, api = make_token()
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    _assert_error(_call(api, method, path, body), 401, "token_expired")
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() + timedelta(days=1),
                                                revoked_at=timezone.now())
    _assert_error(_call(api, method, path, body), 401, "token_revoked")


def test_missing_or_unknown_token_is_401(survey, locmem_cache, client):
    _assert_error(client.get("/api/v1/surveys/"), 401, "unauthenticated")
    _assert_error(Api("ecoute_not-a-token").get("/api/v1/surveys/"), 401, "token_invalid")


def test_token_never_reaches_beyond_its_owner(seeded, make_token, owner, survey):
    _token, api = make_token()
    assert api.get("/api/v1/surveys/test-survey/responses/").status_code == 200
    owner.groups.clear()  # the owner loses the analyst and designer roles
    _assert_error(api.get("/api/v1/surveys/test-survey/"), 403, "owner_rights")
    owner.groups.add(factories.Group.objects.get(name=ANALYSTS))
    survey.owners.remove(owner)  # ... or the survey's grant
    _assert_error(api.get("/api/v1/surveys/test-survey/"), 403, "survey_not_allowed")
    assert api.get("/api/v1/surveys/").json() == []


def test_token_creation_refuses_scopes_and_surveys_beyond_the_user(survey, locmem_cache, other_survey):
    from django.core.exceptions import ValidationError

    from api.services import token_create

    reader = factories.staff_user("reader", ANALYSTS, surveys=[survey])
    with pytest.raises(ValidationError):
        token_create(reader, "x", ["participants:write"], [survey], 30)  # analysts do not import participants
    with pytest.raises(ValidationError):
        token_create(reader, "x", ["results:read"], [other_survey], 30)  # not granted
    token, secret = token_create(reader, "x", ["results:read"], [survey], 30)
    assert token.key_hash == hash_token(secret) and secret not in (token.prefix, token.key_hash)


def test_account_page_shows_the_secret_once_and_stores_its_hash(survey, locmem_cache, owner, client):
    client.force_login(owner)
    page = client.get("/compte/api/")
    assert page.status_code == 200 and b"results:read" in page.content
    created = client.post("/compte/api/", {"form": "token", "name": "Carnet R", "scopes": ["results:read"],
                                           "surveys": [survey.pk], "days": "30"})
    assert created.status_code == 200
    secret = created.context["new_secret"]
    assert secret.encode() in created.content
    token = ApiToken.objects.get(name="Carnet R")
    assert token.key_hash == hash_token(secret) and token.scopes == ["results:read"]
    assert secret.encode() not in client.get("/compte/api/").content  # never shown again
    assert Api(secret).get("/api/v1/surveys/test-survey/").status_code == 200
    client.post(f"/compte/api/jetons/{token.pk}/revoquer/")
    _assert_error(Api(secret).get("/api/v1/surveys/test-survey/"), 401, "token_revoked")


def test_every_call_is_audited(survey, locmem_cache, make_token):
    token, api = make_token()
    api.get("/api/v1/surveys/")
    api.get("/api/v1/surveys/other-survey/")
    calls = list(ApiCall.objects.filter(token=token).order_by("at", "pk").values_list("method", "path", "status"))
    assert calls == [("GET", "/api/v1/surveys/", 200), ("GET", "/api/v1/surveys/other-survey/", 403)]
    assert api.get("/api/v1/surveys/")["Cache-Control"] == "no-store"
    assert ApiCall.objects.filter(token=None, status=401).count() == 0
    Api("ecoute_bad").get("/api/v1/surveys/")
    assert ApiCall.objects.filter(token=None, status=401).count() == 1


def test_rate_limit_is_per_token(survey, locmem_cache, make_token, settings):
    settings.API_RATE_LIMIT = 3
    _t1, first = make_token()
    _t2, second = make_token()
    statuses = [first.get("/api/v1/surveys/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = first.get("/api/v1/surveys/")
    _assert_error(limited, 429, "rate_limited")
    assert limited["Retry-After"] == "60"
    assert second.get("/api/v1/surveys/").status_code == 200


@pytest.mark.parametrize("path", [
    "/api/v1/surveys/test-survey/indicators/?by=nonsense",
    "/api/v1/surveys/test-survey/indicators/?min_cell=abc",
    "/api/v1/surveys/test-survey/indicators/?min_cell=1",
    "/api/v1/surveys/test-survey/indicators/?wave=1999",
    "/api/v1/surveys/test-survey/indicators/?indicator=median",
    "/api/v1/surveys/test-survey/indicators/?surprise=1",
    "/api/v1/surveys/test-survey/responses/?since=yesterday",
    "/api/v1/surveys/test-survey/responses/?cursor=forged",
    "/api/v1/surveys/test-survey/responses/?limit=0",
    "/api/v1/surveys/test-survey/responses/?format=xml",
])
def test_bad_parameters_are_json_400_naming_the_field(survey, locmem_cache, api, path):
    body = _assert_error(api.get(path), 400)
    assert body["field"]


@pytest.mark.parametrize("body", ["{not json", "[]", '{"participants": "x"}', '{"participants": [{"email": 3}]}'])
def test_bad_bodies_are_json_400(survey, locmem_cache, api, body):
    _assert_error(api.post("/api/v1/surveys/test-survey/waves/2026/participants/", body), 400)


@pytest.mark.parametrize("body", ["[1]", '{"survey": "x"}', '{"survey": {"slug": "test-survey"}, "sections": 3}',
                                  '{"survey": {"slug": "test-survey", "title": 5}, "waves": [null]}'])
def test_bad_questionnaires_are_json_400(survey, locmem_cache, api, body):
    _assert_error(api.post("/api/v1/surveys/test-survey/questionnaire/", body), 400)


def test_unknown_url_and_method_are_json(survey, locmem_cache, api):
    _assert_error(api.get("/api/v1/nothing/"), 404, "not_found")
    _assert_error(api.client.delete("/api/v1/surveys/", HTTP_AUTHORIZATION=f"Bearer {api.secret}"), 405)


def test_microdata_read_is_audited_like_an_export(seeded, api):
    api.get("/api/v1/surveys/test-survey/responses/")
    entry = AuditLog.objects.filter(action="export").first()
    assert entry is not None and entry.details["via"] == "api" and entry.details["rows"] == 63


def test_posts_need_no_csrf_token(survey, locmem_cache, api):
    from django.test import Client

    api.client = Client(enforce_csrf_checks=True)  # a script has no CSRF cookie: the bearer token is the proof
    body = json.dumps({"participants": [{"email": "a@example.org", "category": "researchers"}]})
    assert api.post("/api/v1/surveys/test-survey/waves/2026/participants/", body).status_code == 200


@pytest.mark.parametrize("endpoint", ["indicators", "responses"])
def test_random_query_strings_never_give_a_500(survey, locmem_cache, api, endpoint):
    from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

    names = st.sampled_from(["by", "subject", "indicator", "wave", "category", "channel", "weighted", "min_cell",
                             "format", "since", "cursor", "limit", "x"])
    values = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30)

    @hsettings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.lists(st.tuples(names, values), max_size=4))
    def check(params):
        response = api.get(f"/api/v1/surveys/test-survey/{endpoint}/", params)
        assert response.status_code in (200, 400), (params, response.status_code)
        assert response["Content-Type"].split(";")[0] in ("application/json", "application/x-ndjson", "text/csv")

    check()
