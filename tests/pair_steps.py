"""Steps for pair-control scenario tests: people sign up through the real modal, coordinators pair them with
``/mentor pair``, open ``/mentor pairs`` and act from the card, all as signed Slack requests to the running app,
with a simulated clock and the outbox dispatcher."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import select

from bot import ids
from bot.clock import SimulatedClock
from bot.dispatch import Dispatcher
from bot.profiles import Profile
from bot.sandbox import driver as slack
from storage.models import AuditLog, Pair, ScheduledPrompt
from storage.vocab import PromptStatus
from tests.conftest import COORDINATOR, RunningApp
from tests.helpers import ALICE, BOB, sign_up

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # a Monday
SECOND_COORDINATOR = "U0COORD002"
STRANGER = "U0STRANGER1"

# Alice and Eve want a mentor; Bob, Carol and Dan mentor. Everyone shares English and Tue/Thu afternoons (Berlin)
# with Bob's mornings (New York), so every mentor fits every mentee unless a test says otherwise.
MENTEE = ALICE
MENTOR = replace(BOB, capacity=1)
CAROL = replace(BOB, user_id="U0CAROL003", name="Carol Mentor", capacity=1, skills_offered=("python",))
DAN = replace(BOB, user_id="U0DAN00004", name="Dan Mentor", capacity=2, skills_offered=("people management",))
EVE = replace(ALICE, user_id="U0EVE00005", name="Eve Mentee", skills_wanted=("python",))


def eventually(check: Callable[[], Any], timeout: float = 8.0) -> Any:
    """Poll until ``check`` returns something truthy (listener work continues after the ack)."""
    deadline = time.time() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.time() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.03)


@dataclass
class World:
    app: RunningApp
    clock: SimulatedClock
    dispatcher: Dispatcher

    @property
    def box(self):  # type: ignore[no-untyped-def]
        return self.app.sandbox

    @property
    def driver(self) -> slack.SlackDriver:
        return self.app.driver

    def pair(self, pair_id: int) -> Pair:
        with self.app.sessions() as session:
            pair = session.get(Pair, pair_id)
            assert pair is not None
            return pair

    def pairs(self) -> list[Pair]:
        with self.app.sessions() as session:
            return list(session.exec(select(Pair).order_by(Pair.id)).all())

    def audit(self) -> list[AuditLog]:
        with self.app.sessions() as session:
            return list(session.exec(select(AuditLog).order_by(AuditLog.id)).all())

    def pending(self, pair_id: int, kind: str | None = None) -> list[ScheduledPrompt]:
        with self.app.sessions() as session:
            query = select(ScheduledPrompt).where(
                ScheduledPrompt.pair_id == pair_id, ScheduledPrompt.status == PromptStatus.PENDING
            )
            if kind:
                query = query.where(ScheduledPrompt.kind == kind)
            return list(session.exec(query.order_by(ScheduledPrompt.due_at)).all())

    def run_until(self, end: datetime) -> None:
        """Move the clock to each due prompt in turn and dispatch it, up to ``end``."""
        while True:
            with self.app.sessions() as session:
                due = session.exec(
                    select(ScheduledPrompt.due_at)
                    .where(ScheduledPrompt.status == PromptStatus.PENDING, ScheduledPrompt.due_at <= end)
                    .order_by(ScheduledPrompt.due_at)
                ).first()
            if due is None:
                break
            self.clock.set(due)
            self.dispatcher.run_until_idle(self.clock())
        self.clock.set(end)

    def advance(self, days: float) -> None:
        self.run_until(self.clock() + timedelta(days=days))

    def texts_to(self, user_id: str) -> list[str]:
        return [m.get("text", "") for m in self.box.messages_to(user_id)]

    def everything_seen_by(self, user_id: str) -> str:
        """Every message, ephemeral, modal and home view a person could see, as one string."""
        seen: list[Any] = [*self.box.messages_to(user_id), *self.box.ephemerals_for(user_id)]
        for pair in self.pairs():
            if user_id in (pair.mentee_user_id, pair.mentor_user_id) and pair.channel_id:
                seen += self.box.messages_in(pair.channel_id)
        seen += self.box.views_opened(user_id)
        seen.append(self.box.home_view(user_id) or {})
        return json.dumps(seen)


def make_world(app: RunningApp, people: tuple[Profile, ...] = (MENTEE, MENTOR, CAROL, DAN, EVE)) -> World:
    clock = SimulatedClock(START)
    app.services.clock = clock
    for person in people:
        sign_up(app, person)
    for coordinator, name in ((COORDINATOR, "cora"), (SECOND_COORDINATOR, "cody")):
        app.sandbox.add_user(coordinator, name=name, real_name=name.title(), tz="Europe/London")
    app.sandbox.add_user(STRANGER, name="stranger", real_name="Stranger", tz="Europe/London")
    return World(app=app, clock=clock, dispatcher=Dispatcher(app.services, owner="test"))


def pair_by_hand(w: World, mentee: str, mentor: str, reason: str = "") -> int:
    """``/mentor pair @mentee @mentor``: the pair is made and its journey starts (kickoff sent)."""
    before = {p.id for p in w.pairs()}
    answer = w.driver.slash_command(COORDINATOR, f"pair <@{mentee}> <@{mentor}> {reason}".strip()).json()
    assert "Paired" in answer["text"], answer
    pair = eventually(lambda: [p for p in w.pairs() if p.id not in before and p.channel_id])[0]
    eventually(lambda: any("Meet your mentorship partner" in m["text"] for m in w.box.messages_in(pair.channel_id)))
    return int(pair.id)


def open_list(w: World, args: str = "", user: str = COORDINATOR) -> dict[str, Any]:
    before = len(w.box.views_opened(user))
    response = w.driver.slash_command(user, f"pairs {args}".strip())
    assert response.status == 200
    if response.body.strip():
        return response.json()
    return eventually(lambda: w.box.views_opened(user)[before:])[-1]


def click_in_view(w: World, user: str, view: dict[str, Any], action_id: str, value: str | None = None) -> dict | None:
    """Click a button in a modal; the modal it pushed (or opened), if any."""
    before = len(w.box.views_opened(user))
    response = w.driver.block_action(user, action_id, view=view, value=value)
    assert response.status == 200
    try:
        return eventually(lambda: w.box.views_opened(user)[before:], timeout=3)[-1]
    except AssertionError:
        return None


def open_card(w: World, pair_id: int, user: str = COORDINATOR) -> dict[str, Any]:
    listing = open_list(w, "all", user)
    card = click_in_view(w, user, listing, ids.PAIRS_OPEN, value=str(pair_id))
    assert card is not None and card["callback_id"] == ids.PAIR_CARD_VIEW
    return card


def open_action(w: World, card: dict[str, Any], action_id: str, user: str = COORDINATOR) -> dict[str, Any]:
    modal = click_in_view(w, user, card, action_id)
    assert modal is not None
    return modal


def submit(w: World, user: str, view: dict[str, Any], states: dict[str, dict[str, Any]] | None = None) -> Any:
    """Submit a modal with ``{block_id: element state}``; the app's answer (None for an empty ack)."""
    values = slack.values_for(view, {})
    for block_id, state in (states or {}).items():
        values[block_id] = {ids.INPUT: state}
    response = w.driver.view_submission(user, view, values)
    assert response.status == 200, response.body
    return response.json()


def radio(value: str) -> dict[str, Any]:
    return slack.radio_value(value)


def text(value: str | None) -> dict[str, Any]:
    return slack.text_value(value)


def initial_values(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The state Slack sends for a modal nobody touched: each input's initial value, by block id."""
    out: dict[str, dict[str, Any]] = {}
    for block in view.get("blocks") or []:
        if block.get("type") != "input":
            continue
        element = dict(block.get("element") or {})
        kind = element.get("type")
        state: dict[str, Any] = {"type": kind}
        if kind in ("plain_text_input", "number_input"):
            state["value"] = element.get("initial_value")
        elif kind in ("static_select", "radio_buttons"):
            state["selected_option"] = element.get("initial_option")
        elif kind in ("checkboxes", "multi_static_select"):
            state["selected_options"] = element.get("initial_options") or []
        elif kind == "datepicker":
            state["selected_date"] = element.get("initial_date")
        elif kind == "conversations_select":
            state["selected_conversation"] = element.get("initial_conversation")
        elif kind == "users_select":
            state["selected_user"] = element.get("initial_user")
        out[block["block_id"]] = state
    return out


def set_cohort(w: World, *, pair_options: tuple[str, ...] = (), close_inactive_weeks: int | None = None) -> None:
    """The coordinator edits the current cohort with ``/mentor program``: only the pair settings change."""
    from bot.cohorts import DEFAULT_COHORT_NAME

    before = len(w.box.views_opened(COORDINATOR))
    w.driver.slash_command(COORDINATOR, f"program {DEFAULT_COHORT_NAME}")
    view = eventually(lambda: w.box.views_opened(COORDINATOR)[before:])[-1]
    states = initial_values(view)
    states[ids.PROGRAM_PAIR_OPTIONS] = slack.checkboxes_value(pair_options)
    states[ids.PROGRAM_CLOSE_INACTIVE] = slack.number_value(close_inactive_weeks)
    answer = submit(w, COORDINATOR, view, states)
    assert answer is None, answer
    eventually(lambda: any("Cohort *" in t for t in w.texts_to(COORDINATOR)))


def log_first_meeting(w: World, pair_id: int, user: str) -> None:
    """Someone logs the pair's first meeting; the private fit checks go out."""
    from bot.lifecycle import simulate as sim

    channel = w.pair(pair_id).channel_id
    assert sim.log_meeting(w.driver, w.box, user, channel, w.clock().date(), topics="getting started")
    eventually(lambda: w.pending(pair_id, "pair.fit_check") or None)
    w.dispatcher.run_until_idle(w.clock())
