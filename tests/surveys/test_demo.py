"""The demo survey (surveys/demo/survey.json) and `manage.py load_demo`."""

from __future__ import annotations

import json
from datetime import datetime
from io import StringIO
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.core.management import BaseCommand, call_command
from django.core.management.base import CommandError
from django.utils import translation

import surveys
from surveys.forms import SectionForm
from surveys.management.commands import load_demo
from surveys.models import NOTICE_ELEMENTS, Channel, Question, Response, Section, Survey, UserCategory
from surveys.services.import_export import survey_import
from surveys.services.responses import survey_structure, visible_question_codes, visible_sections

DEMO_FILE = Path(surveys.__file__).parent / "demo" / "survey.json"
SLUG = "satisfaction-usagers"
PARIS = ZoneInfo("Europe/Paris")

CATEGORIES = ["researchers", "local_authorities", "general_public", "institutional_partners", "businesses",
              "journalists", "students", "other"]
CHANNELS = ["website", "contact_service", "publications", "data_access", "meetings_events", "social_networks",
            "newsletter"]

# The category module(s) each category gets (sections targeted to some categories only).
EXPECTED_MODULES = {
    "researchers": {"researchers"},
    "local_authorities": {"local-authorities"},
    "general_public": {"general-public"},
    "students": {"general-public"},
    "institutional_partners": {"partners"},
    "journalists": {"journalists"},
    "businesses": set(),
    "other": set(),
}


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """load_demo sets passwords; the production hasher is deliberately slow."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def demo(db) -> Survey:
    return survey_import(json.loads(DEMO_FILE.read_text(encoding="utf-8")))


# -- the demo survey's content ------------------------------------------------------------------

def test_demo_nomenclatures(demo):
    assert list(UserCategory.objects.values_list("code", flat=True)) == CATEGORIES
    assert list(Channel.objects.values_list("code", flat=True)) == CHANNELS
    assert sorted(demo.categories.values_list("code", flat=True)) == sorted(CATEGORIES)
    channels_used = Question.objects.get(survey=demo, code="CHANNELS_USED")
    assert channels_used.type == "multiple" and channels_used.required
    assert list(channels_used.choices.values_list("code", flat=True)) == CHANNELS


def test_demo_common_core(demo):
    core = demo.sections.order_by("order").first()
    assert core.code == "core" and not core.categories.exists() and core.condition is None
    questions = {q.code: q for q in core.questions.all()}
    assert (questions["SAT_OVERALL"].type, questions["SAT_OVERALL"].required) == ("satisfaction", True)
    assert (questions["NPS"].type, questions["NPS"].required) == ("nps", True)
    assert questions["SAT_TRUST"].type == "scale" and questions["SAT_TRUST"].allow_dont_know


@pytest.mark.parametrize("section,question,channel", [
    ("website", "SAT_WEB", "website"),
    ("contact", "SAT_CONTACT", "contact_service"),
    ("publications", "SAT_PUBS", "publications"),
    ("data-access", "SAT_DATA", "data_access"),
    ("meetings", "SAT_MEET", "meetings_events"),
])
def test_each_channel_section_is_shown_to_users_of_its_channel(demo, section, question, channel):
    sec = Section.objects.get(survey=demo, code=section)
    assert sec.condition == {"question": "CHANNELS_USED", "in": [channel]}
    q = Question.objects.get(survey=demo, code=question)
    assert q.section == sec and q.type == "satisfaction" and q.channel.code == channel


def test_every_channel_has_a_satisfaction_question(demo):
    rated = set(Question.objects.filter(survey=demo, channel__isnull=False).values_list("channel__code", flat=True))
    assert rated == set(CHANNELS)


def test_demo_specific_questions(demo):
    q = {x.code: x for x in Question.objects.filter(survey=demo).prefetch_related("choices")}
    assert q["WEB_FIND"].type == "satisfaction"
    assert q["WEB_MATRIX"].type == "matrix" and q["WEB_MATRIX"].choices.count() >= 3
    assert q["CONTACT_DELAY"].type == "single"
    assert [c.label_fr for c in q["PUBS_READ"].choices.all()] == [
        "Chiffres clés", "Études / analyses approfondies", "Publications courtes / Infos rapides"]
    assert (q["SUGGESTIONS"].type, q["SUGGESTIONS"].max_length) == ("text", 2000)
    assert (q["FREQ_USE"].type, q["FREQ_USE"].min_value, q["FREQ_USE"].max_value) == ("number", 0, 100)


def test_follow_up_question_depends_on_an_earlier_section(demo):
    why = Question.objects.select_related("section").get(survey=demo, code="SAT_OVERALL_WHY")
    overall = Question.objects.select_related("section").get(survey=demo, code="SAT_OVERALL")
    assert why.condition == {"question": "SAT_OVERALL", "op": "<=", "value": 2}
    assert why.section.order > overall.section.order


def test_notice_is_complete_in_both_languages(demo):
    assert demo.notice_missing() == []
    for key, _label in NOTICE_ELEMENTS:
        assert getattr(demo, f"notice_{key}_en").strip(), key
    assert "6.1.e" in demo.notice_legal_basis_fr and "intérêt public" in demo.notice_legal_basis_fr
    assert "loi n° 51-711 du 7 juin 1951" in demo.notice_statistical_secrecy_fr
    assert "CNIL" in demo.notice_cnil_complaint_fr
    assert demo.min_cell == 5


def test_waves_2025_closed_and_2026_open_on_2026_11_25(demo):
    wave_2025, wave_2026 = demo.waves.order_by("opens_at")
    day = datetime(2026, 11, 25, 12, tzinfo=PARIS)
    assert (wave_2025.code, wave_2026.code) == ("2025", "2026")
    assert wave_2025.opens_at == datetime(2025, 1, 15, tzinfo=PARIS)
    assert wave_2025.closes_at.astimezone(PARIS).date().isoformat() == "2025-03-31"
    assert wave_2026.opens_at == datetime(2026, 9, 1, tzinfo=PARIS)
    assert wave_2026.closes_at.astimezone(PARIS).date().isoformat() == "2027-06-30"
    assert not wave_2025.is_open(day) and wave_2026.is_open(day)
    wave_2026.full_clean()  # an open wave needs the complete notice


def test_everything_is_translated(demo):
    for section in demo.sections.prefetch_related("questions__choices"):
        assert section.title_en, section.code
        for q in section.questions.all():
            assert q.text_en, q.code
            assert all(c.label_en for c in q.choices.all()), q.code


def _expected_fields(question: dict, lang: str) -> dict[str, tuple[str, list[str]]]:
    """What the demo file says a question's form fields are: name → (label, choice labels)."""
    text = question["text"][lang] or question["text"]["fr"]
    labels = [c["label"][lang] or c["label"]["fr"] for c in question["choices"]]
    if question["type"] == "matrix":
        return {f"{question['code']}__{c['code']}": (label, None) for c, label in zip(question["choices"], labels)}
    if question["type"] in ("single", "multiple"):
        return {question["code"]: (text, labels)}
    return {question["code"]: (text, None)}


def test_every_section_builds_its_form_in_both_languages(demo):
    """Each section's form has exactly the fields of the demo file, labelled and with choices in the
    page's language, in the file's order (read from the JSON, not from the database)."""
    sections = {s["code"]: s for s in json.loads(DEMO_FILE.read_text(encoding="utf-8"))["sections"]}
    for lang in ("fr", "en"):
        with translation.override(lang):
            built = survey_structure(demo)
            assert [s.code for s in built] == list(sections)
            for section in built:
                form = SectionForm(prefix=section.code, questions=section.questions.all())
                expected = {}
                for question in sections[section.code]["questions"]:
                    expected.update(_expected_fields(question, lang))
                assert list(form.fields) == list(expected), (lang, section.code)
                for name, (label, choice_labels) in expected.items():
                    field = form.fields[name]
                    assert str(field.label) == label, (lang, name)
                    if choice_labels is not None:
                        got = [str(text) for value, text in field.choices if value != "nsp"]
                        assert got == choice_labels, (lang, name)


# -- what each category sees ----------------------------------------------------------------------

@pytest.mark.parametrize("category", CATEGORIES)
def test_each_category_gets_its_own_modules(demo, category):
    structure = survey_structure(demo)
    modules = {s.code for s in structure if s.categories.all() and s.applies_to(category)}
    assert modules == EXPECTED_MODULES[category]


def test_researchers_see_the_researchers_module_and_journalists_do_not(demo):
    structure = survey_structure(demo)
    answers = {"CHANNELS_USED": ["website"], "SAT_OVERALL": 4.0}
    assert [s.code for s in visible_sections(structure, "researchers", answers)] == [
        "core", "website", "researchers", "final"]
    assert [s.code for s in visible_sections(structure, "journalists", answers)] == [
        "core", "website", "journalists", "final"]


def test_conditions_follow_the_channels_used_and_the_overall_score(demo):
    structure = survey_structure(demo)
    satisfied = visible_question_codes(structure, "businesses", {"CHANNELS_USED": ["newsletter"], "SAT_OVERALL": 4.0})
    assert {"SAT_NEWSLETTER", "SUGGESTIONS"} <= satisfied
    assert not {"SAT_SOCIAL", "SAT_WEB", "SAT_OVERALL_WHY"} & satisfied
    unhappy = visible_question_codes(structure, "businesses", {"CHANNELS_USED": ["data_access"], "SAT_OVERALL": 2.0})
    assert {"SAT_DATA", "SAT_OVERALL_WHY"} <= unhappy


# -- load_demo -------------------------------------------------------------------------------------

def _load_demo(*args: str) -> str:
    out = StringIO()
    call_command("load_demo", "--no-responses", "--password", "demo-local-only", *args, stdout=out, stderr=out)
    return out.getvalue()


@pytest.mark.django_db
def test_load_demo_twice_is_idempotent():
    first = _load_demo()
    counts = {m.__name__: m.objects.count() for m in (Survey, Section, Question, UserCategory, Channel)}
    second = _load_demo()

    assert f'Demo survey "{SLUG}" imported' in first
    assert "already present" in second
    assert {m.__name__: m.objects.count() for m in (Survey, Section, Question, UserCategory, Channel)} == counts
    survey = Survey.objects.get(slug=SLUG)
    users = get_user_model().objects.filter(username__in=["designer", "analyst"])
    assert users.count() == 2
    for user in users:
        expected_group = {"designer": "designers", "analyst": "analysts"}[user.username]
        assert list(user.groups.values_list("name", flat=True)) == [expected_group]
        assert user.is_staff and not user.is_superuser
        assert user.check_password("demo-local-only")
        assert user in survey.owners.all()
    assert survey.owners.count() == 2


@pytest.mark.django_db
def test_load_demo_gives_designers_admin_rights_and_analysts_read_rights():
    _load_demo()
    User = get_user_model()
    designer, analyst = User.objects.get(username="designer"), User.objects.get(username="analyst")
    assert designer.has_perm("surveys.change_question") and designer.has_perm("surveys.add_wave")
    assert analyst.has_perm("surveys.view_response") and not analyst.has_perm("surveys.change_question")


@pytest.mark.django_db
def test_load_demo_prints_the_password_and_urls():
    out = _load_demo()
    assert "FOR LOCAL USE ONLY" in out and "demo-local-only" in out
    for url in ("http://127.0.0.1:8000/", "/admin/", "/analyse/", f"/s/{SLUG}/",
                f"/s/{SLUG}/apercu/researchers/", f"/s/{SLUG}/apercu/journalists/"):
        assert url in out


@pytest.mark.django_db
def test_load_demo_random_password_when_none_given(monkeypatch):
    monkeypatch.delenv("ECOUTE_DEMO_PASSWORD", raising=False)
    out = StringIO()
    call_command("load_demo", "--no-responses", stdout=out)
    password = next(line.split(" / ")[1].split()[0] for line in out.getvalue().splitlines() if "designer  /" in line)
    assert len(password) >= 12
    assert get_user_model().objects.get(username="designer").check_password(password)


@pytest.mark.django_db
def test_load_demo_refuses_without_debug(settings):
    settings.DEBUG = False
    settings.TESTING = False
    with pytest.raises(CommandError, match="local installation"):
        call_command("load_demo", "--no-responses", stdout=StringIO())
    assert not Survey.objects.exists()


class _FakeGenerator(BaseCommand):
    """Stands in for the separately written `generate_responses` command."""

    calls: list[tuple[str, int]] = []

    def add_arguments(self, parser):
        parser.add_argument("survey")
        parser.add_argument("--count", type=int, default=10)

    def handle(self, *args, **options):
        _FakeGenerator.calls.append((options["survey"], options["count"]))


@pytest.mark.django_db
def test_load_demo_calls_the_response_generator_once(monkeypatch):
    _FakeGenerator.calls = []
    monkeypatch.setattr(load_demo, "get_commands", lambda: {"generate_responses": "fake"})
    monkeypatch.setattr(load_demo, "load_command_class", lambda app, name: _FakeGenerator())

    call_command("load_demo", "--password", "x", "--responses", "7", stdout=StringIO())
    assert _FakeGenerator.calls == [(SLUG, 7)]

    survey = Survey.objects.get(slug=SLUG)
    Response.objects.create(survey=survey, wave=survey.waves.get(code="2026"),
                            category=UserCategory.objects.get(code="other"))
    out = StringIO()
    call_command("load_demo", "--password", "x", "--responses", "7", stdout=out)
    assert _FakeGenerator.calls == [(SLUG, 7)]  # not again: the survey has responses
    assert "Responses already present" in out.getvalue()


@pytest.mark.django_db
def test_load_demo_leaves_the_count_to_the_generator_by_default(monkeypatch):
    _FakeGenerator.calls = []
    monkeypatch.setattr(load_demo, "get_commands", lambda: {"generate_responses": "fake"})
    monkeypatch.setattr(load_demo, "load_command_class", lambda app, name: _FakeGenerator())
    call_command("load_demo", "--password", "x", stdout=StringIO())
    assert _FakeGenerator.calls == [(SLUG, 10)]


@pytest.mark.django_db
def test_load_demo_without_generator_still_succeeds(monkeypatch):
    monkeypatch.setattr(load_demo, "get_commands", lambda: {})
    out = StringIO()
    call_command("load_demo", "--password", "x", stdout=out)
    assert "No generate_responses command installed" in out.getvalue()
    assert Survey.objects.filter(slug=SLUG).exists()
