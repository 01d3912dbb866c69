from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JobsConfig(AppConfig):
    """Background work: the worker's housekeeping, export jobs, the staff pages of the queue."""

    name = "jobs"
    verbose_name = _("Tâches de fond")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import signals  # noqa: F401 (connects the task log receiver)
