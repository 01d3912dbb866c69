"""API errors: one JSON shape ``{"code", "message", "field"}`` for every refusal, never HTML."""

from __future__ import annotations

import json

from django.http import HttpResponse


class ApiError(Exception):
    """Raised anywhere under a view: answered as JSON with this status (see ``api.api``)."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field


def error_body(code: str, message: str, field: str | None = None) -> dict:
    return {"code": code, "message": message, "field": field}


def error_response(status: int, code: str, message: str, field: str | None = None,
                   headers: dict | None = None) -> HttpResponse:
    response = HttpResponse(json.dumps(error_body(code, message, field), ensure_ascii=False),
                            status=status, content_type="application/json")
    for name, value in (headers or {}).items():
        response[name] = value
    return response


#: generic codes for error statuses a view did not describe (a URL outside the API, a method...)
STATUS_CODES = {
    400: ("bad_request", "Requête invalide."),
    401: ("unauthenticated", "Jeton manquant ou invalide."),
    403: ("forbidden", "Accès refusé."),
    404: ("not_found", "Ressource inconnue."),
    405: ("method_not_allowed", "Méthode non autorisée."),
    413: ("too_large", "Requête trop volumineuse."),
    429: ("rate_limited", "Trop de requêtes : réessayez dans une minute."),
    500: ("server_error", "Erreur interne : l'équipe est prévenue."),
}


def generic_error(status: int) -> HttpResponse:
    code, message = STATUS_CODES.get(status, ("error", "Erreur."))
    return error_response(status, code, message)
