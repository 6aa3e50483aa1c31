"""Operations: JSON logs with request ids, /metrics in Prometheus format, /healthz and /readyz, and a log scan
proving no token, signing secret or free-text answer reaches the log."""

from __future__ import annotations

import dataclasses
import io
import json
import logging
import re
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import text

from bot import ids
from bot.config import ConfigError, configure_logging
from bot.dispatch import Dispatcher
from bot.observability import metrics
from bot.outbox import Outgoing, register_prompt_kind, schedule_prompt, unregister_prompt_kind
from bot.sandbox import forms as fill
from bot.server import SlackWSGI
from storage.db import make_engine
from storage.types import utcnow
from tests.conftest import BOT_TOKEN, SIGNING_SECRET, TEAM_ID, RunningApp
from tests.helpers import ALICE, BOB, add_person, open_modal, sign_up

MARKER = "zq-private-bio-7f3a9c"
_SAMPLE = re.compile(r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_]+="([^"\\]|\\.)*",?)*\})? -?[0-9.e+Inf-]+$')


@pytest.fixture
def log_buffer() -> Iterator[io.StringIO]:
    """The production logging setup (JSON, INFO), written to a buffer; the previous setup is restored after."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    configure_logging("INFO", "json", secrets=(SIGNING_SECRET,))
    buffer = io.StringIO()
    handler = root.handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(buffer)
    yield buffer
    root.handlers[:], _ = saved
    root.setLevel(saved[1])


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers.items()), response.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers.items()), err.read().decode()


def _lines(buffer: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]


def test_log_scan_no_token_secret_or_free_text_and_every_line_is_json_with_a_request_id(
    app: RunningApp, log_buffer: io.StringIO
) -> None:
    add_person(app, ALICE)
    view = open_modal(app, ALICE.user_id)
    values = fill.signup_values(view, ALICE) | fill.text(view, ids.BIO, f"I like {MARKER} and my token xoxb-1-2")
    response = app.driver.view_submission(ALICE.user_id, view, values, headers={"X-Request-Id": "req-scan-00000001"})
    assert response.status == 200 and response.headers["X-Request-Id"] == "req-scan-00000001"
    app.sandbox.wait_for("chat.postMessage", lambda c: c.args.get("channel") == ALICE.user_id)
    sign_up(app, BOB)
    logging.getLogger("mentorbot.test").warning("leak attempt token=%s secret=%s", BOT_TOKEN, SIGNING_SECRET)
    app.driver.slash_command(BOB.user_id, "no-such-command")
    with app.sessions() as session:  # the bio was stored: the marker did pass through the app
        assert session.execute(text("SELECT count(*) FROM profile WHERE bio LIKE :m"), {"m": f"%{MARKER}%"}).scalar()

    raw = log_buffer.getvalue()
    assert raw, "nothing was logged"
    for forbidden in (MARKER, "xoxb-", "xapp-", SIGNING_SECRET, BOT_TOKEN):
        assert forbidden not in raw, forbidden
    lines = _lines(log_buffer)
    assert all({"ts", "level", "logger", "msg", "request_id"} <= set(line) for line in lines)
    leak = next(line for line in lines if str(line["msg"]).startswith("leak attempt"))
    assert leak["token"] == "xox*-***" and leak["secret"] == "***"  # key=value pairs become fields
    # the submission's request id reaches the listener thread's log lines
    assert any(line["request_id"] == "req-scan-00000001" and line["logger"] != "bot.server" for line in lines), lines


def test_request_ids_are_echoed_when_well_formed_and_replaced_otherwise(app: RunningApp) -> None:
    ok = app.driver.slash_command(ALICE.user_id, "help", headers={"X-Request-Id": "lb-1234abcd"})
    assert ok.headers["X-Request-Id"] == "lb-1234abcd"
    for bad in ("short", "x" * 65, "bad id with spaces", "evil;000000000"):
        response = app.driver.slash_command(ALICE.user_id, "help", headers={"X-Request-Id": bad})
        assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-Id"]), bad
    unsigned = app.driver.slash_command(ALICE.user_id, "help", sign=False)
    assert unsigned.status == 401 and re.fullmatch(r"[0-9a-f]{32}", unsigned.headers["X-Request-Id"])


def test_metrics_count_requests_latency_api_calls_errors_and_prompts(app: RunningApp) -> None:
    kind = "test.metrics"
    register_prompt_kind(kind, lambda _s, _x, p, _n: Outgoing(channel=p.recipient_user_id or "", text="hello"))
    try:
        before_join = metrics.value("mentorbot_slack_requests_total", kind="command", name="/mentor join", status="200")
        before_open = metrics.value("mentorbot_slack_api_calls_total", method="views.open")
        before_err = metrics.value("mentorbot_slack_api_errors_total", method="chat.postMessage", error="is_archived")
        add_person(app, ALICE)
        open_modal(app, ALICE.user_id)
        app.driver.block_action(ALICE.user_id, "no_such_action_id", channel_id="D0X")
        with app.sessions() as session:
            for i, user in enumerate((ALICE.user_id, ALICE.user_id, "U0GONE0001")):
                schedule_prompt(
                    session=session,
                    team_id=TEAM_ID,
                    key=f"metrics:{i}",
                    kind=kind,
                    due_at=utcnow() - timedelta(minutes=5),
                    recipient_user_id=user,
                )
            session.commit()
        status, headers, body = _get(f"{app.url}/metrics")
        assert status == 200 and headers["Content-Type"].startswith("text/plain; version=0.0.4")
        assert "mentorbot_prompts_due 3" in body.splitlines()
        app.sandbox.fail_next("chat.postMessage", status=200, error="is_archived")
        report = Dispatcher(app.services).run_until_idle(utcnow())
        assert report.sent >= 1 and report.failed >= 1
        _, _, body = _get(f"{app.url}/metrics")
    finally:
        unregister_prompt_kind(kind)
    samples = [line for line in body.splitlines() if line and not line.startswith("#")]
    bad = [line for line in samples if not _SAMPLE.match(line)]
    assert not bad, bad[:5]
    assert (
        metrics.value("mentorbot_slack_requests_total", kind="command", name="/mentor join", status="200")
        == before_join + 1
    )
    assert metrics.value("mentorbot_slack_api_calls_total", method="views.open") == before_open + 1
    assert (
        metrics.value("mentorbot_slack_api_errors_total", method="chat.postMessage", error="is_archived")
        == before_err + 1
    )
    assert 'mentorbot_slack_ack_seconds_bucket{kind="command",name="/mentor join",le="+Inf"}' in body
    assert re.search(r'mentorbot_slack_requests_total\{kind="action",name="unknown",status="404"\} \d+', body)
    assert "mentorbot_prompts_due 0" in body.splitlines()
    assert re.search(r"^mentorbot_prompts_sent [1-9]", body, re.M)
    assert re.search(r"^mentorbot_dispatcher_lag_seconds [0-9.e+-]+$", body, re.M)


def test_healthz_and_readyz(app: RunningApp) -> None:
    assert _get(f"{app.url}/readyz")[:1] == (200,)
    with app.services.engine.begin() as conn:
        head = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        conn.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    try:
        status, _, body = _get(f"{app.url}/readyz")
        assert status == 503 and "migrations not current" in json.loads(body)["reason"]
        assert _get(f"{app.url}/healthz")[0] == 200  # alive, just not ready
    finally:
        with app.services.engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": head})
    assert _get(f"{app.url}/readyz")[0] == 200

    # a database that does not answer: both 503, with a JSON reason (the WSGI app called directly)
    down = make_engine("postgresql://postgres@127.0.0.1:1/nowhere")
    wsgi = SlackWSGI(app.services and _app_of(app), dataclasses.replace(app.services, engine=down))
    for path, key in (("/healthz", "database"), ("/readyz", "reason")):
        status_line, payload = _call(wsgi, path)
        assert status_line.startswith("503") and key in payload
    down.dispose()


def _app_of(app: RunningApp):  # type: ignore[no-untyped-def]
    from bot.app import build_app

    return build_app(app.services)


def _call(wsgi: SlackWSGI, path: str) -> tuple[str, dict[str, object]]:
    from wsgiref.util import setup_testing_defaults

    environ: dict[str, object] = {"PATH_INFO": path, "REQUEST_METHOD": "GET"}
    setup_testing_defaults(environ)
    seen: list[str] = []
    body = b"".join(wsgi(environ, lambda status, _headers: seen.append(status)))
    return seen[0], json.loads(body)


def test_log_format_is_validated() -> None:
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    try:
        with pytest.raises(ConfigError, match="LOG_FORMAT"):
            configure_logging("INFO", "xml")
        configure_logging("INFO", "text")
        assert "request_id=" in root.handlers[0].formatter._fmt  # type: ignore[union-attr]
    finally:
        root.handlers[:], _ = saved
        root.setLevel(saved[1])


def test_the_request_thread_wakes_when_a_listener_acks_and_other_threads_never_wait() -> None:
    from bot.observability import WakingAck

    ack = WakingAck()  # made by the request thread, which is the one Bolt has polling ``ack.response``
    seen: list[object] = []
    other = threading.Thread(target=lambda: seen.append(ack.response))  # a listener thread reading it: no wait
    started = time.monotonic()
    other.start()
    other.join()
    assert seen == [None] and time.monotonic() - started < WakingAck.POLL * 50

    listener = threading.Thread(target=lambda: (time.sleep(0.002), ack(text="done")))
    listener.start()
    response = None
    while response is None:  # Bolt's loop: each read waits for the ack, at most one poll interval
        response = ack.response
    listener.join()
    assert response.status == 200 and response.body == "done"
