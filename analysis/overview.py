"""The overview page's figures: responses per wave (started, complete, completion, median
duration) and complete responses per category and per channel, under the same secrecy rule as
every table; plus the wave tracking of invited samples (response rates)."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Sequence

import pandas as pd
from django.db.models import Count, DurationField, ExpressionWrapper, F

from surveys.models import Response, ResponseStatus, Wave

from . import disclosure
from .formatting import is_missing, label_of

if TYPE_CHECKING:
    from .filters import Filters
    from .selectors import Dashboard

__all__ = ["overview_tables", "overview_page"]


def overview_tables(d: Dashboard, waves: Sequence[str]) -> dict:
    """Counts, completion and median duration per wave; complete responses per category and
    per channel (counts below the minimum cell size are suppressed like any table)."""
    wave_objs = [w for w in d.waves if w.code in waves]
    ids = [w.pk for w in wave_objs]
    by_status = {(r["wave_id"], r["status"]): r["n"] for r in Response.objects.filter(wave__in=ids)
                 .values("wave_id", "status").annotate(n=Count("id")).order_by()}
    per_wave = []
    for w in wave_objs:
        complete = by_status.get((w.pk, ResponseStatus.COMPLETE), 0)
        started = complete + by_status.get((w.pk, ResponseStatus.PARTIAL), 0)
        per_wave.append({"code": w.code, "label": w.label or w.code, "complete": complete, "started": started,
                         "completion": (100.0 * complete / started) if started else None,
                         "median_minutes": median_minutes(w, complete, d.survey.min_cell)})
    counts = {dim: _complete_by(ids, dim, field_name, d.survey.min_cell)
              for dim, field_name in (("category", "category__code"), ("channel", "channel__code"))}
    return {"waves": per_wave, "counts": counts}


def _complete_by(wave_ids: list[int], dim: str, field_name: str, min_cell: int) -> pd.DataFrame:
    rows = (Response.objects.filter(wave__in=wave_ids, status=ResponseStatus.COMPLETE)
            .values(field_name).annotate(n=Count("id")).order_by())
    table = pd.DataFrame({dim: [r[field_name] for r in rows], "n": [r["n"] for r in rows]}, columns=[dim, "n"])
    table["n"] = table["n"].astype("int64")
    if not len(table):
        return table.assign(suppressed=pd.Series(dtype=bool))
    return disclosure.suppress(table, min_cell=min_cell, n_col="n", by_rows=[dim])


def median_minutes(wave: Wave, complete: int, min_cell: int) -> float | None:
    """Median of submitted_at − started_at over complete responses (the database sorts;
    at most two rows come back). Not shown below the minimum cell size."""
    if complete < max(min_cell, 1):
        return None
    duration = ExpressionWrapper(F("submitted_at") - F("started_at"), output_field=DurationField())
    qs = (Response.objects.filter(wave=wave, status=ResponseStatus.COMPLETE).annotate(d=duration)
          .order_by("d").values_list("d", flat=True))
    middle = complete // 2
    values = list(qs[middle - 1:middle + 1]) if complete % 2 == 0 else list(qs[middle:middle + 1])
    values = [v for v in values if v is not None]
    if not values:
        return None
    seconds = sum(v.total_seconds() if isinstance(v, timedelta) else float(v) / 1e6 for v in values) / len(values)
    return seconds / 60.0


def overview_page(d: Dashboard, f: Filters) -> dict:
    """What the overview page shows: per-wave rows, labelled counts (None where secret), tracking."""
    from surveys.services.tracking import wave_tracking

    data = d.overview(f.waves)
    counts = {}
    for dim, labels in (("category", d.category_labels()), ("channel", d.channel_labels())):
        found = {(None if is_missing(rec[dim]) else rec[dim]): rec for rec in data["counts"][dim].to_dict("records")}
        order = list(labels) + [code for code in found if code not in labels]
        counts[dim] = [{"label": label_of(labels, code),
                        "n": None if bool(found[code].get("suppressed", False)) else found[code]["n"]}
                       for code in order if code in found]
    tracking = [wave_tracking(w) for w in d.waves if w.code in f.waves]
    tracking = [t for t in tracking if t.total.imported]
    return {"per_wave": data["waves"], "counts": counts, "tracking": tracking, "min_cell": d.survey.min_cell}
