"""The DDI-Codebook button of the exports page: one wave's codebook, for the archives."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_POST

from surveys.models import audit

from .ddi import codebook_xml
from .selectors import dashboard_for
from .views.access import analyst_required, bad_request


@analyst_required
@require_POST
def ddi_export(request: HttpRequest, slug: str) -> HttpResponse:
    """POST ``vague``: the DDI-Codebook 2.5 XML of that wave (frequencies under statistical secrecy)."""
    d = dashboard_for(request.user, slug)
    code = request.POST.get("vague", "")
    wave = d.survey.waves.filter(code=code[:40]).first()
    if wave is None:
        return bad_request(request, "vague inconnue")
    xml = codebook_xml(d.survey, wave)
    audit(request.user, "export", f"survey:{d.survey.slug}", kind="ddi", wave=wave.code)
    response = HttpResponse(xml, content_type="application/xml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{d.survey.slug}-{wave.code}-ddi.xml"'
    return response
