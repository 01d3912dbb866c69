"""URL map: respondents under /s/, analysts under /analyse/, quality teams in /admin/."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from surveys import views as survey_views

urlpatterns = [
    path("", survey_views.home, name="home"),
    path("accessibilite/", survey_views.accessibility, name="accessibility"),
    path("connexion/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("deconnexion/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("s/", include("surveys.urls")),
    path("analyse/", include("analysis.urls")),
    path("analyse/", include("verbatims.urls")),
    path("equipe/", include("surveys.staff_urls")),
    path("equipe/questionnaires/", include("surveys.questionnaire_urls")),
    path("equipe/atelier/", include("surveys.workbench.urls")),
    path("w/", include("surveys.widget_urls")),
    path("taches/", include("jobs.urls")),
    path("publications/", include("publications.urls")),
    path("", include("api.urls")),
]

handler500 = "surveys.views.server_error"
