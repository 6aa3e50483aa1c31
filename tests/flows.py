"""Steps through the real app shared by the seam tests: a pair made by a coordinator, buttons, modals, and a
database that really fails (the engine refuses a chosen statement) at the moment a submission is stored."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import select

from bot import ids
from bot.sandbox import driver as slack
from storage.models import Pair
from tests.conftest import COORDINATOR, RunningApp


@dataclass
class Clock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now


def freeze(app: RunningApp, when: datetime = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)) -> Clock:
    """Give the app a clock the test moves."""
    clock = Clock(when)
    app.services.clock = clock
    return clock


def eventually(check: Callable[[], Any], timeout: float = 8.0) -> Any:
    """Poll until ``check`` returns something truthy (listener work continues after the ack)."""
    deadline = time.time() + timeout
    while True:
        try:
            result = check()
        except AssertionError:  # not there yet (e.g. ``message_with``): ask again until the deadline
            if time.time() > deadline:
                raise
            result = None
        if result:
            return result
        if time.time() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.03)


def pair_by_hand(app: RunningApp, mentee: str, mentor: str, reason: str = "") -> Pair:
    """``/mentor pair @mentee @mentor`` by the coordinator, up to the kickoff in the pair's group DM."""
    text = f"pair <@{mentee}> <@{mentor}> {reason}".strip()
    response = app.driver.slash_command(COORDINATOR, text)
    assert response.status == 200, response.body
    assert "Paired" in response.body, response.body

    def kicked_off() -> Pair | None:
        with app.sessions() as session:
            pair = session.exec(
                select(Pair).where(Pair.mentee_user_id == mentee, Pair.mentor_user_id == mentor)
            ).first()
        return pair if pair is not None and pair.channel_id else None

    pair = eventually(kicked_off)
    eventually(
        lambda: any("Meet your mentorship partner" in m["text"] for m in app.sandbox.messages_in(pair.channel_id))
    )
    return pair


def message_with(app: RunningApp, channel: str, action_id: str) -> dict[str, Any]:
    """The latest message in a channel carrying a button."""
    for message in reversed(app.sandbox.messages_in(channel)):
        if action_id in json.dumps(message.get("blocks") or []):
            return message
    raise AssertionError(f"no message with {action_id} in {channel}")


def open_modal_from(app: RunningApp, user_id: str, action_id: str, message: dict[str, Any]) -> dict[str, Any]:
    """Click a button in a message and return the modal it opened."""
    before = len(app.sandbox.views_opened(user_id))
    assert app.driver.block_action(user_id, action_id, message=message).status == 200
    return eventually(lambda: app.sandbox.views_opened(user_id)[before:])[-1]


def submit(app: RunningApp, user_id: str, view: dict[str, Any], states: dict[str, dict[str, Any]]) -> Any:
    """Submit a modal with ``{block_id: element state}``; returns the ack's JSON (None for a bare ack)."""
    values = slack.values_for(view, {})
    for block_id, state in states.items():
        values[block_id] = {ids.INPUT: state}
    response = app.driver.view_submission(user_id, view, values)
    assert response.status == 200, response.body
    assert response.elapsed < 3, f"acked after {response.elapsed:.2f} s"
    return response.json()


@contextmanager
def database_refuses(engine: Engine, pattern: str) -> Iterator[list[str]]:
    """While active, the database fails every statement matching ``pattern`` (a regex on the SQL text).

    The failure is the driver's own ``OperationalError``, wrapped as SQLAlchemy wraps it, raised as the statement
    reaches the connection, so the app sees exactly what a dropped or restarting database gives it. Yields the
    statements refused.
    """
    rx = re.compile(pattern, re.IGNORECASE | re.DOTALL)
    refused: list[str] = []

    def refuse(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if rx.search(statement):
            refused.append(statement)
            driver_error = conn.dialect.loaded_dbapi.OperationalError("server closed the connection unexpectedly")
            # wrapped as SQLAlchemy wraps a driver's error (its bulk-insert path calls this hook outside that wrap)
            raise OperationalError(statement, parameters, driver_error)

    event.listen(engine, "before_cursor_execute", refuse)
    try:
        yield refused
    finally:
        event.remove(engine, "before_cursor_execute", refuse)


def inline_error(answer: Any) -> str:
    """The inline error text of a ``response_action: errors`` ack (fails when the ack is anything else)."""
    assert isinstance(answer, dict) and answer.get("response_action") == "errors", answer
    assert answer["errors"], answer
    return " ".join(answer["errors"].values())


def run_until(app: RunningApp, end: datetime) -> None:
    """Move the app's clock to each due prompt in turn and dispatch it, up to ``end`` (months in seconds)."""
    from bot.dispatch import Dispatcher
    from storage.models import ScheduledPrompt

    clock = app.services.clock
    assert isinstance(clock, Clock), "freeze(app) first"
    dispatcher = Dispatcher(app.services)
    while True:
        with app.sessions() as session:
            due = session.exec(
                select(ScheduledPrompt)
                .where(ScheduledPrompt.status == "pending", ScheduledPrompt.due_at <= end)
                .order_by(ScheduledPrompt.due_at)
            ).first()
        if due is None:
            break
        clock.now = max(clock.now, due.due_at)
        dispatcher.run_until_idle(clock.now)
    clock.now = max(clock.now, end)


def initial_states(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """What submitting a modal unchanged sends: each input's initial value as its element state."""
    states: dict[str, dict[str, Any]] = {}
    for block in view.get("blocks") or []:
        element = block.get("element") or {}
        if block.get("type") != "input" or not element:
            continue
        kind = element.get("type")
        state: dict[str, Any] = {"type": kind}
        if "initial_value" in element:
            state["value"] = element["initial_value"]
        elif "initial_option" in element:
            state["selected_option"] = element["initial_option"]
        elif "initial_options" in element:
            state["selected_options"] = element["initial_options"]
        elif "initial_date" in element:
            state["selected_date"] = element["initial_date"]
        elif "initial_conversation" in element:
            state["selected_conversation"] = element["initial_conversation"]
        elif kind == "datepicker":
            state["selected_date"] = None
        elif kind in ("conversations_select", "channels_select"):
            state["selected_conversation"] = None
        states[block["block_id"]] = state
    return states


def save_program(app: RunningApp, name: str, **dates: Any) -> Any:
    """``/mentor program <name>`` as the coordinator, submitted with the defaults and ``dates``
    (``signup_opens=date(...)``, ...); returns the ack's JSON."""
    before = len(app.sandbox.views_opened(COORDINATOR))
    assert app.driver.slash_command(COORDINATOR, f"program {name}").status == 200
    view = eventually(lambda: app.sandbox.views_opened(COORDINATOR)[before:])[-1]
    states = initial_states(view)
    blocks = {
        "signup_opens": ids.PROGRAM_SIGNUP_OPENS,
        "signup_closes": ids.PROGRAM_SIGNUP_CLOSES,
        "match_date": ids.PROGRAM_MATCH_DATE,
        "start_date": ids.PROGRAM_START_DATE,
    }
    for key, day in dates.items():
        states[blocks[key]] = slack.date_value(day.isoformat())
    return submit(app, COORDINATOR, view, states), view, states
