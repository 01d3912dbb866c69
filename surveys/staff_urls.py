"""Quality-team pages outside the admin (invitations, tracking, channel links)."""

app_name = "staff"

urlpatterns: list = []
