"""Analyst edits of a run's themes that need the model again: splitting a theme in two.

Renaming, merging and deleting only touch labels and pointers (see the views); splitting fits
NMF again on the verbatims of one theme, so it lives here, beside the run's stored members.
"""

from __future__ import annotations

import numpy as np
from django.db import transaction
from django.db.models import Max

from analysis.textprep import prepare_corpus
from analysis.themes import fit_themes
from surveys.models import Answer

from .models import Theme
from .services import QUOTE_MAX_CHARS


class SplitError(ValueError):
    """A theme that cannot be split (too few verbatims, no two distinct sub-themes)."""


def theme_split(theme: Theme, parts: int = 2) -> list[Theme]:
    """Replace ``theme`` by ``parts`` themes fitted on its own verbatims (the original is hidden)."""
    run = theme.run
    members = run.members or {}
    idx = [i for i, t in enumerate(members.get("theme", [])) if t == theme.number]
    min_cell = run.survey.min_cell
    if len(idx) < 2 * max(min_cell, 2):
        raise SplitError(f"au moins {2 * max(min_cell, 2)} verbatims sont nécessaires pour scinder ce thème")
    answer_ids = [members["answer"][i] for i in idx]
    rows = dict(Answer.objects.filter(pk__in=answer_ids).values_list("pk", "text"))
    langs = dict(Answer.objects.filter(pk__in=answer_ids).values_list("pk", "response__language"))
    texts = [rows.get(a, "") for a in answer_ids]
    prep = prepare_corpus(texts, [langs.get(a) for a in answer_ids], extra_stop=list(run.stop_words) + [run.survey.slug])
    # the same quoting rule as the run: the verbatim's channel × category cell has ≥ min_cell verbatims
    cells = list(zip(members["channel"], members["category"]))
    size = {c: cells.count(c) for c in set(cells)}
    quotable = np.array([size[cells[i]] >= min_cell for i in idx], bool)
    result = fit_themes(prep.features, k=parts, seed=run.seed, min_df=2, texts=prep.masked, quotable=quotable)
    if len([t for t in result.themes if t.size]) < 2:
        raise SplitError("ce thème ne se scinde pas en sous-thèmes distincts")
    with transaction.atomic():
        start = (run.themes.aggregate(m=Max("number"))["m"] or 0) + 1
        new = Theme.objects.bulk_create([
            Theme(run=run, number=start + t.number, label_fr=t.label, terms=t.terms, size=t.size,
                  quotes=[prep.masked[i][:QUOTE_MAX_CHARS] for i in t.quotes]) for t in result.themes])
        for pos, i in enumerate(idx):
            sub = int(result.assignment[pos])
            members["theme"][i] = start + sub if sub >= 0 else -1
        run.members = members
        run.save(update_fields=["members"])
        theme.hidden = True
        theme.save(update_fields=["hidden"])
    return new
