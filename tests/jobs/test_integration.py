"""Done when (issue 16): two gunicorn processes and one worker; 1,000 invitations enqueued through
the designer page; the worker SIGKILLed halfway and restarted: exactly 1,000 messages, 0 duplicates;
with the database task backend and with RQ on Redis.

Real processes on the test's PostgreSQL database, Django's file email backend (one file per SMTP
"connection", flushed after each message), counted message by message. With RQ the worker is
`rqworker` (a main process and its work horse: the whole process group is killed, as when a
machine dies) and the housekeeper `run_worker` recovers the lost job (`jobs.rq_recovery`).

The one instant a kill can still cause a duplicate is the few microseconds between a message being
written (accepted by the mail server) and its transaction's COMMIT leaving the worker: no mail
protocol can close it (see `surveys.services.sending`). The test therefore stops the worker
(SIGSTOP), checks it is not in that instant (messages written == participants stamped), and only
then kills it; anywhere else — while rendering, after the UPDATE, between messages or batches — the
kill must lose nothing and duplicate nothing, which is what is asserted.
"""

from __future__ import annotations

import email
import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from django_tasks_db.models import DBTaskResult

from jobs.worker import wait_for
from surveys.models import Participant
from tests import factories
from tests.surveys.test_invitations import import_csv

ROOT = Path(__file__).resolve().parents[2]
N = 1000
SEPARATOR = b"\n" + b"-" * 79 + b"\n"

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


REDIS = os.environ.get("ECOUTE_TEST_REDIS_URL_RQ", "redis://127.0.0.1:6379/14")


def _env(mail_dir: Path, backend: str) -> dict:
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    return {**os.environ, "DATABASE_URL": url, "ECOUTE_TESTING": "1", "TASKS_BACKEND": backend,
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend", "EMAIL_FILE_PATH": str(mail_dir),
            "TASKS_WORKER_STALE_AFTER": "3", "TASKS_WORKER_BEAT": "0.5", "RQ_JOB_MONITORING_INTERVAL": "1",
            "REDIS_URL": REDIS if backend == "rq" else "", "LOG_LEVEL": "WARNING"}


def _rq_queue():
    import redis
    import rq

    return rq.Queue("default", connection=redis.Redis.from_url(REDIS))


def _redis_up() -> bool:
    try:
        return bool(_rq_queue().connection.ping())
    except Exception:
        return False


def _messages(mail_dir: Path) -> list[email.message.Message]:
    out = []
    for path in sorted(mail_dir.glob("*")):
        for chunk in path.read_bytes().split(SEPARATOR):
            if chunk.strip():
                out.append(email.message_from_bytes(chunk))
    return out


def _count_messages(mail_dir: Path) -> int:
    return sum(path.read_bytes().count(SEPARATOR) for path in mail_dir.glob("*"))


def _start_worker(env) -> subprocess.Popen:
    """The task worker (an RQ worker forks a work horse per job)."""
    if env["TASKS_BACKEND"] == "rq":
        cmd = ["manage.py", "rqworker", "default", "--worker-class", "jobs.rq_recovery.Worker",
               "--job-class", "django_tasks_rq.Job"]
    else:
        cmd = ["manage.py", "run_worker", "--interval", "0.1", "-v", "0"]
    return subprocess.Popen([sys.executable, *cmd], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)


def _descendants(pid: int) -> list[int]:
    """Child processes, read from /proc (RQ's work horse starts its own session: no group signal
    reaches it)."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            child = int(stat.parent.name)
            children += [child, *_descendants(child)]
    return children


def _signal_group(proc: subprocess.Popen, sig: int) -> None:
    """The worker and every process it started (a machine dying takes them all)."""
    for pid in [*_descendants(proc.pid), proc.pid]:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


def _queue_idle(backend: str) -> bool:
    if backend == "rq":
        queue = _rq_queue()
        return queue.count == 0 and queue.started_job_registry.count == 0
    return not DBTaskResult.objects.filter(status__in=["READY", "RUNNING"]).exists()


def _post_send(base: str, session: str, slug: str) -> int:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.addheaders = [("Cookie", f"sessionid={session}")]
    page = opener.open(f"{base}/equipe/{slug}/invitations/?vague=2026", timeout=30).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    csrf_cookie = next(c.value for c in jar if c.name == "csrftoken")
    opener.addheaders = [("Cookie", f"sessionid={session}; csrftoken={csrf_cookie}")]
    data = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "kind": "invitation", "vague": "2026"}).encode()
    resp = opener.open(f"{base}/equipe/{slug}/invitations/envoi/", data=data, timeout=30)
    return resp.status


@pytest.mark.parametrize("backend", ["db", "rq"])
def test_a_worker_killed_mid_send_and_restarted_sends_each_of_1000_invitations_once(tmp_path, backend):
    if connection.vendor != "postgresql":
        pytest.skip("several processes on one database: PostgreSQL")
    if backend == "rq":
        if not _redis_up():
            pytest.skip("Redis is not running")
        queue = _rq_queue()
        queue.connection.flushdb()
    survey = factories.build_survey()
    import_csv(survey, "email,category\n" + "".join(f"p{i:04d}@example.org,researchers\n" for i in range(N)))
    client = Client()
    client.force_login(factories.staff_user("dana", "designers", [survey]))
    session = client.cookies["sessionid"].value
    mail_dir = tmp_path / "mail"
    env = _env(mail_dir, backend)
    ports = [_free_port(), _free_port()]
    servers = [subprocess.Popen([str(ROOT / ".venv/bin/gunicorn"), "config.wsgi", "-b", f"127.0.0.1:{port}",
                                 "-w", "1", "--timeout", "120"], cwd=ROOT, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for port in ports]
    worker = _start_worker(env)
    procs = [*servers, worker]
    if backend == "rq":  # the housekeeper: scheduler and lost-job recovery
        procs.append(subprocess.Popen([sys.executable, "manage.py", "run_worker", "-v", "1"], cwd=ROOT, env=env,
                                      stdout=open(tmp_path / "housekeeper.log", "w"), stderr=subprocess.STDOUT))
    try:
        for port in ports:
            assert wait_for(lambda: _up(port), timeout=90), "gunicorn did not start"
        # the designer enqueues through server 1 (the request returns at once) ...
        assert _post_send(f"http://127.0.0.1:{ports[0]}", session, survey.slug) == 200
        stamped = Participant.objects.filter(invited_at__isnull=False)
        assert wait_for(lambda: stamped.count() >= N // 2, timeout=120), "the worker sent nothing"
        # ... and the worker is killed halfway, outside the commit instant (module doc)
        for tries in range(1, 200):
            _signal_group(worker, signal.SIGSTOP)
            time.sleep(0.05)
            if _count_messages(mail_dir) == stamped.count():
                break
            _signal_group(worker, signal.SIGCONT)
            time.sleep(0.001 * tries)
        _signal_group(worker, signal.SIGKILL)
        worker.wait(timeout=10)
        sent_before_kill = stamped.count()
        assert N // 2 <= sent_before_kill < N, "killed too late to test a resume"
        if backend == "db":
            task = DBTaskResult.objects.get(task_path="surveys.tasks.send_invitations")
            assert task.status == "RUNNING"  # what a SIGKILL leaves behind
        else:
            assert _rq_queue().started_job_registry.count == 1  # what a SIGKILL leaves behind
        # server 2 serves the page meanwhile; then a new worker recovers the task and finishes
        assert urllib.request.urlopen(f"http://127.0.0.1:{ports[1]}/", timeout=30).status == 200
        worker = _start_worker(env)
        procs.append(worker)
        assert wait_for(lambda: stamped.count() == N and _queue_idle(backend), timeout=180), \
            "the send was not resumed"
    finally:
        for p in procs:
            if p.poll() is None:
                _signal_group(p, signal.SIGTERM) if p in (worker,) else p.terminate()
        for p in procs:
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
    messages = _messages(mail_dir)
    recipients = [m["To"] for m in messages]
    assert len(messages) == N, f"{len(messages)} messages for {N} participants"
    assert len(set(recipients)) == N  # 0 duplicates, nobody missed
    assert {m["Message-ID"] for m in messages} == set(Participant.objects.values_list("message_id", flat=True))
    if backend == "db":
        statuses = sorted(DBTaskResult.objects.values_list("status", flat=True))
        assert statuses == ["FAILED", "SUCCESSFUL"]  # the lost one (WorkerLost), its resumed copy
    else:
        queue = _rq_queue()
        log = (tmp_path / "housekeeper.log").read_text()
        assert "lost with its worker: enqueued again" in log, log  # recovered by jobs.rq_recovery
        assert (queue.failed_job_registry.count, queue.finished_job_registry.count) == (1, 1), log
        queue.connection.flushdb()
    assert 0 < sent_before_kill < N


def _up(port: int) -> bool:
    try:
        return urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5).status == 200
    except OSError:
        return False
