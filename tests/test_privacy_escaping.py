"""User text can't ping, phish or forge: Slack control sequences typed into any text field of any modal or
command reach Slack escaped, never as ``<!channel>``, ``<@U...>`` or ``<https://...|label>``.

A property test (hypothesis) drives a whole program through the real app with the same hostile text in every
free-text field: signup, goals, meetings, concerns, surveys, reflections and thank-you notes, feedback requests
and replies, introductions, shared resources, a coordinator's program, pair reason and message to a pair, and
the free-text arguments of commands. Every message and view that reached the sandbox is then scanned: no mrkdwn
text may carry a control sequence that came from the person.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from bot import ids
from bot.dispatch import Dispatcher
from bot.lifecycle import simulate
from bot.sandbox import SlackSandbox, forms
from bot.sandbox import driver as slack
from bot.views.blocks import escape, link, quote
from storage.models import Pair
from tests.conftest import COORDINATOR, RunningApp, start_app
from tests.helpers import ALICE, BOB, open_modal
from tests.test_journey_flow import Clock

EVIL = "U0EVIL9999"
CONTROLS = ("<!channel>", "<!here>", f"<@{EVIL}>", "<https://evil.test|Open HR case>", "<!subteam^S0EVIL|@hr>")
TOKENS = (*CONTROLS, "*bold*", "_it_", "&amp;", "a > b")
START = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # the cohort starts today at 09:00
CAROL = replace(BOB, user_id="U0CAROL003", name="Carol Mentor")

# Fields with a format of their own get a valid value when the app refuses the hostile one.
VALID = {ids.TIMEZONE: "Europe/Berlin", ids.PROGRAM_WEIGHTS: "", ids.PROGRAM_SKILLS: "", ids.SHARE_URL: ""}

hostile = st.tuples(
    st.lists(st.sampled_from(TOKENS), min_size=1, max_size=4),
    st.text(alphabet="abcXYZ 12", max_size=6),
).map(lambda parts: (" ".join(parts[0]) + " " + parts[1]).strip())


# ------------------------------------------------------------------------------------------ what reached Slack


def _mrkdwn(node: Any) -> Iterator[str]:
    """Every mrkdwn text object inside a message or view."""
    if isinstance(node, dict):
        if node.get("type") == "mrkdwn" and isinstance(node.get("text"), str):
            yield node["text"]
        for value in node.values():
            yield from _mrkdwn(value)
    elif isinstance(node, list):
        for value in node:
            yield from _mrkdwn(value)


def rendered_texts(box: SlackSandbox) -> list[tuple[str, str]]:
    """``(method, text)`` for every text Slack would render as mrkdwn: message texts and mrkdwn objects."""
    out: list[tuple[str, str]] = []
    for call in box.calls:
        args = call.args
        if call.method in ("chat.postMessage", "chat.update", "chat.postEphemeral", "response_url"):
            if isinstance(args.get("text"), str) and args.get("mrkdwn") is not False:
                out.append((call.method, args["text"]))
            out += [(call.method, t) for t in _mrkdwn(args.get("blocks") or [])]
            out += [(call.method, t) for t in _mrkdwn(args.get("attachments") or [])]
        elif call.method.startswith("views."):
            view = args.get("view")
            view = json.loads(view) if isinstance(view, str) else view
            out += [(call.method, t) for t in _mrkdwn(view or {})]
        elif call.method == "files.completeUploadExternal" and isinstance(args.get("initial_comment"), str):
            out.append((call.method, args["initial_comment"]))
    for response in box.responses:  # what the app answered on response URLs
        payload = response.payload
        if isinstance(payload.get("text"), str):
            out.append(("response_url", payload["text"]))
        out += [("response_url", t) for t in _mrkdwn(payload.get("blocks") or [])]
    return out


# ------------------------------------------------------------------------------------------ filling any modal


def fill(view: dict[str, Any], text: str) -> dict[str, Any]:
    """``state.values`` with ``text`` in every text field and a valid choice everywhere else."""
    values: dict[str, Any] = {}
    today = START.date().isoformat()
    for block in view.get("blocks", []):
        element = block.get("element") or {}
        kind, block_id = element.get("type"), block.get("block_id")
        if block.get("type") != "input" or not block_id:
            continue
        options = list(element.get("options") or []) + [
            o for g in element.get("option_groups") or [] for o in g.get("options") or []
        ]
        if kind == "plain_text_input":
            limit = int(element.get("max_length") or 3000)
            state: dict[str, Any] = slack.text_value(text[:limit])
        elif kind == "url_text_input":
            state = {"type": kind, "value": "https://example.com/work"}
        elif kind == "number_input":
            state = {"type": kind, "value": str(element.get("min_value") or "1")}
        elif kind in ("static_select", "radio_buttons") and options:
            state = {"type": kind, "selected_option": options[0]}
        elif kind in ("multi_static_select", "checkboxes") and options:
            state = {"type": kind, "selected_options": options[:1]}
        elif kind == "datepicker":
            state = slack.date_value(today)
        elif kind in ("channels_select", "conversations_select"):
            key = "selected_channel" if kind == "channels_select" else "selected_conversation"
            state = {"type": kind, key: None}
        else:
            continue
        values[block_id] = {ids.INPUT: state}
    return values


def submit_all(app: RunningApp, user_id: str, view: dict[str, Any], text: str) -> None:
    """Submit a modal with ``text`` everywhere; fields the app refuses get a valid value, then it is resubmitted."""
    values = fill(view, text)
    for _ in range(4):
        response = app.driver.view_submission(user_id, view, values)
        assert response.status == 200, response.body
        answer = response.json() or {}
        if answer.get("response_action") != "errors":
            return
        for block_id in answer["errors"]:
            state = values[block_id][ids.INPUT]
            state["value"] = VALID.get(block_id, "")
            if block_id == ids.PROGRAM_NAME:
                state["value"] = "Spring cohort"
            if block_id == ids.PROGRAM_SKILLS:  # a long skills list continues in more boxes, read as one list
                for more in [b for b in values if b.startswith(ids.PROGRAM_SKILLS_MORE)]:
                    values[more][ids.INPUT]["value"] = ""
    raise AssertionError(f"{view.get('callback_id')} never accepted: {answer}")


def from_button(
    app: RunningApp, user_id: str, action_id: str, messages: Callable[[], list[dict[str, Any]]]
) -> dict[str, Any]:
    message = simulate.wait(lambda: simulate.find_button(messages(), action_id))
    assert message, action_id
    before = len(app.sandbox.views_opened(user_id))
    assert app.driver.block_action(user_id, action_id, message=message).status == 200
    opened = simulate.wait(lambda: app.sandbox.views_opened(user_id)[before:])
    assert opened, action_id
    return opened[-1]


# ------------------------------------------------------------------------------------------ the program


def run_program(app: RunningApp, text: str) -> None:
    """Every modal and free-text command, with ``text`` in every text field."""
    clock = Clock(START)
    app.services.clock = clock
    box, drv = app.sandbox, app.driver
    for person in (ALICE, BOB, CAROL, replace(ALICE, user_id=COORDINATOR, name="Cora Coord")):
        box.add_user(person.user_id, name=person.name.split()[0].lower(), real_name=person.name, tz=person.timezone)
    # the coordinator's program, with hostile names and settings
    submit_all(app, COORDINATOR, open_modal(app, COORDINATOR, "program"), text)
    for person in (ALICE, BOB, CAROL):  # signups: other skills, bio, everything
        view = open_modal(app, person.user_id)
        values = fill(view, text)
        values.update(forms.signup_values(view, person))
        items = ", ".join(t for t in TOKENS if t in text) or text[:50]  # items of under 60 characters each
        for block_id in (ids.SKILLS_OFFERED_OTHER, ids.SKILLS_WANTED_OTHER, ids.BIO):
            values[block_id] = {ids.INPUT: slack.text_value(items)}
        response = drv.view_submission(person.user_id, view, values)
        assert response.status == 200 and not response.body.strip(), response.body
    simulate.wait(lambda: len(box.calls_for("views.publish")) >= 3)
    for command in (f"x{text}", f"stats {text}", f"announce {text}", f"resources {text}", f"avoid {text}"):
        drv.slash_command(COORDINATOR, command)
    drv.slash_command(COORDINATOR, "match")  # a preview listing reasons made of the typed skills
    simulate.wait(lambda: box.calls_for("views.update"))
    reason = text.replace(f"<@{EVIL}>", "")  # the command reads every mention as a person to pair
    answer = drv.slash_command(COORDINATOR, f"pair <@{ALICE.user_id}> <@{BOB.user_id}> {reason}")
    assert "Paired" in answer.body, answer.body
    with app.sessions() as session:
        pair = session.exec(select(Pair)).one()
    channel = simulate.wait(lambda: _channel(app, pair.id))
    drv.slash_command(COORDINATOR, "audit")
    in_pair = lambda: box.messages_in(channel)  # noqa: E731
    # the pair: goals, a meeting, a concern, a share, a feedback request and reply, an introduction
    submit_all(app, ALICE.user_id, from_button(app, ALICE.user_id, ids.PAIR_SET_GOALS, in_pair), text)
    confirm = simulate.wait(lambda: simulate.find_button(in_pair(), ids.GOALS_CONFIRM))
    drv.block_action(BOB.user_id, ids.GOALS_CONFIRM, message=confirm)
    submit_all(app, BOB.user_id, from_button(app, BOB.user_id, ids.PAIR_LOG_MEETING, in_pair), text)
    submit_all(app, ALICE.user_id, from_button(app, ALICE.user_id, ids.PAIR_CONCERN, in_pair), text)
    drv.slash_command(ALICE.user_id, f"share https://example.com/read {text}", channel_id=channel)
    drv.slash_command(ALICE.user_id, f"feedback-request https://example.com/doc {text}", channel_id=channel)
    reply = simulate.wait(lambda: simulate.find_button(in_pair(), ids.FEEDBACK_REPLY_OPEN))
    assert reply, "feedback request never posted"
    submit_all(app, BOB.user_id, from_button(app, BOB.user_id, ids.FEEDBACK_REPLY_OPEN, in_pair), text)
    drv.slash_command(ALICE.user_id, f"intro <@{CAROL.user_id}> {text}", channel_id=channel)
    ask = simulate.wait(lambda: simulate.find_button(box.messages_to(CAROL.user_id), ids.INTRO_ACCEPT))
    drv.block_action(CAROL.user_id, ids.INTRO_ACCEPT, message=ask)
    # a coordinator writes to the pair
    before = len(box.views_opened(COORDINATOR))
    drv.block_action(COORDINATOR, ids.COORD_PAIR_MESSAGE, value=str(pair.id))
    view = simulate.wait(lambda: box.views_opened(COORDINATOR)[before:])
    submit_all(app, COORDINATOR, view[-1], text)
    # surveys, then the end of the program: reflections and thank-you notes
    dispatcher = Dispatcher(app.services)
    clock.now = START + timedelta(days=33)
    dispatcher.run_until_idle(clock.now)
    for user in (ALICE.user_id, BOB.user_id):
        invite = simulate.find_button(box.messages_to(user), ids.SURVEY_OPEN)
        if invite:
            submit_all(app, user, from_button(app, user, ids.SURVEY_OPEN, lambda u=user: box.messages_to(u)), text)
    clock.now = START + timedelta(days=200)
    for _ in range(40):
        dispatcher.run_until_idle(clock.now)
    for user in (ALICE.user_id, BOB.user_id):
        if simulate.find_button(in_pair(), ids.REFLECT_OPEN):
            submit_all(app, user, from_button(app, user, ids.REFLECT_OPEN, in_pair), text)
    simulate.wait(lambda: [m for m in box.messages_to(BOB.user_id) if "thank-you note" in m.get("text", "")])


def _channel(app: RunningApp, pair_id: int | None) -> str:
    with app.sessions() as session:
        pair = session.get(Pair, pair_id)
        return pair.channel_id if pair is not None else ""


@settings(
    max_examples=3,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@example(text=" ".join(TOKENS))
@given(text=hostile)
def test_no_control_sequence_typed_by_a_person_reaches_slack(tmp_path_factory: Any, text: str) -> None:
    box = SlackSandbox(team_id="T0MENTOR")
    box.start()
    url = f"sqlite:///{tmp_path_factory.mktemp('escaping') / 'mentorbot.db'}"
    app, server = start_app(url, box)
    try:
        run_program(app, text)
        typed = [c for c in CONTROLS if c in text]
        leaks = [(method, t[:160]) for method, t in rendered_texts(box) if any(c in t for c in typed)]
        assert leaks == [], leaks[:5]
        # and the text did reach people, escaped, in many places
        shown = [t for _, t in rendered_texts(box) if escape(text) in t]
        assert len(shown) >= 10, len(shown)
    finally:
        server.stop()
        app.services.engine.dispose()
        box.stop()


def test_the_escaping_helpers() -> None:
    assert escape("<!channel> & <@U1|x>") == "&lt;!channel&gt; &amp; &lt;@U1|x&gt;"
    assert quote("line one\n<!here> :lock: Private: forged") == ">line one\n>&lt;!here&gt; :lock: Private: forged"
    assert (
        link("https://a.test/x|Open HR case>", "t|i<t>le") == "<https://a.test/x%7COpen%20HR%20case%3E|t-i&lt;t&gt;le>"
    )
