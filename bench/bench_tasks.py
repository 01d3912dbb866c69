"""Benchmark of the background work: invitations sent per second, a CSV export run as a job.

    .venv/bin/python -m bench.bench_tasks [--invitations 2000] [--n 100000]
    (or ``python -m bench --only tasks``, which calls :func:`run`)

In child processes on a dedicated PostgreSQL database ``ecoute_bench_tasks`` (dropped after):

1. *setup*: migrations, ``n`` complete responses (the fast generator of ``bench.bench_load``) and
   a test survey with ``--invitations`` participants in its open wave;
2. *invitations*: the send task run by the database worker (the real code path: one transaction
   per message, Django's file email backend into a temporary folder) — invitations per second;
3. *export*: the microdata CSV of the ``n`` responses asked for as a job and run by the worker
   (rows written in slices, the file renamed when complete) — seconds and the child's peak
   resident memory (``ru_maxrss``).
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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if __package__ in (None, ""):
    sys.path.insert(0, str(ROOT))

PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
PG_DB = "ecoute_bench_tasks"


def _setup(n: int, invitations: int) -> dict:
    from django.core.management import call_command

    from bench import bench_load
    from surveys.services.invitations import participants_import
    from tests import factories

    call_command("migrate", verbosity=0, interactive=False)
    bench_load.generate(n)
    survey = factories.build_survey("bench-invitations")
    import io

    csv = "email,category\n" + "".join(f"p{i:06d}@example.org,researchers\n" for i in range(invitations))
    participants_import(survey.waves.get(), io.BytesIO(csv.encode()), "bench.csv")
    factories.staff_user("bench-analyst", "analysts", [bench_load_survey()])
    return {"ok": True}


def bench_load_survey():
    from surveys.models import Survey

    return Survey.objects.get(slug="bench")


def _invitations() -> dict:
    from jobs.worker import tasks_drain
    from surveys.models import Participant
    from surveys.tasks import send_invitations

    wave = Participant.objects.values_list("wave_id", flat=True).first()
    send_invitations.enqueue(wave, "invitation", "http://bench.example/")
    t0 = time.perf_counter()
    tasks_drain()
    seconds = time.perf_counter() - t0
    sent = Participant.objects.filter(invited_at__isnull=False).count()
    return {"seconds": seconds, "sent": sent}


def _export() -> dict:
    from django.contrib.auth.models import User

    from analysis.export_jobs import export_enqueue
    from analysis.selectors import dashboard_for
    from jobs.models import ExportJob
    from jobs.worker import tasks_drain

    user = User.objects.get(username="bench-analyst")
    d = dashboard_for(user, "bench")
    waves = [w.code for w in d.waves]
    t0 = time.perf_counter()
    job = export_enqueue(user, d, "microdonnees", "csv", {"vague": waves})
    tasks_drain()
    seconds = time.perf_counter() - t0
    job = ExportJob.objects.get(pk=job.pk)
    return {"seconds": seconds, "status": job.status, "rows": job.rows_written,
            "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def _child(url: str, step: str, n: int, invitations: int, mail_dir: str) -> dict:
    env = dict(os.environ, DATABASE_URL=url, DJANGO_SETTINGS_MODULE="config.settings", DEBUG="0",
               SECRET_KEY=os.environ.get("SECRET_KEY") or secrets.token_urlsafe(48), TASKS_BACKEND="db",
               EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend", EMAIL_FILE_PATH=mail_dir,
               EXPORT_JOBS_DIR=str(Path(mail_dir) / "exports"), ALLOWED_HOSTS="bench.example")
    env.pop("ECOUTE_TESTING", None)
    proc = subprocess.run([sys.executable, "-m", "bench.bench_tasks", "--child", step, "--n", str(n),
                           "--invitations", str(invitations)], cwd=ROOT, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-4000:])
        raise RuntimeError(f"bench_tasks child {step!r} failed ({proc.returncode})")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run(n: int | None = None, invitations: int = 2000) -> dict:
    from bench.bench_load import _pg_admin, default_n

    n = min(n or default_n(), 100_000)
    if not _pg_admin("drop", PG_DB) or not _pg_admin("create", PG_DB):
        return {}
    url = f"{PG_URL}/{PG_DB}"
    try:
        with tempfile.TemporaryDirectory() as tmp:
            _child(url, "setup", n, invitations, tmp)
            inv = _child(url, "invitations", n, invitations, tmp)
            exp = _child(url, "export", n, invitations, tmp)
    finally:
        _pg_admin("drop", PG_DB)
    rate = inv["sent"] / inv["seconds"]
    print(f"tasks.invitations: {inv['sent']} sent in {inv['seconds']:.2f} s = {rate:.0f} invitations/s")
    print(f"tasks.export_csv_job: {exp['rows']} rows in {exp['seconds']:.2f} s ({exp['status']}), "
          f"peak {exp['rss_mb']:.0f} MiB")
    return {"invitations": inv, "invitations_per_s": rate, "export": exp, "n": n}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", choices=["setup", "invitations", "export"])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--invitations", type=int, default=2000)
    args = parser.parse_args(argv)
    if args.child:
        import django

        django.setup()
        result = {"setup": lambda: _setup(args.n, args.invitations), "invitations": _invitations,
                  "export": _export}[args.child]()
        print(json.dumps(result))
        return 0
    run(args.n, args.invitations)
    return 0


if __name__ == "__main__":
    sys.exit(main())
