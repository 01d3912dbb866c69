"""``python -m analysis`` run as a real subprocess, without Django settings."""

from __future__ import annotations

import csv
import io
import json
import math
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

ROOT = Path(__file__).resolve().parents[2]

DATA = """response_id,wave,category,channel,weight,SAT,NPS
1,2026,researchers,website,1.0,4,9
2,2026,researchers,website,2.0,5,10
3,2026,researchers,contact,1.0,,3
4,2026,researchers,website,1.5,2,7
5,2026,researchers,website,1.0,3,
6,2026,researchers,contact,1.0,5,8
7,2026,students,website,1.0,4,9
8,2026,students,website,1.0,1,0
"""


FILES = {
    "data.csv": DATA,
    "bad_score.csv": "category,SAT\na,4\na,5\na,very good\na,oops\n",
    "bad_weight.csv": "category,weight,SAT\na,1,4\na,-0.5,5\n",
    "bad_nps.csv": "NPS\n9\n12\n",
    "fr.csv": "category;weight;SAT\na;1,5;4\na;0,5;2\n",
    "margins.csv": ("variable,category,target\ncategory,researchers,600\n"
                    "category,students,400\nchannel,website,0.7\nchannel,contact,0.3\n"),
    "margins_empty_target.csv": ("variable,category,target\ncategory,researchers,1\n"
                                 "category,students,1\ncategory,journalists,1\n"),
    "margins_bad_target.csv": ("variable,category,target\ncategory,researchers,1\n"
                               "category,students,lots\n"),
    "margins_bad_header.csv": "var,cat,share\ncategory,researchers,1\n",
    "margins_bad_variable.csv": "variable,category,target\nregion,north,1\n",
}

# Every CLI run of this module, started concurrently once (each is a fresh interpreter that
# imports pandas: running them in parallel keeps the suite fast). {name} is the temp folder.
CASES = {
    "mean_json": "indicators {d}/data.csv --score SAT --kind mean",
    "satisfied_by": "indicators {d}/data.csv --score SAT --kind satisfied --by category",
    "satisfied_csv": ("indicators {d}/data.csv --score SAT --kind satisfied --by category "
                      "--min-cell 0 --format csv"),
    "nps_two_by": ("indicators {d}/data.csv --score NPS --kind nps --by category channel "
                   "--weight weight --min-cell 1"),
    "semicolon": "indicators {d}/fr.csv --score SAT --kind mean --weight weight --min-cell 0",
    "missing_score": "indicators {d}/data.csv --score SAT_WEB --kind mean",
    "missing_by": "indicators {d}/data.csv --score SAT --kind mean --by region",
    "bad_score": "indicators {d}/bad_score.csv --score SAT --kind mean",
    "bad_weight": "indicators {d}/bad_weight.csv --score SAT --kind mean --weight weight",
    "bad_nps": "indicators {d}/bad_nps.csv --score NPS --kind nps",
    "bad_kind": "indicators {d}/data.csv --score SAT --kind median",
    "no_file": "indicators {d}/nope.csv --score SAT --kind mean",
    "rake": "rake {d}/data.csv --margins {d}/margins.csv --out {d}/out.csv",
    "rake_empty_target": "rake {d}/data.csv --margins {d}/margins_empty_target.csv",
    "rake_bad_target": "rake {d}/data.csv --margins {d}/margins_bad_target.csv",
    "rake_bad_header": "rake {d}/data.csv --margins {d}/margins_bad_header.csv",
    "rake_bad_variable": "rake {d}/data.csv --margins {d}/margins_bad_variable.csv",
}


def _env() -> dict:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env["PYTHONPATH"] = str(ROOT)
    return env


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("cli")
    for name, text in FILES.items():
        (d / name).write_text(text, encoding="utf-8")
    return d


@pytest.fixture(scope="module")
def cli(folder) -> dict[str, subprocess.CompletedProcess]:
    def one(args: str) -> subprocess.CompletedProcess:
        argv = [a.replace("{d}", str(folder)) for a in args.split()]
        return subprocess.run([sys.executable, "-m", "analysis", *argv], cwd=ROOT, env=_env(),
                              capture_output=True, text=True, timeout=120)

    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = {name: pool.submit(one, args) for name, args in CASES.items()}
        return {name: f.result() for name, f in futures.items()}


def assert_one_line_error(proc, *fragments):
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    assert proc.stdout == ""


def test_indicators_mean_overall_as_json(cli):
    proc = cli["mean_json"]
    assert proc.returncode == 0, proc.stderr
    records = json.loads(proc.stdout)
    answers = [4, 5, 2, 3, 5, 4, 1]
    mean = sum(answers) / 7
    lo, hi = stats.t.interval(0.95, 6, loc=mean, scale=stats.sem(answers))
    assert records == [{"n": 7, "n_eff": pytest.approx(7.0), "value": pytest.approx(mean),
                        "ci_low": pytest.approx(lo), "ci_high": pytest.approx(hi),
                        "suppressed": False}]


def test_indicators_by_with_suppression_nulls_the_figures(cli):
    proc = cli["satisfied_by"]
    assert proc.returncode == 0, proc.stderr
    records = {r["category"]: r for r in json.loads(proc.stdout)}
    # researchers have 5 answers (published), students 2 (hidden) — and with the overall
    # figure as margin, a lone hidden cell would be recomputable: both are hidden
    assert records["students"] == {"category": "students", "n": None, "n_eff": None,
                                   "value": None, "ci_low": None, "ci_high": None,
                                   "suppressed": True}
    assert records["researchers"]["suppressed"] is True


def test_indicators_min_cell_zero_disables_suppression_csv(cli):
    proc = cli["satisfied_csv"]
    assert proc.returncode == 0, proc.stderr
    rows = list(csv.DictReader(io.StringIO(proc.stdout)))
    assert list(rows[0]) == ["category", "n", "n_eff", "value", "ci_low", "ci_high",
                             "suppressed"]
    r = {row["category"]: row for row in rows}["researchers"]
    lo, hi = proportion_confint(3, 5, method="wilson")
    assert int(r["n"]) == 5 and r["suppressed"] == "false"
    assert float(r["value"]) == pytest.approx(60.0)
    assert float(r["ci_low"]) == pytest.approx(100 * lo)
    assert float(r["ci_high"]) == pytest.approx(100 * hi)


def test_indicators_weighted_nps_with_two_by(cli):
    proc = cli["nps_two_by"]
    assert proc.returncode == 0, proc.stderr
    records = {(r["category"], r["channel"]): r for r in json.loads(proc.stdout)}
    web = records[("researchers", "website")]
    # NPS answers 9 (w1), 10 (w2), 7 (w1.5): promoters 3/4.5, detractors 0
    assert web["value"] == pytest.approx(100 * 3 / 4.5)
    assert web["n"] == 3 and web["n_eff"] == pytest.approx(4.5 ** 2 / (1 + 4 + 2.25))
    assert all(math.isfinite(r["value"]) for r in records.values())


def test_semicolon_csv_with_decimal_comma_is_read(cli):
    proc = cli["semicolon"]
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)[0]["value"] == pytest.approx((1.5 * 4 + 0.5 * 2) / 2)


def test_missing_column_exits_2_naming_it(cli):
    assert_one_line_error(cli["missing_score"], "'SAT_WEB'")


def test_missing_by_column_exits_2_naming_it(cli):
    assert_one_line_error(cli["missing_by"], "'region'")


def test_non_numeric_score_exits_2_naming_column_and_first_bad_row(cli):
    assert_one_line_error(cli["bad_score"], "'SAT'", "'very good'", "data row 3")


def test_negative_weight_exits_2_naming_column_and_row(cli):
    assert_one_line_error(cli["bad_weight"], "'weight'", "negative", "data row 2")


def test_nps_outside_scale_exits_2(cli):
    assert_one_line_error(cli["bad_nps"], "'NPS'", "data row 2")


def test_unknown_kind_and_missing_file_exit_2(cli):
    assert_one_line_error(cli["bad_kind"], "--kind")
    assert_one_line_error(cli["no_file"], "not found")


def test_rake_writes_weights_reaching_the_margins(cli, folder):
    proc = cli["rake"]
    out = folder / "out.csv"
    assert proc.returncode == 0, proc.stderr
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert len(rows) == 8 and rows[0]["SAT"] == "4"  # data unchanged, weight replaced
    w = [float(r["weight"]) for r in rows]
    assert sum(w) / len(w) == pytest.approx(1.0)
    total = sum(w)
    share = lambda col, val: sum(x for x, r in zip(w, rows) if r[col] == val) / total  # noqa
    assert share("category", "students") == pytest.approx(0.4, rel=1e-6)
    assert share("channel", "contact") == pytest.approx(0.3, rel=1e-6)


def test_rake_target_category_without_respondent_exits_2(cli):
    assert_one_line_error(cli["rake_empty_target"], "'journalists'")


def test_rake_bad_margins_exit_2_naming_the_row(cli):
    assert_one_line_error(cli["rake_bad_target"], "'target'", "margins row 2")
    assert_one_line_error(cli["rake_bad_header"], "'variable'")
    assert_one_line_error(cli["rake_bad_variable"], "'region'", "margins row 1")


def test_core_modules_and_cli_import_no_django():
    code = ("import sys, analysis.indicators, analysis.weighting, analysis.disclosure, "
            "analysis.waves, analysis.cli; "
            "assert not [m for m in sys.modules if m.split('.')[0] == 'django'], 'django'")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=_env(),
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
