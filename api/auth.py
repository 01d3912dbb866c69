"""Bearer tokens: lookup by hash, and the scope and survey checks every endpoint makes.

A token never reaches further than its owner: each call checks the owner's *current* rights
(the same functions as the pages: ``surveys.permissions`` and the analysis access rules), the
token's scopes and its list of surveys. Missing scope, a survey outside the token or the owner's
grants, or an owner who lost the role → 403; unknown, expired or revoked token → 401.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.utils import timezone

from analysis.views import may_export_microdata, may_read
from surveys.models import Survey
from surveys.permissions import is_designer, surveys_for

from .errors import ApiError
from .models import ApiToken, Scope, hash_token

#: what the owner must be allowed on the pages for a token to use each scope
OWNER_RIGHTS = {
    Scope.RESULTS_READ: may_read,
    Scope.MICRODATA_READ: may_export_microdata,
    Scope.QUESTIONNAIRE_WRITE: lambda user: bool(user.is_staff and is_designer(user)),
    Scope.PARTICIPANTS_WRITE: lambda user: bool(user.is_staff and is_designer(user)),
}


def bearer_secret(request: HttpRequest) -> str | None:
    """The secret of ``Authorization: Bearer <secret>`` (None when the header is absent)."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer":
        return ""
    return value.strip()


def token_lookup(secret: str) -> tuple[ApiToken | None, str]:
    """The token for ``secret`` and "" if usable, else (token or None, reason code)."""
    if not secret or len(secret) > 200:
        return None, "token_invalid"
    token = ApiToken.objects.select_related("user").filter(key_hash=hash_token(secret)).first()
    if token is None:
        return None, "token_invalid"
    if token.revoked_at is not None:
        return token, "token_revoked"
    if token.expires_at <= timezone.now():
        return token, "token_expired"
    if not token.user.is_active:
        return token, "token_invalid"
    return token, ""


def scopes_allowed(user) -> list[str]:
    """The scopes ``user`` may put on a token (those their role gives on the pages)."""
    return [scope.value for scope in Scope if OWNER_RIGHTS[scope](user)]


def token_auth(request: HttpRequest) -> ApiToken | None:
    """django-ninja auth callable: the token the middleware authenticated (None → 401)."""
    return getattr(request, "api_token", None)


def require_scope(request: HttpRequest, scope: str) -> ApiToken:
    token: ApiToken = request.auth
    if scope not in token.scopes:
        raise ApiError(403, "missing_scope", f"Ce jeton n'a pas la portée « {scope} ».")
    if not OWNER_RIGHTS[Scope(scope)](token.user):
        raise ApiError(403, "owner_rights", f"Le titulaire du jeton n'a plus le droit « {scope} ».")
    return token


def survey_for(request: HttpRequest, slug: str, scope: str) -> Survey:
    """The survey ``slug`` if the token has ``scope`` on it and its owner is granted it, else 403."""
    token = require_scope(request, scope)
    survey = surveys_for(token.user).filter(slug=slug, api_tokens=token).first()
    if survey is None:
        raise ApiError(403, "survey_not_allowed", "Ce jeton ne donne pas accès à cette enquête.", "slug")
    return survey
