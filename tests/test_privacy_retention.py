"""After an uninstall, a workspace's data stays for UNINSTALL_RETENTION_DAYS (a reinstall keeps it), then the
outbox deletes it; /metrics on its own port or behind METRICS_TOKEN."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from datetime import timedelta

import pytest
from sqlmodel import SQLModel, select

from bot.clock import SimulatedClock
from bot.dispatch import Dispatcher
from bot.lifecycle import simulate
from storage.models import Participant, ScheduledPrompt
from storage.vocab import PromptKind
from tests.conftest import BOT_TOKEN, COORDINATOR, TEAM_ID, RunningApp, start_app
from tests.helpers import ALICE, BOB, sign_up


def rows_of(app: RunningApp, team_id: str) -> dict[str, int]:
    """How many rows each table holds for a workspace (the purge prompt itself left out)."""
    counts: dict[str, int] = {}
    with app.sessions() as session:
        for table in SQLModel.metadata.sorted_tables:
            if "team_id" not in table.c:
                continue
            rows = session.execute(table.select().where(table.c.team_id == team_id)).mappings().all()
            rows = [r for r in rows if r.get("kind") != PromptKind.WORKSPACE_PURGE]
            if rows:
                counts[table.name] = len(rows)
    return counts


def _program(app: RunningApp) -> SimulatedClock:
    clock = SimulatedClock(app.services.now())
    app.services.clock = clock
    app.sandbox.add_user(COORDINATOR, name="coord", real_name="Coordinator", tz="Europe/Berlin")
    sign_up(app, ALICE)
    sign_up(app, BOB)
    assert (
        "Paired" in app.driver.slash_command(COORDINATOR, f"pair <@{ALICE.user_id}> <@{BOB.user_id}> x").json()["text"]
    )
    return clock


def _uninstall(app: RunningApp) -> None:
    app.sandbox.revoked_tokens.add(BOT_TOKEN)  # Slack revokes the token at uninstall
    assert app.driver.event({"type": "app_uninstalled"}).status == 200
    assert simulate.wait(lambda: _purges(app))


def _purges(app: RunningApp) -> list[ScheduledPrompt]:
    with app.sessions() as session:
        return list(session.exec(select(ScheduledPrompt).where(ScheduledPrompt.kind == PromptKind.WORKSPACE_PURGE)))


def test_an_uninstalled_workspace_is_deleted_after_the_retention_window(app: RunningApp) -> None:
    clock = _program(app)
    before = rows_of(app, TEAM_ID)
    assert {"participant", "profile", "pair", "pair_journey", "audit_log"} <= set(before)
    _uninstall(app)
    (purge,) = _purges(app)
    assert purge.due_at == clock() + timedelta(days=app.settings.uninstall_retention_days) == purge.due_at
    assert app.settings.uninstall_retention_days == 30  # the default
    clock.advance(timedelta(days=29))
    Dispatcher(app.services).run_until_idle(clock())
    assert rows_of(app, TEAM_ID).get("participant") == 2  # still within the window: nothing deleted
    clock.advance(timedelta(days=2))
    Dispatcher(app.services).run_until_idle(clock())
    assert rows_of(app, TEAM_ID) == {}
    assert [p.status for p in _purges(app)] != ["pending"]


def test_a_reinstall_within_the_window_keeps_the_data(app: RunningApp) -> None:
    clock = _program(app)
    _uninstall(app)
    clock.advance(timedelta(days=10))
    app.sandbox.revoked_tokens.discard(BOT_TOKEN)  # reinstalled: the token works again
    clock.advance(timedelta(days=25))
    Dispatcher(app.services).run_until_idle(clock())
    with app.sessions() as session:
        assert len(session.exec(select(Participant)).all()) == 2
    assert [p.status for p in _purges(app)] == ["skipped"]


def test_oauth_workspaces_reinstalled_keep_data_and_others_are_deleted(sqlite_url: str) -> None:
    pytest.importorskip("cryptography", reason="multi-workspace mode needs the cryptography package")
    from bot.sandbox.oauth import OAuthSandbox
    from tests.test_install_oauth import ALPHA, BETA, _start, _team, install
    from tests.test_install_oauth import sign_up as sign_up_in

    box = OAuthSandbox(team_id=ALPHA, client_id="1111.2222")
    box.start()
    app, server = _start(sqlite_url, box)
    try:
        clock = SimulatedClock(app.services.now())
        app.services.clock = clock
        install(app, ALPHA, installer="U0INSTALLA")
        install(app, BETA, installer="U0INSTALLB")
        sign_up_in(_team(app, ALPHA), ALICE, ALPHA)
        sign_up_in(_team(app, BETA), BOB, BETA)
        for team in (ALPHA, BETA):
            box.revoke_team(team)
            assert _team(app, team).driver.event({"type": "app_uninstalled"}).status == 200
        assert simulate.wait(lambda: len(_purges(app)) == 2)
        clock.advance(timedelta(days=5))
        install(app, ALPHA, installer="U0INSTALLA")  # ALPHA comes back within the window
        clock.advance(timedelta(days=30))
        Dispatcher(app.services).run_until_idle(clock())
        assert rows_of(app, ALPHA).get("participant") == 1
        assert rows_of(app, BETA) == {}
    finally:
        server.stop()
        app.services.engine.dispose()
        box.stop()


# ---------------------------------------------------------------------------------------- /metrics


def _get(url: str, token: str | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - local test server
            return response.status, response.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


def test_metrics_behind_a_bearer_token(sqlite_url: str, sandbox) -> None:  # type: ignore[no-untyped-def]
    running, server = start_app(sqlite_url, sandbox, METRICS_TOKEN="metrics-token-0123456789")
    try:
        assert _get(f"{running.url}/metrics")[0] == 401
        assert _get(f"{running.url}/metrics", "wrong-token-0123456789")[0] == 401
        status, body = _get(f"{running.url}/metrics", "metrics-token-0123456789")
        assert status == 200 and "mentorbot_" in body
        assert _get(f"{running.url}/healthz")[0] == 200  # health checks stay open
    finally:
        server.stop()
        running.services.engine.dispose()


def test_metrics_on_their_own_port(sqlite_url: str, sandbox) -> None:  # type: ignore[no-untyped-def]
    from bot.server import LocalServer, SlackWSGI

    running, server = start_app(sqlite_url, sandbox, METRICS_PORT="9464")
    try:
        assert _get(f"{running.url}/metrics")[0] == 404  # not on the public port
        wsgi = server.httpd.get_app()
        assert isinstance(wsgi, SlackWSGI)
        metrics_server = LocalServer(wsgi.metrics_app()).start()
        try:
            status, body = _get(f"{metrics_server.url}/metrics")
            assert status == 200 and "mentorbot_" in body
            assert _get(f"{metrics_server.url}/slack/events")[0] == 404  # and nothing else there
        finally:
            metrics_server.stop()
    finally:
        server.stop()
        running.services.engine.dispose()
    time.sleep(0)
