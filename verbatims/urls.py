"""Themes and codebook of a survey's verbatims, beside the dashboards (/analyse/<slug>/...)."""

from django.urls import path

from . import views

app_name = "verbatims"

urlpatterns = [
    path("<slug:slug>/themes/", views.themes_page, name="themes"),
    path("<slug:slug>/themes/calcul/", views.run_start, name="run_start"),
    path("<slug:slug>/themes/calcul/<int:run_id>/", views.run_progress, name="run_progress"),
    path("<slug:slug>/themes/<int:theme_id>/", views.theme_edit, name="theme_edit"),
    path("<slug:slug>/themes/calcul/<int:run_id>/parts.csv", views.shares_csv, name="shares_csv"),
    path("<slug:slug>/codage/", views.codebook, name="codebook"),
]
