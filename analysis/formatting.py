"""How a figure is written on the analyst pages: one place for the chart, its hover text and its table.

French is the default (decimal comma, narrow no-break space between thousands); English writes
3.84 and 1,234. Nothing here computes a statistic: a value goes in, its text comes out. A missing
value (None, NaN, ``pd.NA``) is written as nothing, or as "–" where a cell must show something.
"""

from __future__ import annotations

import math
from typing import Mapping

import pandas as pd
from django.utils.translation import get_language
from django.utils.translation import gettext as _

__all__ = ["SECRET", "caution", "ci_text", "dont_know_text", "fmt_n", "fmt_p", "fmt_value", "is_french", "is_missing",
           "label_of", "number_format", "percent", "signed"]


def SECRET() -> str:  # noqa: N802 - a translated constant
    """The mark written on a suppressed cell."""
    return _("secret")


def is_french() -> bool:
    """Whether the active language writes decimal commas (anything but English)."""
    return (get_language() or "fr")[:2] != "en"


def is_missing(x) -> bool:
    """None, NaN or ``pd.NA``: a figure that is not there."""
    return x is None or x is pd.NA or (isinstance(x, float) and math.isnan(x))


def _num(x: float, decimals: int) -> str:
    s = f"{x:,.{decimals}f}"
    if is_french():
        s = s.replace(",", "\u202f").replace(".", ",")
    return s


def fmt_value(value, kind: str) -> str:
    """A figure as shown on the page: 73 %, 3,84, +12."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    value = float(value)
    if kind in ("satisfied", "share"):
        return f"{_num(value, 0)}\u00a0%"
    if kind == "nps":
        return ("+" if value > 0 else "") + _num(value, 0)
    return _num(value, 2)


def fmt_n(n) -> str:
    """A count with its thousands separator ("" when missing)."""
    if n is None or n is pd.NA or (isinstance(n, float) and math.isnan(n)):
        return ""
    return _num(float(n), 0)


def fmt_p(p) -> str:
    """A p-value with three decimals ("" when missing)."""
    if is_missing(p):
        return ""
    return f"{p:.3f}".replace(".", ",") if is_french() else f"{p:.3f}"


def signed(value, unit: str) -> str:
    """A change between waves: "–" when missing, an explicit "+" on a positive mean change."""
    if is_missing(value):
        return "–"
    text = fmt_value(value, unit)
    return ("+" + text) if unit == "mean" and float(value) > 0 else text


def label_of(labels: Mapping, code) -> str:
    """The label of a code ("Non renseigné" for the missing code, the code itself when unknown)."""
    if is_missing(code):
        return _("Non renseigné")
    return str(labels.get(code, code))


def ci_text(lo, hi, kind: str) -> str:
    """A 95 % confidence interval as "[lo ; hi]" ("–" when a bound is missing)."""
    if is_missing(lo) or is_missing(hi):
        return "–"
    return f"[{fmt_value(lo, kind)} ; {fmt_value(hi, kind)}]"


def caution(flag) -> str:
    """The warning written beside a low-precision figure."""
    return _("à interpréter avec prudence") if bool(flag) and not is_missing(flag) else ""


def number_format(x: float, decimal_pos: int) -> str:
    """Rounded (Django's number_format truncates), with a decimal comma in French."""
    text = f"{x:.{decimal_pos}f}"
    return text if not is_french() else text.replace(".", ",")


def percent(share: float, decimals: int = 1) -> str:
    """A share (0–1) as a percentage number, without the sign."""
    return number_format(100 * share, decimal_pos=decimals)


def dont_know_text(n, share) -> str:
    """A cell's don't-know figures as "n (x %)" ("" when missing: a hidden cell shows none)."""
    if is_missing(n):
        return ""
    if is_missing(share):
        return fmt_n(n)
    return f"{fmt_n(n)} ({percent(float(share))}\u00a0%)"
