"""Who may read the analysis and who may take microdata away (used by pages, jobs and the API).

Reading: signed-in, active staff in the ``analysts`` or ``designers`` group (or superusers), for
the surveys granted to them. Microdata exports: the ``analysts`` group and superusers only.
"""

from __future__ import annotations

from surveys.permissions import ANALYSTS, in_group, is_analyst

__all__ = ["may_read", "may_export_microdata"]


def may_read(user) -> bool:
    """Whether ``user`` may read the analyst pages (of the surveys granted to them)."""
    return bool(user.is_authenticated and user.is_active and user.is_staff and is_analyst(user))


def may_export_microdata(user) -> bool:
    """Whether ``user`` may export microdata (analysts and superusers, not designers)."""
    return may_read(user) and (user.is_superuser or in_group(user, ANALYSTS))
