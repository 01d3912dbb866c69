"""TASKS_BACKEND=rq: a plain `django.tasks` @task is enqueued on Redis and run by an RQ worker.

In a child process (django-rq reads its queues when imported), on Redis database 15 so nothing
touches the queues of a running instance; skipped when Redis is not there.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
REDIS = os.environ.get("ECOUTE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")

CHILD = """
import django
django.setup()
import django_rq
from rq import SimpleWorker
from django.tasks import task_backends
from jobs.tasks import ping
assert type(task_backends["default"]).__name__ == "RQBackend"
from django_tasks_rq import Job
queue = django_rq.get_queue("default", job_class=Job)
queue.empty()
result = ping.enqueue("pong-%d" % __import__("os").getpid())
assert result.status == "READY", result.status
# what `manage.py rqworker default --job-class django_tasks_rq.Job` runs
SimpleWorker([queue], connection=queue.connection, job_class=Job).work(burst=True)
result.refresh()
print(result.status, result.return_value)
queue.empty()
"""


def _redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


@pytest.mark.skipif(not _redis_up(), reason="no Redis on 127.0.0.1:6379")
def test_a_django_task_runs_on_the_rq_backend(tmp_path):
    env = {**os.environ, "TASKS_BACKEND": "rq", "REDIS_URL": REDIS, "DJANGO_SETTINGS_MODULE": "config.settings",
           "ECOUTE_TESTING": "1", "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", "SESSION_STORE": "db"}
    out = subprocess.run([sys.executable, "-c", CHILD], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    status, value = out.stdout.split()
    assert status == "SUCCESSFUL" and value.startswith("pong-")
