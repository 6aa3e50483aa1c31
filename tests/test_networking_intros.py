"""Warm introductions: asked privately first, opened only on accept, declines reveal nothing, rate limited."""

from __future__ import annotations

import time
from datetime import timedelta

from sqlmodel import select

from bot import ids, networking
from bot.dispatch import Dispatcher
from storage.models import Introduction
from storage.vocab import IntroStatus
from tests.conftest import RunningApp
from tests.helpers import ALICE, BOB
from tests.test_knowledge_support import (
    CAROL,
    DAN,
    ERIN,
    FRED,
    alice_and_bob,
    buttons,
    command,
    everything_sent_to,
    seed_person,
    validate_blocks,
)

REFUSAL_WORDS = ("declin", "not now", "refus", "said no", "rejected", "doesn't want", "does not want")


def _ask_message(app: RunningApp, target: str) -> dict:
    app.sandbox.wait_for("chat.postMessage", lambda c: c.args.get("channel") == target)
    return next(
        m
        for m in app.sandbox.messages_to(target)
        if any(b["action_id"] == ids.INTRO_ACCEPT for b in buttons(m.get("blocks") or []))
    )


def _group_opens(app: RunningApp) -> list:
    return [c for c in app.sandbox.calls_for("conversations.open") if str(c.args.get("users", "")).count(",") >= 2]


def _intros(app: RunningApp) -> list[Introduction]:
    with app.sessions() as session:
        return list(session.exec(select(Introduction)).all())


def test_intro_opens_the_group_only_after_the_person_accepts(app_any_db: RunningApp) -> None:
    app = app_any_db
    pair = alice_and_bob(app)
    seed_person(app, CAROL)
    answer = command(
        app,
        BOB.user_id,
        f"intro <@{CAROL.user_id}|carol> Carol ran our design reviews for years",
        channel_id=pair.channel_id,
    )
    assert "asked <@U0CAROL003> privately" in answer["text"]
    ask = _ask_message(app, CAROL.user_id)
    assert "Carol ran our design reviews" in str(ask["blocks"])
    validate_blocks(ask["blocks"])
    time.sleep(0.2)
    assert _group_opens(app) == []  # nothing opened before she accepts
    assert not any(CAROL.user_id in str(m) for m in app.sandbox.messages_to(ALICE.user_id))

    # only Carol can answer
    app.driver.block_action(ALICE.user_id, ids.INTRO_ACCEPT, message=ask)
    time.sleep(0.3)
    assert _group_opens(app) == []

    app.driver.block_action(CAROL.user_id, ids.INTRO_ACCEPT, message=ask)
    app.driver.block_action(CAROL.user_id, ids.INTRO_ACCEPT, message=ask)  # double click
    opened = app.sandbox.wait_for("conversations.open", lambda c: str(c.args.get("users", "")).count(",") == 2)
    assert set(opened.args["users"].split(",")) == {ALICE.user_id, BOB.user_id, CAROL.user_id}
    intro_post = app.sandbox.wait_for("chat.postMessage", lambda c: "Meet <@U0CAROL003>" in c.args.get("text", ""))
    body = str(intro_post.args["blocks"])
    assert "Carol ran our design reviews" in body
    assert "System design" in body  # the skill overlap: Alice wants it, Carol offers it
    app.sandbox.wait_for("chat.update", lambda c: c.args.get("ts") == ask["ts"])
    time.sleep(0.3)
    assert len(_group_opens(app)) == 1
    assert len([c for c in app.sandbox.calls_for("chat.postMessage") if "Meet <@" in c.args.get("text", "")]) == 1
    [intro] = _intros(app)
    assert intro.status == IntroStatus.ACCEPTED and intro.partner_id == ALICE.user_id and intro.group_channel_id


def test_a_declined_intro_reveals_nothing_and_expiry_reads_the_same(app: RunningApp) -> None:
    pair = alice_and_bob(app)
    seed_person(app, CAROL)
    seed_person(app, DAN)
    command(app, ALICE.user_id, f"intro <@{CAROL.user_id}> design reviews", channel_id=pair.channel_id)
    ask = _ask_message(app, CAROL.user_id)
    command(app, ALICE.user_id, f"intro <@{DAN.user_id}>", channel_id=pair.channel_id)
    _ask_message(app, DAN.user_id)
    app.driver.block_action(CAROL.user_id, ids.INTRO_DECLINE, message=ask)
    app.sandbox.wait_for("chat.update", lambda c: c.args.get("ts") == ask["ts"])
    time.sleep(0.3)
    # the decline is not reported at once: that would tell it from an expiry
    assert not any("not available" in m.get("text", "") for m in app.sandbox.messages_to(ALICE.user_id))
    assert _group_opens(app) == []

    dispatcher = Dispatcher(app.services)
    assert dispatcher.run_until_idle(app.services.now()).sent == 0  # neither window has closed
    later = app.services.now() + networking.INTRO_TTL + timedelta(minutes=1)
    assert dispatcher.run_until_idle(later).sent == 2  # both close at the end of the window, once each
    assert dispatcher.run_until_idle(later + timedelta(days=1)).sent == 0
    texts = [m["text"] for m in app.sandbox.messages_to(ALICE.user_id)]
    assert texts.count(networking.not_available_text(CAROL.user_id)) == 1
    assert texts.count(networking.not_available_text(DAN.user_id)) == 1
    assert not any(word in everything_sent_to(app, ALICE.user_id).lower() for word in REFUSAL_WORDS)
    assert {i.status for i in _intros(app)} == {IntroStatus.DECLINED, IntroStatus.EXPIRED}


def test_rate_limits_and_refusals_are_explained(app: RunningApp) -> None:
    pair = alice_and_bob(app)
    for person in (CAROL, DAN, ERIN, FRED):
        seed_person(app, person)
    assert "already asked" in (
        command(app, BOB.user_id, f"intro <@{CAROL.user_id}>", channel_id=pair.channel_id)["text"]
        and command(app, BOB.user_id, f"intro <@{CAROL.user_id}>", channel_id=pair.channel_id)["text"]
    )
    command(app, BOB.user_id, f"intro <@{DAN.user_id}>", channel_id=pair.channel_id)
    command(app, BOB.user_id, f"intro <@{ERIN.user_id}>", channel_id=pair.channel_id)
    fourth = command(app, BOB.user_id, f"intro <@{FRED.user_id}>", channel_id=pair.channel_id)
    assert "3 introductions waiting" in fourth["text"]
    assert "That's you" in command(app, BOB.user_id, f"intro <@{BOB.user_id}>")["text"]
    assert "in your pair" in command(app, BOB.user_id, f"intro <@{ALICE.user_id}>")["text"]
    assert "Usage" in command(app, BOB.user_id, "intro carol please")["text"]
    time.sleep(0.2)
    assert len(_intros(app)) == 3
    assert not app.sandbox.messages_to(FRED.user_id)
    assert len([m for m in app.sandbox.messages_to(CAROL.user_id)]) == 1  # asked once, not twice
    # another requester may still ask Carol
    assert "privately" in command(app, ALICE.user_id, f"intro <@{CAROL.user_id}>")["text"]


def test_intro_ask_builders_validate() -> None:
    intro = Introduction(id=7, team_id="T", requester_id="U1", partner_id="U2", target_id="U3", reason="r" * 500)
    from bot.views.knowledge import intro_ask_message, intro_group_message

    validate_blocks(intro_ask_message(intro)["blocks"])
    validate_blocks(intro_group_message(intro, ["python", "system design"])["blocks"])
    assert networking.parse_intro_args("<@U0CAROL003|carol> because") == ("U0CAROL003", "because")
    assert networking.parse_intro_args("@carol hi") == (None, "hi")
