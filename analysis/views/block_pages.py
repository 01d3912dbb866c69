"""The chart pages, table-driven: each page and its "data" CSV view come from one :class:`BlockPage`.

A page builds its blocks, gives each its data link and figure, and renders; its data view builds
the same blocks and serves the table of one of them. Both parse the filters the same way
(:func:`analysis.views.access.dashboard_page`), so the CSV is exactly the page's table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from ..filters import Filters
from ..selectors import Dashboard
from .access import dashboard_page
from .channel_page import channel_blocks
from .common import Block, block_csv, finish, page_context
from .question_page import question_blocks, scored_question
from .trend_page import trend_blocks

__all__ = ["BlockPage", "BLOCK_PAGES", "block_views"]


@dataclass(frozen=True)
class BlockPage:
    """A chart page: its filter page, template, block builder, data view and extra context."""

    page: str
    template: str
    blocks: Callable[..., list[Block]]  # (dashboard, filters, **url kwargs)
    data_view: str  # URL name of the data CSV view
    extra: Callable[..., dict] = field(default=lambda d, **kwargs: {})  # (dashboard, **url kwargs)
    #: (dashboard, **url kwargs) → (page view, data view) of other modules that take this URL over
    #: (e.g. question types with pages of their own), or None to keep this page's
    handoff: Callable[..., tuple[Callable, Callable] | None] | None = None


def _other_question_types(d: Dashboard, code: str) -> tuple[Callable, Callable] | None:
    """Issue 22 hook: choice, number and matrix questions have pages of their own."""
    from .. import question_views

    return (question_views.question, question_views.question_data) if question_views.handles(d, code) else None


BLOCK_PAGES = {
    "channels": BlockPage("channels", "analysis/channels.html", channel_blocks, "analysis:channels_data"),
    "trends": BlockPage("trends", "analysis/trends.html", trend_blocks, "analysis:trends_data"),
    "question": BlockPage("question", "analysis/question.html", question_blocks, "analysis:question_data",
                          extra=lambda d, code: {"question": scored_question(d, code)}, handoff=_other_question_types),
}


def block_views(spec: BlockPage) -> tuple[Callable, Callable]:
    """The page view and the data view of ``spec``."""
    @require_GET
    @dashboard_page(spec.page)
    def page(request: HttpRequest, d: Dashboard, f: Filters, **kwargs) -> HttpResponse:
        other = spec.handoff(d, **kwargs) if spec.handoff else None
        if other is not None:
            return other[0](request, d, f, **kwargs)
        extra = spec.extra(d, **kwargs)
        blocks = spec.blocks(d, f, **kwargs)
        finish(request, blocks, lambda name: reverse(spec.data_view, kwargs={
            "slug": d.survey.slug, **kwargs, "name": name}))
        return render(request, spec.template, page_context(d, f, spec.page, blocks=blocks, **extra))

    @require_GET
    @dashboard_page(spec.page)
    def data(request: HttpRequest, d: Dashboard, f: Filters, name: str, **kwargs) -> HttpResponse:
        other = spec.handoff(d, **kwargs) if spec.handoff else None
        if other is not None:
            return other[1](request, d, f, name=name, **kwargs)
        return block_csv(d, spec.blocks(d, f, **kwargs), name)

    page.__name__, data.__name__ = spec.page, f"{spec.page}_data"
    return page, data
