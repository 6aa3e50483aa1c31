"""Outbox dispatcher benchmark: 10,000 due prompts through the dispatcher against the Slack sandbox.

    python bench/bench_dispatch.py              # SQLite file, and PostgreSQL if reachable
    python bench/bench_dispatch.py -n 2000      # fewer prompts

For each database: prompts per second through ``Dispatcher.tick`` (claim, render, chat.postMessage with the key in
metadata, mark sent), with one dispatcher and with two (threads sharing nothing but the database), and the extra
time per prompt over the raw cost of the Slack calls, measured by calling ``chat_postMessage`` N times directly
with the same WebClient against a fresh sandbox (same channels, same metadata) from as many threads as there are
dispatchers: two dispatchers overlap their Slack calls, and so do two raw senders. Every run checks that each
prompt arrived exactly once. Also reported: database statements per prompt (every cursor execute, counted on the
engine) and CPU time per prompt over the raw run's (steadier than wall time on a shared machine).
PostgreSQL: ``MENTORBOT_TEST_PG`` (default postgresql://postgres@127.0.0.1:5432/test); a scratch database is
created and dropped.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import event

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.app import build_client  # noqa: E402
from bot.config import load_settings  # noqa: E402
from bot.dispatch import Dispatcher, DispatchReport  # noqa: E402
from bot.outbox import Outgoing, register_prompt_kind  # noqa: E402
from bot.sandbox import SlackSandbox  # noqa: E402
from bot.services import Services  # noqa: E402
from storage.db import make_engine, session_factory  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.outbox import insert_prompt  # noqa: E402

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
USERS = 200
PG_ADMIN_URL = os.environ.get("MENTORBOT_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


def render(services, session, prompt, now):  # type: ignore[no-untyped-def]
    return Outgoing(channel=prompt.recipient_user_id, text=f"Time for check-in {prompt.payload['n']}")


register_prompt_kind("bench.checkin", render)


def services_for(database_url: str, sandbox: SlackSandbox) -> Services:
    settings = load_settings(
        {"SLACK_BOT_TOKEN": "xoxb-bench", "SLACK_API_URL": sandbox.url, "DATABASE_URL": database_url},
        require_slack=False,
    )
    engine = make_engine(database_url)
    return Services(settings=settings, engine=engine, sessions=session_factory(engine), client=build_client(settings))


def seed(services: Services, n: int) -> float:
    started = time.perf_counter()
    with services.sessions() as session:
        for i in range(n):
            insert_prompt(
                session=session,
                team_id="T0BENCH",
                key=f"bench:{i}",
                kind="bench.checkin",
                due_at=NOW,
                recipient_user_id=f"U0B{i % USERS:07d}",
                payload={"n": i},
            )
        session.commit()
    return time.perf_counter() - started


def raw_cost(n: int, threads: int) -> tuple[float, float]:
    """(seconds, CPU seconds) for n direct chat_postMessage calls from ``threads`` threads (the floor)."""
    with SlackSandbox() as sandbox:
        settings = load_settings({"SLACK_BOT_TOKEN": "xoxb-bench", "SLACK_API_URL": sandbox.url}, require_slack=False)
        client = build_client(settings)
        channels = [sandbox.dm_channel_id(f"U0B{u:07d}") for u in range(USERS)]

        def send(part: range) -> None:
            for i in part:
                client.chat_postMessage(
                    channel=channels[i % USERS],
                    text=f"Time for check-in {i}",
                    metadata={"event_type": "mentorbot_prompt", "event_payload": {"key": f"bench:{i}"}},
                )

        started, cpu = time.perf_counter(), time.process_time()
        workers = [threading.Thread(target=send, args=(range(t, n, threads),)) for t in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        assert len(sandbox.calls_for("chat.postMessage")) == n
    return elapsed, cpu


def dispatch(database_url: str, n: int, workers: int) -> tuple[float, float, float, int]:
    """(seed seconds, dispatch seconds, CPU seconds, statements) for n prompts with ``workers`` dispatchers,
    checked exactly once."""
    with SlackSandbox() as sandbox:
        services = services_for(database_url, sandbox)
        upgrade(services.engine)
        seeded = seed(services, n)
        totals: list[DispatchReport] = []
        statements = [0]

        def run(owner: str) -> None:
            own = services_for(database_url, sandbox)

            @event.listens_for(own.engine, "before_cursor_execute")
            def count(*_: object) -> None:
                statements[0] += 1

            totals.append(Dispatcher(own, owner=owner, batch_size=100).run_until_idle(NOW))
            own.engine.dispose()

        started, cpu = time.perf_counter(), time.process_time()
        threads = [threading.Thread(target=run, args=(f"bench-{w}",)) for w in range(workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        keys = [c.args["metadata"]["event_payload"]["key"] for c in sandbox.calls_for("chat.postMessage")]
        assert len(keys) == n and len(set(keys)) == n, (len(keys), len(set(keys)))
        assert sum(t.sent for t in totals) == n
        services.engine.dispose()
    return seeded, elapsed, cpu, statements[0]


def scratch_postgres() -> tuple[str, str] | None:
    try:
        import psycopg
        from sqlalchemy.engine import make_url

        name = f"mentorbot_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False), name
    except Exception as exc:  # noqa: BLE001 - report and go on without PostgreSQL
        print(f"PostgreSQL skipped: {type(exc).__name__}")
        return None


def drop_postgres(name: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=10_000, help="prompts per run (default 10,000)")
    args = parser.parse_args()
    n = args.n

    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    raw = {threads: raw_cost(n, threads) for threads in (1, 2)}
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for workers in (1, 2):
            url = f"sqlite:///{Path(tmp) / f'bench-{workers}.db'}"
            rows.append(("sqlite", workers, *dispatch(url, n, workers)))
    pg = scratch_postgres()
    if pg is not None:
        url, name = pg
        try:
            for workers in (1, 2):
                from sqlalchemy import text

                engine = make_engine(url)
                with engine.begin() as conn:
                    conn.execute(text("DROP SCHEMA public CASCADE"))
                    conn.execute(text("CREATE SCHEMA public"))
                engine.dispose()
                rows.append(("postgresql", workers, *dispatch(url, n, workers)))
        finally:
            drop_postgres(name)

    end_load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    print(f"\n{n:,} prompts, {USERS} recipients, batch 100, sandbox on loopback, {os.cpu_count()} cores")
    print(f"load average {load} at the start, {end_load} at the end\n")
    header = (
        f"{'run':<22}{'db':<12}{'workers':>8}{'seed s':>8}{'total s':>9}{'prompts/s':>10}"
        f"{'extra ms/prompt':>16}{'extra CPU ms':>13}{'statements/prompt':>18}"
    )
    print(header)
    print("-" * len(header))
    for threads, (elapsed, _cpu) in raw.items():
        print(f"{'raw chat_postMessage':<22}{'-':<12}{threads:>8}{'-':>8}{elapsed:>9.2f}{n / elapsed:>10.0f}{'-':>16}")
    extra: dict[tuple[str, int], float] = {}
    for db, workers, seeded, elapsed, cpu, statements in rows:
        raw_elapsed, raw_cpu = raw[workers]
        extra[(db, workers)] = (elapsed - raw_elapsed) / n * 1000
        print(
            f"{'dispatcher':<22}{db:<12}{workers:>8}{seeded:>8.2f}{elapsed:>9.2f}{n / elapsed:>10.0f}"
            f"{extra[(db, workers)]:>16.2f}{(cpu - raw_cpu) / n * 1000:>13.2f}{statements / n:>18.3f}"
        )
    print(
        "\nextra ms/prompt = (dispatcher total - raw total with as many threads) / n: claim, render, DM lookup, "
        "mark sent.\nstatements/prompt: database statements (cursor executes, pool pings included) per prompt."
    )
    parts = []
    for db, target in (("postgresql", 1.0), ("sqlite", 0.5)):
        if (db, 2) in extra:
            value = extra[(db, 2)]
            parts.append(f"{db} +{value:.2f} ms/prompt [< {target:g}: {'PASS' if value < target else 'FAIL'}]")
    print(
        f"SUMMARY dispatcher, {n:,} prompts, 2 workers, over the raw Slack call with 2 threads "
        f"({raw[2][0] / n * 1000:.2f} ms/prompt): " + "; ".join(parts) + "; every prompt exactly once: PASS"
    )


if __name__ == "__main__":
    main()
