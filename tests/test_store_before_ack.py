"""Every modal submission is stored before Slack is answered.

For each modal, the database fails at the moment the submission is written (a real driver error raised as the
chosen statement reaches the connection, or the SQLite file locked by another process). The ack is then an
inline error within 3 seconds, so the modal stays open with the person's text; nothing of the submission is
kept (not even the double-submit claim, so Submit works again) and nobody is told anything. Submitting again
once the database is back stores it once and sends what the submission announces.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import select

from bot import ids
from bot.sandbox import driver as slack
from bot.sandbox import forms as fill
from handlers.submission import NOT_SAVED
from storage.models import (
    AuditLog,
    Cohort,
    FeedbackRequest,
    HrImport,
    Meeting,
    PairGoals,
    Participant,
    PrivateAnswer,
    ProcessedEvent,
    Reflection,
    Resource,
)
from storage.models import Pair as PairRow
from storage.vocab import AnswerKind, EndReason, PairStatus
from tests.conftest import BOT_TOKEN, COORDINATOR, RunningApp
from tests.flows import (
    database_refuses,
    eventually,
    freeze,
    inline_error,
    message_with,
    open_modal_from,
    pair_by_hand,
    run_until,
    submit,
)
from tests.helpers import ALICE, BOB, add_person, open_modal, sign_up


def _rows(app: RunningApp, model: type) -> list[Any]:
    with app.sessions() as session:
        return list(session.exec(select(model)).all())


def _claims(app: RunningApp) -> int:
    return len([e for e in _rows(app, ProcessedEvent) if e.event_id.startswith("view:")])


@pytest.fixture
def paired(app: RunningApp) -> PairRow:
    freeze(app)
    sign_up(app, ALICE)
    sign_up(app, BOB)
    app.sandbox.add_user(COORDINATOR, name="cora", real_name="Cora Coordinator", tz="Europe/London")
    return pair_by_hand(app, ALICE.user_id, BOB.user_id)


# ---------------------------------------------------------------------- signup and leave


def test_signup_with_the_database_locked_keeps_the_modal_open_then_saves_before_the_ack(
    app: RunningApp, tmp_path: Any
) -> None:
    add_person(app, ALICE)
    view = open_modal(app, ALICE.user_id)
    values = fill.signup_values(view, ALICE)
    app.sandbox.wait_for("users.info")  # the timezone hint, looked up once the modal is open
    time.sleep(0.2)  # and put into the open modal
    lookups = len(app.sandbox.calls_for("users.info"))
    # another process holds the SQLite write lock for longer than a submission may wait
    url = app.settings.database_url.removeprefix("sqlite:///")
    claims = _claims(app)
    other = sqlite3.connect(url, timeout=0.1, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        response = app.driver.view_submission(ALICE.user_id, view, values)
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert response.status == 200 and response.elapsed < 3
    assert NOT_SAVED in inline_error(response.json())
    time.sleep(0.3)
    assert _rows(app, Participant) == [] and _claims(app) == claims
    assert app.sandbox.messages_to(ALICE.user_id) == []
    assert len(app.sandbox.calls_for("users.info")) == lookups  # Slack is never asked before the profile is saved

    retry = app.driver.view_submission(ALICE.user_id, view, values)  # the same modal, submitted again
    assert retry.status == 200 and not retry.body.strip()
    # stored before the ack: /mentor profile at once finds the profile (and prefills it)
    edit = app.driver.slash_command(ALICE.user_id, "profile")
    assert "haven't joined" not in edit.body
    prefilled = eventually(lambda: [v for v in app.sandbox.views_opened(ALICE.user_id) if v.get("id") != view["id"]])
    role = next(b for b in prefilled[-1]["blocks"] if b.get("block_id") == ids.ROLE)
    assert role["element"]["initial_option"]["value"] == "mentee"
    eventually(lambda: app.sandbox.messages_to(ALICE.user_id))
    (participant,) = _rows(app, Participant)
    assert eventually(lambda: _rows(app, Participant)[0].display_name == "alice")  # users.info after the ack


def test_signup_failing_halfway_keeps_nothing(app: RunningApp) -> None:
    add_person(app, BOB)
    view = open_modal(app, BOB.user_id)
    values = fill.signup_values(view, BOB)
    claims = _claims(app)
    with database_refuses(app.services.engine, r"^INSERT INTO profile") as refused:
        response = app.driver.view_submission(BOB.user_id, view, values)
    assert refused and NOT_SAVED in inline_error(response.json())
    assert _rows(app, Participant) == [] and _claims(app) == claims  # the participant row went with the profile
    assert app.driver.view_submission(BOB.user_id, view, values).status == 200
    eventually(lambda: app.sandbox.messages_to(BOB.user_id))
    assert len(_rows(app, Participant)) == 1


def test_leave_failing_keeps_the_person_and_shows_the_confirmation_again(app: RunningApp) -> None:
    sign_up(app, ALICE)
    view = open_modal(app, ALICE.user_id, "leave")
    assert view["callback_id"] == ids.LEAVE_VIEW
    claims = _claims(app)
    with database_refuses(app.services.engine, r"^DELETE FROM profile"):
        response = app.driver.view_submission(ALICE.user_id, view, {})
    answer = response.json()
    assert answer["response_action"] == "update" and NOT_SAVED in str(answer["view"]["blocks"][0])
    assert answer["view"]["callback_id"] == ids.LEAVE_VIEW and answer["view"]["submit"]
    assert len(_rows(app, Participant)) == 1 and _claims(app) == claims
    assert not any("left the mentorship" in m["text"] for m in app.sandbox.messages_to(ALICE.user_id))
    assert app.driver.view_submission(ALICE.user_id, view, {}).status == 200
    eventually(lambda: any("left the mentorship" in m["text"] for m in app.sandbox.messages_to(ALICE.user_id)))
    assert _rows(app, Participant) == []


# ---------------------------------------------------------------------- the pair's modals


def goal_states() -> dict[str, dict[str, Any]]:
    return {
        ids.GOAL_TITLE.format(n=1): slack.text_value("Lead a design review"),
        ids.GOAL_MEASURE.format(n=1): slack.text_value("Runs two reviews"),
        ids.GOALS_CADENCE: slack.radio_value("weekly"),
        ids.GOALS_CHANNEL: slack.radio_value("video"),
    }


def test_goals_failing_halfway_keep_nothing_and_tell_nobody(app: RunningApp, paired: PairRow) -> None:
    view = open_modal_from(
        app, ALICE.user_id, ids.PAIR_SET_GOALS, message_with(app, paired.channel_id, ids.PAIR_SET_GOALS)
    )
    posts = len(app.sandbox.messages_in(paired.channel_id))
    claims = _claims(app)
    with database_refuses(app.services.engine, r"^UPDATE pair_journey") as refused:
        answer = submit(app, ALICE.user_id, view, goal_states())
    assert refused and NOT_SAVED in inline_error(answer)
    time.sleep(0.3)
    assert _rows(app, PairGoals) == [] and _claims(app) == claims
    assert len(app.sandbox.messages_in(paired.channel_id)) == posts
    assert submit(app, ALICE.user_id, view, goal_states()) is None
    assert len(_rows(app, PairGoals)) == 1  # stored before the ack
    eventually(
        lambda: any(ids.GOALS_CONFIRM in str(m.get("blocks")) for m in app.sandbox.messages_in(paired.channel_id))
    )


def test_a_meeting_failing_at_its_fit_check_keeps_nothing(app: RunningApp, paired: PairRow) -> None:
    view = open_modal_from(
        app, BOB.user_id, ids.PAIR_LOG_MEETING, message_with(app, paired.channel_id, ids.PAIR_LOG_MEETING)
    )
    states = {
        ids.MEETING_DATE: slack.date_value(app.services.now().date().isoformat()),
        ids.MEETING_DURATION: slack.select_value("45"),
        ids.MEETING_TOPICS: slack.text_value("career paths"),
    }
    claims = _claims(app)
    with database_refuses(app.services.engine, r"^INSERT INTO scheduled_prompt") as refused:
        answer = submit(app, BOB.user_id, view, states)
    assert refused and NOT_SAVED in inline_error(answer)
    time.sleep(0.3)
    assert _rows(app, Meeting) == [] and _claims(app) == claims
    assert not any("logged a meeting" in m["text"] for m in app.sandbox.messages_in(paired.channel_id))
    assert submit(app, BOB.user_id, view, states) is None
    assert len(_rows(app, Meeting)) == 1
    eventually(lambda: any("logged a meeting" in m["text"] for m in app.sandbox.messages_in(paired.channel_id)))


def test_pause_failing_leaves_the_pair_running(app: RunningApp, paired: PairRow) -> None:
    view = open_modal_from(app, ALICE.user_id, ids.PAIR_PAUSE, message_with(app, paired.channel_id, ids.PAIR_PAUSE))
    claims = _claims(app)
    with database_refuses(app.services.engine, r"^UPDATE scheduled_prompt"):
        answer = submit(app, ALICE.user_id, view, {})
    assert NOT_SAVED in inline_error(answer)
    assert _rows(app, PairRow)[0].status == PairStatus.ACTIVE and _claims(app) == claims
    assert submit(app, ALICE.user_id, view, {}) is None
    assert _rows(app, PairRow)[0].status == PairStatus.PAUSED
    eventually(lambda: any("paused your mentorship" in m["text"] for m in app.sandbox.messages_in(paired.channel_id)))


def test_a_concern_is_stored_before_coordinators_hear_it(app: RunningApp, paired: PairRow) -> None:
    view = open_modal_from(app, ALICE.user_id, ids.PAIR_CONCERN, message_with(app, paired.channel_id, ids.PAIR_CONCERN))
    words = {ids.CONCERN_TEXT: slack.text_value("We keep missing each other")}
    claims = _claims(app)
    with database_refuses(app.services.engine, r"^INSERT INTO private_answer"):
        answer = submit(app, ALICE.user_id, view, words)
    assert NOT_SAVED in inline_error(answer)
    time.sleep(0.3)
    assert app.sandbox.messages_to(COORDINATOR) == [] and _claims(app) == claims
    assert submit(app, ALICE.user_id, view, words) is None
    (stored,) = [a for a in _rows(app, PrivateAnswer) if a.kind == AnswerKind.CONCERN]
    assert stored.answers == {"text": "We keep missing each other"} and stored.respondent_user_id == ALICE.user_id
    note = eventually(lambda: app.sandbox.messages_to(COORDINATOR))
    assert "We keep missing each other" in note[-1]["text"]


def test_survey_and_reflection_failing_keep_nothing(app: RunningApp, paired: PairRow) -> None:
    run_until(app, app.services.now() + timedelta(days=200))
    survey = message_with(app, ALICE.user_id, ids.SURVEY_OPEN)
    view = open_modal_from(app, ALICE.user_id, ids.SURVEY_OPEN, survey)
    states = {ids.SURVEY_SATISFACTION: slack.radio_value("4"), ids.SURVEY_RECOMMEND: slack.select_value("9")}
    claims = _claims(app)
    with database_refuses(app.services.engine, r"^INSERT INTO private_answer"):
        answer = submit(app, ALICE.user_id, view, states)
    assert NOT_SAVED in inline_error(answer)
    assert _rows(app, PrivateAnswer) == [] and _claims(app) == claims
    assert submit(app, ALICE.user_id, view, states) is None
    assert len(_rows(app, PrivateAnswer)) == 1

    closure = message_with(app, paired.channel_id, ids.REFLECT_OPEN)
    view = open_modal_from(app, BOB.user_id, ids.REFLECT_OPEN, closure)
    words = {
        ids.REFLECT_ACHIEVED: slack.text_value("Alice led her first review"),
        ids.REFLECT_THANKS: slack.text_value("Thank you for the questions"),
    }
    claims = _claims(app)
    with database_refuses(app.services.engine, r"^INSERT INTO reflection"):
        answer = submit(app, BOB.user_id, view, words)
    assert NOT_SAVED in inline_error(answer)
    time.sleep(0.3)
    assert _rows(app, Reflection) == []
    assert not any("thank-you note" in m["text"] for m in app.sandbox.messages_to(ALICE.user_id))
    assert submit(app, BOB.user_id, view, words) is None
    assert len(_rows(app, Reflection)) == 1
    eventually(lambda: any("thank-you note" in m["text"] for m in app.sandbox.messages_to(ALICE.user_id)))


# ---------------------------------------------------------------------- coordinators


def test_program_failing_at_its_audit_entry_creates_no_cohort(app: RunningApp) -> None:
    app.sandbox.add_user(COORDINATOR, name="cora", real_name="Cora Coordinator", tz="Europe/London")
    view = open_modal(app, COORDINATOR, "program Spring")
    states = {
        ids.PROGRAM_NAME: slack.text_value("Spring"),
        ids.PROGRAM_FIRST_SURVEY: slack.number_value("30"),
        ids.PROGRAM_SURVEY_EVERY: slack.number_value("60"),
        ids.PROGRAM_MIN_HOURS: slack.number_value("1"),
        ids.PROGRAM_CHOICE_DAYS: slack.number_value("3"),
    }
    before = [c.name for c in _rows(app, Cohort)]
    claims = _claims(app)
    with database_refuses(app.services.engine, r"^INSERT INTO audit_log"):
        answer = submit(app, COORDINATOR, view, states)
    assert NOT_SAVED in inline_error(answer)
    assert [c.name for c in _rows(app, Cohort)] == before and _claims(app) == claims
    assert submit(app, COORDINATOR, view, states) is None
    assert "Spring" in [c.name for c in _rows(app, Cohort)]
    eventually(lambda: any("Spring" in m["text"] for m in app.sandbox.messages_to(COORDINATOR)))


def test_a_coordinator_ending_a_pair_is_stored_before_the_pair_is_told(app: RunningApp, paired: PairRow) -> None:
    run_until(app, app.services.now() + timedelta(days=45))  # a silent pair: at risk
    status = _rows(app, PairRow)[0].status
    assert status == PairStatus.AT_RISK
    assert app.driver.app_home_opened(COORDINATOR).status == 200
    home = eventually(
        lambda: ids.PAIR_DO_END in str(app.sandbox.home_view(COORDINATOR)) and app.sandbox.home_view(COORDINATOR)
    )
    end = next(
        e
        for b in home["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e.get("action_id") == ids.PAIR_DO_END
    )
    before = len(app.sandbox.views_opened(COORDINATOR))
    assert app.driver.block_action(COORDINATOR, ids.PAIR_DO_END, value=end["value"], view=home).status == 200
    view = eventually(lambda: app.sandbox.views_opened(COORDINATOR)[before:])[-1]
    reason = {
        ids.PAIR_CTL_REASON: slack.radio_value(EndReason.INACTIVE),
        ids.PAIR_CTL_NOTE: slack.text_value("Both asked to stop"),
    }
    claims = _claims(app)
    with database_refuses(app.services.engine, r"^INSERT INTO audit_log"):
        answer = submit(app, COORDINATOR, view, reason)
    assert NOT_SAVED in inline_error(answer)
    time.sleep(0.3)
    assert _rows(app, PairRow)[0].status == status and _claims(app) == claims
    assert not any("quiet for a while" in m["text"] for m in app.sandbox.messages_to(ALICE.user_id))
    assert "errors" not in (submit(app, COORDINATOR, view, reason) or {})
    assert _rows(app, PairRow)[0].status == PairStatus.CLOSED
    eventually(lambda: any("quiet for a while" in m["text"] for m in app.sandbox.messages_to(ALICE.user_id)))
    assert [a.action for a in _rows(app, AuditLog)].count("pair.end") == 1


def test_an_import_upload_is_recorded_before_the_ack(app: RunningApp) -> None:
    from slack_sdk import WebClient

    client = WebClient(base_url=app.sandbox.url, token=BOT_TOKEN)
    client.files_upload_v2(content=b"user_id,department\n", filename="people.csv", request_file_info=False)
    uploaded = app.sandbox.uploaded_files[-1]
    files = [
        {
            "id": uploaded.file_id,
            "name": "people.csv",
            "url_private_download": f"{app.sandbox.base}/files/{uploaded.file_id}/people.csv?download=1",
        }
    ]
    view = open_modal(app, COORDINATOR, "import")
    state = {ids.IMPORT_FILE: {"type": "file_input", "files": files}}
    claims = _claims(app)
    with database_refuses(app.services.engine, r"^INSERT INTO hr_import"):
        answer = submit(app, COORDINATOR, view, state)
    assert NOT_SAVED in inline_error(answer)
    assert _rows(app, HrImport) == [] and _claims(app) == claims
    assert submit(app, COORDINATOR, view, state) is None
    assert len(_rows(app, HrImport)) == 1
    eventually(lambda: any("Nothing to import" in m["text"] for m in app.sandbox.messages_to(COORDINATOR)))


# ---------------------------------------------------------------------- the library and feedback


def test_a_share_failing_keeps_no_resource(app: RunningApp, paired: PairRow) -> None:
    assert app.driver.slash_command(ALICE.user_id, "share", channel_id=paired.channel_id).status == 200
    view = eventually(
        lambda: [v for v in app.sandbox.views_opened(ALICE.user_id) if v["callback_id"] == ids.SHARE_VIEW]
    )[-1]
    states = {ids.SHARE_URL: slack.text_value("https://example.com/design-reviews")}
    claims = _claims(app)
    with database_refuses(app.services.engine, r"^INSERT INTO resource_share"):
        answer = submit(app, ALICE.user_id, view, states)
    assert NOT_SAVED in inline_error(answer)
    assert _rows(app, Resource) == [] and _claims(app) == claims
    assert submit(app, ALICE.user_id, view, states) is None
    assert len(_rows(app, Resource)) == 1
    eventually(lambda: any("Saved" in m["text"] for m in app.sandbox.messages_to(ALICE.user_id)))


def test_a_feedback_reply_failing_is_not_lost(app: RunningApp, paired: PairRow) -> None:
    asked = app.driver.slash_command(
        ALICE.user_id, "feedback-request https://example.com/doc Is the intro clear?", channel_id=paired.channel_id
    )
    assert asked.status == 200
    request = eventually(lambda: message_with(app, paired.channel_id, ids.FEEDBACK_REPLY_OPEN))
    view = open_modal_from(app, BOB.user_id, ids.FEEDBACK_REPLY_OPEN, request)
    words = {ids.FEEDBACK_REPLY_TEXT: slack.text_value("Yes, but cut the second paragraph.")}
    claims = _claims(app)
    with database_refuses(app.services.engine, r"^UPDATE feedback_request"):
        answer = submit(app, BOB.user_id, view, words)
    assert NOT_SAVED in inline_error(answer)
    assert _rows(app, FeedbackRequest)[0].status == "open" and _claims(app) == claims
    assert submit(app, BOB.user_id, view, words) is None
    assert _rows(app, FeedbackRequest)[0].reply == "Yes, but cut the second paragraph."


def test_slow_slack_calls_come_after_the_ack(app: RunningApp, paired: PairRow) -> None:
    # Slack answering slowly (users.info, the pair's DM) never holds the person's answer past Slack's 3 s
    carol = replace(ALICE, user_id="U0CAROL001", name="Carol Mentee")
    add_person(app, carol)
    view = open_modal(app, carol.user_id)
    app.sandbox.delay_next("users.info", 4.0)
    response = app.driver.view_submission(carol.user_id, view, fill.signup_values(view, carol))
    assert response.status == 200 and not response.body.strip() and response.elapsed < 2
    assert [p.user_id for p in _rows(app, Participant)].count(carol.user_id) == 1  # saved before the ack

    view = open_modal_from(
        app, ALICE.user_id, ids.PAIR_SET_GOALS, message_with(app, paired.channel_id, ids.PAIR_SET_GOALS)
    )
    app.sandbox.delay_next("chat.postMessage", 4.0)
    started = time.time()
    assert submit(app, ALICE.user_id, view, goal_states()) is None
    assert time.time() - started < 2 and len(_rows(app, PairGoals)) == 1
    eventually(
        lambda: any(ids.GOALS_CONFIRM in str(m.get("blocks")) for m in app.sandbox.messages_in(paired.channel_id)),
        timeout=10,
    )


def test_publishing_a_round_failing_keeps_the_preview_and_creates_no_pair(app: RunningApp) -> None:
    from tests.test_matching_flow import _preview, _signup_cohort

    _signup_cohort(app)
    started = time.time()
    app.driver.slash_command(COORDINATOR, "match")
    view = _preview(app, after=started)
    with database_refuses(app.services.engine, r"^INSERT INTO pair\b"):
        response = app.driver.view_submission(COORDINATOR, view, {})
    answer = response.json()
    assert response.elapsed < 3 and answer["response_action"] == "update"
    assert "Publishing failed, and nothing was created" in str(answer["view"]["blocks"])
    time.sleep(0.3)
    assert _rows(app, PairRow) == []
    assert not any("first in line" in m["text"] for m in app.sandbox.messages_to(ERIN_ID))
    again = app.driver.view_submission(COORDINATOR, view, {}).json()
    assert again["response_action"] == "update" and "Published" in str(again["view"])
    assert len(_rows(app, PairRow)) == 2
    eventually(lambda: any("first in line" in m["text"] for m in app.sandbox.messages_to(ERIN_ID)))


ERIN_ID = "U0ERIN0005"
