"""Reading the questionnaire versions of a survey's waves for the analysis (issue 18).

The Django side of :mod:`analysis.breaks`: the snapshots of consecutive waves are compared with
``surveys.services.version_diff`` and the designers' rulings are read from ``BreakDecision``.
"""

from __future__ import annotations

from typing import Sequence

import pandas as pd

from surveys.models import BreakDecision, Survey
from surveys.services.version_diff import KIND_LABELS, diff_snapshots
from surveys.services.versions import wave_snapshot

from . import breaks


def wave_changes(survey: Survey, wave_codes: Sequence[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(changes, rulings) between consecutive waves of ``wave_codes`` (in that order)."""
    waves = {w.code: w for w in survey.waves.select_related("version", "survey")}
    order = [c for c in wave_codes if c in waves]
    changes, rulings = [], []
    for a, b in zip(order, order[1:]):
        wa, wb = waves[a], waves[b]
        snap_a, snap_b = wave_snapshot(wa), wave_snapshot(wb)
        if wa.version_id and wa.version_id == wb.version_id:
            continue
        for c in diff_snapshots(snap_a, snap_b):
            changes.append({"question": c.question, "wave_a": a, "wave_b": b, "kind": c.kind,
                            "detail": f"{c.before} → {c.after}" if (c.before or c.after) and not c.words else ""})
        if wa.version_id and wb.version_id:
            for r in BreakDecision.objects.filter(version_a_id=wa.version_id, version_b_id=wb.version_id):
                rulings.append({"question": r.question, "wave_a": a, "wave_b": b, "decision": r.decision,
                                "reason": r.reason})
    return (pd.DataFrame(changes, columns=["question", "wave_a", "wave_b", "kind", "detail"]),
            pd.DataFrame(rulings, columns=["question", "wave_a", "wave_b", "decision", "reason"]))


def series_breaks(survey: Survey, wave_codes: Sequence[str]) -> pd.DataFrame:
    """Comparability of every changed question between consecutive waves (analysis.breaks rules)."""
    return breaks.comparability(*wave_changes(survey, wave_codes))


def break_table(series: pd.DataFrame, wave_labels: dict[str, str]) -> tuple[pd.DataFrame, None, list, list]:
    """(table, no figure, headers, rows) of the trends page's block listing changes and breaks."""
    from django.utils.translation import gettext as _

    headers = [_("Question"), _("Vagues"), _("Comparable"), _("Motif")]
    label = wave_labels.get
    rows = [[r["question"], f"{label(r['wave_a'], r['wave_a'])} → {label(r['wave_b'], r['wave_b'])}",
             _("oui") if r["comparable"] else _("non — rupture de série"), readable(r["reason"])]
            for r in series.to_dict("records")]
    return series, None, headers, rows


def readable(reason: str) -> str:
    """A reason with the change tokens ("scale change"…) in the active language."""
    for token, label in sorted(KIND_LABELS.items(), key=lambda kv: -len(kv[0])):
        reason = reason.replace(token, str(label))
    return reason


def readable_pairs(cut: dict[tuple[str, str], str]) -> dict[tuple[str, str], str]:
    return {pair: readable(reason) for pair, reason in cut.items()}


def add_version_column(md, frame: pd.DataFrame, wave_ids: Sequence[int]) -> None:
    """Give the microdata a ``questionnaire_version`` column: the version each response answered.

    Read per response (``Response.version``), matched on the frame's ``response_id`` (the microdata
    rows are the frame's rows, in order); placed after the base columns (wave … weight), as
    ``exports.allowed_columns`` lists it.
    """
    from surveys.models import Response

    from .exports import VERSION_COLUMN, Variable

    if "response_id" not in frame.columns:
        return
    numbers = {str(rid): n for rid, n in Response.objects.filter(wave_id__in=list(wave_ids))
               .values_list("id", "version__number").iterator(chunk_size=5000)}
    column = [numbers.get(str(rid)) for rid in frame["response_id"].astype(object)]
    md.data[VERSION_COLUMN] = pd.array(column, dtype="Int64")
    var = Variable(name=VERSION_COLUMN, source=VERSION_COLUMN, type="integer",
                   label="Version du questionnaire", text_en="Questionnaire version")
    at = sum(1 for v in md.variables if v.question == "")  # after wave, category, channel, weight
    md.variables.insert(at, var)
