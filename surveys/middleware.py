"""Security headers that Django does not set itself, and the staff idle timeout."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse

NO_STORE_PREFIXES = ("/s/", "/analyse/", "/admin/", "/connexion/", "/equipe/", "/w/")


class SecurityHeadersMiddleware:
    """`Cache-Control: no-store` on questionnaire, dashboard and staff pages (answers are personal)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # A view that deliberately serves a public asset (the widget's embed script) says so.
        if request.path.startswith(NO_STORE_PREFIXES) and "public" not in response.get("Cache-Control", ""):
            response["Cache-Control"] = "no-store"
        return response


class StaffSessionTimeoutMiddleware:
    """Log staff out after STAFF_IDLE_TIMEOUT seconds without a request (absolute limit: cookie age)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = int(time.time())
            last = request.session.get("_staff_last_seen")
            if last is not None and now - int(last) > settings.STAFF_IDLE_TIMEOUT:
                logout(request)
            else:
                request.session["_staff_last_seen"] = now
        return self.get_response(request)
