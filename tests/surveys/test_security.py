"""Security and privacy checks (reliability checklist A, D, E)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from surveys.models import Answer, AuditLog, Participant, Response, UserCategory
from surveys.services.privacy import mask_personal_data, purge_expired
from tests import factories
from tests.surveys.test_wizard import FULL, MGMT, post_step, start, step_url, walk

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db

XSS = ['"><img src=x onerror=alert(1)>', "<svg/onload=alert(2)>", "javascript:alert(3)", "{{7*7}}",
       "<script>alert(4)</script>"]


# --- headers ------------------------------------------------------------------------------------
def test_questionnaire_pages_carry_strict_security_headers(client, survey):
    resp = start(client, survey, categorie="researchers")
    csp = resp["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert re.search(r"script-src 'self'( 'nonce-[^']+')?;", csp)
    assert resp["X-Frame-Options"] == "DENY"
    assert resp["X-Content-Type-Options"] == "nosniff"
    assert resp["Referrer-Policy"] == "same-origin"
    assert resp["Cache-Control"] == "no-store"


def test_home_is_not_marked_no_store_but_keeps_the_other_headers(client, survey):
    resp = client.get("/")
    assert resp["X-Frame-Options"] == "DENY" and "Content-Security-Policy" in resp
    assert resp.get("Cache-Control") != "no-store"


def test_check_deploy_is_clean_with_production_settings():
    env = {**os.environ, "DEBUG": "0", "SECRET_KEY": "x" * 20 + "-a-long-random-secret-for-the-check-0123456789",
           "ALLOWED_HOSTS": "ecoute.example.org", "ECOUTE_TESTING": "0"}
    env.pop("DATABASE_URL", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set by the browser tests' process, never in deployment
    out = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr


def test_production_settings_refuse_to_start_without_a_secret_key():
    env = {**os.environ, "DEBUG": "0", "ECOUTE_TESTING": "0", "SECRET_KEY": ""}
    out = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode != 0 and "SECRET_KEY must be set" in out.stderr


def test_session_store_refuses_redis_only_settings_without_redis():
    env = {**os.environ, "ECOUTE_TESTING": "0", "DEBUG": "1", "SESSION_STORE": "cache"}
    env.pop("REDIS_URL", None)
    out = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode != 0 and "SESSION_STORE" in out.stderr


def test_session_store_with_redis_uses_the_cache_backend_and_answers_survive(client, survey, settings):
    """SESSION_STORE=cache (the load test's setting): a respondent's steps go on through Redis."""
    import redis

    try:
        redis.Redis.from_url("redis://127.0.0.1:6379/15").ping()
    except redis.exceptions.ConnectionError:
        pytest.fail("Redis must run on 127.0.0.1:6379 for this test (see README)")
    settings.CACHES = {"default": {"BACKEND": "config.cache.RedisCache", "LOCATION": "redis://127.0.0.1:6379/15",
                                   "KEY_PREFIX": f"s{os.getpid()}"}}
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cache"
    from django.contrib.sessions.models import Session

    start(client, survey, categorie="researchers")
    resp = post_step(client, survey, "core", FULL["core"])
    assert 'name="ecoute_wizard_test-survey-current_step" value="web"' in resp.content.decode()
    assert Session.objects.count() == 0  # nothing written to the database's session table
    assert Response.objects.get().answers.count() == 3  # the draft is in the database all the same


# --- staff login --------------------------------------------------------------------------------
def test_five_failed_logins_lock_the_account_even_with_the_right_password(client):
    factories.staff_user("alice", "analysts")
    for _ in range(5):
        client.post(reverse("login"), {"username": "alice", "password": "wrong"})
    resp = client.post(reverse("login"), {"username": "alice", "password": "a-long-test-password-123"})
    assert resp.status_code in (403, 429)
    assert "_auth_user_id" not in client.session
    assert AuditLog.objects.filter(action="login_failed").count() >= 5


def test_login_next_never_redirects_to_another_host(client):
    factories.staff_user("bob", "analysts")
    for evil in ["//evil.example", "https://evil.example/x", "/\\evil.example"]:
        c = Client()
        resp = c.post(reverse("login") + f"?next={evil}",
                      {"username": "bob", "password": "a-long-test-password-123", "next": evil})
        assert resp.status_code == 302
        assert "evil.example" not in resp["Location"]


def test_staff_session_expires_after_idle_timeout(client, settings):
    factories.staff_user("carol", "analysts")
    client.force_login(factories.User.objects.get(username="carol"))
    assert client.get(reverse("analysis:index")).status_code == 200
    session = client.session
    session["_staff_last_seen"] = int(timezone.now().timestamp()) - settings.STAFF_IDLE_TIMEOUT - 5
    session.save()
    resp = client.get(reverse("analysis:index"))
    assert resp.status_code == 302 and reverse("login") in resp["Location"]


def test_staff_session_has_an_absolute_limit_of_at_most_eight_hours(settings):
    assert settings.SESSION_COOKIE_AGE <= 8 * 3600
    assert settings.AXES_COOLOFF_TIME is not None


# --- URL enumeration: anonymous users and respondents get no staff data -------------------------
def _all_named_urls():
    def walk_patterns(patterns, namespace=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
                if p.namespace == "admin":
                    continue  # the admin is checked separately below
                yield from walk_patterns(p.url_patterns, ns)
            elif isinstance(p, URLPattern) and p.name:
                yield f"{namespace}{p.name}", list(p.pattern.regex.groupindex)
    return list(walk_patterns(get_resolver().url_patterns))


SAMPLE = {"slug": "test-survey", "category": "researchers", "code": "SAT_OVERALL", "token": "x" * 43,
          "step": "core", "pk": "1", "id": "1", "participant_id": "1", "fmt": "csv", "format": "csv",
          "kind": "satisfied", "wave": "2026"}
PUBLIC_PREFIXES = ("/s/", "/w/", "/i18n/", "/accessibilite/", "/connexion/", "/deconnexion/", "/static/",
                   "/publications/")  # released publications only: before release every URL is a 404
STAFF_PREFIXES = ("/analyse/", "/equipe/", "/admin/", "/taches/", "/compte/")
#: the REST API: its schema and documentation are public (no data), everything else needs a token
API_PUBLIC = ("/api/v1/openapi.json", "/api/v1/docs")


def test_every_url_refuses_staff_data_to_anonymous_users_and_respondents(client, survey):
    respondent = Client()
    start(respondent, survey, categorie="researchers")
    checked = 0
    for name, params in _all_named_urls():
        try:
            url = reverse(name, kwargs={p: SAMPLE.get(p, "1") for p in params})
        except Exception:  # noqa: BLE001 - a pattern whose sample doesn't fit its converter
            continue
        for c in (client, respondent):
            resp = c.get(url)
            if url.startswith("/api/") and url not in API_PUBLIC:
                assert resp.status_code in (401, 404, 405), (name, url, resp.status_code)  # no token: nothing
            elif url.startswith(STAFF_PREFIXES) or "apercu" in url:
                assert resp.status_code in (302, 403, 404), (name, url, resp.status_code)
                if resp.status_code == 302:
                    assert "/connexion/" in resp["Location"] or "/admin/login/" in resp["Location"], url
            else:
                assert url == "/" or url.startswith(PUBLIC_PREFIXES) or url in API_PUBLIC, f"unexpected URL space: {url}"
                assert resp.status_code < 500, (name, url)
            checked += 1
    assert checked >= 20
    for url in ["/admin/", "/admin/surveys/response/", "/admin/surveys/participant/", "/admin/surveys/auditlog/"]:
        resp = client.get(url)
        assert resp.status_code == 302 and "/admin/login/" in resp["Location"]


def test_every_post_without_a_csrf_token_is_refused(survey):
    client = Client(enforce_csrf_checks=True)
    exempt = {"widget:submit"}  # documented: the cookie-less widget uses a signed form token instead
    refused = 0
    for name, params in _all_named_urls():
        if name in exempt:
            continue
        try:
            url = reverse(name, kwargs={p: SAMPLE.get(p, "1") for p in params})
        except Exception:  # noqa: BLE001
            continue
        resp = client.post(url, {"x": "1"})
        if name.startswith("api_v1:"):  # bearer tokens, no cookies: no CSRF token, and no token → refused
            assert resp.status_code in (401, 403, 404, 405), (name, url, resp.status_code)
            continue
        assert resp.status_code == 403, (name, url, resp.status_code)
        refused += 1
    assert refused >= 10


# --- token brute force and rate limits ----------------------------------------------------------
def test_token_brute_force_hits_the_rate_limit_without_touching_staff(client, survey, settings):
    settings.RATE_LIMIT_TOKEN = 5
    codes = [client.get(reverse("surveys:token", args=[f"guess{i}"])).status_code for i in range(8)]
    assert codes[:5] == [404] * 5 and codes[5:] == [429] * 3
    resp = client.get(reverse("surveys:token", args=["guess99"]))
    assert "Trop de demandes" in resp.content.decode()
    factories.staff_user("dave", "designers")
    staff = Client()
    staff.force_login(factories.User.objects.get(username="dave"))
    assert staff.get(reverse("surveys:token", args=["guess100"])).status_code == 404


def test_rate_limit_is_shared_through_redis_across_workers(survey, settings):
    import redis

    try:
        redis.Redis.from_url("redis://127.0.0.1:6379/15").ping()
    except redis.exceptions.ConnectionError:
        pytest.fail("Redis must run on 127.0.0.1:6379 for this test (see README)")
    settings.CACHES = {"default": {"BACKEND": "config.cache.RedisCache",  # the production setting's backend
                                   "LOCATION": "redis://127.0.0.1:6379/15", "KEY_PREFIX": f"t{os.getpid()}"}}
    from django.core.cache import cache

    cache.clear()
    # one redis-py client per pool, reused by every operation (not one built per call)
    assert cache._cache.get_client("a", write=True) is cache._cache.get_client("b", write=True)
    settings.RATE_LIMIT_TOKEN = 3
    worker_a, worker_b = Client(), Client()  # two processes' worth of clients, one shared counter
    statuses = [(worker_a if i % 2 else worker_b).get(reverse("surveys:token", args=[f"g{i}"])).status_code
                for i in range(5)]
    assert statuses == [404, 404, 404, 429, 429]
    cache.clear()


def test_answer_posts_flood_gets_429_and_stores_nothing(client, survey, settings):
    settings.RATE_LIMIT_ANSWER = 3
    start(client, survey, categorie="researchers")
    statuses = [client.post(step_url(survey, "core"), {MGMT: "core"}).status_code for _ in range(5)]
    assert statuses[-1] == 429
    assert Response.objects.count() == 0


# --- stored XSS -------------------------------------------------------------------------------
def test_xss_payloads_in_designer_texts_never_reach_a_page_unescaped(client, survey):
    payload = XSS[0] + XSS[1] + XSS[4]
    survey.title_fr = payload
    survey.intro_fr = payload
    survey.thanks_fr = payload
    survey.notice_controller_fr = payload + '<a href="javascript:alert(5)">x</a>'
    survey.save()
    survey.sections.update(title_fr=payload, intro_fr=payload)
    survey.questions.update(text_fr=payload, help_fr=payload)
    from surveys.models import Choice

    Choice.objects.update(label_fr=payload)
    UserCategory.objects.update(label_fr=payload)
    staff = factories.staff_user("erin", "designers", surveys=[survey])
    admin = Client()
    admin.force_login(staff)
    pages = []
    resp = start(client, survey)
    pages.append(resp)
    resp = post_step(client, survey, "categorie", {"category": "researchers"})
    pages.append(resp)
    for step in ("core", "web", "research", "end"):
        resp = post_step(client, survey, step, FULL[step])
        pages.append(resp)
    pages.append(client.post(step_url(survey, "recapitulatif"), {MGMT: "recapitulatif"}, follow=True))
    pages.append(client.get(reverse("surveys:notice", args=[survey.slug])))
    pages.append(admin.get(reverse("surveys:preview", args=[survey.slug, "researchers"])))
    pages.append(client.get("/"))
    for resp in pages:
        html = resp.content.decode()
        assert "<img src=x" not in html and "<svg/onload" not in html and "<script>alert" not in html
        assert 'href="javascript:' not in html
        assert "onerror=alert" not in html or "&lt;img" in html


#: the only modules that mark text safe, each right after an nh3 allow-list (publications: Markdown)
SANITIZERS = ("surveys/templatetags/ecoute.py", "publications/templatetags/publications.py")


def test_no_safe_filter_or_mark_safe_on_user_data_outside_the_sanitizer():
    offenders = []
    for path in list((ROOT / "templates").rglob("*.html")) + list(ROOT.glob("*/**/*.py")):
        if ".venv" in path.parts or "tests" in path.parts or "bench" in path.parts:
            continue
        text = path.read_text(encoding="utf-8", errors="ignore")
        if re.search(r"\|\s*safe\b|mark_safe\(|\{% autoescape off", text):
            if path.relative_to(ROOT).as_posix() not in SANITIZERS:
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_no_raw_sql_built_by_string_formatting():
    """Application code never formats SQL (bench/ builds DDL for its own scratch databases only)."""
    offenders = []
    for path in ROOT.glob("*/**/*.py"):
        if ".venv" in path.parts or "tests" in path.parts or "bench" in path.parts:
            continue
        text = path.read_text(encoding="utf-8", errors="ignore")
        for m in re.finditer(r"(\.raw\(|\.extra\(|\.execute\()\s*(f[\"']|[\"'][^\"']*[\"']\s*%\s|[\"'][^\"']*[\"']\.format)",
                             text):
            offenders.append(f"{path.relative_to(ROOT)}: {m.group(0)}")
    assert offenders == []


# --- errors -------------------------------------------------------------------------------------
def test_a_server_error_shows_a_generic_french_page(client, monkeypatch):
    import surveys.views

    class Boom:
        @property
        def objects(self):
            raise RuntimeError("secret stack detail: password=hunter2")

    monkeypatch.setattr(surveys.views, "Survey", Boom())
    client.raise_request_exception = False
    resp = client.get("/")
    html = resp.content.decode()
    assert resp.status_code == 500
    assert "Une erreur est survenue" in html
    assert "hunter2" not in html and "Traceback" not in html


# --- GDPR ---------------------------------------------------------------------------------------
def test_emails_and_phone_numbers_are_masked_in_verbatims(client, survey):
    assert mask_personal_data("écrivez à jean.dupont@example.fr ou au 06 12 34 56 78") == \
        "écrivez à [courriel masqué] ou au [téléphone masqué]"
    assert mask_personal_data("+33 6 12 34 56 78 / 01.23.45.67.89") == "[téléphone masqué] / [téléphone masqué]"
    assert mask_personal_data("En 2024, 12 345 personnes") == "En 2024, 12 345 personnes"
    answers = dict(FULL, end={"SUGG": "Rappelez-moi au 0612345678 ou a@b.fr", "VISITS": "2"})
    walk(client, survey, "researchers", answers)
    assert Answer.objects.get(question__code="SUGG").text == "Rappelez-moi au [téléphone masqué] ou [courriel masqué]"


def test_raw_text_is_kept_only_when_the_survey_says_so(client, survey):
    survey.keep_raw_text = True
    survey.save()
    answers = dict(FULL, end={"SUGG": "a@b.fr"})
    walk(client, survey, "researchers", answers)
    assert Answer.objects.get(question__code="SUGG").text == "a@b.fr"


def test_respondent_can_view_download_and_erase_with_the_resume_code(client, survey):
    walk(client, survey, "researchers", FULL)
    resp = client.post(step_url(survey, "recapitulatif"), {MGMT: "recapitulatif"}, follow=True)
    code = re.search(r'<strong class="code">([^<]+)</strong>', resp.content.decode()).group(1)
    other = Client()
    page = other.get(reverse("surveys:my_answers", args=[code]))
    assert "Plus de données locales" in page.content.decode()
    data = other.get(reverse("surveys:my_answers_download", args=[code])).json()
    assert data["answers"]["SAT_OVERALL"]["value"] == 4
    assert other.get(reverse("surveys:my_answers_erase", args=[code])).status_code == 200
    assert Response.objects.count() == 1  # GET only asks
    other.post(reverse("surveys:my_answers_erase", args=[code]))
    assert Response.objects.count() == 0 and Answer.objects.count() == 0
    log = AuditLog.objects.get(action="respondent_erasure")
    assert code not in str(log.details) and code not in log.target


def test_erasing_an_invited_response_removes_the_identity(client, survey):
    wave = survey.waves.get()
    p = Participant(survey=survey, wave=wave, email="zoe@example.org", category=UserCategory.objects.get(
        code="journalists"))
    token = p.issue_token()
    p.save()
    client.get(reverse("surveys:token", args=[token]))
    for step in ("core", "web", "press", "end"):
        post_step(client, survey, step, FULL[step])
    client.post(step_url(survey, "recapitulatif"), {MGMT: "recapitulatif"})
    Client().post(reverse("surveys:my_answers_erase", args=[token]))
    assert not Participant.objects.filter(email="zoe@example.org").exists()
    assert Response.objects.count() == 0


def test_purge_removes_expired_rows_records_counts_only_and_is_idempotent(survey):
    wave = survey.waves.get()
    cat = UserCategory.objects.get(code="researchers")
    old = Response.objects.create(survey=survey, wave=wave, category=cat)
    Response.objects.filter(pk=old.pk).update(updated_at=timezone.now() - timedelta(days=200))
    Response.objects.create(survey=survey, wave=wave, category=cat)  # recent draft
    done = Response.objects.create(survey=survey, wave=wave, category=cat, status="complete",
                                   submitted_at=timezone.now())
    p = Participant(survey=survey, wave=wave, email="old@example.org", category=cat)
    p.issue_token()
    p.save()
    later = wave.closes_at + timedelta(days=survey.retention_identities_days + 1)
    preview = purge_expired(now=later, dry_run=True)[survey.slug]
    assert (preview.drafts, preview.identities, preview.responses) == (2, 1, 0)
    assert Response.objects.count() == 3
    purge_expired(now=later)
    assert list(Response.objects.values_list("pk", flat=True)) == [done.pk]
    assert not Participant.objects.exists()
    entry = AuditLog.objects.get(action="purge")
    assert entry.details == {"drafts": 2, "identities": 1, "responses": 0}
    assert "old@example.org" not in str(entry.details)
    again = purge_expired(now=later)[survey.slug]
    assert (again.drafts, again.identities, again.responses) == (0, 0, 0)
    call_command("purge_expired", "--dry-run")
