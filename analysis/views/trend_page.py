"""Trends across waves: one line per contact channel, and the table of changes between waves."""

from __future__ import annotations

from django.utils.translation import gettext as _

from .. import break_charts, break_data, breaks, charts
from ..filters import Filters
from ..formatting import SECRET, ci_text, fmt_p, label_of, signed
from ..selectors import Dashboard
from ..trend_tables import ALL, trend_tables
from .alt_text import alt_rows, hidden_note, present
from .common import Block, kind_label

__all__ = ["trend_blocks"]


def trend_blocks(d: Dashboard, f: Filters) -> list[Block]:
    """Per-wave figures by contact channel (the channel page's own per-wave tables) and the
    changes between consecutive waves (:func:`analysis.trend_tables.trend_tables`)."""
    kind = f.kind
    if d.sat_code is None:
        return []
    t = trend_tables(d, f)
    trend, change = t.trend, t.change
    # issue 18: no wave-to-wave test across a series break (analysis.breaks)
    series = break_data.series_breaks(d.survey, list(t.waves))
    cut = breaks.pair_reasons(series, d.nps_code if kind == "nps" else d.sat_code)
    change = breaks.mask_changes(change, cut)
    ch_labels = {ALL: _("Ensemble des répondants"), **present(d.channel_labels(f.channels), trend, "channel")}
    wave_labels = d.wave_labels(t.waves)
    value_label = kind_label(kind)
    what = _("Satisfaction globale") if kind != "nps" else _("Recommandation (NPS)")
    title = f"{what} — {value_label}, " + _("par vague et canal de contact (IC à 95 %)")
    headers, alt = alt_rows(trend, [("wave", (_("Vague"), wave_labels)),
                                    ("channel", (_("Canal de contact"), ch_labels))], kind)
    lines = Block("tendances", title, trend, lambda: break_charts.draw_breaks(charts.trend_lines(
        trend, change, series="channel", labels=ch_labels, wave_labels=wave_labels, kind=kind, title=title,
        value_label=value_label, emphasis=ALL), break_data.readable_pairs(cut), wave_labels), headers, alt,
        note=hidden_note(trend))
    c_headers = [_("Vagues"), _("Canal de contact"), _("Évolution"), _("IC à 95 %"), _("p ajustée (Holm)"),
                 _("Significatif")]
    c_rows = [_change_row(rec, wave_labels, ch_labels, kind) for rec in change.to_dict("records")]
    blocks = [lines, Block("evolutions", _("Évolutions entre vagues successives"), change, None, c_headers, c_rows)]
    if len(series):  # every question's changes and breaks between the waves shown (issue 18)
        blocks.append(Block("ruptures", _("Ruptures de série et changements du questionnaire"),
                            *break_data.break_table(series, wave_labels)))
    return blocks


def _change_row(rec: dict, wave_labels: dict, ch_labels: dict, kind: str) -> list[str]:
    """One line of the changes table (the change is secret when either wave's figure is)."""
    hidden = bool(rec.get("suppressed_a")) or bool(rec.get("suppressed_b"))
    unit = "mean" if kind == "mean" else "nps"
    row = [
        f"{wave_labels.get(rec['wave_a'], rec['wave_a'])} → {wave_labels.get(rec['wave_b'], rec['wave_b'])}",
        label_of(ch_labels, rec["channel"]),
        SECRET() if hidden else signed(rec.get("diff"), unit),
        "" if hidden else ci_text(rec.get("ci_low"), rec.get("ci_high"), unit),
        "" if hidden else fmt_p(rec.get("p_adjusted")),
        SECRET() if hidden else _("oui") if bool(rec.get("significant")) else _("non"),  # issue 22
    ]
    if rec.get("series_break"):  # the row says why there is no test (issue 18)
        row[2:5] = [_("rupture de série : %(reason)s") % {"reason": break_data.readable(rec["series_break"])}, "", ""]
    return row
