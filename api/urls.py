"""The API under /api/v1/ and the account page where tokens and webhooks are made (/compte/api/)."""

from django.urls import path

from . import views
from .api import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("compte/api/", views.account, name="api_account"),
    path("compte/api/jetons/<int:pk>/revoquer/", views.token_revoke_view, name="api_token_revoke"),
    path("compte/api/webhooks/<int:pk>/supprimer/", views.webhook_delete, name="api_webhook_delete"),
]
