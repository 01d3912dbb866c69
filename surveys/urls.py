"""Respondent URLs: open link, invitation token, resume code, the wizard steps."""

from django.urls import path, re_path

from . import optout_views, views
from .busy import keep_answers_when_busy
from .ratelimit import ratelimit
from .wizard import SurveyWizard

app_name = "surveys"

wizard = ratelimit("answer", "RATE_LIMIT_ANSWER", methods=("POST",))(
    keep_answers_when_busy(SurveyWizard.as_view(url_name="surveys:step", done_step_name="fin")))

urlpatterns = [
    path("t/<str:token>/", views.token_entry, name="token"),
    path("t/<str:code>/desinscription/", ratelimit("token", "RATE_LIMIT_TOKEN")(optout_views.opt_out),
         name="opt_out"),
    path("reprise/", views.resume, name="resume"),
    path("reprise/<str:code>/", views.resume_code, name="resume_code"),
    path("mes-reponses/<str:code>/", views.my_answers, name="my_answers"),
    path("mes-reponses/<str:code>/telecharger/", views.my_answers_download, name="my_answers_download"),
    path("mes-reponses/<str:code>/effacer/", views.my_answers_erase, name="my_answers_erase"),
    path("<slug:slug>/", views.start, name="start"),
    path("<slug:slug>/confidentialite/", views.notice, name="notice"),
    path("<slug:slug>/merci/", views.thanks, name="thanks"),
    path("<slug:slug>/apercu/<slug:category>/", views.preview, name="preview"),
    re_path(r"^(?P<slug>[-\w]+)/q/(?P<step>[-\w]+)/$", wizard, name="step"),
]
