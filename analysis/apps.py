from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalysisConfig(AppConfig):
    name = "analysis"
    verbose_name = _("Analyse")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from config import assets
        from surveys.models import Response

        from . import warm
        from .selectors import response_changed

        assets.register()  # manage.py check: vendored plotly.js present and matching the package
        # a saved or deleted response drops its survey's cached data versions at once
        post_save.connect(response_changed, sender=Response, dispatch_uid="analysis.selectors.response_saved")
        post_delete.connect(response_changed, sender=Response, dispatch_uid="analysis.selectors.response_deleted")
        warm.connect()  # new responses: the dashboards' tables rebuilt in the background, debounced
