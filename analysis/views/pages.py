"""The other analyst pages: the surveys list, the overview, the verbatims and the exports form."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from surveys.models import QuestionType
from surveys.permissions import surveys_for

from .. import exports
from ..filters import FilterError, Filters, parse
from ..overview import overview_page
from ..selectors import Dashboard, dashboard_for
from ..verbatim_queries import verbatim_terms, verbatims_page, verbatims_queryset
from .access import analyst_required, bad_request, dashboard_page, may_export_microdata
from .common import page_context

__all__ = ["index", "overview", "verbatims", "exports_page"]


@require_GET
@analyst_required
def index(request: HttpRequest) -> HttpResponse:
    """The surveys this analyst may see."""
    return render(request, "analysis/index.html", {"surveys": surveys_for(request.user)})


@require_GET
@dashboard_page("overview")
def overview(request: HttpRequest, d: Dashboard, f: Filters) -> HttpResponse:
    """Responses per wave, category and channel; completion, median duration, response rates."""
    from ..headline import headline_context  # issue 22 hook: headline numbers, completions curve

    data = overview_page(d, f)
    extra = headline_context(request, d, f, data["per_wave"], data["tracking"])
    return render(request, "analysis/overview.html", page_context(d, f, "overview", **data, **extra))


@require_GET
@dashboard_page("verbatims")
def verbatims(request: HttpRequest, d: Dashboard, f: Filters) -> HttpResponse:
    """A page of free-text answers matching the filters, and their frequent terms."""
    qs = verbatims_queryset(d, f)
    page, items = verbatims_page(d, f, qs)
    terms = verbatim_terms(d, f, qs)
    return render(request, "analysis/verbatims.html", page_context(
        d, f, "verbatims", page_obj=page, items=items, terms=terms,
        text_questions=[q for q in d.questions if q.type == QuestionType.TEXT],
        prev_query=f.query(page=page.number - 1) if page.has_previous() else "",
        next_query=f.query(page=page.number + 1) if page.has_next() else ""))


@require_http_methods(["GET", "POST"])
@analyst_required
def exports_page(request: HttpRequest, slug: str) -> HttpResponse:
    """GET: the exports form; POST: validate it and start the export job."""
    d = dashboard_for(request.user, slug)
    if request.method == "POST":
        return _export(request, d)
    try:
        f = parse(dict(request.GET.lists()), "exports", d.choices("exports"))
    except FilterError as exc:
        return bad_request(request, str(exc))
    return render(request, "analysis/exports.html", page_context(
        d, f, "exports", microdata_allowed=may_export_microdata(request.user),
        microdata_formats=[(fmt, label) for fmt, label in _format_labels().items()],
        indicator_formats=[("csv", "CSV"), ("xlsx", "XLSX")]))


def _format_labels() -> dict[str, str]:
    return {"csv": _("CSV (UTF-8, Excel)"), "xlsx": _("XLSX (données + dictionnaire)"), "parquet": "Parquet",
            "sav": _("SPSS (.sav, étiquettes)"), "dta": _("Stata (.dta, étiquettes)"),
            "codebook-json": _("Dictionnaire des variables (JSON)"),
            "codebook-md": _("Dictionnaire des variables (Markdown)")}


def _export_refusal(request: HttpRequest, what: str, fmt: str) -> HttpResponse | None:
    """The 400 for an unknown type or format (403 for microdata without the right), else None."""
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
    return None


def _export(request: HttpRequest, d: Dashboard) -> HttpResponse:
    """POST: validate the form (allow-list as for GET filters), then run the export as a job.

    The job's page follows it (progress, then the download); it audits the export when written.
    """
    from ..export_jobs import export_enqueue

    post = {k: v for k, v in request.POST.lists() if k != "csrfmiddlewaretoken"}
    what = (post.pop("type", [""]) or [""])[-1]
    fmt = (post.pop("format", [""]) or [""])[-1]
    try:
        parse(post, "exports", d.choices("exports"))
    except FilterError as exc:
        return bad_request(request, str(exc))
    refusal = _export_refusal(request, what, fmt)
    if refusal is not None:
        return refusal
    job = export_enqueue(request.user, d, what, fmt, post)
    return redirect("jobs:export", job.pk)
