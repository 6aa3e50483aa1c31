"""Each message is worded for the person who reads it, through the real app: match reasons for the mentee, the
mentor, the pair and the coordinators; merged shared hours; plurals; invitations that fit what happened;
advice that fits the reason; exact figures on a coordinator's own Home."""

from __future__ import annotations

import json
import re
import time
from dataclasses import replace
from datetime import timedelta
from typing import Any

from bot import ids
from bot.sandbox import driver as slack
from storage.vocab import PairStatus
from tests.conftest import COORDINATOR, RunningApp
from tests.flows import eventually, freeze, message_with, open_modal_from, pair_by_hand, run_until, submit
from tests.helpers import ALICE, BOB, sign_up
from tests.round_steps import show_tab
from tests.test_matching_flow import CAROL, ERIN, _preview, _signup_cohort
from tests.test_mentee_choice import _choice_cohort, _pick, _request_to, _shortlist


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _texts(app: RunningApp, channel: str) -> str:
    return _dump(app.sandbox.messages_in(channel))


# ---------------------------------------------------------------------- match reasons, per reader


def test_the_preview_and_the_pairs_dm_speak_of_both_people_not_to_the_mentee(app: RunningApp) -> None:
    _signup_cohort(app)
    started = time.time()
    app.driver.slash_command(COORDINATOR, "match")
    view = _preview(app, after=started)
    preview = _dump(view)
    assert f"<@{ALICE.user_id}> wants to learn python and system design; <@{BOB.user_id}> offers them" in preview
    assert "you want" not in preview and "your time" not in preview
    unmatched = _dump(show_tab(app, view, "unmatched"))
    assert f"no mentor speaks a language <@{ERIN.user_id}> listed" in unmatched  # not "...with you"
    assert app.driver.view_submission(COORDINATOR, view, {}).status == 200
    kickoff = eventually(
        lambda: [
            c
            for c in app.sandbox.calls_for("chat.postMessage")
            if "Meet your mentorship partner" in str(c.args) and ALICE.user_id in str(c.args)
        ]
    )[0]
    text = _dump(kickoff.args["blocks"])
    assert f"<@{ALICE.user_id}> wants to learn python and system design; <@{BOB.user_id}> offers them" in text
    assert "you want" not in text and "your time" not in text


def test_a_shortlist_speaks_to_the_mentee_and_a_request_to_the_mentor(app: RunningApp) -> None:
    _choice_cohort(app)
    app.driver.slash_command(COORDINATOR, "match")
    shortlist = _shortlist(app, ALICE.user_id)
    assert f"<@{BOB.user_id}> offers python and system design, which you want to learn" in _dump(shortlist)
    request_id = _pick(app, ALICE.user_id, BOB.user_id)
    text = _dump(_request_to(app, BOB.user_id, request_id)["blocks"])
    assert "They want to learn python and system design, which you offer" in text
    assert "you want" not in text


# ---------------------------------------------------------------------- shared hours, merged


def test_back_to_back_hours_read_as_one_window(app: RunningApp) -> None:
    freeze(app)
    app.sandbox.add_user(COORDINATOR, name="cora", real_name="Cora Coordinator", tz="Europe/London")
    mentee = replace(ALICE, timezone="Europe/Berlin", days=("fri",), time_slots=("midday", "afternoon"))
    mentor = replace(BOB, timezone="Europe/Berlin", days=("fri",), time_slots=("midday", "afternoon"))
    sign_up(app, mentee)
    sign_up(app, mentor)
    pair = pair_by_hand(app, mentee.user_id, mentor.user_id)
    text = _texts(app, pair.channel_id)
    assert "(Europe/Berlin): Fri 12:00-17:00" in text
    assert "12:00-14:00" not in text and "14:00-17:00" not in text


# ---------------------------------------------------------------------- what happened decides what is offered


MENTEES = [replace(ALICE, user_id=f"U0MENTEE0{n}", name=f"Mentee{n} Person") for n in (1, 2, 3)]
MENTORS = [replace(BOB, user_id=f"U0MENTOR0{n}", name=f"Mentor{n} Person", capacity=1) for n in (1, 2, 3)]


def _log_meeting(app: RunningApp, pair: Any, user_id: str) -> None:
    view = open_modal_from(app, user_id, ids.PAIR_LOG_MEETING, message_with(app, pair.channel_id, ids.PAIR_LOG_MEETING))
    states = {
        ids.MEETING_DATE: slack.date_value(app.services.now().date().isoformat()),
        ids.MEETING_DURATION: slack.select_value("60"),
    }
    assert submit(app, user_id, view, states) is None


def test_only_a_mentee_whose_pair_met_and_fitted_is_asked_to_mentor_and_counts_read_right(app: RunningApp) -> None:
    freeze(app)
    app.sandbox.add_user(COORDINATOR, name="cora", real_name="Cora Coordinator", tz="Europe/London")
    for person in (*MENTEES, *MENTORS):
        sign_up(app, person)
    met, silent, mismatch = (pair_by_hand(app, e.user_id, m.user_id) for e, m in zip(MENTEES, MENTORS, strict=True))
    _log_meeting(app, met, MENTEES[0].user_id)
    _log_meeting(app, mismatch, MENTEES[2].user_id)  # one meeting, then "not a fit"
    run_until(app, app.services.now() + timedelta(hours=1))  # the fit checks after a first meeting
    fit = eventually(lambda: message_with(app, MENTEES[2].user_id, ids.FIT_NOT))
    assert app.driver.block_action(MENTEES[2].user_id, ids.FIT_NOT, message=fit).status == 200
    eventually(lambda: "Not a fit" in _dump([c.args for c in app.sandbox.calls_for("chat.update")]))

    for _ in range(7):  # the first pair keeps meeting every few weeks
        run_until(app, app.services.now() + timedelta(days=25))
        _log_meeting(app, met, MENTORS[0].user_id)
    run_until(app, app.services.now() + timedelta(days=30))
    invited = {
        e.user_id for e in MENTEES if any(ids.BECOME_MENTOR in _dump(m) for m in app.sandbox.messages_to(e.user_id))
    }
    assert invited == {MENTEES[0].user_id}  # never after silence or "not a fit"
    # one meeting reads "1 meeting" wherever it is counted
    dm = _texts(app, mismatch.channel_id)
    assert "You've logged 1 meeting so far" in dm and "1 meetings" not in dm
    assert "*Meetings held:* 1 (1 hour)" in dm
    assert any(m["text"].endswith(": 1 meeting held.") for m in app.sandbox.messages_in(mismatch.channel_id))
    assert "You've logged 0 meetings so far" in _texts(app, silent.channel_id)


# ---------------------------------------------------------------------- unmatched people


def test_a_mentee_without_a_mentor_is_not_told_beyond_your_mentor(app: RunningApp) -> None:
    _signup_cohort(app)
    sign_up(app, replace(BOB, user_id="U0FRED0006", name="Fred Mentor", capacity=1))  # someone for Alice to meet
    started = time.time()
    app.driver.slash_command(COORDINATOR, "match")
    view = _preview(app, after=started)
    assert app.driver.view_submission(COORDINATOR, view, {}).status == 200  # Erin is left unmatched (language)

    def nudge(user_id: str) -> dict[str, Any] | None:
        found = [m for m in app.sandbox.messages_to(user_id) if "worth meeting this month" in m["text"]]
        return found[-1] if found else None

    paired = eventually(lambda: nudge(ALICE.user_id))
    assert "beyond your mentor" in paired["text"]
    alone = eventually(lambda: nudge(ERIN.user_id))
    assert "mentor" not in alone["text"]


# ---------------------------------------------------------------------- the coordinator's own Home


def test_a_coordinators_home_names_the_at_risk_pair_with_exact_counts(app: RunningApp) -> None:
    freeze(app)
    app.sandbox.add_user(COORDINATOR, name="cora", real_name="Cora Coordinator", tz="Europe/London")
    sign_up(app, ALICE)
    sign_up(app, BOB)
    sign_up(app, CAROL)
    pair = pair_by_hand(app, ALICE.user_id, BOB.user_id)
    run_until(app, app.services.now() + timedelta(days=45))  # silent: at risk
    assert app.driver.app_home_opened(COORDINATOR).status == 200
    home = eventually(
        lambda: ids.PAIR_DO_NUDGE in _dump(app.sandbox.home_view(COORDINATOR)) and app.sandbox.home_view(COORDINATOR)
    )
    text = _dump(home)
    assert "fewer than 5" not in text and "hidden" not in text
    assert f"<@{ALICE.user_id}> with mentor <@{BOB.user_id}>" in text
    assert re.search(r"At risk 1\b", text) and "*Pairs at risk* (1)" in text
    assert "*Waiting:* 0 mentees, 1 mentor" in text  # Carol, with nobody to mentor: exact and singular
    with app.sessions() as session:
        from storage.models import Pair

        assert session.get(Pair, pair.id).status == PairStatus.AT_RISK
