"""People to meet (graph, exclusions, load spreading), the opt-out, alumni, and the monthly nudge."""

from __future__ import annotations

import json
import math
import random
import time
from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlmodel import select

from bot import ids, networking
from bot.dispatch import Dispatcher
from bot.profiles import Profile, Role, Status
from bot.sandbox.people import generate_people
from bot.taxonomy import default_taxonomy
from storage import knowledge as store
from storage.models import Participant, ScheduledPrompt
from storage.vocab import PairStatus, ParticipantStatus
from tests.conftest import TEAM_ID, RunningApp
from tests.helpers import ALICE, BOB
from tests.test_knowledge_support import (
    CAROL,
    DAN,
    ERIN,
    FRED,
    alice_and_bob,
    buttons,
    command,
    seed_pair,
    seed_person,
    validate_blocks,
)


def _check_invariants(
    people: list[Profile], plan: dict, pairings: list[tuple[str, str]], opted: set[str], per: int = 3
) -> None:
    by_id = {p.user_id: p for p in people}
    paired = {(a, b) for a, b in pairings} | {(b, a) for a, b in pairings}
    for mentee, suggestions in plan.items():
        me = by_id[mentee]
        ids_ = [s.user_id for s in suggestions]
        assert len(ids_) == len(set(ids_)) <= per
        for s in suggestions:
            other = by_id[s.user_id]
            assert s.user_id != mentee
            assert (mentee, s.user_id) not in paired, "never their own (past) mentor"
            assert s.user_id not in opted, "never someone who opted out"
            assert s.user_id != me.manager_id and other.manager_id != mentee, "never their manager or report"
            assert other.status == Status.ACTIVE and s.shared_skills


def test_two_thousand_people_load_is_spread_and_exclusions_hold() -> None:
    people = generate_people(2000, seed=11)
    rng = random.Random(3)
    mentors = [p for p in people if p.is_mentor]
    mentees = [p for p in people if p.is_mentee]
    # every mentee has a mentor; give the managers of some mentees a reason to be top picks (same skills)
    pairings = [(m.user_id, rng.choice(mentors).user_id) for m in mentees]
    opted = {p.user_id for p in rng.sample(mentors, len(mentors) // 10)}
    alumni = {p.user_id for p in rng.sample(mentees, 50)}
    share = 0.01
    started = time.perf_counter()
    plan = networking.plan_people_to_meet(people, pairings=pairings, alumni=alumni, opted_out=opted, share=share)
    elapsed = time.perf_counter() - started
    _check_invariants(people, plan, pairings, opted)
    load = networking.suggestion_load(plan)
    cap = max(networking.MIN_CAP, math.ceil(share * len(plan)))
    assert max(load.values()) <= cap, (max(load.values()), cap)
    full = sum(1 for v in plan.values() if len(v) == 3)
    assert full >= 0.9 * len(plan), f"{full}/{len(plan)} mentees got 3 suggestions"
    assert len(load) > 0.5 * len(set(p.user_id for p in mentors) - opted)  # many different people are suggested
    outside = sum(
        1
        for m, v in plan.items()
        for s in v
        if {p.user_id: p for p in people}[s.user_id].department != {p.user_id: p for p in people}[m].department
    )
    assert outside > 0.6 * sum(len(v) for v in plan.values())  # other departments are preferred
    assert any(s.user_id in alumni for v in plan.values() for s in v)
    assert elapsed < 10


def test_the_manager_is_never_suggested_even_as_the_best_match() -> None:
    taxonomy = default_taxonomy()
    mentee = Profile(
        user_id="U0MENTEE01", role=Role.MENTEE, skills_wanted=("python",), department="eng", manager_id="U0MANAGER1"
    )
    manager = Profile(user_id="U0MANAGER1", role=Role.MENTOR, skills_offered=("python",), department="data")
    report = Profile(
        user_id="U0REPORT01", role=Role.MENTOR, skills_offered=("python",), department="data", manager_id="U0MENTEE01"
    )
    mentor = Profile(user_id="U0MENTOR01", role=Role.MENTOR, skills_offered=("python",), department="data")
    other = Profile(user_id="U0OTHER001", role=Role.MENTOR, skills_offered=("python",), department="eng")
    plan = networking.plan_people_to_meet(
        [mentee, manager, report, mentor, other], pairings=[("U0MENTEE01", "U0MENTOR01")], taxonomy=taxonomy
    )
    assert [s.user_id for s in plan["U0MENTEE01"]] == ["U0OTHER001"]


_ids = [f"U0P{n:07d}" for n in range(14)]


@st.composite
def workspaces(draw):  # type: ignore[no-untyped-def]
    skills = default_taxonomy().skills[:6]
    people = []
    for uid in _ids:
        role = draw(st.sampled_from(list(Role)))
        people.append(
            Profile(
                user_id=uid,
                role=role,
                skills_offered=tuple(draw(st.lists(st.sampled_from(skills), max_size=3, unique=True))),
                skills_wanted=tuple(draw(st.lists(st.sampled_from(skills), max_size=3, unique=True))),
                department=draw(st.sampled_from(("a", "b"))),
                manager_id=draw(st.none() | st.sampled_from(_ids)),
                status=draw(st.sampled_from((Status.ACTIVE, Status.ACTIVE, Status.PAUSED))),
            )
        )
    pairings = draw(st.lists(st.tuples(st.sampled_from(_ids), st.sampled_from(_ids)), max_size=8))
    opted = set(draw(st.lists(st.sampled_from(_ids), max_size=4)))
    alumni = set(draw(st.lists(st.sampled_from(_ids), max_size=4)))
    return people, pairings, opted, alumni


@settings(max_examples=60, deadline=None)
@given(workspaces(), st.floats(0.0, 0.5))
def test_invariants_hold_on_any_workspace(workspace, share: float) -> None:  # type: ignore[no-untyped-def]
    people, pairings, opted, alumni = workspace
    plan = networking.plan_people_to_meet(
        people, pairings=pairings, opted_out=opted, alumni=alumni, share=share, min_cap=1
    )
    _check_invariants(people, plan, pairings, opted)
    cap = max(1, math.ceil(share * len(plan)))
    assert all(n <= cap for n in networking.suggestion_load(plan).values())
    assert set(plan) == {p.user_id for p in people if p.is_mentee and p.status == Status.ACTIVE}


# ------------------------------------------------------------------ through Slack


def _home(app: RunningApp, user_id: str) -> dict:
    before = time.time()
    app.driver.app_home_opened(user_id)
    app.sandbox.wait_for("views.publish", lambda c: c.args.get("user_id") == user_id, after=before)
    return app.sandbox.home_view(user_id)


def _suggested(home: dict) -> list[str]:
    return [b["value"] for b in buttons(home["blocks"]) if b["action_id"] == ids.INTRO_ASK]


def test_home_shows_people_to_meet_without_mentor_manager_or_opted_out(app: RunningApp) -> None:
    seed_person(app, replace(ALICE, manager_id=DAN.user_id))
    seed_person(app, BOB)
    seed_pair(app, ALICE, BOB)
    for person in (
        CAROL,
        replace(DAN, skills_offered=("python", "system design")),
        ERIN,
        replace(FRED, skills_offered=("python",)),
    ):
        seed_person(app, person)
    assert _suggested(_home(app, ALICE.user_id)) == []  # the first open queues one workspace-wide computation
    Dispatcher(app.services).run_until_idle(app.services.now())
    home = _home(app, ALICE.user_id)
    validate_blocks([b for b in home["blocks"] if b.get("type") != "header"])
    assert "People to meet" in json.dumps(home)
    suggested = _suggested(home)
    assert set(suggested) == {CAROL.user_id, FRED.user_id}  # not Bob (mentor), not Dan (manager), not Erin (no overlap)

    # Fred opts out: he disappears at once, even before a recomputation
    assert "won't be suggested" in command(app, FRED.user_id, "suggestions off")["text"]
    assert _suggested(_home(app, ALICE.user_id)) == [CAROL.user_id]
    with app.sessions() as session:
        networking.refresh_people_to_meet(session=session, team_id=TEAM_ID, now=app.services.now())
    assert _suggested(_home(app, ALICE.user_id)) == [CAROL.user_id]

    # "Ask for an intro" goes through the warm intro: Carol is asked privately, nothing is opened yet
    home = app.sandbox.home_view(ALICE.user_id)
    app.driver.block_action(ALICE.user_id, ids.INTRO_ASK, view=home, value=CAROL.user_id)
    app.driver.block_action(ALICE.user_id, ids.INTRO_ASK, view=home, value=CAROL.user_id)  # double click
    ask = app.sandbox.wait_for("chat.postMessage", lambda c: c.args.get("channel") == CAROL.user_id)
    assert "Suggested by the program" in str(ask.args["blocks"])
    app.sandbox.wait_for(
        "chat.postMessage",
        lambda c: c.args.get("channel") == ALICE.user_id and "already asked" in c.args.get("text", ""),
    )
    assert len([c for c in app.sandbox.calls_for("chat.postMessage") if c.args.get("channel") == CAROL.user_id]) == 1


def test_home_toggle_opts_out_and_back_in(app: RunningApp) -> None:
    seed_person(app, CAROL)
    home = _home(app, CAROL.user_id)
    app.driver.block_action(CAROL.user_id, ids.SUGGESTIONS_OFF, view=home)
    app.sandbox.wait_for("views.publish", lambda c: ids.SUGGESTIONS_ON in json.dumps(c.args.get("view")))
    with app.sessions() as session:
        assert store.opted_out_ids(session=session, team_id=TEAM_ID) == {CAROL.user_id}
    app.driver.block_action(CAROL.user_id, ids.SUGGESTIONS_ON, view=app.sandbox.home_view(CAROL.user_id))
    app.sandbox.wait_for("views.publish", lambda c: ids.SUGGESTIONS_OFF in json.dumps(c.args.get("view")))
    with app.sessions() as session:
        assert store.opted_out_ids(session=session, team_id=TEAM_ID) == set()


def test_alumni_opt_in_at_closure_feeds_suggestions_and_the_mentor_pool(app_any_db: RunningApp) -> None:
    app = app_any_db
    seed_person(app, ALICE)
    seed_person(app, BOB)
    former = replace(
        CAROL, user_id="U0FORMER01", role=Role.MENTEE, skills_offered=(), skills_wanted=("python",), department="design"
    )
    seed_person(app, former)
    seed_pair(app, former, BOB, status=PairStatus.CLOSED)
    seed_pair(app, ALICE, BOB)
    assert "wrapped up" in command(app, ALICE.user_id, "alumni on")["text"]  # still in an open pair

    blocks = networking_alumni_blocks = __import__("bot.views.knowledge", fromlist=["x"]).alumni_invite_blocks(9)
    validate_blocks(networking_alumni_blocks)
    message = {"channel": "D0X", "ts": "1.1", "text": "wrap", "blocks": blocks}
    app.driver.block_action(former.user_id, ids.ALUMNI_JOIN_MENTOR, message=message)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not any("alumni network" in str(r.payload) for r in app.sandbox.responses):
        time.sleep(0.02)
    with app.sessions() as session:
        assert store.alumni_ids(session=session, team_id=TEAM_ID) == {former.user_id}
        participant = session.exec(select(Participant).where(Participant.user_id == former.user_id)).one()
        assert participant.role == Role.BOTH and participant.status == ParticipantStatus.ACTIVE
        plan = networking.refresh_people_to_meet(session=session, team_id=TEAM_ID, now=app.services.now())
    # the alumna grew in python, which Alice wants; Bob is Alice's mentor and never suggested
    assert [s.user_id for s in plan[ALICE.user_id]] == [former.user_id]
    assert "program alumni" in plan[ALICE.user_id][0].reason
    assert "left the alumni" in command(app, former.user_id, "alumni off")["text"]
    with app.sessions() as session:
        assert store.alumni_ids(session=session, team_id=TEAM_ID) == set()


def test_monthly_nudge_is_scheduled_once_and_renders_intro_buttons(app: RunningApp) -> None:
    from bot.outbox import prompt_kind

    alice_and_bob(app)
    seed_person(app, CAROL)
    now = app.services.now()
    with app.sessions() as session:
        assert networking.schedule_people_to_meet(session=session, team_id=TEAM_ID, now=now) == 1
        assert networking.schedule_people_to_meet(session=session, team_id=TEAM_ID, now=now) == 1
        [prompt] = session.exec(
            select(ScheduledPrompt).where(ScheduledPrompt.kind == networking.PEOPLE_TO_MEET_KIND)
        ).all()
        assert prompt.recipient_user_id == ALICE.user_id
        kind = prompt_kind(networking.PEOPLE_TO_MEET_KIND)
        assert kind is not None
        out = kind.render(app.services, session, prompt, now)
    assert out.channel == ALICE.user_id
    validate_blocks(out.blocks)
    assert [b["value"] for b in buttons(out.blocks) if b["action_id"] == ids.INTRO_ASK] == [CAROL.user_id]
