"""``/api/v1/publications/``: released ones for every token, embargoed ones for the embargo list
only (logged), the very open-data JSON of the pages, 404s in the API's error shape."""

from __future__ import annotations

import pytest

from publications.models import Collection, EmbargoAccess
from tests.publications.conftest import make_publication

LIST = "/api/v1/publications/"


@pytest.fixture
def collection(db) -> Collection:
    return Collection.objects.create(slug="chiffres-cles", name_fr="Chiffres clés", name_en="Key figures")


@pytest.fixture
def released(seeded, collection):
    return make_publication(seeded, collection, "edition-2026", -3)


@pytest.fixture
def upcoming(seeded, collection):
    return make_publication(seeded, collection, "edition-2027", 10)


def _detail(p) -> str:
    return f"{LIST}{p.collection.slug}/{p.slug}/"


def test_a_token_lists_released_publications_only(released, upcoming, api):
    body = api.get(LIST).json()
    assert [(p["slug"], p["released"], p["embargoed"]) for p in body] == [("edition-2026", True, False)]
    assert len(body[0]["tables"]) == 1  # LIGHT: one table, named like the page's downloads
    assert body[0]["url"].endswith("/publications/chiffres-cles/edition-2026/")


def test_an_unreleased_publication_is_a_json_404_outside_the_embargo_list(released, upcoming, api):
    response = api.get(_detail(upcoming))
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "message": "Ressource inconnue.", "field": None}
    assert api.get(f"{LIST}chiffres-cles/nothing-here/").status_code == 404
    assert api.get(_detail(released), {"version": 7}).status_code == 404  # no such version
    assert not EmbargoAccess.objects.exists()


def test_detail_tables_are_the_open_data_json_of_the_page(released, api, client):
    body = api.get(_detail(released)).json()
    assert body["version"] == 1 and body["released"] is True and body["correction_note"] is None
    assert [t["table"]["name"] for t in body["table_data"]] == body["tables"]
    for name, table in zip(body["tables"], body["table_data"]):
        page = client.get(f"/publications/chiffres-cles/edition-2026/v1/{name}.json")
        assert page.status_code == 200, page.content[:200]
        assert table == page.json()  # the same document as the page's download, byte for byte in content
        assert all(not (row.get("suppressed") and row.get("value") is not None) for row in table["rows"])


def test_the_embargo_list_reads_early_and_each_read_is_logged(released, upcoming, owner, api):
    upcoming.embargo.add(owner)
    listed = {p["slug"]: p["embargoed"] for p in api.get(LIST).json()}
    assert listed == {"edition-2026": False, "edition-2027": True}
    response = api.get(_detail(upcoming))
    assert response.status_code == 200 and response.json()["embargoed"] is True
    api.get(_detail(released))  # a released one: not an embargoed read
    reads = list(EmbargoAccess.objects.values_list("publication__slug", "user__username", "path"))
    assert reads == [("edition-2027", "owner", _detail(upcoming))]


def test_publications_need_the_results_scope(released, make_token):
    _token, api = make_token(scopes=["microdata:read"])
    assert api.get(LIST).json()["code"] == "missing_scope"
    assert api.get(_detail(released)).status_code == 403


def test_publications_are_in_the_openapi_schema(db, client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert "/api/v1/publications/" in paths and "/api/v1/publications/{collection}/{slug}/" in paths
