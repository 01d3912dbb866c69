"""Questionnaire files for designers (/equipe/questionnaires/...)."""

from django.urls import path

from . import questionnaire_views as views

app_name = "questionnaires"

urlpatterns = [
    path("importer/", views.questionnaire_import, name="import"),
    path("<slug:slug>/", views.questionnaire_page, name="detail"),
    path("<slug:slug>/questionnaire.json", views.questionnaire_json, name="json"),
    path("<slug:slug>/xlsform.xlsx", views.questionnaire_xlsform, name="xlsform"),
]
