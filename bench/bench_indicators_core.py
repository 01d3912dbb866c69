"""Benchmark of the pure analysis core (no Django, no database).

    .venv/bin/python -m bench.bench_indicators_core [--rows 1000000] [--repeat 5]

Generates 1,000,000 synthetic responses × 10 questions (7 channels × 8 categories × 3 waves)
directly as a DataFrame (Categorical group columns and float64 answers with NaN for missing
answers, as the loader produces) and times:

(a) building the frame (for information); its ``weight`` column then gets raking weights, so
    that the tables are computed weighted (equal weights would take the unweighted shortcut);
(b) the whole channel × category indicator table — mean, % satisfied and NPS with their CIs,
    primary + secondary suppression: ``indicators.channel_table`` (the 7 channel questions,
    mean + % satisfied each) and ``indicators.by_contact_channel`` (overall satisfaction mean
    + % satisfied and NPS by contact channel × category); also the same per wave;
(c) raking on two variables (category, channel).

Times are the best of ``--repeat`` runs (wall clock, perf_counter; the CPU time of the process
is shown too, being less disturbed by other work on a shared machine); peak memory is measured
in a separate run of each step with tracemalloc (peak of Python + numpy allocations during the
step, which tracemalloc sees since numpy reports its buffers to it), plus the process maxrss.
Target: (b) ≤ 0.3 s. Two informational lines repeat (b) with nullable ``Int8`` answer columns
and with plain ``str`` group columns (factorising strings costs more than reading the codes of
a Categorical: the loader should hand Categoricals).
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

if __package__ in (None, ""):  # run as a script: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analysis import indicators, weighting  # noqa: E402

CHANNELS = ["website", "contact", "publications", "data_access", "events", "social",
            "newsletter"]
CATEGORIES = ["researchers", "local_authorities", "general_public", "partners", "businesses",
              "journalists", "students", "other"]
WAVES = ["2024", "2025", "2026"]
CHANNEL_QUESTIONS = {"website": "SAT_WEB", "contact": "SAT_CONTACT", "publications": "SAT_PUB",
                     "data_access": "SAT_DATA", "events": "SAT_EVENTS", "social": "SAT_SOCIAL",
                     "newsletter": "SAT_NEWS"}
QUESTIONS = [{"code": code, "channel": ch} for ch, code in CHANNEL_QUESTIONS.items()]


def make_frame(n: int = 1_000_000, seed: int = 2026) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cat_p = np.array([0.25, 0.05, 0.30, 0.03, 0.15, 0.02, 0.15, 0.05])
    ch_p = np.array([0.40, 0.15, 0.12, 0.18, 0.03, 0.07, 0.05])
    # a few cells made tiny on purpose so that suppression has work to do
    category = rng.choice(8, n, p=cat_p)
    # channel use depends on the category (so that raking needs several iterations)
    tilt = rng.dirichlet(np.ones(7) * 2, size=8)
    by_cat = 0.5 * ch_p + 0.5 * tilt
    cum = np.cumsum(by_cat / by_cat.sum(axis=1, keepdims=True), axis=1)
    channel = (rng.random(n)[:, None] > cum[category]).sum(axis=1).clip(0, 6)
    df = pd.DataFrame({
        "response_id": np.arange(1, n + 1),
        "wave": pd.Categorical.from_codes(rng.integers(0, 3, n), categories=WAVES),
        "category": pd.Categorical.from_codes(category, categories=CATEGORIES),
        "channel": pd.Categorical.from_codes(channel, categories=CHANNELS),
        "weight": 1.0,
    })
    sat_p = np.array([0.05, 0.10, 0.20, 0.40, 0.25])
    for code in ["SAT_OVERALL", "SAT_TRUST"]:
        y = rng.choice(np.arange(1.0, 6.0), n, p=sat_p)
        y[rng.random(n) < 0.05] = np.nan
        df[code] = y
    y = rng.integers(0, 11, n).astype(np.float64)
    y[rng.random(n) < 0.10] = np.nan
    df["NPS"] = y
    for i, (ch, code) in enumerate(CHANNEL_QUESTIONS.items()):
        y = rng.choice(np.arange(1.0, 6.0), n, p=sat_p)
        asked = rng.random(n) < (0.6 if ch == "website" else 0.3)
        if ch == "events":  # journalists almost never go to events: tiny cells
            asked &= (df["category"].to_numpy() != "journalists") | (rng.random(n) < 0.0004)
        y[~asked] = np.nan
        df[code] = y
    return df


def headline_tables(df: pd.DataFrame, by_wave: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    lead = ["wave"] if by_wave else []
    t1 = indicators.channel_table(df, QUESTIONS, by=lead + ["channel", "category"],
                                  weight="weight", min_cell=5)
    t2 = indicators.by_contact_channel(df, "SAT_OVERALL", "NPS",
                                       by=lead + ["channel", "category"], weight="weight",
                                       min_cell=5)
    return t1, t2


def rake_two(df: pd.DataFrame) -> weighting.RakeResult:
    margins = {
        "category": dict(zip(CATEGORIES, [0.20, 0.10, 0.25, 0.05, 0.15, 0.05, 0.12, 0.08])),
        "channel": dict(zip(CHANNELS, [0.35, 0.15, 0.15, 0.15, 0.05, 0.10, 0.05])),
    }
    return weighting.rake(df, margins)


def best_time(fn, repeat: int) -> tuple[float, object, float]:
    """Best wall-clock seconds over ``repeat`` runs, the result, and the best CPU seconds
    (process time: less sensitive than wall time to other processes on a shared machine)."""
    best, best_cpu, result = float("inf"), float("inf"), None
    for _ in range(repeat):
        c0, t0 = time.process_time(), time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
        best_cpu = min(best_cpu, time.process_time() - c0)
    return best, result, best_cpu


def peak_mib(fn) -> float:
    tracemalloc.start()
    tracemalloc.reset_peak()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    df = make_frame(args.rows)
    t_frame = time.perf_counter() - t0
    # the dashboards show weighted figures: use raking weights (not all equal, so the tables
    # below take the weighted path)
    df["weight"] = rake_two(df).weights.to_numpy()
    print(f"frame: {len(df):,} responses x 10 questions, "
          f"{df.memory_usage(deep=True).sum() / 2**20:.0f} MiB, built in {t_frame:.2f} s")

    indicators.channel_table(df.head(1000), QUESTIONS)  # warm-up (imports, scipy)

    steps = [
        ("indicators.channel_table", lambda: indicators.channel_table(
            df, QUESTIONS, by=["channel", "category"], weight="weight", min_cell=5)),
        ("indicators.by_contact_channel", lambda: indicators.by_contact_channel(
            df, "SAT_OVERALL", "NPS", by=["channel", "category"], weight="weight", min_cell=5)),
        ("indicators.table_channel_category", lambda: headline_tables(df)),
        ("indicators.table_channel_category_by_wave", lambda: headline_tables(df, True)),
        ("weighting.rake(category, channel)", lambda: rake_two(df)),
    ]
    results, seconds = {}, {}
    for name, fn in steps:
        seconds[name], results[name], cpu = best_time(fn, args.repeat)
        peak = peak_mib(fn)
        print(f"{name}: {seconds[name]:.3f} s  (cpu {cpu:.3f} s, peak traced memory "
              f"{peak:.0f} MiB)")

    t1, t2 = results["indicators.table_channel_category"]
    r = results["weighting.rake(category, channel)"]
    print(f"  table rows: channel_table {len(t1)} ({int(t1['suppressed'].sum())} suppressed), "
          f"by_contact_channel {len(t2)} ({int(t2['suppressed'].sum())} suppressed)")
    print(f"  rake: converged={r.converged} after {r.iterations} iterations, "
          f"max relative error {r.max_rel_error:.1e}")
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"process maxrss: {maxrss:.0f} MiB")
    target = 0.3
    took = seconds["indicators.table_channel_category"]
    print(f"target (b) <= {target} s: {'met' if took <= target else 'NOT met'} ({took:.3f} s)")

    # for information: the same table when the loader hands other dtypes
    answers = [c for c in df.columns if c.startswith(("SAT_", "NPS"))]
    nullable = df.astype({c: "Int8" for c in answers})
    strings = df.astype({c: "str" for c in ("wave", "category", "channel")})
    del df
    for label, frame in (("nullable Int8 answers", nullable), ("str group columns", strings)):
        wall, _, cpu = best_time(lambda: headline_tables(frame), args.repeat)
        print(f"indicators.table_channel_category [{label}]: {wall:.3f} s  (cpu {cpu:.3f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
