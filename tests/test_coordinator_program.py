"""/mentor program: the cohort modal, inline validation, the signup announcement, the pre-match notice and skips,
and the weekly digest."""

from __future__ import annotations

import json
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

from slack_sdk.models.views import View
from sqlmodel import Session, select

from bot import ids
from bot.cohorts import settings_of
from bot.coordination import build_weekly_digest
from bot.dispatch import Dispatcher
from storage.coordination import skipped_user_ids
from storage.models import AuditLog, Cohort
from storage.vocab import AnswerKind, FitAnswer, PairStatus, Role
from tests.conftest import COORDINATOR, RunningApp
from tests.test_coordinator_seed import NOW, TEAM, add_answer, add_cohort, add_journey, add_pair, add_person


def _text(value: str) -> dict[str, Any]:
    return {"type": "plain_text_input", "value": value}


def _values(name: str, match: date, **over: dict[str, Any]) -> dict[str, Any]:
    values = {
        ids.PROGRAM_NAME: _text(name),
        ids.PROGRAM_SIGNUP_OPENS: {"type": "datepicker", "selected_date": (match - timedelta(days=20)).isoformat()},
        ids.PROGRAM_SIGNUP_CLOSES: {"type": "datepicker", "selected_date": (match - timedelta(days=5)).isoformat()},
        ids.PROGRAM_MATCH_DATE: {"type": "datepicker", "selected_date": match.isoformat()},
        ids.PROGRAM_START_DATE: {"type": "datepicker", "selected_date": (match + timedelta(days=3)).isoformat()},
        ids.PROGRAM_DURATION: {"type": "static_select", "selected_option": {"value": "6"}},
        ids.PROGRAM_CADENCE: {"type": "static_select", "selected_option": {"value": "14"}},
        ids.PROGRAM_FIRST_SURVEY: {"type": "number_input", "value": "30"},
        ids.PROGRAM_SURVEY_EVERY: {"type": "number_input", "value": "60"},
        ids.PROGRAM_WEIGHTS: _text("skills = 0.5\ngoals = 0.15"),
        ids.PROGRAM_SKILLS: _text("Python\nPublic speaking\n"),
        ids.PROGRAM_OPTIONS: {"type": "checkboxes", "selected_options": [{"value": "same_team_excluded"}]},
        ids.PROGRAM_MIN_HOURS: {"type": "number_input", "value": "2"},
        ids.PROGRAM_ANNOUNCE_CHANNEL: {"type": "conversations_select", "selected_conversation": "C0ANNOUNCE"},
        ids.PROGRAM_DIGEST_CHANNEL: {"type": "conversations_select", "selected_conversation": None},
    }
    values.update(over)
    return {block: {ids.INPUT: state} for block, state in values.items()}


def _open(app: RunningApp, text: str = "program") -> dict[str, Any]:
    before = time.time()
    assert app.driver.slash_command(COORDINATOR, text).status == 200
    app.sandbox.wait_for("views.open", after=before)
    return app.sandbox.views_opened(COORDINATOR)[-1]


def test_program_modal_shows_defaults_and_is_valid_block_kit(app: RunningApp) -> None:
    view = _open(app)
    assert view["callback_id"] == ids.PROGRAM_VIEW
    View(
        **{
            k: v
            for k, v in view.items()
            if k in ("type", "callback_id", "title", "blocks", "submit", "close", "private_metadata")
        }
    ).validate_json()
    blocks = {b.get("block_id"): b for b in view["blocks"]}
    weights = blocks[ids.PROGRAM_WEIGHTS]["element"]["initial_value"]
    assert "skills = 0.3" in weights and "availability = 0.15" in weights  # matching's defaults, shown
    assert blocks[ids.PROGRAM_DURATION]["element"]["initial_option"]["value"] == "6"
    assert blocks[ids.PROGRAM_CADENCE]["element"]["initial_option"]["value"] == "14"


def test_bad_program_answers_come_back_inline_and_store_nothing(app: RunningApp) -> None:
    view = _open(app)
    match = date.today() + timedelta(days=10)
    values = _values(
        "",
        match,
        **{
            ids.PROGRAM_START_DATE: {"type": "datepicker", "selected_date": (match - timedelta(days=1)).isoformat()},
            ids.PROGRAM_WEIGHTS: _text("skills = lots"),
            ids.PROGRAM_MIN_HOURS: {"type": "number_input", "value": "99"},
        },
    )
    answer = app.driver.view_submission(COORDINATOR, view, values).json()
    assert answer["response_action"] == "errors"
    assert set(answer["errors"]) == {
        ids.PROGRAM_NAME,
        ids.PROGRAM_START_DATE,
        ids.PROGRAM_WEIGHTS,
        ids.PROGRAM_MIN_HOURS,
    }
    time.sleep(0.2)
    with app.sessions() as session:
        assert session.exec(select(Cohort)).all() == [] and session.exec(select(AuditLog)).all() == []


def test_create_cohort_announces_it_then_edit_it(app: RunningApp) -> None:
    app.sandbox.add_user(COORDINATOR, name="coord", real_name="Coordinator")
    match = date.today() + timedelta(days=10)
    view = _open(app)
    assert app.driver.view_submission(COORDINATOR, view, _values("Autumn 2026", match)).status == 200
    app.sandbox.wait_for("chat.postMessage", lambda c: c.args.get("channel") == "C0ANNOUNCE")
    announcement = app.sandbox.messages_in("C0ANNOUNCE")[-1]
    buttons = [e for b in announcement["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [b["action_id"] for b in buttons] == [ids.HOME_JOIN]
    with app.sessions() as session:
        cohort = session.exec(select(Cohort)).one()
        audit = session.exec(select(AuditLog)).one()
    settings = settings_of(cohort)
    assert settings.match_date == match and settings.duration_days == 182 and settings.min_shared_hours == 2
    assert settings.same_department_excluded and settings.weights == {"skills": 0.5}
    assert cohort.settings["skills_taxonomy"] == ["python", "public speaking"]
    assert (audit.action, audit.actor, audit.target) == ("cohort.create", COORDINATOR, f"cohort:{cohort.id}")

    # a second cohort can run at the same time; editing by name keeps the id
    view = _open(app, "program autumn 2026")
    assert json.loads(view["private_metadata"])["cohort_id"] == cohort.id
    edited = _values(
        "Autumn 2026", match, **{ids.PROGRAM_DURATION: {"type": "static_select", "selected_option": {"value": "3"}}}
    )
    assert app.driver.view_submission(COORDINATOR, view, edited).status == 200
    app.sandbox.wait_for("chat.postMessage", lambda c: "saved" in c.args.get("text", ""))
    with app.sessions() as session:
        (row,) = session.exec(select(Cohort)).all()
        actions = [a.action for a in session.exec(select(AuditLog).order_by(AuditLog.id)).all()]
    assert settings_of(row).duration_days == 91 and actions == ["cohort.create", "cohort.update"]
    # a new cohort may not take an existing name
    view = _open(app)
    taken = app.driver.view_submission(COORDINATOR, view, _values("AUTUMN 2026", match)).json()
    assert set(taken["errors"]) == {ids.PROGRAM_NAME}


def test_pool_is_warned_24_hours_before_matching_and_can_skip(app: RunningApp) -> None:
    match = date.today() + timedelta(days=5)
    with app.sessions() as session:
        cohort = add_cohort(session, "Summer", match_date=match.isoformat())
        add_person(session, "U0POOLMENTEE", Role.MENTEE, cohort)
        add_person(session, "U0POOLMENTOR", Role.MENTOR, cohort, capacity=1)
        add_person(session, "U0BUSYMENTOR", Role.MENTOR, cohort, capacity=1)
        add_person(session, "U0PAIREDMENTEE", Role.MENTEE, cohort)
        add_pair(session, cohort, "U0PAIREDMENTEE", "U0BUSYMENTOR")  # full mentor and paired mentee: not in the pool
        session.commit()
        from bot.coordination import schedule_cohort_prompts

        schedule_cohort_prompts(session=session, cohort=cohort, now=datetime.now(UTC))
        session.commit()
        cohort_id = cohort.id
    moment = datetime.combine(match, datetime.min.time(), tzinfo=UTC) + timedelta(hours=9)
    dispatcher = Dispatcher(app.services)
    assert dispatcher.run_until_idle(moment - timedelta(hours=25)).claimed == 0  # not yet
    dispatcher.run_until_idle(moment - timedelta(hours=23))
    dispatcher.run_until_idle(moment - timedelta(hours=23))
    told = {c.args["channel"] for c in app.sandbox.calls_for("chat.postMessage")}
    assert told == {app.sandbox.dm_channel_id("U0POOLMENTEE"), app.sandbox.dm_channel_id("U0POOLMENTOR")} or told == {
        "U0POOLMENTEE",
        "U0POOLMENTOR",
    }
    notice = app.sandbox.messages_to("U0POOLMENTEE")[-1]
    assert "you're in the pool" in notice["text"]
    dispatcher.run_until_idle(moment - timedelta(hours=22))
    assert len(app.sandbox.calls_for("chat.postMessage")) == 2  # each person told once
    for _ in range(2):  # a double click stores one skip
        app.driver.block_action("U0POOLMENTEE", ids.COORD_SKIP_ROUND, message=notice)
    app.sandbox.wait_for("response_url")
    assert "sitting out" in app.sandbox.responses[-1].payload["text"]
    time.sleep(0.2)
    with app.sessions() as session:
        assert skipped_user_ids(session=session, team_id=TEAM, cohort_id=cohort_id, match_date=match.isoformat()) == {
            "U0POOLMENTEE"
        }


def test_weekly_digest_names_the_quiet_side_flags_and_closures(engine) -> None:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        cohort = add_cohort(session, "Digest", digest_enabled=True, digest_channel="C0DIGEST")
        add_cohort(session, "Silent")  # not opted in
        for n in range(3):
            add_person(session, f"U0NEW{n:05d}", Role.MENTEE, cohort, created_at=NOW - timedelta(days=2))
        quiet = add_pair(session, cohort, "U0NEW00000", "U0OLDMENTOR", status=PairStatus.AT_RISK, days_ago=3)
        add_journey(session, quiet, last_active={"U0NEW00000": (NOW - timedelta(days=1)).isoformat()})
        flagged = add_pair(session, cohort, "U0NEW00001", "U0OTHERMENTOR", days_ago=100)
        add_answer(
            session,
            flagged,
            satisfaction=2,
            recommend=3,
            answers={"fit": FitAnswer.NOT},
            kind=AnswerKind.FIT,
            days_ago=1,
        )
        ending = add_pair(session, cohort, "U0NEW00002", "U0THIRDMENTOR", days_ago=175)
        add_journey(session, ending)
        session.commit()
        (digest,) = build_weekly_digest(session=session, team_id=TEAM, now=NOW)
    text = json.dumps(digest.message)
    assert digest.channel == "C0DIGEST"
    assert "*New signups:* 3" in text and "*Matches made:* 1" in text
    assert "U0NEW00000" in text and "the mentor went quiet" in text
    assert "the mentee said \\u201cnot a fit\\u201d" in text
    assert "U0NEW00002" in text and "ends" in text


def test_mentee_choice_is_a_cohort_option_in_the_modal_and_the_next_round_uses_it(app: RunningApp) -> None:
    from bot.cohorts import DEFAULT_COHORT_NAME
    from tests.helpers import ALICE, BOB, sign_up

    app.sandbox.add_user(COORDINATOR, name="coord", real_name="Coordinator")
    for person in (ALICE, BOB):
        sign_up(app, person)
    view = _open(app, f"program {DEFAULT_COHORT_NAME}")
    blocks = {b.get("block_id"): b for b in view["blocks"]}
    assert "mentee_choice" in json.dumps(blocks[ids.PROGRAM_OPTIONS]["element"]["options"])
    assert blocks[ids.PROGRAM_CHOICE_DAYS]["element"]["initial_value"] == "3"
    match = date.today() - timedelta(days=1)
    on = {"type": "checkboxes", "selected_options": [{"value": "mentee_choice"}]}
    bad = _values(DEFAULT_COHORT_NAME, match, **{ids.PROGRAM_OPTIONS: on})
    bad[ids.PROGRAM_CHOICE_DAYS] = {ids.INPUT: {"type": "number_input", "value": "0"}}
    answer = app.driver.view_submission(COORDINATOR, view, bad).json()
    assert set(answer["errors"]) == {ids.PROGRAM_CHOICE_DAYS}
    with app.sessions() as session:
        assert not settings_of(session.exec(select(Cohort)).one()).mentee_choice  # nothing stored on error
    good = {**bad, ids.PROGRAM_CHOICE_DAYS: {ids.INPUT: {"type": "number_input", "value": "5"}}}
    assert app.driver.view_submission(COORDINATOR, view, good).status == 200
    app.sandbox.wait_for("chat.postMessage", lambda c: "saved" in c.args.get("text", ""))
    with app.sessions() as session:
        settings = settings_of(session.exec(select(Cohort)).one())
    assert settings.mentee_choice and settings.choice_response_days == 5
    assert "Mentee-choice round" in app.driver.slash_command(COORDINATOR, "match").json()["text"]
    # editing again without ticking it turns the mode off
    view = _open(app, f"program {DEFAULT_COHORT_NAME}")
    off = {**good, ids.PROGRAM_OPTIONS: {ids.INPUT: {"type": "checkboxes", "selected_options": []}}}
    before = time.time()
    assert app.driver.view_submission(COORDINATOR, view, off).status == 200
    app.sandbox.wait_for("chat.postMessage", lambda c: "saved" in c.args.get("text", ""), after=before)
    with app.sessions() as session:
        assert not settings_of(session.exec(select(Cohort)).one()).mentee_choice
