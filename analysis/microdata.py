"""What the exports hand over: microdata with their codebook, and the dashboards' indicator tables.

Shared by the exports page's jobs (:mod:`analysis.export_jobs`) and the command line
(``manage.py export_microdata``); the writers are in :mod:`analysis.exports`.
"""

from __future__ import annotations

from typing import Sequence

import pandas as pd

from . import exports
from .filters import Filters
from .formatting import label_of
from .selectors import Dashboard, load_frame

__all__ = ["INDICATOR_TABLES", "microdata_for", "indicator_tables"]

INDICATOR_TABLES = ("contact_grid", "contact_channel", "contact_total", "question_grid", "question_channel")


def microdata_for(d: Dashboard, waves: Sequence[str], frame: pd.DataFrame | None = None) -> exports.Microdata:
    """Complete responses of ``waves`` as allow-listed microdata with their codebook.

    ``frame``: those waves' analysis frame already loaded (and narrowed, e.g. one API page); the
    API and the exports page then hand over the same columns (don't know, questionnaire version).
    """
    from surveys.services.dont_know import dont_know_cells

    from .break_data import add_version_column
    from .dont_know import apply_dont_know
    from .weighting_runs import weight_variable_label

    chosen = [w for w in d.waves if w.code in waves]
    frame = load_frame(chosen) if frame is None else frame
    frame = apply_dont_know(frame, dont_know_cells([w.pk for w in chosen]))  # DK kept as data
    labels = {"wave": d.wave_labels(), "category": d.category_labels(),
              "channel": {c.code: c.label_fr for c in d.channels}}
    md = exports.microdata(frame, d.questions_with_choices, labels=labels, survey=d.survey.slug, waves=waves)
    add_version_column(md, frame, [w.pk for w in chosen])  # the questionnaire version per response (issue 18)
    weight_variable_label(md, d.survey, waves)
    return md


def indicator_tables(d: Dashboard, f: Filters) -> dict[str, pd.DataFrame]:
    """The dashboard tables (suppressed and linked) with their labels, for publication work."""
    weight = d.weight_column(f)
    names = [n for n in INDICATOR_TABLES if not n.startswith("question_") or d.channel_questions]
    d.prefetch([(n, f.waves, f.min_cell, weight) for n in names])
    cat, ch = d.category_labels(), d.channel_labels()
    out = {}
    for name in names:
        t = d.table(name, f.waves, f.min_cell, weight).copy()
        if "channel" in t.columns:
            t.insert(t.columns.get_loc("channel") + 1, "channel_label",
                     [label_of(ch, v) for v in t["channel"].astype(object)])
        if "category" in t.columns:
            t.insert(t.columns.get_loc("category") + 1, "category_label",
                     [label_of(cat, v) for v in t["category"].astype(object)])
        out[name] = t
    exports.ensure_no_hidden_values(out.values())
    return out
