"""The text alternative of a chart block (one line per cell, "secret" where suppressed) and the
small label helpers the block builders share."""

from __future__ import annotations

import pandas as pd
from django.utils.translation import gettext as _

from ..formatting import SECRET, caution, ci_text, dont_know_text, fmt_n, fmt_value, label_of
from ..table_rows import ALL, n_hidden

__all__ = ["ALL", "alt_rows", "present", "hidden_note", "codes"]


def alt_rows(table: pd.DataFrame, dims: list[tuple[str, tuple[str, dict]]],
             kind: str) -> tuple[list[str], list[list[str]]]:
    """Text alternative of an indicator table: one line per cell ("secret" where suppressed), the
    cell's don't-know count and share beside its n (blank when the cell is hidden)."""
    headers = [title for _col, (title, _labels) in dims] + [
        _("Valeur"), _("IC à 95 %"), _("n"), _("Ne sait pas"), _("Remarque")]
    rows = []
    for rec in table.to_dict("records"):
        line = [label_of(labels, rec[col]) for col, (_title, labels) in dims]
        if bool(rec.get("suppressed", False)):
            from ..charts_questions import secret_note  # issue 22: primary or protecting another cell
            line += [SECRET(), "", "", "", secret_note(rec)]
        else:
            line += [fmt_value(rec.get("value"), kind), ci_text(rec.get("ci_low"), rec.get("ci_high"), kind),
                     fmt_n(rec.get("n")), dont_know_text(rec.get("n_dont_know"), rec.get("dont_know_share")),
                     caution(rec.get("low_precision", False))]
        rows.append(line)
    return headers, rows


def present(labels: dict, table: pd.DataFrame, column: str) -> dict:
    """``labels`` restricted to the codes present in ``table[column]`` (None = not stated)."""
    if not len(table) or column not in table.columns:
        return {}
    values = set(table[column].dropna().astype(object))
    has_missing = bool(table[column].isna().any())
    return {code: label for code, label in labels.items()
            if (code is None and has_missing) or (code is not None and code in values)}


def hidden_note(table: pd.DataFrame) -> str:
    """"N case(s) masquée(s)…" under a block whose table hides cells ("" when none)."""
    hidden = n_hidden(table)
    if not hidden:
        return ""
    return _("%(n)s case(s) masquée(s) par le secret statistique.") % {"n": hidden}


def codes(*values) -> list[str]:
    """The question codes given, without blanks or repeats (first occurrence order)."""
    return list(dict.fromkeys(c for c in values if c))
