"""Answering speed side by side with the peer (django-survey-and-report), on SQLite and PostgreSQL.

    .venv/bin/python -m bench.bench_answering [--db sqlite postgres] [--rounds 2] [--seconds 20]
        [--concurrency 16] [--review | --no-review]

For each database: a fresh database (a temporary SQLite file, or ``ecoute_bench_answering`` on
``BENCH_PG_URL``, dropped afterwards), migrations, ``collectstatic``, the peer-shaped survey
(``../shared/bench/peer/ecoute_peer_shape.json``: 10 questions in 3 pages), then Écoute served as
in production — gunicorn, 3 sync workers, Redis cache and cached sessions (``BENCH_REDIS_URL``,
default database 13 of the local Redis), rate limits raised for the loopback walker as in
``bench/loadtest.py`` — and ``../shared/bench/side_by_side.sh`` (the peer in /tmp/peer; both
servers walked alternately by the same walker). ``--no-review`` (the default) switches the
survey's review page off, as the peer has none; ``--review`` keeps it (one more page).

Target (issue 24): Écoute ≥ 1.2 × the peer's completed questionnaires per second, every step
still saved in the database (the peer saves only at the end).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if __package__ in (None, ""):
    sys.path.insert(0, str(ROOT))

from bench.loadtest import server_env, start_server, stop_server  # noqa: E402

SHARED = Path(os.environ.get("ECOUTE_SHARED_BENCH", ROOT.parent / "shared" / "bench"))
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
PG_DB = "ecoute_bench_answering"
PORT = int(os.environ.get("BENCH_ANSWERING_PORT", "8824"))
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
TARGET = 1.2
PY = sys.executable


def _env(url: str) -> dict:
    return {**server_env(url), "REDIS_URL": REDIS, "SESSION_STORE": "cached_db"}


def _manage(env: dict, *args: str) -> None:
    subprocess.run([PY, "manage.py", *args], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


def _pg(statement: str) -> None:
    subprocess.run(["psql", f"{PG_URL}/postgres", "-q", "-c", statement], check=True, stdout=subprocess.DEVNULL)


def _prepare(env: dict, review: bool) -> None:
    _manage(env, "migrate", "--noinput", "-v", "0")
    _manage(env, "collectstatic", "--noinput", "-v", "0")
    _manage(env, "import_survey", str(SHARED / "peer" / "ecoute_peer_shape.json"))
    # imported surveys are drafts (their public URLs 404 until published)
    _manage(env, "shell", "-c", "from surveys.models import Survey; "
            f"Survey.objects.filter(slug='peer-shape').update(review_page={review!r}, status='published')")


def one(engine: str, rounds: int, seconds: int, concurrency: int, review: bool) -> dict:
    """Run side_by_side.sh against a fresh Écoute on ``engine``; its ratios and printout."""
    with tempfile.TemporaryDirectory(prefix="ecoute-bench-answering-") as tmp:
        if engine == "postgres":
            _pg(f"DROP DATABASE IF EXISTS {PG_DB}")
            _pg(f"CREATE DATABASE {PG_DB}")
            url = f"{PG_URL}/{PG_DB}"
        else:
            url = f"sqlite:///{Path(tmp) / 'answering.sqlite3'}"
        env = _env(url)
        try:
            _prepare(env, review)
            server = start_server_env(env)
            try:
                out = subprocess.run(["bash", str(SHARED / "side_by_side.sh"), f"http://127.0.0.1:{PORT}",
                                      str(rounds), str(concurrency), str(seconds)],
                                     capture_output=True, text=True, check=True).stdout
            finally:
                stop_server(server)
        finally:
            if engine == "postgres":
                _pg(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
    print(f"--- {engine} (review page {'on' if review else 'off'}) ---\n{out}", flush=True)
    m = re.search(r"by round: ([\d. ]+)", out)
    ratios = [float(x) for x in m.group(1).split()] if m else []
    return {"engine": engine, "ratios": ratios, "output": out}


def start_server_env(env: dict):
    """``bench.loadtest.start_server`` with this bench's environment (Redis, cached sessions)."""
    saved = dict(os.environ)
    os.environ.update({k: v for k, v in env.items() if k in ("REDIS_URL", "SESSION_STORE")})
    try:
        return start_server(env["DATABASE_URL"], PORT, 3)
    finally:
        os.environ.clear()
        os.environ.update(saved)


def run(dbs: tuple[str, ...] = ("sqlite", "postgres"), rounds: int = 2, seconds: int = 20,
        concurrency: int = 16, review: bool = False) -> list[dict]:
    """Records for ``python -m bench``'s summary: the lowest round's ratio per engine."""
    records = []
    for engine in dbs:
        result = one(engine, rounds, seconds, concurrency, review)
        worst = min(result["ratios"]) if result["ratios"] else None
        records.append({"name": f"answering vs peer ({engine}, review {'on' if review else 'off'})",
                        "seconds": None, "target": f">= {TARGET:g} x the peer's completed/s",
                        "ok": None if worst is None else worst >= TARGET,
                        "note": "ratio by round " + " ".join(f"{r:.2f}" for r in result["ratios"])})
    return records


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", nargs="+", choices=["sqlite", "postgres"], default=["sqlite", "postgres"])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--review", action=argparse.BooleanOptionalAction, default=False)
    args = parser.parse_args(argv)
    records = run(tuple(args.db), args.rounds, args.seconds, args.concurrency, args.review)
    for r in records:
        print(r["name"], r["note"], "OK" if r["ok"] else "MISS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
