"""Benchmark of the channel dashboard page at a million responses, cold and warm cache.

    .venv/bin/python -m bench.bench_dashboard [--n 1000000] [--repeat 5] [--db postgres|sqlite]
    (or ``python -m bench``, which calls :func:`run`)

What it does, in a child process (so the database settings are its own):

1. creates a dedicated database — PostgreSQL ``ecoute_bench_dashboard`` on ``BENCH_PG_URL``
   (default ``postgres://postgres@127.0.0.1:5432``), else a temporary SQLite file — runs the
   migrations and ``createcachetable`` there (the cache is the project's configured one: the
   database cache, or Redis when ``REDIS_URL`` is set);
2. writes ``n`` complete responses × 10 answers with the fast generator of ``bench.bench_load``
   (raw ``COPY`` / ``executemany``; 7 channels × 8 categories × 3 waves, a few tiny cells);
3. signs an analyst in (Django's test client, the full middleware stack: session, CSP, auth) and
   requests ``/analyse/bench/canaux/`` for **all three waves pooled** (all n responses):
   - *cold*: the cache emptied first — the frame is loaded (one query), every table computed
     (the pooled tables and, for linking, the three single-wave ones), cached, drawn;
   - *warm*: the same URL again (best of ``--repeat``) — the data versions and the tables from
     the cache, the figures built and the page rendered; also timed with the versions read
     again from the database (what a request pays once the versions' own cache entry has
     expired, every 30 s at most, or after a response was saved);
   and the same for the default view (the latest wave only);
4. drops the database.

5. after a new response (saved through the ORM: its signal schedules the warm task of
   :mod:`analysis.warm`), runs that task as the worker would and opens the default page: what an
   analyst waits for after new responses (issue 16); and the same page when nobody warmed it.

It prints ``dashboard.channel_page cold: X s``, ``dashboard.channel_page warm: Y s`` (target
≤ 0.3 s warm) and ``dashboard.channel_page after a new response, warm task run: Z s``. ``BENCH_N`` (environment) scales ``--n`` down.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if __package__ in (None, ""):
    sys.path.insert(0, str(ROOT))

VERSIONS_TIMEOUT = 30  # analysis.selectors.VERSIONS_TIMEOUT (not imported: Django is not set up here)
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
PG_DB = "ecoute_bench_dashboard"
WARM_TARGET_S = 0.3
#: issue 16: the page an analyst opens after new responses; issue 24: the cold recompute
COLD_TARGET_S = {100_000: 0.3, 1_000_000: 1.0}


def default_n() -> int:
    return int(os.environ.get("BENCH_N", "1000000"))


# ---------------------------------------------------------------------------------------------
# Parent: databases and the child process
# ---------------------------------------------------------------------------------------------
def _pg_admin(statement: str) -> bool:
    """CREATE / DROP this bench's own database (the loader bench's helper, another database name)."""
    from bench.bench_load import _pg_admin as pg_admin

    return pg_admin(statement, PG_DB)


def run(n: int | None = None, repeat: int = 5, db: str | None = None) -> dict:
    """Run the benchmark (see the module docstring); print and return the figures."""
    n = n or default_n()
    engines = [db] if db else ["postgres", "sqlite"]
    result = None
    for engine in engines:
        if engine == "postgres":
            if not (_pg_admin("drop") and _pg_admin("create")):
                continue
            url, cleanup = f"{PG_URL}/{PG_DB}", lambda: _pg_admin("drop")
        else:
            tmp = tempfile.mkdtemp(prefix="ecoute-bench-dashboard-")
            path = Path(tmp) / "bench.sqlite3"
            url = f"sqlite:///{path}"

            def cleanup(tmp=tmp):
                import shutil

                shutil.rmtree(tmp, ignore_errors=True)
        try:
            result = _child(url, n, repeat)
        finally:
            cleanup()
        result["engine"] = engine
        break
    if result is None:
        raise SystemExit("bench_dashboard: no database available")
    print(f"dashboard.channel_page cold: {result['cold_s']:.3f} s")
    print(f"dashboard.channel_page warm: {result['warm_s']:.3f} s"
          + ("" if result["warm_s"] <= WARM_TARGET_S else f"  (target {WARM_TARGET_S} s: MISSED)"))
    print(f"  ({result['engine']}, {result['responses']:,} responses, all {result['waves']} waves pooled; "
          f"cache {result['cache']}; generation {result['generate_s']:.1f} s; "
          f"latest wave only: cold {result['latest_cold_s']:.3f} s, warm {result['latest_warm_s']:.3f} s; "
          f"warm queries {result['warm_queries']}, page {result['page_kb']:.0f} kB; warm when the data "
          f"versions must be read again (every {VERSIONS_TIMEOUT} s or after a change): "
          f"{result['warm_versions_reread_s']:.3f} s)")
    after, target = result["after_response_warmed_s"], COLD_TARGET_S.get(n)
    print(f"dashboard.channel_page after a new response, warm task run: {after:.3f} s"
          + (f"  (target {target} s: {'met' if after <= target else 'MISSED'})" if target else "")
          + f"  (the task {result['warm_task_s']:.2f} s{'' if result['warm_scheduled'] else ', NOT scheduled by the save'}; "
          f"unwarmed, the request recomputes: {result['after_response_unwarmed_s']:.3f} s)")
    return result


def _child(url: str, n: int, repeat: int) -> dict:
    env = dict(os.environ, DATABASE_URL=url, DJANGO_SETTINGS_MODULE="config.settings", ECOUTE_TESTING="1",
               CONN_MAX_AGE="60")
    proc = subprocess.run([sys.executable, "-m", "bench.bench_dashboard", "--child", "--n", str(n),
                           "--repeat", str(repeat)], cwd=ROOT, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit(f"bench_dashboard child failed ({proc.returncode})")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------------------------------
# Child: Django configured on the bench database
# ---------------------------------------------------------------------------------------------
def _child_main(n: int, repeat: int) -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    setup_test_environment()  # the test client's host name is allowed
    call_command("migrate", verbosity=0, interactive=False)
    call_command("createcachetable", verbosity=0)

    from bench import bench_load  # the other engineer's fast generator (COPY / executemany)

    t0 = time.perf_counter()
    bench_load.generate(n)
    generate_s = time.perf_counter() - t0

    from tests.factories import staff_user  # the project's own way to make a staff user

    from surveys.models import Survey

    survey = Survey.objects.get(slug=bench_load.SURVEY_SLUG)
    client = Client()
    client.force_login(staff_user("bench-analyst", "analysts", [survey]))
    waves = list(survey.waves.order_by("opens_at").values_list("code", flat=True))
    url = f"/analyse/{survey.slug}/canaux/"

    def timed(query: dict) -> tuple[float, int]:
        t = time.perf_counter()
        resp = client.get(url, query)
        elapsed = time.perf_counter() - t
        if resp.status_code != 200:
            raise SystemExit(f"{url} answered {resp.status_code}")
        return elapsed, len(resp.content)

    def cold_warm(query: dict) -> tuple[float, float, int, int]:
        cache.clear()
        cold, size = timed(query)
        warm = min(timed(query)[0] for _ in range(repeat))
        with CaptureQueriesContext(connection) as ctx:
            timed(query)
        return cold, warm, len(ctx.captured_queries), size

    # The process's first request pays its imports, templates and connections (≈ 2 s, once per
    # server process): paid here, so that "cold" is the recompute of the tables and nothing else.
    timed({"seuil": 50})
    latest_cold, latest_warm, _q, _size = cold_warm({})
    cold, warm, queries, size = cold_warm({"vague": waves})
    from analysis.selectors import _versions_key

    def reread() -> float:  # tables cached, but the data versions read again (their cache expired)
        cache.delete(_versions_key(survey.pk))
        return timed({"vague": waves})[0]

    versions_s = min(reread() for _ in range(repeat))
    after = _after_a_response(survey, lambda: timed({})[0])
    backend = settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]
    print(json.dumps({"responses": n, "waves": len(waves), "generate_s": generate_s, "cold_s": cold, "warm_s": warm,
                      "latest_cold_s": latest_cold, "latest_warm_s": latest_warm, "warm_queries": queries,
                      "warm_versions_reread_s": versions_s,
                      "page_kb": size / 1024, "cache": backend, **after}))


def _after_a_response(survey, open_page: Callable[[], float]) -> dict:
    """What an analyst waits for after a new response (issue 16): the response saved through the
    ORM (its signals change the data-version token, which schedules the warm task), the task run
    as the worker runs it, then the default page (latest wave) opened; and, for comparison, that
    page when nobody warmed it (the tables recomputed in the request)."""
    from django.core.cache import cache
    from django.db import transaction
    from django.utils import timezone

    from analysis.warm import _debounce_key, warm_dashboards
    from surveys.models import Answer, Question, Response

    def respond() -> None:
        latest = survey.waves.order_by("opens_at").last()
        with transaction.atomic():
            like = Response.objects.filter(wave=latest).values("category_id", "channel_id").first()
            r = Response.objects.create(survey=survey, wave=latest, status="complete", submitted_at=timezone.now(),
                                        **like)
            Answer.objects.create(response=r, question=Question.objects.get(survey=survey, code="SAT_OVERALL"),
                                  value=4)

    cache.clear()
    open_page()  # every table cached, as before the response
    respond()
    scheduled = cache.get(_debounce_key(survey.pk)) is not None  # set by the save's signal as it enqueued the task
    t = time.perf_counter()
    warm_dashboards.call(survey.pk)
    task_s = time.perf_counter() - t
    warmed_s = open_page()
    respond()  # the same without the warm task: the request recomputes the latest wave's tables
    unwarmed_s = open_page()
    return {"after_response_warmed_s": warmed_s, "warm_task_s": task_s, "after_response_unwarmed_s": unwarmed_s,
            "warm_scheduled": scheduled}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=None, help="responses (default $BENCH_N or 1,000,000)")
    parser.add_argument("--repeat", type=int, default=5, help="warm requests (the best is reported)")
    parser.add_argument("--db", choices=["postgres", "sqlite"], help="default: PostgreSQL if reachable, else SQLite")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child_main(args.n or default_n(), args.repeat)
        return 0
    run(args.n, args.repeat, args.db)
    return 0


if __name__ == "__main__":
    sys.exit(main())
