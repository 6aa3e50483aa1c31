"""/mentor log and /mentor goals act on the pair whose conversation they were typed in (defect 8); a pair reads
its own meeting notes on App Home (defect 5).

A small cohort is built by the scenario runner (signups, the round and the coordinator's hand pairs all go through
the real app); then the busiest mentor types the commands.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from bot import ids
from bot.sandbox.ledger import Cast
from bot.sandbox.scenario import Scenario, ScenarioConfig

pytestmark = pytest.mark.timeout(600)


@pytest.fixture(scope="module")
def cohort() -> Iterator[Scenario]:
    with Scenario(ScenarioConfig(people=14, days=8, seed=5, late_joiners=0, mix=())) as run:
        run.setup()
        run.sign_up()
        run.run_days(12)  # the round on day 5, hand pairs, kickoffs on day 7, first meetings (with notes) on day 10
        yield run


def _mentor(run: Scenario) -> tuple[str, list[int], dict[int, str]]:
    (mentor,) = [p.user_id for p in run.ledger.people.values() if Cast.MULTI_MENTOR in p.casts]
    pairs = run.ledger.pairs_of(mentor)
    assert len(pairs) >= 2
    return mentor, [p.pair_id for p in pairs], {p.pair_id: p.channel for p in pairs}


def _opened_for(run: Scenario, user: str, text: str, channel: str) -> tuple[dict | None, str]:
    before = len(run.sandbox.views_opened(user))
    response = run.driver.slash_command(user, text, channel_id=channel)
    run.executor.wait_idle()
    opened = run.sandbox.views_opened(user)[before:]
    return (opened[-1] if opened else None), response.body


@pytest.mark.parametrize(("command", "callback"), [("log", ids.MEETING_VIEW), ("goals", ids.GOALS_VIEW)])
def test_a_command_in_a_pairs_conversation_acts_on_that_pair(cohort: Scenario, command: str, callback: str) -> None:
    mentor, pair_ids, channels = _mentor(cohort)
    for pair_id in reversed(pair_ids):  # the newest first: the oldest pair was the old default
        view, _ = _opened_for(cohort, mentor, command, channels[pair_id])
        assert view is not None and view["callback_id"] == callback
        assert str(view["private_metadata"]).split("|")[0] == str(pair_id)


@pytest.mark.parametrize(("command", "action_id"), [("log", ids.HOME_PAIR_LOG), ("goals", ids.HOME_PAIR_GOALS)])
def test_a_command_typed_elsewhere_asks_which_pair(cohort: Scenario, command: str, action_id: str) -> None:
    mentor, pair_ids, _ = _mentor(cohort)
    view, body = _opened_for(cohort, mentor, command, "C0GENERAL")
    assert view is None  # nothing opened for a pair chosen by guess
    answer = json.loads(body)
    buttons = [
        b["accessory"]
        for b in answer["blocks"]
        if isinstance(b.get("accessory"), dict) and b["accessory"].get("action_id") == action_id
    ]
    assert sorted(int(b["value"]) for b in buttons) == sorted(pair_ids)
    assert "Which one" in answer["text"]
    chosen = pair_ids[-1]
    before = len(cohort.sandbox.views_opened(mentor))
    message = {"blocks": answer["blocks"], "ts": "1.000001", "channel": "C0GENERAL"}
    cohort.driver.block_action(mentor, action_id, message=message, value=str(chosen))
    cohort.executor.wait_idle()
    opened = cohort.sandbox.views_opened(mentor)[before:]
    assert opened and str(opened[-1]["private_metadata"]).split("|")[0] == str(chosen)


def test_a_person_with_one_pair_needs_no_channel(cohort: Scenario) -> None:
    single = next(p for p in cohort.ledger.pairs.values() if len(cohort.ledger.pairs_of(p.mentee)) == 1)
    view, _ = _opened_for(cohort, single.mentee, "log", "C0GENERAL")
    assert view is not None and str(view["private_metadata"]).split("|")[0] == str(single.pair_id)


def test_the_pair_reads_its_meeting_notes_on_app_home(cohort: Scenario) -> None:
    pair = next(p for p in cohort.ledger.pairs.values() if p.notes)
    for user in pair.members():
        home = json.dumps(cohort.sandbox.home_view(user) or {})
        assert "Your meeting notes" in home and pair.notes[0] in home
    others = [u for u in cohort.ledger.people if u not in pair.members()]
    assert all(pair.notes[0] not in json.dumps(cohort.sandbox.home_view(u) or {}) for u in others)
