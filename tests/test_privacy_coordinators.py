"""Who is a coordinator: only a private COORDINATOR_CHANNEL counts; coordinators are per workspace (the installer
first), managed with /mentor coordinators (audited); private notes go to the pair's own workspace's coordinators."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator

import pytest
from sqlmodel import select

from bot import ids
from bot.coordinators import check_channel_at_startup
from bot.lifecycle import simulate
from bot.sandbox import driver as slack
from bot.sandbox import forms as fill
from bot.sandbox.slack_api import SlackSandbox
from storage.models import AuditLog, Pair
from tests.conftest import COORDINATOR, RunningApp, start_app
from tests.helpers import ALICE, BOB, open_modal

JOINER = "U0JOINER01"
NEWCOMER = "U0NEWCOORD"


@pytest.fixture
def channel_app(request: pytest.FixtureRequest, sqlite_url: str, sandbox: SlackSandbox) -> Iterator[RunningApp]:
    """The app with COORDINATOR_CHANNEL set to C0COORDS (public or private, as the test's marker says)."""
    private = bool(getattr(request, "param", False))
    sandbox.add_channel("C0COORDS", name="mentoring-coordinators", members=[JOINER], is_private=private)
    running, server = start_app(sqlite_url, sandbox, COORDINATOR_CHANNEL="C0COORDS")
    running.services.coordinator_cache_seconds = 0  # membership and privacy re-read on every request
    for user in (JOINER, NEWCOMER, COORDINATOR):
        sandbox.add_user(user, name=user.lower(), real_name=user, tz="Europe/Berlin")
    yield running
    server.stop()
    running.services.engine.dispose()


def _text(app: RunningApp, user_id: str, command: str) -> str:
    response = app.driver.slash_command(user_id, command)
    assert response.status == 200
    return str(response.json()["text"]) if response.body.strip() else ""


def test_members_of_a_public_coordinator_channel_are_not_coordinators(
    channel_app: RunningApp, caplog: pytest.LogCaptureFixture
) -> None:
    app = channel_app
    # anyone could /join a public channel and export survey comments: refused, everywhere
    for command in ("audit", "export with-comments", "stats", "coordinators list"):
        assert "only the program's coordinators" in _text(app, JOINER, command), command
    time.sleep(0.2)
    assert app.sandbox.uploaded_files == []
    # coordinators are told why in /mentor help, and the log says it at startup
    help_text = _text(app, COORDINATOR, "help")
    assert "public channel" in help_text and "C0COORDS" in help_text
    assert "public channel" not in _text(app, JOINER, "help")
    with caplog.at_level(logging.ERROR):
        check_channel_at_startup(app.services)
    assert any("public channel" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("channel_app", [True], indirect=True)
def test_a_private_channel_counts_and_is_rechecked_on_each_request(channel_app: RunningApp) -> None:
    app = channel_app
    assert "audit log is empty" in _text(app, JOINER, "audit").lower()
    assert "public channel" not in _text(app, COORDINATOR, "help")
    app.sandbox.set_channel_members("C0COORDS", [])  # removed from the channel
    assert "only the program's coordinators" in _text(app, JOINER, "audit")
    app.sandbox.add_channel("C0COORDS", name="mentoring-coordinators", members=[JOINER], is_private=False)
    assert "only the program's coordinators" in _text(app, JOINER, "audit")  # made public: refused again


def test_coordinators_are_managed_with_a_command_and_audited(app: RunningApp) -> None:
    for user in (NEWCOMER, JOINER, COORDINATOR):
        app.sandbox.add_user(user, name=user.lower(), real_name=user, tz="Europe/Berlin")
    assert "only the program's coordinators" in _text(app, JOINER, f"coordinators add <@{JOINER}>")
    assert "only the program's coordinators" in _text(app, NEWCOMER, "audit")
    assert "now a coordinator" in _text(app, COORDINATOR, f"coordinators add <@{NEWCOMER}|new>")
    assert "already a coordinator" in _text(app, COORDINATOR, f"coordinators add <@{NEWCOMER}>")
    listed = _text(app, NEWCOMER, "coordinators list")
    assert f"<@{NEWCOMER}>" in listed and f"<@{COORDINATOR}> (from COORDINATOR_IDS)" in listed
    assert "COORDINATOR_IDS" in _text(app, NEWCOMER, f"coordinators remove <@{COORDINATOR}>")
    assert "no longer a coordinator" in _text(app, COORDINATOR, f"coordinators remove <@{NEWCOMER}>")
    assert "only the program's coordinators" in _text(app, NEWCOMER, "audit")
    assert "Usage" in _text(app, COORDINATOR, "coordinators add someone")
    with app.sessions() as session:
        audit = session.exec(select(AuditLog).order_by(AuditLog.id)).all()
    assert [(a.actor, a.action, a.target) for a in audit] == [
        (COORDINATOR, "coordinator.add", f"user:{NEWCOMER}"),
        (COORDINATOR, "coordinator.remove", f"user:{NEWCOMER}"),
    ]


# ---------------------------------------------------------------------------------------- several workspaces


def test_coordinators_and_their_private_notes_belong_to_one_workspace(sqlite_url: str) -> None:
    pytest.importorskip("cryptography", reason="multi-workspace mode needs the cryptography package")
    from bot.sandbox.oauth import OAuthSandbox
    from tests.test_install_oauth import ALPHA, BETA, _start, _team, install

    box = OAuthSandbox(team_id=ALPHA, client_id="1111.2222")
    box.start()
    app, server = _start(sqlite_url, box)  # COORDINATOR_IDS is set, and must apply nowhere
    try:
        install(app, ALPHA, installer="U0INSTALLA")
        install(app, BETA, installer="U0INSTALLB")
        install(app, BETA, installer="U0LATERB1")  # a reinstall by someone else adds nobody
        alpha, beta = _team(app, ALPHA), _team(app, BETA)
        for user, team in (("U0INSTALLA", ALPHA), ("U0INSTALLB", BETA), ("U0LATERB1", BETA), (COORDINATOR, BETA)):
            box.add_user(user, name=user.lower(), real_name=user, tz="Europe/Berlin", team_id=team)
        assert "only the program's coordinators" in _text(beta, COORDINATOR, "audit")
        assert "only the program's coordinators" in _text(beta, "U0LATERB1", "audit")
        listed = _text(alpha, "U0INSTALLA", "coordinators list")
        assert "<@U0INSTALLA>" in listed and "U0INSTALLB" not in listed and "COORDINATOR_IDS" not in listed
        assert "now a coordinator" in _text(alpha, "U0INSTALLA", "coordinators add <@U0ALPHA02>")
        assert "audit log" in _text(alpha, "U0ALPHA02", "audit").lower()
        assert "only the program's coordinators" in _text(beta, "U0ALPHA02", "audit")  # ALPHA's, not BETA's

        # a concern in BETA reaches BETA's coordinator, with BETA's token, and nobody in ALPHA
        for person in (ALICE, BOB):
            box.add_user(person.user_id, name=person.name, real_name=person.name, tz=person.timezone, team_id=BETA)
            view = open_modal(beta, person.user_id)
            assert beta.driver.view_submission(person.user_id, view, fill.signup_values(view, person)).status == 200
        time.sleep(0.5)
        assert "Paired" in _text(beta, "U0INSTALLB", f"pair <@{ALICE.user_id}> <@{BOB.user_id}> test")
        with app.sessions() as session:
            pair = session.exec(select(Pair)).one()
        channel = simulate.wait(lambda: _pair_channel(app, pair.id))
        message = simulate.wait(lambda: simulate.find_button(box.messages_in(channel), ids.PAIR_CONCERN))
        before = len(box.views_opened(ALICE.user_id))
        beta.driver.block_action(ALICE.user_id, ids.PAIR_CONCERN, message=message)
        view = simulate.wait(lambda: box.views_opened(ALICE.user_id)[before:])[-1]
        values = slack.values_for(view, {})
        values[ids.CONCERN_TEXT] = {ids.INPUT: slack.text_value("we never meet")}
        assert beta.driver.view_submission(ALICE.user_id, view, values).status == 200
        note = simulate.wait(
            lambda: [c for c in box.calls_for_team(BETA, "chat.postMessage") if "we never meet" in json.dumps(c.args)]
        )
        assert {c.args["channel"] for c in note} == {"U0INSTALLB"}
        everywhere = [c for c in box.calls_for("chat.postMessage") if "we never meet" in json.dumps(c.args)]
        assert {c.args["channel"] for c in everywhere} == {"U0INSTALLB"}
        assert not [c for c in box.calls_for_team(ALPHA) if "we never meet" in json.dumps(c.args)]
    finally:
        server.stop()
        app.services.engine.dispose()
        box.stop()


def _pair_channel(app: RunningApp, pair_id: int | None) -> str:
    with app.sessions() as session:
        pair = session.get(Pair, pair_id)
        return pair.channel_id if pair is not None else ""
