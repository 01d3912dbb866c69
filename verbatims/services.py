"""Theme runs: load the verbatims, compute themes and keyness, store them; shape them for pages.

The computation itself is in the pure core (:mod:`analysis.textprep`, :mod:`analysis.themes`,
:mod:`analysis.keyness`); this module reads the database, applies the survey's confidentiality
rule (no quote from a channel × category cell below ``min_cell``) and writes the result in one transaction.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
import pandas as pd
from django.db import transaction
from django.utils import timezone

from analysis.filters import NOT_STATED
from analysis.keyness import keyness
from analysis.textprep import prepare_corpus
from analysis.themes import fit_themes
from surveys.models import Answer, QuestionType, ResponseStatus, Survey

from .models import RunStatus, Theme, ThemeRun

KEYNESS_ROWS = 15
QUOTE_MAX_CHARS = 400


class RunError(ValueError):
    """A run that cannot be computed (no wave, unknown question...), with a message for people."""


def _overall_question(survey: Survey):
    """The satisfaction question that splits satisfied from dissatisfied (the first general one)."""
    qs = survey.questions.filter(type=QuestionType.SATISFACTION)
    return qs.filter(channel__isnull=True).first() or qs.first()


def verbatim_rows(survey: Survey, waves: Sequence[str], question: str = "") -> pd.DataFrame:
    """Free-text answers of complete responses of ``waves``: answer id, text, language, channel,
    category, weight, and ``satisfied`` (True/False/None from the overall satisfaction question)."""
    qs = Answer.objects.filter(response__survey=survey, response__status=ResponseStatus.COMPLETE,
                               response__wave__code__in=list(waves), question__type=QuestionType.TEXT,
                               question__survey=survey).exclude(text="")
    if question:
        qs = qs.filter(question__code=question)
    rows = list(qs.order_by("pk").values_list("pk", "text", "response__language", "response__channel__code",
                                               "response__category__code", "response__weight", "response_id"))
    df = pd.DataFrame(rows, columns=["answer", "text", "language", "channel", "category", "weight", "response"])
    df["channel"] = df["channel"].fillna(NOT_STATED)
    overall = _overall_question(survey)
    scores: dict = {}
    if overall is not None and len(df):
        threshold = overall.threshold or 4
        scores = {r: v >= threshold for r, v in Answer.objects.filter(
            question=overall, response_id__in=set(df["response"]), value__isnull=False
        ).values_list("response_id", "value")}
    df["satisfied"] = df["response"].map(scores) if len(df) else pd.Series(dtype=object)
    return df.drop(columns="response")


def quotable(df: pd.DataFrame, min_cell: int) -> np.ndarray:
    """Whether each verbatim may be quoted: its channel × category cell has at least ``min_cell``
    verbatims. (Secondary suppression protects figures from subtraction; a quote from a
    complementary cell reveals nothing of the small one, so the primary rule is the one here.)"""
    if not len(df):
        return np.zeros(0, bool)
    size = df.groupby(["channel", "category"])["answer"].transform("size").to_numpy()
    return size >= min_cell


def _keyness_rows(table: pd.DataFrame) -> list[dict]:
    return [{"term": r.term.replace("_", " "), "count_in": round(float(r.count_in), 2),
             "count_out": round(float(r.count_out), 2), "delta": round(float(r.delta), 4), "z": round(float(r.z), 3)}
            for r in table.itertuples()]


def run_keyness(features: list[list[str]], df: pd.DataFrame, min_cell: int, weights: np.ndarray | None) -> dict:
    """Dissatisfied against satisfied, and each channel (with ≥ min_cell verbatims) against the rest."""
    out: dict = {"dissatisfied": [], "channels": {}}
    sat = df["satisfied"]
    known = sat.notna().to_numpy()
    unhappy = (sat == False).to_numpy()  # noqa: E712 (None stays apart)
    if known.any() and min_cell <= unhappy.sum() and min_cell <= (known & ~unhappy).sum():
        idx = np.flatnonzero(known)
        table = keyness([features[i] for i in idx], unhappy[idx], None if weights is None else weights[idx],
                        min_count=min_cell, limit=KEYNESS_ROWS)
        out["dissatisfied"] = _keyness_rows(table)
    channels = df["channel"].to_numpy()
    for code in sorted(set(channels)):
        inside = channels == code
        if min_cell <= inside.sum() and min_cell <= (~inside).sum():
            table = keyness(features, inside, weights, min_count=min_cell, limit=10)
            out["channels"][code] = _keyness_rows(table)
    return out


def run_create(survey: Survey, waves: Sequence[str], k: int | None = None, question: str = "",
               stop_words: Sequence[str] = (), seed: int = 0, user=None) -> ThemeRun:
    """A pending run, after checking its parameters (the task computes it)."""
    known = set(survey.waves.values_list("code", flat=True))
    waves = list(dict.fromkeys(waves))
    if not waves:
        raise RunError("aucune vague choisie")
    unknown = [w for w in waves if w not in known]
    if unknown:
        raise RunError(f"vague inconnue : {', '.join(unknown)}")
    if question and not survey.questions.filter(code=question, type=QuestionType.TEXT).exists():
        raise RunError(f"question à réponse libre inconnue : {question}")
    if k is not None and not 1 <= k <= 30:
        raise RunError("le nombre de thèmes doit être compris entre 1 et 30")
    return ThemeRun.objects.create(survey=survey, waves=waves, requested_k=k, question=question,
                                   stop_words=[w.strip() for w in stop_words if w.strip()], seed=seed,
                                   created_by=user if getattr(user, "is_authenticated", False) else None)


def _progress_writer(run_id: int) -> Callable[[float], None]:
    last = [-1]

    def write(fraction: float) -> None:
        pct = int(5 + 90 * fraction)
        if pct >= last[0] + 5:
            last[0] = pct
            ThemeRun.objects.filter(pk=run_id).update(progress=pct)
    return write


def run_execute(run_id: int) -> ThemeRun:
    """Compute a run and store its themes (status, progress and error written as it goes)."""
    run = ThemeRun.objects.select_related("survey").get(pk=run_id)
    ThemeRun.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING, progress=1)
    try:
        survey = run.survey
        df = verbatim_rows(survey, run.waves, run.question)
        extra = list(run.stop_words) + [survey.slug]
        prep = prepare_corpus(df["text"].tolist(), df["language"].tolist(), extra_stop=extra)
        weights = df["weight"].to_numpy(float) if len(df) and (df["weight"] != 1).any() else None
        min_cell = survey.min_cell
        result = fit_themes(prep.features, k=run.requested_k, seed=run.seed, min_df=max(2, min_cell),
                            texts=prep.masked, quotable=quotable(df, min_cell), progress=_progress_writer(run.pk))
        kw = run_keyness(prep.features, df, min_cell, weights)
        with transaction.atomic():
            run.themes.all().delete()
            Theme.objects.bulk_create([
                Theme(run=run, number=t.number, label_fr=t.label, terms=t.terms, size=t.size,
                      quotes=[prep.masked[i][:QUOTE_MAX_CHARS] for i in t.quotes]) for t in result.themes])
            run.k, run.stability = result.k, {str(k): v for k, v in result.stability.items()}
            run.n_verbatims, run.weighted, run.keyness = len(df), weights is not None, kw
            run.members = {"answer": df["answer"].tolist(), "theme": result.assignment.tolist(),
                           "channel": df["channel"].tolist(), "category": df["category"].tolist(),
                           "weight": df["weight"].astype(float).tolist()}
            run.status, run.progress, run.finished_at, run.error = RunStatus.DONE, 100, timezone.now(), ""
            run.save()
    except Exception as exc:  # stored for the analyst to read; the task itself does not crash the worker
        ThemeRun.objects.filter(pk=run.pk).update(status=RunStatus.FAILED, error=str(exc)[:2000],
                                                  finished_at=timezone.now())
        raise
    return run


def latest_run(survey: Survey, done: bool = True) -> ThemeRun | None:
    qs = ThemeRun.objects.filter(survey=survey)
    return (qs.filter(status=RunStatus.DONE) if done else qs).first()


def effective_numbers(run: ThemeRun) -> dict[int, int | None]:
    """Theme number → the number it now counts under (merged: the target's; deleted: None)."""
    themes = {t.pk: t for t in run.themes.all()}
    out: dict[int, int | None] = {}
    for t in themes.values():
        seen, cur = set(), t
        while cur.merged_into_id and cur.merged_into_id in themes and cur.pk not in seen:
            seen.add(cur.pk)
            cur = themes[cur.merged_into_id]
        out[t.number] = None if cur.hidden else cur.number
    return out


def visible_themes(run: ThemeRun) -> list[dict]:
    """Themes as shown and exported: label, terms, size (merged ones added), quotes, number."""
    mapping = effective_numbers(run)
    themes = list(run.themes.all())
    sizes: dict[int, int] = {}
    for t in themes:
        target = mapping[t.number]
        if target is not None:
            sizes[target] = sizes.get(target, 0) + t.size
    out = []
    for t in themes:
        if mapping[t.number] == t.number:
            quotes = list(t.quotes) + [q for m in themes if m.merged_into_id == t.pk and not m.hidden for q in m.quotes]
            out.append({"id": t.pk, "number": t.number, "label": t.label, "terms": t.terms, "size": sizes[t.number],
                        "quotes": quotes[:5]})
    out.sort(key=lambda d: (-d["size"], d["number"]))
    return out
