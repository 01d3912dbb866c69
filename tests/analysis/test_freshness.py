"""Dashboards that say how fresh they are: a submission is in the next dashboard request, whatever
path marks it complete, and every page shows when its responses were counted."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from analysis import selectors
from surveys.models import Response
from surveys.services.data_version import data_version_key, responses_changed
from tests import factories
from tests.analysis.dashboard_data import ensure_frames, locmem_cache, seed
from tests.surveys.test_wizard import FULL, MGMT, step_url, walk

ensure_frames()
locmem_cache = locmem_cache  # the fixture, re-exported for this module


def _complete_count(client: Client, slug: str) -> int:
    html = client.get(reverse("analysis:overview", args=[slug])).content.decode()
    # first row of "Réponses par vague": wave label, started, complete
    started, complete = re.search(r'<th scope="row">[^<]+</th><td>(\d+)</td><td>(\d+)</td>', html).groups()
    return int(complete)


@pytest.mark.django_db(transaction=True)
def test_a_response_submitted_through_the_wizard_is_in_the_next_dashboard_request(locmem_cache):
    survey = factories.build_survey()
    seed(survey, size=6, small=False)
    analyst = Client()
    analyst.force_login(factories.staff_user("ana", "analysts", [survey]))
    before = _complete_count(analyst, survey.slug)
    assert _complete_count(analyst, survey.slug) == before  # warm: served from the cache
    respondent = Client()
    walk(respondent, survey, "researchers", FULL)
    respondent.post(step_url(survey, "recapitulatif"), {MGMT: "recapitulatif"})
    assert Response.objects.filter(status="complete").count() == before + 1
    assert _complete_count(analyst, survey.slug) == before + 1
    # the channel page's tables (another cache entry) moved too
    csv = analyst.get(reverse("analysis:channels_data", args=[survey.slug, "barres-contact"])).content.decode()
    assert csv.count("\n") > 1


@pytest.mark.django_db(transaction=True)
def test_a_bulk_update_marked_complete_is_seen_once_the_writer_says_so(locmem_cache):
    """A path that bypasses signals (QuerySet.update) and calls responses_changed is seen at once."""
    survey = factories.build_survey()
    seed(survey, size=6, small=False)
    d = selectors.Dashboard(survey)
    n = d.versions()["2026"][0]
    Response.objects.filter(pk=Response.objects.first().pk).update(status="partial")
    assert selectors.Dashboard(survey).versions()["2026"][0] == n, "the cached versions are used meanwhile"
    token = locmem_cache.get(data_version_key(survey.pk))
    with transaction.atomic():
        responses_changed(survey.pk)
        responses_changed(survey.pk)  # one callback per survey and transaction
        assert len(transaction.get_connection().run_on_commit) == 1
        assert locmem_cache.get(data_version_key(survey.pk)) == token, "set only after the commit"
    assert selectors.Dashboard(survey).versions()["2026"][0] == n - 1


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_leaves_the_token_alone(locmem_cache):
    survey = factories.build_survey()
    with pytest.raises(RuntimeError), transaction.atomic():
        responses_changed(survey.pk)
        raise RuntimeError
    assert locmem_cache.get(data_version_key(survey.pk)) is None
    with transaction.atomic():
        responses_changed(survey.pk)
    assert locmem_cache.get(data_version_key(survey.pk)) is not None


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["overview", "channels", "trends", "verbatims", "exports"])
def test_every_dashboard_page_shows_when_its_figures_were_counted(survey, page, locmem_cache):
    seed(survey, size=6, small=False)
    client = Client()
    client.force_login(factories.staff_user("ana", "analysts", [survey]))
    start = timezone.now()
    html = client.get(reverse(f"analysis:{page}", args=[survey.slug])).content.decode()
    m = re.search(r'class="dash-freshness">[^<]*<time datetime="([^"]+)">', html)
    assert m, f"no freshness line on {page}"
    from datetime import datetime

    shown = datetime.fromisoformat(m.group(1))
    assert start - timedelta(seconds=1) <= shown <= timezone.now()
