"""Audit trail for staff authentication events."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from .models import audit


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs) -> None:
    audit(user, "login")


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs) -> None:
    if user is not None:
        audit(user, "logout")


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs) -> None:
    audit(credentials.get("username", ""), "login_failed")


def _audit_m2m(action_name: str):
    def handler(sender, instance, action, pk_set, **kwargs) -> None:
        if action in ("post_add", "post_remove", "post_clear"):
            audit("system", action_name, str(instance), change=action.removeprefix("post_"),
                  ids=sorted(pk_set or []))
    return handler


def connect_permission_audit() -> None:
    """Group membership, direct permissions and survey grants are audited (who may see what)."""
    from django.contrib.auth.models import User
    from django.db.models.signals import m2m_changed

    from .models import Survey

    m2m_changed.connect(_audit_m2m("permission_change"), sender=User.groups.through, weak=False,
                        dispatch_uid="audit_groups")
    m2m_changed.connect(_audit_m2m("permission_change"), sender=User.user_permissions.through, weak=False,
                        dispatch_uid="audit_perms")
    m2m_changed.connect(_audit_m2m("survey_grant_change"), sender=Survey.owners.through, weak=False,
                        dispatch_uid="audit_owners")


def _touch_survey(sender, instance, **kwargs) -> None:
    """Any change to a section, question or choice bumps its survey's `updated_at` (cache key)."""
    from django.utils import timezone

    from .models import Choice, Survey

    survey_id = instance.question.survey_id if isinstance(instance, Choice) else instance.survey_id
    Survey.objects.filter(pk=survey_id).update(updated_at=timezone.now())


def connect_structure_signals() -> None:
    from django.db.models.signals import m2m_changed, post_delete, post_save

    from .models import Choice, Question, Section

    for model in (Section, Question, Choice):
        post_save.connect(_touch_survey, sender=model, weak=False, dispatch_uid=f"touch_{model.__name__}")
        post_delete.connect(_touch_survey, sender=model, weak=False, dispatch_uid=f"touchdel_{model.__name__}")
    for through in (Section.categories.through, Question.categories.through):
        m2m_changed.connect(lambda sender, instance, action, **kw: action.startswith("post_") and _touch_survey(
            sender, instance), sender=through, weak=False, dispatch_uid=f"touchm2m_{through.__name__}")
