"""Benchmark of the microdata exports at 100,000 responses: XLSX, CSV, SPSS — time and peak memory.

    .venv/bin/python -m bench.bench_exports [--n 100000] [--formats xlsx csv sav]

Builds a temporary SQLite database (migrations, the demo questionnaire ``surveys/demo/survey.json``:
35 questions, 59 export columns; ``generate_responses --n N``), then runs ``manage.py
export_microdata --format F -o FILE`` once per format, each in its own process, and reports its
wall time and its peak resident memory (``ru_maxrss`` of that process alone, from ``os.wait4``):
what an analyst's command or the export job pays, loading included. Targets (issue 24): XLSX
≤ 15 s and ≤ 500 MB, SPSS ≤ 10 s; CSV for information. ``BENCH_EXPORT_N`` (environment) scales
``--n`` down.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "surveys" / "demo" / "survey.json"
TARGETS = {"xlsx": (15.0, 500.0), "sav": (10.0, None), "csv": (None, None)}


def default_n() -> int:
    return int(os.environ.get("BENCH_EXPORT_N", "100000"))


def _manage(env: dict, *args: str) -> None:
    subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], env=env, cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)


def _timed(env: dict, *args: str) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds, peak RSS MiB) of one manage.py run in its own process."""
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, str(ROOT / "manage.py"), *args], env=env, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _pid, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{' '.join(args)} failed: {proc.stderr.read().decode()[-500:]}")
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def run(n: int | None = None, formats: tuple[str, ...] = ("xlsx", "csv", "sav")) -> list[dict]:
    """The records for ``python -m bench``'s summary (one per format)."""
    n = n or default_n()
    records = []
    with tempfile.TemporaryDirectory(prefix="ecoute-bench-exports-") as tmp:
        env = dict(os.environ, DATABASE_URL=f"sqlite:///{Path(tmp) / 'bench.sqlite3'}",
                   DJANGO_SETTINGS_MODULE="config.settings", DEBUG="0", SECRET_KEY="bench-only-" + "x" * 40,
                   ALLOWED_HOSTS="localhost")
        env.pop("ECOUTE_TESTING", None)
        started = time.perf_counter()
        _manage(env, "migrate", "--noinput")
        _manage(env, "import_survey", str(DEMO))
        slug = "satisfaction-usagers"
        _manage(env, "generate_responses", "--survey", slug, "--n", str(n), "--batch-size", "5000")
        print(f"bench database: {n:,} responses of the demo survey in {time.perf_counter() - started:.0f} s",
              flush=True)
        measure(env, slug, n, formats, Path(tmp), records)
    return records


def measure(env: dict, slug: str, n: int, formats: tuple[str, ...], tmp: Path, records: list[dict]) -> None:
    """Time each format's export of ``slug`` in the database of ``env`` (appends to ``records``)."""
    for fmt in formats:
        out = tmp / f"export.{fmt}"
        seconds, cpu, peak = _timed(env, "export_microdata", "--survey", slug, "--format", fmt, "-o", str(out))
        size = out.stat().st_size / 2**20
        t_s, t_mb = TARGETS.get(fmt, (None, None))
        target = " and ".join(x for x in (t_s and f"<= {t_s:g} s", t_mb and f"<= {t_mb:g} MB") if x)
        ok = None if not target else ((t_s is None or seconds <= t_s) and (t_mb is None or peak <= t_mb))
        print(f"export_microdata {fmt}: {seconds:.2f} s (CPU {cpu:.2f} s), peak RSS {peak:.0f} MiB, "
              f"file {size:.1f} MiB" + (f"  (target {target})" if target else ""), flush=True)
        records.append({"name": f"export_microdata {fmt} (sqlite)", "seconds": seconds, "cpu_s": cpu,
                        "peak_mb": peak, "rows": n, "target": target or "information", "ok": ok})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=default_n())
    parser.add_argument("--formats", nargs="+", default=["xlsx", "csv", "sav"], choices=sorted(TARGETS))
    args = parser.parse_args(argv)
    records = run(args.n, tuple(args.formats))
    return 0 if all(r["ok"] is not False for r in records) else 1


if __name__ == "__main__":
    sys.exit(main())
