"""Stored theme runs: the task, the command's JSON, no quote from a suppressed cell, shares with CIs."""

from __future__ import annotations

import json
from io import StringIO

import numpy as np
import pytest
from django.core.management import call_command
from statsmodels.stats.proportion import proportion_confint

from jobs.worker import tasks_drain
from verbatims.crosstab import shares_csv_table, theme_shares
from verbatims.models import RunStatus, ThemeRun
from verbatims.services import run_create, visible_themes
from verbatims.tasks import compute_themes

pytestmark = pytest.mark.django_db


def _run(survey, **kw) -> ThemeRun:
    run = run_create(survey, ["2026"], **kw)
    compute_themes.enqueue(run.pk)
    tasks_drain()  # the real database queue's worker, in this process
    return ThemeRun.objects.get(pk=run.pk)


def test_task_stores_the_planted_themes_with_progress_done(planted_survey):
    run = _run(planted_survey)
    assert run.status == RunStatus.DONE and run.progress == 100 and run.k == 3
    assert run.n_verbatims == 90
    themes = visible_themes(run)
    assert sum(t["size"] for t in themes) <= 90 and all(3 <= len(t["quotes"]) <= 5 for t in themes)


def test_no_quote_comes_from_a_suppressed_cell(planted_survey):
    run = _run(planted_survey, k=3)
    quotes = [q for t in visible_themes(run) for q in t["quotes"]]
    for secret in planted_survey.seeded["small"]:
        assert secret not in quotes
    assert not any("secrète" in q for q in quotes)


def test_command_prints_a_json_list_of_themes(planted_survey):
    out = StringIO()
    call_command("verbatim_themes", "--survey", planted_survey.slug, "--wave", "2026", "--themes", "3",
                 "--format", "json", stdout=out)
    themes = json.loads(out.getvalue())
    assert len(themes) == 3
    assert all(set(t) == {"label", "terms", "size", "quotes"} for t in themes)
    assert any("délai" in " ".join(t["terms"][:3]) for t in themes)
    assert [t["size"] for t in themes] == sorted((t["size"] for t in themes), reverse=True)


def test_command_rejects_an_unknown_wave_clearly(planted_survey):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="vague inconnue : 1999"):
        call_command("verbatim_themes", "--survey", planted_survey.slug, "--wave", "1999", stdout=StringIO())


def test_keyness_puts_the_planted_dissatisfaction_terms_first(planted_survey):
    run = _run(planted_survey, k=3)
    top = [r["term"] for r in run.keyness["dissatisfied"][:5]]
    assert {"délai", "délai réponse"} & set(top[:2]), top
    assert all(r["z"] > 0 for r in run.keyness["dissatisfied"][:3])


def test_theme_shares_equal_wilson_intervals_and_hide_small_cells(planted_survey):
    run = _run(planted_survey, k=3)
    table = theme_shares(run, ("channel", "category"))
    small = table[(table["channel"] == "contact_service") & (table["category"] == "journalists")]
    assert len(small) and small["suppressed"].all() and small["value"].isna().all()
    shown = table[~table["suppressed"].astype(bool)].iloc[0]
    m = run.members
    mask = [(c == shown["channel"] and k == shown["category"]) for c, k in zip(m["channel"], m["category"])]
    themes = np.array(m["theme"])[mask]
    hits, n = int((themes == shown["theme"]).sum()), len(themes)
    low, high = proportion_confint(hits, n, method="wilson")
    assert shown["n"] == n and shown["value"] == pytest.approx(100 * hits / n)
    assert (shown["ci_low"], shown["ci_high"]) == pytest.approx((100 * low, 100 * high))
    csv = shares_csv_table(run)
    assert not csv.loc[csv["suppressed"].astype(bool), ["value", "ci_low", "ci_high"]].notna().any().any()


def test_weighted_shares_use_the_response_weights(planted_survey):
    from surveys.models import Response

    Response.objects.filter(category__code="researchers").update(weight=3.0)
    run = _run(planted_survey, k=3)
    assert run.weighted
    table = theme_shares(run, ())
    m = run.members
    w, th = np.array(m["weight"]), np.array(m["theme"])
    row = table.iloc[0]
    assert row["value"] == pytest.approx(100 * w[th == row["theme"]].sum() / w.sum())
