"""Analyst dashboards (/analyse/...): French paths, filters in the query string."""

from django.urls import path

from . import ddi_views, views

app_name = "analysis"

urlpatterns = [
    path("", views.index, name="index"),
    path("<slug:slug>/", views.overview, name="overview"),
    path("<slug:slug>/canaux/", views.channels, name="channels"),
    path("<slug:slug>/canaux/donnees/<slug:name>.csv", views.channels_data, name="channels_data"),
    path("<slug:slug>/vagues/", views.trends, name="trends"),
    path("<slug:slug>/vagues/donnees/<slug:name>.csv", views.trends_data, name="trends_data"),
    path("<slug:slug>/questions/<str:code>/", views.question, name="question"),
    path("<slug:slug>/questions/<str:code>/donnees/<slug:name>.csv", views.question_data, name="question_data"),
    path("<slug:slug>/verbatims/", views.verbatims, name="verbatims"),
    path("<slug:slug>/exports/", views.exports_page, name="exports"),
    path("<slug:slug>/exports/ddi.xml", ddi_views.ddi_export, name="ddi"),
]
