"""Three dispatcher replicas on one PostgreSQL database; one is SIGKILLed mid-batch: every prompt arrives once."""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.dispatch import Dispatcher
from bot.outbox import register_prompt_kind, schedule_prompt
from bot.sandbox import SlackSandbox
from storage.types import utcnow
from storage.vocab import PromptStatus
from tests.conftest import TEAM_ID, _reset_postgres
from tests.test_dispatch import KIND, make_services, posted_keys, render_note
from tests.test_dispatch_concurrency import _statuses

PROMPTS = 5000
LEASE = timedelta(seconds=3)


def _replica(database_url: str, api_url: str, owner: str, start: Any) -> None:
    """A replica's scheduler loop on the real clock, until the outbox has been idle for a while."""
    register_prompt_kind(KIND, render_note)
    services = make_services(database_url, api_url)
    services.clock = utcnow  # the real clock: leases of the killed replica really run out
    dispatcher = Dispatcher(services, owner=owner, batch_size=50, lease=LEASE)
    start.wait(timeout=60)
    idle_since = None
    while True:
        report = dispatcher.tick()
        if report.claimed:
            idle_since = None
            continue
        idle_since = idle_since or time.monotonic()
        if time.monotonic() - idle_since > LEASE.total_seconds() * 3:  # outlive every lease a dead replica held
            break
        time.sleep(0.1)
    services.engine.dispose()


def test_three_replicas_one_killed_mid_batch_send_each_prompt_exactly_once(
    postgres_url: str, sandbox: SlackSandbox
) -> None:
    _reset_postgres(postgres_url)
    services = make_services(postgres_url, sandbox.url)
    due = datetime.now(UTC) - timedelta(minutes=1)
    with services.sessions() as session:
        for i in range(PROMPTS):
            schedule_prompt(
                session=session,
                team_id=TEAM_ID,
                key=f"r:{i}",
                kind=KIND,
                due_at=due,
                recipient_user_id=f"U0USER{i % 500:04d}",
                payload={"n": i},
            )
        session.commit()
    services.engine.dispose()

    context = multiprocessing.get_context("spawn")  # the sandbox runs threads in this process: never fork
    start = context.Event()
    replicas = [
        context.Process(target=_replica, args=(postgres_url, sandbox.url, f"replica-{n}", start)) for n in range(3)
    ]
    for replica in replicas:
        replica.start()
    start.set()
    deadline = time.time() + 60
    while len(sandbox.calls_for("chat.postMessage")) < PROMPTS // 5 and time.time() < deadline:
        time.sleep(0.01)
    victim = replicas[0]
    assert victim.pid is not None and victim.is_alive(), "replica 0 finished before it could be killed"
    os.kill(victim.pid, signal.SIGKILL)  # in the middle of a batch: its leases stay behind
    victim.join(timeout=10)
    for replica in replicas[1:]:
        replica.join(timeout=120)
        assert replica.exitcode == 0

    keys = posted_keys(sandbox)
    assert Counter(keys) == Counter(f"r:{i}" for i in range(PROMPTS)), {k: n for k, n in Counter(keys).items() if n > 1}
    assert _statuses(postgres_url, sandbox.url) == {PromptStatus.SENT: PROMPTS}
    assert victim.exitcode == -signal.SIGKILL
