"""Per-survey rights in the admin: a designer sees, lists, chooses and writes only their surveys' objects.

Every survey-bound queryset the admin builds goes through `scoped`: the change lists and change
forms (`get_queryset`), the choices of every foreign key and many-to-many field (so a forged POST
naming another survey's section, wave or question fails validation like any invalid choice), the
side filters (only the values present in the scoped list), the autocomplete and raw-id popups
(they use the target admin's `get_queryset`) and the audit log. Superusers see everything.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from .models import AuditLog, Choice, Survey
from .permissions import surveys_for

# Side filters on these foreign keys would list every survey's names: list only those in the rows.
RELATED_FILTERS = {"survey", "wave", "section", "question", "participant", "response"}


def scoped(queryset: QuerySet, user) -> QuerySet:
    """`queryset` restricted to the objects of the surveys granted to `user` (superusers: all)."""
    if getattr(user, "is_superuser", False):
        return queryset
    allowed = surveys_for(user)
    model = queryset.model
    if model is Survey:
        return queryset.filter(pk__in=allowed)
    if model is Choice:
        return queryset.filter(question__survey__in=allowed)
    if model is AuditLog:
        slugs = list(allowed.values_list("slug", flat=True))
        return queryset.filter(Q(target__in=slugs) | Q(target__in=[f"survey:{s}" for s in slugs]))
    if any(f.name == "survey" for f in model._meta.get_fields()):
        return queryset.filter(survey__in=allowed)
    return queryset


class ScopedChoicesMixin:
    """Foreign-key and many-to-many choices limited to the user's surveys (admins and inlines)."""

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if field is not None and hasattr(field, "queryset"):
            field.queryset = scoped(field.queryset, request.user)
        return field

    def formfield_for_manytomany(self, db_field, request: HttpRequest, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if field is not None and hasattr(field, "queryset"):
            field.queryset = scoped(field.queryset, request.user)
        return field

    def get_queryset(self, request: HttpRequest):
        return scoped(super().get_queryset(request), request.user)


class OwnedSurveyMixin(ScopedChoicesMixin):
    """Staff see and edit only the surveys they are granted (superusers: all)."""

    def get_list_filter(self, request: HttpRequest):
        return [(name, admin.RelatedOnlyFieldListFilter) if isinstance(name, str) and name in RELATED_FILTERS
                else name for name in super().get_list_filter(request)]
