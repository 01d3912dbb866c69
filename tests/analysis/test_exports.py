"""Exports: microdata (allow-list, formats, labels), codebook, suppressed indicator tables,
formula neutralisation, access, CSRF and the audit trail; the export_microdata command."""

from __future__ import annotations

import io
import json
import re

import numpy as np
import openpyxl
import pandas as pd
import pyreadstat
import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse

from analysis import exports
from analysis.selectors import Dashboard
from analysis.microdata import microdata_for
from jobs.models import ExportJob
from jobs.worker import tasks_drain
from surveys.models import AuditLog, Participant, UserCategory
from tests import factories
from tests.analysis.dashboard_data import SMALL_MEAN_STRINGS, ensure_frames, respond, seed

pytestmark = pytest.mark.django_db
ensure_frames()

INJECTIONS = ["=HYPERLINK(\"http://evil.example\",\"x\")", "+33 1 23", "-2+3", "@SUM(A1:A2)", "\tTAB", "\rCR"]


@pytest.fixture
def seeded(survey):
    seed(survey, texts=INJECTIONS + ["Texte ordinaire"])
    wave = survey.waves.get(code="2026")
    cat = UserCategory.objects.get(code="researchers")
    p = Participant(survey=survey, wave=wave, email="invitee@example.org", category=cat)
    p.issue_token()
    p.save()
    r = respond(survey, wave, "researchers", "website", {"SAT_OVERALL": 4, "NPS": 9, "USED": ["web", "contact"],
                                                         "MICRO": "yes", "WEB_MATRIX": {"find": 4, "understand": 2},
                                                         "VISITS": 12, "SUGG": "Invité"})
    r.participant = p
    r.save()
    return survey


def analyst_client(survey, group="analysts") -> Client:
    c = Client()
    c.force_login(factories.staff_user(f"u-{group}", group, [survey]))
    return c


def post_export(client, survey, **data):
    """Ask for the export in the page, let the worker write it, download it from the job's page."""
    resp = client.post(reverse("analysis:exports", args=[survey.slug]), data)
    if resp.status_code != 302:
        return resp
    job = ExportJob.objects.get(pk=resp["Location"].rstrip("/").rsplit("/", 1)[1])
    assert client.get(resp["Location"]).status_code == 200 and job.status == "queued"
    tasks_drain()
    page = client.get(resp["Location"]).content.decode()
    download = reverse("jobs:export_download", args=[job.pk])
    assert f'href="{download}"' in page, page
    file = client.get(download)
    assert file.status_code == 200 and file["Cache-Control"] == "private, no-store"
    out = HttpResponse(b"".join(file.streaming_content), content_type=file["Content-Type"])
    out["Content-Disposition"] = file["Content-Disposition"]
    return out


def md(survey) -> exports.Microdata:
    return microdata_for(Dashboard(survey), ("2026",))


def read(content: bytes, suffix: str):
    import os
    import tempfile

    fd, path = tempfile.mkstemp(suffix=suffix)
    with os.fdopen(fd, "wb") as fh:
        fh.write(content)
    try:
        return (pyreadstat.read_sav if suffix == ".sav" else pyreadstat.read_dta)(path)
    finally:
        os.unlink(path)


# --------------------------------------------------------------------------------------------
# What microdata may hold
# --------------------------------------------------------------------------------------------
def test_microdata_columns_are_an_explicit_allow_list(seeded):
    m = md(seeded)
    names = [v.source for v in m.variables]
    assert names[:4] == ["wave", "category", "channel", "weight"]
    allowed = {c for c, _q, _i in exports.allowed_columns(Dashboard(seeded).questions_with_choices)}
    assert set(names) <= allowed
    for forbidden in ("response_id", "participant", "participant_id", "email", "ip", "token", "started_at",
                      "submitted_at", "id"):
        assert forbidden not in names
    assert {"USED__web", "USED__contact", "WEB_MATRIX__find", "MICRO", "SUGG", "SAT_OVERALL"} <= set(names)


def test_extra_frame_columns_never_reach_an_export():
    q = type("Q", (), {"code": "SAT", "type": "satisfaction", "choices": (), "text_fr": "Sat", "text_en": ""})
    frame = pd.DataFrame({"response_id": ["u1"], "email": ["x@example.org"], "ip": ["10.0.0.1"],
                          "participant_id": [7], "wave": ["2026"], "category": ["a"], "channel": ["w"],
                          "weight": [1.0], "SAT": [4.0]})
    m = exports.microdata(frame, [q])
    for fmt in ("csv", "xlsx", "parquet", "sav", "dta", "codebook-json", "codebook-md"):
        content = exports.render_microdata(m, fmt)
        for secret in (b"x@example.org", b"10.0.0.1", b"u1", b"participant_id", b"response_id"):
            assert secret not in content, (fmt, secret)


@pytest.mark.parametrize("fmt", exports.MICRODATA_FORMATS)
def test_no_participant_identity_in_any_microdata_format(seeded, fmt):
    response_ids = [str(r) for r in seeded.responses.values_list("id", flat=True)]
    content = exports.render_microdata(md(seeded), fmt)
    assert b"invitee@example.org" not in content
    assert not any(rid.encode() in content or rid.replace("-", "").encode() in content for rid in response_ids)


# --------------------------------------------------------------------------------------------
# Formats
# --------------------------------------------------------------------------------------------
def test_csv_has_a_bom_neutralised_formulas_and_reads_back(seeded):
    content = exports.render_microdata(md(seeded), "csv")
    assert content.startswith(b"\xef\xbb\xbf")
    table = pd.read_csv(io.BytesIO(content[3:]), keep_default_na=False)
    texts = set(table["SUGG"])
    for payload in INJECTIONS:
        if payload in ("\rCR",):
            continue
        assert "'" + payload in texts, payload
        assert payload not in texts
    assert "Texte ordinaire" in texts
    assert any(t.startswith("'\r") or t == "'\rCR" for t in texts) or b"'\rCR" in content
    assert list(table.columns[:5]) == ["row", "wave", "category", "channel", "weight"]
    assert table["row"].tolist() == list(range(1, len(table) + 1))


def test_xlsx_opens_with_a_data_sheet_and_a_codebook_sheet(seeded):
    content = exports.render_microdata(md(seeded), "xlsx")
    wb = openpyxl.load_workbook(io.BytesIO(content))
    assert wb.sheetnames == ["donnees", "codebook"]
    data = wb["donnees"]
    header = [c.value for c in data[1]]
    col = header.index("SUGG") + 1
    values = [data.cell(row=i, column=col).value for i in range(2, data.max_row + 1)]
    for payload in INJECTIONS:
        assert payload not in values
    assert "'=HYPERLINK(\"http://evil.example\",\"x\")" in values
    formulas = [c for row in data.iter_rows() for c in row if c.data_type == "f"]
    assert formulas == []
    book = wb["codebook"]
    rows = list(book.iter_rows(values_only=True))
    assert rows[0][:3] == ("variable", "colonne", "question")
    assert any(r[0] == "SAT_OVERALL" for r in rows)


def test_parquet_reads_back_with_the_same_values(seeded):
    m = md(seeded)
    back = pd.read_parquet(io.BytesIO(exports.render_microdata(m, "parquet")))
    assert len(back) == m.rows
    np.testing.assert_allclose(back["SAT_OVERALL"].astype(float), m.data["SAT_OVERALL"].astype(float))
    assert back["category"].tolist() == m.data["category"].astype(object).tolist()


@pytest.mark.parametrize("fmt", ["sav", "dta"])
def test_spss_and_stata_read_back_with_the_same_values_and_labels(seeded, fmt):
    m = md(seeded)
    df, meta = read(exports.render_microdata(m, fmt), f".{fmt}")
    assert len(df) == m.rows
    names = {v.source: v for v in m.variables}
    np.testing.assert_allclose(df[names["SAT_OVERALL"].name].astype(float), m.data["SAT_OVERALL"].astype(float))
    np.testing.assert_allclose(df[names["VISITS"].name].astype(float), m.data["VISITS"].astype(float))
    labels = meta.variable_value_labels
    # satisfaction scores keep their values and carry the scale's labels
    assert labels[names["SAT_OVERALL"].name][5] == "Très satisfait"
    # categories are numbered, labelled with their names, and decode to the original codes
    cat = names["category"]
    decoded = df[cat.name].map({v: k for k, v in cat.codes.items()})
    assert decoded.tolist() == m.data["category"].astype(object).tolist()
    assert labels[cat.name][cat.codes["researchers"]] == "Chercheurs"
    # single choice: numbered with choice labels; multiple: 0/1 Non/Oui
    micro = names["MICRO"]
    assert labels[micro.name][micro.codes["yes"]] == "Choix yes"
    used = names["USED__web"]
    assert labels[used.name] == {0: "Non", 1: "Oui"}
    expected = m.data["USED__web"].astype("boolean").astype("Float64").astype(float)
    np.testing.assert_allclose(df[used.name].astype(float), expected, equal_nan=True)
    # variable labels: the question text
    assert meta.column_names_to_labels[names["SAT_OVERALL"].name] == "Question SAT_OVERALL"
    # text survives (neutralisation is for spreadsheets only)
    assert "=HYPERLINK(\"http://evil.example\",\"x\")" in set(df[names["SUGG"].name])


def test_stata_names_are_valid_unique_and_at_most_32_characters():
    taken: set[str] = set()
    names = [exports.variable_name(n, taken) for n in [
        "CHANNELS_USED__meetings_events_and_other_very_long_names", "CHANNELS_USED__meetings_events_and_other_very_long_x",
        "1ST", "in", "a-b c", "__x", "wave", "WAVE", "str12"]]
    assert len(set(n.lower() for n in names)) == len(names)
    for n in names:
        assert re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{0,31}", n), n
        assert n not in exports.STATA_RESERVED
    assert names[0] != names[1] and len(names[0]) <= 32


def test_codebook_json_and_markdown_list_every_variable(seeded):
    m = md(seeded)
    doc = json.loads(exports.render_microdata(m, "codebook-json"))
    by_name = {v["name"]: v for v in doc["variables"]}
    assert set(by_name) == {"row"} | {v.name for v in m.variables}
    assert by_name["MICRO"]["type"] == "single" and by_name["MICRO"]["codes"] == {"yes": 1, "no": 2, "nsp": 99}
    assert by_name["MICRO"]["dont_know"] == {"code": 99, "choice": "nsp", "spss": "user-missing", "stata": ".d"}
    assert by_name["SAT_OVERALL"]["label"] == "Question SAT_OVERALL"
    assert by_name["USED_web"]["question"] == "USED" and by_name["USED_web"]["item"] == "web"
    text = exports.render_microdata(m, "codebook-md").decode()
    assert "| SAT_OVERALL | SAT_OVERALL |" in text and "5 = Très satisfait" in text


def test_markdown_codebook_escapes_table_syntax():
    q = type("Q", (), {"code": "X", "type": "text", "choices": (), "text_fr": "a | b\nc", "text_en": ""})
    m = exports.microdata(pd.DataFrame({"X": ["t"]}), [q])
    line = [ln for ln in exports.render_microdata(m, "codebook-md").decode().splitlines() if ln.startswith("| X")][0]
    assert "a \\| b c" in line


# --------------------------------------------------------------------------------------------
# The exports page: POST, CSRF, access, audit
# --------------------------------------------------------------------------------------------
def test_export_page_offers_post_forms_and_writes_no_audit_row_on_get(seeded):
    c = analyst_client(seeded)
    before = AuditLog.objects.filter(action="export").count()
    resp = c.get(reverse("analysis:exports", args=[seeded.slug]))
    assert resp.status_code == 200
    html = resp.content.decode()
    assert html.count('method="post"') >= 2 and "csrfmiddlewaretoken" in html
    assert AuditLog.objects.filter(action="export").count() == before


@pytest.mark.parametrize("fmt,check", [
    ("csv", lambda b: b.startswith(b"\xef\xbb\xbf")),
    ("xlsx", lambda b: b[:2] == b"PK"),
    ("parquet", lambda b: b[:4] == b"PAR1"),
    ("sav", lambda b: b[:4] == b"$FL2"),
    ("dta", lambda b: b[:11] == b"<stata_dta>"),
    ("codebook-json", lambda b: json.loads(b)["survey"] == "test-survey"),
    ("codebook-md", lambda b: b.startswith(b"# ")),
])
def test_microdata_download_is_a_post_audited_without_data(seeded, fmt, check):
    c = analyst_client(seeded)
    resp = post_export(c, seeded, type="microdonnees", format=fmt, vague="2026")
    assert resp.status_code == 200
    assert resp["Content-Disposition"].startswith('attachment; filename="test-survey-microdonnees-2026-')
    assert check(resp.content)
    log = AuditLog.objects.filter(action="export").latest("at")
    assert log.actor == "u-analysts" and log.target == "survey:test-survey"
    assert log.details["format"] == fmt and log.details["kind"] == "microdata"
    assert log.details["rows"] == seeded.responses.filter(status="complete").count()
    assert "Texte ordinaire" not in json.dumps(log.details)


def test_exports_need_the_csrf_token(seeded):
    c = Client(enforce_csrf_checks=True)
    c.force_login(factories.staff_user("ana", "analysts", [seeded]))
    resp = c.post(reverse("analysis:exports", args=[seeded.slug]), {"type": "microdonnees", "format": "csv"})
    assert resp.status_code == 403
    assert not AuditLog.objects.filter(action="export").exists()


def test_export_access_matrix(seeded):
    other = factories.SurveyFactory(slug="autre")
    url = reverse("analysis:exports", args=[seeded.slug])
    cases = [
        (None, 302),
        (User.objects.create_user("resp", password="x" * 20), 403),
        (factories.staff_user("des2", "designers", [other]), 404),
        (factories.staff_user("ana2", "analysts", [other]), 404),
        (factories.staff_user("des", "designers", [seeded]), 403),  # microdata: analysts only
        (factories.staff_user("ana", "analysts", [seeded]), 302),  # to the job's page
        (factories.staff_user("root", superuser=True), 302),
    ]
    for user, expected in cases:
        c = Client()
        if user is not None:
            c.force_login(user)
        resp = c.post(url, {"type": "microdonnees", "format": "csv"})
        assert resp.status_code == expected, (user, resp.status_code)
        if expected != 302:
            assert b"Texte ordinaire" not in resp.content
    assert not AuditLog.objects.filter(action="export").exists()  # audited once written
    tasks_drain()
    assert AuditLog.objects.filter(action="export").count() == 2


def test_designers_may_export_suppressed_indicators_but_not_microdata(seeded):
    c = analyst_client(seeded, "designers")
    page = c.get(reverse("analysis:exports", args=[seeded.slug])).content.decode()
    assert 'value="microdonnees"' not in page and 'value="indicateurs"' in page
    assert post_export(c, seeded, type="indicateurs", format="csv").status_code == 200


@pytest.mark.parametrize("data", [
    {"type": "microdonnees", "format": "exe"},
    {"type": "tout", "format": "csv"},
    {"type": "indicateurs", "format": "sav"},
    {"type": "microdonnees", "format": "csv", "vague": "1999"},
    {"type": "microdonnees", "format": "csv", "owner__password__startswith": "a"},
    {"type": "indicateurs", "format": "csv", "seuil": "2"},
])
def test_export_form_values_outside_the_allow_list_are_400(seeded, data):
    resp = post_export(analyst_client(seeded), seeded, **data)
    assert resp.status_code == 400
    assert not AuditLog.objects.filter(action="export").exists()


# --------------------------------------------------------------------------------------------
# Indicator tables: suppression applied, formulas neutralised
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_indicator_export_applies_suppression(seeded, fmt):
    resp = post_export(analyst_client(seeded), seeded, type="indicateurs", format=fmt, vague="2026")
    assert resp.status_code == 200
    if fmt == "csv":
        assert resp.content.startswith(b"\xef\xbb\xbf")
        table = pd.read_csv(io.BytesIO(resp.content[3:]))
        text = resp.content.decode("utf-8")
    else:
        wb = openpyxl.load_workbook(io.BytesIO(resp.content))
        assert set(wb.sheetnames) >= {"contact_grid", "contact_channel", "contact_total"}
        table = pd.read_excel(io.BytesIO(resp.content), sheet_name="contact_grid")
        text = json.dumps([list(r) for ws in wb for r in ws.iter_rows(values_only=True)], default=str)
    for s in SMALL_MEAN_STRINGS:
        assert s not in text
    assert "suppression_reason" not in text and "primary" not in text  # which cells are small stays unsaid
    if fmt == "csv":
        table = table[table["tableau"] == "contact_grid"]
    small = table[(table["channel"] == "website") & (table["category"] == "journalists")]
    assert len(small) == 3 and small["suppressed"].all() and small["value"].isna().all()
    log = AuditLog.objects.filter(action="export").latest("at")
    assert log.details["kind"] == "indicators" and log.details["min_cell"] == 5


def test_indicator_export_neutralises_formula_labels(seeded):
    UserCategory.objects.filter(code="researchers").update(label_fr="=cmd|' /C calc'!A0")
    resp = post_export(analyst_client(seeded), seeded, type="indicateurs", format="xlsx")
    wb = openpyxl.load_workbook(io.BytesIO(resp.content))
    cells = [c for ws in wb for row in ws.iter_rows() for c in row]
    assert not [c for c in cells if c.data_type == "f"]
    assert "'=cmd|' /C calc'!A0" in {c.value for c in cells}


def test_xlsx_refuses_more_rows_than_a_sheet_holds(seeded, monkeypatch):
    monkeypatch.setattr(exports, "XLSX_MAX_ROWS", 3)
    with pytest.raises(exports.TooManyRows):
        exports.render_microdata(md(seeded), "xlsx")
    c = analyst_client(seeded)
    job_page = c.post(reverse("analysis:exports", args=[seeded.slug]), {"type": "microdonnees", "format": "xlsx"})
    tasks_drain()
    page = c.get(job_page["Location"]).content.decode()
    assert "L'export a échoué" in page and "choisissez CSV" in page  # the reason, and no link
    job = ExportJob.objects.get()
    assert job.status == "failed" and c.get(reverse("jobs:export_download", args=[job.pk])).status_code == 410
    assert not AuditLog.objects.filter(action="export").exists()


def test_ensure_no_hidden_values_guard():
    ok = pd.DataFrame({"value": [np.nan, 3.0], "suppressed": [True, False]})
    exports.ensure_no_hidden_values([ok])
    with pytest.raises(AssertionError):
        exports.ensure_no_hidden_values([pd.DataFrame({"value": [1.3], "suppressed": [True]})])


def test_neutralise_touches_text_only():
    assert exports.neutralise("=1+1") == "'=1+1" and exports.neutralise("-3") == "'-3"
    assert exports.neutralise(-3.5) == -3.5 and exports.neutralise("ok") == "ok"
    frame = pd.DataFrame({"n": [-1, 2], "t": ["@x", "y"], "c": pd.Categorical(["+a", "b"])})
    out = exports.neutralise_frame(frame)
    assert out["n"].tolist() == [-1, 2] and out["t"].tolist() == ["'@x", "y"] and out["c"].tolist() == ["'+a", "b"]


# --------------------------------------------------------------------------------------------
# The command
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", exports.MICRODATA_FORMATS)
def test_export_microdata_command_writes_the_file_and_audits(seeded, tmp_path, fmt):
    out = tmp_path / f"export.{fmt}"
    call_command("export_microdata", "--survey", seeded.slug, "--format", fmt, "-o", str(out),
                 stderr=io.StringIO())
    content = out.read_bytes()
    assert content == exports.render_microdata(md(seeded), fmt) or fmt in ("xlsx", "parquet", "sav", "dta")
    assert b"invitee@example.org" not in content
    if fmt in ("sav", "dta"):
        df, _meta = read(content, f".{fmt}")
        assert len(df) == seeded.responses.filter(status="complete").count()
    log = AuditLog.objects.filter(action="export").latest("at")
    assert log.actor.startswith("cli:") and log.details["format"] == fmt


def test_export_microdata_command_to_stdout_and_errors(seeded):
    out = io.StringIO()
    call_command("export_microdata", "--survey", seeded.slug, "--format", "codebook-json", stdout=out)
    assert json.loads(out.getvalue())["survey"] == seeded.slug
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("export_microdata", "--survey", "nope", "--format", "csv")
    with pytest.raises(CommandError):
        call_command("export_microdata", "--survey", seeded.slug, "--format", "csv", "--wave", "1999")
