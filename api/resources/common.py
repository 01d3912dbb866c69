"""Helpers shared by the resource modules: JSON answers and the error responses they document."""


import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from ninja import Schema


class Error(Schema):
    """Every error: a stable code, a message in French, the offending field (or null)."""

    code: str
    message: str
    field: str | None = None


#: the errors every authenticated endpoint may answer
ERRORS: dict[int, type] = {400: Error, 401: Error, 403: Error, 429: Error}


def json_response(data: Any, status: int = 200) -> HttpResponse:
    return HttpResponse(json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False), status=status,
                        content_type="application/json")
