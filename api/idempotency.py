"""``Idempotency-Key`` on POSTs: a repeated key returns the first result and writes nothing.

The key row is inserted in the same transaction as the work. A concurrent request with the same
key blocks on the key's unique index until the first one commits (PostgreSQL; SQLite serialises
writers), then finds the stored result and returns it. Keys are per token; the same key with a
different request (method, path or body) is refused (422). An answer of 5xx is not stored (the
transaction rolls back, so the client may retry with the same key).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import wraps

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse

from .errors import ApiError, error_response
from .models import IdempotencyKey

HEADER = "Idempotency-Key"
MAX_KEY = 200


class _ServerError(Exception):
    def __init__(self, response: HttpResponse) -> None:
        self.response = response


def _request_hash(request: HttpRequest) -> str:
    digest = hashlib.sha256()
    digest.update(f"{request.method} {request.path}\n".encode())
    digest.update(request.body)
    return digest.hexdigest()


def _replay(record: IdempotencyKey) -> HttpResponse:
    response = HttpResponse(bytes(record.body), status=record.status_code, content_type=record.content_type)
    response["Idempotent-Replayed"] = "true"
    return response


def idempotent(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Decorate a POST endpoint that returns an ``HttpResponse``."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        key = request.headers.get(HEADER)
        if key is None:
            return view(request, *args, **kwargs)
        if not key or len(key) > MAX_KEY or not key.isprintable():
            raise ApiError(400, "invalid_idempotency_key", f"{HEADER} : 1 à {MAX_KEY} caractères imprimables.",
                           HEADER)
        digest = _request_hash(request)
        try:
            with transaction.atomic():
                record = IdempotencyKey.objects.create(token=request.auth, key=key, method=request.method,
                                                       path=request.path[:300], request_hash=digest)
                try:
                    with transaction.atomic():
                        response = view(request, *args, **kwargs)
                except ApiError as exc:
                    response = error_response(exc.status, exc.code, exc.message, exc.field)
                if response.status_code >= 500:
                    raise _ServerError(response)
                record.status_code = response.status_code
                record.body = response.content
                record.content_type = response.get("Content-Type", "application/json")[:100]
                record.save(update_fields=["status_code", "body", "content_type"])
                return response
        except _ServerError as exc:
            return exc.response
        except IntegrityError:
            record = IdempotencyKey.objects.filter(token=request.auth, key=key).first()
            if record is None:  # the first request failed and rolled back meanwhile
                raise ApiError(409, "idempotency_conflict", "Requête concurrente : réessayez.", HEADER) from None
        if record.request_hash != digest:
            raise ApiError(422, "idempotency_key_reused", f"Cette {HEADER} a servi pour une autre requête.", HEADER)
        return _replay(record)

    return wrapped
