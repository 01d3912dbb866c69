"""The trends page's tables: per-wave figures by contact channel and the changes between
consecutive waves.

The per-wave figures are the channel page's own per-wave tables (same function, same cache
entries: one population, one mask); the changes come from :func:`analysis.waves.compare` (Holm
within each pair of waves). The views only lay these tables out.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from . import waves as wave_tests
from .filters import Filters
from .selectors import Dashboard
from .table_rows import ALL, kind_rows, select_rows

__all__ = ["ALL", "TrendTables", "trend_tables"]

CHANGE_COLUMNS = ["channel", "wave_a", "wave_b", "diff", "ci_low", "ci_high", "p_adjusted", "significant"]


@dataclass(frozen=True)
class TrendTables:
    waves: list[str]  # the selected waves, in wave order
    trend: pd.DataFrame  # wave, channel (ALL for every respondent), value, CI, n, suppressed
    change: pd.DataFrame  # wave_a, wave_b, channel, diff, CI, p_adjusted, significant


def trend_tables(d: Dashboard, f: Filters) -> TrendTables:
    """The trend and change tables for the filters (display filter on channels applied)."""
    weight, k, kind = d.weight_column(f), f.min_cell, f.kind
    questions = list(dict.fromkeys(c for c in (d.sat_code, d.nps_code) if c))
    order = [w for w in d.wave_labels() if w in f.waves]
    d.prefetch([(n, (w,), k, weight) for w in order for n in ("contact_channel", "contact_total")])
    per_wave = {w: kind_rows(d.table("contact_channel", (w,), k, weight, questions), kind) for w in order}
    totals = {w: kind_rows(d.table("contact_total", (w,), k, weight, questions), kind) for w in order}
    trend = _trend(order, per_wave, totals)
    change = _changes(order, per_wave, totals, kind)
    if f.channels:
        keep = list(f.channels) + [ALL]
        trend = select_rows(trend, "channel", keep)
        change = select_rows(change, "channel", keep)
    return TrendTables(order, trend, change)


def _trend(order: list[str], per_wave: dict, totals: dict) -> pd.DataFrame:
    parts = []
    for w in order:
        if len(totals[w]):
            parts.append(totals[w].assign(wave=w, channel=ALL))
        parts.append(per_wave[w].assign(wave=w))
    trend = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["wave", "channel", "value"])
    return trend[["wave"] + [c for c in trend.columns if c != "wave"]]


def _changes(order: list[str], per_wave: dict, totals: dict, kind: str) -> pd.DataFrame:
    changes = []
    for a, b in zip(order, order[1:]):
        if len(per_wave[a]) and len(per_wave[b]):
            changes.append(wave_tests.compare(per_wave[a], per_wave[b], kind, by="channel").assign(wave_a=a, wave_b=b))
        if len(totals[a]) == 1 and len(totals[b]) == 1:
            changes.append(wave_tests.compare(totals[a], totals[b], kind).assign(channel=ALL, wave_a=a, wave_b=b))
    change = pd.concat(changes, ignore_index=True) if changes else pd.DataFrame(columns=CHANGE_COLUMNS)
    if len(change):
        change = change[["wave_a", "wave_b", "channel"] + [c for c in change.columns
                                                           if c not in ("wave_a", "wave_b", "channel")]]
    return change
