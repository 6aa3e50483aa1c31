"""Introductions that can't be used to pester, and declines that stay private, through the real app.

The target's do-not-pair list and "suggestions off" are honoured (with one answer for both, so the requester
never learns which); an ask that led to nothing blocks the same ask for 90 days, declined or expired alike;
nobody is asked more than 3 times a month. A decline reads like an expiry at the same time, in my-data too.
"""

from __future__ import annotations

import json
import time
from dataclasses import replace
from datetime import timedelta
from typing import Any

from bot import ids, networking
from bot.clock import SimulatedClock
from bot.dispatch import Dispatcher
from bot.lifecycle import simulate
from bot.privacy import NOT_AVAILABLE
from storage.models import MatchRequest
from storage.vocab import MatchRequestStatus
from tests.conftest import RunningApp
from tests.helpers import ALICE, BOB
from tests.test_mentee_choice import _choice_cohort, _click, _pick, _request_to, _start
from tests.test_privacy_leave import command, join

CAROL = replace(BOB, user_id="U0CAROL003", name="Carol")
DAN = replace(BOB, user_id="U0DAN00004", name="Dan")
ERIN = replace(BOB, user_id="U0ERIN0005", name="Erin")
GINA = replace(BOB, user_id="U0GINA0007", name="Gina")


def people(app: RunningApp, *profiles: Any) -> SimulatedClock:
    clock = SimulatedClock(app.services.now())
    app.services.clock = clock
    for profile in profiles:
        join(app, profile, slack_name=profile.name.lower())
    return clock


def asked(app: RunningApp, user_id: str) -> list[dict[str, Any]]:
    """The introduction asks posted to a person (with the accept button), as posted."""
    return [
        c.args
        for c in app.sandbox.calls_for("chat.postMessage")
        if c.args.get("channel") == user_id and ids.INTRO_ACCEPT in json.dumps(c.args.get("blocks") or [])
    ]


def my_data(app: RunningApp, user_id: str) -> dict[str, Any]:
    before = len(app.sandbox.uploaded_files)
    assert app.driver.slash_command(user_id, "my-data").status == 200
    app.sandbox.wait_for("files.completeUploadExternal", lambda c: len(app.sandbox.uploaded_files) > before)
    return json.loads(app.sandbox.uploaded_files[-1].content)["tables"]


def test_intros_honour_the_targets_list_and_suggestions_off_with_one_answer(app: RunningApp) -> None:
    people(app, ALICE, CAROL, DAN)
    command(app, CAROL.user_id, f"avoid <@{ALICE.user_id}>")  # Carol's confidential list names Alice
    command(app, DAN.user_id, "suggestions off")
    to_carol = command(app, ALICE.user_id, f"intro <@{CAROL.user_id}> design")["text"]
    to_dan = command(app, ALICE.user_id, f"intro <@{DAN.user_id}> design")["text"]
    assert to_carol == networking.not_taking_text(CAROL.user_id)
    assert to_dan == networking.not_taking_text(DAN.user_id)  # same words: the list is never revealed
    time.sleep(0.3)
    assert asked(app, CAROL.user_id) == [] and asked(app, DAN.user_id) == []
    command(app, DAN.user_id, "suggestions on")
    assert "privately" in command(app, ALICE.user_id, f"intro <@{DAN.user_id}>")["text"]


def test_an_ask_that_led_nowhere_blocks_the_same_ask_for_90_days(app: RunningApp) -> None:
    clock = people(app, ALICE, CAROL, DAN)
    command(app, ALICE.user_id, f"intro <@{CAROL.user_id}> design")
    command(app, ALICE.user_id, f"intro <@{DAN.user_id}> design")
    simulate.wait(lambda: asked(app, CAROL.user_id))
    ask = simulate.find_button(app.sandbox.messages_to(CAROL.user_id), ids.INTRO_DECLINE)
    app.driver.block_action(CAROL.user_id, ids.INTRO_DECLINE, message=ask)  # Carol declines, Dan never answers
    app.sandbox.wait_for("chat.update", lambda c: c.args.get("ts") == ask["ts"])
    clock.advance(networking.INTRO_TTL + timedelta(minutes=1))
    assert Dispatcher(app.services).run_until_idle(clock()).sent == 2
    again_carol = command(app, ALICE.user_id, f"intro <@{CAROL.user_id}> please")["text"]
    again_dan = command(app, ALICE.user_id, f"intro <@{DAN.user_id}> please")["text"]
    assert "you can ask them again from" in again_carol
    assert again_carol.replace(CAROL.user_id, "X") == again_dan.replace(DAN.user_id, "X")  # decline == expiry
    assert len(asked(app, CAROL.user_id)) == 1 and len(asked(app, DAN.user_id)) == 1
    clock.advance(networking.REASK_AFTER)
    assert "privately" in command(app, ALICE.user_id, f"intro <@{CAROL.user_id}> a while later")["text"]
    assert simulate.wait(lambda: len(asked(app, CAROL.user_id)) == 2)


def test_nobody_is_asked_more_than_three_times_a_month(app: RunningApp) -> None:
    requesters = [replace(ALICE, user_id=f"U0ASKER{n:03d}", name=f"Asker{n}") for n in range(4)]
    clock = people(app, GINA, *requesters)
    for requester in requesters[:3]:
        assert "privately" in command(app, requester.user_id, f"intro <@{GINA.user_id}>")["text"]
    fourth = command(app, requesters[3].user_id, f"intro <@{GINA.user_id}>")["text"]
    assert "several introduction requests lately" in fourth
    assert simulate.wait(lambda: len(asked(app, GINA.user_id)) == 3)
    time.sleep(0.2)
    assert len(asked(app, GINA.user_id)) == 3
    clock.advance(networking.ASK_WINDOW + timedelta(days=1))
    assert "privately" in command(app, requesters[3].user_id, f"intro <@{GINA.user_id}>")["text"]


def test_my_data_never_tells_a_decline_from_an_expiry(app: RunningApp) -> None:
    clock = people(app, ALICE, CAROL, DAN)
    command(app, ALICE.user_id, f"intro <@{CAROL.user_id}> design")
    command(app, ALICE.user_id, f"intro <@{DAN.user_id}> design")
    simulate.wait(lambda: asked(app, CAROL.user_id))
    ask = simulate.find_button(app.sandbox.messages_to(CAROL.user_id), ids.INTRO_DECLINE)
    app.driver.block_action(CAROL.user_id, ids.INTRO_DECLINE, message=ask)
    app.sandbox.wait_for("chat.update", lambda c: c.args.get("ts") == ask["ts"])
    shown = my_data(app, ALICE.user_id)["introduction"]
    assert [(i["status"], i["decided_at"]) for i in shown] == [("pending", None), ("pending", None)]
    clock.advance(networking.INTRO_TTL + timedelta(minutes=1))
    Dispatcher(app.services).run_until_idle(clock())
    shown = my_data(app, ALICE.user_id)["introduction"]
    assert {i["status"] for i in shown} == {NOT_AVAILABLE}
    assert [i["decided_at"] for i in shown] == [i["expires_at"] for i in shown]
    assert "declined" not in json.dumps(shown) and "expired" not in json.dumps(shown)
    # the person asked still sees their own answer
    assert my_data(app, CAROL.user_id)["introduction"][0]["status"] == "declined"


def test_a_mentors_decline_in_mentee_choice_reads_like_an_expiry_in_my_data(app: RunningApp) -> None:
    clock = _choice_cohort(app)
    _start(app)
    request_id = _pick(app, ALICE.user_id, BOB.user_id)
    _click(app, BOB.user_id, ids.CHOICE_DECLINE, request_id, _request_to(app, BOB.user_id, request_id))

    def status() -> str:
        with app.sessions() as session:
            return str(session.get(MatchRequest, int(request_id)).status)

    simulate.wait(lambda: status() == MatchRequestStatus.DECLINED)
    mine = {r["mentor_user_id"]: r["status"] for r in my_data(app, ALICE.user_id)["match_request"]}
    assert mine[BOB.user_id] == MatchRequestStatus.REQUESTED
    Dispatcher(app.services).run_until_idle(clock.advance(timedelta(days=4, hours=1)))
    mine = {r["mentor_user_id"]: r["status"] for r in my_data(app, ALICE.user_id)["match_request"]}
    assert mine[BOB.user_id] == NOT_AVAILABLE
