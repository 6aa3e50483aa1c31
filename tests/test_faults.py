"""Faults: Slack failing (5xx storms, timeouts) and the database going away during a run.

Requests that cannot be served get a friendly "please try again" (ephemeral, 200), never an error page or
silence; the dispatcher backs off while the database is down and, once it is back, every due prompt reaches Slack
exactly once.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta

import psycopg
import pytest
from sqlalchemy.engine import make_url
from sqlmodel import Session

from bot.app import build_client
from bot.dispatch import Dispatcher
from bot.observability import SORRY
from bot.outbox import Outgoing, register_prompt_kind, schedule_prompt, unregister_prompt_kind
from bot.sandbox import SlackSandbox
from storage.models import ScheduledPrompt
from storage.types import utcnow
from tests.conftest import PG_ADMIN_URL, TEAM_ID, RunningApp, start_app
from tests.helpers import ALICE, sign_up

KIND = "test.fault"


def _render(_services: object, _session: Session, prompt: ScheduledPrompt, _now: object) -> Outgoing:
    return Outgoing(channel=prompt.recipient_user_id or "", text=f"fault note {prompt.payload.get('n')}")


@pytest.fixture
def fault_kind() -> Iterator[None]:
    register_prompt_kind(KIND, _render)
    yield
    unregister_prompt_kind(KIND)


def _schedule(app: RunningApp, count: int, prefix: str) -> list[str]:
    due = utcnow() - timedelta(minutes=1)
    keys = [f"{prefix}:{i}" for i in range(count)]
    for n in range(5):
        app.sandbox.add_user(f"U0FAULT{n:03d}", name=f"fault{n}", real_name=f"Fault {n}", tz="UTC")
    with app.sessions() as session:
        for i, key in enumerate(keys):
            schedule_prompt(
                session=session,
                team_id=TEAM_ID,
                key=key,
                kind=KIND,
                due_at=due,
                recipient_user_id=f"U0FAULT{i % 5:03d}",
                payload={"n": i},
            )
        session.commit()
    return keys


def _posted(box: SlackSandbox, prefix: str) -> Counter[str]:
    keys = [((c.args.get("metadata") or {}).get("event_payload") or {}).get("key", "") for c in box.calls]
    return Counter(k for k in keys if k.startswith(prefix))


def _get(url: str) -> tuple[int, dict[str, object]]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def _wait(check, timeout: float = 10.0):  # type: ignore[no-untyped-def]
    deadline = time.time() + timeout
    while time.time() < deadline:
        if result := check():
            return result
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def test_slack_5xx_storm_after_the_ack_gets_a_sorry_in_the_channel_not_silence(app: RunningApp) -> None:
    app.sandbox.add_user(ALICE.user_id, name="alice", real_name="Alice", tz="Europe/Berlin")
    app.sandbox.fail_next("views.open", status=503, count=10)  # outlasts the WebClient's three retries
    response = app.driver.slash_command(ALICE.user_id, "join")
    assert response.status == 200
    key = app.driver.last_response_url.rsplit("/", 1)[-1]  # type: ignore[union-attr]
    answer = _wait(lambda: app.sandbox.responses_for(key))[-1]
    assert answer["text"] == SORRY and answer["response_type"] == "ephemeral"
    assert not app.sandbox.views_opened(ALICE.user_id)


def test_slack_timeouts_with_the_post_carried_out_anyway_still_send_each_prompt_once(
    sqlite_url: str, sandbox: SlackSandbox, fault_kind: None
) -> None:
    """A read timeout on chat.postMessage whose post Slack carried out anyway must not produce a duplicate."""
    app, server = start_app(sqlite_url, sandbox)
    try:
        services = app.services
        services.client = build_client(app.settings, timeout=1)
        keys = _schedule(app, 4, "timeout")
        sandbox.delay_next("chat.postMessage", 1.5, count=1, process_abandoned=True)
        dispatcher = Dispatcher(services, backoff_base=timedelta(seconds=1))
        dispatcher.run_until_idle(utcnow())
        time.sleep(1.0)  # the abandoned post lands
        dispatcher.run_until_idle(utcnow() + timedelta(hours=2))
        assert _posted(sandbox, "timeout") == Counter(dict.fromkeys(keys, 1))
    finally:
        server.stop()
        app.services.engine.dispose()


# ---------------------------------------------------------------------------------------------- database outage


@pytest.fixture
def pg_app(postgres_url: str, sandbox: SlackSandbox) -> Iterator[RunningApp]:
    from tests.conftest import _reset_postgres

    _reset_postgres(postgres_url)
    running, server = start_app(postgres_url, sandbox)
    yield running
    server.stop()
    running.services.engine.dispose()


def _outage(database_url: str, *, down: bool) -> None:
    """Block (or allow again) connections to the app's database and cut the ones it holds."""
    name = make_url(database_url).database
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {"false" if down else "true"}')
        if down:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                (name,),
            )


def test_database_outage_gets_friendly_answers_and_the_dispatcher_resumes_exactly_once(
    pg_app: RunningApp, fault_kind: None
) -> None:
    app = pg_app
    sign_up(app, ALICE)
    keys = _schedule(app, 30, "outage")
    dispatcher = Dispatcher(app.services, batch_size=10)
    url = app.settings.database_url
    first = dispatcher.tick(utcnow())  # one batch goes out before the outage
    assert first.sent == 10
    _outage(url, down=True)
    try:
        response = app.driver.slash_command(ALICE.user_id, "profile")
        assert response.status == 200, response.body
        assert response.json() == {"response_type": "ephemeral", "text": SORRY}
        assert _get(f"{app.url}/healthz")[0] == 503
        status, reason = _get(f"{app.url}/readyz")
        assert status == 503 and reason["reason"] == "database unreachable"
        with pytest.raises(Exception):  # noqa: B017 - whatever the driver raises: the tick fails, nothing is sent
            dispatcher.tick(utcnow())
        dispatcher.safe_tick()  # the scheduler's entry point logs and carries on
        assert sum(_posted(app.sandbox, "outage").values()) == 10
    finally:
        _outage(url, down=False)
    total = dispatcher.run_until_idle(utcnow())
    assert total.sent == 20
    assert _posted(app.sandbox, "outage") == Counter(dict.fromkeys(keys, 1))
    response = app.driver.slash_command(ALICE.user_id, "profile")
    assert response.status == 200 and SORRY not in response.body
    assert _get(f"{app.url}/readyz") == (200, {"ok": True})


# ------------------------------------------------------------------- a real PostgreSQL restart (private cluster)


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def private_postgres() -> Iterator[tuple[str, list[str]]]:
    """A PostgreSQL server of the test's own (so it can be restarted): its URL and its pg_ctl command."""
    import glob
    import os
    import shutil
    import subprocess

    bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    runuser = shutil.which("runuser")
    if not bins or (os.geteuid() == 0 and not runuser):
        pytest.skip("no PostgreSQL server binaries (pg_ctl) to start a private cluster with")
    bindir = os.path.dirname(bins[-1])
    import tempfile
    from pathlib import Path

    data = Path(tempfile.mkdtemp(prefix="mentorbot-pg-"))  # under /tmp: the postgres user must reach it
    as_postgres: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root
        shutil.chown(data, "postgres", "postgres")
        os.chmod(data, 0o700)
        as_postgres = [runuser or "runuser", "-u", "postgres", "--"]
    port = _free_port()
    init = subprocess.run(
        [*as_postgres, f"{bindir}/initdb", "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if init.returncode != 0:
        pytest.skip(f"could not create a private PostgreSQL cluster: {init.stderr.strip()[-200:]}")
    options = f"-p {port} -k {data} -c listen_addresses=127.0.0.1 -c fsync=off"
    pg_ctl = [*as_postgres, f"{bindir}/pg_ctl", "-D", str(data), "-o", options, "-w", "-t", "60"]
    subprocess.run([*pg_ctl, "-l", str(data / "log"), "start"], check=True, capture_output=True, timeout=90)
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres", pg_ctl
    finally:
        subprocess.run([*pg_ctl, "-m", "immediate", "stop"], capture_output=True, timeout=90)
        shutil.rmtree(data, ignore_errors=True)


def test_postgresql_restarted_during_a_run_gets_friendly_answers_and_every_prompt_goes_once(
    private_postgres: tuple[str, list[str]], sandbox: SlackSandbox, fault_kind: None
) -> None:
    import subprocess

    url, pg_ctl = private_postgres
    app, server = start_app(url, sandbox)
    try:
        sign_up(app, ALICE)
        keys = _schedule(app, 30, "restart")
        dispatcher = Dispatcher(app.services, batch_size=10)
        assert dispatcher.tick(utcnow()).sent == 10
        subprocess.run([*pg_ctl, "-m", "fast", "stop"], check=True, capture_output=True, timeout=90)
        try:
            response = app.driver.slash_command(ALICE.user_id, "profile")
            assert response.status == 200, response.body
            assert response.json() == {"response_type": "ephemeral", "text": SORRY}
            assert _get(f"{app.url}/healthz")[0] == 503
            dispatcher.safe_tick()  # the scheduler's tick fails quietly while the database is down
            assert sum(_posted(app.sandbox, "restart").values()) == 10
        finally:
            subprocess.run([*pg_ctl, "-l", "/dev/null", "start"], check=True, capture_output=True, timeout=90)
        assert _wait(lambda: _get(f"{app.url}/readyz")[0] == 200)
        assert dispatcher.run_until_idle(utcnow()).sent == 20
        assert _posted(app.sandbox, "restart") == Counter(dict.fromkeys(keys, 1))
        response = app.driver.slash_command(ALICE.user_id, "profile")
        assert response.status == 200 and SORRY not in response.body
    finally:
        server.stop()
        app.services.engine.dispose()
