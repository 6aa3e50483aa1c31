"""People to meet rotate: each month's nudge names new people while new people fit, never someone the mentee was
already introduced to, and repeats only once nobody new is left (all through the real app and its outbox)."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

from bot import ids
from bot.networking import plan_people_to_meet
from bot.profiles import Role
from storage.models import Introduction
from storage.vocab import IntroStatus
from tests.conftest import COORDINATOR, RunningApp
from tests.flows import eventually, freeze, message_with, pair_by_hand, run_until
from tests.helpers import ALICE, BOB, sign_up

MENTORS = [
    replace(BOB, user_id=f"U0MENTOR0{n}", name=f"Mentor{n} Person", department=dept, capacity=1)
    for n, dept in enumerate(("sales", "design", "data", "finance", "people", "product", "legal", "marketing"), start=1)
]


def _nudges(app: RunningApp) -> list[list[str]]:
    """Who each monthly nudge to Alice suggested (ground truth: what she read), oldest first."""
    out = []
    for message in app.sandbox.messages_to(ALICE.user_id):
        if ids.INTRO_ASK in str(message.get("blocks")) and "worth meeting" in message["text"]:
            out.append(re.findall(r"\*<@(U[A-Z0-9]+)>\*", str(message["blocks"])))
    return out


def test_monthly_suggestions_rotate_skip_introductions_and_repeat_only_when_nobody_new_fits(app: RunningApp) -> None:
    freeze(app)
    app.sandbox.add_user(COORDINATOR, name="cora", real_name="Cora Coordinator", tz="Europe/London")
    for person in (ALICE, BOB, *MENTORS):
        sign_up(app, person)
    pair_by_hand(app, ALICE.user_id, BOB.user_id)  # publication schedules this month's nudge
    first = eventually(lambda: _nudges(app))[0]
    assert len(first) == 3 and BOB.user_id not in first

    # Alice asks for an introduction to someone she has not been suggested yet
    fresh = [m.user_id for m in MENTORS if m.user_id not in first]
    asked = fresh[0]
    assert app.driver.slash_command(ALICE.user_id, f"intro <@{asked}> python").status == 200
    ask = eventually(lambda: message_with(app, asked, ids.INTRO_ACCEPT))
    assert app.driver.block_action(asked, ids.INTRO_ACCEPT, message=ask).status == 200  # they meet
    eventually(lambda: [i for i in _rows(app, Introduction) if i.status == IntroStatus.ACCEPTED])

    run_until(app, app.services.now() + timedelta(days=31))
    second = _nudges(app)[1]
    assert len(second) == 3
    assert not set(second) & set(first), "a new month names new people while new people fit"
    assert asked not in second, "never someone already introduced"

    run_until(app, app.services.now() + timedelta(days=31))
    third = _nudges(app)[2]
    left = set(fresh) - {asked} - set(second)  # the one mentor nobody suggested yet
    assert left and left <= set(third), "the last new person comes first"
    assert asked not in third
    repeats = set(third) - left
    assert repeats <= set(first) | set(second) and len(third) == 3  # then earlier ones, as nobody new is left


def _rows(app: RunningApp, model: type) -> list[object]:
    from sqlmodel import select

    with app.sessions() as session:
        return list(session.exec(select(model)).all())


def test_rotation_is_vectorised_and_keeps_repeats_behind_fresh_people() -> None:
    mentee = replace(ALICE, role=Role.MENTEE)
    mentors = [replace(m, role=Role.MENTOR) for m in MENTORS]
    plan = plan_people_to_meet([mentee, *mentors], seed=1)
    first = {s.user_id for s in plan[mentee.user_id]}
    seen = {mentee.user_id: first}
    second = plan_people_to_meet([mentee, *mentors], seen=seen, seed=2)[mentee.user_id]
    assert not first & {s.user_id for s in second}
    everyone = {m.user_id for m in mentors}
    third = plan_people_to_meet([mentee, *mentors], seen={mentee.user_id: everyone - {mentors[0].user_id}})
    ranked = [s.user_id for s in third[mentee.user_id]]
    assert ranked[0] == mentors[0].user_id and len(ranked) == 3  # the fresh one first, then repeats
    introduced = [(mentee.user_id, m.user_id) for m in mentors[:7]]
    only = plan_people_to_meet([mentee, *mentors], introduced=introduced)[mentee.user_id]
    assert [s.user_id for s in only] == [mentors[7].user_id]
