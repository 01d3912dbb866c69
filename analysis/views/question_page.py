"""Question detail: the answer distribution of one scored question, by category."""

from __future__ import annotations

import pandas as pd
from django.http import Http404
from django.utils.translation import gettext as _

from surveys.answers import SATISFACTION_LABELS
from surveys.models import QuestionType

from .. import charts
from ..filters import Filters
from ..formatting import SECRET, dont_know_text, fmt_n, fmt_value, is_missing
from ..question_info import QuestionInfo
from ..selectors import Dashboard
from ..table_rows import ALL, select_rows
from .alt_text import codes, hidden_note, present
from .common import Block

__all__ = ["scored_question", "question_blocks"]


def scored_question(d: Dashboard, code: str) -> QuestionInfo:
    """The scored question ``code`` of the survey (404 for an unknown or unscored one)."""
    try:
        q = d.question(code)
    except KeyError:
        raise Http404 from None
    if not q.scored:
        raise Http404
    return q


def question_blocks(d: Dashboard, f: Filters, code: str) -> list[Block]:
    """The stacked distribution by category, with the "all respondents" bar first."""
    q = scored_question(d, code)
    weight, k = d.weight_column(f), f.min_cell
    questions = codes(code, d.sat_code, d.nps_code)
    d.prefetch([(f"dist:{code}", f.waves, k, weight), (f"disttotal:{code}", f.waves, k, weight)])
    dist = select_rows(d.table(f"dist:{code}", f.waves, k, weight, questions), "category", f.categories)
    total = d.table(f"disttotal:{code}", f.waves, k, weight, questions)
    if q.type == QuestionType.SATISFACTION:
        code_labels = {v: f"{v} – {SATISFACTION_LABELS[v]}" for v in range(1, 6)}
    else:
        code_labels = {v: str(v) for v in range(0, 11)}
    cat_labels = present(d.category_labels(f.categories), dist, "category")
    table = pd.concat([total.assign(category=ALL), dist], ignore_index=True) if len(total) else dist
    title = _("Répartition des réponses par catégorie") + f" — {q.code}"
    headers = [_("Catégorie")] + [str(v) for v in code_labels.values()] + [_("n"), _("Ne sait pas")]
    labels = {ALL: _("Ensemble des répondants"), **cat_labels}
    rows = [row for cat, label in labels.items() if (row := _share_row(table, cat, label, code_labels))]
    return [Block("distribution", title, table, lambda: charts.stacked_distribution(
        dist, by="category", labels=cat_labels, code_labels=code_labels, title=title, total=total,
        total_label=_("Ensemble des répondants")), headers, rows, note=hidden_note(dist))]


def _share_row(table: pd.DataFrame, cat, label: str, code_labels: dict) -> list[str] | None:
    """One category's shares per answer code and its don't-know figures (secret when any is hidden;
    None when absent)."""
    part = table[table["category"].astype(object) == cat] if len(table) else table
    if not len(part):
        return None
    if bool(part["suppressed"].fillna(True).any()):
        return [label] + [SECRET()] * len(code_labels) + ["", ""]
    shares = {int(r["code"]): r["share"] for r in part.to_dict("records")}
    return ([label] + [fmt_value(100 * shares[v], "share") if v in shares and not is_missing(shares[v]) else "–"
                       for v in code_labels] + [fmt_n(part["n_cell"].iloc[0]), _dont_know(part)])


def _dont_know(part: pd.DataFrame) -> str:
    """The category's don't-know count and share (outside the shares), "" when not computed."""
    if "n_dont_know" not in part.columns:
        return ""
    first = part.iloc[0]
    return dont_know_text(first["n_dont_know"], first["dont_know_share"])
