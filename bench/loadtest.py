"""`make loadtest`: 50 concurrent respondents answer the demo survey against gunicorn, on SQLite
(WAL) and on PostgreSQL, over loopback only, for a bounded time.

For each database it reports completed questionnaires/s, step requests/s, p50/p95/p99 step
latency and errors, then checks that the number of complete responses in the database equals
the number of questionnaires the clients completed (no lost, no duplicated answer). A second
phase kills the server in the middle of the run and restarts it: respondents keep their
session cookie (sessions live in the database) and must finish where they were.

Respondents fill each step generically from the HTML form (first radio of each group, a
checkbox, some text, a number within bounds), so the script follows whatever the demo survey is.

Environment: LOADTEST_SECONDS (default 30), LOADTEST_USERS (50), LOADTEST_WORKERS (3),
LOADTEST_DATABASES ("sqlite,postgres").
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
SLUG = "satisfaction-usagers"
CATEGORIES = ["researchers", "local_authorities", "general_public", "journalists", "students", "businesses"]
CHANNELS = ["website", "contact_service", "publications", "data_access"]


class FormParser(HTMLParser):
    """Collect the inputs of the step form (name → options) in document order."""

    def __init__(self) -> None:
        super().__init__()
        self.hidden: dict[str, str] = {}
        self.radios: dict[str, list[str]] = {}
        self.checkboxes: dict[str, list[str]] = {}
        self.textareas: list[str] = []
        self.numbers: dict[str, tuple[float, float]] = {}
        self.in_form = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and "step-form" in a.get("class", ""):
            self.in_form = True
        if not self.in_form:
            return
        if tag == "input":
            kind, name = a.get("type", "text"), a.get("name", "")
            if kind == "hidden":
                self.hidden[name] = a.get("value", "")
            elif kind == "radio":
                self.radios.setdefault(name, []).append(a.get("value", ""))
            elif kind == "checkbox":
                self.checkboxes.setdefault(name, []).append(a.get("value", ""))
            elif kind == "number":
                self.numbers[name] = (float(a.get("min") or 0), float(a.get("max") or 10))
        elif tag == "textarea":
            self.textareas.append(a.get("name", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.in_form = False


def fill(html: str, rng: random.Random) -> tuple[dict, str]:
    parser = FormParser()
    parser.feed(html)
    data: dict[str, object] = dict(parser.hidden)
    for name, values in parser.radios.items():
        choices = [v for v in values if v != "nsp"] or values
        data[name] = rng.choice(choices[-5:]) if len(choices) > 2 else choices[0]
    for name, values in parser.checkboxes.items():
        data[name] = values  # tick everything: every channel module gets exercised
    for name in parser.textareas:
        data[name] = rng.choice(["Plus de données locales.", "Very useful API.", "Calendrier clair."])
    for name, (low, high) in parser.numbers.items():
        data[name] = str(int(low + (high - low) / 4))
    step = next((v for k, v in parser.hidden.items() if k.endswith("-current_step")), "")
    return data, step


@dataclass
class Stats:
    latencies: list[float] = field(default_factory=list)
    completed: int = 0
    errors: list[str] = field(default_factory=list)


async def respondent(client: httpx.AsyncClient, base: str, rng: random.Random, stats: Stats, deadline: float,
                     pause_event: asyncio.Event | None = None) -> None:
    """Answer questionnaires one after the other until the deadline; count the completed ones."""
    while time.monotonic() < deadline:
        client.cookies.clear()
        url = f"{base}/s/{SLUG}/?categorie={rng.choice(CATEGORIES)}&canal={rng.choice(CHANNELS)}"
        try:
            t0 = time.perf_counter()
            resp = await client.get(url, follow_redirects=True)
            stats.latencies.append(time.perf_counter() - t0)
            for _ in range(40):
                if resp.status_code != 200:
                    stats.errors.append(f"{resp.status_code} {resp.url}")
                    break
                if "/merci/" in str(resp.url):
                    stats.completed += 1
                    break
                data, step = fill(resp.text, rng)
                if not step:
                    stats.errors.append(f"no form at {resp.url}")
                    break
                t0 = time.perf_counter()
                resp = await _post_with_retry(client, str(resp.url), data, deadline, pause_event)
                stats.latencies.append(time.perf_counter() - t0)
                if resp is None:
                    return
        except httpx.HTTPError as exc:
            if pause_event is not None and not pause_event.is_set():
                await pause_event.wait()
                continue
            stats.errors.append(type(exc).__name__)


async def _post_with_retry(client, url, data, deadline, pause_event):
    """While the server is being restarted, wait and post the same step again (nothing is lost)."""
    while time.monotonic() < deadline + 60:
        try:
            return await client.post(url, data=data, follow_redirects=True, headers={"Referer": url})
        except httpx.HTTPError:
            if pause_event is None:
                raise
            await asyncio.sleep(0.5)
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(database_url: str) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": database_url, "DEBUG": "0", "ECOUTE_TESTING": "0",
            "SECRET_KEY": "loadtest-" + "k" * 50, "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "0", "COOKIE_SECURE": "0", "SECURE_HSTS_SECONDS": "0",
            "RATE_LIMIT_ANSWER": "1000000", "RATE_LIMIT_TOKEN": "1000000", "CONN_MAX_AGE": "60",
            "LOG_LEVEL": "ERROR"}


def prepare(database_url: str) -> None:
    env = server_env(database_url)
    for cmd in (["migrate", "--noinput", "-v", "0"], ["collectstatic", "--noinput", "-v", "0"],
                ["load_demo", "--no-responses", "--force", "--password", "loadtest-only-password-1234"]):
        subprocess.run([PY, "manage.py", *cmd], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


def start_server(database_url: str, port: int, workers: int) -> subprocess.Popen:
    proc = subprocess.Popen(
        [PY, "-m", "gunicorn", "config.wsgi", "-w", str(workers), "-b", f"127.0.0.1:{port}", "--log-level",
         "warning", "--timeout", "60"],
        cwd=ROOT, env=server_env(database_url), start_new_session=True)
    for _ in range(100):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("gunicorn did not start")


def stop_server(proc: subprocess.Popen, kill: bool = False) -> None:
    os.killpg(proc.pid, signal.SIGKILL if kill else signal.SIGTERM)
    proc.wait(timeout=30)


def count_complete(database_url: str) -> int:
    code = ("from surveys.models import Response; "
            f"print(Response.objects.filter(survey__slug='{SLUG}', status='complete', is_demo=False).count())")
    out = subprocess.run([PY, "manage.py", "shell", "-c", code], cwd=ROOT, env=server_env(database_url),
                         capture_output=True, text=True, check=True)
    return int(out.stdout.strip().splitlines()[-1])


async def run_load(base: str, users: int, seconds: float, restart=None) -> tuple[Stats, float]:
    stats = Stats()
    deadline = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=users)
    pause = asyncio.Event() if restart else None
    if pause is not None:
        pause.set()
    async with httpx.AsyncClient(timeout=30, limits=limits) as shared:
        del shared
        clients = [httpx.AsyncClient(timeout=30) for _ in range(users)]
        t0 = time.perf_counter()
        tasks = [asyncio.create_task(respondent(c, base, random.Random(i), stats, deadline, pause))
                 for i, c in enumerate(clients)]
        if restart is not None:
            await asyncio.sleep(seconds / 3)
            pause.clear()
            await asyncio.to_thread(restart)
            pause.set()
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - t0
        for c in clients:
            await c.aclose()
    return stats, elapsed


def report(label: str, stats: Stats, elapsed: float, in_db: int) -> bool:
    lat = sorted(stats.latencies)
    pct = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1000 if lat else float("nan")  # noqa: E731
    ok = in_db == stats.completed and not stats.errors
    print(f"{label}: {stats.completed} questionnaires in {elapsed:.1f} s = {stats.completed / elapsed:.1f}/s; "
          f"{len(lat)} step requests = {len(lat) / elapsed:.0f} req/s; p50 {pct(0.5):.0f} ms, p95 {pct(0.95):.0f} ms, "
          f"p99 {pct(0.99):.0f} ms; errors {len(stats.errors)}; complete in DB {in_db} "
          f"({'OK: none lost, none duplicated' if ok else 'MISMATCH'})")
    if stats.errors:
        print("   first errors:", stats.errors[:5])
    return ok


def main() -> int:
    seconds = float(os.environ.get("LOADTEST_SECONDS", "30"))
    users = int(os.environ.get("LOADTEST_USERS", "50"))
    workers = int(os.environ.get("LOADTEST_WORKERS", "3"))
    wanted = os.environ.get("LOADTEST_DATABASES", "sqlite,postgres").split(",")
    tmp = Path(tempfile.mkdtemp(prefix="ecoute-load-"))
    databases = {"sqlite": f"sqlite:///{tmp / 'load.sqlite3'}",
                 "postgres": "postgres://postgres@127.0.0.1:5432/ecoute_load"}
    all_ok = True
    try:
        for name in wanted:
            url = databases[name]
            if name == "postgres":
                subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", "DROP DATABASE IF EXISTS ecoute_load"],
                               check=True)
                subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", "CREATE DATABASE ecoute_load"],
                               check=True)
            prepare(url)
            port = free_port()
            proc = start_server(url, port, workers)
            base = f"http://127.0.0.1:{port}"
            try:
                stats, elapsed = asyncio.run(run_load(base, users, seconds))
            finally:
                stop_server(proc)
            all_ok &= report(f"{name} ({workers} gunicorn workers, {users} respondents)", stats, elapsed,
                             count_complete(url))
            before = count_complete(url)
            holder = {"proc": start_server(url, port, workers)}

            def restart() -> None:
                stop_server(holder["proc"], kill=True)
                time.sleep(1)
                holder["proc"] = start_server(url, port, workers)

            try:
                stats, elapsed = asyncio.run(run_load(base, users, seconds / 2, restart=restart))
            finally:
                stop_server(holder["proc"])
            all_ok &= report(f"{name}, server killed (SIGKILL) and restarted mid-run", stats, elapsed,
                             count_complete(url) - before)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if "postgres" in wanted:
            subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", "DROP DATABASE IF EXISTS ecoute_load"],
                           check=False)
    print("loadtest:", "OK" if all_ok else "FAILED")
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
