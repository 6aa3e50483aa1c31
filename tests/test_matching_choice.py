"""Mentee-choice mode: shortlists, a mentor's answer or a missed deadline, capacities always holding."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlmodel import select

from bot import ids
from bot.clock import SimulatedClock
from bot.dispatch import Dispatcher
from bot.lifecycle.simulate import wait
from storage.models import Cohort, MatchRequest, Pair, Participant
from storage.vocab import MatchRequestStatus, PairSource
from tests.conftest import COORDINATOR, RunningApp
from tests.helpers import ALICE, BOB, sign_up
from tests.test_matching_flow import CAROL, DAN


def _choice_cohort(app: RunningApp, days: int = 3) -> SimulatedClock:
    clock = SimulatedClock(app.services.now())
    app.services.clock = clock
    app.sandbox.add_user(COORDINATOR, name="coord", real_name="Coordinator", tz="Europe/Berlin")
    for person in (ALICE, BOB, CAROL, DAN):
        sign_up(app, person)
    with app.sessions() as session:
        cohort = session.exec(select(Cohort)).one()
        cohort.settings = {**cohort.settings, "mentee_choice": True, "choice_response_days": days}
        session.add(cohort)
        session.commit()
    return clock


def _last_message_with(app: RunningApp, user_id: str, action_id: str) -> dict:
    for message in reversed(app.sandbox.messages_to(user_id)):
        if action_id in json.dumps(message.get("blocks") or []):
            return message
    raise AssertionError(f"no message with {action_id} for {user_id}")


def _click(app: RunningApp, user_id: str, action_id: str, value: str) -> None:
    message = _last_message_with(app, user_id, action_id)
    response = app.driver.block_action(user_id, action_id, value=value, message=message, channel_id=message["channel"])
    assert response.status == 200


def _request(app: RunningApp, mentee: str, mentor: str) -> MatchRequest:
    with app.sessions() as session:
        return session.exec(
            select(MatchRequest).where(MatchRequest.mentee_user_id == mentee, MatchRequest.mentor_user_id == mentor)
        ).one()


def _told(app: RunningApp, user_id: str, words: str) -> str:
    """The text of the first message to a person's DM containing ``words`` (waits for it)."""
    found = wait(lambda: [m["text"] for m in app.sandbox.messages_to(user_id) if words in m.get("text", "")])
    assert found, f"{user_id} was never told {words!r}"
    return str(found[0])


def test_shortlist_decline_moves_on_and_deadline_expires(app: RunningApp) -> None:
    clock = _choice_cohort(app, days=3)
    answer = app.driver.slash_command(COORDINATOR, "match").json()
    assert "Mentee-choice round" in answer["text"]
    shortlist = app.sandbox.wait_for(
        "chat.postMessage",
        lambda c: c.args.get("channel") == ALICE.user_id and "Pick your mentor" in c.args.get("text", ""),
    )
    assert f"<@{BOB.user_id}>" in json.dumps(shortlist.args["blocks"])
    first = _request(app, ALICE.user_id, BOB.user_id)
    _click(app, ALICE.user_id, ids.CHOICE_PICK, str(first.id))
    app.sandbox.wait_for(
        "chat.postMessage",
        lambda c: c.args.get("channel") == BOB.user_id and "would like you as their mentor" in c.args.get("text", ""),
    )
    # someone else cannot answer for Bob
    message = _last_message_with(app, BOB.user_id, ids.CHOICE_ACCEPT)
    app.driver.block_action(
        CAROL.user_id, ids.CHOICE_ACCEPT, value=str(first.id), message=message, channel_id=message["channel"]
    )
    app.sandbox.wait_for(
        "chat.postMessage",
        lambda c: c.args.get("channel") == CAROL.user_id and "no longer open" in c.args.get("text", ""),
    )
    assert _request(app, ALICE.user_id, BOB.user_id).status == MatchRequestStatus.REQUESTED
    # Bob declines: Alice hears nothing until the answer window closes, then exactly what an expiry says
    _click(app, BOB.user_id, ids.CHOICE_DECLINE, str(first.id))
    app.sandbox.wait_for(
        "chat.postMessage",
        lambda c: c.args.get("channel") == BOB.user_id and "nobody is told you declined" in c.args.get("text", ""),
    )
    assert not any("not available" in m.get("text", "") for m in app.sandbox.messages_to(ALICE.user_id))
    assert _request(app, ALICE.user_id, CAROL.user_id).status == "offered"
    clock.advance(timedelta(days=3, hours=1))
    Dispatcher(app.services).tick(clock())
    moved = _told(app, ALICE.user_id, "not available right now")
    assert "declin" not in moved.lower()
    second = _request(app, ALICE.user_id, CAROL.user_id)
    assert second.status == MatchRequestStatus.REQUESTED
    # nobody answers: after the deadline the request moves on again (here: shortlist used up), same words
    clock.advance(timedelta(days=3, hours=1))
    Dispatcher(app.services).tick(clock())
    assert _request(app, ALICE.user_id, CAROL.user_id).status == MatchRequestStatus.EXPIRED
    expired = _told(app, ALICE.user_id, "shortlist is used up")
    assert expired.startswith(f"<@{CAROL.user_id}> is not available right now")
    assert moved.startswith(f"<@{BOB.user_id}> is not available right now")
    with app.sessions() as session:
        alice = session.exec(select(Participant).where(Participant.user_id == ALICE.user_id)).one()
        assert session.exec(select(Pair)).all() == []
    assert alice.priority


def test_accept_creates_the_pair_and_capacity_holds(app: RunningApp) -> None:
    _choice_cohort(app)
    app.driver.slash_command(COORDINATOR, "match")
    app.sandbox.wait_for("chat.postMessage", lambda c: "Sent shortlists" in c.args.get("text", ""))
    # Carol (capacity 1) is on both mentees' shortlists
    dan_req, alice_req = _request(app, DAN.user_id, CAROL.user_id), _request(app, ALICE.user_id, CAROL.user_id)
    _click(app, DAN.user_id, ids.CHOICE_PICK, str(dan_req.id))
    _click(app, ALICE.user_id, ids.CHOICE_PICK, str(alice_req.id))
    app.sandbox.wait_for(
        "chat.postMessage",
        lambda c: c.args.get("channel") == CAROL.user_id and "<@" + ALICE.user_id in c.args.get("text", ""),
    )
    _click(app, CAROL.user_id, ids.CHOICE_ACCEPT, str(dan_req.id))
    app.sandbox.wait_for(
        "chat.postMessage", lambda c: c.args.get("channel") == DAN.user_id and "accepted" in c.args.get("text", "")
    )
    message = next(
        m
        for m in reversed(app.sandbox.messages_to(CAROL.user_id))
        if str(alice_req.id) in json.dumps(m.get("blocks") or [])
    )
    app.driver.block_action(
        CAROL.user_id, ids.CHOICE_ACCEPT, value=str(alice_req.id), message=message, channel_id=message["channel"]
    )
    app.sandbox.wait_for(
        "chat.postMessage",
        lambda c: c.args.get("channel") == ALICE.user_id and "not available right now" in c.args.get("text", ""),
    )
    with app.sessions() as session:
        pairs = session.exec(select(Pair)).all()
    assert [(p.mentee_user_id, p.mentor_user_id, p.source) for p in pairs] == [
        (DAN.user_id, CAROL.user_id, PairSource.CHOICE)
    ]
