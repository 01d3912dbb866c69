"""Read-only views of tokens, webhooks, deliveries and API calls for the quality team."""

from django.contrib import admin

from .models import ApiCall, ApiToken, Delivery, Webhook


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnly):
    list_display = ("name", "user", "prefix", "scopes", "expires_at", "revoked_at", "last_used_at")
    list_filter = ("revoked_at",)
    exclude = ("key_hash",)


@admin.register(Webhook)
class WebhookAdmin(ReadOnly):
    list_display = ("survey", "url", "events", "microdata", "active", "created_by")
    exclude = ("secret",)


@admin.register(Delivery)
class DeliveryAdmin(ReadOnly):
    list_display = ("webhook", "event", "status", "attempts", "last_status_code", "last_error", "next_attempt_at",
                    "delivered_at")
    list_filter = ("status", "event")


@admin.register(ApiCall)
class ApiCallAdmin(ReadOnly):
    list_display = ("at", "actor", "method", "path", "status", "duration_ms")
    list_filter = ("status", "method")
    search_fields = ("actor", "path")
