"""The coordinator's matching flow in Slack: preview, pin, forbid, re-run, publish; manual pairs; refusals."""

from __future__ import annotations

import json
import time
from dataclasses import replace

from sqlmodel import select

from bot import ids
from bot.profiles import Profile, Role
from storage.models import CohortPairRule, DoNotPair, MatchRound, Pair, Participant
from storage.vocab import PairSource, RoundStatus
from tests.conftest import COORDINATOR, RunningApp
from tests.helpers import ALICE, BOB, sign_up
from tests.round_steps import preview_at_revision, show_tab

CAROL = replace(
    BOB,
    user_id="U0CAROL003",
    name="Carol Mentor",
    skills_offered=("machine learning", "analytics"),
    capacity=1,
    timezone="Europe/London",
    seniority="principal",
)
DAN = replace(
    ALICE,
    user_id="U0DAN00004",
    name="Dan Mentee",
    skills_wanted=("machine learning",),
    timezone="Europe/Paris",
    career_goals=(),
)
ERIN = Profile(
    user_id="U0ERIN0005",
    role=Role.MENTEE,
    name="Erin Mentee",
    skills_wanted=("python",),
    department="sales",
    industry="retail",
    seniority="junior",
    timezone="Asia/Tokyo",
    days=("sat",),
    time_slots=("early",),
    languages=("japanese",),
)


def _signup_cohort(app: RunningApp) -> None:
    app.sandbox.add_user(COORDINATOR, name="coord", real_name="Coordinator", tz="Europe/Berlin")
    for person in (ALICE, BOB, CAROL, DAN, ERIN):
        sign_up(app, person)


def _preview(app: RunningApp, *, after: float) -> dict:
    """The modal once it shows the preview (views.update after the background run)."""
    call = app.sandbox.wait_for(
        "views.update",
        lambda c: (
            "Match preview · " in json.dumps(c.args.get("view"), ensure_ascii=False)
            and "revision" in json.dumps(c.args.get("view"), ensure_ascii=False)
        ),
        after=after,
        timeout=20,
    )
    return app.sandbox.view(call.args["view_id"])


def _round(app: RunningApp) -> MatchRound:
    with app.sessions() as session:
        return session.exec(select(MatchRound).order_by(MatchRound.id.desc())).first()


def test_match_previews_with_reasons_then_publishes_once(app: RunningApp) -> None:
    _signup_cohort(app)
    started = time.time()
    response = app.driver.slash_command(COORDINATOR, "match")
    assert response.status == 200 and response.elapsed < 3
    view = _preview(app, after=started)
    text = json.dumps(view, ensure_ascii=False)
    assert "*2 pairs*" in text and "*1 unmatched*" in text
    assert f"<@{ALICE.user_id}> → <@{BOB.user_id}>" in text
    assert f"<@{DAN.user_id}> → <@{CAROL.user_id}>" in text
    assert "python" in text  # a reason shown with the pair
    view = show_tab(app, view, "unmatched")
    assert f"<@{ERIN.user_id}>: no mentor speaks a language <@{ERIN.user_id}> listed" in json.dumps(
        view, ensure_ascii=False
    )
    # the coordinator also gets the preview in their DM
    app.sandbox.wait_for(
        "chat.postMessage",
        lambda c: c.args.get("channel") == COORDINATOR and "ready: 2 pairs" in c.args.get("text", ""),
    )

    first = app.driver.view_submission(COORDINATOR, view, {})
    second = app.driver.view_submission(COORDINATOR, view, {})  # double click
    assert first.json()["response_action"] == "update"
    assert "already published" in json.dumps(second.json())
    with app.sessions() as session:
        pairs = session.exec(select(Pair)).all()
        erin = session.exec(select(Participant).where(Participant.user_id == ERIN.user_id)).one()
    assert sorted((p.mentee_user_id, p.mentor_user_id) for p in pairs) == sorted(
        [(ALICE.user_id, BOB.user_id), (DAN.user_id, CAROL.user_id)]
    )
    assert all(p.reasons for p in pairs)
    assert erin.priority and "language" in erin.unmatched_reason
    told = app.sandbox.wait_for(
        "chat.postMessage",
        lambda c: c.args.get("channel") == ERIN.user_id and "first in line" in c.args.get("text", ""),
    )
    assert "no mentor speaks a language you listed" in told.args["text"]
    # advice that fits the reason: languages, not hours
    assert "another language" in told.args["text"] and "times" not in told.args["text"]


def test_forbid_and_rerun_shows_what_changed(app: RunningApp) -> None:
    _signup_cohort(app)
    started = time.time()
    app.driver.slash_command(COORDINATOR, "match")
    view = _preview(app, after=started)
    forbid = json.dumps(["forbid", ALICE.user_id, BOB.user_id], separators=(",", ":"))
    before = time.time()
    response = app.driver.block_action(
        COORDINATOR,
        ids.MATCH_RULE,
        view=view,
        action_type="overflow",
        selected_option={"text": {"type": "plain_text", "text": "Forbid"}, "value": forbid},
    )
    assert response.status == 200
    # the forbid is the cohort's, and the preview is planned again with it at once
    replanned = preview_at_revision(app, view["id"], 2, after=before)
    assert _round(app).forbidden == [[ALICE.user_id, BOB.user_id]]
    text = json.dumps(replanned, ensure_ascii=False)
    assert "What changed since the last run" in text
    assert f"<@{ALICE.user_id}> → <@{BOB.user_id}>" not in text.split("Pairs, weakest first")[-1]
    before = time.time()
    app.driver.block_action(COORDINATOR, ids.MATCH_RERUN, view=replanned)
    rerun = preview_at_revision(app, view["id"], 3, after=before)
    assert "revision 3" in json.dumps(rerun, ensure_ascii=False)


def test_non_coordinator_match_and_forged_publish_are_refused(app: RunningApp) -> None:
    _signup_cohort(app)
    modals_before = len(app.sandbox.calls_for("views.open"))
    refused = app.driver.slash_command(ALICE.user_id, "match")
    assert "only the program's coordinators" in refused.json()["text"]
    time.sleep(0.3)
    assert _round(app) is None
    assert len(app.sandbox.calls_for("views.open")) == modals_before
    # a coordinator's real preview; then a forged publish click by a non-coordinator
    started = time.time()
    app.driver.slash_command(COORDINATOR, "match")
    view = _preview(app, after=started)
    forged = app.driver.view_submission(ALICE.user_id, view, {})
    assert "only the program's coordinators" in json.dumps(forged.json())
    forged_rule = app.driver.block_action(
        ALICE.user_id,
        ids.MATCH_RULE,
        view=view,
        action_type="overflow",
        selected_option={
            "text": {"type": "plain_text", "text": "Pin"},
            "value": json.dumps(["pin", ERIN.user_id, BOB.user_id]),
        },
    )
    assert forged_rule.status == 200
    time.sleep(0.3)
    with app.sessions() as session:
        assert session.exec(select(Pair)).all() == []
        assert session.exec(select(CohortPairRule)).all() == []
    assert _round(app).status == RoundStatus.PREVIEW and _round(app).pinned == []


def test_manual_pair_needs_a_reason_when_it_breaks_a_rule(app: RunningApp) -> None:
    _signup_cohort(app)
    answer = app.driver.slash_command(COORDINATOR, f"pair <@{ERIN.user_id}|erin> <@{BOB.user_id}|bob>").json()
    assert "they share no language" in answer["text"] and "give a reason" in answer["text"]
    with app.sessions() as session:
        assert session.exec(select(Pair)).all() == []
    answer = app.driver.slash_command(
        COORDINATOR, f"pair <@{ERIN.user_id}|erin> <@{BOB.user_id}|bob> because Bob is learning Japanese"
    ).json()
    assert "Paired" in answer["text"]
    with app.sessions() as session:
        pair = session.exec(select(Pair)).one()
    assert pair.source == PairSource.MANUAL and pair.manual_reason == "because Bob is learning Japanese"
    # a good pair needs no reason
    answer = app.driver.slash_command(COORDINATOR, f"pair <@{DAN.user_id}> <@{CAROL.user_id}>").json()
    assert "Paired" in answer["text"]
    # and a mentee who already has a mentor cannot get a second one
    answer = app.driver.slash_command(COORDINATOR, f"pair <@{DAN.user_id}> <@{BOB.user_id}>").json()
    assert "already has a mentor" in answer["text"]


def test_non_coordinator_manual_pair_is_refused(app: RunningApp) -> None:
    _signup_cohort(app)
    answer = app.driver.slash_command(BOB.user_id, f"pair <@{ALICE.user_id}> <@{BOB.user_id}>").json()
    assert "only the program's coordinators" in answer["text"]
    with app.sessions() as session:
        assert session.exec(select(Pair)).all() == []


def test_a_confidential_do_not_pair_entry_keeps_two_people_apart_and_tells_nobody(app: RunningApp) -> None:
    app.sandbox.add_user(COORDINATOR, name="coord", real_name="Coordinator", tz="Europe/Berlin")
    for person in (ALICE, BOB):
        sign_up(app, person)
    help_text = app.driver.slash_command(ALICE.user_id, "help").json()["text"]
    assert "/mentor avoid" in help_text
    assert "Usage" in app.driver.slash_command(ALICE.user_id, "avoid").json()["text"]
    answer = app.driver.slash_command(ALICE.user_id, f"avoid <@{BOB.user_id}|bob>").json()
    assert answer["response_type"] == "ephemeral" and "confidential" in answer["text"]
    app.driver.slash_command(ALICE.user_id, f"avoid <@{BOB.user_id}>")  # twice: still one entry
    with app.sessions() as session:
        assert [(d.user_id, d.other_user_id) for d in session.exec(select(DoNotPair)).all()] == [
            (ALICE.user_id, BOB.user_id)
        ]
    assert "avoid" not in json.dumps(app.sandbox.messages_to(BOB.user_id))  # Bob is never told
    started = time.time()
    app.driver.slash_command(COORDINATOR, "match")
    view = _preview(app, after=started)
    assert "*0 pairs*" in json.dumps(view, ensure_ascii=False)
    assert "do-not-pair" in json.dumps(show_tab(app, view, "unmatched"), ensure_ascii=False)
    # taken back: the next round pairs them
    assert "again" in app.driver.slash_command(ALICE.user_id, f"avoid remove <@{BOB.user_id}>").json()["text"]
    started = time.time()
    app.driver.slash_command(COORDINATOR, "match")
    text = json.dumps(_preview(app, after=started), ensure_ascii=False)
    assert f"<@{ALICE.user_id}> → <@{BOB.user_id}>" in text


def test_manual_pair_lists_every_broken_rule_including_the_mentors_confidential_list(app: RunningApp) -> None:
    from storage.models import Profile as ProfileRow

    _signup_cohort(app)
    with app.sessions() as session:  # an HR import made Bob Erin's manager
        erin = session.exec(select(Participant).where(Participant.user_id == ERIN.user_id)).one()
        row = session.get(ProfileRow, erin.id)
        row.manager_id = BOB.user_id
        session.add(row)
        session.commit()
    answer = app.driver.slash_command(COORDINATOR, f"pair <@{ERIN.user_id}> <@{BOB.user_id}>").json()["text"]
    assert "one of them is the other's manager" in answer and "they share no language" in answer
    # the mentor's own do-not-pair list counts too (the mentee's was already read)
    app.driver.slash_command(CAROL.user_id, f"avoid <@{DAN.user_id}>")
    answer = app.driver.slash_command(COORDINATOR, f"pair <@{DAN.user_id}> <@{CAROL.user_id}>").json()["text"]
    assert "asked not to be paired" in answer
