"""Load benchmark: signed Slack requests at a steady rate against replicas of ``mentorbot run`` and a bare Bolt app.

    python bench/bench_load.py                      # 200 requests/s for 60 s, 2 replicas of each
    python bench/bench_load.py --quick              # smoke check: 50 requests/s for 10 s
    python bench/bench_load.py --profile /tmp/prof  # also py-spy one mentorbot replica (pip install py-spy)

What runs, every part in its own process:

- a fresh PostgreSQL database ``mentorbot_bench_<random>`` on ``MENTORBOT_TEST_PG`` (default
  postgresql://postgres@127.0.0.1:5432/test), migrated and seeded with ``--people`` participants through the
  storage functions; dropped at the end;
- a ``SlackSandbox`` (``SLACK_API_URL`` of every server), so its HTTP threads do not share the generator's GIL;
- per target, ``--replicas`` servers on their own ports: ``mentorbot run`` in HTTP mode (gunicorn gthread,
  ``WEB_CONCURRENCY`` workers, 8 threads) and ``bench/bare_bolt_app.py`` (listeners that only ack, served by the
  same ``serve_gunicorn``). The targets run one after the other, with the same request plan;
- this process: an open-loop load generator (asyncio, raw HTTP/1.1 with keep-alive): request ``i`` is due at
  ``start + i / rate`` whether or not earlier ones were answered, and its latency is measured from that due time
  to the end of the response, so queueing anywhere (generator, kernel backlog, gunicorn, Bolt) counts.
  Requests go round-robin over the replicas, as a load balancer would. RSS of every server process (gunicorn
  master and workers) is read from ``/proc/<pid>/status`` every 5 s, and CPU time from ``/proc/<pid>/stat``.

The request mix (same seeded sequence for both targets): ``/mentor help``, ``/mentor pause`` / ``resume`` by
seeded participants, an unknown subcommand, App Home ``home_pause`` / ``home_resume`` clicks (``block_actions``
with the rendered home view) and ``app_home_opened`` events with fresh event ids. Before the measured window a
warm-up (``--warmup`` seconds at the same rate) reaches every worker; it is not counted.

Targets: p99 ack < 100 ms at 200 requests/s, no 5xx, memory flat; against the bare Bolt app in the same run, p99
within 1.1x and CPU per request within 2x. ``--saturation`` steps the rate up (open loop, per target, replicas
started once) and reports the highest rate each sustains with p99 < 100 ms and no error; mentorbot's should be at
least 70% of the bare app's. Each mode ends with one SUMMARY line.

    python bench/bench_load.py --saturation --saturation-start 100 --saturation-step 50
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import platform
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter, defaultdict, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PG_ADMIN_URL = os.environ.get("MENTORBOT_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
TEAM_ID = "T0MENTOR"
APP_ID = "A0MENTORBOT"
BOT_TOKEN = "xoxb-bench-load-token"
SIGNING_SECRET = "bench-load-signing-secret"
SAMPLE_EVERY = 5.0
P99_RATIO = 1.1  # targets of the request path: p99 and CPU per request against the bare app
CPU_RATIO = 2.0
SATURATION_SHARE = 0.7
THREADS = 8  # serve_gunicorn's default, used by `mentorbot run` and the bare app alike
IDLE_REUSE = 1.0  # gunicorn closes keep-alive connections after 2 s idle; do not reuse ones near that

# kind -> weight of the request mix
MIX: dict[str, float] = {
    "cmd help": 0.15,
    "cmd pause": 0.10,
    "cmd resume": 0.10,
    "cmd unknown": 0.10,
    "btn home_pause": 0.125,
    "btn home_resume": 0.125,
    "evt app_home_opened": 0.30,
}


# ---------------------------------------------------------------------- sandbox process


def serve_sandbox() -> int:
    """Child process: a SlackSandbox until stdin closes, then one JSON summary line on stdout."""
    from bot.sandbox import SlackSandbox

    sandbox = SlackSandbox(trigger_ttl=None).start()
    print(f"SANDBOX {sandbox.url}", flush=True)  # noqa: T201 - protocol line for the parent
    sys.stdin.read()
    attempts = sandbox.attempts
    summary = {
        "calls": dict(Counter(c.method for c in sandbox.calls)),
        "failed": dict(Counter(f"{a.method}:{a.status}:{a.error}" for a in attempts if a.ok is not True)),
    }
    sandbox.stop()
    print("SUMMARY " + json.dumps(summary), flush=True)  # noqa: T201
    return 0


# ---------------------------------------------------------------------- database


def create_database() -> tuple[str, str]:
    import psycopg
    from sqlalchemy.engine import make_url

    name = f"mentorbot_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False), name


def drop_database(name: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def seed_people(database_url: str, n: int, seed: int) -> list[Any]:
    """Migrate, then store ``n`` generated participants as if they had signed up; returns their profiles."""
    from bot.cohorts import current_cohort
    from bot.networking import refresh_people_to_meet
    from bot.sandbox.people import generate_people
    from storage import participants
    from storage.db import make_engine, session_factory
    from storage.migrate import upgrade
    from storage.types import utcnow

    engine = make_engine(database_url)
    upgrade(engine)
    people = generate_people(n, seed=seed)
    with session_factory(engine)() as session:
        cohort_id = current_cohort(session=session, team_id=TEAM_ID).id
        for profile in people:
            participants.upsert_profile(
                session=session,
                team_id=TEAM_ID,
                user_id=profile.user_id,
                role=profile.role.value,
                display_name=profile.name,
                timezone=profile.timezone,
                cohort_id=cohort_id,
                fields={
                    "skills_offered": profile.skills_offered,
                    "skills_wanted": profile.skills_wanted,
                    "interests": profile.interests,
                    "career_goals": profile.career_goals,
                    "department": profile.department,
                    "industry": profile.industry,
                    "seniority": profile.seniority,
                    "communication_style": profile.communication_style,
                    "personality": profile.personality,
                    "days": profile.days,
                    "time_slots": profile.time_slots,
                    "meeting_format": profile.meeting_format,
                    "capacity": profile.capacity,
                    "languages": profile.languages,
                },
            )
        # a running program has this month's people-to-meet suggestions already (the monthly job computed
        # them); without this the first App Home opens queue that one-time computation inside the window
        refresh_people_to_meet(session=session, team_id=TEAM_ID, now=utcnow())
    engine.dispose()
    return people


# ---------------------------------------------------------------------- the request plan


@dataclass(frozen=True)
class Planned:
    kind: str
    body: bytes
    content_type: str


def _home_view(profile: Any, view_id: str) -> dict[str, Any]:
    from bot.views.home import build_home

    view = build_home(profile=profile)
    return {
        "id": view_id,
        "team_id": TEAM_ID,
        "type": "home",
        "blocks": view["blocks"],
        "private_metadata": "",
        "callback_id": "",
        "state": {"values": {}},
        "hash": f"{int(time.time())}.{view_id}",
        "title": {"type": "plain_text", "text": "View Title", "emoji": True},
        "clear_on_close": False,
        "notify_on_close": False,
        "close": None,
        "submit": None,
        "previous_view_id": None,
        "root_view_id": view_id,
        "app_id": APP_ID,
        "external_id": "",
        "app_installed_team_id": TEAM_ID,
        "bot_id": "B0MENTORBOT",
    }


def build_plan(
    n: int, people: list[Any], *, seed: int, run_tag: str, sandbox_base: str, mix: dict[str, float] | None = None
) -> list[Planned]:
    """``n`` request bodies drawn from ``mix`` (default ``MIX``) with a seeded RNG (same seed -> same sequence)."""
    rng = random.Random(seed)
    mix = mix or MIX
    kinds, weights = list(mix), list(mix.values())
    views = {p.user_id: _home_view(p, f"V0H{i:07d}") for i, p in enumerate(people[:50])}
    plan: list[Planned] = []
    for i in range(n):
        kind = rng.choices(kinds, weights)[0]
        person = rng.choice(people)
        user_id = person.user_id
        trigger_id = f"{i}.{int(time.time())}.{hashlib.sha1(f'{run_tag}{i}'.encode()).hexdigest()[:32]}"
        if kind.startswith("cmd "):
            text = {"cmd help": "help", "cmd pause": "pause", "cmd resume": "resume", "cmd unknown": "frobnicate"}[kind]
            fields = {
                "token": "verification_token",
                "team_id": TEAM_ID,
                "team_domain": "mentor-sandbox",
                "channel_id": "C0GENERAL",
                "channel_name": "general",
                "user_id": user_id,
                "user_name": user_id.lower(),
                "command": "/mentor",
                "text": text,
                "api_app_id": APP_ID,
                "is_enterprise_install": "false",
                "response_url": f"{sandbox_base}/response/commands-{run_tag}-{i}",
                "trigger_id": trigger_id,
            }
            plan.append(Planned(kind, urlencode(fields).encode(), "application/x-www-form-urlencoded"))
        elif kind.startswith("btn "):
            action_id = kind.split()[1]
            view = views.get(user_id) or next(iter(views.values()))
            payload = {
                "type": "block_actions",
                "user": {"id": user_id, "username": user_id.lower(), "name": user_id.lower(), "team_id": TEAM_ID},
                "api_app_id": APP_ID,
                "token": "verification_token",
                "container": {"type": "view", "view_id": view["id"]},
                "trigger_id": trigger_id,
                "team": {"id": TEAM_ID, "domain": "mentor-sandbox"},
                "enterprise": None,
                "is_enterprise_install": False,
                "view": view,
                "actions": [
                    {
                        "action_id": action_id,
                        "block_id": "home_buttons",
                        "text": {"type": "plain_text", "text": "Pause", "emoji": True},
                        "type": "button",
                        "action_ts": f"{time.time():.6f}",
                    }
                ],
            }
            body = urlencode({"payload": json.dumps(payload)}).encode()
            plan.append(Planned(kind, body, "application/x-www-form-urlencoded"))
        else:
            now = time.time()
            event: dict[str, Any] = {
                "type": "app_home_opened",
                "user": user_id,
                "channel": f"D{user_id[1:]}",
                "tab": "home",
                "event_ts": f"{now:.6f}",
            }
            if user_id in views:
                event["view"] = views[user_id]
            envelope = {
                "token": "verification_token",
                "team_id": TEAM_ID,
                "api_app_id": APP_ID,
                "event": event,
                "type": "event_callback",
                "event_id": f"Ev{run_tag}{i:08d}",
                "event_time": int(now),
                "authorizations": [
                    {
                        "enterprise_id": None,
                        "team_id": TEAM_ID,
                        "user_id": "U0MENTORBOT",
                        "is_bot": True,
                        "is_enterprise_install": False,
                    }
                ],
                "is_ext_shared_channel": False,
            }
            plan.append(Planned(kind, json.dumps(envelope).encode(), "application/json"))
    return plan


# ---------------------------------------------------------------------- the load generator


@dataclass
class Result:
    kind: str
    replica: int
    due: float
    sent: float
    done: float
    status: int  # HTTP status; 0 = timeout, -1 = connection error

    @property
    def latency_ms(self) -> float:
        return (self.done - self.due) * 1000


class _Pool:
    """Keep-alive connections to one replica (reused while fresh, opened on demand)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.idle: deque[tuple[asyncio.StreamReader, asyncio.StreamWriter, float]] = deque()
        self.opened = 0

    async def get(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        loop = asyncio.get_running_loop()
        while self.idle:
            reader, writer, last = self.idle.pop()
            if loop.time() - last < IDLE_REUSE and not writer.is_closing() and not reader.at_eof():
                return reader, writer
            writer.close()
        self.opened += 1
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return reader, writer

    def put(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.idle.append((reader, writer, asyncio.get_running_loop().time()))

    def close(self) -> None:
        while self.idle:
            self.idle.pop()[1].close()


def _sign(body: bytes, timestamp: str) -> str:
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(SIGNING_SECRET.encode(), base, hashlib.sha256).hexdigest()


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
    lines = head.split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name:
            headers[name.strip().lower()] = value.strip()
    reusable = headers.get("connection", "").lower() != "close"
    if "content-length" in headers:
        await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    else:
        await reader.read()
        reusable = False
    return status, reusable


async def _exchange(pool: _Pool, planned: Planned) -> int:
    reader, writer = await pool.get()
    try:
        timestamp = str(int(time.time()))
        head = (
            f"POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1:{pool.port}\r\n"
            f"User-Agent: Slackbot 1.0 (+https://api.slack.com/robots)\r\n"
            f"Content-Type: {planned.content_type}\r\nContent-Length: {len(planned.body)}\r\n"
            f"X-Slack-Request-Timestamp: {timestamp}\r\nX-Slack-Signature: {_sign(planned.body, timestamp)}\r\n\r\n"
        )
        writer.write(head.encode() + planned.body)
        await writer.drain()
        status, reusable = await _read_response(reader)
    except BaseException:
        writer.close()
        raise
    if reusable:
        pool.put(reader, writer)
    else:
        writer.close()
    return status


async def _one(pools: list[_Pool], index: int, planned: Planned, due: float, timeout: float) -> Result:
    loop = asyncio.get_running_loop()
    replica = index % len(pools)
    sent = loop.time()
    try:
        status = await asyncio.wait_for(_exchange(pools[replica], planned), timeout)
    except TimeoutError:
        status = 0
    except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError, IndexError):
        status = -1
    return Result(planned.kind, replica, due, sent, loop.time(), status)


@dataclass
class Sampler:
    """RSS (kB) and CPU ticks of each replica's gunicorn master and workers, every ``SAMPLE_EVERY`` seconds."""

    masters: list[int]
    samples: list[tuple[float, dict[str, int]]] = field(default_factory=list)
    labels: dict[int, str] = field(default_factory=dict)
    pids_seen: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))

    def processes(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for r, master in enumerate(self.masters):
            out[f"r{r} master"] = master
            for child in sorted(_children(master)):
                self.pids_seen[r].add(child)
                if child not in self.labels:
                    self.labels[child] = f"r{r} w{sum(1 for p in self.labels.values() if p.startswith(f'r{r} '))}"
                out[self.labels[child]] = child
        return out

    def sample(self, t: float) -> None:
        self.samples.append((t, {label: _rss_kb(pid) for label, pid in self.processes().items()}))

    def cpu_ticks(self) -> int:
        return sum(_cpu_ticks(pid) for pid in self.processes().values())

    async def run(self, start: float, stop: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        n = 0
        while True:
            self.sample(round(loop.time() - start, 1))
            n += 1
            try:
                await asyncio.wait_for(stop.wait(), max(0.0, start + n * SAMPLE_EVERY - loop.time()))
                break
            except TimeoutError:
                continue
        if loop.time() - start - self.samples[-1][0] >= 1.0:  # the end of the window, unless just sampled
            self.sample(round(loop.time() - start, 1))


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
        return [int(p) for p in text.split()]
    except OSError:
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
        return found


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _cpu_ticks(pid: int) -> int:
    try:
        fields_ = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return int(fields_[11]) + int(fields_[12])  # utime + stime
    except (OSError, IndexError, ValueError):
        return 0


async def run_load(
    ports: list[int], plan: list[Planned], rate: float, timeout: float, sampler: Sampler | None
) -> tuple[list[Result], float]:
    """Send ``plan`` open-loop at ``rate``/s round-robin over ``ports``; returns results and the window length."""
    loop = asyncio.get_running_loop()
    pools = [_Pool(port) for port in ports]
    start = loop.time() + 0.05
    stop = asyncio.Event()
    sampling = asyncio.create_task(sampler.run(start, stop)) if sampler else None
    tasks = []
    for i, planned in enumerate(plan):
        due = start + i / rate
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(_one(pools, i, planned, due, timeout)))
    results = await asyncio.gather(*tasks)
    window = loop.time() - start
    stop.set()
    if sampling:
        await sampling
    for pool in pools:
        pool.close()
    return list(results), window


# ---------------------------------------------------------------------- server processes


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_http(port: int, process: subprocess.Popen[bytes], log_path: Path, deadline: float) -> None:
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                return
        except urllib.error.HTTPError:
            return  # any HTTP answer means a worker is serving (the bare app has no /healthz)
        except OSError:
            if process.poll() is not None:
                raise RuntimeError(f"server on port {port} exited; log:\n{log_path.read_text()[-3000:]}") from None
            if time.time() > deadline:
                raise RuntimeError(
                    f"server on port {port} did not come up; log:\n{log_path.read_text()[-3000:]}"
                ) from None
            time.sleep(0.2)


@dataclass
class Servers:
    name: str
    ports: list[int]
    processes: list[subprocess.Popen[bytes]]
    logs: list[Path]

    def stop(self) -> list[int | None]:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        codes = []
        for process in self.processes:
            try:
                codes.append(process.wait(timeout=30))
            except subprocess.TimeoutExpired:
                process.kill()
                codes.append(process.wait())
        return codes


def start_servers(
    target: str, *, replicas: int, workers: int, env: dict[str, str], workdir: Path, log_level: str
) -> Servers:
    if target == "mentorbot":
        command = [sys.executable, "-m", "bot.cli", "run"]
    else:
        command = [sys.executable, str(ROOT / "bench" / "bare_bolt_app.py")]
    ports, processes, logs = [], [], []
    for r in range(replicas):
        port = _free_port()
        log_path = workdir / f"{target}-r{r}.log"
        child_env = {**env, "PORT": str(port), "WEB_CONCURRENCY": str(workers), "LOG_LEVEL": log_level}
        with log_path.open("wb") as log_file:
            processes.append(
                subprocess.Popen(command, cwd=workdir, env=child_env, stdout=log_file, stderr=subprocess.STDOUT)
            )
        ports.append(port)
        logs.append(log_path)
    deadline = time.time() + 90
    for port, process, log_path in zip(ports, processes, logs, strict=True):
        _wait_http(port, process, log_path, deadline)
    # gunicorn answers as soon as one worker is up: wait until every replica has all its workers
    while any(len(_children(p.pid)) < workers for p in processes) and time.time() < deadline:
        time.sleep(0.2)
    return Servers(target, ports, processes, logs)


# ---------------------------------------------------------------------- reporting


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(q / 100 * len(ordered) + 0.5)) - 1))]


@dataclass
class TargetReport:
    name: str
    results: list[Result]
    window: float
    sampler: Sampler
    cpu_seconds: float
    other_cpu: dict[str, float]
    loadavg: tuple[str, str]
    log_problems: Counter[str]
    exit_codes: list[int | None]
    warmup: list[Result] = field(default_factory=list)

    def latencies(self, kind: str | None = None) -> list[float]:
        """Latencies in ms; timeouts and connection errors count at their elapsed time (so they raise the tail)."""
        return [r.latency_ms for r in self.results if kind is None or r.kind == kind]

    def counts(self, results: list[Result] | None = None) -> dict[str, int]:
        c = Counter()
        for r in self.results if results is None else results:
            if r.status == 0:
                c["timeout"] += 1
            elif r.status < 0:
                c["conn error"] += 1
            else:
                c[f"{r.status // 100}xx"] += 1
        return c

    def max_lag_ms(self) -> float:
        return max((r.sent - r.due) * 1000 for r in self.results)

    def memory_growth(self) -> dict[str, tuple[int, int]]:
        """label -> (kB at the first sample >= 10 s, or the first; kB at the last sample)."""
        if not self.sampler.samples:
            return {}
        base = next((s for t, s in self.sampler.samples if t >= 10), self.sampler.samples[0][1])
        last = self.sampler.samples[-1][1]
        return {label: (base.get(label, 0), last.get(label, 0)) for label in last}


def _fmt(ms: float) -> str:
    return f"{ms:8.1f}"


def print_report(
    reports: list[TargetReport], args: argparse.Namespace, machine: dict[str, str], sandbox: dict[str, Any]
) -> None:
    out = print  # noqa: T201 - bench output
    out("\n" + "=" * 100)
    out(
        f"mentorbot load benchmark: {args.rate:g} requests/s for {args.duration:g} s, {args.replicas} replicas x "
        f"{args.workers} gunicorn gthread workers x {THREADS} threads, PostgreSQL, sandbox on loopback"
    )
    out(
        f"machine: nproc={machine['nproc']}  cpu={machine['cpu']}  python={machine['python']}  "
        f"load average at start={machine['loadavg']}"
    )
    out(f"command: {machine['command']}")
    out("latency = end of response - due time of the request (open loop: queueing included), ms;")
    out(f"a timeout (no answer within {args.timeout:g} s) is an error, counted at its elapsed time in percentiles\n")
    header = (
        f"{'target':<12}{'sent':>7}{'2xx':>7}{'4xx':>5}{'5xx':>5}{'t/o':>5}{'conn':>5}{'rps':>7}"
        f"{'p50':>8}{'p95':>8}{'p99':>8}{'max':>8}{'cpu s':>7}{'ms cpu/req':>11}{'gen lag':>9}{'loadavg':>16}"
    )
    out(header)
    out("-" * len(header))
    for rep in reports:
        lat = rep.latencies()
        c = rep.counts()
        done = sum(v for k, v in c.items() if k.endswith("xx"))
        out(
            f"{rep.name:<12}{len(rep.results):>7}{c['2xx']:>7}{c['4xx']:>5}{c['5xx']:>5}{c['timeout']:>5}"
            f"{c['conn error']:>5}{done / rep.window:>7.1f}{_fmt(_pct(lat, 50))}{_fmt(_pct(lat, 95))}"
            f"{_fmt(_pct(lat, 99))}{_fmt(max(lat, default=float('nan')))}{rep.cpu_seconds:>7.1f}"
            f"{rep.cpu_seconds * 1000 / max(1, len(rep.results)):>11.2f}{rep.max_lag_ms():>9.1f}"
            f"{rep.loadavg[0] + '->' + rep.loadavg[1]:>16}"
        )
    out("(cpu s: CPU time of all server processes in the window; gen lag: worst send delay of the generator)")
    for rep in reports:
        warm = ", ".join(f"{k}={v}" for k, v in sorted(rep.counts(rep.warmup).items())) or "none"
        out(f"  {rep.name} warm-up (not in the figures): {len(rep.warmup)} sent, {warm}")
    for rep in reports:
        other = ", ".join(f"{k} {v:.1f} s" for k, v in rep.other_cpu.items())
        out(f"  other CPU in the {rep.name} window: {other}")
    out("")
    out(f"p99 per {SAMPLE_EVERY:g} s of the window, ms (spikes point at the app or at other load on the machine)")
    for rep in reports:
        buckets: dict[int, list[float]] = defaultdict(list)
        first = min(r.due for r in rep.results)
        for r in rep.results:
            buckets[int((r.due - first) // SAMPLE_EVERY)].append(r.latency_ms)
        out(f"  {rep.name:<10}" + " ".join(f"{_pct(buckets[b], 99):6.0f}" for b in sorted(buckets)))
    out("")

    out("latency by request kind, ms (p50 / p99)")
    kinds = list(args.mix_weights or MIX)
    out(f"{'kind':<22}" + "".join(f"{rep.name + ' n':>12}{'p50':>8}{'p99':>8}" for rep in reports))
    for kind in kinds:
        row = f"{kind:<22}"
        for rep in reports:
            lat = rep.latencies(kind)
            row += f"{len(lat):>12}{_fmt(_pct(lat, 50))}{_fmt(_pct(lat, 99))}"
        out(row)

    for rep in reports:
        out(f"\nRSS of {rep.name} processes (MB), every {SAMPLE_EVERY:g} s")
        labels = sorted({label for _, s in rep.sampler.samples for label in s})
        out(f"{'t s':>6}" + "".join(f"{label:>11}" for label in labels))
        for t, sample in rep.sampler.samples:
            out(f"{t:>6.1f}" + "".join(f"{sample.get(label, 0) / 1024:>11.1f}" for label in labels))
        restarts = {r: len(p) - args.workers for r, p in rep.sampler.pids_seen.items() if len(p) > args.workers}
        if restarts:
            out(f"worker restarts during the window: {restarts}")
        problems = ", ".join(f"{k}={v}" for k, v in rep.log_problems.items()) or "none"
        out(f"log lines with Traceback/ERROR/CRITICAL: {problems}; exit codes after SIGTERM: {rep.exit_codes}")

    out("\nsandbox (Slack Web API calls made by the servers, both targets):")
    out("  " + (", ".join(f"{k}={v}" for k, v in sorted(sandbox.get("calls", {}).items())) or "none"))
    if sandbox.get("failed"):
        out("  failed: " + ", ".join(f"{k}={v}" for k, v in sorted(sandbox["failed"].items())))

    by_name = {rep.name: rep for rep in reports}
    if "mentorbot" in by_name:
        mb = by_name["mentorbot"]
        p99 = _pct(mb.latencies(), 99)
        c = mb.counts()
        growth = mb.memory_growth()
        worst = max(((last - base) / 1024 for base, last in growth.values()), default=0.0)
        flat = all(last - base <= max(4096, 0.03 * base) for base, last in growth.values())
        out("\ntargets (mentorbot)")
        out(f"  p99 ack < 100 ms at {args.rate:g}/s: {'PASS' if p99 < 100 else 'FAIL'} (p99 {p99:.1f} ms)")
        out(f"  no 5xx: {'PASS' if c['5xx'] == 0 else 'FAIL'} (5xx={c['5xx']}, timeouts={c['timeout']})")
        out(
            f"  memory flat (each process grows <= max(4 MB, 3%) from t=10 s to the end): "
            f"{'PASS' if flat else 'FAIL'} (worst growth {worst:+.1f} MB)"
        )
        if "bare" in by_name:
            bare = by_name["bare"]
            bare_p99 = _pct(bare.latencies(), 99)
            ratio = p99 / bare_p99 if bare_p99 else float("inf")
            cpu = mb.cpu_seconds / max(1, len(mb.results))
            bare_cpu = bare.cpu_seconds / max(1, len(bare.results))
            cpu_ratio = cpu / bare_cpu if bare_cpu else float("inf")
            out(
                f"  p99 within {P99_RATIO}x of the bare Bolt app: {'PASS' if ratio <= P99_RATIO else 'FAIL'} "
                f"({p99:.1f} / {bare_p99:.1f} ms = {ratio:.2f}x)"
            )
            out(
                f"  CPU per request within {CPU_RATIO:g}x of the bare Bolt app: "
                f"{'PASS' if cpu_ratio <= CPU_RATIO else 'FAIL'} "
                f"({cpu * 1000:.2f} / {bare_cpu * 1000:.2f} ms = {cpu_ratio:.2f}x)"
            )
            out(
                f"SUMMARY load {args.rate:g}/s for {args.duration:g} s: mentorbot p99 {p99:.1f} ms "
                f"vs bare {bare_p99:.1f} ms "
                f"= {ratio:.2f}x [<= {P99_RATIO}x: {'PASS' if ratio <= P99_RATIO else 'FAIL'}], CPU/request "
                f"{cpu * 1000:.2f} vs {bare_cpu * 1000:.2f} ms = {cpu_ratio:.2f}x "
                f"[<= {CPU_RATIO:g}x: {'PASS' if cpu_ratio <= CPU_RATIO else 'FAIL'}], 5xx={c['5xx']}, "
                f"timeouts={c['timeout']}, load average {mb.loadavg[0]}->{mb.loadavg[1]}"
            )


# ---------------------------------------------------------------------- saturation


def saturation(
    target: str, args: argparse.Namespace, env: dict[str, str], workdir: Path, people: list[Any], sandbox_base: str
) -> list[tuple[float, float, int, float, str]]:
    """Open-loop steps at rising rates against one target's replicas (started once).

    Each step: ``--step-warmup`` unmeasured seconds, then ``--step-duration`` measured seconds at that rate. A rate
    is sustained when p99 < 100 ms with no error. Stops after the first step that is not.

    Returns:
        (rate, p99 ms, errors, CPU ms per request, load average) per step.
    """
    servers = start_servers(
        target, replicas=args.replicas, workers=args.workers, env=env, workdir=workdir, log_level=args.log_level
    )
    steps = []
    try:
        rate = args.saturation_start
        while rate <= args.saturation_max:
            tag = uuid.uuid4().hex[:8].upper()
            warm = build_plan(int(rate * args.step_warmup), people, seed=args.seed + 1, run_tag=f"W{tag}",
                              sandbox_base=sandbox_base, mix=args.mix_weights)  # fmt: skip
            plan = build_plan(int(rate * args.step_duration), people, seed=args.seed, run_tag=f"S{tag}",
                              sandbox_base=sandbox_base, mix=args.mix_weights)  # fmt: skip
            if warm:
                asyncio.run(run_load(servers.ports, warm, rate, args.timeout, None))
            sampler = Sampler([p.pid for p in servers.processes])
            tick = os.sysconf("SC_CLK_TCK")
            cpu_before = sampler.cpu_ticks()
            results, _ = asyncio.run(run_load(servers.ports, plan, rate, args.timeout, None))
            cpu = (sampler.cpu_ticks() - cpu_before) / tick / max(1, len(results)) * 1000
            errors = sum(1 for r in results if r.status <= 0 or r.status >= 500)
            p99 = _pct([r.latency_ms for r in results], 99)
            steps.append((rate, p99, errors, cpu, _loadavg1()))
            print(  # noqa: T201 - progress
                f"  {target:<10} {rate:>6g}/s  p99 {p99:9.1f} ms  errors {errors:>5}  cpu {cpu:5.2f} ms/req  "
                f"load {_loadavg1()}",
                flush=True,
            )
            if p99 >= 100 or errors:
                break
            rate += args.saturation_step
            time.sleep(1.0)
    finally:
        servers.stop()
    return steps


def sustained(steps: list[tuple[float, float, int, float, str]]) -> float:
    """The highest rate of the steps with p99 < 100 ms and no error (0 if none)."""
    return max((rate for rate, p99, errors, _, _ in steps if p99 < 100 and not errors), default=0.0)


# ---------------------------------------------------------------------- profiling


def start_profiler(master_pid: int, seconds: float, out_dir: Path) -> subprocess.Popen[bytes] | None:
    spy = Path(sys.executable).with_name("py-spy")
    if not spy.exists():
        print("py-spy not installed in the venv: pip install py-spy (profile skipped)")  # noqa: T201
        return None
    out_dir.mkdir(parents=True, exist_ok=True)
    command = [
        str(spy), "record", "--pid", str(master_pid), "--subprocesses", "--nonblocking", "--gil", "--rate", "100",
        "--format", "raw", "--output", str(out_dir / "mentorbot-r0.txt"), "--duration", str(int(seconds)),
    ]  # fmt: skip
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=(out_dir / "py-spy.log").open("wb"))


def summarise_profile(path: Path, top: int = 30) -> None:
    """Print inclusive and self sample shares per function from py-spy's collapsed-stack output."""
    if not path.exists():
        print(f"no profile at {path}")  # noqa: T201
        return
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [f for f in stack.split(";") if not f.startswith(("process ", "thread "))]
        total += count
        for frame in set(frames):
            inclusive[frame] += count
        if frames:
            own[frames[-1]] += count
    print(f"\nprofile of one mentorbot replica ({total} samples of the GIL-holding thread, {path}):")  # noqa: T201
    print("top inclusive (share of samples with the function on the stack = share of Python CPU):")  # noqa: T201
    for frame, count in inclusive.most_common(top):
        print(f"  {100 * count / total:5.1f}%  {frame[:150]}")  # noqa: T201
    print("top self:")  # noqa: T201
    for frame, count in own.most_common(15):
        print(f"  {100 * count / total:5.1f}%  {frame[:150]}")  # noqa: T201


# ---------------------------------------------------------------------- main


def _machine(command: str) -> dict[str, str]:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    return {
        "nproc": str(os.cpu_count()),
        "cpu": cpu,
        "python": platform.python_version(),
        "loadavg": " ".join(Path("/proc/loadavg").read_text().split()[:3]),
        "command": command,
    }


def _pids_matching(text: str) -> list[int]:
    """Processes whose command line contains ``text`` (PostgreSQL backends show their database there)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if text.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def _loadavg1() -> str:
    return Path("/proc/loadavg").read_text().split()[0]


def _log_problems(paths: list[Path]) -> Counter[str]:
    c: Counter[str] = Counter()
    for path in paths:
        for line in path.read_text(errors="replace").splitlines():
            for word in ("Traceback", "ERROR", "CRITICAL"):
                if word in line:
                    c[word] += 1
    return c


def measure_target(
    target: str,
    args: argparse.Namespace,
    env: dict[str, str],
    workdir: Path,
    people: list[Any],
    sandbox_base: str,
    others: dict[str, Any],
) -> TargetReport:
    """Start the target's replicas, warm up, measure one window, stop them; ``others``: label -> pids callable."""
    servers = start_servers(
        target, replicas=args.replicas, workers=args.workers, env=env, workdir=workdir, log_level=args.log_level
    )
    try:
        tag = uuid.uuid4().hex[:8].upper()
        warm = build_plan(
            int(args.rate * args.warmup),
            people,
            seed=args.seed + 1,
            run_tag=f"W{tag}",
            sandbox_base=sandbox_base,
            mix=args.mix_weights,
        )
        plan = build_plan(
            int(args.rate * args.duration),
            people,
            seed=args.seed,
            run_tag=f"M{tag}",
            sandbox_base=sandbox_base,
            mix=args.mix_weights,
        )
        warm_results: list[Result] = []
        if warm:
            warm_results, _ = asyncio.run(run_load(servers.ports, warm, args.rate, args.timeout, None))
        time.sleep(0.5)
        sampler = Sampler([p.pid for p in servers.processes])
        profiler = None
        if target == "mentorbot" and args.profile:
            profiler = start_profiler(servers.processes[0].pid, args.duration, Path(args.profile))
            time.sleep(1.0)  # py-spy attaches before the window
        load_before = _loadavg1()
        tick = os.sysconf("SC_CLK_TCK")
        other_pids = {label: pids() for label, pids in others.items()}
        other_before = {label: sum(_cpu_ticks(p) for p in pids) for label, pids in other_pids.items()}
        cpu_before = sampler.cpu_ticks()
        results, window = asyncio.run(run_load(servers.ports, plan, args.rate, args.timeout, sampler))
        cpu_seconds = (sampler.cpu_ticks() - cpu_before) / tick
        other_cpu = {
            label: (sum(_cpu_ticks(p) for p in pids) - other_before[label]) / tick for label, pids in other_pids.items()
        }
        load_after = _loadavg1()
        if profiler is not None:
            profiler.wait(timeout=args.duration + 60)
    finally:
        codes = servers.stop()
    return TargetReport(
        target,
        results,
        window,
        sampler,
        cpu_seconds,
        other_cpu,
        (load_before, load_after),
        _log_problems(servers.logs),
        codes,
        warm_results,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=200, help="requests per second (default 200)")
    parser.add_argument("--duration", type=float, default=60, help="measured seconds per target (default 60)")
    parser.add_argument("--replicas", type=int, default=2, help="server processes per target (default 2)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per replica (default 2)")
    parser.add_argument("--quick", action="store_true", help="smoke check: 10 s at 50 requests/s")
    parser.add_argument("--warmup", type=float, default=3, help="unmeasured seconds at the same rate first")
    parser.add_argument("--people", type=int, default=200, help="participants seeded in the database")
    parser.add_argument("--seed", type=int, default=7, help="seed of the request mix")
    parser.add_argument("--timeout", type=float, default=5, help="client timeout per request, seconds")
    parser.add_argument("--targets", default="bare,mentorbot", help="which targets, in order (default bare,mentorbot)")
    parser.add_argument("--log-level", default="INFO", help="LOG_LEVEL of the servers (default INFO)")
    parser.add_argument("--profile", default=None, help="DIR: py-spy record one mentorbot replica into DIR")
    parser.add_argument("--keep-logs", default=None, help="DIR: copy the server logs there")
    parser.add_argument(
        "--mix",
        default=None,
        help="request mix as KIND=WEIGHT,... (kinds: " + ", ".join(k.replace(" ", "_") for k in MIX) + ")",
    )
    parser.add_argument(
        "--saturation",
        action="store_true",
        help="instead of one window: step the rate up per target and report the highest with p99 < 100 ms",
    )
    parser.add_argument("--saturation-start", type=float, default=100, help="first rate of --saturation (100)")
    parser.add_argument("--saturation-step", type=float, default=50, help="rate step of --saturation (50)")
    parser.add_argument("--saturation-max", type=float, default=1000, help="last rate tried by --saturation (1000)")
    parser.add_argument("--step-duration", type=float, default=15, help="measured seconds per step (15)")
    parser.add_argument("--step-warmup", type=float, default=3, help="unmeasured seconds before each step (3)")
    parser.add_argument("--sandbox-server", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.sandbox_server:
        return serve_sandbox()
    if args.quick:
        args.rate, args.duration = 50.0, 10.0
    args.mix_weights = None
    if args.mix:
        try:
            pairs = [item.split("=") for item in args.mix.split(",") if item.strip()]
            args.mix_weights = {k.strip().replace("_", " ", 1): float(w) for k, w in pairs}
        except ValueError:
            parser.error("--mix takes KIND=WEIGHT,...")
        if not set(args.mix_weights) <= set(MIX):
            parser.error(f"--mix kinds are {', '.join(k.replace(' ', '_') for k in MIX)}")
    targets = [t.strip() for t in args.targets.split(",") if t.strip()]
    if not set(targets) <= {"bare", "mentorbot"}:
        parser.error("--targets takes bare and/or mentorbot")
    machine = _machine("python bench/bench_load.py " + " ".join(sys.argv[1:]))
    print(f"machine: nproc={machine['nproc']} cpu={machine['cpu']} load average={machine['loadavg']}")  # noqa: T201

    database_url, db_name = create_database()
    sandbox_proc = None
    reports: list[TargetReport] = []
    sandbox_summary: dict[str, Any] = {}
    try:
        started = time.perf_counter()
        people = seed_people(database_url, args.people, args.seed)
        print(
            f"database {db_name}: migrated, {len(people)} participants seeded in {time.perf_counter() - started:.1f} s"
        )  # noqa: T201,E501
        with tempfile.TemporaryDirectory(prefix="mentorbot-load-") as tmp:
            workdir = Path(tmp)
            sandbox_proc = subprocess.Popen(
                [sys.executable, str(Path(__file__).resolve()), "--sandbox-server"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=(workdir / "sandbox.log").open("wb"),
                cwd=workdir,
                text=True,
            )
            assert sandbox_proc.stdout is not None and sandbox_proc.stdin is not None
            line = sandbox_proc.stdout.readline()
            if not line.startswith("SANDBOX "):
                raise RuntimeError(f"sandbox did not start: {(workdir / 'sandbox.log').read_text()[-2000:]}")
            sandbox_url = line.split()[1]
            sandbox_base = sandbox_url.removesuffix("/api/")
            env = {
                **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL", "COORDINATOR"))},
                "SLACK_BOT_TOKEN": BOT_TOKEN,
                "SLACK_SIGNING_SECRET": SIGNING_SECRET,
                "SLACK_API_URL": sandbox_url,
                "DATABASE_URL": database_url,
                "PYTHONPATH": str(ROOT),
            }
            if args.saturation:
                found = {}
                for target in targets:
                    print(f"saturation of {target}: from {args.saturation_start:g}/s by {args.saturation_step:g}/s, "
                          f"{args.step_duration:g} s per step", flush=True)  # noqa: T201  # fmt: skip
                    found[target] = saturation(target, args, env, workdir, people, sandbox_base)
                targets = []
                best = {t: sustained(steps) for t, steps in found.items()}
                if {"bare", "mentorbot"} <= set(best):
                    share = best["mentorbot"] / best["bare"] if best["bare"] else 0.0
                    loads = ", ".join(f"{t} {steps[0][4]}->{steps[-1][4]}" for t, steps in found.items() if steps)
                    print(  # noqa: T201
                        f"SUMMARY saturation (p99 < 100 ms, no error; {args.step_duration:g} s steps of "
                        f"{args.saturation_step:g}/s): bare {best['bare']:g}/s, mentorbot {best['mentorbot']:g}/s = "
                        f"{share:.0%} of bare [>= {SATURATION_SHARE:.0%}: "
                        f"{'PASS' if share >= SATURATION_SHARE else 'FAIL'}]; load average {loads}"
                    )
            for target in targets:
                print(f"measuring {target}: {args.rate:g}/s for {args.duration:g} s ...", flush=True)  # noqa: T201
                others = {
                    "sandbox": lambda: [sandbox_proc.pid],
                    "postgres": lambda: _pids_matching(db_name),
                    "load generator": lambda: [os.getpid()],
                }
                reports.append(measure_target(target, args, env, workdir, people, sandbox_base, others))
            sandbox_proc.stdin.close()
            for line in sandbox_proc.stdout:
                if line.startswith("SUMMARY "):
                    sandbox_summary = json.loads(line.removeprefix("SUMMARY "))
            sandbox_proc.wait(timeout=30)
            if args.keep_logs:
                keep = Path(args.keep_logs)
                keep.mkdir(parents=True, exist_ok=True)
                for path in workdir.glob("*.log"):
                    (keep / path.name).write_bytes(path.read_bytes())
    finally:
        if sandbox_proc is not None and sandbox_proc.poll() is None:
            sandbox_proc.kill()
        drop_database(db_name)
    if reports:
        print_report(reports, args, machine, sandbox_summary)
    if args.profile:
        summarise_profile(Path(args.profile) / "mentorbot-r0.txt")
    return 0


if __name__ == "__main__":
    sys.exit(main())
