"""``python -m bench`` (``make bench``): every benchmark, then one summary table.

    .venv/bin/python -m bench [--only core load dashboard] [--no-naive]

1. the pure analysis core (``bench/bench_indicators_core.py``: indicator tables and raking on a
   synthetic frame, no database);
2. the loader (``bench/bench_load.py``: ``analysis.frames.load`` on SQLite and PostgreSQL, against
   the naive ORM + pivot way);
3. the dashboard page, when ``bench/bench_dashboard.py`` is there (its ``run()``);
4. the microdata exports at 100,000 responses (``bench/bench_exports.py``: XLSX, CSV, SPSS, time
   and peak memory of ``manage.py export_microdata``; ``BENCH_EXPORT_N`` scales it);
5. answering side by side with the peer (``bench/bench_answering.py``, which runs
   ``../shared/bench/side_by_side.sh``: 2 rounds × 20 s on SQLite and PostgreSQL);
6. the background work (``bench/bench_tasks.py``: invitations sent per second, a CSV export of
   up to 100,000 responses run as a job);
7. weighting (``bench/bench_weighting.py``: raking and bounded calibration on the core, storing
   the weights on PostgreSQL);
8. verbatim themes (``bench/bench_themes.py``: TF-IDF + NMF on 100,000 verbatims, a suggestion).

``BENCH_N`` (environment, default 1,000,000) scales every part down, e.g. ``BENCH_N=100000 make
bench`` for a quick look. The whole run at a million takes a few minutes on two cores, most of it
writing the bench databases. A part that fails is reported as ERROR in the table; the others
still run. The exit status is 1 when a part failed (ERROR), else 0: a MISS is a figure to read,
not a failure of the tool.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import re
import sys
import time
import traceback

from bench import bench_load


class _Tee(io.TextIOBase):
    """Write to the terminal and keep a copy (to read a bench's printed figures back)."""

    def __init__(self, stream):
        self.stream, self.copy = stream, io.StringIO()

    def write(self, text: str) -> int:
        self.stream.write(text)
        self.copy.write(text)
        return len(text)

    def flush(self) -> None:
        self.stream.flush()


_CORE_LINE = re.compile(r"^(?P<name>[^:\n]+): (?P<s>[\d.]+) s\s+\(cpu (?P<cpu>[\d.]+) s"
                        r"(?:, peak traced memory (?P<mb>[\d.]+) MiB)?\)\s*$", re.M)
CORE_TARGETS = {"indicators.table_channel_category": 0.3}


def core(n: int) -> list[dict]:
    """The existing core bench (its own printout), its figures read back for the summary."""
    from bench import bench_indicators_core

    tee = _Tee(sys.stdout)
    with contextlib.redirect_stdout(tee):
        bench_indicators_core.main(["--rows", str(n), "--repeat", "3"])
    records = []
    for m in _CORE_LINE.finditer(tee.copy.getvalue()):
        target = CORE_TARGETS.get(m["name"])
        seconds = float(m["s"])
        records.append({"name": m["name"], "seconds": seconds, "cpu_s": float(m["cpu"]),
                        "peak_mb": float(m["mb"]) if m["mb"] else None,
                        "rows": n, "target": f"<= {target:g} s" if target else "", "ok": None if target is None
                        else seconds <= target, "peak_kind": "traced"})
    if not records:
        records.append({"name": "indicators core", "seconds": None, "target": "", "ok": False,
                        "note": "figures not found in its output"})
    return records


def dashboard(n: int) -> list[dict]:
    """The dashboard bench, if another engineer's ``bench/bench_dashboard.py`` is present."""
    try:
        module = importlib.import_module("bench.bench_dashboard")
    except ModuleNotFoundError:
        print("(no bench/bench_dashboard.py: dashboard figures skipped)")
        return []
    if not hasattr(module, "run"):
        module.main([])
        return []
    target = getattr(module, "WARM_TARGET_S", 0.3)
    cold_targets = getattr(module, "COLD_TARGET_S", {})  # issue 24: the cold recompute, all waves pooled
    out = []
    for size in sorted({min(n, 100_000), n}):
        result = module.run(size) or {}
        engine = result.get("engine", "?")
        if "warm_s" in result:
            out.append({"name": f"dashboard.channel_page warm ({engine})", "seconds": result["warm_s"], "rows": size,
                        "target": f"<= {target:g} s", "ok": result["warm_s"] <= target})
        if "cold_s" in result:
            cold_target = cold_targets.get(size)
            out.append({"name": f"dashboard.channel_page cold ({engine})", "seconds": result["cold_s"], "rows": size,
                        "target": f"<= {cold_target:g} s" if cold_target else "information",
                        "ok": None if cold_target is None else result["cold_s"] <= cold_target})
        if "after_response_warmed_s" in result:
            after, cold_target = result["after_response_warmed_s"], cold_targets.get(size)
            out.append({"name": f"dashboard after a response, warmed ({engine})", "seconds": after, "rows": size,
                        "target": f"<= {cold_target:g} s" if cold_target else "information",
                        "ok": None if cold_target is None else after <= cold_target})
    return out


def tasks(n: int) -> list[dict]:
    """Invitations sent per second and a CSV export run as a job (``bench/bench_tasks.py``)."""
    from bench import bench_tasks

    result = bench_tasks.run(n)
    if not result:
        return []
    inv, exp = result["invitations"], result["export"]
    return [{"name": f"tasks.invitations ({result['invitations_per_s']:.0f}/s)", "seconds": inv["seconds"],
             "rows": inv["sent"], "target": "information", "ok": None},
            {"name": "tasks.export_csv_job", "seconds": exp["seconds"], "peak_mb": exp["rss_mb"],
             "rows": result["n"], "target": "information", "ok": None}]


def _fmt(value, spec: str) -> str:
    return "" if value is None else format(value, spec)


def summary(records: list[dict]) -> str:
    header = ("name", "seconds", "cpu s", "peak MB", "rows/s", "target", "OK/MISS")
    rows = []
    for r in records:
        seconds, rows_n = r.get("seconds"), r.get("rows")
        rate = rows_n / seconds if seconds and rows_n else None
        status = r.get("status") or {True: "OK", False: "MISS", None: ""}[r.get("ok")]
        rows.append((r["name"], _fmt(seconds, ".3f"), _fmt(r.get("cpu_s"), ".2f"), _fmt(r.get("peak_mb"), ".0f"),
                     _fmt(rate, ",.0f"), r.get("target", "") + (f" - {r['note']}" if r.get("note") else ""), status))
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    line = lambda cells: "  ".join(str(c).ljust(w) if i in (0, 5, 6) else str(c).rjust(w)  # noqa: E731
                                   for i, (c, w) in enumerate(zip(cells, widths)))
    out = [line(header), line(["-" * w for w in widths])] + [line(r) for r in rows]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parts = ["core", "load", "dashboard", "exports", "answering", "tasks", "weighting", "themes"]
    parser.add_argument("--only", nargs="+", choices=parts, default=parts)
    parser.add_argument("--naive", action=argparse.BooleanOptionalAction, default=True,
                        help="time the naive ORM + pivot loader too (default: yes)")
    args = parser.parse_args(argv)
    n = bench_load.default_n()
    started = time.perf_counter()
    parts = {
        "core": lambda: core(n),
        "load": lambda: bench_load.run(n, naive=args.naive),
        "dashboard": lambda: dashboard(n),
        "exports": lambda: importlib.import_module("bench.bench_exports").run(),
        "answering": lambda: importlib.import_module("bench.bench_answering").run(),
        "tasks": lambda: tasks(n),
        "weighting": lambda: importlib.import_module("bench.bench_weighting").run(n),
        "themes": lambda: importlib.import_module("bench.bench_themes").run(),  # 100,000 verbatims (issue 20)
    }
    records: list[dict] = []
    for name in args.only:
        print(f"\n=== {name} (n = {n:,}) ===", flush=True)
        try:
            records += parts[name]()
        except (Exception, SystemExit) as exc:  # noqa: BLE001 - one failing part does not hide the others
            traceback.print_exc()
            records.append({"name": f"{name} bench", "seconds": None, "target": "", "status": "ERROR",
                            "note": f"{exc.__class__.__name__}: {exc}"[:120]})
    print(f"\n=== summary (n = {n:,} responses; seconds: wall clock, best run; cpu s: this process's CPU "
          f"time (the database server's not counted); rows/s counts answer rows for the loaders; peak MB: "
          f"ru_maxrss of the loader's process, tracemalloc's peak for the core) ===")
    print(summary(records))
    print(f"total {time.perf_counter() - started:.0f} s")
    return 1 if any(r.get("status") == "ERROR" for r in records) else 0


if __name__ == "__main__":
    sys.exit(main())
