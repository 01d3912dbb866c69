"""The versioned API (django-ninja): ``/api/v1/``, its OpenAPI 3 schema and documentation page.

Every endpoint lives in a module of :mod:`api.resources` (one per resource) and calls the same
selectors and services as the pages. Errors all have the shape ``{"code", "message", "field"}``
(:mod:`api.errors`); validation errors of parameters and bodies are 400s naming the field.
"""

from __future__ import annotations

import logging

from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from .auth import token_auth
from .errors import ApiError, error_response
from .resources import indicators, participants, publications, questionnaire, responses, surveys

logger = logging.getLogger(__name__)

DESCRIPTION = """Écoute's results, microdata, questionnaires and invitations for scripts and notebooks.

Authenticate with a personal token (created in your account page, `/compte/api/`):
`Authorization: Bearer ecoute_…`. A token carries scopes (`results:read`, `microdata:read`,
`questionnaire:write`, `participants:write`) on chosen surveys and never reaches further than
its owner's rights. Every POST accepts an `Idempotency-Key` header. Errors are JSON:
`{"code": "...", "message": "...", "field": null}`. See `docs/api.md` for webhooks.
"""

api = NinjaAPI(title="Écoute API", version="1", description=DESCRIPTION, urls_namespace="api_v1",
               auth=token_auth, docs_url="/docs", openapi_url="/openapi.json")

api.add_router("/surveys/", surveys.router)
api.add_router("/surveys/", questionnaire.router)
api.add_router("/surveys/", indicators.router)
api.add_router("/surveys/", responses.router)
api.add_router("/surveys/", participants.router)
api.add_router("/publications/", publications.router)


def _field(loc) -> str | None:
    parts = [str(p) for p in (loc or ()) if p not in ("query", "body", "path", "header", "form", "payload")]
    return ".".join(parts) or None


@api.exception_handler(ApiError)
def _api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
    return error_response(exc.status, exc.code, exc.message, exc.field)


@api.exception_handler(ValidationError)
def _validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    first = exc.errors[0] if exc.errors else {}
    return error_response(400, "invalid", str(first.get("msg", "Requête invalide.")), _field(first.get("loc")))


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return error_response(401, "unauthenticated", "Jeton manquant : « Authorization: Bearer <jeton> ».",
                          headers={"WWW-Authenticate": "Bearer"})


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return error_response(exc.status_code, "error", str(exc))


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_response(404, "not_found", "Ressource inconnue.")


@api.exception_handler(Exception)
def _server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("API error on %s %s", request.method, request.path)
    return error_response(500, "server_error", "Erreur interne : l'équipe est prévenue.")
