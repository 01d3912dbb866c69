"""Invitations: importing the list, sending invitations and reminders at most once, opting out, tokens."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import openpyxl
import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.test import Client
from django.urls import path, reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from config.urls import urlpatterns as project_urlpatterns
from jobs.worker import tasks_drain
from surveys.models import AuditLog, Participant, Response, UserCategory, hash_secret
from surveys.optout_views import opt_out
from surveys.services.invitations import (
    INVITATION, REMINDER, eligible, invitations_progress, participants_import,
)
from surveys.tasks import send_invitations
from tests import factories
from tests.surveys.test_wizard import FULL, MGMT, post_step, step_url

pytestmark = pytest.mark.django_db

# Until surveys/urls.py declares `t/<code>/desinscription/` (name "opt_out"), the opt-out tests use
# this URL map: the project's, plus that one route at the same path.
urlpatterns = [path("s/t/<str:code>/desinscription/", opt_out), *project_urlpatterns]
with_opt_out_route = pytest.mark.urls(__name__)

LINK_RE = re.compile(r"http://testserver/s/t/([\w-]+)/\n")
OPT_OUT_RE = re.compile(r"(http://testserver/s/t/[^/\s]+/desinscription/)")


def wave_of(survey):
    return survey.waves.get()


def import_csv(survey, text: str, filename="liste.csv", encoding="utf-8-sig", **kwargs):
    return participants_import(wave_of(survey), io.BytesIO(text.encode(encoding)), filename, **kwargs)


def add_participant(survey, email, category="researchers", language="fr", invited_days_ago=None, **fields):
    p = Participant(survey=survey, wave=wave_of(survey), email=email,
                    category=UserCategory.objects.get(code=category), language=language, **fields)
    p.issue_token()
    if invited_days_ago is not None:
        p.invited_at = timezone.now() - timedelta(days=invited_days_ago)
    p.save()
    return p


def send(survey, kind=INVITATION):
    """Enqueue a send as the designer page does, let the test's worker run it, return its result."""
    result = send_invitations.enqueue(wave_of(survey).pk, kind, "http://testserver/")
    assert result.status == "READY"  # a real queue: nothing ran inside the enqueueing call
    tasks_drain()
    result.refresh()
    return result


def link_token(message) -> str:
    return LINK_RE.search(message.body).group(1)


# --- import --------------------------------------------------------------------------------------

BAD_CSV = (
    "email;category;channel;language\n"
    "a@example.org;researchers;website;fr\n"        # 2 good
    "b@example.org;journalists;;en\n"               # 3 good
    "foo@;researchers;;\n"                          # 4 bad address
    "c@example.org;astronauts;;\n"                  # 5 unknown category
    "d@example.org;researchers;fax;de\n"            # 6 unknown channel and language
    "A@Example.org;researchers;;\n"                 # 7 repeats line 2
    "existing@example.org;general_public;;\n"       # 8 already in the wave
    ";researchers;;\n"                              # 9 no address
    "e@example.org;;;\n"                            # 10 no category
    "f@example.org;students;;\n"                    # 11 a category the survey does not offer
    ";;;\n"                                         # 12 empty: ignored
    "g@example.org;general_public;contact_service;\n"  # 13 good
)


def test_csv_import_reports_bad_and_duplicate_rows_by_line_and_imports_the_good_ones(survey):
    factories.UserCategoryFactory(code="students")
    add_participant(survey, "existing@example.org", "general_public")
    report = import_csv(survey, BAD_CSV)
    assert [str(e) for e in report.errors] == [
        "ligne 4, email : adresse invalide « foo@ »",
        "ligne 5, category : catégorie inconnue « astronauts »",
        "ligne 6, channel : canal inconnu « fax »",
        "ligne 6, language : langue non prise en charge « de » (fr ou en)",
        "ligne 9, email : adresse manquante",
        "ligne 10, category : catégorie manquante",
        "ligne 11, category : catégorie non proposée par l'enquête « students »",
    ]
    assert [str(d) for d in report.duplicates] == [
        "ligne 7, email : doublon de la ligne 2 « A@Example.org »",
        "ligne 8, email : déjà présent dans la vague « existing@example.org »",
    ]
    assert report.rows == 11 and report.created == 3 and not report.ok
    created = {p.email: p for p in Participant.objects.filter(wave=wave_of(survey)).select_related(
        "category", "channel")}
    assert set(created) == {"existing@example.org", "a@example.org", "b@example.org", "g@example.org"}
    assert created["a@example.org"].channel.code == "website"
    assert created["b@example.org"].language == "en" and created["b@example.org"].category.code == "journalists"
    assert created["g@example.org"].channel.code == "contact_service"
    assert all(p.invited_at is None and len(p.token_hash) == 64 for p in created.values())


def test_import_is_audited_with_counts_only(survey):
    import_csv(survey, BAD_CSV)
    entry = AuditLog.objects.get(action="participants_import")
    assert entry.details == {"wave": "2026", "rows": 11, "created": 4, "errors": 6, "duplicates": 1}
    assert "@" not in str(entry.details) and "@" not in entry.target


def test_reimporting_the_same_file_creates_nothing_twice(survey):
    text = "email,category\nx@example.org,researchers\ny@example.org,journalists\n"
    assert import_csv(survey, text).created == 2
    again = import_csv(survey, text)
    assert again.created == 0
    assert [str(d) for d in again.duplicates] == [
        "ligne 2, email : déjà présent dans la vague « x@example.org »",
        "ligne 3, email : déjà présent dans la vague « y@example.org »",
    ]
    assert Participant.objects.count() == 2


def test_csv_with_commas_without_bom_and_quoted_multiline_cells_keeps_line_numbers(survey):
    text = 'email,category,langue\n"x@example.org",researchers,en\n"bad\naddress",researchers,fr\nz@,journalists,\n'
    report = import_csv(survey, text, encoding="utf-8")
    assert [str(e) for e in report.errors] == [
        "ligne 3, email : adresse invalide « bad\naddress »",
        "ligne 5, email : adresse invalide « z@ »",
    ]
    assert report.created == 1 and Participant.objects.get().language == "en"


def test_dry_run_checks_the_file_and_imports_nothing(survey):
    report = import_csv(survey, "email;category\nx@example.org;researchers\nfoo@;researchers\n", dry_run=True)
    assert report.valid == 1 and [str(e) for e in report.errors] == ["ligne 3, email : adresse invalide « foo@ »"]
    assert Participant.objects.count() == 0 and not AuditLog.objects.filter(action="participants_import").exists()


def test_xlsx_import_reports_rows_by_their_sheet_row_number(survey):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Courriel", "Catégorie", "Canal", "Langue"])
    sheet.append(["x@example.org", "researchers", "website", "en"])
    sheet.append([None, None, None, None])
    sheet.append(["not-an-address", "journalists", None, None])
    sheet.append(["X@example.org", "researchers", None, None])
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    report = participants_import(wave_of(survey), buffer, "liste.xlsx")
    assert [str(e) for e in report.errors] == ["ligne 4, email : adresse invalide « not-an-address »"]
    assert [str(d) for d in report.duplicates] == ["ligne 5, email : doublon de la ligne 2 « X@example.org »"]
    p = Participant.objects.get()
    assert (p.email, p.category.code, p.channel.code, p.language) == ("x@example.org", "researchers", "website", "en")


@pytest.mark.parametrize("content, filename, message", [
    (b"courriel;nom\nx@example.org;X\n", "l.csv",
     "ligne 1 : colonne obligatoire absente : category (colonnes attendues : email, category, channel, language)."),
    ("email;category\nélodie@example.org;researchers\n".encode("cp1252"), "l.csv",
     "le fichier n'est pas encodé en UTF-8 (ligne 2) : "
     "enregistrez-le au format « CSV UTF-8 »."),
    (b"email;category\n", "l.ods", "format non pris en charge : envoyez un fichier .csv (UTF-8) ou .xlsx."),
    (b"email;category\nx@example.org;researchers\n", "l.xlsx",
     "le fichier porte l'extension .xlsx mais n'est pas un classeur XLSX."),
    (b"", "l.csv", "le fichier est vide."),
])
def test_unreadable_files_are_refused_whole_with_a_reason(survey, content, filename, message):
    report = participants_import(wave_of(survey), io.BytesIO(content), filename)
    assert report.file_error == message
    assert Participant.objects.count() == 0


# --- sending -------------------------------------------------------------------------------------

def test_invitations_go_out_in_each_participants_language_with_a_working_personal_link(client, survey):
    import_csv(survey, "email;category;language\nfr@example.org;journalists;fr\nen@example.org;researchers;en\n")
    result = send(survey)
    assert result.status == "SUCCESSFUL" and result.return_value == {
        "kind": "invitation", "sent": 2, "bounced": 0, "deferred": 0, "stopped": ""}
    by_address = {m.to[0]: m for m in mail.outbox}
    assert set(by_address) == {"fr@example.org", "en@example.org"}
    fr, en = by_address["fr@example.org"], by_address["en@example.org"]
    assert fr.subject == "Votre avis nous intéresse : Enquête de satisfaction"
    assert en.subject == "We would like your opinion: Satisfaction survey"
    assert "Votre lien personnel" in fr.body and "Désinscrivez-vous ici" in fr.body
    assert "Your personal link" in en.body and "Unsubscribe here" in en.body
    assert "http://testserver/s/test-survey/confidentialite/" in fr.body
    assert fr.extra_headers["List-Unsubscribe"] == f"<{OPT_OUT_RE.search(fr.body).group(1)}>"
    for message in (fr, en):
        token = link_token(message)
        participant = Participant.objects.get(email=message.to[0])
        assert participant.token_hash == hash_secret(token) and participant.invited_at is not None
        assert token not in str(list(AuditLog.objects.values_list("details", flat=True)))
    resp = client.get(reverse("surveys:token", args=[link_token(fr)]), follow=True)
    assert resp.status_code == 200 and resp.redirect_chain[-1][0].endswith("/q/core/")
    assert Participant.objects.get(email="fr@example.org").opened_at is not None


def test_sending_again_sends_nothing_new_and_late_additions_get_theirs(survey):
    import_csv(survey, "email,category\na@example.org,researchers\n")
    send(survey)
    send(survey)
    assert len(mail.outbox) == 1
    import_csv(survey, "email,category\nb@example.org,researchers\n")
    send(survey)
    assert [m.to[0] for m in mail.outbox] == ["a@example.org", "b@example.org"]


class FlakyBackend(LocmemBackend):
    """Delivers `budget` messages, then the mail server "goes down" (raises)."""

    budget = 2

    def send_messages(self, messages):
        if FlakyBackend.budget <= 0:
            raise ConnectionError("mail server down")
        FlakyBackend.budget -= len(messages)
        return super().send_messages(messages)


def test_a_batch_that_crashes_midway_resumes_without_sending_twice(survey, settings):
    import_csv(survey, "email,category\n" + "".join(f"p{i}@example.org,researchers\n" for i in range(5)))
    FlakyBackend.budget = 2
    settings.MAILERS = {"default": {"BACKEND": f"{__name__}.FlakyBackend"}}
    result = send(survey)
    assert result.status == "FAILED" and "ConnectionError" in result.errors[0].exception_class_path
    assert [m.to[0] for m in mail.outbox] == ["p0@example.org", "p1@example.org"]
    # the participant whose message failed is not marked: only the two sent are
    assert set(Participant.objects.filter(invited_at__isnull=False).values_list("email", flat=True)) == {
        "p0@example.org", "p1@example.org"}
    assert AuditLog.objects.get(action="invitations_sent").details == {
        "wave": "2026", "sent": 2, "stopped": "ConnectionError"}
    # the task retries by itself later (backoff), with the next attempt number
    retry = DBTaskResult.objects.get(status="READY")
    assert retry.args_kwargs["args"][-1] == 2 and retry.task_path == "surveys.tasks.send_invitations"
    assert timedelta(seconds=55) < retry.run_after - timezone.now() <= timedelta(seconds=60)

    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    result = send(survey)
    assert result.status == "SUCCESSFUL" and result.return_value["sent"] == 3
    recipients = [m.to[0] for m in mail.outbox]
    assert sorted(recipients) == [f"p{i}@example.org" for i in range(5)]  # each exactly once
    assert Participant.objects.filter(invited_at__isnull=True).count() == 0
    # every link that went out works (the failed attempt's token was replaced by the resent one)
    assert all(Participant.objects.filter(token_hash=hash_secret(link_token(m))).exists() for m in mail.outbox)


def test_a_participant_claimed_by_another_worker_is_skipped(survey, monkeypatch):
    """Two workers on one wave: the compare-and-set claim lets only one of them send."""
    from surveys.services import invitations

    import_csv(survey, "email,category\na@example.org,researchers\nb@example.org,researchers\n")
    real_eligible = invitations.eligible
    calls = {"n": 0}

    def racing_eligible(wave, kind, now=None):
        calls["n"] += 1
        if calls["n"] == 2:  # after the list was read, another worker claims a@ first
            Participant.objects.filter(email="a@example.org").update(invited_at=timezone.now())
        return real_eligible(wave, kind, now)

    monkeypatch.setattr(invitations, "eligible", racing_eligible)
    assert send(survey).return_value["sent"] == 1
    assert [m.to[0] for m in mail.outbox] == ["b@example.org"]


def test_nothing_is_sent_for_a_closed_wave(survey):
    import_csv(survey, "email,category\na@example.org,researchers\n")
    wave = wave_of(survey)
    wave.opens_at, wave.closes_at = timezone.now() - timedelta(days=30), timezone.now() - timedelta(days=1)
    wave.save()
    assert send(survey).return_value == {
        "kind": "invitation", "sent": 0, "bounced": 0, "deferred": 0, "stopped": "closed"}
    assert mail.outbox == []


# --- reminders -----------------------------------------------------------------------------------

def _complete_response(participant, status="complete"):
    return Response.objects.create(
        survey=participant.survey, wave=participant.wave, category=participant.category, participant=participant,
        status=status, submitted_at=timezone.now() if status == "complete" else None)


def test_reminders_skip_completers_opt_outs_undeliverables_and_the_recently_invited(survey):
    done = add_participant(survey, "done@example.org", invited_days_ago=5)
    _complete_response(done)
    started = add_participant(survey, "started@example.org", language="en", invited_days_ago=5)
    _complete_response(started, status="partial")
    add_participant(survey, "out@example.org", invited_days_ago=5, opted_out_at=timezone.now())
    add_participant(survey, "bounce@example.org", invited_days_ago=5, undeliverable=True)
    add_participant(survey, "silent@example.org", invited_days_ago=5)
    add_participant(survey, "recent@example.org", invited_days_ago=1)
    add_participant(survey, "never@example.org")  # not invited yet: invitation, not reminder
    assert invitations_progress(wave_of(survey)).to_remind == 2
    result = send(survey, REMINDER)
    assert result.return_value["sent"] == 2
    by_address = {m.to[0]: m for m in mail.outbox}
    assert set(by_address) == {"started@example.org", "silent@example.org"}
    assert by_address["started@example.org"].subject.startswith("Reminder")
    assert by_address["silent@example.org"].subject == "Rappel — votre avis nous intéresse : Enquête de satisfaction"
    assert "il remplace celui de notre précédent message" in by_address["silent@example.org"].body
    # a second round right away reaches nobody (the interval), and is what makes a crashed round resumable
    assert send(survey, REMINDER).return_value["sent"] == 0 and len(mail.outbox) == 2


def test_a_reminder_replaces_the_token_and_the_new_link_continues_the_draft(client, survey):
    import_csv(survey, "email,category\nj@example.org,journalists\n")
    send(survey)
    first = link_token(mail.outbox[0])
    resp = client.get(reverse("surveys:token", args=[first]), follow=True)
    post_step(client, survey, "core", FULL["core"])  # a draft is saved
    Participant.objects.update(invited_at=timezone.now() - timedelta(days=3))
    send(survey, REMINDER)
    second = link_token(mail.outbox[1])
    assert first != second
    other = Client()
    assert other.get(reverse("surveys:token", args=[first])).status_code == 404  # old link: invalid
    resp = other.get(reverse("surveys:token", args=[second]), follow=True)
    assert resp.status_code == 200
    assert Response.objects.get().participant.email == "j@example.org"


# --- opt-out -------------------------------------------------------------------------------------

@with_opt_out_route
def test_opt_out_asks_on_get_records_on_post_and_survives_a_reminder(client, survey):
    import_csv(survey, "email,category\no@example.org,researchers\n")
    send(survey)
    invitation_opt_out = OPT_OUT_RE.search(mail.outbox[0].body).group(1)
    Participant.objects.update(invited_at=timezone.now() - timedelta(days=3))
    send(survey, REMINDER)
    assert OPT_OUT_RE.search(mail.outbox[1].body).group(1) == invitation_opt_out  # same, token-independent
    resp = client.get(invitation_opt_out)
    assert resp.status_code == 200 and "Confirmer la désinscription" in resp.content.decode()
    assert Participant.objects.get().opted_out_at is None  # GET changes nothing
    resp = client.post(invitation_opt_out)
    assert "Vous êtes désinscrit(e)" in resp.content.decode()
    assert Participant.objects.get().opted_out_at is not None
    assert AuditLog.objects.get(action="participant_opt_out").details == {"wave": "2026"}
    Participant.objects.update(reminded_at=timezone.now() - timedelta(days=3))
    assert eligible(wave_of(survey), REMINDER).count() == 0


@with_opt_out_route
def test_opt_out_with_a_forged_code_is_an_invalid_link(client, survey):
    p = add_participant(survey, "o@example.org")
    for code in [f"{p.pk}:forged", "1' OR 1=1--", str(p.pk)]:
        resp = client.get(f"/s/t/{code}/desinscription/")
        assert resp.status_code == 404 and "Lien invalide" in resp.content.decode()
    client.post(f"/s/t/{p.pk}:forged/desinscription/")
    assert Participant.objects.get().opted_out_at is None


# --- tokens: answer once, expire with the wave ----------------------------------------------------

def test_an_invitation_link_answers_once_then_says_already_answered(client, survey):
    import_csv(survey, "email,category\nj@example.org,journalists\n")
    send(survey)
    token = link_token(mail.outbox[0])
    client.get(reverse("surveys:token", args=[token]), follow=True)
    for step in ("core", "web", "press", "end"):
        post_step(client, survey, step, FULL[step])
    client.post(step_url(survey, "recapitulatif"), {MGMT: "recapitulatif"}, follow=True)
    assert Response.objects.get().status == "complete"
    for visitor in (client, Client()):
        resp = visitor.get(reverse("surveys:token", args=[token]), follow=True)
        assert "Déjà répondu" in resp.content.decode()
    assert Response.objects.count() == 1


def test_an_invitation_link_expires_with_its_wave(client, survey):
    import_csv(survey, "email,category\nj@example.org,journalists\n")
    send(survey)
    token = link_token(mail.outbox[0])
    wave = wave_of(survey)
    wave.opens_at, wave.closes_at = timezone.now() - timedelta(days=30), timezone.now() - timedelta(minutes=1)
    wave.save()
    resp = client.get(reverse("surveys:token", args=[token]))
    assert resp.status_code == 200 and "Questionnaire fermé" in resp.content.decode()
    assert Response.objects.count() == 0


# --- the designer's invitations page ---------------------------------------------------------------

@pytest.fixture
def designer(client, survey):
    user = factories.staff_user("dana", "designers", surveys=[survey])
    client.force_login(user)
    return user


def test_designer_imports_sends_and_marks_a_bounce_from_the_page(client, survey, designer):
    url = reverse("staff:invitations", args=[survey.slug])
    upload = io.BytesIO(BAD_CSV.encode())
    upload.name = "liste.csv"
    resp = client.post(reverse("staff:invitations_import", args=[survey.slug]), {"file": upload, "vague": "2026"})
    page = resp.content.decode()
    assert resp.status_code == 200
    assert "ligne 4, email : adresse invalide « foo@ »" in page
    assert "ligne 7, email : doublon de la ligne 2 « A@Example.org »" in page
    assert AuditLog.objects.get(action="participants_import").actor == "dana"

    resp = client.post(reverse("staff:invitations_send", args=[survey.slug]),
                       {"kind": "invitation", "vague": "2026"}, follow=True)
    assert "Envoi lancé en arrière-plan" in resp.content.decode() and mail.outbox == []
    assert '<meta http-equiv="refresh" content="5">' in resp.content.decode()  # follows it without JS
    tasks_drain()
    resp = client.get(url, {"vague": "2026"})
    assert "4 message(s) envoyé(s)." in resp.content.decode()
    assert 'http-equiv="refresh"' not in resp.content.decode()
    assert len(mail.outbox) == 4
    assert "Invitations envoyées" in resp.content.decode()

    bounced = Participant.objects.get(email="a@example.org")
    bounce_url = reverse("staff:participant_undeliverable", args=[survey.slug, bounced.pk])
    assert client.get(bounce_url).status_code == 405  # no state change on GET
    client.post(bounce_url, {"value": "1"})
    bounced.refresh_from_db()
    assert bounced.undeliverable
    Participant.objects.update(invited_at=timezone.now() - timedelta(days=3))
    assert "a@example.org" not in eligible(wave_of(survey), REMINDER).values_list("email", flat=True)
    resp = client.get(url, {"statut": "UO"})
    assert "a@example.org" in resp.content.decode() and "b@example.org" not in resp.content.decode()


def test_the_page_reports_a_failed_sending_and_the_retry_finishes_it(client, survey, designer, settings):
    import_csv(survey, "email,category\n" + "".join(f"p{i}@example.org,researchers\n" for i in range(3)))
    FlakyBackend.budget = 1
    settings.MAILERS = {"default": {"BACKEND": f"{__name__}.FlakyBackend"}}
    send_url = reverse("staff:invitations_send", args=[survey.slug])
    page_url = reverse("staff:invitations", args=[survey.slug])
    client.post(send_url, {"kind": "invitation", "vague": "2026"})
    tasks_drain()
    resp = client.get(page_url, {"vague": "2026"})
    assert "personne ne recevra deux fois le même message" in resp.content.decode()
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    client.post(send_url, {"kind": "invitation", "vague": "2026"})
    tasks_drain()
    resp = client.get(page_url, {"vague": "2026"})
    assert "2 message(s) envoyé(s)." in resp.content.decode()
    assert sorted(m.to[0] for m in mail.outbox) == ["p0@example.org", "p1@example.org", "p2@example.org"]


def test_a_participant_of_another_survey_cannot_be_marked_through_this_one(client, survey, designer):
    other = factories.SurveyFactory(slug="other")
    factories.WaveFactory(survey=other, code="2026")
    p = Participant(survey=other, wave=other.waves.get(), email="z@example.org",
                    category=UserCategory.objects.get(code="researchers"))
    p.issue_token()
    p.save()
    resp = client.post(reverse("staff:participant_undeliverable", args=[survey.slug, p.pk]), {"value": "1"})
    assert resp.status_code == 404


def test_someone_who_opted_out_in_an_earlier_wave_is_not_imported_again(survey):
    add_participant(survey, "gone@example.org", opted_out_at=timezone.now())
    old = wave_of(survey)
    old.opens_at, old.closes_at = timezone.now() - timedelta(days=400), timezone.now() - timedelta(days=300)
    old.save()
    new = factories.WaveFactory(survey=survey, code="2027")
    report = participants_import(new, io.BytesIO(b"email,category\nGone@example.org,researchers\n"), "l.csv")
    assert [str(d) for d in report.duplicates] == [
        "ligne 2, email : désinscrit(e) de cette enquête lors d'une vague précédente « Gone@example.org »"]
    assert report.created == 0


def test_a_pasted_bounce_report_marks_the_addresses_undeliverable(client, survey, designer):
    import_csv(survey, "email,category\na@example.org,researchers\nb@example.org,researchers\n")
    resp = client.post(reverse("staff:participants_undeliverable", args=[survey.slug]),
                       {"vague": "2026", "addresses": "A@example.org\n  zz@example.org; not-an-address\n"}, follow=True)
    page = resp.content.decode()
    assert "1 adresse(s) marquée(s) injoignable(s)." in page and "zz@example.org" in page
    assert list(Participant.objects.filter(undeliverable=True).values_list("email", flat=True)) == ["a@example.org"]
    assert AuditLog.objects.get(action="participants_undeliverable").details == {
        "wave": "2026", "marked": 1, "unknown": 1}
