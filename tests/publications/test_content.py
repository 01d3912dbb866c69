"""What a publication shows: the dashboards' suppressed tables (a hidden cell's value in no public
byte), open data equal to the page, safe Markdown, corrections as new versions, calendar changes."""

from __future__ import annotations

import datetime as dt
import io
import json
import re

import pandas as pd
import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from publications.models import ReleaseChange
from publications.services import publication_correct, publication_freeze, release_change_record
from publications.tables import TableSpecError, parse_tables
from publications.text import markdown_html
from tests.analysis.dashboard_data import SMALL_CELL, SMALL_MEAN, SMALL_MEAN_STRINGS, big_cell_scores, respond
from tests.publications.conftest import TABLES, make_publication

pytestmark = pytest.mark.django_db

FIG_RE = re.compile(r'<script id="(fig-[^"]+)" type="application/json">(.*?)</script>', re.S)


@pytest.fixture
def full(seeded12, collection):
    """Released, with every kind of table (3 journalists via the website are a hidden cell)."""
    return make_publication(seeded12, collection, "complete", -1, tables=TABLES)


def public_bytes(p) -> dict[str, bytes]:
    """Every public byte of the publication: pages (FR, EN), each table's CSV and JSON, feed, calendar."""
    c = Client()
    out = {}
    for language in ("fr", "en"):
        out[f"page-{language}"] = c.get(p.get_absolute_url(), HTTP_ACCEPT_LANGUAGE=language).content
    for v in p.versions.all():
        for block in v.blocks("fr"):
            args = [p.collection.slug, p.slug, v.number, block["name"]]
            for name in ("table_csv", "table_json"):
                response = c.get(reverse(f"publications:{name}", args=args))
                assert response.status_code == 200
                out[f"{name}-{block['name']}"] = response.content
    for name in ("feed", "calendar", "calendar_ics"):
        out[name] = c.get(reverse(f"publications:{name}")).content
    return out


def test_a_suppressed_cell_value_appears_in_no_public_html_json_or_csv(full):
    files = public_bytes(full)
    assert len(files) >= 2 + 2 * 6 + 3
    for name, body in files.items():
        text = body.decode("utf-8")
        for s in SMALL_MEAN_STRINGS:
            assert s not in text, f"the hidden cell's mean ({s}) leaked in {name}"
    # ...and the cell is there, marked secret, with no figure, in the published rows
    grid = json.loads(files["table_json-t1-carte-contact"])
    small = [r for r in grid["rows"] if (r["channel"], r["category"]) == SMALL_CELL]
    assert len(small) == 1 and small[0]["suppressed"] is True
    assert all(small[0][k] is None for k in ("n", "value", "ci_low", "ci_high"))
    assert "secret" in files["page-fr"].decode()


def test_the_hidden_cell_really_holds_the_distinctive_mean(full):
    """Guard for the test above: without suppression the cell's mean is 1.333…"""
    from analysis import indicators
    from analysis.selectors import load_frame

    frame = load_frame(list(full.survey.waves.all()))
    raw = indicators.by_contact_channel(frame, sat_col="SAT_OVERALL", nps_col="NPS", by=["channel", "category"],
                                        min_cell=1)
    cell = raw[(raw["channel"] == SMALL_CELL[0]) & (raw["category"] == SMALL_CELL[1]) & (raw["kind"] == "mean")]
    assert cell["value"].iloc[0] == pytest.approx(SMALL_MEAN)


def test_open_data_csv_and_json_hold_the_page_table_with_its_metadata(full):
    c = Client()
    v = full.versions.get()
    block = next(b for b in v.blocks("fr") if b["name"] == "t1-carte-contact")
    args = [full.collection.slug, full.slug, 1, block["name"]]
    csv = c.get(reverse("publications:table_csv", args=args))
    assert csv["Content-Type"].startswith("text/csv") and csv.content.startswith(b"\xef\xbb\xbf")
    table = pd.read_csv(io.BytesIO(csv.content[3:]), keep_default_na=False, na_values=[""])
    doc = json.loads(c.get(reverse("publications:table_json", args=args)).content)
    assert list(table.columns) == doc["columns"]
    assert len(table) == len(doc["rows"]) == len(block["rows"])  # one line per cell of the page's table
    meta = doc["metadata"]
    assert meta["min_cell"] == full.survey.min_cell == 5 and meta["weighted"] is False
    assert meta["waves"] == ["2026"] and {"satisfied", "mean", "nps", "suppressed"} <= set(meta["definitions"])
    assert {"n", "value", "ci_low", "ci_high", "suppressed", "channel_label", "category_label"} <= set(doc["columns"])
    # a shown cell: contact service × general public, the seed's 4th cell (j = 3), 12 scores 3..5
    scores = big_cell_scores(3, 12)
    row = _cell_rows(doc["rows"])
    mean = sum(scores) / len(scores)
    assert row["n"] == 12 and row["value"] == pytest.approx(mean) and row["suppressed"] is False
    sd = pd.Series(scores).std(ddof=1)
    from scipy import stats

    half = stats.t.ppf(0.975, 11) * sd / 12 ** 0.5
    assert row["ci_low"] == pytest.approx(mean - half) and row["ci_high"] == pytest.approx(mean + half)
    line = table[(table["channel"] == "contact_service") & (table["category"] == "general_public")].iloc[0]
    assert line["value"] == pytest.approx(mean) and line["channel_label"] == "Service de contact"
    # the page's data table shows the same figure (French decimal comma)
    page = c.get(full.get_absolute_url()).content.decode()
    assert f"{mean:.2f}".replace(".", ",") in page


def test_every_chart_has_its_data_table_on_the_page(full):
    html = Client().get(full.get_absolute_url()).content.decode()
    figures = dict(FIG_RE.findall(html))
    assert len(figures) >= 5
    for fig_id in figures:
        name = fig_id.removeprefix("fig-")
        section = html.split(f'id="{name}"', 1)[1].split("</section>", 1)[0]
        assert "<table" in section and "<caption>" in section, name


def test_a_correction_is_a_new_version_and_the_old_one_stays_at_its_url(full):
    survey, wave = full.survey, full.survey.waves.get(code="2026")
    old_row = _cell(full.versions.get(number=1))
    for _i in range(6):  # late answers in the contact service × general public cell
        respond(survey, wave, "general_public", "contact_service", {"SAT_OVERALL": 1, "NPS": 0, "USED": ["web"]})
    with pytest.raises(ValidationError):
        publication_correct(full, note_fr="   ")
    with pytest.raises(ValidationError):
        publication_freeze(full)  # released: no silent replacement
    v2 = publication_correct(full, note_fr="Six réponses **tardives** intégrées.", note_en="Six late answers.")
    assert v2.number == 2 and full.versions.count() == 2
    new_row = _cell(v2)
    assert new_row["n"] == 18 and old_row["n"] == 12 and new_row["value"] < old_row["value"]
    c = Client()
    latest = c.get(full.get_absolute_url()).content.decode()
    assert "Six réponses <strong>tardives</strong> intégrées." in latest and "version 2" in latest
    first = c.get(full.versions.get(number=1).get_absolute_url())
    assert first.status_code == 200
    first_html = first.content.decode()
    assert "Une version plus récente (version 2) corrige celle-ci." in first_html
    v1_json = json.loads(c.get(reverse("publications:table_json", args=[full.collection.slug, full.slug, 1,
                                                                         "t1-carte-contact"])).content)
    assert _cell_rows(v1_json["rows"])["n"] == 12
    feed = c.get(reverse("publications:feed")).content.decode()
    assert feed.count("<entry>") == 2 and "version 2" in feed


def _cell_rows(rows):
    return next(r for r in rows if (r["channel"], r["category"]) == ("contact_service", "general_public"))


def _cell(version):
    block = next(b for b in version.blocks("fr") if b["name"] == "t1-carte-contact")
    return _cell_rows(block["records"])


def test_moving_an_announced_release_needs_a_reason_and_is_shown(seeded, collection):
    p = make_publication(seeded, collection, "deplacee", 10)
    old_date, old_time = p.release_date, p.release_time
    p.release_date = old_date + dt.timedelta(days=7)
    with pytest.raises(ValidationError):
        release_change_record(p, old_date, old_time, "")
    release_change_record(p, old_date, old_time, "Données d'une vague en retard")
    p.save()
    change = ReleaseChange.objects.get(publication=p)
    assert (change.old_date, change.new_date) == (old_date, old_date + dt.timedelta(days=7))
    calendar = Client().get(reverse("publications:calendar")).content.decode()
    assert "Données d&#x27;une vague en retard" in calendar or "Données d'une vague en retard" in calendar
    import icalendar

    cal = icalendar.Calendar.from_ical(Client().get(reverse("publications:calendar_ics")).content)
    event = next(e for e in cal.walk("VEVENT") if p.title_fr in str(e["summary"]))
    assert int(event["sequence"]) == 1 and event.decoded("dtstart").date() == p.release_date


def test_an_unannounced_release_moves_freely(seeded, collection):
    p = make_publication(seeded, collection, "brouillon", 10, announced=False)
    assert release_change_record(p, p.release_date - dt.timedelta(days=3), None, "") is None


def test_markdown_texts_are_rendered_and_cleaned():
    html = markdown_html("# Titre\n\nTexte **gras** [lien](javascript:alert(1)) [ok](https://insee.fr)\n\n"
                         "<script>alert(1)</script><img src=x onerror=alert(1)>\n\n| a | b |\n|---|---|\n| 1 | 2 |")
    assert "<h2>Titre</h2>" in html and "<strong>gras</strong>" in html and "<table>" in html
    assert "<script" not in html and "onerror" not in html and "<img" not in html and "javascript:" not in html
    assert '<a href="https://insee.fr" rel="noopener noreferrer">ok</a>' in html


@pytest.mark.parametrize("text, message", [
    ("canaux satisfaits\ncanaux", "ligne 2"),
    ("canaux satisfaits\n\ntendances médiane", "ligne 3 : indicateur"),
    ("question INCONNUE", "ligne 1 : la question"),
    ("question WHY", "ligne 1 : la question"),  # a free text is not a scored question
    ("canaux nps\ncanaux nps", "ligne 2 : tableau déjà demandé"),
    ("", "au moins un tableau"),
])
def test_a_bad_table_line_is_refused_naming_the_line(text, message):
    with pytest.raises(TableSpecError, match=message):
        parse_tables(text, ["SAT_OVERALL", "NPS"])


def test_the_publication_form_names_the_bad_line(survey, collection):
    from publications.models import Publication

    p = Publication(collection=collection, slug="x", title_fr="X", survey=survey, tables="canaux moyenne\nquestion WHY",
                    release_date=dt.date(2030, 1, 1))
    with pytest.raises(ValidationError) as exc:
        p.full_clean()
    assert "ligne 2" in str(exc.value.message_dict["tables"])
