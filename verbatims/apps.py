from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VerbatimsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "verbatims"
    verbose_name = _("Verbatims : thèmes et codage")
