"""Simulated people answering the journey's prompts through real, signed Slack requests (demo and tests).

Each helper finds the button the app posted (in the sandbox), clicks it with :class:`SlackDriver` and fills
the modal it opened, exactly as a person would. Listener work continues after the ack, so helpers that need
a result wait for it (``wait``) instead of sleeping a fixed time.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import date
from typing import Any

from bot import ids
from bot.sandbox import driver as slack
from bot.sandbox.driver import SlackDriver
from bot.sandbox.slack_api import SlackSandbox
from storage.vocab import Cadence


def wait(check: Callable[[], Any], timeout: float = 5.0) -> Any:
    """Poll ``check`` until it returns something truthy; None on timeout."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.02)
    return None


def find_button(messages: list[dict[str, Any]], action_id: str) -> dict[str, Any] | None:
    """The newest message holding a button with ``action_id``."""
    for message in reversed(messages):
        if action_id in json.dumps(message.get("blocks") or []):
            return message
    return None


def _modal_after_click(
    driver: SlackDriver, sandbox: SlackSandbox, user_id: str, action_id: str, message: dict[str, Any]
) -> dict[str, Any] | None:
    before = len(sandbox.views_opened(user_id))
    driver.block_action(user_id, action_id, message=message)
    opened = wait(lambda: sandbox.views_opened(user_id)[before:])
    return opened[-1] if opened else None


def _submit(driver: SlackDriver, user_id: str, view: dict[str, Any], states: dict[str, dict[str, Any]]) -> bool:
    values = slack.values_for(view, {})
    for block_id, state in states.items():
        values[block_id] = {ids.INPUT: state}
    response = driver.view_submission(user_id, view, values)
    return response.status == 200 and not response.body.strip()


def click_in(driver: SlackDriver, sandbox: SlackSandbox, user_id: str, channel: str, action_id: str) -> bool:
    """Click the newest ``action_id`` button in ``channel`` (a pair DM); False when there is none."""
    message = find_button(sandbox.messages_in(channel), action_id)
    if message is None:
        return False
    return driver.block_action(user_id, action_id, message=message).status == 200


def click_in_dm(driver: SlackDriver, sandbox: SlackSandbox, user_id: str, action_id: str) -> bool:
    """Click the newest ``action_id`` button in the person's own DM with the app."""
    message = find_button(sandbox.messages_to(user_id), action_id)
    if message is None:
        return False
    return driver.block_action(user_id, action_id, message=message).status == 200


def set_goals(
    driver: SlackDriver,
    sandbox: SlackSandbox,
    proposer: str,
    confirmer: str,
    channel: str,
    goals: list[tuple[str, str]],
    *,
    cadence: str = Cadence.BIWEEKLY,
    meet_by: str = "video",
) -> bool:
    """One person proposes goals in the pair DM, the other confirms."""
    message = find_button(sandbox.messages_in(channel), ids.PAIR_SET_GOALS)
    view = _modal_after_click(driver, sandbox, proposer, ids.PAIR_SET_GOALS, message) if message else None
    if view is None:
        return False
    states: dict[str, dict[str, Any]] = {
        ids.GOALS_CADENCE: slack.radio_value(cadence),
        ids.GOALS_CHANNEL: slack.radio_value(meet_by),
    }
    for n, (title, measure) in enumerate(goals[:3], start=1):
        states[ids.GOAL_TITLE.format(n=n)] = slack.text_value(title)
        states[ids.GOAL_MEASURE.format(n=n)] = slack.text_value(measure)
    if not _submit(driver, proposer, view, states):
        return False
    proposal = wait(lambda: find_button(sandbox.messages_in(channel), ids.GOALS_CONFIRM))
    return bool(proposal) and driver.block_action(confirmer, ids.GOALS_CONFIRM, message=proposal).status == 200


def log_meeting(
    driver: SlackDriver,
    sandbox: SlackSandbox,
    user_id: str,
    channel: str,
    met_on: date,
    *,
    minutes: int = 45,
    topics: str = "",
    progress: dict[int, str] | None = None,
    via: str = ids.PAIR_LOG_MEETING,
) -> bool:
    """Log a meeting from the pair DM (``via`` = PAIR_LOG_MEETING or CHECKIN_YES)."""
    message = find_button(sandbox.messages_in(channel), via)
    view = _modal_after_click(driver, sandbox, user_id, via, message) if message else None
    if view is None:
        return False
    states = {
        ids.MEETING_DATE: slack.date_value(met_on.isoformat()),
        ids.MEETING_DURATION: slack.select_value(str(minutes)),
        ids.MEETING_TOPICS: slack.text_value(topics or None),
    }
    for n, value in (progress or {}).items():
        states[ids.MEETING_PROGRESS.format(n=n)] = slack.radio_value(value)
    return _submit(driver, user_id, view, states)


def answer_survey(
    driver: SlackDriver, sandbox: SlackSandbox, user_id: str, *, satisfaction: int, recommend: int, comment: str = ""
) -> bool:
    """Open the newest survey invitation in the person's DM and answer it."""
    message = find_button(sandbox.messages_to(user_id), ids.SURVEY_OPEN)
    view = _modal_after_click(driver, sandbox, user_id, ids.SURVEY_OPEN, message) if message else None
    if view is None:
        return False
    states = {
        ids.SURVEY_SATISFACTION: slack.radio_value(str(satisfaction)),
        ids.SURVEY_RECOMMEND: slack.select_value(str(recommend)),
        ids.SURVEY_FREE: slack.text_value(comment or None),
    }
    return _submit(driver, user_id, view, states)


def reflect(
    driver: SlackDriver, sandbox: SlackSandbox, user_id: str, channel: str, *, achieved: str, thanks: str
) -> bool:
    """Open the closing reflection from the pair DM and send a thank-you note."""
    message = find_button(sandbox.messages_in(channel), ids.REFLECT_OPEN)
    view = _modal_after_click(driver, sandbox, user_id, ids.REFLECT_OPEN, message) if message else None
    if view is None:
        return False
    states = {ids.REFLECT_ACHIEVED: slack.text_value(achieved), ids.REFLECT_THANKS: slack.text_value(thanks or None)}
    return _submit(driver, user_id, view, states)
