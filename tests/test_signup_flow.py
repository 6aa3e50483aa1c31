"""Signup and self-service through signed, Slack-shaped requests to the real app and the sandbox."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import yaml
from sqlmodel import select

from bot import ids
from bot.sandbox import forms as fill
from storage.models import AnonymousDeparture, Participant, ProcessedEvent, Profile
from storage.vocab import ParticipantStatus, Role
from tests.conftest import RunningApp
from tests.helpers import ALICE, BOB, add_person, open_modal, sign_up


def _count(app: RunningApp, model: type) -> int:
    with app.sessions() as session:
        return len(session.exec(select(model)).all())


def test_mentor_opens_signup_modal_within_3_seconds_with_slack_timezone(app: RunningApp) -> None:
    add_person(app, ALICE)
    response = app.driver.slash_command(ALICE.user_id, "")
    assert response.status == 200
    assert response.elapsed < 3
    app.sandbox.wait_for("views.open")
    view = app.sandbox.views_opened(ALICE.user_id)[-1]
    assert view["callback_id"] == ids.SIGNUP_VIEW
    tz_block = next(b for b in view["blocks"] if b.get("block_id") == ids.TIMEZONE)
    assert tz_block["element"]["type"] == "external_select"  # type-ahead over IANA zones, cities and offsets
    initial = tz_block["element"]["initial_option"]  # from users.info, with its offset and local time
    assert initial["value"] == "Europe/Berlin"
    assert re.fullmatch(r"Europe/Berlin \(UTC\+[12], now \d\d:\d\d\)", initial["text"]["text"])
    assert app.sandbox.calls_for("users.info")


def test_valid_submission_stores_profile_and_confirms_by_dm(app_any_db: RunningApp) -> None:
    app = app_any_db
    sign_up(app, ALICE)
    with app.sessions() as session:
        participant = session.exec(select(Participant)).one()
        profile = session.get(Profile, participant.id)
    assert (participant.team_id, participant.user_id, participant.role) == ("T0MENTOR", ALICE.user_id, Role.MENTEE)
    assert participant.timezone == "Europe/Berlin"
    assert participant.display_name == "alice"
    assert profile is not None
    assert profile.skills_wanted == ["python", "system design", "kite surfing"]
    assert profile.languages == ["english", "german"]
    assert profile.days == ["tue", "thu"] and profile.meeting_format == "video"
    dm = app.sandbox.messages_to(ALICE.user_id)[-1]
    assert "You're in the mentorship program as a mentee" in dm["text"]
    home = app.sandbox.home_view(ALICE.user_id)
    assert home is not None and "Edit profile" in json.dumps(home)


def test_profile_reopens_the_modal_prefilled(app: RunningApp) -> None:
    sign_up(app, BOB)
    view = open_modal(app, BOB.user_id, "profile")
    blocks = {b.get("block_id"): b for b in view["blocks"]}
    assert blocks[ids.ROLE]["element"]["initial_option"]["value"] == Role.MENTOR
    offered = {o["value"] for o in blocks[ids.SKILLS_OFFERED]["element"]["initial_options"]}
    assert offered == {"python", "system design", "people management"}
    assert blocks[ids.CAPACITY]["element"]["initial_value"] == "3"
    assert blocks[ids.TIMEZONE]["element"]["initial_option"]["value"] == "America/New_York"
    assert {o["value"] for o in blocks[ids.TIME_SLOTS]["element"]["initial_options"]} == {"morning", "afternoon"}
    # saving the prefilled modal unchanged updates, not duplicates
    values = fill.signup_values(view, BOB)
    assert app.driver.view_submission(BOB.user_id, view, values).status == 200
    app.sandbox.wait_for("chat.postMessage", lambda c: "updated" in c.args.get("text", ""))
    assert _count(app, Participant) == 1


def test_overlong_and_missing_answers_come_back_inline_and_store_nothing(app: RunningApp) -> None:
    add_person(app, BOB)
    view = open_modal(app, BOB.user_id)
    values = fill.signup_values(view, BOB)
    values |= fill.text(view, ids.SKILLS_OFFERED_OTHER, "x" * 5000)
    values |= fill.text(view, ids.BIO, "y" * 5000)
    values |= fill.text(view, ids.CAPACITY, "9")
    values |= fill.text(view, ids.TIMEZONE, "Mars/Olympus")
    values |= fill.one(view, ids.DEPARTMENT, None)
    response = app.driver.view_submission(BOB.user_id, view, values)
    assert response.status == 200
    answer = response.json()
    assert answer["response_action"] == "errors"
    errors = answer["errors"]
    assert set(errors) == {ids.SKILLS_OFFERED_OTHER, ids.BIO, ids.CAPACITY, ids.TIMEZONE, ids.DEPARTMENT}
    assert "5,000" in errors[ids.BIO]
    assert "1 to 5" in errors[ids.CAPACITY]
    time.sleep(0.2)
    assert _count(app, Participant) == 0 and _count(app, Profile) == 0


def test_double_submission_leaves_one_profile_and_one_confirmation(app: RunningApp) -> None:
    add_person(app, ALICE)
    view = open_modal(app, ALICE.user_id)
    values = fill.signup_values(view, ALICE)
    first = app.driver.view_submission(ALICE.user_id, view, values)
    second = app.driver.view_submission(ALICE.user_id, view, values)
    assert first.status == second.status == 200
    app.sandbox.wait_for("chat.postMessage", lambda c: c.args.get("channel") == ALICE.user_id)
    time.sleep(0.3)
    assert _count(app, Participant) == 1 and _count(app, Profile) == 1
    confirmations = [c for c in app.sandbox.calls_for("chat.postMessage") if c.args.get("channel") == ALICE.user_id]
    assert len(confirmations) == 1


def test_unsigned_badly_signed_and_stale_requests_get_401_and_touch_nothing(app: RunningApp) -> None:
    add_person(app, ALICE)
    before = len(app.sandbox.calls)
    assert app.driver.slash_command(ALICE.user_id, "join", sign=False).status == 401
    assert app.driver.slash_command(ALICE.user_id, "join", bad_signature=True).status == 401
    stale = int(time.time()) - 6 * 60
    assert app.driver.slash_command(ALICE.user_id, "join", timestamp=stale).status == 401
    view = {"id": "V1", "callback_id": ids.SIGNUP_VIEW, "blocks": []}
    assert app.driver.view_submission(ALICE.user_id, view, {}, sign=False).status == 401
    time.sleep(0.2)
    assert len(app.sandbox.calls) == before
    assert _count(app, Participant) == 0


def test_malformed_signed_bodies_get_400_not_500(app: RunningApp) -> None:
    assert app.driver.post("payload=%7Bnot-json", "application/x-www-form-urlencoded").status == 400
    assert app.driver.post("[1, 2, 3]", "application/json").status == 400
    assert app.driver.post("\xff\xfe", "application/json").status in (400, 404)


def test_healthz_answers_when_the_database_does(app: RunningApp) -> None:
    import urllib.request

    with urllib.request.urlopen(f"{app.url}/healthz", timeout=5) as response:
        assert response.status == 200
        assert json.loads(response.read())["database"] == "up"


def test_help_lists_every_command_and_unknown_subcommand_helps(app: RunningApp) -> None:
    response = app.driver.slash_command(ALICE.user_id, "help")
    text = response.json()["text"]
    for command in ("join", "profile", "pause", "resume", "leave", "help"):
        assert f"/mentor {command}" in text
    unknown = app.driver.slash_command(ALICE.user_id, "frobnicate now")
    assert unknown.status == 200
    assert "I don't know `/mentor frobnicate`" in unknown.json()["text"]


def test_pause_and_resume(app: RunningApp) -> None:
    sign_up(app, ALICE)
    paused = app.driver.slash_command(ALICE.user_id, "pause").json()["text"]
    assert "Paused" in paused
    with app.sessions() as session:
        assert session.exec(select(Participant)).one().status == ParticipantStatus.PAUSED
    app.sandbox.wait_for("views.publish", lambda c: "Resume" in json.dumps(c.args.get("view")))
    assert "active again" in app.driver.slash_command(ALICE.user_id, "resume").json()["text"]
    with app.sessions() as session:
        assert session.exec(select(Participant)).one().status == ParticipantStatus.ACTIVE


def test_pause_before_signup_explains(app: RunningApp) -> None:
    assert "/mentor join" in app.driver.slash_command(ALICE.user_id, "pause").json()["text"]


def test_leave_asks_then_deletes_personal_data_keeping_an_anonymous_count(app: RunningApp) -> None:
    sign_up(app, ALICE)
    view = open_modal(app, ALICE.user_id, "leave")
    assert view["callback_id"] == ids.LEAVE_VIEW
    assert _count(app, Participant) == 1  # nothing deleted before confirming
    assert app.driver.view_submission(ALICE.user_id, view, {}).status == 200
    app.sandbox.wait_for("chat.postMessage", lambda c: "data is deleted" in c.args.get("text", ""))
    assert _count(app, Participant) == 0 and _count(app, Profile) == 0
    with app.sessions() as session:
        departure = session.exec(select(AnonymousDeparture)).one()
    assert departure.role == Role.MENTEE and not hasattr(departure, "user_id")


def test_app_home_shows_join_then_profile(app: RunningApp) -> None:
    add_person(app, ALICE)
    assert app.driver.app_home_opened(ALICE.user_id).status == 200
    app.sandbox.wait_for("views.publish")
    home = app.sandbox.home_view(ALICE.user_id)
    join = [e for b in home["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [e["action_id"] for e in join] == [ids.HOME_JOIN]
    response = app.driver.block_action(ALICE.user_id, ids.HOME_JOIN, view=home)
    assert response.status == 200
    app.sandbox.wait_for("views.open")
    assert app.sandbox.views_opened(ALICE.user_id)[-1]["callback_id"] == ids.SIGNUP_VIEW


def test_retried_event_has_no_second_effect(app: RunningApp) -> None:
    add_person(app, ALICE)
    event = {"type": "app_home_opened", "user": ALICE.user_id, "channel": "D0ALICE", "tab": "home"}
    assert app.driver.event(event, event_id="Ev0RETRY01").status == 200
    app.sandbox.wait_for("views.publish")
    assert app.driver.event(event, event_id="Ev0RETRY01", retry_num=1).status == 200
    time.sleep(0.3)
    assert len(app.sandbox.calls_for("views.publish")) == 1
    assert _count(app, ProcessedEvent) == 1


def test_every_subscribed_event_has_a_listener(app: RunningApp) -> None:
    manifest = yaml.safe_load((Path(__file__).resolve().parents[1] / "manifest.yml").read_text())
    for n, event_type in enumerate(manifest["settings"]["event_subscriptions"]["bot_events"]):
        response = app.driver.event({"type": event_type, "user": ALICE.user_id, "tab": "home"}, event_id=f"Ev0SUB{n}")
        assert response.status == 200, f"{event_type}: {response.status} {response.body}"


def test_rate_limited_slack_call_is_retried_after_retry_after(app: RunningApp) -> None:
    add_person(app, ALICE)
    app.sandbox.fail_next("views.publish", status=429, retry_after=1, count=2)
    started = time.time()
    app.driver.app_home_opened(ALICE.user_id)
    call = app.sandbox.wait_for("views.publish", timeout=10)
    assert call.at - started >= 2  # waited Retry-After twice
    statuses = [a.status for a in app.sandbox.attempts if a.method == "views.publish"]
    assert statuses == [429, 429, 200]


def test_join_button_of_an_announcement_signs_up_into_that_cohort_with_its_skills(app: RunningApp) -> None:
    from dataclasses import replace

    from storage.models import Cohort

    with app.sessions() as session:
        session.add(Cohort(team_id="T0MENTOR", name="Default", settings={}))
        special = Cohort(team_id="T0MENTOR", name="Data guild", settings={"skills_taxonomy": ["dbt", "Airflow"]})
        session.add(special)
        session.commit()
        special_id = special.id
    add_person(app, ALICE)
    announcement = {
        "blocks": [
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "action_id": ids.HOME_JOIN,
                        "text": {"type": "plain_text", "text": "Join"},
                        "value": str(special_id),
                    }
                ],
            }
        ],
        "ts": "1700000000.000100",
        "channel": "C0ANNOUNCE",
    }
    assert (
        app.driver.block_action(
            ALICE.user_id, ids.HOME_JOIN, message=announcement, channel_id="C0ANNOUNCE", value=str(special_id)
        ).status
        == 200
    )
    app.sandbox.wait_for("views.open")
    view = app.sandbox.views_opened(ALICE.user_id)[-1]
    offered = next(b for b in view["blocks"] if b.get("block_id") == ids.SKILLS_WANTED)["element"]
    assert [o["value"] for g in offered["option_groups"] for o in g["options"]] == ["dbt", "airflow"]
    profile = replace(ALICE, skills_wanted=("dbt",), career_goals=())
    assert app.driver.view_submission(ALICE.user_id, view, fill.signup_values(view, profile)).status == 200
    app.sandbox.wait_for("chat.postMessage", lambda c: c.args.get("channel") == ALICE.user_id)
    with app.sessions() as session:
        participant = session.exec(select(Participant)).one()
    assert participant.cohort_id == special_id
    # a skill outside the cohort's list is refused inline
    view = open_modal(app, ALICE.user_id, "profile")
    values = fill.signup_values(view, profile) | fill.many(view, ids.SKILLS_WANTED, ["python"])
    answer = app.driver.view_submission(ALICE.user_id, view, values).json()
    assert ids.SKILLS_WANTED in answer["errors"]


def test_signup_window_before_it_opens_and_after_it_closes(app: RunningApp) -> None:
    from datetime import timedelta

    from storage.models import Cohort

    today = app.services.now().date()
    with app.sessions() as session:
        cohort = Cohort(
            team_id="T0MENTOR", name="Autumn cohort", settings={"signup_opens": (today + timedelta(days=3)).isoformat()}
        )
        session.add(cohort)
        session.commit()
    add_person(app, ALICE)
    early = app.driver.slash_command(ALICE.user_id, "join").json()
    assert "Signups for *Autumn cohort* open on" in early["text"]
    time.sleep(0.2)
    assert not app.sandbox.views_opened(ALICE.user_id)
    with app.sessions() as session:
        cohort = session.exec(select(Cohort)).one()
        cohort.settings = {"signup_closes": (today - timedelta(days=1)).isoformat()}
        session.add(cohort)
        session.commit()
    sign_up(app, ALICE)  # late signups are welcome, and told when they will be matched
    dm = app.sandbox.messages_to(ALICE.user_id)[-1]
    assert "Signups for Autumn cohort have closed" in json.dumps(dm["blocks"])
