"""Outbox dispatcher benchmark: 10,000 due prompts through the dispatcher against the Slack sandbox.

    python bench/bench_dispatch.py              # SQLite file, and PostgreSQL if reachable
    python bench/bench_dispatch.py -n 2000      # fewer prompts

For each database: prompts per second through ``Dispatcher.tick`` (claim, render, chat.postMessage with the key in
metadata, mark sent), with one dispatcher and with two (threads sharing nothing but the database), and the extra
time per prompt over the raw cost of the Slack calls, measured by calling ``chat_postMessage`` N times directly
with the same WebClient against a fresh sandbox (same channels, same metadata).
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


def raw_cost(n: int) -> float:
    """Seconds for n direct chat_postMessage calls (the floor the dispatcher cannot go under)."""
    with SlackSandbox() as sandbox:
        settings = load_settings({"SLACK_BOT_TOKEN": "xoxb-bench", "SLACK_API_URL": sandbox.url}, require_slack=False)
        client = build_client(settings)
        channels = [sandbox.dm_channel_id(f"U0B{u:07d}") for u in range(USERS)]
        started = time.perf_counter()
        for i in range(n):
            client.chat_postMessage(
                channel=channels[i % USERS],
                text=f"Time for check-in {i}",
                metadata={"event_type": "mentorbot_prompt", "event_payload": {"key": f"bench:{i}"}},
            )
        elapsed = time.perf_counter() - started
        assert len(sandbox.calls_for("chat.postMessage")) == n
    return elapsed


def dispatch(database_url: str, n: int, workers: int) -> tuple[float, float]:
    """(seed seconds, dispatch seconds) for n prompts with ``workers`` dispatchers, checked exactly once."""
    with SlackSandbox() as sandbox:
        services = services_for(database_url, sandbox)
        upgrade(services.engine)
        seeded = seed(services, n)
        totals: list[DispatchReport] = []

        def run(owner: str) -> None:
            own = services_for(database_url, sandbox)
            totals.append(Dispatcher(own, owner=owner, batch_size=100).run_until_idle(NOW))
            own.engine.dispose()

        started = time.perf_counter()
        threads = [threading.Thread(target=run, args=(f"bench-{w}",)) for w in range(workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
        keys = [c.args["metadata"]["event_payload"]["key"] for c in sandbox.calls_for("chat.postMessage")]
        assert len(keys) == n and len(set(keys)) == n, (len(keys), len(set(keys)))
        assert sum(t.sent for t in totals) == n
        services.engine.dispose()
    return seeded, elapsed


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

    raw = raw_cost(n)
    rows = [("raw chat_postMessage", "-", 1, None, raw)]
    with tempfile.TemporaryDirectory() as tmp:
        for workers in (1, 2):
            url = f"sqlite:///{Path(tmp) / f'bench-{workers}.db'}"
            seeded, elapsed = dispatch(url, n, workers)
            rows.append(("dispatcher", "sqlite", workers, seeded, elapsed))
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
                seeded, elapsed = dispatch(url, n, workers)
                rows.append(("dispatcher", "postgresql", workers, seeded, elapsed))
        finally:
            drop_postgres(name)

    print(f"\n{n:,} prompts, {USERS} recipients, batch 100, sandbox on loopback, {os.cpu_count()} cores\n")
    header = f"{'run':<22}{'db':<12}{'workers':>8}{'seed s':>9}{'total s':>9}{'prompts/s':>11}{'ms/prompt':>11}"
    print(header + f"{'extra ms/prompt':>17}")
    print("-" * (len(header) + 17))
    for run, db, workers, seeded, elapsed in rows:
        per = elapsed / n * 1000
        extra = "-" if run.startswith("raw") else f"{(elapsed - raw) / n * 1000:.2f}"
        seed_col = "-" if seeded is None else f"{seeded:.2f}"
        print(f"{run:<22}{db:<12}{workers:>8}{seed_col:>9}{elapsed:>9.2f}{n / elapsed:>11.0f}{per:>11.2f}{extra:>17}")
    print("\nextra ms/prompt = (dispatcher total - raw total) / n: claim, render, DM lookup, mark-sent commit.")


if __name__ == "__main__":
    main()
