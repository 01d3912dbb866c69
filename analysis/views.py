"""Analyst pages: thin views over `analysis` functions.

Access: signed-in staff in the ``analysts`` or ``designers`` group (or superusers), and only for
the surveys they are granted (``surveys_for``; another survey is a 404). Anonymous visitors are
sent to the login page; a signed-in user without the role gets a 403 (a redirect to the login
page would loop, since the login page sends signed-in users back). Microdata exports are for the
``analysts`` group (and superusers) only.

Every page reads its filters from the URL through the allow-list of :mod:`analysis.filters`
(anything else: 400), asks :class:`analysis.selectors.Dashboard` for suppressed, linked, cached
tables, and turns each into a chart with :mod:`analysis.charts`. A chart's "data" link serves the
exact table behind it as CSV (a plain GET: it is the page's own, suppressed table, so it is not
an export and writes no audit row — reading the page is not audited either). Microdata and
indicator exports are POST forms (CSRF-protected) and each one is audited.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import wraps
from typing import Callable

import pandas as pd
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from config.assets import asset_available
from surveys.forms import SATISFACTION_LABELS
from surveys.models import Answer, QuestionType, ResponseStatus, audit
from surveys.permissions import ANALYSTS, in_group, is_analyst, surveys_for

from . import charts, exports, plotly_css, waves as wave_tests
from . import break_charts, break_data, breaks  # issue 18
from .filters import INDICATORS, NOT_STATED, FilterError, Filters, parse
from .selectors import Dashboard, dashboard_for, kind_rows, n_hidden, select_rows
from .text import frequent_terms

VERBATIMS_PER_PAGE = 25
TERMS_MAX_TEXTS = 50_000
ALL = "_ensemble"  # the "all channels" series of the trends


# --------------------------------------------------------------------------------------------
# Access and filters
# --------------------------------------------------------------------------------------------
def may_read(user) -> bool:
    return bool(user.is_authenticated and user.is_active and user.is_staff and is_analyst(user))


def may_export_microdata(user) -> bool:
    return may_read(user) and (user.is_superuser or in_group(user, ANALYSTS))


def analyst_required(view: Callable) -> Callable:
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not may_read(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)
    return wrapped


def dashboard_page(page: str):
    """Access check, survey lookup (404 when not granted) and filter validation (400)."""
    def decorator(view: Callable) -> Callable:
        @analyst_required
        @wraps(view)
        def wrapped(request: HttpRequest, slug: str, *args, **kwargs) -> HttpResponse:
            d = dashboard_for(request.user, slug)
            try:
                filters = parse(dict(request.GET.lists()), page, d.choices(page))
            except FilterError as exc:
                return bad_request(request, str(exc))
            return view(request, d, filters, *args, **kwargs)
        return wrapped
    return decorator


def bad_request(request: HttpRequest, reason: str) -> HttpResponse:
    response = render(request, "analysis/bad_request.html", {"reason": reason}, status=400)
    return response


# --------------------------------------------------------------------------------------------
# Blocks: a chart, the table behind it, its text alternative
# --------------------------------------------------------------------------------------------
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


def _fmt(value, kind: str) -> str:
    return charts.fmt_value(value, kind)


def _alt_rows(table: pd.DataFrame, dims: list[tuple[str, dict]], kind: str) -> tuple[list[str], list[list[str]]]:
    """Text alternative of an indicator table: one line per cell ("secret" where suppressed)."""
    headers = [title for _col, (title, _labels) in dims] + [
        _("Valeur"), _("IC à 95 %"), _("n"), _("Remarque")]
    rows = []
    for rec in table.to_dict("records"):
        line = [charts.label_of(labels, rec[col]) for col, (_title, labels) in dims]
        if bool(rec.get("suppressed", False)):
            line += [charts.SECRET(), "", "", _("secret statistique")]
        else:
            line += [_fmt(rec.get("value"), kind), charts.ci_text(rec.get("ci_low"), rec.get("ci_high"), kind),
                     charts.fmt_n(rec.get("n")), charts.caution(rec.get("low_precision", False))]
        rows.append(line)
    return headers, rows


def _kind_label(kind: str) -> str:
    return {"satisfied": _("% de satisfaits"), "mean": _("note moyenne (1 à 5)"), "nps": _("NPS")}[kind]


def _present(labels: dict, table: pd.DataFrame, column: str) -> dict:
    """``labels`` restricted to the codes present in ``table[column]`` (None = not stated)."""
    if not len(table) or column not in table.columns:
        return {}
    values = set(table[column].dropna().astype(object))
    has_missing = bool(table[column].isna().any())
    return {code: label for code, label in labels.items()
            if (code is None and has_missing) or (code is not None and code in values)}


def charts_available() -> bool:
    return asset_available("vendor/plotly.min.js")


def _finish(request: HttpRequest, blocks: list[Block], data_url: Callable[[str], str], filters: Filters) -> None:
    query = request.GET.urlencode()
    draw = charts_available()  # without plotly.js the data tables stand in for the charts
    for block in blocks:
        block.data_url = data_url(block.name) + (f"?{query}" if query else "")
        if block.figure is not None and draw:
            block.figure_json = charts.figure_json(block.figure())


def _csv_response(table: pd.DataFrame, filename: str) -> HttpResponse:
    exports.ensure_no_hidden_values([table])
    response = HttpResponse(exports.csv_bytes(exports.export_ready(table)), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _context(d: Dashboard, f: Filters, page: str, **extra) -> dict:
    weight = d.weight_column(f) if page != "verbatims" else None
    ctx = {
        "survey": d.survey, "d": d, "filters": f, "page": page,
        "wave_labels": d.wave_labels(), "category_labels": d.category_labels(),
        "channel_labels": {c.code: c.label for c in d.channels}, "NOT_STATED": NOT_STATED,
        "has_weights": d.has_weights(f.waves), "weighted": weight is not None,
        "indicators": [(value, _kind_label(kind)) for value, kind in INDICATORS.items()],
        "selected_wave_labels": [d.wave_labels()[w] for w in f.waves if w in d.wave_labels()],
        "scored_questions": [q for q in d.questions if q.scored],
        "plotly_skip_ids": plotly_css.skipped_style_ids(),
        "figures_at": d.figures_at(),
        "charts_available": charts_available(),
    }
    if weight is not None:  # « pondéré : calage sur catégorie × canal, 2026-12-03 »
        from .weighting_runs import weighting_text
        ctx["weighting_text"] = weighting_text(d.survey, f.waves)
    ctx.update(extra)
    return ctx


# --------------------------------------------------------------------------------------------
# Index and overview
# --------------------------------------------------------------------------------------------
@require_GET
@analyst_required
def index(request: HttpRequest) -> HttpResponse:
    """The surveys this analyst may see."""
    return render(request, "analysis/index.html", {"surveys": surveys_for(request.user)})


@require_GET
@dashboard_page("overview")
def overview(request: HttpRequest, d: Dashboard, f: Filters) -> HttpResponse:
    """Responses per wave, category and channel; completion, median duration, response rates."""
    from surveys.services.tracking import wave_tracking

    data = d.overview(f.waves)
    counts = {}
    for dim, labels in (("category", d.category_labels()), ("channel", d.channel_labels())):
        found = {(None if charts.is_missing(rec[dim]) else rec[dim]): rec for rec in data["counts"][dim].to_dict("records")}
        order = list(labels) + [code for code in found if code not in labels]
        counts[dim] = [{"label": charts.label_of(labels, code),
                        "n": None if bool(found[code].get("suppressed", False)) else found[code]["n"]}
                       for code in order if code in found]
    tracking = [wave_tracking(w) for w in d.waves if w.code in f.waves]
    tracking = [t for t in tracking if t.total.imported]
    return render(request, "analysis/overview.html", _context(
        d, f, "overview", per_wave=data["waves"], counts=counts, tracking=tracking,
        min_cell=d.survey.min_cell))


# --------------------------------------------------------------------------------------------
# Satisfaction by channel
# --------------------------------------------------------------------------------------------
def channel_blocks(d: Dashboard, f: Filters) -> list[Block]:
    """Heatmap channels × categories and bars per channel (overall satisfaction / NPS by the
    respondent's contact channel; then the questions about each channel)."""
    weight, k, kind = d.weight_column(f), f.min_cell, f.kind
    names = ["contact_grid", "contact_channel", "contact_total"]
    with_questions = bool(d.channel_questions) and kind != "nps"
    if with_questions:
        names += ["question_grid", "question_channel"]
    d.needed = _codes(d.sat_code, d.nps_code, *[q.code for q in d.channel_questions])
    d.prefetch([(n, f.waves, k, weight) for n in names])
    blocks: list[Block] = []
    value_label = _kind_label(kind)
    cat_labels = d.category_labels(f.categories)
    ch_labels = d.channel_labels(f.channels)
    if d.sat_code is None:
        return blocks

    def grid_block(name: str, table_name: str, title: str, row_title: str) -> Block:
        grid = kind_rows(d.table(table_name, f.waves, k, weight), kind)
        grid = select_rows(select_rows(grid, "channel", f.channels), "category", f.categories)
        rows = _present(ch_labels, grid, "channel")
        cols = _present(cat_labels, grid, "category")
        headers, alt = _alt_rows(grid, [("channel", (row_title, ch_labels)), ("category", (_("Catégorie"), cat_labels))],
                                 kind)
        return Block(name, title, grid, lambda: charts.heatmap(
            grid, rows="channel", cols="category", row_labels=rows, col_labels=cols, kind=kind, title=title,
            value_label=value_label), headers, alt, note=_hidden_note(grid))

    def bar_block(name: str, table_name: str, title: str, row_title: str, total_name: str | None) -> Block:
        bars = kind_rows(d.table(table_name, f.waves, k, weight), kind)
        bars = select_rows(bars, "channel", f.channels)
        total = kind_rows(d.table(total_name, f.waves, k, weight), kind) if total_name else None
        table = bars if total is None else pd.concat([total.assign(channel=ALL), bars], ignore_index=True)
        labels = _present(ch_labels, bars, "channel")
        headers, alt = _alt_rows(table, [("channel", (row_title, {ALL: _("Ensemble des répondants"), **labels}))],
                                 kind)
        return Block(name, title, table, lambda: charts.bar_ci(
            bars, by="channel", labels=labels, kind=kind, title=title, value_label=value_label, total=total,
            total_label=_("Ensemble des répondants")), headers, alt, note=_hidden_note(table))

    what = _("Satisfaction globale") if kind != "nps" else _("Recommandation (NPS)")
    blocks.append(grid_block("carte-contact", "contact_grid",
                             f"{what} — {value_label}, " + _("par canal de contact et catégorie"), _("Canal de contact")))
    blocks.append(bar_block("barres-contact", "contact_channel",
                            f"{what} — {value_label}, " + _("par canal de contact (IC à 95 %)"), _("Canal de contact"),
                            "contact_total"))
    if with_questions:
        blocks.append(grid_block("carte-canaux", "question_grid",
                                 _("Satisfaction à l'égard de chaque canal") + f" — {value_label}, "
                                 + _("par catégorie"), _("Canal évalué")))
        blocks.append(bar_block("barres-canaux", "question_channel",
                                _("Satisfaction à l'égard de chaque canal") + f" — {value_label} (IC à 95 %)",
                                _("Canal évalué"), None))
    return blocks


def _codes(*codes) -> list[str]:
    return list(dict.fromkeys(c for c in codes if c))


def _hidden_note(table: pd.DataFrame) -> str:
    hidden = n_hidden(table)
    if not hidden:
        return ""
    return _("%(n)s case(s) masquée(s) par le secret statistique.") % {"n": hidden}


@require_GET
@dashboard_page("channels")
def channels(request: HttpRequest, d: Dashboard, f: Filters) -> HttpResponse:
    blocks = channel_blocks(d, f)
    _finish(request, blocks, lambda name: reverse("analysis:channels_data", args=[d.survey.slug, name]), f)
    return render(request, "analysis/channels.html", _context(d, f, "channels", blocks=blocks))


@require_GET
@dashboard_page("channels")
def channels_data(request: HttpRequest, d: Dashboard, f: Filters, name: str) -> HttpResponse:
    return _block_csv(d, channel_blocks(d, f), name)


def _block_csv(d: Dashboard, blocks: list[Block], name: str) -> HttpResponse:
    for block in blocks:
        if block.name == name:
            return _csv_response(block.table, f"{d.survey.slug}-{name}.csv")
    raise Http404


# --------------------------------------------------------------------------------------------
# Trends across waves
# --------------------------------------------------------------------------------------------
def trend_blocks(d: Dashboard, f: Filters) -> list[Block]:
    """Per-wave figures by contact channel (the channel page's own per-wave tables) and the
    changes between consecutive waves (waves.compare, Holm within each pair of waves)."""
    weight, k, kind = d.weight_column(f), f.min_cell, f.kind
    if d.sat_code is None:
        return []
    d.needed = _codes(d.sat_code, d.nps_code)
    order = [w for w in d.wave_labels() if w in f.waves]
    d.prefetch([(n, (w,), k, weight) for w in order for n in ("contact_channel", "contact_total")])
    per_wave, totals = {}, {}
    for w in order:
        per_wave[w] = kind_rows(d.table("contact_channel", (w,), k, weight), kind)
        totals[w] = kind_rows(d.table("contact_total", (w,), k, weight), kind)
    parts = []
    for w in order:
        if len(totals[w]):
            parts.append(totals[w].assign(wave=w, channel=ALL))
        parts.append(per_wave[w].assign(wave=w))
    trend = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["wave", "channel", "value"])
    trend = trend[["wave"] + [c for c in trend.columns if c != "wave"]]
    changes = []
    for a, b in zip(order, order[1:]):
        if len(per_wave[a]) and len(per_wave[b]):
            changes.append(wave_tests.compare(per_wave[a], per_wave[b], kind, by="channel").assign(wave_a=a, wave_b=b))
        if len(totals[a]) == 1 and len(totals[b]) == 1:
            changes.append(wave_tests.compare(totals[a], totals[b], kind).assign(channel=ALL, wave_a=a, wave_b=b))
    change = pd.concat(changes, ignore_index=True) if changes else pd.DataFrame(
        columns=["channel", "wave_a", "wave_b", "diff", "ci_low", "ci_high", "p_adjusted", "significant"])
    if len(change):
        change = change[["wave_a", "wave_b", "channel"] + [c for c in change.columns
                                                           if c not in ("wave_a", "wave_b", "channel")]]
    # issue 18 hook: no wave-to-wave test across a series break (analysis.breaks)
    series = break_data.series_breaks(d.survey, order)
    cut = breaks.pair_reasons(series, d.nps_code if kind == "nps" else d.sat_code)
    change = breaks.mask_changes(change, cut)
    if f.channels:
        keep = list(f.channels) + [ALL]
        trend = select_rows(trend, "channel", keep)
        change = select_rows(change, "channel", keep)
    ch_labels = {ALL: _("Ensemble des répondants"), **_present(d.channel_labels(f.channels), trend, "channel")}
    wave_labels = d.wave_labels(order)
    value_label = _kind_label(kind)
    what = _("Satisfaction globale") if kind != "nps" else _("Recommandation (NPS)")
    title = f"{what} — {value_label}, " + _("par vague et canal de contact (IC à 95 %)")
    headers, alt = _alt_rows(trend, [("wave", (_("Vague"), wave_labels)),
                                     ("channel", (_("Canal de contact"), ch_labels))], kind)
    blocks = [Block("tendances", title, trend, lambda: break_charts.draw_breaks(charts.trend_lines(
        trend, change, series="channel", labels=ch_labels, wave_labels=wave_labels, kind=kind, title=title,
        value_label=value_label, emphasis=ALL), break_data.readable_pairs(cut), wave_labels), headers, alt,
        note=_hidden_note(trend))]
    c_headers = [_("Vagues"), _("Canal de contact"), _("Évolution"), _("IC à 95 %"), _("p ajustée (Holm)"),
                 _("Significatif")]
    c_rows = []
    unit = "mean" if kind == "mean" else "nps"
    for rec in change.to_dict("records"):
        hidden = bool(rec.get("suppressed_a")) or bool(rec.get("suppressed_b"))
        p_adj = rec.get("p_adjusted")
        c_rows.append([
            f"{wave_labels.get(rec['wave_a'], rec['wave_a'])} → {wave_labels.get(rec['wave_b'], rec['wave_b'])}",
            charts.label_of(ch_labels, rec["channel"]),
            charts.SECRET() if hidden else _signed(rec.get("diff"), unit),
            "" if hidden else charts.ci_text(rec.get("ci_low"), rec.get("ci_high"), unit),
            "" if hidden or charts.is_missing(p_adj) else f"{p_adj:.3f}".replace(".", ",") if charts.is_french()
            else f"{p_adj:.3f}",
            _("oui") if bool(rec.get("significant")) else _("non"),
        ])
        if rec.get("series_break"):  # issue 18 hook: the row says why there is no test
            reason = break_data.readable(rec["series_break"])
            c_rows[-1][2:5] = [_("rupture de série : %(reason)s") % {"reason": reason}, "", ""]
    blocks.append(Block("evolutions", _("Évolutions entre vagues successives"), change, None, c_headers, c_rows))
    if len(series):  # issue 18 hook: every question's changes and breaks between the waves shown
        blocks.append(Block("ruptures", _("Ruptures de série et changements du questionnaire"),
                            *break_data.break_table(series, wave_labels)))
    return blocks


def _signed(value, unit: str) -> str:
    if charts.is_missing(value):
        return "–"
    text = charts.fmt_value(value, unit)
    return ("+" + text) if unit == "mean" and float(value) > 0 else text


@require_GET
@dashboard_page("trends")
def trends(request: HttpRequest, d: Dashboard, f: Filters) -> HttpResponse:
    blocks = trend_blocks(d, f)
    _finish(request, blocks, lambda name: reverse("analysis:trends_data", args=[d.survey.slug, name]), f)
    return render(request, "analysis/trends.html", _context(d, f, "trends", blocks=blocks))


@require_GET
@dashboard_page("trends")
def trends_data(request: HttpRequest, d: Dashboard, f: Filters, name: str) -> HttpResponse:
    return _block_csv(d, trend_blocks(d, f), name)


# --------------------------------------------------------------------------------------------
# Question detail
# --------------------------------------------------------------------------------------------
def _scored_question(d: Dashboard, code: str):
    try:
        q = d.question(code)
    except KeyError:
        raise Http404 from None
    if not q.scored:
        raise Http404
    return q


def question_blocks(d: Dashboard, f: Filters, code: str) -> list[Block]:
    q = _scored_question(d, code)
    weight, k = d.weight_column(f), f.min_cell
    d.needed = _codes(code, d.sat_code, d.nps_code)
    d.prefetch([(f"dist:{code}", f.waves, k, weight), (f"disttotal:{code}", f.waves, k, weight)])
    dist = select_rows(d.table(f"dist:{code}", f.waves, k, weight), "category", f.categories)
    total = d.table(f"disttotal:{code}", f.waves, k, weight)
    if q.type == QuestionType.SATISFACTION:
        code_labels = {v: f"{v} – {SATISFACTION_LABELS[v]}" for v in range(1, 6)}
    else:
        code_labels = {v: str(v) for v in range(0, 11)}
    cat_labels = _present(d.category_labels(f.categories), dist, "category")
    table = pd.concat([total.assign(category=ALL), dist], ignore_index=True) if len(total) else dist
    title = _("Répartition des réponses par catégorie") + f" — {q.code}"
    headers = [_("Catégorie")] + [str(v) for v in code_labels.values()] + [_("n")]
    rows = []
    labels = {ALL: _("Ensemble des répondants"), **cat_labels}
    for cat, label in labels.items():
        part = table[table["category"].astype(object) == cat] if len(table) else table
        if not len(part):
            continue
        if bool(part["suppressed"].fillna(True).any()):
            rows.append([label] + [charts.SECRET()] * len(code_labels) + [""])
            continue
        shares = {int(r["code"]): r["share"] for r in part.to_dict("records")}
        rows.append([label] + [charts.fmt_value(100 * shares[v], "share") if v in shares
                               and not charts.is_missing(shares[v]) else "–" for v in code_labels]
                    + [charts.fmt_n(part["n_cell"].iloc[0])])
    return [Block("distribution", title, table, lambda: charts.stacked_distribution(
        dist, by="category", labels=cat_labels, code_labels=code_labels, title=title, total=total,
        total_label=_("Ensemble des répondants")), headers, rows, note=_hidden_note(dist))]


@require_GET
@dashboard_page("question")
def question(request: HttpRequest, d: Dashboard, f: Filters, code: str) -> HttpResponse:
    q = _scored_question(d, code)
    blocks = question_blocks(d, f, code)
    _finish(request, blocks, lambda name: reverse("analysis:question_data", args=[d.survey.slug, code, name]), f)
    return render(request, "analysis/question.html", _context(d, f, "question", blocks=blocks, question=q))


@require_GET
@dashboard_page("question")
def question_data(request: HttpRequest, d: Dashboard, f: Filters, code: str, name: str) -> HttpResponse:
    return _block_csv(d, question_blocks(d, f, code), name)


# --------------------------------------------------------------------------------------------
# Verbatims
# --------------------------------------------------------------------------------------------
def verbatims_queryset(d: Dashboard, f: Filters):
    """Free-text answers of complete responses matching the filters (codes from the allow-list)."""
    qs = Answer.objects.filter(response__survey=d.survey, response__status=ResponseStatus.COMPLETE,
                               response__wave__code__in=list(f.waves), question__type=QuestionType.TEXT,
                               question__survey=d.survey).exclude(text="")
    if f.categories:
        qs = qs.filter(response__category__code__in=list(f.categories))
    if f.channels:
        cond = Q(response__channel__code__in=[c for c in f.channels if c != NOT_STATED])
        if NOT_STATED in f.channels:
            cond |= Q(response__channel__isnull=True)
        qs = qs.filter(cond)
    if f.question:
        qs = qs.filter(question__code=f.question)
    if f.q:
        # icontains is case-insensitive for ASCII only on SQLite: also try the usual case variants
        # so "Données" finds "données" there too (PostgreSQL compares UPPER() of both anyway)
        cond = Q()
        for variant in dict.fromkeys((f.q, f.q.lower(), f.q.upper(), f.q.capitalize())):
            cond |= Q(text__icontains=variant)
        qs = qs.filter(cond)
    return qs


@require_GET
@dashboard_page("verbatims")
def verbatims(request: HttpRequest, d: Dashboard, f: Filters) -> HttpResponse:
    qs = verbatims_queryset(d, f)
    listing = (qs.order_by("-response__submitted_at", "pk")
               .values("text", "question__code", "response__wave__code", "response__category__code",
                       "response__channel__code"))
    page = Paginator(listing, VERBATIMS_PER_PAGE).get_page(f.page)
    texts = {q.code: q.text for q in d.questions if q.type == QuestionType.TEXT}
    waves, cats, chans = d.wave_labels(), d.category_labels(), d.channel_labels()
    items = [{"text": v["text"], "question": v["question__code"], "question_text": texts.get(v["question__code"], ""),
              "wave": waves.get(v["response__wave__code"], v["response__wave__code"]),
              "category": cats.get(v["response__category__code"], v["response__category__code"]),
              "channel": chans.get(v["response__channel__code"], v["response__channel__code"])}
             for v in page.object_list]
    terms_key = f"terms:{f.question}:{','.join(f.categories)}:{','.join(f.channels)}:{f.q}"
    terms = d.cached(terms_key, f.waves, lambda: frequent_terms(
        qs.values_list("text", flat=True)[:TERMS_MAX_TEXTS], limit=25, min_docs=d.survey.min_cell))
    return render(request, "analysis/verbatims.html", _context(
        d, f, "verbatims", page_obj=page, items=items, terms=terms,
        text_questions=[q for q in d.questions if q.type == QuestionType.TEXT],
        prev_query=f.query(page=page.number - 1) if page.has_previous() else "",
        next_query=f.query(page=page.number + 1) if page.has_next() else ""))


# --------------------------------------------------------------------------------------------
# Exports
# --------------------------------------------------------------------------------------------
INDICATOR_TABLES = ("contact_grid", "contact_channel", "contact_total", "question_grid", "question_channel")


@require_http_methods(["GET", "POST"])
@analyst_required
def exports_page(request: HttpRequest, slug: str) -> HttpResponse:
    d = dashboard_for(request.user, slug)
    if request.method == "POST":
        return _export(request, d)
    try:
        f = parse(dict(request.GET.lists()), "exports", d.choices("exports"))
    except FilterError as exc:
        return bad_request(request, str(exc))
    return render(request, "analysis/exports.html", _context(
        d, f, "exports", microdata_allowed=may_export_microdata(request.user),
        microdata_formats=[(fmt, label) for fmt, label in _format_labels().items()],
        indicator_formats=[("csv", "CSV"), ("xlsx", "XLSX")]))


def _format_labels() -> dict[str, str]:
    return {"csv": _("CSV (UTF-8, Excel)"), "xlsx": _("XLSX (données + dictionnaire)"), "parquet": "Parquet",
            "sav": _("SPSS (.sav, étiquettes)"), "dta": _("Stata (.dta, étiquettes)"),
            "codebook-json": _("Dictionnaire des variables (JSON)"),
            "codebook-md": _("Dictionnaire des variables (Markdown)")}


def _export(request: HttpRequest, d: Dashboard) -> HttpResponse:
    """POST: validate the form (allow-list as for GET filters), then run the export as a job.

    The job's page follows it (progress, then the download); it audits the export when written.
    """
    post = {k: v for k, v in request.POST.lists() if k != "csrfmiddlewaretoken"}
    what = (post.pop("type", [""]) or [""])[-1]
    fmt = (post.pop("format", [""]) or [""])[-1]
    try:
        parse(post, "exports", d.choices("exports"))
    except FilterError as exc:
        return bad_request(request, str(exc))
    if what == "microdonnees":
        if fmt not in exports.MICRODATA_FORMATS:
            return bad_request(request, "format inconnu")
        if not may_export_microdata(request.user):
            raise PermissionDenied
    elif what == "indicateurs":
        if fmt not in exports.INDICATOR_FORMATS:
            return bad_request(request, "format inconnu")
    else:
        return bad_request(request, "type d'export inconnu")
    from .export_jobs import export_enqueue

    job = export_enqueue(request.user, d, what, fmt, post)
    return redirect("jobs:export", job.pk)


def microdata_for(d: Dashboard, waves) -> exports.Microdata:
    """Complete responses of ``waves`` as allow-listed microdata with their codebook."""
    from .selectors import load_frame

    from surveys.services.dont_know import dont_know_cells

    from .dont_know import apply_dont_know

    chosen = [w for w in d.waves if w.code in waves]
    frame = apply_dont_know(load_frame(chosen), dont_know_cells([w.pk for w in chosen]))  # DK kept as data
    labels = {"wave": d.wave_labels(), "category": d.category_labels(),
              "channel": {c.code: c.label_fr for c in d.channels}}
    md = exports.microdata(frame, d.questions_with_choices, labels=labels, survey=d.survey.slug, waves=waves)
    break_data.add_version_column(md, frame, [w.pk for w in chosen])  # issue 18 hook: version per response
    from .weighting_runs import weight_variable_label
    weight_variable_label(md, d.survey, waves)
    return md


def indicator_tables(d: Dashboard, f: Filters) -> dict[str, pd.DataFrame]:
    """The dashboard tables (suppressed and linked) with their labels, for publication work."""
    weight = d.weight_column(f)
    d.needed = None
    names = [n for n in INDICATOR_TABLES if not n.startswith("question_") or d.channel_questions]
    d.prefetch([(n, f.waves, f.min_cell, weight) for n in names])
    cat, ch = d.category_labels(), d.channel_labels()
    out = {}
    for name in names:
        t = d.table(name, f.waves, f.min_cell, weight).copy()
        if "channel" in t.columns:
            t.insert(t.columns.get_loc("channel") + 1, "channel_label",
                     [charts.label_of(ch, v) for v in t["channel"].astype(object)])
        if "category" in t.columns:
            t.insert(t.columns.get_loc("category") + 1, "category_label",
                     [charts.label_of(cat, v) for v in t["category"].astype(object)])
        out[name] = t
    exports.ensure_no_hidden_values(out.values())
    return out
