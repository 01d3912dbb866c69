"""Who may see what: roles are groups (designers, analysts); surveys are granted to their owners."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import Survey

DESIGNERS = "designers"
ANALYSTS = "analysts"


def in_group(user, *names: str) -> bool:
    return bool(user and user.is_authenticated and user.is_active and (
        user.is_superuser or user.groups.filter(name__in=names).exists()))


def is_analyst(user) -> bool:
    """Analysts and designers read dashboards."""
    return in_group(user, ANALYSTS, DESIGNERS)


def is_designer(user) -> bool:
    return in_group(user, DESIGNERS)


def surveys_for(user) -> QuerySet[Survey]:
    """Surveys a staff member is granted (superusers see all)."""
    if not (user and user.is_authenticated):
        return Survey.objects.none()
    if user.is_superuser:
        return Survey.objects.all()
    return Survey.objects.filter(owners=user)
