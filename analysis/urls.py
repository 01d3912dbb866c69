"""Analyst dashboards (/analyse/...): French paths, filters in the query string."""

from django.urls import path

from . import ddi_views, question_views, views, weighting_views

app_name = "analysis"

urlpatterns = [
    path("", views.index, name="index"),
    path("<slug:slug>/", views.overview, name="overview"),
    path("<slug:slug>/donnees/<slug:name>.csv", question_views.overview_data, name="overview_data"),  # issue 22
    path("<slug:slug>/canaux/", views.channels, name="channels"),
    path("<slug:slug>/canaux/donnees/<slug:name>.csv", views.channels_data, name="channels_data"),
    path("<slug:slug>/vagues/", views.trends, name="trends"),
    path("<slug:slug>/vagues/donnees/<slug:name>.csv", views.trends_data, name="trends_data"),
    path("<slug:slug>/questions/<str:code>/", views.question, name="question"),
    path("<slug:slug>/questions/<str:code>/donnees/<slug:name>.csv", views.question_data, name="question_data"),
    path("<slug:slug>/verbatims/", views.verbatims, name="verbatims"),
    path("<slug:slug>/exports/", views.exports_page, name="exports"),
    path("<slug:slug>/exports/ddi.xml", ddi_views.ddi_export, name="ddi"),
    path("<slug:slug>/ponderation/", weighting_views.weighting_index, name="weighting"),
    path("<slug:slug>/ponderation/<slug:wave>/", weighting_views.weighting_wave, name="weighting_wave"),
    path("<slug:slug>/ponderation/<slug:wave>/calages/<int:pk>/", weighting_views.weighting_run, name="weighting_run"),
    path("<slug:slug>/ponderation/<slug:wave>/calages/<int:pk>/poids.csv", weighting_views.weighting_histogram,
         name="weighting_histogram"),
]
