"""The overview's opening: headline numbers and the completions-over-time curve.

* responses and completion rate of the selected waves (the overview's own counts);
* RR1 / RR2 of the waves that have invited samples (:func:`surveys.services.tracking.wave_tracking`,
  computed by the overview view and passed in);
* the main indicators of the latest selected wave with data — % satisfied, mean satisfaction, NPS —
  from the channel page's ``contact_total`` table (same cache, same suppression), each with its 95 %
  interval and its change since the previous wave with data (:func:`analysis.waves.compare`);
* complete responses per day, cumulated per wave (a count of submissions over time says nothing of
  any respondent's answers: it is published as is, like the overview's per-wave counts).
"""

from __future__ import annotations

import pandas as pd
from django.db.models import Count
from django.db.models.functions import TruncDate
from django.urls import reverse
from django.utils.translation import gettext as _

from surveys.models import Response, ResponseStatus

from . import charts, charts_questions, waves as wave_tests
from .formatting import dont_know_text
from .table_rows import kind_rows
from .views.common import Block, finish

__all__ = ["headline_context", "completions_table", "overview_blocks"]

KINDS = (("satisfied", "share"), ("mean", "mean"), ("nps", "nps"))


def completions_table(d, wave_codes) -> pd.DataFrame:
    """wave, day, n (complete responses submitted that day), cumulative (per wave)."""
    ids = {w.pk: w.code for w in d.waves if w.code in wave_codes}
    rows = (Response.objects.filter(wave__in=list(ids), status=ResponseStatus.COMPLETE, submitted_at__isnull=False)
            .annotate(day=TruncDate("submitted_at")).values("wave_id", "day").annotate(n=Count("id"))
            .order_by("wave_id", "day"))
    table = pd.DataFrame([{"wave": ids[r["wave_id"]], "day": r["day"], "n": r["n"]} for r in rows],
                         columns=["wave", "day", "n"])
    table["n"] = table["n"].astype("int64")
    order = [w for w in ids.values()]
    table["wave"] = pd.Categorical(table["wave"], categories=order)
    table = table.sort_values(["wave", "day"], kind="stable").reset_index(drop=True)
    table["cumulative"] = table.groupby("wave", observed=True)["n"].cumsum().astype("int64")
    table["wave"] = table["wave"].astype(object)
    return table


def overview_blocks(d, f) -> list:
    table = completions_table(d, f.waves)
    labels = {w: lab for w, lab in d.wave_labels().items() if w in f.waves}
    title = _("Réponses complètes au fil du temps (cumul par vague)")
    rows = [[labels.get(r["wave"], r["wave"]), str(r["day"]), charts.fmt_n(r["n"]), charts.fmt_n(r["cumulative"])]
            for r in table.to_dict("records")]
    headers = [_("Vague"), _("Jour"), _("Réponses complètes du jour"), _("Cumul")]
    return [Block("completions", title, table, lambda: charts_questions.cumulative_lines(
        table, wave_labels=labels, title=title), headers, rows)]


def _indicator(d, f, weight):
    """The latest selected wave with data, its contact_total rows per kind, and the changes."""
    v = d.versions()
    with_data = [w.code for w in d.waves if v.get(w.code, (0,))[0] > 0]
    chosen = [w for w in with_data if w in f.waves]
    if d.sat_code is None or not chosen:
        return None, None, []
    latest = chosen[-1]
    previous = with_data[with_data.index(latest) - 1] if with_data.index(latest) > 0 else None
    k = d.survey.min_cell
    d.needed = [c for c in (d.sat_code, d.nps_code) if c]
    now = d.table("contact_total", (latest,), k, weight)
    before = d.table("contact_total", (previous,), k, weight) if previous else None
    out = []
    for kind, unit in KINDS:
        cur = kind_rows(now, kind)
        if not len(cur):
            continue
        rec = cur.iloc[0].to_dict()
        item = {"kind": kind, "label": {"satisfied": _("% de satisfaits (4 ou 5)"), "mean": _("Note moyenne (1 à 5)"),
                                        "nps": _("NPS")}[kind],
                "secret": bool(rec.get("suppressed", False)), "value": charts.fmt_value(rec.get("value"), unit),
                "ci": charts.ci_text(rec.get("ci_low"), rec.get("ci_high"), unit), "n": charts.fmt_n(rec.get("n")),
                "dont_know": dont_know_text(rec.get("n_dont_know"), rec.get("dont_know_share")),
                "change": "", "change_ci": "", "significant": None}
        old = kind_rows(before, kind) if before is not None else None
        if old is not None and len(old) == 1:
            c = wave_tests.compare(old, cur, kind).iloc[0].to_dict()
            if bool(c["suppressed_a"]) or bool(c["suppressed_b"]):
                item["change"] = charts.SECRET()
            elif not charts.is_missing(c["diff"]):
                diff_unit = "mean" if kind == "mean" else "nps"
                text = charts.fmt_value(c["diff"], diff_unit)
                item["change"] = ("+" + text) if kind == "mean" and float(c["diff"]) > 0 else text
                item["change_ci"] = charts.ci_text(c["ci_low"], c["ci_high"], diff_unit)
                item["significant"] = bool(c["significant"])
        out.append(item)
    return latest, previous, out


def headline_context(request, d, f, per_wave: list[dict], tracking: list) -> dict:
    """What ``_headline.html`` shows, and the curve block (its chart and CSV like the other pages)."""
    complete = sum(w["complete"] for w in per_wave)
    started = sum(w["started"] for w in per_wave)
    latest, previous, items = _indicator(d, f, d.weight_column(f))
    labels = d.wave_labels()
    blocks = overview_blocks(d, f)
    finish(request, blocks, lambda name: reverse("analysis:overview_data", args=[d.survey.slug, name]))
    return {"headline": {
        "responses": complete, "completion": (100.0 * complete / started) if started else None,
        "rates": [{"wave": t.wave.label or t.wave.code, "rr1": t.total.rr1_percent, "rr2": t.total.rr2_percent,
                   "invited": t.total.invited} for t in tracking],
        "wave": labels.get(latest, latest) if latest else "", "previous": labels.get(previous, previous) if previous
        else "", "indicators": items}, "blocks": blocks,
        "analysed_questions": [q for q in d.questions if q.type != "text"]}
