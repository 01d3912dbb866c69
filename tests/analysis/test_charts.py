"""analysis.charts: figures drawn from indicator tables, suppressed cells as labelled gaps."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from django.utils import translation

from analysis import charts, disclosure, indicators, waves

HIDDEN_MEAN = 1.25  # the mean the hidden cell would have (answers 1, 1, 1, 2): never in the JSON


@pytest.fixture(autouse=True)
def french():
    with translation.override("fr"):
        yield


def frame() -> pd.DataFrame:
    """website × {researchers: 40, public: 30, journalists: 4 (hidden)}; contact × {researchers: 20,
    public: 25, journalists: 12}."""
    rows = []
    sizes = {("website", "researchers"): 40, ("website", "public"): 30, ("website", "journalists"): 4,
             ("contact", "researchers"): 20, ("contact", "public"): 25, ("contact", "journalists"): 12}
    for (ch, cat), size in sizes.items():
        for i in range(size):
            if (ch, cat) == ("website", "journalists"):
                score = [1, 1, 1, 2][i]
            else:
                score = 3 + (i % 3)
            rows.append({"channel": ch, "category": cat, "SAT": float(score), "NPS": float(5 + score), "weight": 1.0})
    df = pd.DataFrame(rows)
    df["channel"] = pd.Categorical(df["channel"], categories=["website", "contact"])
    df["category"] = pd.Categorical(df["category"], categories=["researchers", "public", "journalists"])
    return df


def grid(kind: str = "mean") -> pd.DataFrame:
    t = indicators.by_contact_channel(frame(), sat_col="SAT", nps_col="NPS", by=["channel", "category"])
    return t[t["kind"] == kind].reset_index(drop=True)


ROWS = {"website": "Site internet", "contact": "Service de contact"}
COLS = {"researchers": "Chercheurs", "public": "Grand public", "journalists": "Journalistes"}


def dump(fig) -> str:
    return json.dumps(charts.figure_json(fig))


def test_heatmap_lays_out_the_table_in_label_order_with_values_as_text():
    t = grid("mean")
    fig = charts.heatmap(t, rows="channel", cols="category", row_labels=ROWS, col_labels=COLS, kind="mean",
                         title="Note", value_label="note moyenne")
    trace = fig.data[0]
    assert list(trace.y) == ["Site internet", "Service de contact"]
    assert list(trace.x) == ["Chercheurs", "Grand public", "Journalistes"]
    shown = 0
    for rec in t.to_dict("records"):
        i, j = list(ROWS).index(rec["channel"]), list(COLS).index(rec["category"])
        if rec["suppressed"]:
            assert trace.z[i][j] is None
            continue
        shown += 1
        assert trace.z[i][j] == pytest.approx(rec["value"])
        assert trace.text[i][j].rstrip("*") == charts.fmt_value(rec["value"], "mean")
        assert "," in trace.text[i][j]  # French decimal comma
        assert trace.customdata[i][j][0] == str(int(rec["n"]))
    assert shown >= 2


def test_heatmap_draws_a_suppressed_cell_as_a_gap_marked_secret_without_its_figures():
    t = grid("mean")
    hidden = t[t["suppressed"]]
    assert {("website", "journalists")} <= set(zip(hidden["channel"], hidden["category"]))
    fig = charts.heatmap(t, rows="channel", cols="category", row_labels=ROWS, col_labels=COLS, kind="mean",
                         title="Note")
    trace = fig.data[0]
    assert trace.z[0][2] is None and trace.text[0][2] == "" and list(trace.customdata[0][2]) == ["", "", ""]
    marks = [(a.x, a.y, a.text) for a in fig.layout.annotations]
    assert ("Journalistes", "Site internet", "secret") in marks
    assert len(marks) == int(t["suppressed"].sum())
    assert fig.layout.annotations[0].font.style == "italic"  # not <i>: a style attribute the CSP blocks
    text = dump(fig)
    assert not re.search(r"(?<![\d.])1\.25(?!\d)", text) and "1,25" not in text


def test_the_hidden_mean_would_be_distinctive():
    raw = indicators.mean_score(frame(), "SAT", by=["channel", "category"])
    cell = raw[(raw["channel"] == "website") & (raw["category"] == "journalists")]
    assert cell["value"].iloc[0] == pytest.approx(HIDDEN_MEAN)


def test_heatmap_skips_cells_that_do_not_exist_and_codes_not_in_the_labels():
    t = grid("satisfied")
    t = t[~((t["channel"] == "contact") & (t["category"] == "public"))]
    fig = charts.heatmap(t, rows="channel", cols="category", row_labels=ROWS,
                         col_labels={"researchers": "Chercheurs", "public": "Grand public"}, kind="satisfied",
                         title="x")
    assert list(fig.data[0].x) == ["Chercheurs", "Grand public"]
    assert fig.data[0].z[1][1] is None
    assert all(a.text == "secret" for a in fig.layout.annotations)
    assert fig.data[0].zmin == 0 and fig.data[0].zmax == 100


def test_bars_carry_the_ci_as_asymmetric_error_bars_and_a_total_first():
    t = indicators.by_contact_channel(frame(), sat_col="SAT", nps_col="NPS", by=["channel"])
    t = t[t["kind"] == "satisfied"]
    total = indicators.by_contact_channel(frame(), sat_col="SAT", nps_col="NPS", by=[])
    total = total[total["kind"] == "satisfied"]
    fig = charts.bar_ci(t, by="channel", labels=ROWS, kind="satisfied", title="x", total=total,
                        total_label="Ensemble")
    bar = fig.data[0]
    assert list(bar.y) == ["Ensemble", "Site internet", "Service de contact"]
    web = t[t["channel"] == "website"].iloc[0]
    assert bar.x[1] == pytest.approx(web["value"])
    assert bar.error_x.array[1] == pytest.approx(web["ci_high"] - web["value"])
    assert bar.error_x.arrayminus[1] == pytest.approx(web["value"] - web["ci_low"])
    assert bar.customdata[1][0] == str(int(web["n"]))


def test_bars_mark_suppressed_and_low_precision_values():
    t = indicators.by_contact_channel(frame(), sat_col="SAT", nps_col="NPS", by=["channel"], min_cell=70)
    t = t[t["kind"] == "mean"]
    assert t["suppressed"].sum() == 2  # contact (57) hidden, website (74) its complement
    fig = charts.bar_ci(t, by="channel", labels=ROWS, kind="mean", title="x")
    assert list(fig.data[0].x) == [None, None]
    assert [a.text for a in fig.layout.annotations] == ["secret", "secret"]
    t = indicators.by_contact_channel(frame(), sat_col="SAT", nps_col="NPS", by=["category"])
    t = t[t["kind"] == "mean"]
    fig = charts.bar_ci(t, by="category", labels=COLS, kind="mean", title="x")
    low = t.set_index("category")["low_precision"]
    for name, text, colour in zip(fig.data[0].y, fig.data[0].text, fig.data[0].marker.color):
        code = {v: k for k, v in COLS.items()}[name]
        if bool(low[code]) and not bool(t.set_index("category")["suppressed"][code]):
            assert text.endswith("*") and colour == charts.LIGHT_BLUE


def test_trend_lines_draw_ci_bands_gaps_and_significant_changes():
    df = pd.concat([frame().assign(wave="2025"), frame().assign(wave="2026")], ignore_index=True)
    df.loc[(df["wave"] == "2026") & (df["channel"] == "website"), "SAT"] = 5.0  # a clear improvement
    tables = {}
    for w in ("2025", "2026"):
        t = indicators.by_contact_channel(df[df["wave"] == w], sat_col="SAT", nps_col="NPS", by=["channel"])
        tables[w] = t[t["kind"] == "mean"]
    trend = pd.concat([t.assign(wave=w) for w, t in tables.items()], ignore_index=True)
    changes = waves.compare(tables["2025"], tables["2026"], "mean", by="channel").assign(wave_a="2025",
                                                                                       wave_b="2026")
    assert bool(changes.set_index("channel")["significant"]["website"])
    fig = charts.trend_lines(trend, changes, series="channel", labels=ROWS,
                             wave_labels={"2025": "Vague 2025", "2026": "Vague 2026"}, kind="mean", title="x")
    lines = [t for t in fig.data if t.mode == "lines+markers"]
    assert [t.name for t in lines] == ["Site internet", "Service de contact"]
    bands = [t for t in fig.data if t.fill == "tonexty"]
    assert len(bands) == 2
    web = tables["2026"].set_index("channel").loc["website"]
    assert lines[0].y[1] == pytest.approx(web["value"])
    stars = [t for t in fig.data if t.name == "Évolution significative"]
    assert len(stars) == 1 and list(stars[0].x) == ["Vague 2026"]
    trend.loc[(trend["wave"] == "2025") & (trend["channel"] == "contact"), ["value", "suppressed"]] = [np.nan, True]
    fig = charts.trend_lines(trend, None, series="channel", labels=ROWS,
                             wave_labels={"2025": "Vague 2025", "2026": "Vague 2026"}, kind="mean", title="x")
    contact = [t for t in fig.data if t.name == "Service de contact"][0]
    assert contact.y[0] is None
    assert any("secret" in a.text for a in fig.layout.annotations)


def test_stacked_distribution_shows_shares_and_hides_suppressed_categories():
    df = frame()
    t = indicators.distribution(df, "SAT", by=["category"], codes=[1, 2, 3, 4, 5])
    t = disclosure.suppress(t, min_cell=20, n_col="n_cell", by_rows=["category"])
    labels = {v: f"{v}" for v in range(1, 6)}
    fig = charts.stacked_distribution(t, by="category", labels=COLS, code_labels=labels, title="x")
    assert fig.layout.barmode == "stack" and len(fig.data) == 5
    hidden = set(t.loc[t["suppressed"], "category"])
    assert "journalists" in hidden
    for trace in fig.data:
        assert trace.x[list(COLS).index("journalists")] is None
    visible = [c for c in COLS if c not in hidden]
    shown = t[(t["category"] == visible[0]) & (t["code"] == 4)].iloc[0]
    assert fig.data[3].x[list(COLS).index(visible[0])] == pytest.approx(100 * shown["share"])
    assert any(a.text == "secret" for a in fig.layout.annotations)


def test_labels_from_the_database_are_escaped_for_plotly():
    t = grid("mean")
    fig = charts.heatmap(t, rows="channel", cols="category", row_labels=ROWS,
                         col_labels={**COLS, "public": '<img src=x onerror=alert(1)>'}, kind="mean", title="<b>t</b>")
    text = dump(fig)
    assert "<img" not in text and "&lt;img src=x" in text
    assert "&lt;b&gt;t&lt;/b&gt;" in text


def test_figure_json_is_plain_json_with_the_config_and_no_template_bloat():
    fig = charts.heatmap(grid(), rows="channel", cols="category", row_labels=ROWS, col_labels=COLS, kind="mean",
                         title="x")
    payload = charts.figure_json(fig)
    assert set(payload) == {"data", "layout", "config"}
    assert payload["config"]["displaylogo"] is False
    assert len(json.dumps(payload)) < 10_000
    assert payload["layout"]["separators"] == ", "
    assert "mapbox" not in json.dumps(payload) and "geo" not in payload["layout"]


def test_chart_code_computes_no_statistics():
    """Charts only lay tables out: no indicator or aggregation call in the module."""
    import inspect

    source = inspect.getsource(charts)
    for forbidden in ("groupby(", ".mean(", ".std(", ".sum(", "np.", "import numpy", "from . import",
                      "from .indicators", "from .disclosure", "from .waves", "scipy"):
        assert forbidden not in source, forbidden


def test_number_formats_follow_the_language():
    assert charts.fmt_value(73.4, "satisfied") == "73\u00a0%"
    assert charts.fmt_value(3.845, "mean") == "3,85" or charts.fmt_value(3.845, "mean") == "3,84"
    assert charts.fmt_value(12.2, "nps") == "+12" and charts.fmt_value(-3.6, "nps") == "-4"
    assert charts.fmt_value(float("nan"), "mean") == ""
    with translation.override("en"):
        assert charts.fmt_value(3.5, "mean") == "3.50"
