"""Golden files: the demo survey's exports and every dashboard data CSV stay what they were.

Why: issue 15 reorganises the analysis side (the loader, the core, the web layer) without
changing behaviour. This test pins the observable output of that whole chain on the demo
survey — the microdata exports (CSV, XLSX, SPSS, Stata, Parquet, both codebooks), the indicator
exports (CSV, XLSX) and each ``.csv`` link of the analyst pages — against files written by the
code as it was before the refactor (``tests/data/golden/``).

Deterministic data: the demo questionnaire (``surveys/demo/survey.json``, as ``load_demo``
imports it) filled by the demo's own generator (``generate_responses.generate``, seed 42) with
response ids drawn from a seeded generator instead of ``uuid4``, then weighted by the demo's
own raking (``analysis.demo.demo_weighting``), all under a frozen clock (``timezone.now``). The
waves' dates come from the JSON, so nothing depends on the day the test runs; weighting runs are
named by their rank, not their id (which depends on the tests run before, on PostgreSQL).

One set of files per database engine (``golden/sqlite``, ``golden/postgresql``), made by the
code before the refactor. On SQLite everything is exact, floats to the last bit: its test database
comes back exactly as it was after each test. On PostgreSQL it does not (sequences are not rolled
back, nor the space of rolled-back rows), and after other tests the demo's raking gives weights
that differ in their last bit (seen after ``tests/analysis/test_weighting_runs.py``), so do the
weighted figures (0.4564247138620163 against ...62 in a distribution CSV, which prints floats in
full) — the same code, the same data, a sum in another order.
There, fields that are decimal numbers on both sides (CSV fields with a point or an exponent, XLSX
and Parquet/SAV/DTA floats) must be equal to 12 significant digits, all the rest exactly: the
same files, lines, row order, codes, counts, labels, texts, dtypes and metadata.

How strict: CSV, JSON and Markdown files byte for byte (PostgreSQL: see above). XLSX, Parquet,
SAV and DTA files hold write times and library versions, so they are compared by content: XLSX
every cell value, number format and type of every sheet, and the sheet names (openpyxl); Parquet
the frame (values and dtypes) and the Arrow schema; SAV/DTA the data and every label, format,
measure and missing-value range pyreadstat reads (all but the file's timestamps).

Regenerate (only when a change of output is intended, and say so in the commit), on both engines:

    ECOUTE_REGEN_GOLDEN=1 ECOUTE_TESTING=1 .venv/bin/pytest -q tests/test_golden_exports.py
    ECOUTE_REGEN_GOLDEN=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/ecoute ECOUTE_TESTING=1 \
        .venv/bin/pytest -q tests/test_golden_exports.py
"""

from __future__ import annotations

import csv
import html
import io
import math
import os
import random
import re
import sys
import tempfile
import types
import uuid
from datetime import UTC, datetime
from pathlib import Path

import openpyxl
import pandas as pd
import pyarrow.parquet as pq
import pyreadstat
import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from analysis.demo import demo_weighting
from jobs.models import ExportJob
from jobs.worker import tasks_drain
from surveys.management.commands import generate_responses
from tests import factories

GOLDEN_ROOT = Path(__file__).parent / "data" / "golden"
REGEN = os.environ.get("ECOUTE_REGEN_GOLDEN") == "1"
RESPONSES = 400
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)  # inside the demo's second wave
MICRODATA_FORMATS = ["csv", "xlsx", "parquet", "sav", "dta", "codebook-json", "codebook-md"]
INDICATOR_FORMATS = ["csv", "xlsx"]
SUFFIX = {"codebook-json": "json", "codebook-md": "md"}
RTOL = 1e-12  # PostgreSQL: floats to 12 significant digits (see the module docstring)
ATOL = 1e-9  # ... and a rounding residue next to zero (2.8e-15 where the other run gives 0.0) is zero


# --------------------------------------------------------------------------------------------
# The data
# --------------------------------------------------------------------------------------------
def _fill_demo(survey, monkeypatch) -> None:
    """The demo's responses and weights, with seeded response ids (``generate`` draws uuid4)."""
    ids = random.Random(2026)
    fake_uuid = types.SimpleNamespace(uuid4=lambda: uuid.UUID(int=ids.getrandbits(128), version=4))
    generate = generate_responses.generate  # the command's generator, wherever it is defined
    monkeypatch.setattr(sys.modules[generate.__module__], "uuid", fake_uuid)
    waves = list(survey.waves.all())
    generate(survey, waves, RESPONSES, seed=42)
    assert demo_weighting(survey), "the demo weighting ran for no wave"


# --------------------------------------------------------------------------------------------
# What the analyst downloads
# --------------------------------------------------------------------------------------------
def _export(client: Client, survey, what: str, fmt: str) -> bytes:
    """The export as the page gives it: POST, the worker writes it, download from the job page."""
    resp = client.post(reverse("analysis:exports", args=[survey.slug]), {"type": what, "format": fmt})
    assert resp.status_code == 302, (what, fmt, resp.status_code)
    job = ExportJob.objects.get(pk=resp["Location"].rstrip("/").rsplit("/", 1)[1])
    tasks_drain()
    file = client.get(reverse("jobs:export_download", args=[job.pk]))
    assert file.status_code == 200, (what, fmt, file.status_code)
    return b"".join(file.streaming_content)


def _links(page: str, prefix: str) -> list[str]:
    return [html.unescape(h) for h in re.findall(r'href="([^"#]+)"', page) if html.unescape(h).startswith(prefix)]


def _dashboard_csvs(client: Client, survey) -> dict[str, bytes]:
    """Every ``.csv`` link of the analyst pages of the survey (pages found by following links)."""
    prefix = reverse("analysis:overview", args=[survey.slug])
    pages, seen, csvs = [prefix], {prefix}, {}
    while pages:
        url = pages.pop(0)
        resp = client.get(url)
        assert resp.status_code == 200, (url, resp.status_code)
        for link in _links(resp.content.decode(), prefix):
            path = link.split("?", 1)[0]
            if path.endswith(".csv"):
                csvs.setdefault(link, None)
            elif "?" not in link and link not in seen:
                seen.add(link)
                pages.append(link)
    assert csvs, "no data CSV link found on the analyst pages"
    out = {}
    for link in sorted(csvs):
        resp = client.get(link)
        assert resp.status_code == 200, (link, resp.status_code)
        out[_file_name(_by_rank(link[len(prefix):], survey))] = (
            b"".join(resp.streaming_content) if resp.streaming else resp.content)
    return out


def _by_rank(relative: str, survey) -> str:
    """Weighting runs by their rank in the survey rather than their id: PostgreSQL does not give
    back the ids a rolled-back test used, so the ids depend on the tests that ran before."""
    from analysis.models import WeightingRun

    ranks = {pk: i + 1 for i, pk in enumerate(WeightingRun.objects.filter(wave__survey=survey)
                                                  .order_by("pk").values_list("pk", flat=True))}
    return re.sub(r"/calages/(\d+)/", lambda m: f"/calages/{ranks[int(m.group(1))]}/", relative)


def _file_name(relative: str) -> str:
    """A link below the survey's pages as a flat file name: ``canaux/donnees/x.csv?vague=2026``
    → ``dashboard--canaux--donnees--x--vague=2026.csv``."""
    path, _, query = relative.partition("?")
    stem = path[: -len(".csv")].strip("/").replace("/", "--")
    if query:
        stem += "--" + re.sub(r"[^A-Za-z0-9=_.-]+", "_", query)
    return f"dashboard--{stem}.csv"


# --------------------------------------------------------------------------------------------
# Comparisons
# --------------------------------------------------------------------------------------------
def _xlsx_content(data: bytes) -> dict:
    book = openpyxl.load_workbook(io.BytesIO(data))
    return {"sheets": book.sheetnames,
            **{name: [[(c.value, c.number_format, c.data_type) for c in row] for row in book[name].iter_rows()]
               for name in book.sheetnames}}


def _parquet_content(data: bytes) -> tuple[pd.DataFrame, object]:
    schema = pq.read_schema(io.BytesIO(data))
    return pd.read_parquet(io.BytesIO(data)), schema.remove_metadata()


def _readstat_content(data: bytes, suffix: str) -> tuple[pd.DataFrame, dict]:
    fd, path = tempfile.mkstemp(suffix=suffix)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    try:
        df, meta = (pyreadstat.read_sav if suffix == ".sav" else pyreadstat.read_dta)(path)
    finally:
        os.unlink(path)
    kept = {k: v for k, v in vars(meta).items() if k not in ("creation_time", "modification_time")}
    return df, kept


def _assert_same(name: str, got: bytes, want: bytes, exact: bool) -> None:
    """``exact``: floats too to the last bit (SQLite); else to :data:`RTOL` (PostgreSQL)."""
    suffix = Path(name).suffix
    tolerance = {"check_exact": True} if exact else {"check_exact": False, "rtol": RTOL, "atol": ATOL}
    if suffix == ".xlsx":
        assert _close(_xlsx_content(got), _xlsx_content(want), exact), name
    elif suffix == ".parquet":
        (gdf, gschema), (wdf, wschema) = _parquet_content(got), _parquet_content(want)
        assert gschema.equals(wschema), (name, gschema, wschema)
        pd.testing.assert_frame_equal(gdf, wdf, obj=name, **tolerance)
    elif suffix in (".sav", ".dta"):
        (gdf, gmeta), (wdf, wmeta) = _readstat_content(got, suffix), _readstat_content(want, suffix)
        pd.testing.assert_frame_equal(gdf, wdf, obj=name, **tolerance)
        assert gmeta == wmeta, name
    elif got != want:
        assert not exact and suffix == ".csv" and _csv_close(got, want), (
            f"{name} differs from its golden file: {_first_difference(got, want)}")


_FLOAT = re.compile(r"-?\d+\.\d+(e[-+]?\d+)?|-?\d+e[-+]?\d+")  # a decimal point or an exponent: not a code


def _close(got, want, exact: bool) -> bool:
    """Equal structures; floats equal to :data:`RTOL` unless ``exact``."""
    if isinstance(got, (list, tuple)) and isinstance(want, (list, tuple)):
        return type(got) is type(want) and len(got) == len(want) and all(
            _close(g, w, exact) for g, w in zip(got, want))
    if isinstance(got, dict) and isinstance(want, dict):
        return got.keys() == want.keys() and all(_close(got[k], want[k], exact) for k in got)
    if isinstance(got, float) and isinstance(want, float) and not exact:
        return math.isclose(got, want, rel_tol=RTOL, abs_tol=ATOL)
    return got == want


def _csv_close(got: bytes, want: bytes) -> bool:
    """The same bytes line by line, save fields that are both decimal numbers equal to :data:`RTOL`."""
    glines, wlines = got.split(b"\r\n"), want.split(b"\r\n")
    if len(glines) != len(wlines):
        return False
    for g, w in zip(glines, wlines):
        if g == w:
            continue
        (gfields,), (wfields,) = csv.reader([g.decode("utf-8")]), csv.reader([w.decode("utf-8")])
        if len(gfields) != len(wfields):
            return False
        for a, b in zip(gfields, wfields):
            if a != b and not (_FLOAT.fullmatch(a) and _FLOAT.fullmatch(b)
                               and math.isclose(float(a), float(b), rel_tol=RTOL, abs_tol=ATOL)):
                return False
    return True


def _first_difference(got: bytes, want: bytes) -> str:
    g, w = got.decode("utf-8", "replace").splitlines(), want.decode("utf-8", "replace").splitlines()
    for i, (a, b) in enumerate(zip(g, w)):
        if a != b:
            return f"line {i + 1}: got {a!r}, want {b!r}"
    return f"{len(g)} lines, want {len(w)}"


# --------------------------------------------------------------------------------------------
# The test
# --------------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_demo_exports_and_dashboard_csvs_match_the_golden_files(demo_survey, monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: NOW)  # a frozen clock (freezegun upsets pydantic)
    _fill_demo(demo_survey, monkeypatch)
    client = Client()
    client.force_login(factories.staff_user("golden-analyst", "analysts", [demo_survey]))
    outputs = {f"microdata.{SUFFIX.get(fmt, fmt)}": _export(client, demo_survey, "microdonnees", fmt)
               for fmt in MICRODATA_FORMATS}
    outputs |= {f"indicators.{fmt}": _export(client, demo_survey, "indicateurs", fmt)
                for fmt in INDICATOR_FORMATS}
    outputs |= _dashboard_csvs(client, demo_survey)
    golden = GOLDEN_ROOT / connection.vendor  # sqlite or postgresql: see the module docstring
    if REGEN:
        golden.mkdir(parents=True, exist_ok=True)
        for old in golden.iterdir():
            old.unlink()
        for name, data in outputs.items():
            (golden / name).write_bytes(data)
        pytest.skip(f"golden files regenerated: {len(outputs)} files in {golden}")
    expected = sorted(p.name for p in golden.iterdir())
    assert sorted(outputs) == expected, "the set of exports and dashboard CSV links changed"
    failures = []
    for name in expected:
        try:
            _assert_same(name, outputs[name], (golden / name).read_bytes(), exact=connection.vendor == "sqlite")
        except AssertionError as exc:
            failures.append(f"{name}: {str(exc)[:300]}")
    assert not failures, "\n".join(failures)
