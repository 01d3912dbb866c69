"""Benchmark of weighting at a million responses: the methods, and storing the weights.

    .venv/bin/python -m bench.bench_weighting [--n 1000000] [--repeat 3] [--no-store]

1. the pure core on a synthetic frame (category × channel × region, Categorical columns, as the
   loader gives them): raking by iterative proportional fitting on the 3 variables (target
   ≤ 1 s), bounded calibration — logit [0.3, 3] and truncated linear [0.3, 3] — on the same
   (target ≤ 2 s), post-stratification and trimming for information; best of ``--repeat``;
2. storing: on PostgreSQL (``BENCH_PG_URL``, default ``postgres://postgres@127.0.0.1:5432``), in
   a dedicated database ``ecoute_bench_weighting_<checkout>`` created and dropped here, ``n`` complete
   responses of one wave (written by COPY), then the store step of a weighting run timed on its
   own: the run's row, its ``n`` weights by ``COPY`` and ``Response.weight`` by one
   ``UPDATE … FROM``, in one transaction (target ≤ 10 s). A whole ``weighting_run`` (loading the
   frame, raking, diagnostics, storing) is timed once more for information. It runs in a child
   process (``DATABASE_URL`` set for it), as ``bench.bench_load`` does.

``BENCH_N`` (environment) scales ``--n`` down.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
if __package__ in (None, ""):
    sys.path.insert(0, str(ROOT))

from bench import bench_load  # noqa: E402
from bench.bench_indicators_core import CATEGORIES, CHANNELS  # noqa: E402

# one database per checkout (helpers bench side by side), or ``BENCH_PG_DB_WEIGHTING``
PG_DB = os.environ.get("BENCH_PG_DB_WEIGHTING") or "ecoute_bench_weighting_" + "".join(
    c if c.isalnum() else "_" for c in ROOT.name.lower())[:30]
REGIONS = ["idf", "north", "east", "west", "south", "overseas"]
REGION_P = np.array([0.3, 0.15, 0.15, 0.15, 0.2, 0.05])
TARGETS_S = {"raking (IPF), 3 variables": 1.0, "calibration logit [0.3, 3]": 2.0,
             "calibration linear truncated [0.3, 3]": 2.0, "store 1 M weights (PostgreSQL)": 10.0}


def frame(n: int, seed: int = 17) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "category": pd.Categorical.from_codes(rng.choice(len(CATEGORIES), n, p=bench_load.CAT_P), CATEGORIES),
        "channel": pd.Categorical.from_codes(rng.choice(len(CHANNELS), n, p=bench_load.CH_P), CHANNELS),
        "region": pd.Categorical.from_codes(rng.choice(len(REGIONS), n, p=REGION_P),
                                            REGIONS),
    })


def margins() -> dict:
    """Population margins between the sample's and uniform ones: weights that do real work."""
    def mix(p: np.ndarray, codes: list[str]) -> dict:
        return dict(zip(codes, (0.7 * p + 0.3 / len(p)).tolist()))

    return {"category": mix(bench_load.CAT_P, CATEGORIES), "channel": mix(bench_load.CH_P, CHANNELS),
            "region": mix(REGION_P, REGIONS)}


def _best(fn, repeat: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def core(n: int, repeat: int) -> list[dict]:
    from analysis import calibration, weighting

    df, m = frame(n), margins()
    steps = {
        "raking (IPF), 3 variables": lambda: weighting.rake(df, m),
        "calibration logit [0.3, 3]": lambda: calibration.calibrate(df, m, "logit", (0.3, 3.0)),
        "calibration linear truncated [0.3, 3]": lambda: calibration.calibrate(df, m, "linear", (0.3, 3.0)),
        "calibration raking ratio (Newton)": lambda: calibration.calibrate(df, m, "raking"),
        "post-stratification, category": lambda: weighting.poststratify(df, "category", m["category"]),
    }
    records, last = [], None
    for name, fn in steps.items():
        seconds, result = _best(fn, repeat)
        last = getattr(result, "weights", result)
        iters = getattr(result, "iterations", None)
        print(f"{name}: {seconds:.3f} s" + (f" ({iters} iterations)" if iters is not None else ""))
        records.append(_record(name, seconds, n))
    seconds, _ = _best(lambda: calibration.trim(last, upper=3.0), repeat)
    print(f"trimming at 3 × mean: {seconds:.3f} s")
    records.append(_record("trimming at 3 x mean", seconds, n))
    return records


def _record(name: str, seconds: float | None, n: int, note: str = "") -> dict:
    target = TARGETS_S.get(name)
    return {"name": f"weighting: {name}", "seconds": seconds, "rows": n,
            "target": f"<= {target:g} s" if target else "information", "note": note,
            "ok": None if target is None or seconds is None else seconds <= target}


# -- child: PostgreSQL ------------------------------------------------------------------------
def child_store(n: int) -> dict:
    import pyarrow as pa
    import pyarrow.csv as pacsv
    from django.core.management import call_command
    from django.db import connection, transaction

    from analysis import weight_store, weighting_runs
    from analysis.margins import Margins
    from analysis.models import WeightingRun
    from surveys.models import Response, Wave

    call_command("migrate", verbosity=0, interactive=False)
    ids = bench_load._survey_setup()
    wave_id = ids["waves"][-1]
    rng = np.random.default_rng(3)
    rid = bench_load._random_uuid_hex(n)
    cat = rng.choice(len(CATEGORIES), n, p=bench_load.CAT_P)
    chan = rng.choice(len(CHANNELS), n, p=bench_load.CH_P)
    ts = np.full(n, "2026-06-15 10:00:00+00")
    table = pa.table({
        "id": rid, "survey_id": np.full(n, ids["survey"]), "wave_id": np.full(n, wave_id),
        "category_id": np.asarray(ids["categories"])[cat], "channel_id": np.asarray(ids["channels"])[chan],
        "language": np.full(n, "fr"), "status": np.full(n, "complete"), "notice_version": np.ones(n, np.int32),
        "last_step": np.full(n, "x"), "page_url": np.full(n, "x"), "weight": np.ones(n),
        "is_demo": np.ones(n, bool), "started_at": ts, "updated_at": ts, "submitted_at": ts})
    buf = io.BytesIO()
    pacsv.write_csv(table, buf, pacsv.WriteOptions(include_header=False))
    with connection.cursor() as cur:
        with cur.cursor.copy(f"COPY {Response._meta.db_table} ({bench_load._RESPONSE_COLS}) FROM STDIN "
                             "(FORMAT csv)") as cp:
            cp.write(buf.getbuffer())
        cur.execute("VACUUM ANALYZE " + Response._meta.db_table)
    wave = Wave.objects.get(pk=wave_id)
    m = {k: v for k, v in margins().items() if k != "region"}
    from analysis import calibration, weighting

    w = weighting.rake(frame_of(rid, cat, chan), m).weights.to_numpy()
    ids_text = [f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}" for h in rid.tolist()]
    lsn0 = _wal_lsn()
    t0 = time.perf_counter()
    with transaction.atomic():
        run = WeightingRun.objects.create(wave=wave, method="raking", margins=[], n=n)
        weight_store.run_weights_store(run.pk, ids_text, w)
        t_copy = time.perf_counter()
        WeightingRun.objects.filter(pk=run.pk).update(is_active=True)
        changed = weight_store.wave_weights_apply(run.pk, wave_id)
        hot = _hot_updates(Response._meta.db_table)
    store_s = time.perf_counter() - t0
    wal_mb = _wal_mb_since(lsn0)
    # Steady state: after a vacuum the pages have room, so a second run's rewrite is HOT (no
    # index entries), as on a live table whose rows were written step by step.
    with connection.cursor() as cur:
        cur.execute("VACUUM " + Response._meta.db_table)
    w2 = calibration.calibrate(frame_of(rid, cat, chan), m, "logit", (0.3, 3.0)).weights.to_numpy()
    t2 = time.perf_counter()
    with transaction.atomic():
        run2 = WeightingRun.objects.create(wave=wave, method="logit", margins=[], n=n)
        weight_store.run_weights_store(run2.pk, ids_text, w2)
        WeightingRun.objects.filter(pk=run.pk).update(is_active=False)
        WeightingRun.objects.filter(pk=run2.pk).update(is_active=True)
        weight_store.wave_weights_apply(run2.pk, wave_id)
    again_s = time.perf_counter() - t2
    t1 = time.perf_counter()
    full = weighting_runs.weighting_run(wave, Margins(m, {}, {}), method="raking")
    full_s = time.perf_counter() - t1
    return {"store_s": store_s, "copy_s": t_copy - t0, "update_s": store_s - (t_copy - t0), "changed": changed,
            "hot": hot, "wal_mb": wal_mb, "again_s": again_s, "full_run_s": full_s, "full_n": full.n}


def _wal_lsn() -> str:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT pg_current_wal_lsn()::text")
        return cur.fetchone()[0]


def _wal_mb_since(lsn: str) -> float:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), %s::pg_lsn)", [lsn])
        return float(cur.fetchone()[0]) / 2**20


def _hot_updates(table: str) -> int:
    """Rows of ``table`` updated in place (HOT, no index entry) by the current transaction."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT n_tup_hot_upd FROM pg_stat_xact_user_tables WHERE relname = %s", [table])
        row = cur.fetchone()
        return int(row[0]) if row else 0


def frame_of(rid, cat, chan) -> pd.DataFrame:
    return pd.DataFrame({"category": pd.Categorical.from_codes(cat, CATEGORIES),
                         "channel": pd.Categorical.from_codes(chan, CHANNELS)})


def store(n: int) -> list[dict]:
    if not (bench_load._pg_admin("drop", PG_DB) and bench_load._pg_admin("create", PG_DB)):
        return [_record("store 1 M weights (PostgreSQL)", None, n, "PostgreSQL unreachable: skipped")]
    try:
        env = dict(os.environ, DATABASE_URL=f"{bench_load.PG_URL}/{PG_DB}", DJANGO_SETTINGS_MODULE="config.settings",
                   SECRET_KEY=os.environ.get("SECRET_KEY") or secrets.token_urlsafe(48), DEBUG="0")
        env.pop("ECOUTE_TESTING", None)
        proc = subprocess.run([sys.executable, "-m", "bench.bench_weighting", "--child", "--n", str(n)], cwd=ROOT,
                              env=env, capture_output=True, text=True)
        if proc.returncode != 0:
            sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-4000:])
            raise RuntimeError(f"bench_weighting child failed ({proc.returncode})")
        r = json.loads(proc.stdout.strip().splitlines()[-1])
    finally:
        bench_load._pg_admin("drop", PG_DB)
    print(f"store {n:,} weights on PostgreSQL: {r['store_s']:.2f} s (COPY into RunWeight {r['copy_s']:.2f} s, "
          f"UPDATE … FROM {r['update_s']:.2f} s, {r['changed']:,} responses changed, {r['hot']:,} of them HOT; "
          f"{r['wal_mb']:.0f} MB of WAL); a second run after a "
          f"vacuum {r['again_s']:.2f} s; a whole weighting_run (load, rake, diagnostics, store) "
          f"{r['full_run_s']:.2f} s")
    return [_record("store 1 M weights (PostgreSQL)", r["store_s"], n),
            _record("store, second run after vacuum (PostgreSQL)", r["again_s"], n),
            _record("whole weighting_run (PostgreSQL)", r["full_run_s"], n)]


def run(n: int | None = None, repeat: int = 3, with_store: bool = True) -> list[dict]:
    n = n or bench_load.default_n()
    records = core(n, repeat)
    if with_store:
        records += store(n)
    return records


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=None)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-store", action="store_true", help="skip the PostgreSQL part")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    n = args.n or bench_load.default_n()
    if args.child:
        bench_load._django_setup()
        print(json.dumps(child_store(n)))
        return 0
    records = run(n, args.repeat, not args.no_store)
    return 1 if any(r["ok"] is False for r in records) else 0


if __name__ == "__main__":
    sys.exit(main())
