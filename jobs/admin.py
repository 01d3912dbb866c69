from django.contrib import admin

from .models import ScheduledSend


@admin.register(ScheduledSend)
class ScheduledSendAdmin(admin.ModelAdmin):
    """Designers set the dates of invitation and reminder rounds here; the scheduler sends them."""

    list_display = ["wave", "kind", "send_at", "enqueued_at"]
    list_filter = ["kind"]
    readonly_fields = ["enqueued_at"]
