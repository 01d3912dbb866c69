"""The quality team's admin: a moved announced release needs a reason (kept), freezing and
correcting go through the services, designers see only their surveys' publications."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from publications.models import Publication, ReleaseChange
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def designer(seeded):
    return factories.staff_user("conceptrice", "designers", [seeded], superuser=True)


def change_data(p: Publication, **overrides) -> dict:
    data = {
        "collection": p.collection_id, "slug": p.slug, "title_fr": p.title_fr, "title_en": p.title_en,
        "survey": p.survey_id, "waves": [w.pk for w in p.waves.all()], "tables": p.tables,
        "text_fr": p.text_fr, "text_en": p.text_en, "release_date": p.release_date.isoformat(),
        "release_time": p.release_time.strftime("%H:%M") if p.release_time else "", "change_reason": "",
        "embargo": [u.pk for u in p.embargo.all()],
    }
    for prefix in ("versions", "changes"):
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0", f"{prefix}-MIN_NUM_FORMS": "0",
                     f"{prefix}-MAX_NUM_FORMS": "1000"})
    data.update(overrides)
    return data


def test_moving_an_announced_release_in_the_admin_needs_a_reason(upcoming, designer):
    c = Client()
    c.force_login(designer)
    url = reverse("admin:publications_publication_change", args=[upcoming.pk])
    assert c.get(url).status_code == 200
    later = (upcoming.release_date + dt.timedelta(days=2)).isoformat()
    refused = c.post(url, change_data(upcoming, release_date=later))
    assert refused.status_code == 200 and "indiquez le motif du changement" in refused.content.decode()
    assert not ReleaseChange.objects.exists()
    done = c.post(url, change_data(upcoming, release_date=later, change_reason="Contrôles supplémentaires"))
    assert done.status_code == 302, done.content.decode()[:2000]
    change = ReleaseChange.objects.get()
    assert change.reason == "Contrôles supplémentaires" and change.by == "conceptrice"
    assert change.new_date.isoformat() == later


def test_waves_of_another_survey_are_refused(upcoming, designer):
    other = factories.WaveFactory(code="autre")
    c = Client()
    c.force_login(designer)
    url = reverse("admin:publications_publication_change", args=[upcoming.pk])
    response = c.post(url, change_data(upcoming, waves=[other.pk]))
    assert response.status_code == 200 and "ne sont pas celles de l" in response.content.decode()


def test_the_correction_form_adds_a_version_after_release(released, designer):
    c = Client()
    c.force_login(designer)
    url = reverse("admin:publications_publication_correct", args=[released.pk])
    assert c.get(url).status_code == 200
    assert c.post(url, {"correction_note_fr": ""}).status_code == 200
    assert released.versions.count() == 1
    response = c.post(url, {"correction_note_fr": "Libellé corrigé.", "correction_note_en": "Label fixed."})
    assert response.status_code == 302
    assert list(released.versions.values_list("number", "correction_note_fr")) == [(1, ""), (2, "Libellé corrigé.")]


def test_the_freeze_action_refuses_a_released_publication(released, upcoming, designer):
    c = Client()
    c.force_login(designer)
    before = upcoming.versions.get().created_at
    response = c.post(reverse("admin:publications_publication_changelist"),
                      {"action": "freeze", "_selected_action": [released.pk, upcoming.pk]}, follow=True)
    text = response.content.decode()
    assert "contenu figé" in text and "une modification est une correction" in text
    assert released.versions.count() == 1 and upcoming.versions.get().created_at > before


def test_designers_see_only_their_surveys_publications(upcoming):
    stranger = factories.staff_user("autre", "designers", [], superuser=False)
    from django.contrib.auth.models import Permission

    stranger.user_permissions.add(*Permission.objects.filter(content_type__app_label="publications"))
    c = Client()
    c.force_login(stranger)
    assert c.get(reverse("admin:publications_publication_change", args=[upcoming.pk])).status_code in (302, 404)
    listing = c.get(reverse("admin:publications_publication_changelist")).content.decode()
    assert upcoming.title_fr not in listing


def test_a_released_publication_keeps_its_release_date(released, designer):
    c = Client()
    c.force_login(designer)
    url = reverse("admin:publications_publication_change", args=[released.pk])
    later = (released.release_date + dt.timedelta(days=30)).isoformat()
    response = c.post(url, change_data(released, release_date=later, change_reason="Retrait"))
    assert response.status_code == 200 and "sa date de parution ne change plus" in response.content.decode()
    released.refresh_from_db()
    assert released.is_released()
