"""Benchmark of ``analysis.frames.load``: database → analysis frame, at a million responses.

    .venv/bin/python -m bench.bench_load [--n 1000000] [--repeat 2] [--db sqlite postgres]
        [--naive | --no-naive] [--naive-all]

For each database engine the bench

1. creates a fresh database: a temporary SQLite file (with the project's settings: WAL,
   synchronous=NORMAL) and, on PostgreSQL, a dedicated database ``ecoute_bench`` on
   ``BENCH_PG_URL`` (default ``postgres://postgres@127.0.0.1:5432``), dropped afterwards (the
   ``ecoute`` and ``test_ecoute*`` databases are never touched);
2. runs the migrations there and writes ``n`` synthetic complete responses × 10 questions
   (7 channels × 8 categories × 3 waves; 10 × n answer rows) by the fast path: raw
   ``executemany`` on SQLite, ``COPY ... FROM STDIN`` on PostgreSQL — not the ORM;
   (:mod:`bench.bench_data`);
3. times ``frames.load`` on the 3 waves (best of ``--repeat``), then measures its peak memory in
   a separate call under tracemalloc (Python and numpy allocations; Arrow's own buffers are not
   traced, hence also ``ru_maxrss``, the process's resident peak);
4. times the naive way — ORM ``values_list`` over the answers, then ``DataFrame.pivot`` — and
   ``frames.load`` on the same data, so the ratio shows: by default on the last wave (a third of
   the rows: at a million responses the naive way on all of them takes minutes and over 5 GB;
   ``--naive-all`` does it anyway). One run; its peak is ``ru_maxrss`` only (tracemalloc would
   slow it down several times).

Every step runs in its own child process (``DATABASE_URL`` set for it), so ``ru_maxrss`` is the
peak of that step alone and nothing of one database leaks into the other's figures.
Targets: ``frames.load`` ≤ 3 s and ≤ 2 GB. ``BENCH_N`` (environment) scales ``--n`` down.

The figures on the project's machine, and what they say about the loader: ``docs/loader.md``.
The first call in a process is slower by a few tenths of a second (its memory is new to it),
hence the best of ``--repeat``. Run timings under ``flock /tmp/ecoute-bench.lock`` when the
machine is shared.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import secrets
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if __package__ in (None, ""):  # run as a script: make the project importable
    sys.path.insert(0, str(ROOT))

from bench.bench_data import (  # noqa: E402,F401 (CAT_P, CH_P, _survey_setup...: read by bench_weighting)
    _RESPONSE_COLS, CAT_P, CH_P, QUESTIONS, SURVEY_SLUG, _random_uuid_hex, _survey_setup, generate,
)

PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
PG_DB = "ecoute_bench"
LOAD_TARGET_S = 3.0
LOAD_TARGET_MB = 2048.0


def default_n() -> int:
    return int(os.environ.get("BENCH_N", "1000000"))


# ---------------------------------------------------------------------------------------------
# Child side (Django configured by DATABASE_URL)
# ---------------------------------------------------------------------------------------------
def _django_setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


# ---------------------------------------------------------------------------------------------
# Child steps: each prints one JSON line
# ---------------------------------------------------------------------------------------------
def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def _bench_waves() -> list:
    from surveys.models import Wave

    return list(Wave.objects.filter(survey__slug=SURVEY_SLUG).order_by("opens_at"))


def child_generate(n: int) -> dict:
    from django.core.management import call_command

    t0 = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    migrate_s = time.perf_counter() - t0
    return {"migrate_s": migrate_s, **generate(n), "cpu_s": _cpu(), "rss_mb": _rss_mb()}


def child_load(repeat: int) -> dict:
    """frames.load on the 3 waves: best of ``repeat`` (wall and CPU), then one call under tracemalloc."""
    from analysis import frames

    waves = _bench_waves()
    times, cpus = [], []
    for _ in range(repeat):
        c0, t0 = _cpu(), time.perf_counter()
        frame = frames.load(waves)
        times.append(time.perf_counter() - t0)
        cpus.append(_cpu() - c0)
        reader, rows, columns = frame.attrs.get("reader"), len(frame), frame.shape[1]
        frame_mb = frame.memory_usage(deep=True).sum() / 2**20
        del frame
    rss = _rss_mb()
    tracemalloc.start()
    frames.load(waves)
    _, traced = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"seconds": min(times), "all_s": times, "cpu_s": min(cpus), "traced_mb": traced / 2**20,
            "rss_mb": rss, "reader": reader, "rows": rows, "columns": columns, "frame_mb": frame_mb}


def child_naive(all_waves: bool) -> dict:
    """The naive way — the ORM's values_list over the answers, then DataFrame.pivot — against
    frames.load on the same waves (by default the last wave only: a third of the data, or the
    naive way alone would take minutes and gigabytes at a million responses)."""
    import pandas as pd

    from analysis import frames
    from surveys.models import Answer, Response

    waves = _bench_waves() if all_waves else _bench_waves()[-1:]
    fast = []
    for _ in range(2):
        t0 = time.perf_counter()
        frames.load(waves)
        fast.append(time.perf_counter() - t0)
    c0, t0 = _cpu(), time.perf_counter()
    answers = Answer.objects.filter(response__wave__in=waves, response__status="complete").values_list(
        "response_id", "question__code", "value")
    long = pd.DataFrame(list(answers), columns=["response_id", "question", "value"])
    wide = long.pivot(index="response_id", columns="question", values="value")
    del long
    responses = pd.DataFrame(
        list(Response.objects.filter(wave__in=waves, status="complete").values_list(
            "id", "wave__code", "category__code", "channel__code", "weight")),
        columns=["response_id", "wave", "category", "channel", "weight"]).set_index("response_id")
    frame = responses.join(wide).reset_index()
    seconds, cpu = time.perf_counter() - t0, _cpu() - c0
    return {"seconds": seconds, "cpu_s": cpu, "rss_mb": _rss_mb(), "rows": len(frame), "columns": frame.shape[1],
            "waves": [w.code for w in waves], "load_s": min(fast)}


# ---------------------------------------------------------------------------------------------
# Parent: databases, children, report
# ---------------------------------------------------------------------------------------------
def _pg_admin(statement: str, db: str = PG_DB) -> bool:
    """CREATE / DROP a bench database (`db`, quoted as an identifier); False when PostgreSQL is unreachable."""
    try:
        import psycopg
        from psycopg import sql
    except ImportError:
        return False
    try:
        with psycopg.connect(f"{PG_URL}/postgres", autocommit=True, connect_timeout=3) as conn:
            query = {"drop": sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)"),
                     "create": sql.SQL("CREATE DATABASE {}")}[statement]
            conn.execute(query.format(sql.Identifier(db)))
        return True
    except Exception as exc:  # noqa: BLE001 - reported, that engine is skipped
        print(f"  (PostgreSQL unavailable at {PG_URL}: {exc.__class__.__name__}: {exc}; skipped)", file=sys.stderr)
        return False


def _child(url: str, step: str, n: int, repeat: int) -> dict:
    env = dict(os.environ, DATABASE_URL=url, DJANGO_SETTINGS_MODULE="config.settings",
               SECRET_KEY=os.environ.get("SECRET_KEY") or secrets.token_urlsafe(48), DEBUG="0")
    env.pop("ECOUTE_TESTING", None)
    proc = subprocess.run([sys.executable, "-m", "bench.bench_load", "--child", step, "--n", str(n),
                           "--repeat", str(repeat)], cwd=ROOT, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-4000:])
        raise RuntimeError(f"bench_load child {step!r} failed ({proc.returncode})")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run(n: int | None = None, repeat: int = 2, dbs: tuple[str, ...] = ("sqlite", "postgres"),
        naive: bool | str = True) -> list[dict]:
    """Run the benchmark on each engine; print the figures and return summary records
    (``name, seconds, peak_mb, rows, target, ok`` and details). ``naive``: False, True (the naive
    way on the last wave) or ``"all"`` (on all three waves: minutes and gigabytes at a million)."""
    n = n or default_n()
    records: list[dict] = []
    for engine in dbs:
        if engine == "postgres":
            if not (_pg_admin("drop") and _pg_admin("create")):
                records.append({"name": "frames.load postgresql", "seconds": None, "peak_mb": None, "rows": None,
                                "target": f"<= {LOAD_TARGET_S:g} s, <= {LOAD_TARGET_MB / 1024:g} GB",
                                "ok": None, "note": "PostgreSQL unreachable: skipped"})
                continue
            url = f"{PG_URL}/{PG_DB}"

            def cleanup() -> None:
                _pg_admin("drop")
        else:
            tmp = tempfile.mkdtemp(prefix="ecoute-bench-load-")
            url = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"

            def cleanup(tmp=tmp) -> None:
                import shutil

                shutil.rmtree(tmp, ignore_errors=True)
        label = "postgresql" if engine == "postgres" else "sqlite"
        try:
            gen = _child(url, "generate", n, repeat)
            print(f"[{label}] generated {n:,} responses x {len(QUESTIONS)} answers in {gen['seconds']:.1f} s "
                  f"(rows {gen['rows_s']:.1f} s, indexes {gen['index_s']:.1f} s, analyze/vacuum {gen['analyze_s']:.1f} s; "
                  f"migrate {gen['migrate_s']:.1f} s)")
            load = _child(url, "load", n, repeat)
            ok = load["seconds"] <= LOAD_TARGET_S and load["rss_mb"] <= LOAD_TARGET_MB
            print(f"[{label}] frames.load (3 waves, reader {load['reader']}): best {load['seconds']:.2f} s of "
                  f"{', '.join(f'{t:.2f}' for t in load['all_s'])} (CPU {load['cpu_s']:.2f} s); peak memory: "
                  f"tracemalloc {load['traced_mb']:.0f} MiB, ru_maxrss {load['rss_mb']:.0f} MiB; frame "
                  f"{load['rows']:,} x {load['columns']} = {load['frame_mb']:.0f} MiB")
            records.append({"name": f"frames.load {label}", "seconds": load["seconds"], "peak_mb": load["rss_mb"],
                            "rows": gen["answers"], "target": f"<= {LOAD_TARGET_S:g} s, <= {LOAD_TARGET_MB / 1024:g} GB",
                            "ok": ok, "cpu_s": load["cpu_s"], "traced_mb": load["traced_mb"]})
            if naive:
                slow = _child(url, "naive-all" if naive == "all" else "naive", n, repeat)
                ratio = slow["seconds"] / slow["load_s"]
                scope = "all waves" if naive == "all" else f"wave {slow['waves'][0]} only"
                answers = slow["rows"] * len(QUESTIONS)
                print(f"[{label}] naive ORM values_list + pivot ({scope}, {slow['rows']:,} responses): "
                      f"{slow['seconds']:.1f} s (CPU {slow['cpu_s']:.1f} s), ru_maxrss {slow['rss_mb']:.0f} MiB; "
                      f"frames.load on the same: {slow['load_s']:.2f} s -> {ratio:.0f}x faster")
                records.append({"name": f"naive ORM+pivot {label} ({scope})", "seconds": slow["seconds"],
                                "cpu_s": slow["cpu_s"], "peak_mb": slow["rss_mb"], "rows": answers,
                                "target": f"reference: frames.load {slow['load_s']:.2f} s, {ratio:.0f}x faster",
                                "ok": None})
            records.append({"name": f"bench data {label} (generate)", "seconds": gen["seconds"],
                            "cpu_s": gen["cpu_s"], "peak_mb": gen["rss_mb"],
                            "rows": gen["answers"], "target": "information", "ok": None})
        finally:
            cleanup()
    return records


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=None, help="responses (default $BENCH_N or 1,000,000)")
    parser.add_argument("--repeat", type=int, default=2, help="frames.load runs (the best is reported)")
    parser.add_argument("--db", nargs="+", choices=["sqlite", "postgres"], default=["sqlite", "postgres"])
    parser.add_argument("--naive", action=argparse.BooleanOptionalAction, default=True,
                        help="also time the naive ORM + pivot way, on the last wave (default: yes)")
    parser.add_argument("--naive-all", action="store_true", help="the naive way on all three waves (slow)")
    parser.add_argument("--child", choices=["generate", "load", "naive", "naive-all"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    n = args.n or default_n()
    if args.child:
        _django_setup()
        result = {"generate": lambda: child_generate(n), "load": lambda: child_load(args.repeat),
                  "naive": lambda: child_naive(False), "naive-all": lambda: child_naive(True)}[args.child]()
        print(json.dumps(result))
        return 0
    run(n, args.repeat, tuple(args.db), "all" if args.naive_all else args.naive)
    return 0


if __name__ == "__main__":
    sys.exit(main())
