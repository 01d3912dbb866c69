from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    name = "surveys"
    verbose_name = _("Questionnaires")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import signals  # audit of logins and permission changes

        signals.connect_permission_audit()
        signals.connect_structure_signals()
        from .services.data_version import connect_response_signals

        connect_response_signals()  # cached readers of responses see every ORM save/delete
        from .version_guard import connect_version_signals

        connect_version_signals()  # issue 18: waves keep the questionnaire they used
