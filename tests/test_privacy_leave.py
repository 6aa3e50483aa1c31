"""/mentor leave through the real app: structural erasure, keyed confidential lists, and everything a leaver had.

A program is built the way people build it (signups, manual pairs, goals, meetings, fit checks, lists, shares,
introductions, a match preview), with leavers whose Slack names are common words. Every other person's rows
must be byte-identical before and after each leave.
"""

from __future__ import annotations

import json
import time
from dataclasses import replace
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import SQLModel, select

from bot import ids, privacy
from bot.dispatch import Dispatcher
from bot.lifecycle import simulate
from bot.networking import INTRO_TTL
from bot.profiles import Profile
from bot.sandbox import forms as fill
from storage.models import DoNotPair, Introduction, MatchRequest, NetworkingPref, Pair, Participant
from storage.vocab import IntroStatus, PairStatus
from tests.conftest import COORDINATOR, TEAM_ID, RunningApp
from tests.helpers import ALICE, BOB, open_modal
from tests.test_matching_flow import _preview
from tests.test_mentee_choice import _choice_cohort, _pick, _request_to, _start

COMMON_WORDS = ("active", "pending", "Will", "closed", "good")
OTHERS_TEXT = "I will lead; the active, pending and closed items are good to go"


def person(base: Profile, n: int, name: str) -> Profile:
    return replace(base, user_id=f"U0P{n:02d}{name[:4].upper():X<4}", name=name)


def join(app: RunningApp, profile: Profile, *, slack_name: str) -> None:
    """Sign up through the real modal, with a Slack display name of our choosing."""
    app.sandbox.add_user(
        profile.user_id, name=slack_name, real_name=slack_name, tz=profile.timezone, email=f"{profile.user_id}@x.test"
    )
    view = open_modal(app, profile.user_id)
    response = app.driver.view_submission(profile.user_id, view, fill.signup_values(view, profile))
    assert response.status == 200 and not response.body.strip(), response.body
    assert simulate.wait(lambda: _participant(app, profile.user_id))


def _participant(app: RunningApp, user_id: str) -> Participant | None:
    with app.sessions() as session:
        return session.exec(select(Participant).where(Participant.user_id == user_id)).first()


def command(app: RunningApp, user_id: str, text: str) -> dict[str, Any]:
    before = len(app.sandbox.responses)
    response = app.driver.slash_command(user_id, text)
    assert response.status == 200, response.body
    if response.body.strip():
        return response.json()
    posted = simulate.wait(lambda: app.sandbox.responses[before:])
    return posted[-1].payload if posted else {}


def leave(app: RunningApp, user_id: str) -> dict[str, Any]:
    """/mentor leave, then "Delete my data"; the confirmation DM."""
    before = time.time()
    view = open_modal(app, user_id, "leave")
    assert view["callback_id"] == ids.LEAVE_VIEW
    assert "stay in Slack" in json.dumps(view)
    assert app.driver.view_submission(user_id, view, {}).status == 200
    return app.sandbox.wait_for(
        "chat.postMessage",
        lambda c: c.args.get("channel") == user_id and "data is deleted" in c.args.get("text", ""),
        after=before,
    ).args


def snapshot(app: RunningApp) -> dict[tuple[str, tuple[Any, ...]], dict[str, Any]]:
    """Every row of every table, keyed by table and primary key, values as stored."""
    rows: dict[tuple[str, tuple[Any, ...]], dict[str, Any]] = {}
    with app.sessions() as session:
        for table in SQLModel.metadata.sorted_tables:
            key = [c.name for c in table.primary_key.columns]
            for row in session.execute(table.select()).mappings().all():
                rows[(table.name, tuple(row[k] for k in key))] = dict(row)
    return rows


def involves(table: str, row: dict[str, Any], *, user_id: str, participant_id: int | None, pairs: set[int]) -> bool:
    """Whether a row is the leaver's, or shared with them (their pairs' rows included)."""
    if any(user_id in json.dumps(v, default=str) for v in row.values() if v is not None):
        return True
    if participant_id is not None and (
        row.get("participant_id") == participant_id or (table == "participant" and row.get("id") == participant_id)
    ):
        return True
    return row.get("pair_id") in pairs or (table == "pair" and row.get("id") in pairs)


def build_program(app: RunningApp) -> list[tuple[Profile, Profile]]:
    """Five pairs, each with a leaver named like a common word and a stayer, and a program's worth of records."""
    app.sandbox.add_user(COORDINATOR, name="coord", real_name="Coordinator", tz="Europe/Berlin")
    pairs = []
    for n, word in enumerate(COMMON_WORDS):
        leaver_is_mentee = n % 2 == 0
        leaver = person(ALICE if leaver_is_mentee else BOB, n, word)
        stayer = person(BOB if leaver_is_mentee else ALICE, n + 50, f"Stayer {n}")
        join(app, leaver, slack_name=word)
        join(app, stayer, slack_name=f"stayer{n}")
        mentee, mentor = (leaver, stayer) if leaver_is_mentee else (stayer, leaver)
        answer = command(app, COORDINATOR, f"pair <@{mentee.user_id}> <@{mentor.user_id}> testing")
        assert "Paired" in answer["text"], answer
        pairs.append((leaver, stayer))

    def today(who: Profile) -> date:  # the meeting's day in the logger's own calendar (never "in the future")
        return app.services.now().astimezone(ZoneInfo(who.timezone)).date()

    for leaver, stayer in pairs:
        with app.sessions() as session:
            pair = session.exec(select(Pair).where(Pair.mentee_user_id.in_([leaver.user_id, stayer.user_id]))).one()
        channel = simulate.wait(lambda p=pair: _channel(app, p.id))
        assert simulate.set_goals(
            app.driver, app.sandbox, stayer.user_id, leaver.user_id, channel, [(OTHERS_TEXT, "closed by June")]
        )
        assert simulate.log_meeting(
            app.driver,
            app.sandbox,
            stayer.user_id,
            channel,
            today(stayer),
            topics=f"<@{leaver.user_id}> and I: {OTHERS_TEXT}",
        )
        assert simulate.log_meeting(
            app.driver, app.sandbox, leaver.user_id, channel, today(leaver), topics="my own notes"
        )
    Dispatcher(app.services).run_until_idle(app.services.now())  # the fit checks after each first meeting
    for leaver, stayer in pairs:
        for who in (leaver, stayer):
            assert simulate.wait(lambda w=who: simulate.click_in_dm(app.driver, app.sandbox, w.user_id, ids.FIT_GOOD))
    stayers = [s for _, s in pairs]
    for (leaver, _), other in zip(pairs, stayers[1:] + stayers[:1], strict=True):
        assert "confidential" in command(app, other.user_id, f"avoid <@{leaver.user_id}>")["text"]
        command(app, leaver.user_id, f"avoid <@{other.user_id}>")
        command(app, leaver.user_id, "suggestions off")
        command(app, other.user_id, f"share https://example.com/{other.user_id} good read, ask <@{leaver.user_id}>")
    return pairs


def _channel(app: RunningApp, pair_id: int | None) -> str:
    with app.sessions() as session:
        pair = session.get(Pair, pair_id)
        return pair.channel_id if pair is not None else ""


def test_leavers_named_like_common_words_leave_everyone_elses_rows_byte_identical(app_any_db: RunningApp) -> None:
    app = app_any_db
    pairs = build_program(app)
    started = time.time()
    app.driver.slash_command(COORDINATOR, "match")  # a preview that names people (all paired: an empty round)
    _preview(app, after=started)
    gone: list[str] = []
    for leaver, stayer in pairs:
        participant = _participant(app, leaver.user_id)
        assert participant is not None
        with app.sessions() as session:
            mine = {
                p.id for p in session.exec(select(Pair)).all() if leaver.user_id in (p.mentee_user_id, p.mentor_user_id)
            }
        before = snapshot(app)
        done = leave(app, leaver.user_id)
        assert "stay in Slack" in done["text"]
        after = snapshot(app)

        kept = {
            key: row
            for key, row in before.items()
            if not involves(key[0], row, user_id=leaver.user_id, participant_id=participant.id, pairs=mine)
        }
        changed = [key for key, row in kept.items() if after.get(key) != row]
        assert changed == [], [(k, kept[k], after.get(k)) for k in changed[:3]]
        added = {key[0] for key in set(after) - set(before)}
        assert added <= {"anonymous_departure"}, added
        leftovers = [
            (key[0], column)
            for key, row in after.items()
            for column, value in row.items()
            if value is not None and leaver.user_id in json.dumps(value, default=str)
        ]
        assert leftovers == [], leftovers
        # their shared pair stays, closed, under a pseudonym; the stayer's words stay whole
        with app.sessions() as session:
            pair = session.get(Pair, min(mine))
            topics = [
                row["topics"]
                for key, row in after.items()
                if key[0] == "meeting" and row["pair_id"] == pair.id and row["logged_by"] == stayer.user_id
            ]
        token = privacy.pseudonym(team_id=TEAM_ID, user_id=leaver.user_id, secret=app.settings.pseudonym_key)
        assert pair.status == PairStatus.CLOSED and token in (pair.mentee_user_id, pair.mentor_user_id)
        assert topics == [f"[someone who left] and I: {OTHERS_TEXT}"]
        own = [row for key, row in after.items() if key[0] == "meeting" and row["logged_by"] == token]
        assert [row["topics"] for row in own] == [""]  # what they wrote in the shared pair is gone
        names = [row["result"].get("names", {}) for key, row in after.items() if key[0] == "match_round"]
        assert all(leaver.name not in n.values() for n in names)
        gone.append(leaver.user_id)
    # everyone else is still in the program, with their statuses and words intact
    with app.sessions() as session:
        left = session.exec(select(Participant)).all()
    assert {p.user_id for p in left} == {s.user_id for _, s in pairs}
    assert {p.status for p in left} == {"active"}


def test_a_do_not_pair_entry_and_never_again_survive_a_leave_and_a_rejoin(app: RunningApp) -> None:
    app.sandbox.add_user(COORDINATOR, name="coord", real_name="Coordinator", tz="Europe/Berlin")
    join(app, ALICE, slack_name="alice")
    join(app, BOB, slack_name="bob")
    carol = replace(BOB, user_id="U0CAROL003", name="Carol")
    join(app, carol, slack_name="carol")
    # Bob keeps a confidential list naming Alice; Alice and Carol had a pair that closed
    assert "confidential" in command(app, BOB.user_id, f"avoid <@{ALICE.user_id}>")["text"]
    assert "Paired" in command(app, COORDINATOR, f"pair <@{ALICE.user_id}> <@{carol.user_id}> trial")["text"]
    leave(app, ALICE.user_id)
    with app.sessions() as session:
        entry = session.exec(select(DoNotPair)).one()
    assert entry.other_user_id != ALICE.user_id and privacy.is_pseudonym(entry.other_user_id)  # no raw id kept
    join(app, ALICE, slack_name="alice")  # back again, a new participant
    started = time.time()
    app.driver.slash_command(COORDINATOR, "match")
    text = json.dumps(_preview(app, after=started), ensure_ascii=False)
    assert "*0 pairs*" in text  # neither Bob (her list) nor Carol (paired before) is offered to her
    answer = command(app, COORDINATOR, f"pair <@{ALICE.user_id}> <@{BOB.user_id}>")["text"]
    assert "asked not to be paired" in answer
    answer = command(app, COORDINATOR, f"pair <@{ALICE.user_id}> <@{carol.user_id}>")["text"]
    assert "paired before" in answer or "were paired" in answer, answer


def test_leave_erases_whatever_a_non_participant_has(app: RunningApp) -> None:
    join(app, BOB, slack_name="bob")
    stranger = "U0STRANGE1"
    app.sandbox.add_user(stranger, name="stranger", real_name="Stranger", tz="UTC")
    nothing = command(app, stranger, "leave")
    assert "nothing to delete" in nothing["text"]
    command(app, stranger, f"avoid <@{BOB.user_id}>")
    command(app, stranger, "suggestions off")
    with app.sessions() as session:
        assert session.exec(select(DoNotPair).where(DoNotPair.user_id == stranger)).all()
    done = leave(app, stranger)
    assert "data is deleted" in done["text"]
    with app.sessions() as session:
        assert session.exec(select(DoNotPair).where(DoNotPair.user_id == stranger)).all() == []
        assert session.exec(select(NetworkingPref).where(NetworkingPref.user_id == stranger)).all() == []
    before = time.time()
    assert app.driver.slash_command(stranger, "my-data").status == 200
    app.sandbox.wait_for("files.completeUploadExternal", after=before)
    assert json.loads(app.sandbox.uploaded_files[-1].content)["tables"] == {}


def test_intros_of_a_leaver_are_withdrawn_and_a_late_accept_gets_a_clear_answer(app: RunningApp) -> None:
    join(app, ALICE, slack_name="alice")
    carol = replace(BOB, user_id="U0CAROL003", name="Carol")
    dan = replace(BOB, user_id="U0DAN00004", name="Dan")
    join(app, carol, slack_name="carol")
    join(app, dan, slack_name="dan")
    assert "privately" in command(app, ALICE.user_id, f"intro <@{carol.user_id}> design")["text"]
    assert "privately" in command(app, dan.user_id, f"intro <@{ALICE.user_id}> hello")["text"]
    ask = simulate.wait(lambda: simulate.find_button(app.sandbox.messages_to(carol.user_id), ids.INTRO_ACCEPT))
    leave(app, ALICE.user_id)
    with app.sessions() as session:
        intros = session.exec(select(Introduction).order_by(Introduction.id)).all()
    assert [i.status for i in intros] == [IntroStatus.WITHDRAWN, IntroStatus.WITHDRAWN]
    # Carol's ask lost its buttons; an old click still answers clearly, and nothing is opened
    assert simulate.wait(lambda: simulate.find_button(app.sandbox.messages_to(carol.user_id), ids.INTRO_ACCEPT) is None)
    before = time.time()
    response = app.driver.block_action(carol.user_id, ids.INTRO_ACCEPT, message=ask)
    assert response.status == 200
    told = app.sandbox.wait_for("response_url", lambda c: "withdrawn" in json.dumps(c.args), after=before)
    assert "left the program" in json.dumps(told.args)
    assert not [c for c in app.sandbox.calls_for("conversations.open") if str(c.args.get("users")).count(",") >= 1]
    with app.sessions() as session:
        assert {i.status for i in session.exec(select(Introduction)).all()} == {IntroStatus.WITHDRAWN}
    # Dan, who had asked Alice, hears only "not available" when his window closes
    later = app.services.now() + INTRO_TTL + timedelta(minutes=1)
    assert Dispatcher(app.services).run_until_idle(later).sent == 1
    texts = [m["text"] for m in app.sandbox.messages_to(dan.user_id)]
    assert any("not available right now" in t and ALICE.user_id not in t for t in texts), texts


def test_mentee_choice_requests_of_a_leaver_are_withdrawn_and_never_become_a_pair(app: RunningApp) -> None:
    clock = _choice_cohort(app)
    _start(app)
    request_id = _pick(app, ALICE.user_id, BOB.user_id)
    to_bob = _request_to(app, BOB.user_id, request_id)
    leave(app, ALICE.user_id)
    with app.sessions() as session:
        assert session.exec(select(MatchRequest).where(MatchRequest.mentee_user_id == ALICE.user_id)).all() == []
    response = app.driver.block_action(
        BOB.user_id, ids.CHOICE_ACCEPT, value=request_id, message=to_bob, channel_id=to_bob["channel"]
    )
    assert response.status == 200
    app.sandbox.wait_for(
        "chat.postMessage",
        lambda c: c.args.get("channel") == BOB.user_id and "That request no longer exists" in c.args.get("text", ""),
    )
    Dispatcher(app.services).run_until_idle(clock.advance(timedelta(days=5)))
    with app.sessions() as session:
        assert session.exec(select(Pair)).all() == []
