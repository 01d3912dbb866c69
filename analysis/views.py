"""Analyst pages: thin views over `analysis` functions."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required, user_passes_test
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from surveys.models import Survey
from surveys.permissions import is_analyst, surveys_for


@login_required
@user_passes_test(is_analyst)
def index(request: HttpRequest) -> HttpResponse:
    """The surveys this analyst may see."""
    return render(request, "analysis/index.html", {"surveys": surveys_for(request.user)})
