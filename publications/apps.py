from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PublicationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "publications"
    verbose_name = _("Publications")

    def ready(self) -> None:
        # the scheduler (jobs) knows nothing of publications: they register their dated work
        from jobs import schedule

        from . import services

        if services.notices_due_tick not in schedule.EVERY_TICK:
            schedule.EVERY_TICK.append(services.notices_due_tick)
            schedule.UPCOMING.append(services.upcoming_releases)
