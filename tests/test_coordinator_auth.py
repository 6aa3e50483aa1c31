"""Coordinator authorisation through signed Slack requests: forged commands, clicks and submissions change nothing."""

from __future__ import annotations

import json
import time

from sqlmodel import select

from bot import ids
from storage.models import AuditLog, Cohort, Pair
from storage.vocab import CloseReason, PairStatus, Role
from tests.conftest import COORDINATOR, TEAM_ID, RunningApp, start_app
from tests.test_coordinator_seed import add_cohort, add_pair, add_person

STRANGER = "U0STRANGER1"


def _pair(app: RunningApp) -> int:
    with app.sessions() as session:
        cohort = add_cohort(session)
        add_person(session, "U0MENTEE001", Role.MENTEE, cohort)
        add_person(session, "U0MENTOR001", Role.MENTOR, cohort)
        pair = add_pair(session, cohort, "U0MENTEE001", "U0MENTOR001", status=PairStatus.AT_RISK)
        session.commit()
        assert pair.id is not None
        return pair.id


def _audit_count(app: RunningApp) -> int:
    with app.sessions() as session:
        return len(session.exec(select(AuditLog)).all())


def test_non_coordinator_stats_is_refused_and_nothing_is_posted(app: RunningApp) -> None:
    app.sandbox.add_user(STRANGER, name="stranger", real_name="Stranger")
    response = app.driver.slash_command(STRANGER, "stats", channel_id="C0STATS")
    assert response.status == 200
    assert "only the program's coordinators" in response.json()["text"]
    time.sleep(0.3)
    assert app.sandbox.messages_in("C0STATS") == []
    assert app.sandbox.uploaded_files == []
    for command in ("program", "export", "audit", "import", "announce"):
        assert "only the program's coordinators" in app.driver.slash_command(STRANGER, command).json()["text"]
    time.sleep(0.2)
    assert app.sandbox.calls_for("views.open") == [] and app.sandbox.calls_for("files.completeUploadExternal") == []


def test_forged_pair_action_click_and_submission_change_nothing(app: RunningApp) -> None:
    pair_id = _pair(app)
    app.sandbox.add_user(STRANGER, name="stranger", real_name="Stranger")
    for action_id in (ids.COORD_PAIR_END, ids.COORD_PAIR_PAUSE, ids.COORD_PAIR_REMATCH, ids.COORD_PAIR_NUDGE):
        assert app.driver.block_action(STRANGER, action_id, value=str(pair_id)).status == 200
    app.sandbox.wait_for("chat.postMessage", lambda c: c.args.get("channel") == STRANGER)
    forged_view = {
        "type": "modal",
        "callback_id": ids.PAIR_ACTION_VIEW,
        "private_metadata": json.dumps({"pair_id": pair_id, "action": "end"}),
        "blocks": [],
    }
    values = {ids.PAIR_ACTION_REASON: {ids.INPUT: {"type": "plain_text_input", "value": "forged"}}}
    answer = app.driver.view_submission(STRANGER, forged_view, values).json()
    assert answer["response_action"] == "update" and "coordinators" in json.dumps(answer["view"])
    time.sleep(0.3)
    with app.sessions() as session:
        pair = session.get(Pair, pair_id)
        assert pair is not None and pair.status == PairStatus.AT_RISK and pair.closed_at is None
    assert app.sandbox.calls_for("views.open") == []
    assert _audit_count(app) == 0
    assert "only the program's coordinators" in app.sandbox.messages_to(STRANGER)[-1]["text"]
    assert app.sandbox.messages_to("U0MENTEE001") == []  # nobody in the pair was told anything


def test_forged_program_and_import_submissions_change_nothing(app: RunningApp) -> None:
    forged = {
        "type": "modal",
        "callback_id": ids.PROGRAM_VIEW,
        "private_metadata": json.dumps({"cohort_id": None}),
        "blocks": [],
    }
    values = {ids.PROGRAM_NAME: {ids.INPUT: {"type": "plain_text_input", "value": "Hijacked"}}}
    answer = app.driver.view_submission(STRANGER, forged, values).json()
    assert answer["response_action"] == "update"
    forged_import = {"type": "modal", "callback_id": ids.IMPORT_VIEW, "blocks": []}
    files = {ids.IMPORT_FILE: {ids.INPUT: {"type": "file_input", "files": [{"url_private_download": "http://x/f"}]}}}
    assert app.driver.view_submission(STRANGER, forged_import, files).json()["response_action"] == "update"
    time.sleep(0.3)
    with app.sessions() as session:
        assert session.exec(select(Cohort)).all() == []
    assert _audit_count(app) == 0


def test_forged_audit_paging_is_refused(app: RunningApp) -> None:
    with app.sessions() as session:
        from storage.coordination import record_audit

        record_audit(session=session, team_id="T0MENTOR", actor=COORDINATOR, action="cohort.create", reason="secret")
    response = app.driver.block_action(STRANGER, ids.COORD_AUDIT_PAGE, value="0", channel_id="C0GENERAL")
    assert response.status == 200
    app.sandbox.wait_for("response_url")
    posted = app.sandbox.responses[-1].payload
    assert "coordinators" in posted["text"] and "secret" not in json.dumps(posted)


def test_coordinator_ends_an_at_risk_pair_from_home_and_it_is_audited(app: RunningApp) -> None:
    pair_id = _pair(app)
    for user in (COORDINATOR, "U0MENTEE001", "U0MENTOR001"):
        app.sandbox.add_user(user, name=user.lower(), real_name=user)
    app.driver.app_home_opened(COORDINATOR)
    app.sandbox.wait_for("views.publish", lambda c: c.args.get("user_id") == COORDINATOR)
    home = app.sandbox.home_view(COORDINATOR)
    assert "Coordinator: at a glance" in json.dumps(home)
    app.driver.block_action(COORDINATOR, ids.COORD_PAIR_END, view=home, value=str(pair_id))
    app.sandbox.wait_for("views.open")
    modal = app.sandbox.views_opened(COORDINATOR)[-1]
    assert modal["callback_id"] == ids.PAIR_ACTION_VIEW
    missing = app.driver.view_submission(COORDINATOR, modal, {}).json()
    assert set(missing["errors"]) == {ids.PAIR_ACTION_REASON}  # a reason is required to end a pair
    values = {ids.PAIR_ACTION_REASON: {ids.INPUT: {"type": "plain_text_input", "value": "mentor left the company"}}}
    assert app.driver.view_submission(COORDINATOR, modal, values).status == 200
    app.sandbox.wait_for("chat.postMessage", lambda c: "has ended" in c.args.get("text", ""))
    with app.sessions() as session:
        pair = session.get(Pair, pair_id)
        assert (
            pair is not None and pair.status == PairStatus.CLOSED and pair.close_reason == CloseReason.COORDINATOR_END
        )
        entry = session.exec(select(AuditLog)).one()
    assert (entry.actor, entry.action, entry.target, entry.reason) == (
        COORDINATOR,
        "pair.end",
        f"pair:{pair_id}",
        "mentor left the company",
    )
    assert "closed by the program coordinator" in app.sandbox.messages_to("U0MENTEE001")[-1]["text"]
    audit = app.driver.slash_command(COORDINATOR, "audit").json()
    assert "pair.end" in json.dumps(audit) and "mentor left the company" in json.dumps(audit)


def test_audit_log_pages_20_at_a_time(app: RunningApp) -> None:
    from storage.coordination import record_audit

    with app.sessions() as session:
        for n in range(25):
            record_audit(session=session, team_id="T0MENTOR", actor=COORDINATOR, action=f"test.action{n:02d}")
    first = app.driver.slash_command(COORDINATOR, "audit").json()
    text = json.dumps(first)
    assert "test.action24" in text and "test.action05" in text and "test.action04" not in text
    message = {"blocks": first["blocks"], "ts": "1.0", "channel": "C0GENERAL", "is_ephemeral": True}
    app.driver.block_action(COORDINATOR, ids.COORD_AUDIT_OLDER, message=message, channel_id="C0GENERAL")
    app.sandbox.wait_for("response_url")
    second = json.dumps(app.sandbox.responses[-1].payload)
    assert "test.action04" in second and "test.action00" in second and "test.action05" not in second


def test_members_of_the_coordinator_channel_are_coordinators(sqlite_url: str, sandbox) -> None:  # type: ignore[no-untyped-def]
    sandbox.add_channel("C0COORDS", name="mentoring-coordinators", members=["U0CHANCOORD"], is_private=True)
    running, server = start_app(sqlite_url, sandbox, COORDINATOR_CHANNEL="C0COORDS")
    try:
        assert running.services.is_coordinator("U0CHANCOORD", TEAM_ID)
        assert running.services.is_coordinator(COORDINATOR, TEAM_ID)
        assert not running.services.is_coordinator(STRANGER, TEAM_ID)
        answer = running.driver.slash_command("U0CHANCOORD", "audit").json()
        assert "audit log is empty" in answer["text"].lower()
        refused = running.driver.slash_command(STRANGER, "audit").json()
        assert "only the program's coordinators" in refused["text"]
        # cached: several checks, one conversations.members call
        assert len(sandbox.calls_for("conversations.members")) == 1
    finally:
        server.stop()
        running.services.engine.dispose()
