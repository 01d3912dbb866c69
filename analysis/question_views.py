"""Question pages for single/multiple choice, number and matrix questions (thin views).

Reached from :func:`analysis.views.question` / :func:`analysis.views.question_data` (same URLs, same
access checks and filters): those dispatch here by question type. The tables come from
:mod:`analysis.question_blocks`; the chart and table layout is the other pages' ``_chart.html``.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from . import views
from .question_blocks import TYPES, question_blocks

__all__ = ["handles", "question", "question_data"]


def handles(d, code: str) -> bool:
    """True when ``code`` is a question of a type these pages cover."""
    return any(q.code == code and q.type in TYPES for q in d.questions)


def question(request: HttpRequest, d, f, code: str) -> HttpResponse:
    q = next(q for q in d.questions_with_choices if q.code == code)
    blocks = question_blocks(d, f, code)
    views._finish(request, blocks, lambda name: reverse("analysis:question_data", args=[d.survey.slug, code, name]), f)
    return render(request, "analysis/question_other.html", views._context(
        d, f, "question", blocks=blocks, question=q, question_type=q.type))


def question_data(request: HttpRequest, d, f, code: str, name: str) -> HttpResponse:
    return views._block_csv(d, question_blocks(d, f, code), name)


@views.require_GET
@views.dashboard_page("overview")
def overview_data(request: HttpRequest, d, f, name: str) -> HttpResponse:
    """The CSV behind the overview's completions curve."""
    from .headline import overview_blocks

    return views._block_csv(d, overview_blocks(d, f), name)
