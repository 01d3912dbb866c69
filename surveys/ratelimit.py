"""A fixed-window rate limiter on the shared cache (Redis in production, the DB cache by default).

Used on the public endpoints (questionnaire posts, token and resume-code lookups, the widget).
Keys hold a hash of the client address, never the address itself, and staff are never limited
here (their login has its own lockout, django-axes, kept apart so attackers cannot lock staff out).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


def client_key(request: HttpRequest) -> str:
    """A salted hash of the client address (REMOTE_ADDR; the proxy must set it to the real client)."""
    addr = request.META.get("REMOTE_ADDR", "")
    return hashlib.sha256(f"{settings.SECRET_KEY}:{addr}".encode()).hexdigest()[:32]


def hit(scope: str, request: HttpRequest, limit: int, window: int) -> bool:
    """Count one hit; True while the client is within `limit` hits per `window` seconds."""
    return hit_key(scope, client_key(request), limit, window)


def hit_key(scope: str, who: str, limit: int, window: int) -> bool:
    """Count one hit of `who` (any stable identifier: a client hash, an API token id)."""
    bucket = int(time.time() // window)
    key = f"rl:{scope}:{who}:{bucket}"
    try:
        if cache.add(key, 1, timeout=window + 5):
            count = 1
        else:
            count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window + 5)
        count = 1
    return count <= limit


def too_many(request: HttpRequest) -> HttpResponse:
    response = render(request, "surveys/message.html", {
        "title": _("Trop de demandes"),
        "body": _("Vous avez fait trop de demandes en peu de temps. Patientez une minute puis réessayez."),
    }, status=429)
    response["Retry-After"] = "60"
    return response


def ratelimit(scope: str, limit_setting: str, window: int = 60, methods: tuple[str, ...] = ("GET", "POST")
              ) -> Callable:
    """Decorate a view: more than settings.<limit_setting> hits per window → 429 page in French."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            user = getattr(request, "user", None)
            if request.method in methods and not (user and user.is_authenticated and user.is_staff):
                if not hit(scope, request, getattr(settings, limit_setting), window):
                    return too_many(request)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
