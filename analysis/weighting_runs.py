"""Weighting a wave in the product: margins in, a stored run out, its weights made active.

    margins = margins_from_csv(wave, data)              # or margins_from_invitations(wave)
    run = weighting_run(wave, margins, method="raking", bounds=None, user=request.user)

Everything is computed before anything is written: a margins file or bounds that do not work
raise :class:`~analysis.margins.MarginsError` / :class:`~analysis.weighting.WeightingError` and
leave the database (and the previous active run) untouched. The run, its weights and the switch
of the active run happen in one transaction. The statistics live in the pure core
(:mod:`analysis.weighting`, :mod:`analysis.calibration`, :mod:`analysis.weight_stats`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from django.db import transaction
from django.db.models import Count
from django.utils.translation import gettext as _

from surveys.models import Channel, Participant, Question, QuestionType, UserCategory, Wave

from . import calibration, frames, weight_stats, weight_store, weighting
from .margins import Margins, MarginsError, margins_parse, margins_shares
from .models import MarginsSource, WeightingMethod, WeightingRun
from .selectors import bump_survey

__all__ = ["margin_variables", "margins_from_csv", "margins_from_invitations", "margins_preview",
           "weighting_compute", "weighting_run", "weighting_activate", "weighting_deactivate",
           "weighting_active", "weighting_description", "MarginsError"]

BASE_VARIABLES = ("category", "channel")


def margin_variables(survey) -> dict[str, list[str]]:
    """Variables margins may be set on, with their categories: category, channel, single choices."""
    cats = list(survey.categories.values_list("code", flat=True)) or \
        list(UserCategory.objects.values_list("code", flat=True))
    out = {"category": cats, "channel": list(Channel.objects.values_list("code", flat=True))}
    for q in Question.objects.filter(survey=survey, type=QuestionType.SINGLE).prefetch_related("choices"):
        out[q.code] = [c.code for c in q.choices.all()]
    return out


def _frame(wave: Wave, variables: Sequence[str]) -> pd.DataFrame:
    """The wave's complete responses with the margin variables (and the response ids)."""
    questions = [v for v in variables if v not in BASE_VARIABLES]
    return frames.load([wave], questions=questions)


def _answered(frame: pd.DataFrame, variables: Sequence[str]) -> dict[str, int]:
    return {v: int(frame[v].notna().sum()) if v in frame.columns else 0 for v in variables}


def margins_from_csv(wave: Wave, data: str | bytes) -> Margins:
    """Parse a margins file for ``wave``: known variables and categories, answered variables."""
    allowed = margin_variables(wave.survey)
    first = margins_parse(data, allowed)  # syntax and categories first: no frame needed to refuse
    frame = _frame(wave, list(first.targets))
    return margins_parse(data, allowed, _answered(frame, list(first.targets)))


def margins_from_invitations(wave: Wave) -> Margins:
    """Margins derived from the invitation frame: invited participants per user category."""
    counts = dict(Participant.objects.filter(wave=wave).values_list("category__code").annotate(n=Count("id"))
                  .values_list("category__code", "n"))
    if not counts:
        raise MarginsError(_("aucun participant invité dans cette vague : pas de base d'invitation"))
    return Margins({"category": {k: float(v) for k, v in counts.items()}}, {"category": "counts"}, {})


def margins_preview(wave: Wave, margins: Margins) -> pd.DataFrame:
    """Respondents vs targets per cell, before any run: variable, category, respondents,
    sample share, target share, ratio (target / sample share: the average weight it needs)."""
    frame = _frame(wave, list(margins.targets))
    rows = []
    for var, shares in margins_shares(margins.targets).items():
        counts = frame[var].value_counts(dropna=True) if var in frame.columns else pd.Series(dtype=int)
        total = int(counts.sum())
        for cat, t in shares.items():
            k = int(counts.get(cat, 0))
            share = k / total if total else 0.0
            rows.append({"variable": var, "category": cat, "respondents": k, "sample_share": share,
                         "target_share": t, "ratio": (t / share) if share else None})
    return pd.DataFrame(rows, columns=["variable", "category", "respondents", "sample_share", "target_share",
                                       "ratio"])


def weighting_compute(frame: pd.DataFrame, margins: Mapping[str, Mapping], method: str,
                      bounds: tuple[float, float] | None = None):
    """Weights of mean 1 on ``frame``: (weights, g, iterations, max relative error).

    ``poststrat`` takes one variable; ``raking`` without bounds is iterative proportional
    fitting, with bounds truncated raking-ratio calibration; ``linear`` and ``logit`` are
    calibrations (``logit`` needs bounds). Negative weights (unbounded linear) are refused.
    """
    if method not in WeightingMethod.values:
        raise weighting.WeightingError(f"unknown method {method!r} (one of {', '.join(WeightingMethod.values)})")
    if method == WeightingMethod.POSTSTRAT:
        if len(margins) != 1 or bounds is not None:
            raise weighting.WeightingError(
                f"post-stratification takes one variable and no bounds (got {len(margins)}: "
                f"{', '.join(margins)}); use raking or a calibration")
        var = next(iter(margins))
        w = weighting.poststratify(frame, var, margins[var])
        return w, w, 1, float(calibration.margin_gaps(frame, margins, w)["gap"].abs().max())
    if method == WeightingMethod.RAKING and bounds is None:
        res = weighting.rake(frame, margins)
        return res.weights, res.weights, res.iterations, res.max_rel_error
    res = calibration.calibrate(frame, margins, method, bounds)
    if (res.weights < 0).any():
        neg = res.weights[res.weights < 0]
        raise weighting.WeightingError(
            f"{method} calibration gives {neg.size} negative weights (minimum {neg.min():.3g}); "
            "set bounds (e.g. 0.2,5) or use raking or logit")
    mean = float(res.weights.mean())
    return res.weights / mean, res.g, res.iterations, res.max_rel_error


def _diagnostics(frame, margins, weights, g, bounds) -> dict:
    gaps = calibration.margin_gaps(frame, margins, weights)
    hist = weight_stats.weight_histogram(weights)
    return {"summary": weight_stats.weight_summary(weights, g, bounds),
            "margins": gaps.to_dict(orient="records"),
            "histogram": hist.to_dict(orient="records")}


def weighting_run(wave: Wave, margins: Margins, *, method: str = "raking",
                  bounds: tuple[float, float] | None = None, user=None, source: str = MarginsSource.FILE,
                  activate: bool = True) -> WeightingRun:
    """Weight ``wave``'s complete responses and store the run (active unless ``activate=False``).

    Raises MarginsError / WeightingError before any write when the margins or bounds fail.
    """
    frame = _frame(wave, list(margins.targets))
    if frame.empty:
        raise weighting.WeightingError(f"wave {wave.code!r} has no complete response to weight")
    weights, g, iterations, error = weighting_compute(frame, margins.targets, method, bounds)
    diagnostics = _diagnostics(frame, margins.targets, weights, g, bounds)
    diagnostics["kinds"] = [[v, k] for v, k in margins.kinds.items()]
    with transaction.atomic():
        run = WeightingRun.objects.create(
            wave=wave, created_by=user if getattr(user, "pk", None) else None,
            created_by_name=getattr(user, "get_username", lambda: str(user or ""))() if user else "",
            method=method, margins=margins.as_rows(), margins_source=source,
            bound_low=None if bounds is None else float(bounds[0]),
            bound_high=None if bounds is None else float(bounds[1]),
            converged=True, iterations=int(iterations), max_error=float(error), n=len(frame),
            diagnostics=diagnostics)
        weight_store.run_weights_store(run.pk, frame["response_id"].tolist(), weights.to_numpy())
        if activate:
            _make_active(run)
    if activate:
        bump_survey(wave.survey_id)
    return run


def _make_active(run: WeightingRun) -> None:
    Wave.objects.select_for_update().filter(pk=run.wave_id).first()  # two switches of one wave queue up
    WeightingRun.objects.filter(wave_id=run.wave_id, is_active=True).exclude(pk=run.pk).update(is_active=False)
    WeightingRun.objects.filter(pk=run.pk).update(is_active=True)
    run.is_active = True
    weight_store.wave_weights_apply(run.pk, run.wave_id)


def weighting_activate(run: WeightingRun) -> None:
    """Make an earlier run the wave's active one (its weights into ``Response.weight``)."""
    with transaction.atomic():
        _make_active(run)
    bump_survey(run.wave.survey_id)


def weighting_deactivate(wave: Wave) -> None:
    """No active run: every response of the wave back to weight 1 (runs are kept)."""
    with transaction.atomic():
        Wave.objects.select_for_update().filter(pk=wave.pk).first()
        WeightingRun.objects.filter(wave=wave, is_active=True).update(is_active=False)
        weight_store.wave_weights_reset(wave.pk)
    bump_survey(wave.survey_id)


def weighting_active(wave: Wave) -> WeightingRun | None:
    return WeightingRun.objects.filter(wave=wave, is_active=True).first()


def _variable_label(var: str) -> str:
    return {"category": _("catégorie"), "channel": _("canal")}.get(var, var)


def run_description(run: WeightingRun) -> str:
    """« pondéré : calage sur catégorie × canal, 2026-12-03 » (method, variables, date)."""
    method = {
        WeightingMethod.POSTSTRAT: _("post-stratification"),
        WeightingMethod.RAKING: _("calage (raking)"),
        WeightingMethod.LINEAR: _("calage linéaire"),
        WeightingMethod.LOGIT: _("calage logit"),
    }[run.method]
    if run.bounds:
        method += f" [{run.bound_low:g} ; {run.bound_high:g}]"
    variables = " × ".join(_variable_label(v) for v in run.variables)
    return _("pondéré : %(method)s sur %(variables)s, %(date)s") % {
        "method": method, "variables": variables, "date": f"{run.created_at:%Y-%m-%d}"}


def weighting_description(wave: Wave) -> str | None:
    """The description of ``wave``'s active run (for pages, files and DDI metadata), or None."""
    run = weighting_active(wave)
    return run_description(run) if run else None


def weighting_text(survey, wave_codes: Sequence[str]) -> str:
    """The active runs' descriptions for the waves a page shows (one query), "" when none."""
    runs = list(WeightingRun.objects.filter(wave__survey=survey, wave__code__in=list(wave_codes), is_active=True)
                .select_related("wave").order_by("wave__opens_at", "wave__code"))
    if len(runs) == 1 and len(wave_codes) == 1:
        return run_description(runs[0])
    return " ; ".join(f"{r.wave.code} — {run_description(r)}" for r in runs)


def weight_variable_label(md, survey, wave_codes: Sequence[str]) -> None:
    """The ``weight`` variable of exported microdata says which run made it (SPSS/Stata/DDI labels)."""
    text = weighting_text(survey, wave_codes)
    for var in md.variables:
        if var.source == "weight" and text:
            var.label = f"Poids — {text}"


def runs_for(wave: Wave) -> list[WeightingRun]:
    return list(WeightingRun.objects.filter(wave=wave).select_related("created_by"))


def weights_of(run: WeightingRun) -> np.ndarray:
    return np.array(run.weights.values_list("weight", flat=True), dtype=np.float64)
