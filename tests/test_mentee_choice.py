"""Mentee-choice mode: capacity-aware shortlists, reminders half-way, deadlines that pass requests on, Accept that
re-checks both people, and nobody left without a word. Every step is a signed request or a dispatcher tick."""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from datetime import timedelta

from sqlmodel import select

from bot import ids
from bot.clock import SimulatedClock
from bot.dispatch import Dispatcher
from bot.sandbox.people import generate_people
from storage.models import Participant
from tests.conftest import COORDINATOR, RunningApp
from tests.helpers import ALICE, BOB, sign_up
from tests.round_steps import open_pairs, save_program, wait_until
from tests.test_matching_flow import CAROL, DAN

MENTION = re.compile(r"<@(U[A-Z0-9]+)>")


def _choice_cohort(app: RunningApp, *, auto: bool = False, people=(ALICE, BOB, CAROL, DAN)) -> SimulatedClock:  # type: ignore[no-untyped-def]
    clock = SimulatedClock(app.services.now())
    app.services.clock = clock
    app.sandbox.add_user(COORDINATOR, name="coord", real_name="Coordinator", tz="Europe/Berlin")
    for person in people:
        sign_up(app, person)
    save_program(
        app,
        "Mentorship program",
        options={"mentee_choice": True, "choice_auto_match": auto},
        numbers={ids.PROGRAM_CHOICE_DAYS: "4", ids.PROGRAM_CHOICE_PICK_DAYS: "2"},
    )
    return clock


def _shortlist(app: RunningApp, user_id: str) -> dict:
    return wait_until(
        lambda: [m for m in app.sandbox.messages_to(user_id) if ids.CHOICE_PICK in json.dumps(m.get("blocks") or [])]
    )[-1]


def _options(message: dict) -> list[tuple[str, str]]:
    """(mentor, request id) in the order the mentee sees them."""
    out = []
    for block in message["blocks"]:
        accessory = block.get("accessory") or {}
        if accessory.get("action_id") == ids.CHOICE_PICK:
            out.append((MENTION.search(block["text"]["text"]).group(1), accessory["value"]))
    return out


def _click(app: RunningApp, user_id: str, action_id: str, value: str, message: dict) -> None:
    response = app.driver.block_action(user_id, action_id, value=value, message=message, channel_id=message["channel"])
    assert response.status == 200


def _pick(app: RunningApp, mentee: str, mentor: str) -> str:
    message = _shortlist(app, mentee)
    request_id = dict(_options(message))[mentor]
    _click(app, mentee, ids.CHOICE_PICK, request_id, message)
    return request_id


def _request_to(app: RunningApp, mentor: str, request_id: str) -> dict:
    return wait_until(
        lambda: [
            m
            for m in app.sandbox.messages_to(mentor)
            if f'"value": "{request_id}"' in json.dumps(m.get("blocks") or []) and "would like you" in m["text"]
        ]
    )[-1]


def _said(app: RunningApp, user_id: str, words: str, after: int = 0) -> str:
    """The first message to the person (in their DM, however addressed) after the ``after``-th, with ``words``."""
    found = wait_until(lambda: [m for m in app.sandbox.messages_to(user_id)[after:] if words in m.get("text", "")])
    return str(found[0]["text"])


def _seen(app: RunningApp, user_id: str) -> int:
    return len(app.sandbox.messages_to(user_id))


def _start(app: RunningApp) -> None:
    answer = app.driver.slash_command(COORDINATOR, "match").json()
    assert "Mentee-choice round of *Mentorship program*" in answer["text"]
    _said(app, COORDINATOR, "Sent shortlists")


def test_shortlists_fit_capacity_each_rank_is_an_assignment(app: RunningApp) -> None:
    people = generate_people(60, seed=5)
    clock = _choice_cohort(app, people=people)
    del clock
    _start(app)
    mentees = [p for p in people if p.is_mentee]
    capacity = {p.user_id: p.capacity for p in people if p.is_mentor}
    by_rank: dict[int, Counter[str]] = {}
    offered = 0
    for mentee in mentees:
        sent = [m for m in app.sandbox.messages_to(mentee.user_id) if ids.CHOICE_PICK in json.dumps(m["blocks"])]
        if not sent:
            continue
        offered += 1
        options = _options(sent[-1])
        assert len(options) <= 3 and mentee.user_id not in dict(options)
        for rank, (mentor, _) in enumerate(options, start=1):
            by_rank.setdefault(rank, Counter())[mentor] += 1
    assert offered >= len(mentees) * 0.8
    # whichever rank each mentee picks, no mentor can expect more requests than places
    from storage.models import Profile as Row

    with app.sessions() as session:
        stored = {p.user_id: r.capacity for p, r in session.exec(select(Participant, Row).join(Row)).all()}
    for rank, counts in by_rank.items():
        for mentor, n in counts.items():
            assert n <= capacity[mentor], (rank, mentor, n, capacity[mentor], stored[mentor])
    total = Counter()
    for counts in by_rank.values():
        total.update(counts)
    assert max(total.values()) <= 3 * max(capacity.values())


def test_decline_passes_on_reminders_come_half_way_and_an_expiry_moves_on(app: RunningApp) -> None:
    clock = _choice_cohort(app)
    _start(app)
    first = _shortlist(app, ALICE.user_id)
    assert [m for m, _ in _options(first)][0] == BOB.user_id  # the optimal assignment's pair first
    assert "Please choose by" in json.dumps(first["blocks"]) and "(your time)" in json.dumps(first["blocks"])
    request = _pick(app, ALICE.user_id, BOB.user_id)
    to_bob = _request_to(app, BOB.user_id, request)
    # someone else cannot answer for Bob
    _click(app, CAROL.user_id, ids.CHOICE_ACCEPT, request, to_bob)
    _said(app, CAROL.user_id, "no longer open")
    _click(app, BOB.user_id, ids.CHOICE_DECLINE, request, to_bob)
    _said(app, BOB.user_id, "nobody is told you declined")
    # a decline reads like an expiry: Alice hears nothing until Bob's answer window closes, then those words
    assert not [m for m in app.sandbox.messages_to(ALICE.user_id) if "not available" in m.get("text", "")]
    Dispatcher(app.services).run_until_idle(clock.advance(timedelta(days=4, hours=1)))
    moved = _said(app, ALICE.user_id, "not available right now")
    assert "declin" not in moved.lower() and f"<@{CAROL.user_id}>" in moved
    # Carol does not answer: a reminder half-way through her four days, then the request expires
    to_carol = wait_until(lambda: [m for m in app.sandbox.messages_to(CAROL.user_id) if "would like you" in m["text"]])
    assert to_carol
    Dispatcher(app.services).run_until_idle(clock.advance(timedelta(days=2, hours=1)))
    assert "A reminder" in _said(app, CAROL.user_id, "waiting for your answer")
    Dispatcher(app.services).run_until_idle(clock.advance(timedelta(days=2)))
    _said(app, CAROL.user_id, "expired without an answer")
    told = _said(app, ALICE.user_id, "first in line")
    assert "shortlist is used up" in told
    with app.sessions() as session:
        alice = session.exec(select(Participant).where(Participant.user_id == ALICE.user_id)).one()
    assert alice.priority and open_pairs(app) == []


def test_a_mentee_who_never_picks_is_reminded_then_told_or_matched(app: RunningApp) -> None:
    clock = _choice_cohort(app, auto=True)
    _start(app)
    _shortlist(app, DAN.user_id)
    Dispatcher(app.services).run_until_idle(clock.advance(timedelta(days=1, hours=1)))
    assert "haven't picked your mentor yet" in _said(app, DAN.user_id, "A reminder")
    # Alice picks in time and is paired; Dan never picks: with auto-match on, the optimiser pairs him
    request = _pick(app, ALICE.user_id, BOB.user_id)
    _click(app, BOB.user_id, ids.CHOICE_ACCEPT, request, _request_to(app, BOB.user_id, request))
    _said(app, ALICE.user_id, "accepted")
    Dispatcher(app.services).run_until_idle(clock.advance(timedelta(days=1)))
    told = _said(app, DAN.user_id, "shortlist expired")
    assert "matched you" in told
    pairs = {(p.mentee_user_id, p.mentor_user_id) for p in open_pairs(app)}
    assert (ALICE.user_id, BOB.user_id) in pairs and len([p for p in pairs if p[0] == DAN.user_id]) == 1


def test_a_full_mentors_accept_gets_a_true_answer_and_capacity_holds(app: RunningApp) -> None:
    _choice_cohort(app)
    _start(app)
    dan_request = _pick(app, DAN.user_id, CAROL.user_id)
    alice_request = _pick(app, ALICE.user_id, CAROL.user_id)
    to_carol_alice = _request_to(app, CAROL.user_id, alice_request)
    _click(app, CAROL.user_id, ids.CHOICE_ACCEPT, dan_request, _request_to(app, CAROL.user_id, dan_request))
    _said(app, DAN.user_id, "accepted")
    # Carol's only place is taken: Alice's request moves on at once, and Alice hears why
    moved = _said(app, ALICE.user_id, "filled their last mentoring place")
    assert f"<@{BOB.user_id}>" in moved
    # Carol clicks Accept on Alice's request anyway: she is told the truth, nothing is created
    before = _seen(app, CAROL.user_id)
    _click(app, CAROL.user_id, ids.CHOICE_ACCEPT, alice_request, to_carol_alice)
    answer = _said(app, CAROL.user_id, "capacity", after=before)
    assert "1 of 1" in answer or "full capacity of 1" in answer
    assert "moved the request on" not in answer
    pairs = open_pairs(app)
    assert sum(1 for p in pairs if p.mentor_user_id == CAROL.user_id) == 1


def test_accept_rechecks_the_mentee_who_was_paired_by_hand_or_left(app: RunningApp) -> None:
    _choice_cohort(app)
    _start(app)
    alice_request = _pick(app, ALICE.user_id, BOB.user_id)
    to_bob = _request_to(app, BOB.user_id, alice_request)
    dan_request = _pick(app, DAN.user_id, CAROL.user_id)
    to_carol = _request_to(app, CAROL.user_id, dan_request)
    # meanwhile a coordinator pairs Alice by hand, and Dan leaves the program
    made = app.driver.slash_command(COORDINATOR, f"pair <@{ALICE.user_id}> <@{CAROL.user_id}>").json()["text"]
    assert "Paired" in made
    before = time.time()
    app.driver.slash_command(DAN.user_id, "leave")
    app.sandbox.wait_for("views.open", after=before)
    assert app.driver.view_submission(DAN.user_id, app.sandbox.views_opened(DAN.user_id)[-1], {}).status == 200
    wait_until(lambda: not [p for p in open_pairs(app) if p.mentee_user_id == DAN.user_id] and _gone(app, DAN.user_id))
    before = _seen(app, BOB.user_id)
    _click(app, BOB.user_id, ids.CHOICE_ACCEPT, alice_request, to_bob)
    assert "matched with a mentor meanwhile" in _said(app, BOB.user_id, "no pair was made", after=before)
    before = _seen(app, CAROL.user_id)
    _click(app, CAROL.user_id, ids.CHOICE_ACCEPT, dan_request, to_carol)
    answer = _said(app, CAROL.user_id, "", after=before)
    assert "no pair was made" in answer or "no longer" in answer
    pairs = open_pairs(app)
    assert [(p.mentee_user_id, p.mentor_user_id) for p in pairs] == [(ALICE.user_id, CAROL.user_id)]
    assert not [p for p in pairs if p.mentee_user_id.startswith("gone:")]


def _gone(app: RunningApp, user_id: str) -> bool:
    with app.sessions() as session:
        return session.exec(select(Participant).where(Participant.user_id == user_id)).first() is None
