"""Coordinators act on any pair through signed Slack requests to the running app: /mentor pairs, the card, every
pair action, races between two coordinators, and forged requests that change nothing."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlmodel import select

from bot import ids
from bot.matchmaking import load_pool
from bot.sandbox import SlackDriver, SlackSandbox
from storage.models import Meeting, Participant, ScheduledPrompt
from storage.vocab import (
    ControlSource,
    EndReason,
    PairStatus,
    ParticipantStatus,
    PromptKind,
    PromptStatus,
    SurveyKey,
)
from tests.conftest import COORDINATOR, SIGNING_SECRET, TEAM_ID, RunningApp, start_app
from tests.pair_steps import (
    CAROL,
    DAN,
    EVE,
    MENTEE,
    MENTOR,
    SECOND_COORDINATOR,
    STRANGER,
    World,
    click_in_view,
    eventually,
    make_world,
    open_action,
    open_card,
    open_list,
    pair_by_hand,
    radio,
    submit,
    text,
)

COORDINATORS = f"{COORDINATOR},{SECOND_COORDINATOR}"


@pytest.fixture
def two_coordinators(sqlite_url: str, sandbox: SlackSandbox) -> Iterator[RunningApp]:
    running, server = start_app(sqlite_url, sandbox, COORDINATOR_IDS=COORDINATORS)
    yield running
    server.stop()
    running.services.engine.dispose()


@pytest.fixture
def two_coordinators_any_db(database_url: str, sandbox: SlackSandbox) -> Iterator[RunningApp]:
    running, server = start_app(database_url, sandbox, COORDINATOR_IDS=COORDINATORS)
    yield running
    server.stop()
    running.services.engine.dispose()


@pytest.fixture
def w(two_coordinators: RunningApp) -> World:
    return make_world(two_coordinators)


def count(w: World, model: type) -> int:
    with w.app.sessions() as session:
        return len(session.exec(select(model)).all())


def person(w: World, user_id: str) -> Participant:
    with w.app.sessions() as session:
        return session.exec(select(Participant).where(Participant.user_id == user_id)).one()


def free_places(w: World, mentor: str) -> int:
    with w.app.sessions() as session:
        pool = load_pool(session=session, team_id=TEAM_ID, cohort_id=None)
    return next((m.capacity for m in pool.mentors if m.user_id == mentor), 0)


def waiting(w: World) -> set[str]:
    with w.app.sessions() as session:
        pool = load_pool(session=session, team_id=TEAM_ID, cohort_id=None)
    return {m.user_id for m in pool.mentees}


# ---------------------------------------------------------------------- the list and the card


def test_pairs_list_finds_any_pair_by_either_person(w: World) -> None:
    first = pair_by_hand(w, MENTEE.user_id, MENTOR.user_id)
    second = pair_by_hand(w, EVE.user_id, DAN.user_id)
    listing = open_list(w)
    assert listing["callback_id"] == ids.PAIRS_LIST_VIEW
    body = json.dumps(listing["blocks"])
    assert f"#{first}*" in body and f"#{second}*" in body and "2 pairs" in body
    assert "0 meetings" in body and "active" in body
    # by either person: the mentor finds the first pair only
    by_mentor = open_list(w, f"<@{MENTOR.user_id}|bob>")
    assert f"#{first}*" in json.dumps(by_mentor["blocks"]) and f"#{second}*" not in json.dumps(by_mentor["blocks"])
    # the find-by-person select updates the list in place
    w.driver.block_action(
        COORDINATOR,
        ids.PAIRS_FIND,
        view=listing,
        action_extra={"selected_user": EVE.user_id},
        action_type="users_select",
    )
    updated = eventually(
        lambda: f"#{first}*" not in json.dumps(w.box.view(listing["id"])["blocks"]) and w.box.view(listing["id"])
    )
    assert f"#{second}*" in json.dumps(updated["blocks"])
    # an unknown cohort is answered, not guessed
    assert "No cohort is called" in open_list(w, "Nonexistent cohort")["text"]
    # a non-coordinator gets nothing
    assert "only the program's coordinators" in open_list(w, "", STRANGER)["text"]


def test_card_shows_history_without_survey_answers_or_private_notes(w: World) -> None:
    from bot.lifecycle import simulate as sim

    pair_id = pair_by_hand(w, MENTEE.user_id, MENTOR.user_id)
    channel = w.pair(pair_id).channel_id
    assert sim.set_goals(w.driver, w.box, MENTEE.user_id, MENTOR.user_id, channel, [("Lead a design review", "one")])
    assert sim.log_meeting(w.driver, w.box, MENTEE.user_id, channel, w.clock().date(), topics="SECRET-TOPIC")
    eventually(lambda: count(w, Meeting))
    with w.app.sessions() as session:  # a private note on the meeting, as the meeting modal allows
        meeting = session.exec(select(Meeting)).one()
        meeting.notes = "SECRET-NOTE"
        session.add(meeting)
        session.commit()
    w.advance(35)  # the pulse survey arrives; the mentee answers it with a comment
    assert sim.answer_survey(w.driver, w.box, MENTEE.user_id, satisfaction=2, recommend=3, comment="SECRET-SURVEY")
    eventually(lambda: any("answers are saved" in t for t in w.texts_to(MENTEE.user_id)))
    card = open_card(w, pair_id)
    body = json.dumps(card["blocks"])
    assert "Lead a design review" in body and "*Meetings:* 1" in body and "Kickoff:" in body
    assert "Check-ins:" in body and f"<@{MENTEE.user_id}>" in body and f"<@{MENTOR.user_id}>" in body
    assert "SECRET" not in body
    for action_id in (
        ids.PAIR_DO_END,
        ids.PAIR_DO_REMATCH,
        ids.PAIR_DO_REASSIGN,
        ids.PAIR_DO_PAUSE,
        ids.PAIR_DO_EXTEND,
    ):
        assert action_id in body
    assert json.loads(card["private_metadata"]) == {"pair_id": pair_id, "version": w.pair(pair_id).version}


# ---------------------------------------------------------------------- end


@pytest.mark.parametrize(
    ("reason", "mentee_words", "survey"),
    [
        (EndReason.COMPLETED, "is complete", True),
        (EndReason.NOT_A_FIT, "nobody's fault", True),
        (EndReason.INACTIVE, "quiet for a while", True),
        (EndReason.LEFT_COMPANY, "moving on from the company", False),
        (EndReason.OTHER, "closed by the program", True),
    ],
)
def test_end_with_a_reason_tells_both_kindly_stops_prompts_and_frees_the_place(
    w: World, reason: str, mentee_words: str, survey: bool
) -> None:
    pair_id = pair_by_hand(w, MENTEE.user_id, MENTOR.user_id)
    assert free_places(w, MENTOR.user_id) == 0 and MENTEE.user_id not in waiting(w)
    assert w.pending(pair_id)
    modal = open_action(w, open_card(w, pair_id), ids.PAIR_DO_END)
    assert modal["callback_id"] == ids.PAIR_CONTROL_VIEW
    states = {ids.PAIR_CTL_REASON: radio(reason)}
    if reason == EndReason.OTHER:
        missing = submit(w, COORDINATOR, modal, states)
        assert set(missing["errors"]) == {ids.PAIR_CTL_OTHER}
        assert w.pair(pair_id).status == PairStatus.ACTIVE
        states[ids.PAIR_CTL_OTHER] = text("moved to another program")
    answer = submit(w, COORDINATOR, modal, states)
    assert answer["response_action"] == "update" and "Ended the pair" in json.dumps(answer["view"])
    pair = w.pair(pair_id)
    assert (pair.status, pair.close_reason) == (PairStatus.CLOSED, reason)
    assert w.pending(pair_id) == []  # prompts stop
    assert free_places(w, MENTOR.user_id) == 1  # the place is free
    mentee_text = eventually(
        lambda: [t for t in w.texts_to(MENTEE.user_id) if "Your mentorship with" in t or "is complete" in t]
    )
    assert mentee_words in mentee_text[-1]
    mentor_text = eventually(lambda: [t for t in w.texts_to(MENTOR.user_id) if mentee_words in t])
    assert "Your mentoring place is free again" in mentor_text[-1]

    def surveys() -> list:
        return [m for m in w.box.messages_to(MENTEE.user_id) if f"|{SurveyKey.CLOSING}" in json.dumps(m.get("blocks"))]

    if survey:
        eventually(surveys)
    else:
        time.sleep(0.3)
        assert not surveys()
    entry = w.audit()[-1]
    assert (entry.actor, entry.action, entry.target) == (COORDINATOR, "pair.end", f"pair:{pair_id}")
    assert entry.detail["end_reason"] == reason
    if reason == EndReason.COMPLETED:
        eventually(
            lambda: any(ids.REFLECT_OPEN in json.dumps(m.get("blocks")) for m in w.box.messages_in(pair.channel_id))
        )


# ---------------------------------------------------------------------- rematch and reassign


def test_rematch_previews_the_best_mentor_confirms_and_starts_the_new_pair(w: World) -> None:
    pair_id = pair_by_hand(w, MENTEE.user_id, MENTOR.user_id)
    modal = open_action(w, open_card(w, pair_id), ids.PAIR_DO_REMATCH)
    body = json.dumps(modal["blocks"])
    offered = json.loads(modal["private_metadata"])["offered"]
    assert MENTOR.user_id not in offered  # the old pair is never proposed again
    assert set(offered) == {CAROL.user_id, DAN.user_id} and "score" in body
    best = offered[0]
    answer = submit(w, COORDINATOR, modal, {ids.PAIR_CTL_REASON: radio(EndReason.NOT_A_FIT)})
    assert "paired" in json.dumps(answer["view"])
    old = w.pair(pair_id)
    assert old.status == PairStatus.CLOSED and old.close_reason == EndReason.NOT_A_FIT
    new = eventually(lambda: [p for p in w.pairs() if p.replaces_pair_id == pair_id and p.channel_id])[0]
    assert (new.mentee_user_id, new.mentor_user_id, new.source) == (MENTEE.user_id, best, ControlSource.REMATCH)
    assert new.reasons and new.score > 0
    eventually(lambda: any("Meet your mentorship partner" in m["text"] for m in w.box.messages_in(new.channel_id)))
    told = eventually(lambda: [t for t in w.texts_to(MENTEE.user_id) if "new mentor" in t])
    assert f"<@{best}>" in told[-1]
    assert w.audit()[-1].action == "pair.rematch"
    # capacity stays exact: the old mentor's place is free, the new mentor's taken
    assert free_places(w, MENTOR.user_id) == 1
    assert MENTEE.user_id not in waiting(w)


def test_rematch_whose_proposed_mentor_was_taken_meanwhile_changes_nothing(w: World) -> None:
    pair_id = pair_by_hand(w, MENTEE.user_id, MENTOR.user_id)
    pair_by_hand(w, EVE.user_id, DAN.user_id)  # Dan has one place left, Carol one
    modal = open_action(w, open_card(w, pair_id), ids.PAIR_DO_REMATCH)
    offered = json.loads(modal["private_metadata"])["offered"]
    assert CAROL.user_id in offered
    # Carol's one place goes to someone else before the coordinator confirms
    frank = "U0FRANK006"
    from dataclasses import replace

    from tests.helpers import sign_up

    sign_up(w.app, replace(EVE, user_id=frank, name="Frank Mentee"))
    pair_by_hand(w, frank, CAROL.user_id)
    answer = submit(
        w,
        COORDINATOR,
        modal,
        {ids.PAIR_CTL_CHOICE: radio(CAROL.user_id), ids.PAIR_CTL_REASON: radio(EndReason.NOT_A_FIT)},
    )
    assert answer["response_action"] == "update"
    again = json.dumps(answer["view"])
    assert (
        "The proposal changed" in again
        and CAROL.user_id not in json.loads(answer["view"]["private_metadata"])["offered"]
    )
    assert w.pair(pair_id).status == PairStatus.ACTIVE  # nothing changed
    assert not [p for p in w.pairs() if p.replaces_pair_id == pair_id]


def test_rematch_with_nobody_available_puts_the_mentee_first_in_line(w: World) -> None:
    pair_id = pair_by_hand(w, MENTEE.user_id, MENTOR.user_id)
    pair_by_hand(w, EVE.user_id, CAROL.user_id)
    w.driver.slash_command(DAN.user_id, "pause")  # Dan pauses: nobody else mentors
    eventually(lambda: person(w, DAN.user_id).status == ParticipantStatus.PAUSED)
    modal = open_action(w, open_card(w, pair_id), ids.PAIR_DO_REMATCH)
    assert "No mentor with a free place fits" in json.dumps(modal["blocks"])
    answer = submit(w, COORDINATOR, modal, {ids.PAIR_CTL_REASON: radio(EndReason.NOT_A_FIT)})
    assert "first in line" in json.dumps(answer["view"])
    assert w.pair(pair_id).status == PairStatus.CLOSED
    with w.app.sessions() as session:
        alice = session.exec(select(Participant).where(Participant.user_id == MENTEE.user_id)).one()
    assert alice.priority and alice.unmatched_reason.startswith("rematch")
    assert MENTEE.user_id in waiting(w)
    assert any("first in line" in t for t in w.texts_to(MENTEE.user_id))


def test_reassign_checks_the_rules_and_needs_a_reason_to_break_one(w: World) -> None:
    pair_id = pair_by_hand(w, MENTEE.user_id, MENTOR.user_id)
    card = open_card(w, pair_id)
    modal = open_action(w, card, ids.PAIR_DO_REASSIGN)
    reason = {ids.PAIR_CTL_REASON: radio(EndReason.NOT_A_FIT)}
    same = submit(
        w,
        COORDINATOR,
        modal,
        {ids.PAIR_CTL_MENTOR: {"type": "users_select", "selected_user": MENTOR.user_id}, **reason},
    )
    assert ids.PAIR_CTL_MENTOR in same.get("errors", {}), same
    # Carol is Alice's manager now: a rule the new pair breaks
    with w.app.sessions() as session:
        from storage.models import Profile as ProfileRow

        alice = session.exec(select(Participant).where(Participant.user_id == MENTEE.user_id)).one()
        row = session.get(ProfileRow, alice.id)
        row.manager_id = CAROL.user_id
        session.add(row)
        session.commit()
    mentor = {"type": "users_select", "selected_user": CAROL.user_id}
    refused = submit(w, COORDINATOR, modal, {ids.PAIR_CTL_MENTOR: mentor, **reason})
    assert "manager" in refused["errors"][ids.PAIR_CTL_OVERRIDE]
    assert w.pair(pair_id).status == PairStatus.ACTIVE and len(w.pairs()) == 1
    done = submit(
        w, COORDINATOR, modal, {ids.PAIR_CTL_MENTOR: mentor, ids.PAIR_CTL_OVERRIDE: text("they asked for it"), **reason}
    )
    assert "Rules overridden" in json.dumps(done["view"]), done
    new = eventually(lambda: [p for p in w.pairs() if p.replaces_pair_id == pair_id])[0]
    assert (new.mentor_user_id, new.source, new.manual_reason) == (
        CAROL.user_id,
        ControlSource.REASSIGN,
        "they asked for it",
    )
    entry = w.audit()[-1]
    assert entry.action == "pair.reassign" and any("manager" in p for p in entry.detail["overrode"])
    assert entry.reason == "they asked for it"


# ---------------------------------------------------------------------- pause, resume, extend, message, nudge


def test_coordinator_pause_with_a_resume_date_resumes_through_the_outbox_and_the_chain_continues(w: World) -> None:
    pair_id = pair_by_hand(w, MENTEE.user_id, MENTOR.user_id)
    modal = open_action(w, open_card(w, pair_id), ids.PAIR_DO_PAUSE)
    past = submit(w, COORDINATOR, modal, {ids.PAIR_CTL_UNTIL: {"type": "datepicker", "selected_date": "2026-03-01"}})
    assert ids.PAIR_CTL_UNTIL in past["errors"]
    submit(w, COORDINATOR, modal, {ids.PAIR_CTL_UNTIL: {"type": "datepicker", "selected_date": "2026-04-13"}})
    assert w.pair(pair_id).status == PairStatus.PAUSED
    assert w.pending(pair_id, PromptKind.RESUME)  # the resume date is an outbox row
    w.run_until(w.clock() + timedelta(days=40))
    assert not [m for m in w.box.messages_in(w.pair(pair_id).channel_id) if "since last time" in m["text"]]
    w.advance(3)
    assert w.pair(pair_id).status == PairStatus.ACTIVE
    nxt = w.pending(pair_id, PromptKind.CHECKIN)
    assert len(nxt) == 1 and nxt[0].due_at > w.clock()  # the check-in chain continues from the resume
    w.advance(20)
    assert any("since last time" in m["text"].lower() for m in w.box.messages_in(w.pair(pair_id).channel_id))
    assert [e.action for e in w.audit() if e.target == f"pair:{pair_id}"][-1] == "pair.pause"


def test_coordinator_resume_extend_message_and_nudge(w: World) -> None:
    pair_id = pair_by_hand(w, MENTEE.user_id, MENTOR.user_id)
    channel = w.pair(pair_id).channel_id
    submit(w, COORDINATOR, open_action(w, open_card(w, pair_id), ids.PAIR_DO_PAUSE), {})
    assert w.pair(pair_id).status == PairStatus.PAUSED
    card = open_card(w, pair_id)
    assert ids.PAIR_DO_RESUME in json.dumps(card["blocks"])
    submit(w, COORDINATOR, open_action(w, card, ids.PAIR_DO_RESUME), {})
    assert w.pair(pair_id).status == PairStatus.ACTIVE and w.pending(pair_id, PromptKind.CHECKIN)

    with w.app.sessions() as session:
        from storage.journey import get_journey

        before = get_journey(session=session, pair_id=pair_id).ends_at
    submit(
        w,
        COORDINATOR,
        open_action(w, open_card(w, pair_id), ids.PAIR_DO_EXTEND),
        {ids.PAIR_CTL_MONTHS: radio("2") | {"type": "static_select"}},
    )
    with w.app.sessions() as session:
        after = get_journey(session=session, pair_id=pair_id)
    assert after.extensions == 1 and (after.ends_at.month - before.month) % 12 == 2
    closures = w.pending(pair_id, PromptKind.CLOSURE)
    assert len(closures) == 1 and closures[0].due_at >= after.ends_at - timedelta(days=3)
    eventually(lambda: any("extended your mentorship by 2 months" in m["text"] for m in w.box.messages_in(channel)))

    message = open_action(w, open_card(w, pair_id), ids.PAIR_DO_MESSAGE)
    assert ids.PAIR_CTL_MESSAGE in submit(w, COORDINATOR, message, {})["errors"]
    submit(w, COORDINATOR, message, {ids.PAIR_CTL_MESSAGE: text("Hi both <!channel> *welcome*")})
    sent = eventually(
        lambda: [m for m in w.box.messages_in(channel) if "A message from your program coordinator" in m["text"]]
    )
    assert "&lt;!channel&gt;" in sent[-1]["text"] and "<!channel>" not in sent[-1]["text"]

    nudge = open_action(w, open_card(w, pair_id), ids.PAIR_DO_NUDGE)
    submit(w, COORDINATOR, nudge, {})
    eventually(lambda: any("friendly nudge" in t for t in w.texts_to(MENTEE.user_id) + w.texts_to(MENTOR.user_id)))
    actions = [e.action for e in w.audit() if e.target == f"pair:{pair_id}"]
    assert actions[-5:] == ["pair.pause", "pair.resume", "pair.extend", "pair.message", "pair.nudge"]


# ---------------------------------------------------------------------- races and forged requests


def test_two_coordinators_acting_on_one_pair_the_second_sees_its_current_state(w: World) -> None:
    pair_id = pair_by_hand(w, MENTEE.user_id, MENTOR.user_id)
    first = open_action(w, open_card(w, pair_id, COORDINATOR), ids.PAIR_DO_END, COORDINATOR)
    second_card = open_card(w, pair_id, SECOND_COORDINATOR)
    second = open_action(w, second_card, ids.PAIR_DO_MESSAGE, SECOND_COORDINATOR)
    submit(w, COORDINATOR, first, {ids.PAIR_CTL_REASON: radio(EndReason.INACTIVE)})
    answer = submit(w, SECOND_COORDINATOR, second, {ids.PAIR_CTL_MESSAGE: text("Are you still meeting?")})
    view = json.dumps(answer["view"])
    assert answer["response_action"] == "update"
    assert "This pair changed since you opened it" in view and f"<@{COORDINATOR}>" in view and "*end*" in view
    assert "Ended" in view  # its current state
    assert not any("Are you still meeting" in m["text"] for m in w.box.messages_in(w.pair(pair_id).channel_id))
    # an action from the stale card opens the current state instead of a form
    stale = click_in_view(w, SECOND_COORDINATOR, second_card, ids.PAIR_DO_PAUSE)
    assert stale["callback_id"] == ids.PAIR_CARD_VIEW and "already ended" in json.dumps(stale["blocks"])
    assert [e.action for e in w.audit() if e.target == f"pair:{pair_id}"] == ["pair.manual", "pair.end"]


def test_simultaneous_actions_by_two_coordinators_apply_once(two_coordinators_any_db: RunningApp) -> None:
    w = make_world(two_coordinators_any_db, (MENTEE, MENTOR, CAROL, DAN))
    pair_id = pair_by_hand(w, MENTEE.user_id, MENTOR.user_id)
    modals = {
        COORDINATOR: open_action(w, open_card(w, pair_id, COORDINATOR), ids.PAIR_DO_REMATCH, COORDINATOR),
        SECOND_COORDINATOR: open_action(
            w, open_card(w, pair_id, SECOND_COORDINATOR), ids.PAIR_DO_END, SECOND_COORDINATOR
        ),
    }
    states = {
        COORDINATOR: {ids.PAIR_CTL_REASON: radio(EndReason.NOT_A_FIT)},
        SECOND_COORDINATOR: {ids.PAIR_CTL_REASON: radio(EndReason.INACTIVE)},
    }
    answers: dict[str, object] = {}
    barrier = threading.Barrier(2)

    def act(user: str) -> None:
        barrier.wait()
        answers[user] = submit(w, user, modals[user], states[user])

    threads = [threading.Thread(target=act, args=(u,)) for u in modals]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    changed = [u for u, a in answers.items() if "This pair changed" in json.dumps(a)]
    assert len(changed) == 1, answers
    winner = next(u for u in modals if u not in changed)
    acted = [e.actor for e in w.audit() if e.target == f"pair:{pair_id}" and e.action != "pair.manual"]
    assert acted == [winner]
    replacements = [p for p in w.pairs() if p.replaces_pair_id == pair_id]
    assert len(replacements) == (1 if winner == COORDINATOR else 0)
    assert w.pair(pair_id).status == PairStatus.CLOSED


def test_forged_actions_change_nothing_and_are_answered(w: World) -> None:
    pair_id = pair_by_hand(w, MENTEE.user_id, MENTOR.user_id)
    card = open_card(w, pair_id)
    end = open_action(w, card, ids.PAIR_DO_END)
    version = w.pair(pair_id).version
    # a non-coordinator: clicks and submissions are refused
    assert w.driver.block_action(STRANGER, ids.PAIR_DO_END, value=f"{pair_id}:{version}").status == 200
    eventually(lambda: any("only the program's coordinators" in t for t in w.texts_to(STRANGER)))
    refused = submit(w, STRANGER, end, {ids.PAIR_CTL_REASON: radio(EndReason.COMPLETED)})
    assert refused["response_action"] == "update" and "coordinators" in json.dumps(refused["view"])
    # a made-up version, an unknown action, a pair id that does not exist
    forged = dict(end, private_metadata=json.dumps({"action": "end", "pair_id": pair_id, "version": version + 7}))
    answer = submit(w, COORDINATOR, forged, {ids.PAIR_CTL_REASON: radio(EndReason.COMPLETED)})
    assert "This pair changed" in json.dumps(answer["view"])
    # the current state replaced the third modal of the stack (list, card, action): acting from it replaces it
    # again instead of pushing a fourth, which Slack refuses
    third = {**answer["view"], **{k: end[k] for k in ("id", "previous_view_id", "root_view_id", "hash")}}
    assert end["previous_view_id"] == card["id"] and end["root_view_id"] != card["id"]
    pushes = len(w.box.calls_for("views.push"))
    w.driver.block_action(COORDINATOR, ids.PAIR_DO_MESSAGE, view=third)
    eventually(lambda: ids.PAIR_CTL_MESSAGE in json.dumps(w.box.view(end["id"])["blocks"]))
    assert len(w.box.calls_for("views.push")) == pushes
    bogus = dict(end, private_metadata=json.dumps({"action": "explode", "pair_id": pair_id, "version": version}))
    assert "doesn't exist" in json.dumps(submit(w, COORDINATOR, bogus, {})["view"])
    missing = dict(end, private_metadata=json.dumps({"action": "end", "pair_id": 999999, "version": 0}))
    assert "doesn't exist in this workspace" in json.dumps(
        submit(w, COORDINATOR, missing, {ids.PAIR_CTL_REASON: radio(EndReason.COMPLETED)})["view"]
    )
    assert w.driver.block_action(COORDINATOR, ids.PAIR_DO_END, value="garbage").status == 200
    # talk-first naming someone outside the pair
    w.driver.block_action(COORDINATOR, ids.PAIR_DO_TALK, value=f"{pair_id}:{version}:{EVE.user_id}")
    eventually(lambda: any("not in this pair" in t for t in w.texts_to(COORDINATOR)))
    assert not any("reach out" in t for t in w.texts_to(EVE.user_id))
    assert w.pair(pair_id).status == PairStatus.ACTIVE and w.pair(pair_id).version == version
    assert [e for e in w.audit() if e.target == f"pair:{pair_id}" and e.action != "pair.manual"] == []

    # a closed pair: acting on it again is answered with its state
    submit(w, COORDINATOR, end, {ids.PAIR_CTL_REASON: radio(EndReason.COMPLETED)})
    closed = w.pair(pair_id)
    again = submit(
        w, COORDINATOR, dict(end, id="V0OTHER", hash="other"), {ids.PAIR_CTL_REASON: radio(EndReason.INACTIVE)}
    )
    assert "This pair changed" in json.dumps(again["view"]) or "already ended" in json.dumps(again["view"])
    forged_closed = dict(
        end,
        id="V0OTHER2",
        private_metadata=json.dumps({"action": "end", "pair_id": pair_id, "version": closed.version}),
    )
    answer = submit(w, COORDINATOR, forged_closed, {ids.PAIR_CTL_REASON: radio(EndReason.INACTIVE)})
    assert "already ended" in json.dumps(answer["view"])
    assert w.pair(pair_id).close_reason == EndReason.COMPLETED and w.pair(pair_id).version == closed.version


def test_a_pair_of_another_workspace_cannot_be_reached(w: World) -> None:
    other = SlackDriver(w.driver.app_url, SIGNING_SECRET, team_id="T0OTHER", sandbox=w.box)
    pair_id = pair_by_hand(w, MENTEE.user_id, MENTOR.user_id)
    # the other workspace's coordinator (same user id list in this single-workspace install) sees no such pair
    response = other.block_action(COORDINATOR, ids.PAIR_DO_END, value=f"{pair_id}:{w.pair(pair_id).version}")
    assert response.status == 200
    eventually(lambda: any("doesn't exist in this workspace" in t for t in w.texts_to(COORDINATOR)))
    other.block_action(COORDINATOR, ids.PAIRS_OPEN, value=str(pair_id))
    eventually(lambda: len([t for t in w.texts_to(COORDINATOR) if "doesn't exist in this workspace" in t]) == 2)
    forged = {
        "type": "modal",
        "callback_id": ids.PAIR_CONTROL_VIEW,
        "private_metadata": json.dumps({"action": "end", "pair_id": pair_id, "version": w.pair(pair_id).version}),
        "blocks": [],
    }
    values = {ids.PAIR_CTL_REASON: {ids.INPUT: {"type": "radio_buttons", "selected_option": {"value": "completed"}}}}
    answer = other.view_submission(COORDINATOR, forged, values).json()
    assert "doesn't exist in this workspace" in json.dumps(answer["view"])
    assert w.pair(pair_id).status == PairStatus.ACTIVE


# ---------------------------------------------------------------------- capacity and the waiting list


def test_a_freed_place_is_offered_to_the_longest_waiting_fitting_mentee(w: World) -> None:
    pair_id = pair_by_hand(w, MENTEE.user_id, MENTOR.user_id)
    pair_by_hand(w, EVE.user_id, CAROL.user_id)
    frank = "U0FRANK006"
    from dataclasses import replace

    from tests.helpers import sign_up

    sign_up(w.app, replace(EVE, user_id=frank, name="Frank Mentee"))  # Frank waits; nobody else does
    assert waiting(w) == {frank}
    submit(
        w,
        COORDINATOR,
        open_action(w, open_card(w, pair_id), ids.PAIR_DO_END),
        {ids.PAIR_CTL_REASON: radio(EndReason.COMPLETED)},
    )
    note = eventually(
        lambda: [m for m in w.box.messages_to(COORDINATOR) if ids.PAIR_DO_FILL in json.dumps(m.get("blocks"))]
    )[-1]
    assert f"<@{MENTOR.user_id}> has a free mentoring place" in note["text"] and f"<@{frank}>" in note["text"]
    # Alice, just ended with Bob, is waiting too but never goes back to Bob
    assert MENTEE.user_id in waiting(w)
    w.driver.block_action(COORDINATOR, ids.PAIR_DO_FILL, message=note)
    w.driver.block_action(COORDINATOR, ids.PAIR_DO_FILL, message=note)  # a double click
    new = eventually(lambda: [p for p in w.pairs() if p.mentee_user_id == frank and p.channel_id])
    assert len(new) == 1 and new[0].mentor_user_id == MENTOR.user_id and new[0].source == ControlSource.WAITING_LIST
    eventually(lambda: any("no longer free" in c.args.get("text", "") for c in w.box.calls_for("chat.update")))
    assert free_places(w, MENTOR.user_id) == 0 and frank not in waiting(w)
    open_for_bob = [p for p in w.pairs() if p.mentor_user_id == MENTOR.user_id and p.status != PairStatus.CLOSED]
    assert len(open_for_bob) == 1  # capacity 1, never more


def test_a_cohort_can_fill_freed_places_automatically(w: World) -> None:
    pair_id = pair_by_hand(w, MENTEE.user_id, MENTOR.user_id)
    pair_by_hand(w, EVE.user_id, CAROL.user_id)
    frank = "U0FRANK006"
    from dataclasses import replace

    from bot.cohorts import current_cohort
    from tests.helpers import sign_up

    sign_up(w.app, replace(EVE, user_id=frank, name="Frank Mentee"))
    with w.app.sessions() as session:
        cohort = current_cohort(session=session, team_id=TEAM_ID)
        cohort.settings = {**cohort.settings, "fill_freed_places": True}
        session.add(cohort)
        session.commit()
    submit(
        w,
        COORDINATOR,
        open_action(w, open_card(w, pair_id), ids.PAIR_DO_END),
        {ids.PAIR_CTL_REASON: radio(EndReason.LEFT_COMPANY)},
    )
    new = eventually(lambda: [p for p in w.pairs() if p.mentee_user_id == frank and p.channel_id])[0]
    assert new.mentor_user_id == MENTOR.user_id and new.source == ControlSource.WAITING_LIST
    eventually(lambda: any("automatically" in t for t in w.texts_to(COORDINATOR)))
    w.dispatcher.run_until_idle(w.clock())  # the scheduler's next tick introduces the pair
    assert any("Meet your mentorship partner" in m["text"] for m in w.box.messages_in(new.channel_id))


def test_no_prompt_of_an_ended_pair_is_ever_sent(w: World) -> None:
    """Closing a pair cancels every pending prompt: none of them is ever sent afterwards."""
    pair_id = pair_by_hand(w, MENTEE.user_id, MENTOR.user_id)
    submit(
        w,
        COORDINATOR,
        open_action(w, open_card(w, pair_id), ids.PAIR_DO_END),
        {ids.PAIR_CTL_REASON: radio(EndReason.INACTIVE)},
    )
    sent_before = len(w.box.messages_in(w.pair(pair_id).channel_id))
    w.advance(200)
    assert len(w.box.messages_in(w.pair(pair_id).channel_id)) == sent_before
    with w.app.sessions() as session:
        rows = session.exec(select(ScheduledPrompt).where(ScheduledPrompt.pair_id == pair_id)).all()
    assert all(r.status in (PromptStatus.SENT, PromptStatus.CANCELLED) for r in rows)


def test_the_longest_waiting_mentee_is_offered_the_place_first(w: World) -> None:
    from dataclasses import replace

    from tests.helpers import sign_up

    pair_id = pair_by_hand(w, MENTEE.user_id, MENTOR.user_id)
    pair_by_hand(w, EVE.user_id, CAROL.user_id)
    early, late = (
        replace(EVE, user_id="U0FRANK006", name="Frank Early"),
        replace(EVE, user_id="U0GINA0007", name="Gina Late"),
    )
    sign_up(w.app, early)
    w.clock.set(w.clock() + timedelta(days=9))
    sign_up(w.app, late)
    assert {early.user_id, late.user_id} <= waiting(w)
    end = open_action(w, open_card(w, pair_id), ids.PAIR_DO_END)
    submit(w, COORDINATOR, end, {ids.PAIR_CTL_REASON: radio(EndReason.COMPLETED)})
    note = eventually(
        lambda: [m for m in w.box.messages_to(COORDINATOR) if ids.PAIR_DO_FILL in json.dumps(m.get("blocks"))]
    )
    assert f"<@{early.user_id}>" in note[-1]["text"] and f"<@{late.user_id}>" not in note[-1]["text"]
    assert "waiting 9 days" in note[-1]["text"] or "waiting 1 week" in note[-1]["text"]


def test_two_rematches_racing_for_one_free_place_never_overfill_it(two_coordinators_any_db: RunningApp) -> None:
    w = make_world(two_coordinators_any_db, (MENTEE, MENTOR, CAROL, EVE, DAN))
    first = pair_by_hand(w, MENTEE.user_id, MENTOR.user_id)
    second = pair_by_hand(w, EVE.user_id, DAN.user_id)
    # Carol has the one free place both mentees could get (Dan's second place fits Alice too)
    modals = {
        COORDINATOR: open_action(w, open_card(w, first, COORDINATOR), ids.PAIR_DO_REMATCH, COORDINATOR),
        SECOND_COORDINATOR: open_action(
            w, open_card(w, second, SECOND_COORDINATOR), ids.PAIR_DO_REMATCH, SECOND_COORDINATOR
        ),
    }
    for modal in modals.values():
        assert CAROL.user_id in json.loads(modal["private_metadata"])["offered"]
    states = {ids.PAIR_CTL_CHOICE: radio(CAROL.user_id), ids.PAIR_CTL_REASON: radio(EndReason.NOT_A_FIT)}
    answers: dict[str, object] = {}
    barrier = threading.Barrier(2)

    def act(user: str) -> None:
        barrier.wait()
        answers[user] = submit(w, user, modals[user], states)

    threads = [threading.Thread(target=act, args=(u,)) for u in modals]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    changed = [u for u, a in answers.items() if "The proposal changed" in json.dumps(a)]
    assert len(changed) == 1, answers
    with_carol = [p for p in w.pairs() if p.mentor_user_id == CAROL.user_id and p.status != PairStatus.CLOSED]
    assert len(with_carol) == 1  # Carol's capacity is 1: never more
    loser_pair = first if changed[0] == COORDINATOR else second
    assert w.pair(loser_pair).status == PairStatus.ACTIVE  # the refused rematch changed nothing


def test_the_list_pages_through_a_program_of_many_pairs(two_coordinators: RunningApp) -> None:
    from dataclasses import replace

    mentors = tuple(replace(MENTOR, user_id=f"U0MNTR{n:04d}", name=f"Mentor {n}", capacity=5) for n in range(4))
    mentees = tuple(replace(EVE, user_id=f"U0MNTE{n:04d}", name=f"Mentee {n}") for n in range(17))
    w = make_world(two_coordinators, (*mentors, *mentees))
    for n, mentee in enumerate(mentees):
        w.driver.slash_command(COORDINATOR, f"pair <@{mentee.user_id}> <@{mentors[n % 4].user_id}>")
    eventually(lambda: len(w.pairs()) == 17)
    listing = open_list(w)
    first = json.dumps(listing["blocks"])
    assert "17 pairs, page 1 of 2" in first and first.count("pairs_row_") == 15
    assert ids.PAIRS_PAGE_NEXT in first and ids.PAIRS_PAGE not in first.replace(ids.PAIRS_PAGE_NEXT, "")
    w.driver.block_action(COORDINATOR, ids.PAIRS_PAGE_NEXT, view=listing)
    second = eventually(lambda: "page 2 of 2" in json.dumps(w.box.view(listing["id"])) and w.box.view(listing["id"]))
    body = json.dumps(second["blocks"])
    assert body.count("pairs_row_") == 2 and ids.PAIRS_PAGE in body and ids.PAIRS_PAGE_NEXT not in body
    shown = set(re.findall(r"pairs_row_(\d+)", first)) | set(re.findall(r"pairs_row_(\d+)", body))
    assert shown == {str(p.id) for p in w.pairs()}  # every pair once, across the pages
