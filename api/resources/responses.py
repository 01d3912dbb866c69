"""Microdata: complete responses, streamed as NDJSON or CSV, by pages (``microdata:read``).

Rows are those of the exports page (``analysis.microdata.microdata_for``: the same allow-listed
columns, codes and names, don't-know codes and ``questionnaire_version``), so the API gives nothing
the page would not, and nothing less. Pages follow the submission order (``submitted_at``, then
id); the next page's opaque cursor is in the ``X-Next-Cursor`` header and a ``Link: rel="next"``
(absent on the last page).
``since=`` (ISO 8601) keeps responses submitted at or after that instant: an increment.
Each page is audited like a microdata export of the page.
"""


import json
from datetime import datetime
from typing import Literal
from urllib.parse import urlencode

import numpy as np
import pandas as pd
from django.core import signing
from django.db.models import Q
from django.http import HttpRequest, StreamingHttpResponse
from django.utils.dateparse import parse_datetime
from ninja import Query, Router

from analysis import exports
from analysis.microdata import microdata_for
from analysis.selectors import Dashboard, load_frame
from surveys.models import Response, ResponseStatus, audit

from ..auth import survey_for
from ..errors import ApiError
from ..models import Scope
from .common import ERRORS

router = Router(tags=["responses"])

CURSOR_SALT = "api.responses.cursor"
MAX_LIMIT = 50_000
CHUNK = 2_000


def _cursor_decode(cursor: str) -> tuple[datetime, str]:
    try:
        at, pk = signing.loads(cursor, salt=CURSOR_SALT)
        parsed = parse_datetime(at)
    except (signing.BadSignature, ValueError, TypeError):
        raise ApiError(400, "invalid_cursor", "Curseur invalide : reprenez celui de X-Next-Cursor.", "cursor") from None
    if parsed is None:
        raise ApiError(400, "invalid_cursor", "Curseur invalide.", "cursor")
    return parsed, pk


def _page(survey, waves, since: datetime | None, cursor: str | None, limit: int) -> tuple[list[str], str | None]:
    qs = Response.objects.filter(survey=survey, wave__in=waves, status=ResponseStatus.COMPLETE)
    if since is not None:
        qs = qs.filter(submitted_at__gte=since)
    if cursor:
        at, pk = _cursor_decode(cursor)
        qs = qs.filter(Q(submitted_at__gt=at) | Q(submitted_at=at, id__gt=pk))
    rows = list(qs.order_by("submitted_at", "id").values_list("id", "submitted_at")[:limit + 1])
    following = None
    if len(rows) > limit:
        rows = rows[:limit]
        last_id, last_at = rows[-1]
        following = signing.dumps([last_at.isoformat(), str(last_id)], salt=CURSOR_SALT)
    return [str(pk) for pk, _at in rows], following


def _plain_value(value):
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    return value.item() if hasattr(value, "item") else value


def _ndjson(table: pd.DataFrame):
    columns = list(table.columns)
    for start in range(0, len(table), CHUNK):
        part = table.iloc[start:start + CHUNK]
        lines = [json.dumps({c: _plain_value(v) for c, v in zip(columns, values)}, ensure_ascii=False)
                 for values in part.itertuples(index=False, name=None)]
        yield ("\n".join(lines) + "\n").encode()


def _csv(data: bytes):
    for start in range(0, len(data), 64 * 1024):
        yield data[start:start + 64 * 1024]


@router.get("{slug}/responses/", response=ERRORS, summary="Microdata (NDJSON or CSV)",
            openapi_extra={"responses": {"200": {"description": "One line per complete response", "content": {
                "application/x-ndjson": {"schema": {"type": "string"}}, "text/csv": {"schema": {"type": "string"}}}}}})
def response_list(
    request: HttpRequest, slug: str,
    format: Literal["ndjson", "csv"] = Query("ndjson"),
    wave: list[str] = Query(None, description="wave code(s); default: every wave"),
    since: datetime | None = Query(None, description="submitted at or after (ISO 8601)"),
    cursor: str | None = Query(None, description="from the previous page's X-Next-Cursor"),
    limit: int = Query(10_000, ge=1, le=MAX_LIMIT),
):
    survey = survey_for(request, slug, Scope.MICRODATA_READ)
    d = Dashboard(survey)
    known = {w.code: w for w in d.waves}
    for code in wave or ():
        if code not in known:
            raise ApiError(400, "invalid", f"wave : vague inconnue « {code[:40]} ».", "wave")
    waves = [w for w in d.waves if not wave or w.code in wave]
    ids, following = _page(survey, waves, since, cursor, limit)
    frame = load_frame(waves) if ids else load_frame([])
    if ids:
        order = {pk: i for i, pk in enumerate(ids)}
        frame = frame[frame["response_id"].isin(order)]
        frame = frame.iloc[np.argsort(frame["response_id"].map(order).to_numpy(), kind="stable")]
        frame = frame.reset_index(drop=True)
    md = microdata_for(d, [w.code for w in waves], frame=frame)  # the exports page's columns (issue 18: version)
    audit(request.auth.user, "export", f"survey:{survey.slug}", kind="microdata", format=format, rows=md.rows,
          via="api", token=request.auth.pk)
    if format == "csv":
        response = StreamingHttpResponse(_csv(exports.render_microdata(md, "csv")), content_type="text/csv; charset=utf-8")
    else:
        table = exports._plain(md).drop(columns=["row"])  # the CSV's own coding, without its row number
        response = StreamingHttpResponse(_ndjson(table), content_type="application/x-ndjson")
    response["X-Rows"] = str(md.rows)
    if following:
        params = [(k, item) for k, values in request.GET.lists() if k != "cursor" for item in values]
        response["X-Next-Cursor"] = following
        response["Link"] = f'<{request.path}?{urlencode(params + [("cursor", following)])}>; rel="next"'
    return response
