"""The verbatims page's queries: free-text answers matching the filters, a page of them, and
their frequent terms (cached under the waves' versions)."""

from __future__ import annotations

from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet

from surveys.models import Answer, QuestionType, ResponseStatus

from .filters import NOT_STATED, Filters
from .selectors import Dashboard
from .text import frequent_terms

__all__ = ["VERBATIMS_PER_PAGE", "TERMS_MAX_TEXTS", "verbatims_queryset", "verbatims_page", "verbatim_terms"]

VERBATIMS_PER_PAGE = 25
TERMS_MAX_TEXTS = 50_000


def verbatims_queryset(d: Dashboard, f: Filters) -> QuerySet:
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


def verbatims_page(d: Dashboard, f: Filters, qs: QuerySet) -> tuple[Page, list[dict]]:
    """The page ``f.page`` of ``qs`` (latest first) and its items with their labels."""
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
    return page, items


def verbatim_terms(d: Dashboard, f: Filters, qs: QuerySet) -> list:
    """The frequent terms of the matching answers (a term needs at least ``min_cell`` answers)."""
    key = f"terms:{f.question}:{','.join(f.categories)}:{','.join(f.channels)}:{f.q}"
    return d.cached(key, f.waves, lambda: frequent_terms(
        qs.values_list("text", flat=True)[:TERMS_MAX_TEXTS], limit=25, min_docs=d.survey.min_cell))
