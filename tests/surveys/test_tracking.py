"""Fieldwork tracking (dispositions, AAPOR RR1/RR2), the status export, channel links, designer access."""

from __future__ import annotations

import csv
import re
import io
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from surveys.models import AuditLog, Channel, Participant, Response, UserCategory
from surveys.services.tracking import disposition, response_rates, wave_tracking
from tests import factories

pytestmark = pytest.mark.django_db


def participant(survey, email, category="researchers", channel=None, invited=True, response=None,
                opted_out=False, undeliverable=False, opened=False):
    now = timezone.now()
    p = Participant(survey=survey, wave=survey.waves.get(), email=email,
                    category=UserCategory.objects.get(code=category),
                    channel=Channel.objects.get(code=channel) if channel else None,
                    invited_at=now - timedelta(days=3) if invited else None,
                    opened_at=now if (opened or response) else None,
                    opted_out_at=now if opted_out else None, undeliverable=undeliverable)
    p.issue_token()
    p.save()
    if response:
        Response.objects.create(survey=survey, wave=p.wave, category=p.category, channel=p.channel, participant=p,
                                status=response, submitted_at=now if response == "complete" else None)
    return p


@pytest.fixture
def fielded(survey):
    """A constructed wave whose rates are computed by hand below.

    researchers (10 invited, channel website): 4 complete, 2 partial, 1 opted out, 1 undeliverable, 2 NC
    journalists (5 invited, channel contact_service): 1 complete (who had also opted out: counts I),
        2 opted out, 2 NC (1 of them opened the link without starting)
    general_public: 3 imported, not invited (outside the rates)
    open links: 2 complete + 1 partial on website, 1 complete on contact_service (outside the rates)
    """
    n = iter(range(1000))
    for _ in range(4):
        participant(survey, f"r{next(n)}@x.org", channel="website", response="complete")
    for _ in range(2):
        participant(survey, f"r{next(n)}@x.org", channel="website", response="partial")
    participant(survey, f"r{next(n)}@x.org", channel="website", opted_out=True)
    participant(survey, f"r{next(n)}@x.org", channel="website", undeliverable=True)
    for _ in range(2):
        participant(survey, f"r{next(n)}@x.org", channel="website")
    participant(survey, f"j{next(n)}@x.org", "journalists", "contact_service", response="complete", opted_out=True)
    for _ in range(2):
        participant(survey, f"j{next(n)}@x.org", "journalists", "contact_service", opted_out=True)
    participant(survey, f"j{next(n)}@x.org", "journalists", "contact_service", opened=True)
    participant(survey, f"j{next(n)}@x.org", "journalists", "contact_service")
    for _ in range(3):
        participant(survey, f"g{next(n)}@x.org", "general_public", invited=False)
    wave = survey.waves.get()
    public = UserCategory.objects.get(code="general_public")
    for channel, status in [("website", "complete"), ("website", "complete"), ("website", "partial"),
                            ("contact_service", "complete")]:
        Response.objects.create(survey=survey, wave=wave, category=public, channel=Channel.objects.get(code=channel),
                                status=status, submitted_at=timezone.now() if status == "complete" else None)
    return wave


def test_disposition_precedence_and_the_rate_formulas():
    assert disposition(True, "complete", True, True) == "I"
    assert disposition(True, "partial", True, False) == "P"
    assert disposition(True, None, True, True) == "R"
    assert disposition(True, None, False, True) == "UO"
    assert disposition(True, None, False, False) == "NC"
    assert disposition(False, None, False, False) == "NI"
    assert response_rates(4, 2, 1, 2, 1) == (0.4, 0.6)
    assert response_rates(0, 0, 0, 0, 0) == (None, None)


def test_rates_per_category_and_channel_match_the_hand_computed_case(fielded):
    t = wave_tracking(fielded)
    # total: I=5, P=2, R=3, UO=1, NC=4 -> base 15
    assert (t.total.imported, t.total.invited, t.total.complete, t.total.partial, t.total.opted_out,
            t.total.undeliverable, t.total.not_started) == (18, 15, 5, 2, 3, 1, 4)
    assert t.total.rr1 == pytest.approx(5 / 15) and t.total.rr2 == pytest.approx(7 / 15)
    assert t.total.opened == 8  # 7 who started + 1 who only opened
    cats = {row.code: row for row in t.by_category}
    assert list(cats) == ["researchers", "journalists", "general_public"]  # category order
    assert (cats["researchers"].rr1, cats["researchers"].rr2) == (0.4, 0.6)
    assert (cats["journalists"].rr1, cats["journalists"].rr2) == (0.2, 0.2)
    assert (cats["journalists"].opted_out, cats["journalists"].not_started) == (2, 2)
    assert (cats["general_public"].imported, cats["general_public"].invited, cats["general_public"].rr1) == (3, 0, None)
    chans = {row.code: row for row in t.by_channel}
    assert (chans["website"].invited, chans["website"].rr1, chans["website"].rr2) == (10, 0.4, 0.6)
    assert (chans["contact_service"].invited, chans["contact_service"].rr1) == (5, 0.2)
    assert chans[""].label == "(sans canal)" and chans[""].invited == 0
    assert {(r["code"], r["complete"], r["partial"]) for r in t.open_links} == {
        ("website", 2, 1), ("contact_service", 1, 0)}


def test_tracking_page_shows_the_rates_as_percentages(client, survey, fielded):
    client.force_login(factories.staff_user("dana", "designers", surveys=[survey]))
    with_queries = client.get(reverse("staff:tracking", args=[survey.slug]))
    page = with_queries.content.decode()
    assert with_queries.status_code == 200
    assert "33,3 %" in page and "46,7 %" in page  # total RR1, RR2
    assert "40,0 %" in page and "60,0 %" in page  # researchers / website
    assert "Réponses par lien ouvert" in page
    assert with_queries["Cache-Control"].startswith("max-age=0") or "no-store" in with_queries["Cache-Control"]


def test_tracking_page_reads_a_wave_in_a_bounded_number_of_queries(client, survey, fielded,
                                                                   django_assert_max_num_queries):
    client.force_login(factories.staff_user("dana", "designers", surveys=[survey]))
    client.get(reverse("staff:tracking", args=[survey.slug]))  # warm the session
    with django_assert_max_num_queries(20):
        client.get(reverse("staff:tracking", args=[survey.slug]))


def test_status_export_has_addresses_and_statuses_no_answers_and_is_audited(client, survey, fielded):
    participant(survey, "=cmd|' /C calc'!A0@x.org", "researchers")
    client.force_login(factories.staff_user("dana", "designers", surveys=[survey]))
    resp = client.get(reverse("staff:tracking_export", args=[survey.slug]), {"vague": "2026"})
    assert resp.status_code == 200 and resp["Content-Type"].startswith("text/csv")
    assert 'filename="participants-test-survey-2026.csv"' in resp["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(resp.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["email", "categorie", "canal", "langue", "statut", "statut_libelle", "invite_le",
                       "relance_le", "ouvert_le", "desinscrit_le", "injoignable"]
    assert len(rows) == 1 + 19
    statuses = [r[4] for r in rows[1:]]
    assert statuses.count("I") == 5 and statuses.count("P") == 2 and statuses.count("NI") == 3
    assert rows[-1][0] == "'=cmd|' /C calc'!A0@x.org"  # formula neutralised
    entry = AuditLog.objects.get(action="participants_export")
    assert entry.actor == "dana" and entry.details == {"wave": "2026", "rows": 19}


# --- access --------------------------------------------------------------------------------------

def staff_urls(survey):
    p = participant(survey, "a@x.org")
    return [
        ("get", reverse("staff:index")),
        ("get", reverse("staff:links", args=[survey.slug])),
        ("get", reverse("staff:qr", args=[survey.slug, "svg"]) + "?canal=website"),
        ("get", reverse("staff:qr", args=[survey.slug, "png"]) + "?canal=website"),
        ("get", reverse("staff:invitations", args=[survey.slug])),
        ("post", reverse("staff:invitations_import", args=[survey.slug])),
        ("post", reverse("staff:invitations_send", args=[survey.slug])),
        ("post", reverse("staff:participant_undeliverable", args=[survey.slug, p.pk])),
        ("post", reverse("staff:participants_undeliverable", args=[survey.slug])),
        ("get", reverse("staff:tracking", args=[survey.slug])),
        ("get", reverse("staff:tracking_export", args=[survey.slug])),
    ]


def test_anonymous_visitors_are_sent_to_the_login_page(client, survey):
    for method, url in staff_urls(survey):
        resp = getattr(client, method)(url, {"kind": "invitation", "value": "1", "addresses": "a@x.org"})
        assert resp.status_code == 302 and resp["Location"].startswith("/connexion/"), url
    assert not Participant.objects.filter(undeliverable=True).exists()


def test_analysts_and_staff_outside_the_designers_group_get_no_designer_page(client, survey):
    for user in (factories.staff_user("ana", "analysts", surveys=[survey]), factories.staff_user("sam", None)):
        client.force_login(user)
        for method, url in staff_urls(survey):
            resp = getattr(client, method)(url, {"kind": "invitation", "value": "1", "addresses": "a@x.org"})
            assert resp.status_code == 403, (user.username, url)
            assert "Accès réservé" in resp.content.decode()
        Participant.objects.all().delete()
    assert not AuditLog.objects.filter(action__in=["participants_export", "invitations_enqueued"]).exists()


def test_a_designer_sees_only_the_surveys_granted_to_them(client, survey):
    other = factories.SurveyFactory(slug="other-survey")
    factories.WaveFactory(survey=other, code="2026")
    client.force_login(factories.staff_user("dana", "designers", surveys=[other]))
    for method, url in staff_urls(survey):
        if url == reverse("staff:index"):
            continue
        resp = getattr(client, method)(url, {"kind": "invitation", "value": "1", "addresses": "a@x.org"})
        assert resp.status_code == 404, url
    index = client.get(reverse("staff:index")).content.decode()
    assert "/equipe/other-survey/suivi/" in index and "/equipe/test-survey/" not in index


def test_superusers_see_every_survey(client, survey):
    client.force_login(factories.staff_user("root", None, superuser=True))
    assert client.get(reverse("staff:tracking", args=[survey.slug])).status_code == 200


# --- channel links and QR codes ------------------------------------------------------------------

@pytest.fixture
def designer_client(client, survey):
    client.force_login(factories.staff_user("dana", "designers", surveys=[survey]))
    return client


def test_links_page_gives_an_absolute_link_and_a_qr_code_per_channel(designer_client, survey):
    page = designer_client.get(reverse("staff:links", args=[survey.slug])).content.decode()
    assert "http://testserver/s/test-survey/?canal=website" in page
    assert "http://testserver/s/test-survey/?canal=contact_service" in page
    assert 'src="/equipe/test-survey/qr.svg?canal=website"' in page
    assert 'href="/equipe/test-survey/qr.png?canal=website"' in page
    assert "http://testserver/w/test-survey/embed.js" in page
    page = designer_client.get(reverse("staff:links", args=[survey.slug]),
                               {"categorie": "journalists"}).content.decode()
    assert "http://testserver/s/test-survey/?canal=website&amp;categorie=journalists" in page
    assert designer_client.get(reverse("staff:links", args=[survey.slug]), {"categorie": "nope"}).status_code == 404


def test_qr_codes_are_made_locally_as_svg_and_png(designer_client, survey):
    svg = designer_client.get(reverse("staff:qr", args=[survey.slug, "svg"]), {"canal": "website"})
    assert svg.status_code == 200 and svg["Content-Type"] == "image/svg+xml"
    assert svg.content.startswith(b"<?xml") and b"<svg" in svg.content and b"<script" not in svg.content
    png = designer_client.get(reverse("staff:qr", args=[survey.slug, "png"]),
                              {"canal": "website", "categorie": "researchers"})
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG\r\n\x1a\n")
    assert png["Content-Disposition"] == 'attachment; filename="qr-test-survey-website-researchers.png"'
    assert designer_client.get(reverse("staff:qr", args=[survey.slug, "svg"]), {"canal": "fax"}).status_code == 404
    assert designer_client.get(reverse("staff:qr", args=[survey.slug, "svg"]),
                               {"canal": "website", "categorie": "nope"}).status_code == 404


def test_the_qr_code_encodes_the_channel_link(designer_client, survey):
    """Decode the PNG's modules back with the qrcode library's own matrix (same data, same version)."""
    import qrcode

    expected = qrcode.QRCode(border=4)
    expected.add_data("http://testserver/s/test-survey/?canal=website")
    expected.make(fit=True)
    svg = designer_client.get(reverse("staff:qr", args=[survey.slug, "svg"]), {"canal": "website"}).content.decode()
    side = len(expected.get_matrix())
    assert f'viewBox="0 0 {side} {side}"' in svg


def test_an_open_link_from_the_page_records_its_channel(survey):
    visitor = Client()
    visitor.get("/s/test-survey/?canal=contact_service&categorie=researchers", follow=True)
    from tests.surveys.test_wizard import FULL, post_step

    post_step(visitor, survey, "core", FULL["core"])
    assert Response.objects.get().channel.code == "contact_service"


def test_tracking_page_carries_bar_charts_of_the_rates_for_the_static_script(client, survey, fielded):
    import json

    from surveys.services.tracking import Row, rates_figure

    client.force_login(factories.staff_user("dana", "designers", surveys=[survey]))
    page = client.get(reverse("staff:tracking", args=[survey.slug])).content.decode()
    figure = json.loads(re.search(r'<script id="figure-category" type="application/json">(.*?)</script>',
                                  page, re.S).group(1))
    rr1, rr2 = figure["data"]
    assert (rr1["name"], rr1["y"], rr1["x"]) == ("RR1", ["Chercheurs", "Journalistes"], [40.0, 20.0])
    assert (rr2["name"], rr2["x"]) == ("RR2", [60.0, 20.0])
    assert 'data-figure="figure-channel"' in page
    assert "/static/js/charts.js" in page and "/static/vendor/plotly.min.js" in page and "<script>" not in page
    assert rates_figure([Row("x", "X")], "t") is None
