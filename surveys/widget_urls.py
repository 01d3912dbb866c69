"""The embeddable one-question satisfaction widget."""

app_name = "widget"

urlpatterns: list = []
