"""Several dispatchers on one database send each due prompt exactly once (PostgreSQL processes, SQLite threads)."""

from __future__ import annotations

import multiprocessing
import threading
import time
from collections import Counter
from typing import Any

from sqlmodel import func, select

from bot.dispatch import Dispatcher
from bot.outbox import register_prompt_kind, schedule_prompt, unregister_prompt_kind
from bot.sandbox import SlackSandbox
from storage.models import ScheduledPrompt
from storage.vocab import PromptStatus
from tests.conftest import TEAM_ID, _reset_postgres
from tests.test_dispatch import KIND, T0, make_services, posted_keys, render_note


def _seed(database_url: str, api_url: str, count: int) -> None:
    services = make_services(database_url, api_url)
    with services.sessions() as session:
        for i in range(count):
            schedule_prompt(
                session=session,
                team_id=TEAM_ID,
                key=f"c:{i}",
                kind=KIND,
                due_at=T0,
                recipient_user_id=f"U0USER{i % 50:04d}",
                payload={"n": i},
            )
        session.commit()
    services.engine.dispose()


def _run_dispatcher(database_url: str, api_url: str, owner: str, start: Any, batch_size: int) -> int:
    """One dispatcher loop until the outbox is drained; returns how many prompts it sent."""
    register_prompt_kind(KIND, render_note)
    services = make_services(database_url, api_url)
    dispatcher = Dispatcher(services, owner=owner, batch_size=batch_size)
    start.wait(timeout=60)
    sent = idle = 0
    while idle < 3:
        report = dispatcher.tick(T0)
        sent += report.sent
        idle = idle + 1 if report.claimed == 0 else 0
        if report.claimed == 0:
            time.sleep(0.02)
    services.engine.dispose()
    return sent


def _process_main(database_url: str, api_url: str, owner: str, start: Any, results: Any) -> None:
    results.put((owner, _run_dispatcher(database_url, api_url, owner, start, 50)))


def _statuses(database_url: str, api_url: str) -> dict[str, int]:
    services = make_services(database_url, api_url)
    with services.sessions() as session:
        rows = session.exec(select(ScheduledPrompt.status, func.count()).group_by(ScheduledPrompt.status)).all()
    services.engine.dispose()
    return {str(status): int(n) for status, n in rows}


def test_two_processes_on_postgresql_send_2000_prompts_exactly_once(postgres_url: str, sandbox: SlackSandbox) -> None:
    _reset_postgres(postgres_url)
    _seed(postgres_url, sandbox.url, 2000)
    context = multiprocessing.get_context("spawn")  # the sandbox runs threads here: never fork
    start = context.Event()
    results = context.Queue()
    workers = [
        context.Process(target=_process_main, args=(postgres_url, sandbox.url, f"proc-{n}", start, results))
        for n in range(2)
    ]
    for worker in workers:
        worker.start()
    time.sleep(0.1)
    start.set()
    sent = dict(results.get(timeout=60) for _ in workers)
    for worker in workers:
        worker.join(timeout=30)
        assert worker.exitcode == 0

    keys = posted_keys(sandbox)
    assert len(keys) == 2000 and len(set(keys)) == 2000
    assert Counter(keys) == Counter(f"c:{i}" for i in range(2000))
    assert sum(sent.values()) == 2000
    assert all(n > 0 for n in sent.values()), sent  # both really took part
    assert _statuses(postgres_url, sandbox.url) == {PromptStatus.SENT: 2000}


def test_two_threads_on_one_sqlite_file_send_each_prompt_once(sqlite_url: str, sandbox: SlackSandbox) -> None:
    _seed(sqlite_url, sandbox.url, 600)
    start = threading.Event()
    sent: dict[str, int] = {}

    def run(owner: str) -> None:
        sent[owner] = _run_dispatcher(sqlite_url, sandbox.url, owner, start, 25)

    threads = [threading.Thread(target=run, args=(f"thread-{n}",)) for n in range(2)]
    try:
        for thread in threads:
            thread.start()
        start.set()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        unregister_prompt_kind(KIND)
    keys = posted_keys(sandbox)
    assert Counter(keys) == Counter(f"c:{i}" for i in range(600))
    assert sum(sent.values()) == 600 and all(n > 0 for n in sent.values()), sent
    assert _statuses(sqlite_url, sandbox.url) == {PromptStatus.SENT: 600}
