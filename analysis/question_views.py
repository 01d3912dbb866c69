"""Question pages for single/multiple choice, number and matrix questions (thin views).

Reached from :func:`analysis.views.question` / :func:`analysis.views.question_data` (same URLs, same
access checks and filters): those dispatch here by question type. The tables come from
:mod:`analysis.question_blocks`; the chart and table layout is the other pages' ``_chart.html``.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from django.views.decorators.http import require_GET

from .question_blocks import TYPES, question_blocks
from .views.access import dashboard_page
from .views.common import block_csv, finish, page_context

__all__ = ["handles", "question", "question_data"]


def handles(d, code: str) -> bool:
    """True when ``code`` is a question of a type these pages cover."""
    return any(q.code == code and q.type in TYPES for q in d.questions)


def question(request: HttpRequest, d, f, code: str) -> HttpResponse:
    q = next(q for q in d.questions_with_choices if q.code == code)
    blocks = question_blocks(d, f, code)
    finish(request, blocks, lambda name: reverse("analysis:question_data", args=[d.survey.slug, code, name]))
    return render(request, "analysis/question_other.html", page_context(
        d, f, "question", blocks=blocks, question=q, question_type=q.type))


def question_data(request: HttpRequest, d, f, code: str, name: str) -> HttpResponse:
    return block_csv(d, question_blocks(d, f, code), name)


@require_GET
@dashboard_page("overview")
def overview_data(request: HttpRequest, d, f, name: str) -> HttpResponse:
    """The CSV behind the overview's completions curve."""
    from .headline import overview_blocks

    return block_csv(d, overview_blocks(d, f), name)
