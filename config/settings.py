"""Écoute settings: one file, read from environment variables, safe when DEBUG is off.

Everything a deployment changes comes from the environment (see README, "Configuration"):
DATABASE_URL, SECRET_KEY, DEBUG, ALLOWED_HOSTS, REDIS_URL, SERVICE_NAME...
"""

from __future__ import annotations

import os
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    """Read a boolean environment variable ("1", "true", "yes", "on" are true)."""
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    """Read a comma-separated environment variable into a list of non-empty items."""
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
# The test suite (pytest, or ECOUTE_TESTING=1 for its subprocesses) gets development defaults.
TESTING = env_bool("ECOUTE_TESTING", "pytest" in sys.modules and "ECOUTE_TESTING" not in os.environ)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if DEBUG or TESTING:
        SECRET_KEY = "insecure-local-development-key-do-not-use-in-production-0123456789"
    else:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off (see README).")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if (DEBUG or TESTING) else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "formtools",
    "axes",
    "surveys",
    "analysis",
    "publications",
    "verbatims",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "surveys.middleware.SecurityHeadersMiddleware",
    "surveys.middleware.StaffSessionTimeoutMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "surveys.context_processors.service",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# SQLite is the embedded default; PostgreSQL is the production engine (DATABASE_URL=postgres://...).
DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Concurrent writers must wait, never fail with "database is locked": WAL journal,
    # BEGIN IMMEDIATE for every transaction and a generous busy timeout.
    DATABASES["default"]["CONN_MAX_AGE"] = 0 if TESTING else DATABASES["default"]["CONN_MAX_AGE"]
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("SQLITE_TEST_NAME") or None}
else:
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (rate limits, dashboard tables) ----------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "config.cache.RedisCache", "LOCATION": REDIS_URL}}
else:
    # Embedded default: a database cache is shared by every worker of one machine.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "ecoute_cache"}}

# --- Authentication ---------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast tests only

AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)  # explicit: the default (None) locks out for ever
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]  # each apart: password spraying, and one account attacked
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"

# Staff sessions: 30 min idle (enforced by middleware), 8 h absolute.
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", str(8 * 3600)))
STAFF_IDLE_TIMEOUT = int(os.environ.get("STAFF_IDLE_TIMEOUT", str(30 * 60)))
# SESSION_STORE: "db" (the default without Redis), "cached_db" (the default with Redis: written to
# both, read from Redis, which saves the session SELECT of every request) or "cache" (Redis only:
# no database write per step; a Redis restart ends the sessions, and respondents continue from
# their saved drafts through the signed copy of their run in each page).
SESSION_STORE = os.environ.get("SESSION_STORE", "cached_db" if REDIS_URL else "db")
if SESSION_STORE not in ("db", "cached_db", "cache") or (SESSION_STORE != "db" and not REDIS_URL):
    raise ImproperlyConfigured("SESSION_STORE must be db, cached_db or cache (the last two need REDIS_URL)")
SESSION_ENGINE = f"django.contrib.sessions.backends.{SESSION_STORE}"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# --- Internationalisation ---------------------------------------------------------------------
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

# --- Static files -----------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if (DEBUG or TESTING)
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG or TESTING

# --- Email ------------------------------------------------------------------------------------
MAILERS = {
    "default": {
        "BACKEND": os.environ.get(
            "EMAIL_BACKEND",
            "django.core.mail.backends.console.EmailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend",
        ),
    }
}
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "ecoute@localhost")

# --- Security ---------------------------------------------------------------------------------
CSRF_FAILURE_VIEW = "surveys.views.csrf_failure"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000
DATA_UPLOAD_MAX_MEMORY_SIZE = int(2.5 * 1024 * 1024)

if not DEBUG and not TESTING:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_PROXY", False) else None
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    # Only a local load test over plain HTTP on loopback turns these off (bench/loadtest.py).
    SESSION_COOKIE_SECURE = env_bool("COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = env_bool("COOKIE_SECURE", True)

# --- Service identity (header, footer) --------------------------------------------------------
SERVICE_NAME = os.environ.get("SERVICE_NAME", "Écoute")
SERVICE_OWNER = os.environ.get("SERVICE_OWNER", "Service statistique public")
SERVICE_IS_STATE = env_bool("SERVICE_IS_STATE", False)
# SERVICE_IS_STATE=1: the pages use the State design system (DSFR, Marianne), whose files
# django-dsfr ships (no CDN, no npm). Installed whatever the setting, so one build serves both.
INSTALLED_APPS += ["widget_tweaks", "dsfr"]
DSFR_USE_INTEGRITY_CHECKSUMS = False  # the manifest storage rewrites url() in dsfr.min.css: a hash of the shipped file would not match

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

# --- Rate limits (per client address, per minute; see surveys/ratelimit.py) -------------------
RATE_LIMIT_TOKEN = int(os.environ.get("RATE_LIMIT_TOKEN", "20"))  # token and resume-code lookups
RATE_LIMIT_ANSWER = int(os.environ.get("RATE_LIMIT_ANSWER", "120"))  # questionnaire pages

# --- Widget and invitations -------------------------------------------------------------------
# Sites allowed to embed the satisfaction widget (CSP frame-ancestors), space-separated origins.
WIDGET_FRAME_ANCESTORS = os.environ.get("WIDGET_FRAME_ANCESTORS", "'self'").split()
WIDGET_RATE_LIMIT = int(os.environ.get("WIDGET_RATE_LIMIT", "20"))
WIDGET_RATE_WINDOW = int(os.environ.get("WIDGET_RATE_WINDOW", "600"))
WIDGET_TOKEN_MAX_AGE = int(os.environ.get("WIDGET_TOKEN_MAX_AGE", "7200"))
INVITATION_REMINDER_MIN_DAYS = int(os.environ.get("INVITATION_REMINDER_MIN_DAYS", "2"))

# --- Reverse proxy (issue 14): forwarded headers believed only from TRUSTED_PROXIES -------------
BEHIND_PROXY = env_bool("BEHIND_PROXY", False)
TRUSTED_PROXIES = os.environ.get("TRUSTED_PROXIES", "127.0.0.1, ::1")
MIDDLEWARE = ["surveys.proxy.TrustedProxyMiddleware", *MIDDLEWARE]
# --- Background tasks (django.tasks; see jobs/ and README "Background work") ------------------
# TASKS_BACKEND: "db" (default: the queue is a table of this database, run by `manage.py
# run_worker`), "rq" (Redis queues for several app servers and workers: needs REDIS_URL, run by
# `manage.py rqworker default --with-scheduler --worker-class jobs.rq_recovery.Worker --job-class
# django_tasks_rq.Job`, the scheduler and lost-job recovery by
# `manage.py run_worker`), or "immediate" (inline in the request: never a default, only for a
# one-off script). Tests use "db" too, drained by the worker in the test process.
TASKS_BACKEND = os.environ.get("TASKS_BACKEND", "db")
INSTALLED_APPS += ["django_tasks_db", "jobs"]
MIDDLEWARE += ["jobs.middleware.QueueDownMiddleware"]  # Redis down: a clear 503 where a task is enqueued
if TASKS_BACKEND == "db":
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
elif TASKS_BACKEND == "rq" and REDIS_URL:
    INSTALLED_APPS += ["django_rq"]
    RQ_QUEUES = {"default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 3600}}
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
elif TASKS_BACKEND == "immediate":
    TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
else:
    raise ImproperlyConfigured("TASKS_BACKEND must be db, rq (with REDIS_URL) or immediate")
# Exports asked for in the pages: where the finished files wait, and for how long (seconds).
EXPORT_JOBS_DIR = Path(os.environ.get("EXPORT_JOBS_DIR", str(
    Path(tempfile.gettempdir()) / f"ecoute-test-exports-{os.getpid()}" if TESTING else BASE_DIR / "var" / "exports")))
EXPORT_JOBS_TTL = int(os.environ.get("EXPORT_JOBS_TTL", str(24 * 3600)))
# A worker that has not reported for this long (seconds) is presumed dead: its tasks are failed.
TASKS_WORKER_STALE_AFTER = int(os.environ.get("TASKS_WORKER_STALE_AFTER", "60"))
TASKS_WORKER_BEAT = float(os.environ.get("TASKS_WORKER_BEAT", "5"))  # seconds between heartbeats
# RQ: seconds between two heartbeats of a running job (jobs.rq_recovery.Worker; RQ's default is 30)
RQ_JOB_MONITORING_INTERVAL = int(os.environ.get("RQ_JOB_MONITORING_INTERVAL", "5"))
# Links in messages the scheduler sends (no request to read the host from). Hour of the daily purge.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000/")
RETENTION_PURGE_HOUR = int(os.environ.get("RETENTION_PURGE_HOUR", "3"))
# EMAIL_BACKEND=django.core.mail.backends.filebased.EmailBackend writes the messages to this folder.
if os.environ.get("EMAIL_FILE_PATH"):
    MAILERS["default"]["OPTIONS"] = {"file_path": os.environ["EMAIL_FILE_PATH"]}
# --- Publications (issue 19) -----------------------------------------------------------------
# Hour (Europe/Paris) at which a release whose time is not fixed yet becomes public.
PUBLICATIONS_RELEASE_TIME = os.environ.get("PUBLICATIONS_RELEASE_TIME", "12:00")
# --- REST API and webhooks (api/, issue 23) ---------------------------------------------------
INSTALLED_APPS += ["ninja", "api"]  # "ninja": its Swagger UI assets are served locally (no CDN)
MIDDLEWARE += ["api.middleware.ApiTokenMiddleware"]
API_RATE_LIMIT = int(os.environ.get("API_RATE_LIMIT", "120"))  # calls per minute per token
API_TOKEN_MAX_DAYS = int(os.environ.get("API_TOKEN_MAX_DAYS", "365"))
WEBHOOK_ALLOW_HTTP = env_bool("WEBHOOK_ALLOW_HTTP", DEBUG or TESTING)  # else https:// only
WEBHOOK_TIMEOUT = float(os.environ.get("WEBHOOK_TIMEOUT", "5"))  # seconds per attempt
WEBHOOK_MAX_ATTEMPTS = int(os.environ.get("WEBHOOK_MAX_ATTEMPTS", "8"))  # backoff 1, 2, 4 ... min
