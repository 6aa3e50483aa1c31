"""'Not a fit' and silent pairs reach a resolution, through signed Slack requests to the running app: coordinators'
one-click actions, the cohort's automatic rematch with its 24-hour undo, closing inactive pairs (off by default,
with notice), and the bulk actions on pairs at risk."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlmodel import select

from bot import ids
from bot.lifecycle import simulate as sim
from bot.sandbox import SlackSandbox
from bot.views import pairs as pair_views
from storage.models import AuditLog, Participant
from storage.vocab import ControlSource, EndReason, PairStatus, PromptKind
from tests.conftest import COORDINATOR, start_app
from tests.pair_steps import (
    CAROL,
    DAN,
    EVE,
    MENTEE,
    MENTOR,
    SECOND_COORDINATOR,
    World,
    click_in_view,
    eventually,
    log_first_meeting,
    make_world,
    open_list,
    pair_by_hand,
    radio,
    set_cohort,
    submit,
)


@pytest.fixture
def w(sqlite_url: str, sandbox: SlackSandbox) -> Iterator[World]:
    running, server = start_app(sqlite_url, sandbox, COORDINATOR_IDS=f"{COORDINATOR},{SECOND_COORDINATOR}")
    yield make_world(running)
    server.stop()
    running.services.engine.dispose()


def note_with(w: World, action_id: str, user: str = COORDINATOR) -> dict:
    return eventually(lambda: [m for m in w.box.messages_to(user) if action_id in json.dumps(m.get("blocks"))])[-1]


def partner_messages(w: World, partner: str, after: int) -> list[str]:
    return [m.get("text", "") for m in w.box.messages_to(partner)[after:]]


# ---------------------------------------------------------------------- "not a fit", coordinator-led


def test_not_a_fit_reaches_coordinators_with_rematch_end_and_talk_first(w: World) -> None:
    pair_id = pair_by_hand(w, MENTEE.user_id, MENTOR.user_id)
    log_first_meeting(w, pair_id, MENTEE.user_id)
    eventually(lambda: sim.find_button(w.box.messages_to(MENTOR.user_id), ids.FIT_NOT))
    seen_by_mentor = len(w.box.messages_to(MENTOR.user_id))
    assert sim.click_in_dm(w.driver, w.box, MENTEE.user_id, ids.FIT_NOT)
    note = note_with(w, ids.PAIR_DO_TALK)
    assert "Not a fit" in note["text"] and f"<@{MENTEE.user_id}> (mentee" in note["text"]
    for action_id in (ids.PAIR_DO_REMATCH, ids.PAIR_DO_END, ids.PAIR_DO_TALK, ids.PAIRS_OPEN):
        assert action_id in json.dumps(note["blocks"])
    # talk first: the mentee hears a coordinator will reach out; the partner hears nothing
    w.driver.block_action(COORDINATOR, ids.PAIR_DO_TALK, message=note)
    eventually(lambda: any("will reach out" in t for t in w.texts_to(MENTEE.user_id)))
    eventually(lambda: any("talk with" in c.args.get("text", "") for c in w.box.calls_for("chat.update")))
    assert [e.action for e in w.audit()][-1] == "pair.talk_first"
    assert w.pair(pair_id).status == PairStatus.ACTIVE
    # the note now says what was done and opens the card, where the rematch is one click away
    updated = note_with(w, ids.PAIRS_OPEN)
    assert "talk with" in updated["text"] and ids.PAIR_DO_TALK not in json.dumps(updated["blocks"])
    before = len(w.box.views_opened(COORDINATOR))
    w.driver.block_action(COORDINATOR, ids.PAIRS_OPEN, message=updated)
    modal = eventually(lambda: w.box.views_opened(COORDINATOR)[before:])[-1]
    assert modal["callback_id"] == ids.PAIR_CARD_VIEW and "talk first" in json.dumps(modal["blocks"])
    rematch = click_in_view(w, COORDINATOR, modal, ids.PAIR_DO_REMATCH)
    assert rematch["callback_id"] == ids.PAIR_CONTROL_VIEW
    submit(w, COORDINATOR, rematch, {ids.PAIR_CTL_REASON: radio(EndReason.NOT_A_FIT)})
    new = eventually(lambda: [p for p in w.pairs() if p.replaces_pair_id == pair_id])[0]
    assert new.mentee_user_id == MENTEE.user_id and new.mentor_user_id != MENTOR.user_id
    # the partner got a neutral message: nothing says who said what
    told = eventually(lambda: [t for t in partner_messages(w, MENTOR.user_id, seen_by_mentor) if "has ended" in t])
    assert (
        told[-1]
        == pair_views.ended_message(
            reason=EndReason.NOT_A_FIT, reader_is_mentee=False, partner_id=MENTEE.user_id, place_free=True
        )["text"]
    )
    since_the_click = w.box.messages_to(MENTOR.user_id)[seen_by_mentor:] + w.box.messages_in(w.pair(pair_id).channel_id)
    for message in since_the_click:
        words = json.dumps(message).lower()
        assert "not a fit" not in words and "said" not in words and "asked for" not in words, message


def test_a_rematch_asked_for_after_the_coordinator_rematched_keeps_the_new_pair(w: World) -> None:
    pair_id = pair_by_hand(w, MENTEE.user_id, MENTOR.user_id)
    log_first_meeting(w, pair_id, MENTEE.user_id)
    assert sim.click_in_dm(w.driver, w.box, MENTEE.user_id, ids.FIT_NOT)
    offer = eventually(lambda: sim.find_button(w.box.messages_to(MENTEE.user_id), ids.REMATCH_YES))
    # the coordinator acts on the note first: a new mentor for the mentee
    note = note_with(w, ids.PAIR_DO_REMATCH)
    before = len(w.box.views_opened(COORDINATOR))
    w.driver.block_action(COORDINATOR, ids.PAIR_DO_REMATCH, message=note)
    rematch = eventually(lambda: w.box.views_opened(COORDINATOR)[before:])[-1]
    submit(w, COORDINATOR, rematch, {ids.PAIR_CTL_REASON: radio(EndReason.NOT_A_FIT)})
    new = eventually(lambda: [p for p in w.pairs() if p.replaces_pair_id == pair_id])[0]
    # then the mentee answers the offer they had: they are told they have a new mentor, and not queued again
    seen = len(w.texts_to(MENTEE.user_id))
    w.driver.block_action(MENTEE.user_id, ids.REMATCH_YES, message=offer)
    eventually(
        lambda: any(
            f"already have a new partner: <@{new.mentor_user_id}>" in json.dumps(c.args)
            for c in w.box.calls
            if c.method in ("chat.update", "chat.postMessage", "chat.postEphemeral")
        )
    )
    with w.app.sessions() as session:
        assert not session.exec(select(Participant).where(Participant.user_id == MENTEE.user_id)).one().priority
    assert not any("first in line" in t for t in w.texts_to(MENTEE.user_id)[seen:])
    assert w.pair(new.id).status == PairStatus.ACTIVE


def test_accepting_a_confidential_rematch_tells_coordinators_with_one_click_actions(w: World) -> None:
    pair_id = pair_by_hand(w, MENTEE.user_id, MENTOR.user_id)
    log_first_meeting(w, pair_id, MENTOR.user_id)
    assert sim.click_in_dm(w.driver, w.box, MENTEE.user_id, ids.FIT_NOT)
    offer = eventually(lambda: sim.find_button(w.box.messages_to(MENTEE.user_id), ids.REMATCH_YES))
    w.driver.block_action(MENTEE.user_id, ids.REMATCH_YES, message=offer)
    note = eventually(lambda: [m for m in w.box.messages_to(COORDINATOR) if "confidential rematch" in m["text"]])[-1]
    assert "please close the current pair" not in note["text"]
    assert ids.PAIR_DO_REMATCH in json.dumps(note["blocks"]) and ids.PAIR_DO_END in json.dumps(note["blocks"])
    with w.app.sessions() as session:
        assert session.exec(select(Participant).where(Participant.user_id == MENTEE.user_id)).one().priority
    # one click on End opens the end modal, "not a fit" already chosen
    before = len(w.box.views_opened(COORDINATOR))
    w.driver.block_action(COORDINATOR, ids.PAIR_DO_END, message=note)
    modal = eventually(lambda: w.box.views_opened(COORDINATOR)[before:])[-1]
    reason = next(b for b in modal["blocks"] if b.get("block_id") == ids.PAIR_CTL_REASON)
    assert reason["element"]["initial_option"]["value"] == EndReason.NOT_A_FIT


# ---------------------------------------------------------------------- "not a fit", automatic


def test_the_cohort_rematches_automatically_after_not_a_fit_and_coordinators_can_undo(w: World) -> None:
    set_cohort(w, pair_options=("auto_rematch",))
    pair_id = pair_by_hand(w, MENTEE.user_id, MENTOR.user_id)
    log_first_meeting(w, pair_id, MENTEE.user_id)
    seen_by_mentee = len(w.box.messages_to(MENTEE.user_id))
    pending_before = {p.kind for p in w.pending(pair_id)}
    assert PromptKind.CHECKIN in pending_before
    # the MENTOR says it; the mentee is rematched at once and never learns who said what
    assert sim.click_in_dm(w.driver, w.box, MENTOR.user_id, ids.FIT_NOT)
    new = eventually(lambda: [p for p in w.pairs() if p.replaces_pair_id == pair_id and p.channel_id])[0]
    old = w.pair(pair_id)
    assert (old.status, old.close_reason) == (PairStatus.CLOSED, EndReason.NOT_A_FIT)
    assert (new.mentee_user_id, new.source) == (MENTEE.user_id, ControlSource.AUTO_REMATCH)
    assert new.mentor_user_id in (CAROL.user_id, DAN.user_id)
    eventually(lambda: any("Meet your mentorship partner" in m["text"] for m in w.box.messages_in(new.channel_id)))
    told = eventually(lambda: [t for t in partner_messages(w, MENTEE.user_id, seen_by_mentee) if "has ended" in t])
    assert f"new mentor, <@{new.mentor_user_id}>" in told[-1]
    for message in partner_messages(w, MENTEE.user_id, seen_by_mentee):
        assert "said" not in message and "Not a fit" not in message and f"<@{MENTOR.user_id}> answered" not in message
    eventually(lambda: any("your partner got a neutral message" in t for t in w.texts_to(MENTOR.user_id)))
    note = note_with(w, ids.PAIR_DO_UNDO)
    assert "rematches automatically" in note["text"] and "undo this until" in note["text"]
    assert [e for e in w.audit() if e.action == "pair.auto_rematch"][0].actor == "auto"

    # undo within 24 h: the new pair is withdrawn, the old one continues where it stopped
    w.clock.set(w.clock() + timedelta(hours=5))
    w.driver.block_action(COORDINATOR, ids.PAIR_DO_UNDO, message=note)
    eventually(lambda: w.pair(pair_id).status == PairStatus.ACTIVE)
    assert w.pair(new.id).status == PairStatus.CLOSED and w.pair(new.id).close_reason == EndReason.UNDONE
    assert w.pair(pair_id).closed_at is None and w.pair(pair_id).close_reason == ""
    assert {p.kind for p in w.pending(pair_id)} >= {PromptKind.CHECKIN, PromptKind.CLOSURE}
    assert all(p.due_at < w.clock() + timedelta(days=200) for p in w.pending(pair_id))  # nothing left parked
    assert w.pending(new.id) == []
    eventually(lambda: any("withdrawn" in t for t in w.texts_to(new.mentor_user_id)))
    eventually(lambda: any("continues after all" in t for t in w.texts_to(MENTOR.user_id)))
    assert [e.action for e in w.audit()][-1] == "pair.undo_rematch"
    # a second click changes nothing
    w.driver.block_action(COORDINATOR, ids.PAIR_DO_UNDO, message=note)
    eventually(lambda: any("This pair changed" in t for t in w.texts_to(COORDINATOR)))
    assert [e.action for e in w.audit()].count("pair.undo_rematch") == 1
    # and the check-in chain goes on
    w.advance(20)
    assert any("since last time" in m["text"].lower() for m in w.box.messages_in(w.pair(pair_id).channel_id))


def test_undo_is_refused_after_24_hours(w: World) -> None:
    set_cohort(w, pair_options=("auto_rematch",))
    pair_id = pair_by_hand(w, MENTEE.user_id, MENTOR.user_id)
    log_first_meeting(w, pair_id, MENTEE.user_id)
    assert sim.click_in_dm(w.driver, w.box, MENTEE.user_id, ids.FIT_NOT)
    note = note_with(w, ids.PAIR_DO_UNDO)
    w.advance(1.1)  # the undo window closes; the old pair's held prompts are let go
    assert w.pending(pair_id) == []
    w.driver.block_action(COORDINATOR, ids.PAIR_DO_UNDO, message=note)
    eventually(lambda: any("24 hours to undo" in t for t in w.texts_to(COORDINATOR)))
    assert w.pair(pair_id).status == PairStatus.CLOSED
    assert [p for p in w.pairs() if p.replaces_pair_id == pair_id][0].status == PairStatus.ACTIVE


# ---------------------------------------------------------------------- silent pairs


def test_silent_pair_reaches_coordinators_as_inactive_with_end_rematch_and_nudge(w: World) -> None:
    pair_id = pair_by_hand(w, MENTEE.user_id, MENTOR.user_id)
    w.advance(38)
    assert w.pair(pair_id).status == PairStatus.AT_RISK
    note = note_with(w, ids.PAIR_DO_NUDGE)
    assert "inactive for 5 weeks" in note["text"]
    for action_id in (ids.PAIR_DO_END, ids.PAIR_DO_REMATCH, ids.PAIR_DO_NUDGE):
        assert action_id in json.dumps(note["blocks"])
    before = len(w.box.views_opened(COORDINATOR))
    w.driver.block_action(COORDINATOR, ids.PAIR_DO_NUDGE, message=note)
    nudge = eventually(lambda: w.box.views_opened(COORDINATOR)[before:])[-1]
    submit(w, COORDINATOR, nudge, {})
    eventually(lambda: any("friendly nudge" in t for t in w.texts_to(MENTEE.user_id)))
    # the note's End is now a version behind: it shows the current state, whose End works
    w.driver.block_action(COORDINATOR, ids.PAIR_DO_END, message=note)
    card = eventually(lambda: w.box.views_opened(COORDINATOR)[before + 1 :])[-1]
    end = click_in_view(w, COORDINATOR, card, ids.PAIR_DO_END)
    submit(w, COORDINATOR, end, {ids.PAIR_CTL_REASON: radio(EndReason.INACTIVE)})
    assert w.pair(pair_id).close_reason == EndReason.INACTIVE
    # never closed without a coordinator: nothing else ended it
    assert [e.action for e in w.audit() if e.target == f"pair:{pair_id}"] == ["pair.manual", "pair.nudge", "pair.end"]


def test_the_cohort_can_close_inactive_pairs_with_notice_a_week_before(w: World) -> None:
    set_cohort(w, close_inactive_weeks=6)
    quiet = pair_by_hand(w, MENTEE.user_id, MENTOR.user_id)
    revived = pair_by_hand(w, EVE.user_id, DAN.user_id)
    w.advance(38)
    assert {w.pair(quiet).status, w.pair(revived).status} == {PairStatus.AT_RISK}
    note = note_with(w, ids.PAIR_DO_NUDGE)
    assert "closes pairs after 6 weeks" in note["text"]
    w.advance(3)  # six weeks since the kickoff, minus one: the notice
    for user in (MENTEE.user_id, MENTOR.user_id, EVE.user_id, DAN.user_id):
        notice = [m for m in w.box.messages_to(user) if "will close on" in m["text"]]
        assert len(notice) == 1 and ids.CONTINUE_YES in json.dumps(notice[0]["blocks"])
    assert w.pair(quiet).status == PairStatus.AT_RISK  # not yet
    # one of the second pair wants to keep going
    keep = sim.find_button(w.box.messages_to(EVE.user_id), ids.CONTINUE_YES)
    w.driver.block_action(EVE.user_id, ids.CONTINUE_YES, message=keep)
    eventually(lambda: any("can continue" in t for t in w.texts_to(COORDINATOR)))
    w.advance(8)
    assert (w.pair(quiet).status, w.pair(quiet).close_reason) == (PairStatus.CLOSED, EndReason.INACTIVE)
    assert w.pair(revived).status != PairStatus.CLOSED
    for user in (MENTEE.user_id, MENTOR.user_id):
        assert any("quiet for a while" in t for t in w.texts_to(user))
    assert any("was closed after 6 weeks without activity" in t for t in w.texts_to(COORDINATOR))
    entry = [e for e in w.audit() if e.action == "pair.auto_close"]
    assert len(entry) == 1 and entry[0].target == f"pair:{quiet}"


# ---------------------------------------------------------------------- bulk


def test_bulk_nudge_all_and_end_all_inactive_list_who_is_affected_first(w: World) -> None:
    first = pair_by_hand(w, MENTEE.user_id, MENTOR.user_id)
    second = pair_by_hand(w, EVE.user_id, DAN.user_id)
    w.advance(38)
    listing = open_list(w, "at-risk")
    assert ids.PAIRS_BULK_NUDGE in json.dumps(listing["blocks"]) and ids.PAIRS_BULK_END in json.dumps(listing["blocks"])
    confirm = click_in_view(w, COORDINATOR, listing, ids.PAIRS_BULK_NUDGE)
    body = json.dumps(confirm["blocks"])
    assert f"#{first} <@{MENTEE.user_id}>" in body and f"#{second} <@{EVE.user_id}>" in body and "Nudge 2 pairs" in body
    answer = submit(w, COORDINATOR, confirm, {})
    assert "Nudged 2 pairs" in json.dumps(answer["view"])
    for user in (MENTEE.user_id, EVE.user_id):
        eventually(lambda u=user: any("friendly nudge" in t for t in w.texts_to(u)))

    ask = click_in_view(w, COORDINATOR, listing, ids.PAIRS_BULK_END)
    wrong = submit(w, COORDINATOR, ask, {ids.PAIR_CTL_WEEKS: {"type": "number_input", "value": "0"}})
    assert ids.PAIR_CTL_WEEKS in wrong["errors"]
    listed = submit(w, COORDINATOR, ask, {ids.PAIR_CTL_WEEKS: {"type": "number_input", "value": "5"}})
    assert listed["response_action"] == "update"
    view = listed["view"]
    assert f"#{first}" in json.dumps(view["blocks"]) and f"#{second}" in json.dumps(view["blocks"])
    # before the coordinator confirms, the second pair meets: it is no longer the pair that was listed
    channel = w.pair(second).channel_id
    assert sim.log_meeting(w.driver, w.box, EVE.user_id, channel, w.clock().date())
    eventually(lambda: w.pair(second).status == PairStatus.ACTIVE)
    done = submit(w, COORDINATOR, dict(view, id="V0BULKEND", hash="h1"), {})
    text = json.dumps(done["view"])
    assert "Ended 1 pair" in text and f"#{second}" in text and "changed meanwhile" in text
    assert w.pair(first).close_reason == EndReason.INACTIVE and w.pair(second).status == PairStatus.ACTIVE
    with w.app.sessions() as session:
        ends = session.exec(select(AuditLog).where(AuditLog.action == "pair.end")).all()
    assert [e.target for e in ends] == [f"pair:{first}"]


def test_something_not_right_reaches_coordinators_with_one_click_actions(w: World) -> None:
    pair_id = pair_by_hand(w, MENTEE.user_id, MENTOR.user_id)
    channel = w.pair(pair_id).channel_id
    seen_by_mentor = len(w.box.messages_to(MENTOR.user_id))
    message = sim.find_button(w.box.messages_in(channel), ids.PAIR_CONCERN)
    before = len(w.box.views_opened(MENTOR.user_id))
    w.driver.block_action(MENTOR.user_id, ids.PAIR_CONCERN, message=message)
    modal = eventually(lambda: w.box.views_opened(MENTOR.user_id)[before:])[-1]
    assert (
        submit(
            w, MENTOR.user_id, modal, {ids.CONCERN_TEXT: {"type": "plain_text_input", "value": "We never <!here> meet"}}
        )
        is None
    )
    note = note_with(w, ids.PAIR_DO_TALK)
    assert "something's not right" in note["text"] and f"<@{MENTOR.user_id}> (mentor" in note["text"]
    assert "&lt;!here&gt;" in note["text"] and "<!here>" not in note["text"]
    for action_id in (ids.PAIR_DO_REMATCH, ids.PAIR_DO_END, ids.PAIR_DO_TALK):
        assert action_id in json.dumps(note["blocks"])
    w.driver.block_action(COORDINATOR, ids.PAIR_DO_TALK, message=note)
    eventually(lambda: any("will reach out" in t for t in w.texts_to(MENTOR.user_id)))
    assert not any("reach out" in t or "not right" in t for t in w.texts_to(MENTEE.user_id))
    assert len(w.box.messages_to(MENTOR.user_id)) > seen_by_mentor


def test_a_simulated_program_where_the_coordinator_resolves_the_flagged_pairs(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The scenario runner's coordinator acts on the notes: the "not a fit" mentee is rematched, the silent pair
    ended; what the app stored agrees with what the simulated people did (ground truth)."""
    from bot.demo import _mentor_joining_late
    from bot.sandbox.ledger import Behaviour
    from bot.sandbox.scenario import Scenario, ScenarioConfig
    from storage.models import Pair as PairRow

    config = ScenarioConfig(
        people=10,
        days=60,
        seed=3,
        duration_months=3,
        coordinator_resolves=True,
        database_url=f"sqlite:///{tmp_path}/s.db",
    )
    with Scenario(config) as run:
        run.setup()
        run.sign_up()
        run.run_days(9)
        late = _mentor_joining_late(run)
        assert late is not None
        run.join([late])
        run.run_days(51)
        pairs = list(run.ledger.pairs.values())
        not_a_fit = next(p for p in pairs if p.behaviour == Behaviour.NOT_A_FIT)
        silent = next(p for p in pairs if p.behaviour == Behaviour.SILENT)
        rematched = [p for p in pairs if p.mentee == not_a_fit.mentee and p.pair_id != not_a_fit.pair_id]
        with run.services.sessions() as session:
            stored = {p.id: p for p in session.exec(select(PairRow)).all()}
        events = [e.what for e in run.ledger.events]
        partner_saw = [r.text for r in run.ledger.received if not_a_fit.mentor in r.to and r.at >= not_a_fit.kickoff_at]
    assert run.ledger.problems == []
    # ground truth: the coordinator closed both, and the mentee now has the mentor who joined late
    assert not_a_fit.closed_how == EndReason.NOT_A_FIT and silent.closed_how == EndReason.INACTIVE
    assert [p.mentor for p in rematched] == [late.user_id]
    assert any(e.startswith("rematched") for e in events) and "ended the silent pair (inactive)" in events
    # the app stored the same
    assert (stored[not_a_fit.pair_id].status, stored[not_a_fit.pair_id].close_reason) == ("closed", "not_a_fit")
    assert (stored[silent.pair_id].status, stored[silent.pair_id].close_reason) == ("closed", "inactive")
    new = stored[rematched[0].pair_id]
    assert (new.source, new.replaces_pair_id) == (ControlSource.REMATCH, not_a_fit.pair_id)
    # the partner of the person who said "not a fit" never read who said it
    assert not any("not a fit" in text.lower() and "said" in text.lower() for text in partner_saw)
