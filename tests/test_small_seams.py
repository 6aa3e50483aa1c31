"""Small seams between stages, each reproduced through signed requests to the running app."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import select

from bot import ids, knowledge
from bot.sandbox import driver as slack
from storage.models import Cohort, Introduction, Meeting, Pair, Resource, ScheduledPrompt
from storage.vocab import PairStatus, PromptKind
from tests.conftest import COORDINATOR, RunningApp
from tests.flows import (
    eventually,
    freeze,
    message_with,
    open_modal_from,
    pair_by_hand,
    run_until,
    save_program,
    submit,
)
from tests.helpers import ALICE, BOB, add_person, sign_up


def _rows(app: RunningApp, model: type) -> list[Any]:
    with app.sessions() as session:
        return list(session.exec(select(model)).all())


def _said_to(app: RunningApp, user_id: str, words: str) -> bool:
    posts = app.sandbox.calls_for("chat.postEphemeral") + app.sandbox.calls_for("chat.postMessage")
    return any(c.args.get("user", c.args.get("channel")) == user_id and words in c.args.get("text", "") for c in posts)


@pytest.fixture
def coordinator(app: RunningApp) -> RunningApp:
    freeze(app)
    app.sandbox.add_user(COORDINATOR, name="cora", real_name="Cora Coordinator", tz="Europe/London")
    return app


# ---------------------------------------------------------------------- the signup window on every Join button


def test_the_home_join_button_respects_the_signup_window(coordinator: RunningApp) -> None:
    app = coordinator
    today = app.services.now().date()
    answer, _, _ = save_program(app, "Autumn", signup_opens=today + timedelta(days=3))
    assert answer is None
    add_person(app, ALICE)
    assert app.driver.app_home_opened(ALICE.user_id).status == 200
    home = eventually(lambda: app.sandbox.home_view(ALICE.user_id))
    assert ids.HOME_JOIN in json.dumps(home)
    before = len(app.sandbox.views_opened(ALICE.user_id))
    assert app.driver.block_action(ALICE.user_id, ids.HOME_JOIN, view=home).status == 200
    shown = eventually(lambda: app.sandbox.views_opened(ALICE.user_id)[before:])[-1]
    assert shown["callback_id"] == ids.SIGNUP_WINDOW_VIEW  # not the signup form
    assert "Signups for *Autumn* open on" in json.dumps(shown["blocks"])
    # the same from the announcement's Join button, which names the cohort
    (cohort,) = [c for c in _rows(app, Cohort) if c.name == "Autumn"]
    assert app.driver.block_action(ALICE.user_id, ids.HOME_JOIN, value=str(cohort.id)).status == 200
    shown = eventually(lambda: app.sandbox.views_opened(ALICE.user_id)[before + 1 :])[-1]
    assert shown["callback_id"] == ids.SIGNUP_WINDOW_VIEW


# ---------------------------------------------------------------------- a closed pair's old buttons


def test_a_closed_pairs_buttons_log_nothing_and_schedule_nothing(coordinator: RunningApp) -> None:
    app = coordinator
    sign_up(app, ALICE)
    sign_up(app, BOB)
    pair = pair_by_hand(app, ALICE.user_id, BOB.user_id)
    kickoff = message_with(app, pair.channel_id, ids.PAIR_LOG_MEETING)
    stale_modal = open_modal_from(app, BOB.user_id, ids.PAIR_LOG_MEETING, kickoff)  # opened, not yet sent
    run_until(app, app.services.now() + timedelta(days=200))
    closing = message_with(app, pair.channel_id, ids.CLOSE_CLOSE)
    assert app.driver.block_action(ALICE.user_id, ids.CLOSE_CLOSE, message=closing).status == 200
    eventually(lambda: _rows(app, Pair)[0].status == PairStatus.CLOSED)
    prompts = len(_pair_prompts(app, pair.id))
    opened = len(app.sandbox.views_opened(BOB.user_id))

    checkin = message_with(app, pair.channel_id, ids.CHECKIN_YES)
    for action_id, message in ((ids.PAIR_LOG_MEETING, kickoff), (ids.CHECKIN_YES, checkin)):
        assert app.driver.block_action(BOB.user_id, action_id, message=message).status == 200
    eventually(lambda: _said_to(app, BOB.user_id, "This mentorship has closed"))
    states = {
        ids.MEETING_DATE: slack.date_value(app.services.now().date().isoformat()),
        ids.MEETING_DURATION: slack.select_value("30"),
    }
    answer = submit(app, BOB.user_id, stale_modal, states)
    assert "This mentorship has closed" in json.dumps(answer)
    time.sleep(0.3)
    assert len(app.sandbox.views_opened(BOB.user_id)) == opened  # no meeting modal opened
    assert _rows(app, Meeting) == []
    fits = [p for p in _pair_prompts(app, pair.id) if p.kind == PromptKind.FIT_CHECK]
    assert fits == [] and len(_pair_prompts(app, pair.id)) == prompts


def _pair_prompts(app: RunningApp, pair_id: int | None) -> list[ScheduledPrompt]:
    return [p for p in _rows(app, ScheduledPrompt) if p.pair_id == pair_id]


# ---------------------------------------------------------------------- program dates long gone


def test_program_dates_long_in_the_past_are_questioned_once(coordinator: RunningApp) -> None:
    app = coordinator
    today = app.services.now().date()
    long_ago = today - timedelta(days=400)
    answer, view, states = save_program(app, "Spring", signup_opens=long_ago)
    assert answer["response_action"] == "update"
    warned = answer["view"]
    text = json.dumps(warned["blocks"])
    assert "long in the past" in text and f"{long_ago:%d %B %Y}" in text and "13 months ago" in text
    assert [c for c in _rows(app, Cohort) if c.name == "Spring"] == []  # nothing saved yet
    # the modal keeps what was typed; Save again keeps the date
    opens = next(b for b in warned["blocks"] if b.get("block_id") == ids.PROGRAM_SIGNUP_OPENS)
    assert opens["element"]["initial_date"] == long_ago.isoformat()
    again = app.driver.view_submission(COORDINATOR, {**view, **warned}, slack_values(states))
    assert again.status == 200 and again.json() is None
    (cohort,) = [c for c in _rows(app, Cohort) if c.name == "Spring"]
    assert cohort.settings["signup_opens"] == long_ago.isoformat()
    # editing the cohort later does not ask about the date it already has
    answer, _, _ = save_program(app, "Spring", signup_opens=long_ago)
    assert answer is None


def slack_values(states: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {block_id: {ids.INPUT: state} for block_id, state in states.items()}


# ---------------------------------------------------------------------- the command line of /mentor


@pytest.mark.parametrize("space", ["\u00a0", "\t", " \u00a0 "])
def test_a_non_breaking_space_or_tab_after_the_subcommand(app: RunningApp, space: str) -> None:
    sign_up(app, BOB)
    answer = app.driver.slash_command(BOB.user_id, f"suggestions{space}off").json()
    assert "you won't be suggested" in answer["text"], answer


# ---------------------------------------------------------------------- introductions are between people


def test_an_intro_to_the_bot_is_refused_and_uses_no_slot(app: RunningApp) -> None:
    sign_up(app, ALICE)
    sign_up(app, BOB)
    carol = add_person_named(app, "U0CAROL003", "Carol Writer")
    app.sandbox.add_user(app.sandbox.bot_user_id, name="mentorbot", real_name="mentorbot", is_bot=True)
    for _ in range(4):
        assert app.driver.slash_command(ALICE.user_id, f"intro <@{app.sandbox.bot_user_id}> hi").status == 200
    eventually(lambda: len([r for r in app.sandbox.responses if "is an app" in str(r.payload)]) == 4)
    assert _rows(app, Introduction) == []
    for target in (BOB.user_id, carol):
        assert app.driver.slash_command(ALICE.user_id, f"intro <@{target}> you know python").status == 200
    eventually(lambda: len(_rows(app, Introduction)) == 2)


def add_person_named(app: RunningApp, user_id: str, name: str) -> str:
    app.sandbox.add_user(user_id, name=name.split()[0].lower(), real_name=name, tz="UTC", email=f"{user_id}@x.co")
    return user_id


# ---------------------------------------------------------------------- the library


def test_sharing_again_says_nothing_was_counted(app: RunningApp) -> None:
    sign_up(app, BOB)
    first = app.driver.slash_command(BOB.user_id, "share https://example.com/guides/testing").json()
    assert "Saved" in first["text"]
    again = app.driver.slash_command(BOB.user_id, "share https://example.com/guides/testing/").json()
    assert "counted your recommendation" not in again["text"]
    assert "You've already shared" in again["text"] and "nothing new was counted" in again["text"]
    assert "1 recommendation" in again["text"]
    assert [r.recommend_count for r in _rows(app, Resource)] == [1]


def test_app_routes_and_encoded_slashes_stay_distinct_links(app: RunningApp) -> None:
    sign_up(app, BOB)
    for url in (
        "https://app.example.com/#/docs/setup",
        "https://app.example.com/#/docs/intro",
        "https://example.com/files/a%2Fb",
        "https://example.com/files/a/b",
    ):
        assert "Saved" in app.driver.slash_command(BOB.user_id, f"share {url}").json()["text"], url
    assert len(_rows(app, Resource)) == 4
    assert knowledge.normalise_url("https://example.com/files/a%2fb") == "https://example.com/files/a%2Fb"
    assert knowledge.normalise_url("https://example.com/%7Euser/page#top") == "https://example.com/~user/page"
    assert knowledge.normalise_url("https://app.example.com/#!/inbox") == "https://app.example.com/#!/inbox"
