"""Questionnaire files for designers: download as JSON or XLSForm, upload one to create a survey.

Thin views over `services.import_export` and the XLSForm modules: an upload goes through the same
validation as ``manage.py import_survey`` / ``import_xlsform``; a refused file writes nothing and the
page lists every problem (sheet, row and column for a spreadsheet). The designer who imports a
survey becomes one of its owners.
"""

from __future__ import annotations

import json

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from .models import Survey
from .permissions import is_designer
from .services.import_export import SurveyImportError, document_dumps, survey_export, survey_import
from .services.xlsform_export import survey_to_xlsform
from .services.xlsform_import import XLSFormError, xlsform_import
from .services.xlsform_read import MAX_FILE_BYTES
from .staff_views import _forbidden, designer_page

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class QuestionnaireUploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Fichier du questionnaire (XLSForm .xlsx ou JSON Écoute)"))
    lenient = forms.BooleanField(
        required=False, label=gettext_lazy("Import tolérant : écarter ce qui ne peut être représenté "
                                           "(la liste en sera affichée) au lieu de refuser le fichier"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(_("Fichier trop volumineux (5 Mo au plus)."))
        if not upload.name.lower().endswith((".xlsx", ".json")):
            raise forms.ValidationError(_("Le fichier doit être un classeur .xlsx (XLSForm) ou un document .json."))
        return upload


def _download(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@designer_page
def questionnaire_page(request: HttpRequest, survey: Survey) -> HttpResponse:
    return render(request, "staff/questionnaire.html", {"survey": survey, "section": "questionnaire"})


@designer_page
def questionnaire_json(request: HttpRequest, survey: Survey) -> HttpResponse:
    content = document_dumps(survey_export(survey)).encode("utf-8")
    return _download(content, "application/json; charset=utf-8", f"{survey.slug}.json")


@designer_page
def questionnaire_xlsform(request: HttpRequest, survey: Survey) -> HttpResponse:
    return _download(survey_to_xlsform(survey), XLSX, f"{survey.slug}-xlsform.xlsx")


def _import(upload, lenient: bool, user) -> tuple[Survey, list[str], list[str]]:
    data = upload.read(MAX_FILE_BYTES + 1)
    if upload.name.lower().endswith(".json"):
        try:
            document = json.loads(data.decode("utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
            raise SurveyImportError(_("JSON illisible : %(error)s") % {"error": exc}) from exc
        return survey_import(document, actor=user), [], []
    survey, result = xlsform_import(data, lenient=lenient, actor=user, filename=upload.name)
    return survey, result.warnings, result.notes


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def questionnaire_import(request: HttpRequest) -> HttpResponse:
    if not is_designer(request.user):
        return _forbidden(request)
    form = QuestionnaireUploadForm(request.POST or None, request.FILES or None)
    errors: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            survey, warnings, notes = _import(form.cleaned_data["file"], form.cleaned_data["lenient"], request.user)
        except (XLSFormError, SurveyImportError) as exc:
            errors = exc.errors
        else:
            survey.owners.add(request.user)
            messages.success(request, _("Questionnaire « %(slug)s » importé.") % {"slug": survey.slug})
            for warning in warnings:
                messages.warning(request, _("Écarté : %(what)s") % {"what": warning})
            for note in notes:
                messages.info(request, note)
            return redirect("questionnaires:detail", slug=survey.slug)
    status = 400 if request.method == "POST" else 200
    return render(request, "staff/questionnaire_import.html", {"form": form, "errors": errors}, status=status)
