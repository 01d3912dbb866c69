"""Duplicate a survey: the questionnaire under a new slug, as a draft, owned by whoever copied it.

The copy goes through the JSON document (`survey_export` then `survey_import`), so it is exactly
what an export and re-import would give, with the same validation. Waves are not copied: a copy
is the start of another fieldwork, whose dates its designer sets; nor are responses or invitations.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from ..models import Survey
from .import_export import SurveyImportError, survey_export, survey_import


def survey_duplicate(survey: Survey, slug: str, actor: object = None) -> Survey:
    """A draft copy of `survey` under `slug` (SurveyImportError if the slug is taken or malformed)."""
    if Survey.objects.filter(slug=slug).exists():
        raise SurveyImportError(_("L'identifiant « %(slug)s » est déjà pris.") % {"slug": slug})
    document = survey_export(survey)
    document["survey"]["slug"] = slug
    title = document["survey"]["title"]
    title["fr"] = f"{title['fr']} (copie)"[:200]  # the French text is French whatever the page's language
    if title.get("en"):
        title["en"] = f"{title['en']} (copy)"[:200]
    document["waves"] = []
    copy = survey_import(document, actor=actor)
    if getattr(actor, "pk", None) is not None:
        copy.owners.add(actor)
    return copy
