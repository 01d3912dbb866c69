"""What every analyst page shares: the chart blocks, the page context, the data-CSV response.

A :class:`Block` is one chart, the exact table behind it (what its "data" link serves) and its
text alternative. The "data" link is a plain GET: it is the page's own, suppressed table, so it
is not an export and writes no audit row (reading the page is not audited either).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import pandas as pd
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from config.assets import asset_available

from .. import charts, exports, plotly_css
from ..filters import INDICATORS, NOT_STATED, Filters
from ..selectors import Dashboard

__all__ = ["Block", "kind_label", "charts_available", "finish", "csv_response", "block_csv", "page_context"]


@dataclass
class Block:
    name: str
    title: str
    table: pd.DataFrame  # exactly what the "data" link serves
    figure: Callable[[], object] | None
    headers: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    note: str = ""
    data_url: str = ""
    figure_json: dict | None = None

    @property
    def json_id(self) -> str:
        return f"fig-{self.name}"


def kind_label(kind: str) -> str:
    """The name of an indicator kind, as written on axes and in titles."""
    return {"satisfied": _("% de satisfaits"), "mean": _("note moyenne (1 à 5)"), "nps": _("NPS")}[kind]


def charts_available() -> bool:
    """Whether plotly.js is vendored (without it the data tables stand in for the charts)."""
    return asset_available("vendor/plotly.min.js")


def finish(request: HttpRequest, blocks: list[Block], data_url: Callable[[str], str]) -> None:
    """Give each block its data link (with the page's query) and, when charts draw, its figure."""
    query = request.GET.urlencode()
    draw = charts_available()
    for block in blocks:
        block.data_url = data_url(block.name) + (f"?{query}" if query else "")
        if block.figure is not None and draw:
            block.figure_json = charts.figure_json(block.figure())


def csv_response(table: pd.DataFrame, filename: str) -> HttpResponse:
    """``table`` as a CSV attachment (refused if a hidden cell still carries a value)."""
    exports.ensure_no_hidden_values([table])
    response = HttpResponse(exports.csv_bytes(exports.export_ready(table)), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def block_csv(d: Dashboard, blocks: list[Block], name: str) -> HttpResponse:
    """The data CSV of the block ``name`` (404 when the page has no such block)."""
    for block in blocks:
        if block.name == name:
            return csv_response(block.table, f"{d.survey.slug}-{name}.csv")
    raise Http404


def page_context(d: Dashboard, f: Filters, page: str, **extra) -> dict:
    """The context every analyst page's template reads (filters, labels, weighting, freshness)."""
    weight = d.weight_column(f) if page != "verbatims" else None
    ctx = {
        "survey": d.survey, "d": d, "filters": f, "page": page,
        "wave_labels": d.wave_labels(), "category_labels": d.category_labels(),
        "channel_labels": {c.code: c.label for c in d.channels}, "NOT_STATED": NOT_STATED,
        "has_weights": d.has_weights(f.waves), "weighted": weight is not None,
        "indicators": [(value, kind_label(kind)) for value, kind in INDICATORS.items()],
        "selected_wave_labels": [d.wave_labels()[w] for w in f.waves if w in d.wave_labels()],
        "scored_questions": [q for q in d.questions if q.scored],
        "plotly_skip_ids": plotly_css.skipped_style_ids(),
        "figures_at": d.figures_at(),
        "charts_available": charts_available(),
    }
    if weight is not None:  # « pondéré : calage sur catégorie × canal, 2026-12-03 »
        from ..weighting_runs import weighting_text
        ctx["weighting_text"] = weighting_text(d.survey, f.waves)
    ctx.update(extra)
    return ctx
