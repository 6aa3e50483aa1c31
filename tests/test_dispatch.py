"""The dispatcher through the real WebClient against the Slack sandbox, with an injected clock."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from slack_sdk import WebClient
from sqlmodel import Session, select

from bot.app import build_client
from bot.config import load_settings
from bot.dispatch import JOB_ID, Dispatcher, DispatchMetrics, shutdown, start_scheduler
from bot.outbox import Outgoing, register_prompt_kind, schedule_prompt, unregister_prompt_kind
from bot.sandbox import SlackSandbox
from bot.services import Services
from storage import outbox as store
from storage.db import make_engine, session_factory
from storage.migrate import upgrade
from storage.models import ScheduledPrompt
from storage.vocab import PromptStatus
from tests.conftest import BOT_TOKEN, SIGNING_SECRET, TEAM_ID

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
KIND = "test.note"
MENTEE = "U0MENTEE01"


def make_services(database_url: str, sandbox: SlackSandbox | str, *, timeout: int = 10) -> Services:
    """Services like the app's: the real WebClient (with its retry handlers) pointed at the sandbox (or its URL)."""
    settings = load_settings(
        {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": sandbox if isinstance(sandbox, str) else sandbox.url,
            "DATABASE_URL": database_url,
        }
    )
    engine = make_engine(database_url)
    upgrade(engine)
    return Services(
        settings=settings,
        engine=engine,
        sessions=session_factory(engine),
        client=build_client(settings, timeout=timeout),
        clock=lambda: T0,
    )


def render_note(services: Services, session: Session, prompt: ScheduledPrompt, now: datetime) -> Outgoing | None:
    """Test renderer: DM the recipient (or post to the row's channel) the payload's text; None skips."""
    if prompt.payload.get("skip"):
        return None
    if prompt.payload.get("boom"):
        raise RuntimeError("secret survey text must not be logged")
    target = prompt.channel_id or prompt.recipient_user_id or ""
    return Outgoing(channel=target, text=f"note {prompt.payload.get('n')}")


def posted_keys(sandbox: SlackSandbox) -> list[str]:
    """The idempotency keys carried by every chat.postMessage that reached the sandbox."""
    return [c.args["metadata"]["event_payload"]["key"] for c in sandbox.calls_for("chat.postMessage")]


def add_prompts(services: Services, count: int, *, due: datetime = T0, prefix: str = "p", **kw: object) -> None:
    with services.sessions() as session:
        for i in range(count):
            schedule_prompt(
                session=session,
                team_id=TEAM_ID,
                key=f"{prefix}:{i}",
                kind=KIND,
                due_at=due,
                recipient_user_id=kw.get("user", f"U0USER{i % 7:04d}"),  # type: ignore[arg-type]
                channel_id=kw.get("channel"),  # type: ignore[arg-type]
                pair_id=kw.get("pair_id", i),  # type: ignore[arg-type]
                payload={"n": i, **kw.get("payload", {})},  # type: ignore[dict-item]
            )
        session.commit()


def rows(services: Services) -> dict[str, ScheduledPrompt]:
    with services.sessions() as session:
        return {r.idempotency_key: r for r in session.exec(select(ScheduledPrompt)).all()}


@pytest.fixture
def kind() -> Iterator[list[int]]:
    """Registers the test kind; the list collects prompt ids seen by its after_send hook."""
    after: list[int] = []

    def after_send(services: Services, session: Session, prompt: ScheduledPrompt, now: datetime) -> None:
        assert prompt.status == PromptStatus.SENT
        after.append(prompt.id or 0)
        if prompt.payload.get("chain"):  # schedules the next one, as a check-in does
            schedule_prompt(
                session=session,
                team_id=prompt.team_id,
                key=f"{prompt.idempotency_key}:next",
                kind=KIND,
                due_at=now + timedelta(days=14),
                recipient_user_id=prompt.recipient_user_id,
                payload={"n": "next"},
            )

    register_prompt_kind(KIND, render_note, after_send=after_send)
    yield after
    unregister_prompt_kind(KIND)


@pytest.fixture
def services(sqlite_url: str, sandbox: SlackSandbox) -> Iterator[Services]:
    svc = make_services(sqlite_url, sandbox, timeout=1)
    yield svc
    svc.engine.dispose()


def test_due_prompts_reach_slack_once_with_their_key(
    services: Services, sandbox: SlackSandbox, kind: list[int]
) -> None:
    add_prompts(services, 3, user=MENTEE)
    add_prompts(services, 1, prefix="chan", channel="C0PROGRAM1", pair_id=99)
    report = Dispatcher(services).tick(T0)
    assert (report.sent, report.failed, report.retried, report.skipped) == (4, 0, 0, 0)

    dm = sandbox.messages_to(MENTEE)
    assert [m["text"] for m in dm] == ["note 0", "note 1", "note 2"]
    assert [m["metadata"] for m in dm] == [
        {"event_type": "mentorbot_prompt", "event_payload": {"key": f"p:{i}"}} for i in range(3)
    ]
    assert [m["text"] for m in sandbox.messages_in("C0PROGRAM1")] == ["note 0"]
    # One conversations.open for the person, then the cached DM channel.
    assert len(sandbox.calls_for("conversations.open")) == 1
    stored = rows(services)
    assert stored["p:1"].status == PromptStatus.SENT and stored["p:1"].sent_at == T0
    assert (stored["p:1"].sent_channel, stored["p:1"].sent_ts) == (dm[1]["channel"], dm[1]["ts"])
    assert stored["chan:0"].sent_channel == "C0PROGRAM1"
    assert sorted(kind) == sorted(r.id for r in stored.values())  # after_send once each

    again = Dispatcher(services).tick(T0 + timedelta(days=1))
    assert again.claimed == 0 and len(sandbox.calls_for("chat.postMessage")) == 4


def test_not_due_cancelled_and_skipped_are_not_sent(services: Services, sandbox: SlackSandbox, kind: list[int]) -> None:
    add_prompts(services, 2, prefix="later", due=T0 + timedelta(minutes=1), user=MENTEE)
    add_prompts(services, 1, prefix="cancel", user=MENTEE, pair_id=42)
    add_prompts(services, 1, prefix="skip", user=MENTEE, payload={"skip": True}, pair_id=43)
    add_prompts(services, 1, prefix="chain", user=MENTEE, payload={"chain": True}, pair_id=44)
    with services.sessions() as session:
        from bot.outbox import cancel_prompts

        assert cancel_prompts(session=session, team_id=TEAM_ID, pair_id=42, now=T0) == 1
        session.commit()

    report = Dispatcher(services).tick(T0)
    assert (report.sent, report.skipped) == (1, 1)
    assert posted_keys(sandbox) == ["chain:0"]
    stored = rows(services)
    assert {k: r.status for k, r in stored.items()} == {
        "later:0": PromptStatus.PENDING,
        "later:1": PromptStatus.PENDING,
        "cancel:0": PromptStatus.CANCELLED,
        "skip:0": PromptStatus.SKIPPED,
        "chain:0": PromptStatus.SENT,
        "chain:0:next": PromptStatus.PENDING,
    }
    assert kind == [stored["chain:0"].id]
    assert stored["chain:0:next"].due_at == T0 + timedelta(days=14)

    Dispatcher(services).tick(T0 + timedelta(minutes=1))
    assert sorted(posted_keys(sandbox)) == ["chain:0", "later:0", "later:1"]
    Dispatcher(services).tick(T0 + timedelta(days=14))
    assert posted_keys(sandbox)[-1] == "chain:0:next"
    assert len(kind) == 4  # chain:0, later:0, later:1, chain:0:next: once each


def test_storm_of_429_5xx_and_timeouts_loses_nothing_and_sends_each_once(
    services: Services, sandbox: SlackSandbox, kind: list[int]
) -> None:
    add_prompts(services, 50)
    dispatcher = Dispatcher(services, backoff_base=timedelta(seconds=30))
    # Six 429s exhaust the WebClient's five retries: the first prompt is put back, the batch handed back.
    sandbox.fail_next("chat.postMessage", status=429, retry_after=0, count=6)
    first = dispatcher.tick(T0)
    assert (first.retried, first.sent, first.released) == (1, 0, 49)
    stored = rows(services)
    assert stored["p:0"].status == PromptStatus.PENDING and stored["p:0"].attempts == 1
    assert T0 + timedelta(seconds=15) <= stored["p:0"].next_attempt_at <= T0 + timedelta(seconds=30)  # type: ignore[operator]
    assert "ratelimited" in stored["p:0"].last_error
    assert all(r.status == PromptStatus.PENDING and r.lease_owner is None for r in stored.values())

    # A 502 (not retried by the WebClient), two 500s (retried by it) and a timeout, which the WebClient does
    # not retry for chat.postMessage (Slack may have posted it): the dispatcher retries after a history check.
    sandbox.fail_next("chat.postMessage", status=502, count=1)
    sandbox.fail_next("chat.postMessage", status=500, count=2)
    sandbox.delay_next("chat.postMessage", 1.6, count=1)
    second = dispatcher.tick(T0 + timedelta(seconds=5))
    assert (second.sent, second.retried, second.failed) == (47, 2, 0)
    assert rows(services)["p:1"].attempts == 1 and "http_502" in rows(services)["p:1"].last_error

    assert dispatcher.tick(T0 + timedelta(seconds=10)).claimed == 0  # both still backing off
    third = dispatcher.tick(T0 + timedelta(minutes=5))
    assert (third.sent, third.recovered) == (3, 0)
    # Re-sends of rows that failed before look at the channel history first.
    assert len(sandbox.calls_for("conversations.history")) == 3

    keys = posted_keys(sandbox)
    assert len(keys) == 50 and Counter(keys) == Counter(f"p:{i}" for i in range(50))
    assert all(r.status == PromptStatus.SENT for r in rows(services).values())
    assert len(kind) == 50
    deadline = time.time() + 10  # the abandoned (timed-out) request is recorded when its delay ends
    while not any(a.injected and a.status == 0 for a in sandbox.attempts) and time.time() < deadline:
        time.sleep(0.05)
    injected = [a for a in sandbox.attempts if a.injected]
    assert Counter(a.status for a in injected) == Counter({429: 6, 502: 1, 500: 2, 0: 1})


def test_retry_after_is_honoured_and_max_attempts_fails(sqlite_url: str, sandbox: SlackSandbox, kind: list) -> None:
    services = make_services(sqlite_url, sandbox)
    # A WebClient without retry handlers so the 429's Retry-After reaches the dispatcher at once.
    services.client = WebClient(base_url=sandbox.url, token=BOT_TOKEN, timeout=5)
    add_prompts(services, 1, user=MENTEE)
    dispatcher = Dispatcher(services, max_attempts=3, backoff_base=timedelta(seconds=10))
    sandbox.fail_next("chat.postMessage", status=429, retry_after=600, count=1)
    assert dispatcher.tick(T0).retried == 1
    row = rows(services)["p:0"]
    assert row.next_attempt_at is not None and row.next_attempt_at >= T0 + timedelta(seconds=600)

    sandbox.fail_next("chat.postMessage", status=502, count=5)
    assert dispatcher.tick(T0 + timedelta(seconds=599)).claimed == 0
    assert dispatcher.tick(T0 + timedelta(seconds=601)).retried == 1
    report = dispatcher.tick(T0 + timedelta(hours=1))
    assert report.failed == 1
    row = rows(services)["p:0"]
    assert (row.status, row.attempts) == (PromptStatus.FAILED, 3) and "http_502" in row.last_error
    assert dispatcher.tick(T0 + timedelta(days=1)).claimed == 0
    assert sandbox.calls_for("chat.postMessage") == []
    services.engine.dispose()


def test_errors_that_cannot_succeed_fail_at_once(services: Services, sandbox: SlackSandbox, kind: list) -> None:
    add_prompts(services, 2, channel="C0ARCHIVED")
    sandbox.fail_next("chat.postMessage", status=200, error="is_archived", count=1)
    report = Dispatcher(services).tick(T0)
    assert (report.failed, report.sent) == (1, 1)
    stored = rows(services)
    assert (stored["p:0"].status, stored["p:0"].last_error) == (PromptStatus.FAILED, "slack: is_archived")
    assert posted_keys(sandbox) == ["p:1"]


def test_a_renderer_that_raises_is_retried_and_never_kills_the_tick(
    services: Services, sandbox: SlackSandbox, kind: list, caplog: pytest.LogCaptureFixture
) -> None:
    add_prompts(services, 1, prefix="bad", payload={"boom": True})
    add_prompts(services, 2, prefix="good")
    report = Dispatcher(services, max_attempts=2).tick(T0)
    assert (report.sent, report.retried) == (2, 1)
    bad = rows(services)["bad:0"]
    assert bad.status == PromptStatus.PENDING and bad.attempts == 1 and "RuntimeError" in bad.last_error
    assert "secret survey text" not in caplog.text and "secret survey text" not in bad.last_error
    assert "RuntimeError" in caplog.text
    assert Dispatcher(services, max_attempts=2).tick(T0 + timedelta(hours=1)).failed == 1
    assert sorted(posted_keys(sandbox)) == ["good:0", "good:1"]


def test_unknown_kind_waits_for_its_renderer(services: Services, sandbox: SlackSandbox) -> None:
    add_prompts(services, 1, user=MENTEE)
    assert Dispatcher(services).tick(T0).retried == 1
    register_prompt_kind(KIND, render_note)
    try:
        assert Dispatcher(services).tick(T0 + timedelta(hours=1)).sent == 1
    finally:
        unregister_prompt_kind(KIND)
    assert posted_keys(sandbox) == ["p:0"]


def test_crashed_dispatcher_leases_are_recovered_after_expiry(
    services: Services, sandbox: SlackSandbox, kind: list
) -> None:
    add_prompts(services, 10, user=MENTEE)
    lease = timedelta(minutes=5)
    with services.sessions() as session:  # a dispatcher leases the batch, then dies
        claimed = store.claim_due(session=session, owner="crashed-host:1", now=T0, lease=lease)
    assert len(claimed) == 10
    # It had posted the first three before dying (between Slack and its commit).
    client = services.client
    dm = client.conversations_open(users=MENTEE)["channel"]["id"]
    for claim in claimed[:3]:
        key = claim.prompt.idempotency_key
        meta = {"event_type": "mentorbot_prompt", "event_payload": {"key": key}}
        client.chat_postMessage(channel=dm, text="note (before crash)", metadata=meta)

    other = Dispatcher(services, owner="other-host:2", lease=lease)
    assert other.tick(T0 + timedelta(minutes=4)).claimed == 0  # the lease still holds
    report = other.tick(T0 + timedelta(minutes=6))
    assert (report.claimed, report.sent, report.recovered) == (10, 10, 3)
    keys = posted_keys(sandbox)
    assert Counter(keys) == Counter(f"p:{i}" for i in range(10))  # none twice
    stored = rows(services)
    assert all(r.status == PromptStatus.SENT for r in stored.values())
    first = sandbox.messages_to(MENTEE)[0]
    assert (stored["p:0"].sent_ts, stored["p:0"].sent_channel) == (first["ts"], dm)
    assert len(kind) == 10  # after_send ran for the recovered ones too, once


def test_a_restart_with_a_stable_owner_resumes_mid_batch_at_once(
    services: Services, sandbox: SlackSandbox, kind: list
) -> None:
    add_prompts(services, 6, user=MENTEE)
    with services.sessions() as session:
        claimed = store.claim_due(session=session, owner="worker-1", now=T0, lease=timedelta(minutes=5))
    meta = {"event_type": "mentorbot_prompt", "event_payload": {"key": claimed[0].prompt.idempotency_key}}
    services.client.chat_postMessage(channel=MENTEE, text="sent before the crash", metadata=meta)
    with services.sessions() as session:  # the first one was even committed
        store.mark_sent(session=session, prompt_id=claimed[0].prompt.id, sent_ts="1", sent_channel="D", now=T0)  # type: ignore[arg-type]
        session.commit()
    report = Dispatcher(services, owner="worker-1").tick(T0 + timedelta(seconds=30))
    assert (report.claimed, report.sent, report.recovered) == (5, 5, 0)
    assert Counter(posted_keys(sandbox)) == Counter(f"p:{i}" for i in range(6))


def test_stop_finishes_the_in_flight_send_and_releases_the_rest(
    services: Services, sandbox: SlackSandbox, kind: list
) -> None:
    dispatcher = Dispatcher(services)
    stopper: list[threading.Thread] = []

    def render_and_stop(svc: Services, session: Session, prompt: ScheduledPrompt, now: datetime) -> Outgoing:
        if prompt.payload["n"] == 2 and not stopper:  # SIGTERM arrives while prompt 2 is being sent
            stopper.append(threading.Thread(target=dispatcher.stop))
            stopper[0].start()
            time.sleep(0.2)
        return Outgoing(channel=MENTEE, text=f"note {prompt.payload['n']}")

    register_prompt_kind(KIND, render_and_stop)
    add_prompts(services, 8, user=MENTEE)
    report = dispatcher.tick(T0)
    stopper[0].join(timeout=5)
    assert (report.sent, report.released) == (3, 5)
    assert posted_keys(sandbox) == ["p:0", "p:1", "p:2"]
    stored = rows(services)
    assert [stored[f"p:{i}"].status for i in range(8)] == ["sent"] * 3 + ["pending"] * 5
    assert all(r.lease_owner is None for r in stored.values())
    assert dispatcher.stopped and dispatcher.tick(T0).claimed == 0
    # Another process picks the rest up at once, without a history check (they were never sent).
    assert Dispatcher(services).tick(T0).sent == 5
    assert sandbox.calls_for("conversations.history") == []


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
def test_multi_part_prompt_resumes_after_a_partial_failure(services: Services, sandbox: SlackSandbox) -> None:
    def two_parts(svc: Services, session: Session, prompt: ScheduledPrompt, now: datetime) -> list[Outgoing]:
        # Rendered at send time: on the first attempt part two is empty, which Slack refuses (no_text).
        second = "part two" if prompt.attempts else ""
        return [Outgoing(channel=MENTEE, text="part one"), Outgoing(channel="C0PROGRAM1", text=second)]

    register_prompt_kind("test.two", two_parts)
    try:
        with services.sessions() as session:
            schedule_prompt(session=session, team_id=TEAM_ID, key="two", kind="test.two", due_at=T0)
            session.commit()
        dispatcher = Dispatcher(services)
        with sandbox.expect_invalid():  # the empty second part is refused on purpose
            assert dispatcher.tick(T0).retried == 1
        assert "no_text" in rows(services)["two"].last_error
        report = dispatcher.tick(T0 + timedelta(hours=1))
        assert report.sent == 1
        calls = sandbox.calls_for("chat.postMessage")
        assert [c.args["text"] for c in calls] == ["part one", "part two"]  # part one not posted again
        assert [c.args["metadata"]["event_payload"] for c in calls] == [{"key": "two"}, {"key": "two", "part": 1}]
        row = rows(services)["two"]
        assert (row.status, row.sent_ts) == (PromptStatus.SENT, sandbox.messages_to(MENTEE)[0]["ts"])
    finally:
        unregister_prompt_kind("test.two")


def test_scheduler_ticks_the_dispatcher_with_a_stable_job(sqlite_url: str, sandbox: SlackSandbox, kind: list) -> None:
    services = make_services(sqlite_url, sandbox)
    services.clock = lambda: datetime.now(UTC)
    add_prompts(services, 3, due=datetime.now(UTC) - timedelta(seconds=1), user=MENTEE)
    metrics = DispatchMetrics()
    dispatcher = Dispatcher(services, metrics=metrics)
    scheduler = start_scheduler(dispatcher, interval_seconds=0.2)
    try:
        job = scheduler.get_job(JOB_ID)
        assert job is not None and job.max_instances == 1 and job.coalesce
        sandbox.wait_for("chat.postMessage", lambda c: c.args["metadata"]["event_payload"]["key"] == "p:2", timeout=5)
    finally:
        shutdown(scheduler, dispatcher)
    assert not scheduler.running
    snap = metrics.snapshot()
    assert snap["sent"] == 3 and snap["due"] == 3 and snap["ticks"] >= 1 and snap["max_lag_seconds"] >= 1
    services.engine.dispose()
