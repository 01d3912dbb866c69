"""The designer's workbench (/equipe/atelier/...)."""

from django.urls import path

from . import editor_views, views

app_name = "workbench"

urlpatterns = [
    path("nouvelle/", views.survey_create, name="create"),
    path("<slug:slug>/", views.outline, name="outline"),
    path("<slug:slug>/reglages/", views.survey_settings, name="settings"),
    path("<slug:slug>/vagues/", views.waves, name="waves"),
    path("<slug:slug>/dupliquer/", views.duplicate, name="duplicate"),
    path("<slug:slug>/sections/nouvelle/", editor_views.section_edit, name="section_create"),
    path("<slug:slug>/sections/<int:pk>/", editor_views.section_edit, name="section_edit"),
    path("<slug:slug>/sections/<int:pk>/deplacer/", views.section_move, name="section_move"),
    path("<slug:slug>/sections/<int:pk>/supprimer/", editor_views.section_delete, name="section_delete"),
    path("<slug:slug>/sections/<int:section_pk>/questions/nouvelle/", editor_views.question_edit,
         name="question_create"),
    path("<slug:slug>/questions/<int:pk>/", editor_views.question_edit, name="question_edit"),
    path("<slug:slug>/questions/<int:pk>/deplacer/", views.question_move, name="question_move"),
    path("<slug:slug>/questions/<int:pk>/supprimer/", editor_views.question_delete, name="question_delete"),
]
