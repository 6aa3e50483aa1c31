"""Steps for match-round tests: a coordinator runs, browses, changes and publishes a preview over signed requests."""

from __future__ import annotations

import json
import time
from typing import Any

from sqlmodel import select

from bot import ids
from handlers.submission import NOT_SAVED
from storage.models import MatchRound, Pair
from storage.vocab import PairStatus
from tests.conftest import COORDINATOR, RunningApp

OPEN = (PairStatus.ACTIVE, PairStatus.PAUSED, PairStatus.AT_RISK)


def text_of(view: Any) -> str:
    return json.dumps(view, ensure_ascii=False)


def is_preview(view: Any) -> bool:
    text = text_of(view)
    return "Match preview · " in text and "· revision " in text


def meta(view: dict[str, Any]) -> dict[str, Any]:
    return json.loads(view.get("private_metadata") or "{}")


def wait_view(app: RunningApp, *, after: float, check, view_id: str | None = None, timeout: float = 30) -> dict:
    """The view a views.update (after ``after``) left, once it passes ``check``."""
    call = app.sandbox.wait_for(
        "views.update",
        lambda c: (view_id is None or c.args.get("view_id") == view_id) and check(c.args.get("view") or {}),
        after=after,
        timeout=timeout,
    )
    return app.sandbox.view(call.args["view_id"])


def run_match(app: RunningApp, user: str = COORDINATOR, args: str = "", timeout: float = 60) -> dict[str, Any]:
    """``/mentor match [args]`` and the preview its modal turns into."""
    started = time.time()
    response = app.driver.slash_command(user, f"match {args}".strip())
    assert response.status == 200 and response.elapsed < 3, response.body
    opened = app.sandbox.wait_for(
        "views.open", lambda c: "Running the match round" in text_of(c.args.get("view")), after=started
    )
    del opened
    return wait_view(app, after=started, check=is_preview, timeout=timeout)


def preview_at_revision(app: RunningApp, view_id: str, revision: int, *, after: float, timeout: float = 30) -> dict:
    """The modal once it shows the given revision of its round."""
    return wait_view(
        app,
        after=after,
        view_id=view_id,
        check=lambda v: is_preview(v) and meta(v).get("revision") == revision,
        timeout=timeout,
    )


def click(app: RunningApp, view: dict[str, Any], action_id: str, *, user: str = COORDINATOR, **kw: Any) -> float:
    """Click an element of a modal; returns when the click was sent (to wait for what follows)."""
    before = time.time()
    response = app.driver.block_action(user, action_id, view=view, **kw)
    assert response.status == 200, response.body
    return before


def select_option(
    app: RunningApp, view: dict[str, Any], action_id: str, value: str, *, user: str = COORDINATOR
) -> float:
    return click(
        app,
        view,
        action_id,
        user=user,
        action_type="static_select",
        selected_option={"text": {"type": "plain_text", "text": value}, "value": value},
    )


def rule(
    app: RunningApp, view: dict[str, Any], kind: str, mentee: str, mentor: str, *, user: str = COORDINATOR
) -> float:
    """Pin, forbid or clear a previewed pair through its overflow menu."""
    value = json.dumps([kind, mentee, mentor], separators=(",", ":"))
    block_id = None
    for block in view["blocks"]:
        accessory = block.get("accessory") or {}
        if accessory.get("action_id") == ids.MATCH_RULE and any(o["value"] == value for o in accessory["options"]):
            block_id = block.get("block_id")
    return click(
        app,
        view,
        ids.MATCH_RULE,
        user=user,
        block_id=block_id,
        action_type="overflow",
        selected_option={"text": {"type": "plain_text", "text": kind}, "value": value},
    )


def publish(app: RunningApp, view: dict[str, Any], *, user: str = COORDINATOR) -> dict[str, Any]:
    """Submit the preview (Publish) and return the modal the app answered with."""
    response = app.driver.view_submission(user, view, {})
    assert response.status == 200 and response.elapsed < 3, (response.status, response.elapsed, response.body)
    answer = response.json()
    assert answer["response_action"] == "update", answer
    return answer["view"]


def show_tab(app: RunningApp, view: dict[str, Any], tab: str) -> dict[str, Any]:
    before = select_option(app, view, ids.MATCH_TAB, tab)
    return wait_view(app, after=before, view_id=view["id"], check=lambda v: meta(v).get("tab") == tab)


def open_pairs(app: RunningApp) -> list[Pair]:
    with app.sessions() as session:
        return list(session.exec(select(Pair).where(Pair.status.in_(OPEN))).all())  # type: ignore[attr-defined]


def all_pairs(app: RunningApp) -> list[Pair]:
    with app.sessions() as session:
        return list(session.exec(select(Pair)).all())


def rounds(app: RunningApp) -> list[MatchRound]:
    with app.sessions() as session:
        return list(session.exec(select(MatchRound).order_by(MatchRound.id)).all())  # type: ignore[arg-type]


def wait_until(check, timeout: float = 20.0, interval: float = 0.05):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(interval)


def validate_view(view: dict[str, Any]) -> None:
    """Slack's own limits, checked by slack_sdk's models (100 blocks, text lengths, element counts)."""
    from slack_sdk.models.views import View

    body = {
        k: v
        for k, v in view.items()
        if k in ("type", "title", "blocks", "close", "submit", "private_metadata", "callback_id")
    }
    View(**body).validate_json()
    assert len(view["blocks"]) <= 100


def _initial_state(element: dict[str, Any]) -> dict[str, Any]:
    kind = element.get("type")
    if kind == "plain_text_input":
        return {"type": kind, "value": element.get("initial_value")}
    if kind == "number_input":
        return {"type": kind, "value": element.get("initial_value")}
    if kind == "datepicker":
        return {"type": kind, "selected_date": element.get("initial_date")}
    if kind == "static_select":
        return {"type": kind, "selected_option": element.get("initial_option")}
    if kind == "checkboxes":
        return {"type": kind, "selected_options": list(element.get("initial_options") or [])}
    if kind == "conversations_select":
        return {"type": kind, "selected_conversation": element.get("initial_conversation")}
    return {"type": kind}


def save_program(
    app: RunningApp,
    name: str,
    *,
    options: dict[str, bool] | None = None,
    numbers: dict[str, str] | None = None,
    user: str = COORDINATOR,
) -> None:
    """``/mentor program <name>``: the modal as it opens (defaults or the cohort's settings), with some options
    ticked or unticked and some numbers changed, submitted; waits for the confirmation DM."""
    before = time.time()
    assert app.driver.slash_command(user, f"program {name}").status == 200
    app.sandbox.wait_for("views.open", after=before)
    view = app.sandbox.views_opened(user)[-1]
    values: dict[str, Any] = {}
    for block in view["blocks"]:
        if block.get("type") != "input":
            continue
        state = _initial_state(block["element"])
        if block["block_id"] == ids.PROGRAM_NAME:
            state["value"] = name
        if block["block_id"] == ids.PROGRAM_OPTIONS and options:
            chosen = {o["value"] for o in state["selected_options"]}
            chosen = {v for v in chosen if options.get(v, True)} | {v for v, on in options.items() if on}
            offered = block["element"]["options"]
            state["selected_options"] = [o for o in offered if o["value"] in chosen]
        if numbers and block["block_id"] in numbers:
            state["value"] = numbers[block["block_id"]]
        values[block["block_id"]] = {ids.INPUT: state}
    before = time.time()
    response = app.driver.view_submission(user, view, values)
    assert response.status == 200 and not response.body.strip(), response.body
    app.sandbox.wait_for(
        "chat.postMessage",
        lambda c: c.args.get("channel") == user and f"*{name}*" in c.args.get("text", ""),
        after=before,
    )


def sign_up_many(app: RunningApp, people: list[Any], threads: int = 4) -> None:
    """Many people sign up through the real modal at once (each waits for their own modal and confirmation)."""
    from concurrent.futures import ThreadPoolExecutor

    from bot.sandbox import forms as fill
    from tests.helpers import add_person

    def one(profile: Any) -> None:
        add_person(app, profile)
        for attempt in range(3):  # on a busy machine the trigger can expire (as Slack's do): type /mentor again
            assert app.driver.slash_command(profile.user_id, "join").status == 200
            try:
                view = wait_until(lambda: app.sandbox.views_opened(profile.user_id), timeout=10)[-1]
                break
            except AssertionError:
                if attempt == 2:
                    raise
        for attempt in range(3):  # on a busy machine the write can wait too long: the person presses Submit again
            response = app.driver.view_submission(profile.user_id, view, fill.signup_values(view, profile))
            if attempt < 2 and response.status == 200 and NOT_SAVED in response.body:
                continue
            assert response.status == 200 and not response.body.strip(), response.body
            break
        wait_until(lambda: app.sandbox.messages_to(profile.user_id), timeout=30)

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(one, people))
