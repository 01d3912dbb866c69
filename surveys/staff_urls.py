"""Quality-team pages outside the admin (invitations, tracking, channel links)."""

from django.urls import path, re_path

from . import publishing_views, staff_views, version_views

app_name = "staff"

urlpatterns = [
    path("", staff_views.index, name="index"),
    path("<slug:slug>/liens/", staff_views.links, name="links"),
    re_path(r"^(?P<slug>[-\w]+)/qr\.(?P<fmt>svg|png)$", staff_views.qr, name="qr"),
    path("<slug:slug>/invitations/", staff_views.invitations, name="invitations"),
    path("<slug:slug>/invitations/import/", staff_views.invitations_import, name="invitations_import"),
    path("<slug:slug>/invitations/envoi/", staff_views.invitations_send, name="invitations_send"),
    path("<slug:slug>/participants/injoignables/", staff_views.participants_undeliverable,
         name="participants_undeliverable"),
    path("<slug:slug>/participants/<int:pk>/injoignable/", staff_views.participant_undeliverable,
         name="participant_undeliverable"),
    path("<slug:slug>/publication/", publishing_views.publication, name="publication"),
    path("<slug:slug>/suivi/", staff_views.tracking_page, name="tracking"),
    path("<slug:slug>/suivi/participants.csv", staff_views.tracking_export, name="tracking_export"),
    path("<slug:slug>/versions/", version_views.versions, name="versions"),  # issue 18
]
