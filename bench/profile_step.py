"""Where the time of one questionnaire step request goes: the demo survey answered in-process
(Django's test client, no network, no gunicorn) under cProfile, on a fresh SQLite file (or the
empty database of ``PROFILE_DATABASE_URL``).

    .venv/bin/python -m bench.profile_step [--questionnaires 30] [--top 25]

Prints the wall time per step request without the profiler, then the profiled time split by
where it is spent (self time, grouped by package: templates, ORM and database driver, sessions,
forms, cache/Redis, our code, the rest of Django), and the queries per step. The server's
settings come from the environment as in ``bench/loadtest.py`` (``REDIS_URL``,
``SESSION_STORE``...). The load test gives throughput; this says what a step costs and why.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import os
import pstats
import random
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if __package__ in (None, ""):
    sys.path.insert(0, str(ROOT))

from bench.loadtest import CATEGORIES, CHANNELS, SLUG, fill, server_env  # noqa: E402

GROUPS = [  # (label, substrings of the code's file path); first match wins
    ("templates (rendering)", ("django/template", "django/templatetags", "templatetags/")),
    ("ORM + database driver", ("django/db/", "sqlite3", "psycopg")),
    ("sessions", ("django/contrib/sessions", "django/core/signing", "json/")),
    ("forms (build, validate)", ("django/forms", "surveys/forms.py")),
    ("cache / Redis", ("redis/", "django/core/cache")),
    ("wizard + services (ours)", ("surveys/", "formtools/")),
    ("Django request handling, middleware", ("django/", "whitenoise", "axes/")),
]


def _group(filename: str) -> str:
    for label, needles in GROUPS:
        if any(n in filename for n in needles):
            return label
    return "other (Python, test client)"


def _walk(client, rng: random.Random, timings: list[float], queries: list[int]) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.cookies.clear()
    resp = client.get(f"/s/{SLUG}/?categorie={rng.choice(CATEGORIES)}&canal={rng.choice(CHANNELS)}", follow=True)
    for _ in range(40):
        if resp.request["PATH_INFO"].endswith("/merci/"):
            return
        data, step = fill(resp.content.decode(), rng)
        if not step:
            raise RuntimeError(f"no form at {resp.request['PATH_INFO']}")
        path = resp.request["PATH_INFO"]
        t0 = time.perf_counter()
        with CaptureQueriesContext(connection) as captured:
            resp = client.post(path, data, follow=True, HTTP_REFERER=f"http://127.0.0.1{path}")
        timings.append(time.perf_counter() - t0)
        queries.append(len(captured.captured_queries))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questionnaires", type=int, default=30)
    parser.add_argument("--top", type=int, default=20, help="functions listed by self time")
    args = parser.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="ecoute-profile-"))
    # PROFILE_DATABASE_URL: profile on another database (an empty one: the demo is loaded there)
    os.environ.update(server_env(os.environ.get("PROFILE_DATABASE_URL") or f"sqlite:///{tmp / 'profile.sqlite3'}"))
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.chdir(ROOT)
    import django

    django.setup()
    import logging

    from django.core.management import call_command
    from django.test import Client

    logging.disable(logging.WARNING)
    for cmd, *rest in (("migrate",), ("collectstatic",)):
        call_command(cmd, *rest, interactive=False, verbosity=0)
    with contextlib.redirect_stdout(io.StringIO()):
        call_command("load_demo", "--no-responses", "--force", "--password", "profile-only-password-1234")

    client = Client(SERVER_NAME="127.0.0.1")
    rng = random.Random(1)
    timings: list[float] = []
    queries: list[int] = []
    for _ in range(3):  # warm-up: imports, template compilation, the structure cache
        _walk(client, rng, timings, queries)
    timings.clear()
    queries.clear()
    for _ in range(args.questionnaires):
        _walk(client, rng, timings, queries)
    steps = len(timings)
    per_step = sum(timings) / steps * 1000
    print(f"{args.questionnaires} questionnaires, {steps} steps (each a POST, its redirect and the GET of the "
          f"next step): {per_step:.1f} ms per step = {per_step / 2:.1f} ms per step request, without the profiler; "
          f"{sum(queries) / steps:.1f} SQL queries per step")

    profile = cProfile.Profile()
    profile.enable()
    for _ in range(args.questionnaires):
        _walk(client, rng, [], [])
    profile.disable()
    stats = pstats.Stats(profile)
    by_group: dict[str, float] = defaultdict(float)
    for (filename, _line, _name), (_cc, _nc, tottime, _ct, callers) in stats.stats.items():
        if filename.startswith(("~", "<")) and callers:  # a builtin: its time goes to who called it
            for (caller_file, _l, _n), (_c, _n2, caller_tt, _ct2) in callers.items():
                by_group[_group(caller_file)] += caller_tt
        else:
            by_group[_group(filename)] += tottime
    total = sum(by_group.values())
    print(f"profiled (cProfile slows everything ~2x; read the shares): {total:.2f} s")
    for label, seconds in sorted(by_group.items(), key=lambda kv: -kv[1]):
        print(f"   {label:<40} {100 * seconds / total:5.1f} %")
    if args.top:
        stats.sort_stats("tottime").print_stats(args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
