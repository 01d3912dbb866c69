"""Who may read the analyst pages, and the decorators that check it before any view runs.

Signed-in staff in the ``analysts`` or ``designers`` group (or superusers), and only for the
surveys they are granted (``surveys_for``; another survey is a 404). Anonymous visitors are sent
to the login page; a signed-in user without the role gets a 403 (a redirect to the login page
would loop, since the login page sends signed-in users back). Microdata exports are for the
``analysts`` group (and superusers) only.
"""

from __future__ import annotations

from functools import wraps
from typing import Callable

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from ..filters import FilterError, parse
from ..rights import may_export_microdata, may_read
from ..selectors import dashboard_for

__all__ = ["may_read", "may_export_microdata", "analyst_required", "dashboard_page", "bad_request"]


def analyst_required(view: Callable) -> Callable:
    """Login page for anonymous visitors, 403 for users without the role, else the view."""
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
    """The 400 page, with the reason (an unknown filter value, say)."""
    return render(request, "analysis/bad_request.html", {"reason": reason}, status=400)
