"""The embeddable one-question satisfaction widget."""

from django.urls import path

from . import widget_views

app_name = "widget"

urlpatterns = [
    path("<slug:slug>/", widget_views.widget_form, name="form"),
    path("<slug:slug>/envoi/", widget_views.widget_submit, name="submit"),
    path("<slug:slug>/embed.js", widget_views.widget_embed, name="embed"),
]
