"""Designer pages: questionnaire downloads (JSON, XLSForm), upload page; the DDI button of the exports page."""

from __future__ import annotations

import json
from io import BytesIO

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from analysis.ddi import validate_codebook
from surveys.models import AuditLog, Survey
from tests import factories

from .xlsform_books import DATA, FR, write_book

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.mark.django_db
def test_designer_downloads_the_questionnaire_as_json_and_xlsform(client, survey):
    client.force_login(factories.staff_user("dana", "designers", surveys=[survey]))
    page = client.get(reverse("questionnaires:detail", args=[survey.slug]))
    assert page.status_code == 200
    assert reverse("questionnaires:xlsform", args=[survey.slug]).encode() in page.content
    assert reverse("questionnaires:detail", args=[survey.slug]).encode() in client.get(reverse("staff:index")).content
    as_json = client.get(reverse("questionnaires:json", args=[survey.slug]))
    assert json.loads(as_json.content)["survey"]["slug"] == survey.slug
    as_xlsx = client.get(reverse("questionnaires:xlsform", args=[survey.slug]))
    assert as_xlsx["Content-Type"] == XLSX
    book = openpyxl.load_workbook(BytesIO(as_xlsx.content), read_only=True)
    assert book.sheetnames == ["survey", "choices", "settings", "ecoute"]


@pytest.mark.django_db
def test_upload_imports_an_xlsform_and_grants_it_to_the_designer(client):
    user = factories.staff_user("dana", "designers")
    client.force_login(user)
    assert client.get(reverse("questionnaires:import")).status_code == 200
    upload = SimpleUploadedFile("Mon formulaire.xlsx", (DATA / "yes_or_no_question.xlsx").read_bytes(), XLSX)
    response = client.post(reverse("questionnaires:import"), {"file": upload})
    survey = Survey.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("questionnaires:detail", args=[survey.slug])
    assert survey.slug == "Mon_formulaire" and list(survey.owners.all()) == [user]
    assert AuditLog.objects.filter(action="survey_import", target=survey.slug, actor="dana").exists()


@pytest.mark.django_db
def test_a_refused_upload_lists_the_problems_and_writes_nothing(client, tmp_path):
    client.force_login(factories.staff_user("dana", "designers"))
    path = write_book(tmp_path / "c.xlsx", [["type", "name", FR, "calculation"], ["integer", "A", "A ?"],
                                            ["calculate", "C", "", "${A} + 1"]])
    response = client.post(reverse("questionnaires:import"),
                           {"file": SimpleUploadedFile("c.xlsx", path.read_bytes(), XLSX)})
    assert response.status_code == 400
    assert ("survey sheet, row 3, column &quot;type&quot;: &quot;calculate&quot;: a calculate cannot be "
            "represented").encode() in response.content
    assert not Survey.objects.exists()
    lenient = client.post(reverse("questionnaires:import"),
                          {"file": SimpleUploadedFile("c.xlsx", path.read_bytes(), XLSX), "lenient": "on"},
                          follow=True)
    assert lenient.status_code == 200 and Survey.objects.get().questions.count() == 1
    assert "Écarté : survey sheet, row 3".encode() in lenient.content


@pytest.mark.django_db
def test_a_damaged_or_foreign_file_is_refused_without_a_server_error(client):
    client.force_login(factories.staff_user("dana", "designers"))
    bad = client.post(reverse("questionnaires:import"), {"file": SimpleUploadedFile("x.xlsx", b"not a zip", XLSX)})
    assert bad.status_code == 400 and b"XLSForm refused by pyxform" in bad.content
    other = client.post(reverse("questionnaires:import"), {"file": SimpleUploadedFile("x.pdf", b"%PDF", "a/b")})
    assert other.status_code == 400
    broken = client.post(reverse("questionnaires:import"), {"file": SimpleUploadedFile("x.json", b"{", "a/json")})
    assert broken.status_code == 400 and "JSON illisible".encode() in broken.content
    assert not Survey.objects.exists()


@pytest.mark.django_db
def test_questionnaire_pages_need_a_designer(client, survey):
    client.force_login(factories.staff_user("ana", "analysts", surveys=[survey]))
    assert client.get(reverse("questionnaires:xlsform", args=[survey.slug])).status_code == 403
    assert client.get(reverse("questionnaires:import")).status_code == 403


@pytest.mark.django_db
def test_exports_page_offers_the_ddi_codebook_of_a_wave(client, survey):
    client.force_login(factories.staff_user("ana", "analysts", surveys=[survey]))
    page = client.get(reverse("analysis:exports", args=[survey.slug]))
    assert reverse("analysis:ddi", args=[survey.slug]).encode() in page.content
    response = client.post(reverse("analysis:ddi", args=[survey.slug]), {"vague": "2026"})
    assert response.status_code == 200 and response["Content-Type"] == "application/xml; charset=utf-8"
    assert validate_codebook(response.content) == []
    assert AuditLog.objects.filter(action="export", details__kind="ddi").count() == 1
    assert client.post(reverse("analysis:ddi", args=[survey.slug]), {"vague": "nope"}).status_code == 400
