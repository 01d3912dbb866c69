"""The opt-out page linked from every invitation and reminder (public, no sign-in).

GET shows a confirmation form and changes nothing (a mail scanner that follows links must not
unsubscribe anyone); POST records the opt-out. The link carries a signed participant reference,
not the answering token, so the link of an older message still works after a reminder replaced
the token (see `surveys.services.invitations`). Route: `/s/t/<code>/desinscription/`.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from .services.invitations import participant_by_opt_out_code, participant_opt_out


@never_cache
@require_http_methods(["GET", "POST"])
def opt_out(request: HttpRequest, code: str) -> HttpResponse:
    participant = participant_by_opt_out_code(code)
    if participant is None:
        return render(request, "surveys/message.html", {
            "title": _("Lien invalide"),
            "body": _("Ce lien de désinscription n'est pas valide, ou vos coordonnées ont déjà été effacées."),
        }, status=404)
    done = False
    if request.method == "POST":
        participant_opt_out(participant)
        done = True
    return render(request, "surveys/opt_out.html", {
        "survey": participant.survey, "code": code, "done": done,
        "already": not done and participant.opted_out_at is not None,
    })
