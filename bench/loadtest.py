"""`make loadtest`: 50 concurrent respondents answer the demo survey against gunicorn, on SQLite
(WAL) and on PostgreSQL, over loopback only, for a bounded time.

Per database, against one server (gunicorn, sync workers), after a 5 s warm-up that is not
measured (each worker's first requests import, compile templates and fill its caches):

1. **saturation**: each respondent sends its next request as soon as the previous one is
   answered (closed loop, no think time): the most the server does on this machine;
2. **target rate**: the same 50 respondents, their requests offered at a constant arrival rate
   (``LOADTEST_RATE_SQLITE`` = 130, ``LOADTEST_RATE_POSTGRES`` = 100 step requests/s, the issue's
   targets): the latency a respondent gets at that load;
3. **kill**: the server is killed (SIGKILL) a third of the way in and restarted; respondents
   keep their session cookie and post the interrupted step again.

A *step request* is one HTTP request to a questionnaire step: each step is a POST answered by a
redirect and the GET of the next step, both counted and timed on their own (the start link and
the thank-you page are counted apart). Each phase reports questionnaires/s, steps answered/s,
step requests/s with p50/p95/p99 latency, the load generator's own CPU, errors, and checks that
the complete responses in the database equal the questionnaires the clients completed (none
lost, none duplicated).

Respondents fill each step generically from the HTML form (a radio of each group, every
checkbox, some text, a number within bounds), so the script follows whatever the demo survey is.
The client is aiohttp and forms are read by regular expressions: the generator shares the two
cores with the server, so its own cost is kept low (and printed).

Environment: LOADTEST_SECONDS (default 30), LOADTEST_USERS (50), LOADTEST_WORKERS (3),
LOADTEST_DATABASES ("sqlite,postgres"), LOADTEST_RATE_SQLITE, LOADTEST_RATE_POSTGRES; the
server's own settings come from the environment too (``make loadtest`` sets REDIS_URL and
SESSION_STORE=cache).
"""

from __future__ import annotations

import asyncio
import html
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
SLUG = "satisfaction-usagers"
CATEGORIES = ["researchers", "local_authorities", "general_public", "journalists", "students", "businesses"]
CHANNELS = ["website", "contact_service", "publications", "data_access"]
WARMUP_SECONDS = 5


_FORM = re.compile(r'<form\b[^>]*class="step-form"[^>]*>(.*?)</form>', re.S)
_TAG = re.compile(r"<(input|textarea)\b([^>]*)>")
_ATTR = re.compile(r'([\w-]+)(?:="([^"]*)")?')


def parse_form(page: str) -> dict[str, object]:
    """The inputs of the step form, by kind (regular expressions, not an HTML parser: the
    generator shares the two cores with the server, so its own cost per page is kept small)."""
    form = _FORM.search(page)
    found: dict[str, object] = {"hidden": {}, "radio": {}, "checkbox": {}, "textarea": [], "number": {}}
    if form is None:
        return found
    for tag, attrs in _TAG.findall(form.group(1)):
        a = {k: html.unescape(v or "") for k, v in _ATTR.findall(attrs)}
        name = a.get("name", "")
        if tag == "textarea":
            found["textarea"].append(name)
            continue
        kind = a.get("type", "text")
        if kind == "hidden":
            found["hidden"][name] = a.get("value", "")
        elif kind in ("radio", "checkbox"):
            found[kind].setdefault(name, []).append(a.get("value", ""))
        elif kind == "number":
            found["number"][name] = (float(a.get("min") or 0), float(a.get("max") or 10))
    return found


def fill(page: str, rng: random.Random) -> tuple[dict, str]:
    """Answer a step generically: a radio of each group (not "don't know"), every checkbox (so every
    channel module is exercised), some text, a number within bounds."""
    form = parse_form(page)
    data: dict[str, object] = dict(form["hidden"])
    for name, values in form["radio"].items():
        choices = [v for v in values if v != "nsp"] or values
        data[name] = rng.choice(choices[-5:]) if len(choices) > 2 else choices[0]
    for name, values in form["checkbox"].items():
        data[name] = values
    for name in form["textarea"]:
        data[name] = rng.choice(["Plus de données locales.", "Very useful API.", "Calendrier clair."])
    for name, (low, high) in form["number"].items():
        data[name] = str(int(low + (high - low) / 4))
    step = next((v for k, v in form["hidden"].items() if k.endswith("-current_step")), "")
    return data, step


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: {"post": [], "get": [], "other": []})
    completed: int = 0
    errors: list[str] = field(default_factory=list)

    def wizard(self) -> list[float]:
        """Latencies of the step requests: a step's POST and the GET of the step it redirects to."""
        return self.latencies["post"] + self.latencies["get"]

    def requests(self) -> int:
        return sum(len(v) for v in self.latencies.values())


class Pacer:
    """Constant arrival rate (k6's "constant-arrival-rate"): request k may start at t0 + k / rate.

    With ``rate=None`` there is no pacing: each respondent sends its next request as soon as the
    previous one is answered (closed loop, no think time: the server's saturation throughput).
    When the server falls behind, slots are in the past and requests go at once: then the
    achieved rate, lower than the offered one, is the server's capacity.
    """

    def __init__(self, rate: float | None) -> None:
        self.rate = rate
        self.t0 = time.monotonic()
        self.k = 0

    async def wait(self) -> None:
        if not self.rate:
            return
        slot = self.t0 + self.k / self.rate
        self.k += 1
        delay = slot - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)


@dataclass
class Page:
    url: str
    status: int
    text: str


def _form_fields(data: dict) -> list[tuple[str, str]]:
    return [(k, v) for k, values in data.items() for v in (values if isinstance(values, list) else [values])]


async def send(client: aiohttp.ClientSession, method: str, url: str, stats: Stats, pacer: Pacer,
               data: dict | None = None, pause_event: asyncio.Event | None = None,
               deadline: float = 0.0) -> Page:
    """One request, then the redirects it answers with, each paced and timed on its own."""
    while True:
        await pacer.wait()
        t0 = time.perf_counter()
        try:
            async with client.request(method, url, data=_form_fields(data) if data else None, allow_redirects=False,
                                      headers={"Referer": url} if method == "POST" else None) as resp:
                text = await resp.text()
                location = resp.headers.get("Location")
                status = resp.status
        except (aiohttp.ClientError, asyncio.TimeoutError):
            if pause_event is None or method != "POST" or time.monotonic() > deadline + 60:
                raise
            await asyncio.sleep(0.5)  # the server is being restarted: post the same step again
            continue
        elapsed = time.perf_counter() - t0
        kind = ("post" if method == "POST" else "get") if "/q/" in url else "other"
        stats.latencies[kind].append(elapsed)
        if status not in (301, 302, 303, 307, 308) or not location:
            return Page(url, status, text)
        url, method, data = urljoin(url, location), "GET", None


async def respondent(client: aiohttp.ClientSession, base: str, rng: random.Random, stats: Stats, deadline: float,
                     pacer: Pacer, pause_event: asyncio.Event | None = None) -> None:
    """Answer questionnaires one after the other until the deadline; count the completed ones."""
    while time.monotonic() < deadline:
        client.cookie_jar.clear()
        url = f"{base}/s/{SLUG}/?categorie={rng.choice(CATEGORIES)}&canal={rng.choice(CHANNELS)}"
        try:
            page = await send(client, "GET", url, stats, pacer)
            for _ in range(40):
                if page.status != 200:
                    stats.errors.append(f"{page.status} {page.url}")
                    break
                if "/merci/" in page.url:
                    stats.completed += 1
                    break
                data, step = fill(page.text, rng)
                if not step:
                    stats.errors.append(f"no form at {page.url}")
                    break
                page = await send(client, "POST", page.url, stats, pacer, data, pause_event, deadline)
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            if pause_event is not None and not pause_event.is_set():
                await pause_event.wait()
                continue
            stats.errors.append(type(exc).__name__)


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


async def run_load(base: str, users: int, seconds: float, restart=None, rate: float | None = None
                   ) -> tuple[Stats, float, float]:
    """Run the respondents; returns the stats, the elapsed seconds and the generator's CPU seconds."""
    stats = Stats()
    deadline = time.monotonic() + seconds
    pause = asyncio.Event() if restart else None
    if pause is not None:
        pause.set()
    # one session (cookie jar, connection) per respondent; unsafe=True: cookies from 127.0.0.1
    clients = [aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True),
                                     timeout=aiohttp.ClientTimeout(total=30)) for _ in range(users)]
    pacer = Pacer(rate)
    cpu0, t0 = time.process_time(), time.perf_counter()
    tasks = [asyncio.create_task(respondent(c, base, random.Random(i), stats, deadline, pacer, pause))
             for i, c in enumerate(clients)]
    if restart is not None:
        await asyncio.sleep(seconds / 3)
        pause.clear()
        await asyncio.to_thread(restart)
        pause.set()
    await asyncio.gather(*tasks)
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    for c in clients:
        await c.close()
    return stats, elapsed, cpu


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] * 1000 if values else float("nan")


def report(label: str, stats: Stats, elapsed: float, cpu: float, in_db: int) -> bool:
    steps = stats.wizard()
    ok = in_db == stats.completed and not stats.errors
    print(f"{label}:\n"
          f"   {stats.completed} questionnaires in {elapsed:.1f} s = {stats.completed / elapsed:.1f}/s; "
          f"{len(stats.latencies['post'])} steps answered = {len(stats.latencies['post']) / elapsed:.0f}/s\n"
          f"   step requests (each step's POST and the GET it redirects to): {len(steps) / elapsed:.0f} req/s, "
          f"p50 {_pct(steps, 0.5):.0f} ms, p95 {_pct(steps, 0.95):.0f} ms, p99 {_pct(steps, 0.99):.0f} ms "
          f"(POST p95 {_pct(stats.latencies['post'], 0.95):.0f} ms, GET p95 {_pct(stats.latencies['get'], 0.95):.0f} ms); "
          f"all HTTP requests {stats.requests() / elapsed:.0f}/s\n"
          f"   errors {len(stats.errors)}; load generator CPU {100 * cpu / elapsed:.0f} % of one core; "
          f"complete in DB {in_db} ({'OK: none lost, none duplicated' if ok else 'MISMATCH'})")
    if stats.errors:
        print("   first errors:", stats.errors[:5])
    return ok


def main() -> int:
    seconds = float(os.environ.get("LOADTEST_SECONDS", "30"))
    users = int(os.environ.get("LOADTEST_USERS", "50"))
    workers = int(os.environ.get("LOADTEST_WORKERS", "3"))
    wanted = os.environ.get("LOADTEST_DATABASES", "sqlite,postgres").split(",")
    targets = {"sqlite": float(os.environ.get("LOADTEST_RATE_SQLITE", "130")),
               "postgres": float(os.environ.get("LOADTEST_RATE_POSTGRES", "100"))}
    tmp = Path(tempfile.mkdtemp(prefix="ecoute-load-"))
    databases = {"sqlite": f"sqlite:///{tmp / 'load.sqlite3'}",
                 "postgres": "postgres://postgres@127.0.0.1:5432/ecoute_load"}
    all_ok = True
    print(f"server: gunicorn, {workers} sync workers; cache {'Redis' if os.environ.get('REDIS_URL') else 'database'}; "
          f"sessions: {os.environ.get('SESSION_STORE') or 'default'}; load generator: this process (aiohttp), "
          f"on the same {os.cpu_count()} cores")
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
            base = f"http://127.0.0.1:{port}"
            setup = f"{workers} gunicorn workers, {users} respondents"

            proc = start_server(url, port, workers)
            try:
                # warm-up, not measured: each worker's first requests import, compile templates and
                # fill its caches, and a paced run would spend the rest of its time catching up
                asyncio.run(run_load(base, users, WARMUP_SECONDS))

                # 1. saturation: no think time, as fast as the server answers
                before = count_complete(url)
                stats, elapsed, cpu = asyncio.run(run_load(base, users, seconds))
                all_ok &= report(f"{name} ({setup}), saturation (no think time)", stats, elapsed, cpu,
                                 count_complete(url) - before)
                share = len(stats.wizard()) / max(stats.requests(), 1)

                # 2. the target rate of step requests, offered at a constant arrival rate
                target = targets[name]
                before = count_complete(url)
                stats, elapsed, cpu = asyncio.run(run_load(base, users, seconds, rate=target / share))
                all_ok &= report(f"{name} ({setup}), offered {target:.0f} step requests/s", stats, elapsed, cpu,
                                 count_complete(url) - before)
            finally:
                stop_server(proc)

            # 3. the server killed (SIGKILL) in the middle of the run, then restarted
            before = count_complete(url)
            holder = {"proc": start_server(url, port, workers)}

            def restart() -> None:
                stop_server(holder["proc"], kill=True)
                time.sleep(1)
                holder["proc"] = start_server(url, port, workers)

            try:
                stats, elapsed, cpu = asyncio.run(run_load(base, users, seconds / 2, restart=restart))
            finally:
                stop_server(holder["proc"])
            all_ok &= report(f"{name}, server killed (SIGKILL) and restarted mid-run", stats, elapsed, cpu,
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
