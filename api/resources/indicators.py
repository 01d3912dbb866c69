"""Indicator tables: the dashboards' own tables (``analysis.selectors.Dashboard``), nothing recomputed.

The parameters are the dashboards' filters under English names and go through the same
allow-list (``analysis.filters.parse``, page "channels"): the same waves by default, the same
weighting default, a minimum cell size never below the survey's, category and channel as display
filters on the full table (never a sub-population). A suppressed cell comes with ``suppressed:
true`` and no figure; the guard ``exports.ensure_no_hidden_values`` runs on every answer.
"""


import math
from typing import Any, Literal

import pandas as pd
from django.http import HttpRequest
from ninja import Query, Router, Schema

from analysis import exports
from analysis.filters import FilterError, parse
from analysis.selectors import Dashboard, kind_rows, select_rows

from ..auth import survey_for
from ..errors import ApiError
from ..models import Scope
from .common import ERRORS

router = Router(tags=["indicators"])

#: (subject, by) → the dashboard table
TABLES = {
    ("contact", "channel"): "contact_channel",
    ("contact", "channel,category"): "contact_grid",
    ("contact", "total"): "contact_total",
    ("channels", "channel"): "question_channel",
    ("channels", "channel,category"): "question_grid",
}
#: API parameter → dashboard parameter
PARAMS = {"wave": "vague", "category": "categorie", "channel": "canal", "weighted": "pondere",
          "min_cell": "seuil", "indicator": "indicateur"}
INDICATOR_VALUES = {"satisfied": "satisfaits", "mean": "moyenne", "nps": "nps"}
ALLOWED = set(PARAMS) | {"by", "subject"}


class IndicatorTable(Schema):
    survey: str
    table: str
    subject: str
    by: list[str]
    indicator: str
    waves: list[str]
    weighted: bool
    min_cell: int
    hidden_cells: int
    rows: list[dict[str, Any]]


def _by(value: str) -> str:
    parts = [p for p in value.replace(" ", "").split(",") if p]
    if not parts:
        return "total"
    return ",".join(sorted(set(parts), key=["channel", "category", "total"].index)) \
        if set(parts) <= {"channel", "category", "total"} else value


def _dashboard_params(request: HttpRequest) -> dict[str, list[str]]:
    unknown = sorted(set(request.GET) - ALLOWED)
    if unknown:
        raise ApiError(400, "unknown_parameter", f"Paramètre non autorisé : {unknown[0]}.", unknown[0])
    out: dict[str, list[str]] = {}
    for name, target in PARAMS.items():
        values = request.GET.getlist(name)
        if not values:
            continue
        if name == "indicator":
            values = [INDICATOR_VALUES.get(v, f"?{v}") for v in values]
        elif name == "weighted":
            values = [{"true": "1", "false": "0"}.get(v.lower(), v) for v in values]
        out[target] = values
    return out


def _records(table: pd.DataFrame, d: Dashboard) -> list[dict[str, Any]]:
    categories, channels = d.category_labels(), d.channel_labels()
    rows = []
    for rec in exports.export_ready(table).to_dict("records"):
        row = {}
        for key, value in rec.items():
            if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
                value = None
            elif hasattr(value, "item"):  # numpy scalar
                value = value.item()
            row[key] = value
        if "channel" in row:
            row["channel_label"] = channels.get(row["channel"], row["channel"])
        if "category" in row:
            row["category_label"] = categories.get(row["category"], row["category"])
        rows.append(row)
    return rows


@router.get("{slug}/indicators/", response={200: IndicatorTable, **ERRORS}, summary="Indicator table")
def indicator_table(
    request: HttpRequest, slug: str,
    by: str = Query("channel", description="channel | channel,category | total"),
    subject: Literal["contact", "channels"] = Query(
        "contact", description="contact: overall satisfaction and NPS by contact channel; channels: "
                               "satisfaction with each channel (its own questions)"),
    indicator: Literal["satisfied", "mean", "nps"] = Query("satisfied"),
    wave: list[str] = Query(None, description="wave code(s); default: the dashboard's"),
    category: list[str] = Query(None, description="display filter (rows of the full table)"),
    channel: list[str] = Query(None, description="display filter; _none = not stated"),
    weighted: bool | None = Query(None, description="default: weighted when weights exist"),
    min_cell: int | None = Query(None, description="minimum cell size, never below the survey's"),
):
    """The table behind a dashboard chart, suppressed and linked exactly as on the page."""
    survey = survey_for(request, slug, Scope.RESULTS_READ)
    key = (subject, _by(by))
    if key not in TABLES:
        raise ApiError(400, "invalid", "by : channel, « channel,category » ou total (total : subject=contact).", "by")
    name = TABLES[key]
    if subject == "channels" and indicator == "nps":
        raise ApiError(400, "invalid", "indicator=nps n'existe que pour subject=contact.", "indicator")
    d = Dashboard(survey)
    try:
        f = parse(_dashboard_params(request), "channels", d.choices("channels"))
    except FilterError as exc:
        field = str(exc).split(":", 1)[0]
        api_field = {v: k for k, v in PARAMS.items()}.get(field)
        raise ApiError(400, "invalid", str(exc).replace(field, api_field or field, 1), api_field) from None
    weight = d.weight_column(f)
    d.needed = list(dict.fromkeys(c for c in (d.sat_code, d.nps_code, *[q.code for q in d.channel_questions]) if c))
    table = kind_rows(d.table(name, f.waves, f.min_cell, weight), f.kind)
    table = select_rows(select_rows(table, "channel", f.channels), "category", f.categories)
    exports.ensure_no_hidden_values([table])
    hidden = int(table["suppressed"].fillna(True).astype(bool).sum()) if "suppressed" in table.columns else 0
    return {"survey": survey.slug, "table": name, "subject": subject, "by": key[1].split(","),
            "indicator": indicator, "waves": list(f.waves), "weighted": weight is not None, "min_cell": f.min_cell,
            "hidden_cells": hidden, "rows": _records(table, d)}
