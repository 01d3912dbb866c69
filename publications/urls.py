from django.urls import path

from . import views
from .feeds import ReleasesFeed

app_name = "publications"

urlpatterns = [
    path("", views.calendar, name="calendar"),
    path("calendrier.ics", views.calendar_ics, name="calendar_ics"),
    path("flux.xml", ReleasesFeed(), name="feed"),
    path("<slug:slug>/", views.collection, name="collection"),
    path("<slug:collection>/<slug:slug>/", views.detail, name="detail"),
    path("<slug:collection>/<slug:slug>/v<int:number>/", views.version, name="version"),
    path("<slug:collection>/<slug:slug>/v<int:number>/<slug:name>.csv", views.table_csv, name="table_csv"),
    path("<slug:collection>/<slug:slug>/v<int:number>/<slug:name>.json", views.table_json, name="table_json"),
]
