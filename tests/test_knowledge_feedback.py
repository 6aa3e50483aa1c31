"""Feedback on work: the mentee asks in the pair DM, only the pair's mentor replies, the exchange is counted."""

from __future__ import annotations

import time

from slack_sdk.models.views import View
from sqlmodel import select

from bot import ids, knowledge
from bot.sandbox import forms as fill
from storage.models import FeedbackRequest
from storage.vocab import FeedbackStatus
from tests.conftest import RunningApp
from tests.helpers import ALICE, BOB
from tests.test_knowledge_support import CAROL, alice_and_bob, command, seed_person, validate_blocks


def _request_message(app: RunningApp, channel: str) -> dict:
    app.sandbox.wait_for("chat.postMessage", lambda c: c.args.get("channel") == channel)
    return next(m for m in app.sandbox.messages_in(channel) if "feedback" in m["text"])


def _wait_responses(app: RunningApp, needle: str) -> bool:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if any(needle in str(r.payload) for r in app.sandbox.responses):
            return True
        time.sleep(0.02)
    return False


def test_mentee_asks_only_the_mentor_replies_once_and_it_counts(app_any_db: RunningApp) -> None:
    app = app_any_db
    pair = alice_and_bob(app)
    seed_person(app, CAROL)
    answer = command(
        app,
        ALICE.user_id,
        "feedback-request <https://docs.example.com/d/123|doc> Is the design section clear?",
        channel_id=pair.channel_id,
    )
    assert "Sent to" in answer["text"]
    message = _request_message(app, pair.channel_id)
    assert "Is the design section clear?" in str(message["blocks"]) and "https://docs.example.com/d/123" in str(
        message["blocks"]
    )
    validate_blocks(message["blocks"])

    # someone else (even with the button in hand) cannot reply
    app.driver.block_action(CAROL.user_id, ids.FEEDBACK_REPLY_OPEN, message=message)
    assert _wait_responses(app, "Only <@U0BOB00002>")
    app.driver.block_action(ALICE.user_id, ids.FEEDBACK_REPLY_OPEN, message=message)
    time.sleep(0.3)
    assert not app.sandbox.views_opened(CAROL.user_id) and not app.sandbox.views_opened(ALICE.user_id)

    app.driver.block_action(BOB.user_id, ids.FEEDBACK_REPLY_OPEN, message=message)
    app.sandbox.wait_for("views.open")
    view = app.sandbox.views_opened(BOB.user_id)[-1]
    assert view["callback_id"] == ids.FEEDBACK_REPLY_VIEW
    View(**view).validate_json()

    # a forged submission by someone else is refused inline; an empty one too
    assert (
        app.driver.view_submission(CAROL.user_id, view, fill.text(view, ids.FEEDBACK_REPLY_TEXT, "meh")).json()[
            "response_action"
        ]
        == "errors"
    )
    assert (
        ids.FEEDBACK_REPLY_TEXT
        in app.driver.view_submission(BOB.user_id, view, fill.text(view, ids.FEEDBACK_REPLY_TEXT, " ")).json()["errors"]
    )
    too_long = app.driver.view_submission(
        BOB.user_id, view, fill.text(view, ids.FEEDBACK_REPLY_TEXT, "x" * 3001)
    ).json()
    assert "3,000" in too_long["errors"][ids.FEEDBACK_REPLY_TEXT]

    values = fill.text(view, ids.FEEDBACK_REPLY_TEXT, "Clear overall; move the diagram up.")
    assert app.driver.view_submission(BOB.user_id, view, values).status == 200
    assert app.driver.view_submission(BOB.user_id, view, values).status == 200  # double click
    reply = app.sandbox.wait_for("chat.postMessage", lambda c: "move the diagram up" in str(c.args.get("blocks")))
    assert reply.args["channel"] == pair.channel_id and reply.args["thread_ts"] == message["ts"]
    app.sandbox.wait_for("chat.update", lambda c: c.args.get("ts") == message["ts"])
    time.sleep(0.3)
    assert (
        len(
            [c for c in app.sandbox.calls_for("chat.postMessage") if "move the diagram up" in str(c.args.get("blocks"))]
        )
        == 1
    )
    with app.sessions() as session:
        stored = session.exec(select(FeedbackRequest)).one()
        assert stored.status == FeedbackStatus.ANSWERED and stored.reply == "Clear overall; move the diagram up."
        assert knowledge.feedback_count(session, pair.id) == 1
        assert knowledge.feedback_count(session, pair.id, answered_only=True) == 1


def test_only_mentees_with_a_pair_ask_and_bad_links_are_refused(app: RunningApp) -> None:
    pair = alice_and_bob(app)
    assert (
        "Only the mentee"
        in command(app, BOB.user_id, "feedback-request https://x.example Q?", channel_id=pair.channel_id)["text"]
    )
    assert (
        "http"
        in command(app, ALICE.user_id, "feedback-request javascript:alert(1) Q?", channel_id=pair.channel_id)["text"]
    )
    assert (
        "question"
        in command(app, ALICE.user_id, "feedback-request https://x.example", channel_id=pair.channel_id)["text"]
    )
    assert "1,000" in command(app, ALICE.user_id, "feedback-request https://x.example " + "q" * 1001)["text"]
    seed_person(app, CAROL)
    assert "can't find your pair" in command(app, CAROL.user_id, "feedback-request https://x.example Q?")["text"]
    with app.sessions() as session:
        assert session.exec(select(FeedbackRequest)).all() == []
        assert knowledge.feedback_count(session, pair.id) == 0
