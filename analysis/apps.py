from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalysisConfig(AppConfig):
    name = "analysis"
    verbose_name = _("Analyse")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from config import assets

        assets.register()  # manage.py check: vendored plotly.js present and matching the package
