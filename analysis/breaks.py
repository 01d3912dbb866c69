"""Series breaks (issue 18): is a question comparable between two waves? Pure pandas, no Django.

Input: the questionnaire changes between consecutive waves (one row per question × wave pair ×
kind of change, the tokens of ``surveys.services.version_diff``) and the designers' rulings.
Rules, per question and pair of waves:

* a scale change, a change of type or a recoding of the choices → **not comparable** (the figures
  measure something else; a ruling cannot overturn this);
* otherwise a designer's ruling decides: ``break`` → not comparable, ``harmless`` → comparable,
  with the ruling's reason;
* otherwise (a rewording, a new condition or targeting nobody ruled on) → comparable.

Across a break the trend line is cut, a « rupture de série » marker is drawn and no wave-to-wave
test is computed (:func:`mask_changes`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["BREAKING_KINDS", "comparability", "mask_changes", "pair_reasons"]

BREAKING_KINDS = frozenset({"scale change", "retyped", "recoded"})
KEYS = ["question", "wave_a", "wave_b"]
COLUMNS = KEYS + ["comparable", "reason"]
TEST_COLUMNS = ("diff", "ci_low", "ci_high", "statistic", "df", "p_value", "p_adjusted")


def comparability(changes: pd.DataFrame, rulings: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per question × wave pair that changed: ``comparable`` and the ``reason``.

    ``changes``: question, wave_a, wave_b, kind, detail. ``rulings``: question, wave_a, wave_b,
    decision ("break" | "harmless"), reason.
    """
    if changes is None or not len(changes):
        return pd.DataFrame(columns=COLUMNS)
    rows = []
    ruled = {}
    if rulings is not None and len(rulings):
        ruled = {tuple(r[k] for k in KEYS): (r["decision"], r["reason"]) for r in rulings.to_dict("records")}
    for key, group in changes.groupby(KEYS, sort=False):
        breaking = group[group["kind"].isin(BREAKING_KINDS)]
        if len(breaking):
            reason = "; ".join(f"{k}: {d}" if d else k for k, d in zip(breaking["kind"], breaking["detail"]))
            rows.append((*key, False, reason))
        elif key in ruled:
            decision, reason = ruled[key]
            rows.append((*key, decision == "harmless", reason))
        else:
            rows.append((*key, True, "; ".join(dict.fromkeys(group["kind"]))))
    return pd.DataFrame(rows, columns=COLUMNS)


def pair_reasons(table: pd.DataFrame, question: str | None) -> dict[tuple[str, str], str]:
    """(wave_a, wave_b) → reason, for the pairs across which ``question`` is not comparable."""
    if question is None or table is None or not len(table):
        return {}
    hit = table[(table["question"] == question) & ~table["comparable"].astype(bool)]
    return {(r["wave_a"], r["wave_b"]): r["reason"] for r in hit.to_dict("records")}


def mask_changes(change: pd.DataFrame, breaks: dict[tuple[str, str], str]) -> pd.DataFrame:
    """Wave comparisons with no statistic across a break: NaN tests, never significant, and a
    ``series_break`` column carrying the reason (empty elsewhere)."""
    out = change.copy()
    if not len(out):
        out["series_break"] = pd.Series(dtype=object)
        return out
    pairs = list(zip(out["wave_a"], out["wave_b"]))
    across = np.array([p in breaks for p in pairs], dtype=bool)
    for col in TEST_COLUMNS:
        if col in out.columns:
            out[col] = np.where(across, np.nan, out[col].astype("float64"))
    if "significant" in out.columns:
        out["significant"] = np.where(across, False, out["significant"].astype(bool))
    out["series_break"] = [breaks.get(p, "") for p in pairs]
    return out
