"""The strict Slack stand-in, and a 300-skill cohort's signup, profile edit and matching through it.

The stand-in answers what real Slack refuses with Slack's error and ``response_metadata.messages``; a test run fails
on any such answer (``tests/conftest.py``). These tests send invalid payloads on purpose inside
``sandbox.expect_invalid()``.
"""

from __future__ import annotations

import json
import time
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import select

from bot import ids
from bot.profiles import Profile, Role
from bot.sandbox import SlackSandbox, validation
from bot.sandbox import forms as fill
from bot.sandbox.rules import RULES, Check, Max, Min, Needs
from bot.views.coordinator import SKILLS_BOXES, skills_boxes
from storage.models import Cohort, Pair, Participant
from tests.conftest import COORDINATOR, RunningApp
from tests.helpers import add_person, open_modal, slack_timezone_prefilled

SECTION = {"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}


def _option(n: int) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": f"o{n}"}, "value": f"v{n}"}


def _modal(*blocks: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "modal", "title": {"type": "plain_text", "text": "Title"}, "blocks": list(blocks), **extra}


@pytest.fixture
def client(sandbox: SlackSandbox) -> WebClient:
    sandbox.add_user("U1", name="ada", real_name="Ada", tz="Europe/Berlin")
    return WebClient(base_url=sandbox.url, token="xoxb-strict", timeout=5)


def _refused(sandbox: SlackSandbox, call: Any) -> dict[str, Any]:
    """Make a call Slack refuses; return Slack's answer."""
    with sandbox.expect_invalid(), pytest.raises(SlackApiError) as err:
        call()
    return dict(err.value.response.data)


# ---------------------------------------------------------------------- the stand-in refuses what Slack refuses

REFUSED: list[tuple[str, Any, str, str]] = [
    # (what, call(client), Slack's error, a part of the message naming the problem)
    (
        "unknown argument",
        lambda c: c.chat_postMessage(channel="U1", text="x", colour="red"),
        "invalid_arguments",
        "colour",
    ),
    ("missing channel", lambda c: c.api_call("chat.postMessage", json={"text": "x"}), "invalid_arguments", "channel"),
    (
        "blocks without fallback text",
        lambda c: c.api_call("chat.postMessage", json={"channel": "U1", "blocks": [SECTION]}),
        "invalid_arguments",
        "text is required with blocks",
    ),
    (
        "51 blocks in a message",
        lambda c: c.chat_postMessage(channel="U1", text="x", blocks=[SECTION] * 51),
        "invalid_arguments",
        "at most 50",
    ),
    (
        "101 blocks in a modal",
        lambda c: c.views_open(trigger_id="t", view=_modal(*[SECTION] * 101)),
        "invalid_arguments",
        "at most 100",
    ),
    (
        "101 blocks on Home",
        lambda c: c.views_publish(user_id="U1", view={"type": "home", "blocks": [SECTION] * 101}),
        "invalid_arguments",
        "at most 100",
    ),
    (
        "101 options in a group",
        lambda c: c.views_open(
            trigger_id="t",
            view=_modal(
                {
                    "type": "input",
                    "block_id": "b",
                    "label": {"type": "plain_text", "text": "Skills"},
                    "element": {
                        "type": "multi_static_select",
                        "action_id": "a",
                        "option_groups": [
                            {"label": {"type": "plain_text", "text": "g"}, "options": [_option(n) for n in range(101)]}
                        ],
                    },
                },
                submit={"type": "plain_text", "text": "Save"},
            ),
        ),
        "invalid_arguments",
        "option_group options: must be at most 100",
    ),
    (
        "11 checkboxes",
        lambda c: c.chat_postMessage(
            channel="U1",
            text="x",
            blocks=[
                {
                    "type": "actions",
                    "elements": [{"type": "checkboxes", "action_id": "a", "options": [_option(n) for n in range(11)]}],
                }
            ],
        ),
        "invalid_blocks",
        "checkboxes options",
    ),
    (
        "6 overflow options",
        lambda c: c.chat_postMessage(
            channel="U1",
            text="x",
            blocks=[
                {
                    **SECTION,
                    "accessory": {"type": "overflow", "action_id": "a", "options": [_option(n) for n in range(6)]},
                }
            ],
        ),
        "invalid_blocks",
        "overflow options",
    ),
    (
        "76-character option text",
        lambda c: c.chat_postMessage(
            channel="U1",
            text="x",
            blocks=[
                {
                    "type": "actions",
                    "elements": [
                        {
                            "type": "static_select",
                            "action_id": "a",
                            "options": [{"text": {"type": "plain_text", "text": "o" * 76}, "value": "v"}],
                        }
                    ],
                }
            ],
        ),
        "invalid_blocks",
        "option text.text",
    ),
    (
        "151-character option value",
        lambda c: c.chat_postMessage(
            channel="U1",
            text="x",
            blocks=[
                {
                    "type": "actions",
                    "elements": [
                        {
                            "type": "radio_buttons",
                            "action_id": "a",
                            "options": [{"text": {"type": "plain_text", "text": "o"}, "value": "v" * 151}],
                        }
                    ],
                }
            ],
        ),
        "invalid_blocks",
        "option value",
    ),
    (
        "3,001-character section",
        lambda c: c.chat_postMessage(
            channel="U1", text="x", blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": "s" * 3001}}]
        ),
        "invalid_blocks",
        "3000",
    ),
    (
        "151-character header",
        lambda c: c.chat_postMessage(
            channel="U1", text="x", blocks=[{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}]
        ),
        "invalid_blocks",
        "150",
    ),
    (
        "25-character modal title",
        lambda c: c.views_open(
            trigger_id="t", view={**_modal(SECTION), "title": {"type": "plain_text", "text": "t" * 25}}
        ),
        "invalid_arguments",
        "title.text",
    ),
    (
        "25-character submit",
        lambda c: c.views_open(trigger_id="t", view=_modal(SECTION, submit={"type": "plain_text", "text": "s" * 25})),
        "invalid_arguments",
        "submit.text",
    ),
    (
        "25-character close",
        lambda c: c.views_open(trigger_id="t", view=_modal(SECTION, close={"type": "plain_text", "text": "c" * 25})),
        "invalid_arguments",
        "close.text",
    ),
    (
        "3,001 characters of private_metadata",
        lambda c: c.views_open(trigger_id="t", view=_modal(SECTION, private_metadata="m" * 3001)),
        "invalid_arguments",
        "private_metadata",
    ),
    (
        "256-character block_id",
        lambda c: c.chat_postMessage(channel="U1", text="x", blocks=[{**SECTION, "block_id": "b" * 256}]),
        "invalid_blocks",
        "block_id",
    ),
    (
        "2,001-character button value",
        lambda c: c.chat_postMessage(
            channel="U1",
            text="x",
            blocks=[
                {
                    "type": "actions",
                    "elements": [
                        {
                            "type": "button",
                            "action_id": "a",
                            "text": {"type": "plain_text", "text": "b"},
                            "value": "v" * 2001,
                        }
                    ],
                }
            ],
        ),
        "invalid_blocks",
        "button value",
    ),
    (
        "11 fields",
        lambda c: c.chat_postMessage(
            channel="U1", text="x", blocks=[{"type": "section", "fields": [{"type": "mrkdwn", "text": "f"}] * 11}]
        ),
        "invalid_blocks",
        "fields",
    ),
    (
        "a 2,001-character field",
        lambda c: c.chat_postMessage(
            channel="U1", text="x", blocks=[{"type": "section", "fields": [{"type": "mrkdwn", "text": "f" * 2001}]}]
        ),
        "invalid_blocks",
        "2000",
    ),
    (
        "11 context elements",
        lambda c: c.chat_postMessage(
            channel="U1", text="x", blocks=[{"type": "context", "elements": [{"type": "mrkdwn", "text": "c"}] * 11}]
        ),
        "invalid_blocks",
        "context elements",
    ),
    (
        "26 action elements",
        lambda c: c.chat_postMessage(
            channel="U1",
            text="x",
            blocks=[
                {
                    "type": "actions",
                    "elements": [
                        {"type": "button", "action_id": f"a{n}", "text": {"type": "plain_text", "text": "b"}}
                        for n in range(26)
                    ],
                }
            ],
        ),
        "invalid_blocks",
        "actions elements",
    ),
    (
        "an unknown block type",
        lambda c: c.chat_postMessage(
            channel="U1", text="x", blocks=[{"type": "sektion", "text": {"type": "mrkdwn", "text": "x"}}]
        ),
        "invalid_blocks",
        "unsupported block type",
    ),
    (
        "metadata without a payload",
        lambda c: c.chat_postMessage(channel="U1", text="x", metadata={"event_type": "pair_prompt"}),
        "invalid_metadata_schema",
        "event_payload",
    ),
    (
        "metadata that is not an object",
        lambda c: c.api_call("chat.postMessage", json={"channel": "U1", "text": "x", "metadata": "pair_prompt"}),
        "invalid_metadata_format",
        "metadata",
    ),
    (
        "conversations.open with nobody",
        lambda c: c.api_call("conversations.open", json={}),
        "users_list_not_supplied",
        "users",
    ),
    (
        "an upload of no length",
        lambda c: c.files_getUploadURLExternal(filename="a.csv", length=0),
        "invalid_arguments",
        "length",
    ),
    (
        "a completion without files",
        lambda c: c.api_call("files.completeUploadExternal", json={"files": [{"title": "x"}]}),
        "invalid_arguments",
        "files",
    ),
]


@pytest.mark.parametrize(("what", "call", "error", "names"), REFUSED, ids=[r[0] for r in REFUSED])
def test_the_stand_in_refuses_what_slack_refuses(
    sandbox: SlackSandbox, client: WebClient, what: str, call: Any, error: str, names: str
) -> None:
    answer = _refused(sandbox, lambda: call(client))
    assert answer["ok"] is False and answer["error"] == error, answer
    messages = answer["response_metadata"]["messages"]
    assert any(names in m for m in messages), messages
    assert all(m.startswith("[ERROR]") and "json-pointer:" in m and "https://" in m for m in messages)
    assert [c.error for c in sandbox.invalid_calls] == [error] and sandbox.calls == []


def test_a_refused_call_fails_the_test_unless_announced(sandbox: SlackSandbox, client: WebClient) -> None:
    mark = validation.refused_count()
    with pytest.raises(SlackApiError):
        client.chat_postMessage(channel="U1", text="x", blocks=[SECTION] * 51)
    refused = validation.refused_since(mark)
    assert [(c.method, c.expected) for c in refused] == [("chat.postMessage", False)]
    assert sandbox.unexpected_invalid_calls() == refused
    # this test is about that very failure: mark it seen so the suite's check passes
    object.__setattr__(refused[0], "expected", True)


def test_valid_calls_pass_and_every_rule_names_its_slack_reference(sandbox: SlackSandbox, client: WebClient) -> None:
    client.chat_postMessage(
        channel="U1", text="x", blocks=[SECTION] * 50, metadata={"event_type": "e", "event_payload": {"k": 1}}
    )
    client.views_open(trigger_id="t", view=_modal(*[SECTION] * 100))
    client.views_publish(user_id="U1", view={"type": "home", "blocks": [SECTION] * 100})
    client.conversations_open(users="U1")
    client.files_upload_v2(content=b"a,b\n1,2\n", filename="a.csv", channel="U1", initial_comment="here")
    assert sandbox.invalid_calls == [] and len(sandbox.uploaded_files) == 1
    assert all(rule.ref.startswith("https://docs.slack.dev/") for rule in RULES)
    assert {type(rule) for rule in RULES} == {Max, Min, Needs, Check}


def test_the_upload_step_must_send_what_was_announced(sandbox: SlackSandbox, client: WebClient) -> None:
    import urllib.error
    import urllib.request

    upload = client.files_getUploadURLExternal(filename="a.csv", length=10)
    request = urllib.request.Request(upload["upload_url"], data=b"short", method="POST")
    with sandbox.expect_invalid(), pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(request, timeout=5)
    assert err.value.code == 400
    assert [(c.method, c.error) for c in sandbox.invalid_calls] == [("upload", "invalid_upload")]
    assert "announced length 10" in sandbox.invalid_calls[0].messages[0]


def test_a_response_url_post_is_held_to_the_same_limits(sandbox: SlackSandbox) -> None:
    import urllib.error
    import urllib.request

    url = sandbox.response_url_for("k")
    body = json.dumps({"text": "x", "blocks": [SECTION] * 51, "replace_original": True}).encode()
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"}, method="POST")
    with sandbox.expect_invalid(), pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(request, timeout=5)
    assert err.value.code == 400 and sandbox.responses == []
    assert sandbox.invalid_calls[0].method == "response_url"


def test_the_vendored_web_api_spec_names_its_source_and_covers_every_method_the_app_calls() -> None:
    data = json.loads(validation.SPEC_FILE.read_text())
    assert data["source"]["repository"] == "https://github.com/slackapi/slack-api-specs"
    spec = validation.web_api_spec()
    used = {
        "chat.postMessage",
        "chat.postEphemeral",
        "chat.update",
        "views.open",
        "views.update",
        "views.publish",
        "conversations.open",
        "conversations.members",
        "conversations.history",
        "users.info",
        "users.lookupByEmail",
        "files.getUploadURLExternal",
        "files.completeUploadExternal",
        "auth.test",
    }
    assert used <= set(spec)
    assert spec["chat.postMessage"].required == {"channel"} and "metadata" in spec["chat.postMessage"].optional
    assert spec["files.getUploadURLExternal"].required == {"filename", "length"}


# ---------------------------------------------------------------------- a 300-skill cohort, end to end

SKILLS = [f"skill {n:03d} {word}" for n, word in enumerate(["data", "design", "leadership", "sales", "cloud"] * 60)]


def _is_skills_box(block: dict[str, Any]) -> bool:
    block_id = str(block.get("block_id", ""))
    return block_id == ids.PROGRAM_SKILLS or block_id.startswith(f"{ids.PROGRAM_SKILLS_MORE}_")


def _program_values(view: dict[str, Any], skills: list[str]) -> dict[str, Any]:
    def text(value: str) -> dict[str, Any]:
        return {"type": "plain_text_input", "value": value}

    match = date.today() + timedelta(days=10)
    values: dict[str, Any] = {
        ids.PROGRAM_NAME: text("Big skills cohort"),
        ids.PROGRAM_MATCH_DATE: {"type": "datepicker", "selected_date": match.isoformat()},
        ids.PROGRAM_DURATION: {"type": "static_select", "selected_option": {"value": "6"}},
        ids.PROGRAM_CADENCE: {"type": "static_select", "selected_option": {"value": "14"}},
        ids.PROGRAM_FIRST_SURVEY: {"type": "number_input", "value": "30"},
        ids.PROGRAM_SURVEY_EVERY: {"type": "number_input", "value": "60"},
        ids.PROGRAM_WEIGHTS: text("skills = 0.5"),
        ids.PROGRAM_MIN_HOURS: {"type": "number_input", "value": "0"},
        ids.PROGRAM_OPTIONS: {"type": "checkboxes", "selected_options": []},
        ids.PROGRAM_ANNOUNCE_CHANNEL: {"type": "conversations_select", "selected_conversation": None},
        ids.PROGRAM_DIGEST_CHANNEL: {"type": "conversations_select", "selected_conversation": None},
    }
    boxes = skills_boxes(skills)
    box_ids = [b["block_id"] for b in view["blocks"] if _is_skills_box(b)]
    assert len(box_ids) >= len(boxes)  # a long list spreads over several boxes, each within Slack's 3,000
    for block_id, box in zip(box_ids, boxes, strict=False):
        values[block_id] = text(box)
    return {block: {ids.INPUT: state} for block, state in values.items()}


def _typed(app: RunningApp, user_id: str, view: dict[str, Any]) -> Any:
    return lambda action_id, query: app.driver.block_suggestion(user_id, view, action_id, query)


def test_a_300_skill_cohort_signs_up_edits_profiles_and_matches(app: RunningApp) -> None:
    app.sandbox.add_user(COORDINATOR, name="coord", real_name="Coordinator", tz="Europe/Berlin")
    before = time.time()
    app.driver.slash_command(COORDINATOR, "program")
    app.sandbox.wait_for("views.open", after=before)
    program = app.sandbox.views_opened(COORDINATOR)[-1]
    assert app.driver.view_submission(COORDINATOR, program, _program_values(program, SKILLS)).status == 200
    app.sandbox.wait_for("chat.postMessage", lambda c: c.args.get("channel") == COORDINATOR, after=before)
    with app.sessions() as session:
        cohort = session.exec(select(Cohort)).one()
    assert cohort.settings["skills_taxonomy"] == SKILLS

    # editing the cohort shows all 300 skills back, spread over boxes Slack accepts
    before = time.time()
    app.driver.slash_command(COORDINATOR, "program big skills cohort")
    app.sandbox.wait_for("views.open", after=before)
    reopened = app.sandbox.views_opened(COORDINATOR)[-1]
    shown = [b["element"].get("initial_value", "") for b in reopened["blocks"] if _is_skills_box(b)]
    assert "\n".join(s for s in shown if s).splitlines() == SKILLS and len(shown) <= SKILLS_BOXES

    mentor = Profile(
        user_id="U0MENTOR01",
        role=Role.MENTOR,
        name="Mentor With Rare Skills",
        skills_offered=(SKILLS[257], SKILLS[3]),
        department="engineering",
        industry="software",
        seniority="senior",
        timezone="Asia/Kolkata",
        capacity=2,
    )
    mentee = Profile(
        user_id="U0MENTEE01",
        role=Role.MENTEE,
        name="Mentee",
        skills_wanted=(SKILLS[257],),
        department="sales",
        industry="software",
        seniority="junior",
        timezone="Asia/Kolkata",
    )
    for person in (mentor, mentee):
        add_person(app, person)
        before = time.time()
        open_modal(app, person.user_id)
        view = slack_timezone_prefilled(app, person.user_id, before)
        elements = {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}
        assert elements[ids.SKILLS_OFFERED]["type"] == "multi_external_select"
        assert elements[ids.TIMEZONE]["initial_option"]["value"] == "Asia/Kolkata"
        assert "(UTC+5:30, now " in elements[ids.TIMEZONE]["initial_option"]["text"]["text"]
        # typing "257" finds skill 257 first, among at most 100 options
        offered = app.driver.block_suggestion(person.user_id, view, ids.SKILL_SEARCH, "257")
        assert offered[0]["value"] == SKILLS[257] and len(offered) <= 100
        assert len(app.driver.block_suggestion(person.user_id, view, ids.SKILL_SEARCH, "skill")) == 100
        values = fill.signup_values(view, person, typed=_typed(app, person.user_id, view), known_skills=SKILLS)
        response = app.driver.view_submission(person.user_id, view, values)
        assert response.status == 200 and not response.body.strip(), response.body
        app.sandbox.wait_for("views.publish", lambda c, u=person.user_id: c.args.get("user_id") == u)

    with app.sessions() as session:
        saved = {p.user_id: p for p in session.exec(select(Participant)).all()}
    assert set(saved) == {mentor.user_id, mentee.user_id}

    # the mentee edits their profile: the modal shows their skills and timezone, they add one more skill
    view = open_modal(app, mentee.user_id, "profile")
    wanted = next(b["element"] for b in view["blocks"] if b.get("block_id") == ids.SKILLS_WANTED)
    assert [o["value"] for o in wanted["initial_options"]] == [SKILLS[257]]
    edited = replace(mentee, skills_wanted=(SKILLS[257], SKILLS[3]), timezone="Europe/Berlin")
    values = fill.signup_values(view, edited, typed=_typed(app, mentee.user_id, view), known_skills=SKILLS)
    before = time.time()
    assert app.driver.view_submission(mentee.user_id, view, values).status == 200
    app.sandbox.wait_for("chat.postMessage", lambda c: c.args.get("channel") == mentee.user_id, after=before)

    # an unknown zone is an inline error
    bad = {
        **values,
        ids.TIMEZONE: {
            ids.TIMEZONE_SEARCH: {
                "type": "external_select",
                "selected_option": {"value": "Mars/Olympus", "text": {"type": "plain_text", "text": "Mars"}},
            }
        },
    }
    answer = app.driver.view_submission(mentee.user_id, view, bad).json()
    assert answer["response_action"] == "errors" and ids.TIMEZONE in answer["errors"]

    # matching pairs them on the custom skill
    before = time.time()
    app.driver.slash_command(COORDINATOR, "match")
    call = app.sandbox.wait_for(
        "views.update",
        lambda c: "Match preview · Big skills cohort" in json.dumps(c.args.get("view"), ensure_ascii=False),
        after=before,
        timeout=30,
    )
    preview = app.sandbox.view(call.args["view_id"])
    assert app.driver.view_submission(COORDINATOR, preview, {}).status == 200
    deadline = time.time() + 20
    while time.time() < deadline:
        with app.sessions() as session:
            pairs = session.exec(select(Pair)).all()
        if pairs:
            break
        time.sleep(0.05)
    assert [(p.mentee_user_id, p.mentor_user_id) for p in pairs] == [(mentee.user_id, mentor.user_id)]
    assert app.sandbox.invalid_calls == []
