"""Everything under ``/api/``: token authentication, per-token rate limit, audit, JSON errors.

One place for what every call needs, before and after the view:

* ``Authorization: Bearer <token>`` is looked up (by hash); an unknown, expired or revoked token
  is a 401 at once; a good one is ``request.api_token`` (the endpoints' auth reads it);
* each token has its own rate limit (``API_RATE_LIMIT`` calls per minute, on the shared cache:
  Redis when several servers run — ``surveys.ratelimit``), beyond it a 429 with ``Retry-After``;
* every call is written to :class:`api.models.ApiCall` (token, method, path, status, duration);
* an error answer that is not JSON (a URL the API does not know, an unexpected exception turned
  into Django's 500 page) is replaced by the JSON error shape: the API never answers HTML.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from surveys.ratelimit import hit_key

from .auth import bearer_secret, token_lookup
from .errors import error_response, generic_error
from .models import ApiCall, ApiToken

logger = logging.getLogger(__name__)

API_PREFIX = "/api/"
#: public pages of the API (no token): the documentation and the schema
PUBLIC_SUFFIXES = ("/docs", "/openapi.json")

MESSAGES = {
    "token_invalid": "Jeton inconnu ou invalide.",
    "token_expired": "Ce jeton a expiré.",
    "token_revoked": "Ce jeton a été révoqué.",
}


class ApiTokenMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        started = time.monotonic()
        token: ApiToken | None = None
        response = None
        secret = bearer_secret(request)
        if secret is not None:
            token, reason = token_lookup(secret)
            if reason:
                response = error_response(401, reason, MESSAGES[reason], headers={"WWW-Authenticate": "Bearer"})
            elif not hit_key("api", str(token.pk), settings.API_RATE_LIMIT, 60):
                response = error_response(429, "rate_limited", "Trop de requêtes pour ce jeton : réessayez dans "
                                          "une minute.", headers={"Retry-After": "60"})
            else:
                request.api_token = token
        if response is None:
            response = self.get_response(request)
        if response.status_code >= 400 and not response.get("Content-Type", "").startswith("application/json"):
            response = generic_error(response.status_code)
        if not request.path.endswith(PUBLIC_SUFFIXES):
            response["Cache-Control"] = "no-store"  # results and microdata are not for shared caches
        self._audit(request, token, response, started)
        return response

    @staticmethod
    def _audit(request: HttpRequest, token: ApiToken | None, response: HttpResponse, started: float) -> None:
        if token is None and request.path.endswith(PUBLIC_SUFFIXES):
            return  # reading the documentation is not an API call
        try:
            ApiCall.objects.create(
                token=token, actor=token.user.get_username() if token else "", method=request.method[:10],
                path=request.path[:300], status=response.status_code,
                duration_ms=int((time.monotonic() - started) * 1000))
            if token is not None:
                ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
        except Exception:  # noqa: BLE001 - the audit must not turn an answer into a 500... but must be seen
            logger.exception("API call audit failed")
