"""Hostile and malformed input, fuzzed with hypothesis against the real app over HTTP.

Every request, signed or not, must get a 2xx or a 4xx (never a 5xx), nothing at WARNING or above may carry a
traceback, and requests claiming a second workspace (team B) must leave every row of workspace A byte-identical.
One app serves the whole module (module-scoped fixture), so thousands of cases fit in well under a minute.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import MetaData, select

from bot import ids
from bot.sandbox import SlackDriver, SlackSandbox
from bot.sandbox.driver import Response
from bot.server import MAX_BODY
from storage.models import Pair
from tests.conftest import COORDINATOR, SIGNING_SECRET, TEAM_ID, RunningApp, start_app
from tests.helpers import ALICE, BOB, sign_up

TEAM_B = "T0OTHERWS"
EVE = "U0EVE00009"  # exists only in team B
FORM = "application/x-www-form-urlencoded"
SETTINGS = settings(
    max_examples=600,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)

VIEW_IDS = sorted(v for k, v in vars(ids).items() if k.endswith("_VIEW") and isinstance(v, str))
ALL_IDS = sorted(v for k, v in vars(ids).items() if k.isupper() and isinstance(v, str))
SUBCOMMANDS = [
    "", "join", "profile", "leave", "help", "pause", "resume", "match", "stats", "program", "pair", "audit",
    "goals", "log", "share", "resources", "intro", "alumni", "suggestions", "schedule", "announce", "export",
    "feedback-request", "import",
]  # fmt: skip
HOSTILE = [
    "' OR 1=1; DROP TABLE participant; --",
    "<script>alert(1)</script>",
    "{{7*7}}",
    "${jndi:ldap://x}",
    "../../etc/passwd",
    "\x00",
    "\u202eevil\u202c",
    "\U0001f600 \U0001f680 \u05e9\u05dc\u05d5\u05dd",
    r"\ud83d\ude00 \ud800",  # JSON escapes of surrogates (a lone one too)
    "é" * 300,
    "",
    " ",
    "1",
    "-1",
    "null",
    '{"pair_id": 1}',
    "1e309",
]


# ---------------------------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningApp, SlackDriver, int]]:
    """One app for the module; team A has two participants and a pair, team B is the attacker's workspace."""
    box = SlackSandbox(team_id=TEAM_ID)
    box.start()
    db = Path(tmp_path_factory.mktemp("fuzz")) / "fuzz.db"
    running, server = start_app(f"sqlite:///{db}", box)
    sign_up(running, ALICE)
    sign_up(running, BOB)
    with running.sessions() as session:
        pair = Pair(team_id=TEAM_ID, mentee_user_id=ALICE.user_id, mentor_user_id=BOB.user_id, score=0.8)
        session.add(pair)
        session.commit()
        pair_id = int(pair.id or 0)
    box.add_user(EVE, name="eve", real_name="Eve Other", tz="UTC")
    box.add_user(COORDINATOR, name="cora", real_name="Cora Coordinator", tz="UTC")
    driver_b = SlackDriver(f"{server.url}/slack/events", SIGNING_SECRET, team_id=TEAM_B, sandbox=box)
    yield running, driver_b, pair_id
    server.stop()
    box.stop()
    running.services.engine.dispose()


def _snapshot(app: RunningApp) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (reflected from the database, so every table counts)."""
    meta = MetaData()
    meta.reflect(app.services.engine)
    out: dict[str, list[tuple[Any, ...]]] = {}
    with app.services.engine.connect() as conn:
        for table in meta.sorted_tables:
            rows = conn.execute(select(table)).all()
            out[table.name] = [tuple(row) for row in rows]
            if "team_id" in table.c:
                index = list(table.c.keys()).index("team_id")
                out[table.name + "#A"] = sorted((r for r in out[table.name] if r[index] == TEAM_ID), key=repr)
    return out


def _assert_team_a_untouched(before: dict[str, list[tuple[Any, ...]]], after: dict[str, list[tuple[Any, ...]]]) -> None:
    for name, rows in before.items():
        if name.endswith("#A"):
            assert after.get(name) == rows, f"team A rows of {name[:-2]} changed"
        else:
            present = {repr(r) for r in after.get(name, [])}
            missing = [r for r in rows if repr(r) not in present]
            assert not missing, f"rows of {name} changed or vanished: {missing[:3]}"


def _quiesce(box: SlackSandbox, quiet: float = 0.4, limit: float = 15.0) -> None:
    """Wait until listener work that continues after the ack has stopped calling the sandbox."""
    deadline = time.time() + limit
    while time.time() < deadline:
        last = max((a.at for a in box.attempts), default=0.0)
        if time.time() - last > quiet:
            return
        time.sleep(0.1)


@pytest.fixture
def guarded(
    fuzz_app: tuple[RunningApp, SlackDriver, int], caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> Iterator[tuple[RunningApp, SlackDriver, int]]:
    """Per test: no traceback in the log (WARNING+) or on stderr, and team A's rows unchanged afterwards."""
    app, _, _ = fuzz_app
    before = _snapshot(app)
    with caplog.at_level(logging.WARNING):
        yield fuzz_app
        _quiesce(app.sandbox)
    bad = [
        r
        for r in caplog.records
        if r.exc_info or r.exc_text or "Traceback" in r.getMessage() or "unexpected error" in r.getMessage()
    ]
    assert not bad, [f"{r.name}: {r.getMessage()[:200]}" for r in bad[:5]]
    _, err = capfd.readouterr()
    assert "Traceback" not in err, err[-2000:]
    _assert_team_a_untouched(before, _snapshot(app))


def _check(response: Response) -> None:
    assert response.status < 500, (response.status, response.body[:300], response.request_body[:300])
    assert 200 <= response.status < 300 or 400 <= response.status < 500, response.status
    if response.status == 200 and response.body.strip().startswith("{"):
        answer = json.loads(response.body)
        assert isinstance(answer, dict)
        assert "Traceback" not in response.body


# ---------------------------------------------------------------------------------------------- strategies

junk_text = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=60))
weird = st.one_of(
    st.none(),
    st.integers(),
    st.floats(allow_nan=False),
    st.booleans(),
    junk_text,
    st.lists(junk_text, max_size=3),
    st.dictionaries(st.sampled_from(["id", "value", "type", "name"]), junk_text, max_size=3),
)
users = st.sampled_from([ALICE.user_id, BOB.user_id, EVE, COORDINATOR, "U0NOBODY01", "W0ENTERPR1"])
teams = st.sampled_from([TEAM_B, TEAM_B, TEAM_B, "T0THIRD01"])
ids_or_junk = st.one_of(st.sampled_from(ALL_IDS), junk_text)


@st.composite
def mutated(draw: st.DrawFn, payload: dict[str, Any]) -> dict[str, Any]:
    """Drop, retype or add a few fields anywhere in ``payload`` (at most two levels deep)."""
    for _ in range(draw(st.integers(0, 3))):
        target: Any = payload
        for _depth in range(draw(st.integers(0, 2))):
            children = [k for k, v in target.items() if isinstance(v, dict)] if isinstance(target, dict) else []
            if not children:
                break
            target = target[draw(st.sampled_from(sorted(children)))]
        if not isinstance(target, dict):
            continue
        keys = sorted(target)
        action = draw(st.sampled_from(["drop", "retype", "add"]))
        if action == "drop" and keys:
            target.pop(draw(st.sampled_from(keys)))
        elif action == "retype" and keys:
            target[draw(st.sampled_from(keys))] = draw(weird)
        else:
            target[draw(junk_text)] = draw(weird)
    return payload


def _state(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(
        st.sampled_from(["plain_text_input", "static_select", "multi_static_select", "datepicker", "checkboxes"])
    )
    state: dict[str, Any] = {"type": kind}
    if kind == "plain_text_input":
        state["value"] = draw(st.one_of(junk_text, weird))
    elif kind == "static_select":
        state["selected_option"] = draw(st.one_of(st.none(), st.fixed_dictionaries({"value": junk_text}), weird))
    elif kind == "datepicker":
        state["selected_date"] = draw(st.one_of(st.sampled_from(["2026-02-30", "2026-03-01", "0000-00-00"]), weird))
    else:
        state["selected_options"] = draw(st.one_of(st.lists(st.fixed_dictionaries({"value": junk_text})), weird))
    return state


@st.composite
def interactions(draw: st.DrawFn, pair_id: int) -> dict[str, Any]:
    """A block_actions / view_submission / view_closed / shortcut payload from team B, then mutated."""
    kind = draw(st.sampled_from(["block_actions", "view_submission", "view_closed", "shortcut", "message_action"]))
    user = draw(users)
    team = draw(teams)
    reference = draw(st.sampled_from([str(pair_id), json.dumps({"pair_id": pair_id}), f"{pair_id}:1", ""]))
    payload: dict[str, Any] = {
        "type": kind,
        "user": {"id": user, "team_id": team, "name": "x"},
        "team": {"id": team, "domain": "other"},
        "api_app_id": "A0MENTORBOT",
        "token": "verification_token",
        "trigger_id": f"1.{int(time.time())}.fuzz",
    }
    if kind == "block_actions":
        payload["actions"] = [
            {
                "action_id": draw(ids_or_junk),
                "block_id": draw(ids_or_junk),
                "type": draw(st.sampled_from(["button", "static_select", "overflow"])),
                "value": draw(st.one_of(st.just(reference), junk_text)),
                "selected_option": {"value": draw(st.one_of(st.just(reference), junk_text))},
            }
        ]
        payload["container"] = {"type": "message", "channel_id": "D0FUZZ", "message_ts": "1.2"}
        payload["channel"] = {"id": "D0FUZZ"}
    elif kind in ("view_submission", "view_closed"):
        block_ids = draw(st.lists(st.sampled_from(ALL_IDS), max_size=6, unique=True))
        payload["view"] = {
            "id": "V0FUZZ",
            "type": "modal",
            "callback_id": draw(st.one_of(st.sampled_from(VIEW_IDS), junk_text)),
            "private_metadata": draw(st.one_of(st.just(reference), junk_text)),
            "state": {"values": {b: {ids.INPUT: _state(draw)} for b in block_ids}},
            "blocks": [],
            "team_id": team,
        }
    else:
        payload["callback_id"] = draw(ids_or_junk)
    return draw(mutated(payload))


@st.composite
def events(draw: st.DrawFn) -> dict[str, Any]:
    """An Events API envelope from team B, then mutated."""
    event_type = draw(
        st.sampled_from(["app_home_opened", "message", "member_joined_channel", "app_uninstalled", "tokens_revoked"])
    )
    user = draw(users)
    event: dict[str, Any] = {"type": event_type, "user": user, "channel": "D0FUZZ", "tab": "home", "text": "hi"}
    if event_type == "tokens_revoked":
        event["tokens"] = {"bot": [user]}
    payload = {
        "type": "event_callback",
        "team_id": draw(teams),
        "api_app_id": "A0MENTORBOT",
        "event": event,
        "event_id": f"Ev{draw(st.integers(0, 10**9))}",
        "event_time": int(time.time()),
    }
    return draw(mutated(payload))


# ---------------------------------------------------------------------------------------------- tests


@SETTINGS
@given(
    fields=st.dictionaries(
        st.sampled_from(["command", "text", "user_id", "team_id", "trigger_id", "channel_id", "response_url", "zz"]),
        junk_text,
        max_size=8,
    ),
    subcommand=st.sampled_from(SUBCOMMANDS),
    arg=junk_text,
    user=users,
    team=teams,
    repeat=st.booleans(),
    sign=st.sampled_from([True, True, True, False]),
)
def test_slash_commands_from_another_workspace(
    guarded: tuple[RunningApp, SlackDriver, int],
    fields: dict[str, str],
    subcommand: str,
    arg: str,
    user: str,
    team: str,
    repeat: bool,
    sign: bool,
) -> None:
    _, driver, _ = guarded
    base = {
        "command": "/mentor",
        "text": f"{subcommand} {arg}".strip(),
        "user_id": user,
        "user_name": "x",
        "team_id": team,
        "channel_id": "C0GENERAL",
        "trigger_id": driver.new_trigger_id(user),
        "response_url": driver.new_response_url(),
    }
    for key, value in fields.items():
        if key in ("command", "user_id", "team_id") and value and not sign:
            continue
        base[key] = value
    if fields.get("team_id") == TEAM_ID:  # a forged team A id is only possible with the secret; stay in team B
        base["team_id"] = team
    body = urlencode(list(base.items()) + ([("user_id", ALICE.user_id)] if repeat else []))
    _check(driver.post(body, FORM, sign=sign))


@SETTINGS
@given(data=st.data(), sign=st.sampled_from([True, True, True, False]))
def test_interaction_payloads_from_another_workspace(
    guarded: tuple[RunningApp, SlackDriver, int], data: st.DataObject, sign: bool
) -> None:
    _, driver, pair_id = guarded
    payload = data.draw(interactions(pair_id))
    if isinstance(payload.get("team"), dict) and payload["team"].get("id") == TEAM_ID:
        payload["team"]["id"] = TEAM_B
    _check(driver.post(urlencode({"payload": json.dumps(payload)}), FORM, sign=sign))


@SETTINGS
@given(payload=events(), sign=st.sampled_from([True, True, True, False]))
def test_events_from_another_workspace(
    guarded: tuple[RunningApp, SlackDriver, int], payload: dict[str, Any], sign: bool
) -> None:
    _, driver, _ = guarded
    if payload.get("team_id") == TEAM_ID:
        payload["team_id"] = TEAM_B
    _check(driver.post(json.dumps(payload), "application/json", sign=sign))


@SETTINGS
@given(
    raw=st.one_of(
        st.binary(max_size=300),
        st.text(max_size=300),
        st.sampled_from(["{", "[]", "null", "1", '"x"', "[{}]", '{"type": []}', "{" * 5000 + "}" * 5000]),
        st.builds(lambda s: "payload=" + s, st.sampled_from(["[1,2]", "null", "%7B", "{", "{}", '"x"', "%5B%5D"])),
        st.builds(lambda s: "payload=" + json.dumps(s), weird),
        st.builds(urlencode, st.lists(st.tuples(st.sampled_from(["payload", "command", "x"]), junk_text), max_size=4)),
    ),
    content_type=st.sampled_from([FORM, "application/json", "text/plain", "", "multipart/form-data", FORM + "; x"]),
    sign=st.booleans(),
)
def test_raw_bodies_and_content_types(
    guarded: tuple[RunningApp, SlackDriver, int], raw: bytes | str, content_type: str, sign: bool
) -> None:
    _, driver, _ = guarded
    body = raw if isinstance(raw, str) else raw.decode("latin-1")
    _check(driver.post(body, content_type, sign=sign))


def test_bodies_over_one_megabyte_are_refused_unread(guarded: tuple[RunningApp, SlackDriver, int]) -> None:
    _, driver, _ = guarded
    big = urlencode({"payload": json.dumps({"type": "block_actions", "x": "a" * MAX_BODY})})
    for sign in (True, False):
        response = driver.post(big, FORM, sign=sign)
        assert response.status == 413, response.status


def test_known_malformed_shapes_get_400(guarded: tuple[RunningApp, SlackDriver, int]) -> None:
    """The cases a bare Bolt app answers with 500 (it parses before it checks the signature)."""
    _, driver, _ = guarded
    cases = [
        ("payload=%7Bnot-json", FORM),
        ("payload=%5B1%2C2%5D", FORM),  # payload= with a JSON array
        ("[1, 2, 3]", "application/json"),  # a JSON body that is not an object
        (json.dumps({"type": "block_actions", "user": "U0EVE00009", "team": None, "actions": []}), "application/json"),
        (urlencode({"payload": json.dumps({"type": "view_submission", "user": {"id": EVE}, "team": None})}), FORM),
        (
            urlencode({"payload": json.dumps({"type": "block_actions", "user": {"id": EVE}, "team": {"id": TEAM_B}})}),
            FORM,
        ),
        (json.dumps({"type": "event_callback", "team_id": TEAM_B, "event": "app_home_opened"}), "application/json"),
    ]
    for body, content_type in cases:
        unsigned = driver.post(body, content_type, sign=False)
        assert unsigned.status == 401, (body, unsigned.status)
        signed = driver.post(body, content_type)
        assert signed.status == 400, (body, signed.status, signed.body)
