from django.urls import path

from . import staff_views, views

app_name = "jobs"
urlpatterns = [
    path("exports/<uuid:job_id>/", views.export_status, name="export"),
    path("exports/<uuid:job_id>/etat.json", views.export_status_json, name="export_json"),
    path("exports/<uuid:job_id>/fichier/", views.export_download, name="export_download"),
    path("suivi/", staff_views.tasks_page, name="tasks"),
    path("suivi/<str:task_id>/relancer/", staff_views.task_retry, name="task_retry"),
]
