"""Fieldwork tracking for designers: where each invited participant stands, and response rates.

Every invited participant has exactly one final disposition (AAPOR Standard Definitions, as in
methodology.md), decided in this order, so the columns of a row add up to the invited count:

- **I**  complete response;
- **P**  partial response (started, not submitted);
- **R**  opted out (refusal) without any response;
- **UO** undeliverable address (unknown eligibility) without any response;
- **NC** invited, never started.

RR1 = I / (I + P + R + NC + UO) and RR2 = (I + P) / (I + P + R + NC + UO). Participants imported but
not invited yet are outside the sample fielded so far: counted as "imported", not in the rates.
Responses that came through open links have no denominator; they are counted apart.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

import pandas as pd
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..models import Channel, Participant, Response, ResponseStatus, UserCategory, Wave, audit
from .spreadsheets import csv_text

COMPLETE, PARTIAL, REFUSED, UNDELIVERABLE, NOT_STARTED, NOT_INVITED = "I", "P", "R", "UO", "NC", "NI"
DISPOSITION_LABELS = {
    COMPLETE: _("réponse complète"),
    PARTIAL: _("réponse partielle"),
    REFUSED: _("désinscrit"),
    UNDELIVERABLE: _("injoignable"),
    NOT_STARTED: _("invité, pas commencé"),
    NOT_INVITED: _("pas encore invité"),
}


def disposition(invited: bool, response_status: str | None, opted_out: bool, undeliverable: bool) -> str:
    """The final disposition code of one participant (precedence as in the module docstring)."""
    if response_status == ResponseStatus.COMPLETE:
        return COMPLETE
    if response_status == ResponseStatus.PARTIAL:
        return PARTIAL
    if not invited:
        return NOT_INVITED
    if opted_out:
        return REFUSED
    if undeliverable:
        return UNDELIVERABLE
    return NOT_STARTED


def disposition_filter(code: str) -> Q:
    """A filter on Participant selecting one disposition (same precedence as `disposition`)."""
    no_response = Q(response__isnull=True)
    invited = Q(invited_at__isnull=False)
    return {
        COMPLETE: Q(response__status=ResponseStatus.COMPLETE),
        PARTIAL: Q(response__status=ResponseStatus.PARTIAL),
        NOT_INVITED: no_response & Q(invited_at__isnull=True),
        REFUSED: no_response & invited & Q(opted_out_at__isnull=False),
        UNDELIVERABLE: no_response & invited & Q(opted_out_at__isnull=True, undeliverable=True),
        NOT_STARTED: no_response & invited & Q(opted_out_at__isnull=True, undeliverable=False),
    }[code]


def participants_list(wave: Wave, code: str | None = None) -> QuerySet[Participant]:
    """The participants of a wave, optionally of one disposition (see `participant_disposition`)."""
    qs = Participant.objects.filter(wave=wave).select_related("category", "channel", "response").order_by("pk")
    return qs.filter(disposition_filter(code)) if code in DISPOSITION_LABELS else qs


def participant_disposition(p: Participant) -> str:
    response = getattr(p, "response", None)
    return disposition(p.invited_at is not None, response.status if response else None,
                       p.opted_out_at is not None, p.undeliverable)


def response_rates(i: int, p: int, r: int, nc: int, uo: int) -> tuple[float | None, float | None]:
    """(RR1, RR2) as proportions; None when nobody was invited."""
    base = i + p + r + nc + uo
    if base == 0:
        return None, None
    return i / base, (i + p) / base


@dataclass
class Row:
    """Counts for one group of participants (a category, a channel, or everybody)."""

    code: str
    label: str
    imported: int = 0
    opened: int = 0
    dispositions: Counter = field(default_factory=Counter)

    @property
    def invited(self) -> int:
        return sum(n for code, n in self.dispositions.items() if code != NOT_INVITED)

    @property
    def complete(self) -> int:
        return self.dispositions[COMPLETE]

    @property
    def partial(self) -> int:
        return self.dispositions[PARTIAL]

    @property
    def opted_out(self) -> int:
        return self.dispositions[REFUSED]

    @property
    def undeliverable(self) -> int:
        return self.dispositions[UNDELIVERABLE]

    @property
    def not_started(self) -> int:
        return self.dispositions[NOT_STARTED]

    @property
    def rates(self) -> tuple[float | None, float | None]:
        d = self.dispositions
        return response_rates(d[COMPLETE], d[PARTIAL], d[REFUSED], d[NOT_STARTED], d[UNDELIVERABLE])

    @property
    def rr1(self) -> float | None:
        return self.rates[0]

    @property
    def rr2(self) -> float | None:
        return self.rates[1]

    @property
    def rr1_percent(self) -> float | None:
        return None if self.rr1 is None else 100 * self.rr1

    @property
    def rr2_percent(self) -> float | None:
        return None if self.rr2 is None else 100 * self.rr2


@dataclass
class Tracking:
    wave: Wave
    total: Row
    by_category: list[Row]
    by_channel: list[Row]
    open_links: list[dict]  # per channel: partial / complete responses that came without invitation


def wave_tracking(wave: Wave) -> Tracking:
    """Counts per category, per channel and in total for one wave (a handful of queries)."""
    rows = Participant.objects.filter(wave=wave).values_list(
        "category_id", "channel_id", "invited_at", "opened_at", "opted_out_at", "undeliverable", "response__status")
    categories = {c.pk: c for c in UserCategory.objects.all()}
    channels = {c.pk: c for c in Channel.objects.all()}
    total = Row("", "Ensemble")
    by_category: dict[int, Row] = {}
    by_channel: dict[int | None, Row] = {}
    for category_id, channel_id, invited_at, opened_at, opted_out_at, undeliverable, status in rows:
        code = disposition(invited_at is not None, status, opted_out_at is not None, undeliverable)
        cat = categories[category_id]
        chan = channels.get(channel_id)
        groups = (
            total,
            by_category.setdefault(category_id, Row(cat.code, cat.label)),
            by_channel.setdefault(channel_id, Row(chan.code if chan else "", chan.label if chan else "(sans canal)")),
        )
        for row in groups:
            row.imported += 1
            row.opened += opened_at is not None
            row.dispositions[code] += 1
    category_order = {c.pk: (c.order, c.code) for c in categories.values()}
    channel_order = {c.pk: (c.order, c.code) for c in channels.values()}
    last = (10**9, "")  # "no channel" comes last
    open_counts: dict[int | None, dict] = {}
    for channel_id, status, n in Response.objects.filter(wave=wave, participant__isnull=True).values_list(
            "channel_id", "status").annotate(n=Count("id")).order_by():
        chan = channels.get(channel_id)
        entry = open_counts.setdefault(channel_id, {
            "code": chan.code if chan else "", "label": chan.label if chan else "(sans canal)",
            "partial": 0, "complete": 0})
        entry["complete" if status == ResponseStatus.COMPLETE else "partial"] += n
    return Tracking(
        wave=wave, total=total,
        by_category=[by_category[k] for k in sorted(by_category, key=category_order.__getitem__)],
        by_channel=[by_channel[k] for k in sorted(by_channel, key=lambda k: channel_order.get(k, last))],
        open_links=[open_counts[k] for k in sorted(open_counts, key=lambda k: channel_order.get(k, last))],
    )


def rates_figure(rows: list[Row], title: str, language: str = "fr") -> dict | None:
    """A plotly figure (as a dict for `json_script`): RR1 and RR2 per group, in percent, as bars.

    Drawn by static/js/charts.js with the vendored plotly.js; None when nobody was invited (the
    table under the chart always carries the same numbers).
    """
    rows = [r for r in rows if r.invited]
    if not rows:
        return None
    labels = [r.label for r in rows]
    french = language == "fr"

    def trace(name: str, values: list[float], color: str) -> dict:
        return {"type": "bar", "orientation": "h", "name": name, "y": labels, "x": values,
                "marker": {"color": color}, "hovertemplate": "%{y} : %{x:.1f} %<extra>" + name + "</extra>"}

    return {
        "data": [
            trace("RR1", [round(100 * r.rr1, 1) for r in rows], "#000091"),
            trace("RR2", [round(100 * r.rr2, 1) for r in rows], "#6a6af4"),
        ],
        "layout": {
            "title": {"text": title, "x": 0, "xanchor": "left", "font": {"size": 16}},
            "barmode": "group", "template": "none", "separators": ", " if french else ".,",
            "xaxis": {"title": {"text": "%"}, "range": [0, 100]},
            "yaxis": {"autorange": "reversed", "automargin": True},
            "legend": {"orientation": "h", "y": -0.2},
            "margin": {"l": 10, "r": 10, "t": 50, "b": 40},
            "height": 120 + 50 * len(rows),
        },
        "config": {"displaylogo": False, "responsive": True, "displayModeBar": False},
    }


# --- Participant status export ---------------------------------------------------------------------

EXPORT_COLUMNS = ["email", "categorie", "canal", "langue", "statut", "statut_libelle", "invite_le", "relance_le",
                  "ouvert_le", "desinscrit_le", "injoignable"]


def _when(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def participants_status_rows(wave: Wave) -> Iterable[list[str]]:
    """One row per participant: address and fieldwork status. No answers, no tokens."""
    for p in participants_list(wave).iterator(chunk_size=2000):
        code = participant_disposition(p)
        yield [p.email, p.category.code, p.channel.code if p.channel else "", p.language, code,
               str(DISPOSITION_LABELS[code]), _when(p.invited_at), _when(p.reminded_at), _when(p.opened_at),
               _when(p.opted_out_at), "oui" if p.undeliverable else "non"]


def participants_status_csv(wave: Wave, actor: object) -> tuple[str, int]:
    """The status list as CSV text (`;`, UTF-8 with BOM for spreadsheets, text neutralised by the
    platform's one writer), audited with its count."""
    table = pd.DataFrame(list(participants_status_rows(wave)), columns=EXPORT_COLUMNS, dtype=object)
    audit(actor, "participants_export", wave.survey.slug, wave=wave.code, rows=len(table))
    return csv_text(table, sep=";"), len(table)
