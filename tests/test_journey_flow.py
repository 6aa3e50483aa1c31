"""The pair's journey through signed Slack requests to the real app, with a fake clock and the outbox dispatcher.

Each test signs two people up, publishes a pair the way matching does (a ``pair`` row, then ``start_pair``),
and runs the program by moving the clock to each due prompt and ticking the dispatcher: months in seconds.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from bot import ids
from bot.dispatch import Dispatcher
from bot.lifecycle.plan import start_pair
from bot.lifecycle.planning import Person, in_windows
from bot.matchmaking import load_pool
from bot.sandbox import driver as slack
from storage import journey as store
from storage.models import Meeting, Pair, PairGoals, PairJourney, Participant, PrivateAnswer, ScheduledPrompt
from storage.vocab import (
    AnswerKind,
    Cadence,
    CloseReason,
    FitAnswer,
    GoalProgress,
    GoalsStatus,
    PairRole,
    PairStatus,
    PromptKind,
    PromptStatus,
    Role,
)
from tests.conftest import COORDINATOR, TEAM_ID, RunningApp
from tests.helpers import ALICE, BOB, sign_up

# Monday 2 March 2026, 08:00 UTC: the US changes clocks on 8 March, Europe on 29 March.
START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
EU_DST = datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
MENTEE, MENTOR = ALICE.user_id, BOB.user_id


@dataclass
class Clock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now


@dataclass
class World:
    app: RunningApp
    clock: Clock
    pair_id: int
    dispatcher: Dispatcher
    sent: list[ScheduledPrompt] = field(default_factory=list)

    @property
    def channel(self) -> str:
        return self.pair().channel_id

    def pair(self) -> Pair:
        with self.app.sessions() as session:
            pair = session.get(Pair, self.pair_id)
            assert pair is not None
            return pair

    def journey(self) -> PairJourney:
        with self.app.sessions() as session:
            journey = store.get_journey(session=session, pair_id=self.pair_id)
            assert journey is not None
            return journey

    def pending(self, kind: str | None = None) -> list[ScheduledPrompt]:
        with self.app.sessions() as session:
            query = select(ScheduledPrompt).where(
                ScheduledPrompt.status == PromptStatus.PENDING, ScheduledPrompt.pair_id == self.pair_id
            )
            if kind:
                query = query.where(ScheduledPrompt.kind == kind)
            return list(session.exec(query.order_by(ScheduledPrompt.due_at)).all())

    def run_until(self, end: datetime) -> None:
        """Move the clock to each due prompt in turn and dispatch it, up to ``end``."""
        while True:
            due = [p for p in self.pending() if p.due_at <= end]
            if not due:
                break
            self.clock.now = max(self.clock.now, due[0].due_at)
            self.dispatcher.run_until_idle(self.clock.now)
            with self.app.sessions() as session:
                ids_sent = {p.id for p in self.sent}
                fresh = session.exec(select(ScheduledPrompt).where(ScheduledPrompt.status == PromptStatus.SENT)).all()
                self.sent += [p for p in fresh if p.id not in ids_sent]
        self.clock.now = max(self.clock.now, end)

    def advance(self, days: float) -> None:
        self.run_until(self.clock.now + timedelta(days=days))

    def dm(self) -> list[dict[str, Any]]:
        return self.app.sandbox.messages_in(self.channel)


def eventually(check: Callable[[], Any], timeout: float = 5.0) -> Any:
    """Poll until ``check`` returns something truthy (listener work continues after the ack)."""
    deadline = time.time() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.time() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.03)


def make_pair(app: RunningApp, clock: Clock) -> int:
    with app.sessions() as session:
        pair = Pair(
            team_id=TEAM_ID,
            mentee_user_id=MENTEE,
            mentor_user_id=MENTOR,
            score=0.82,
            reasons=["Bob offers python and system design, which Alice wants", "Both work in engineering"],
            created_at=clock.now,
        )
        session.add(pair)
        session.commit()
        start_pair(session=session, services=app.services, pair=pair, now=clock.now)
        return int(pair.id or 0)


@pytest.fixture
def world(app: RunningApp) -> World:
    return _world(app)


@pytest.fixture
def world_any_db(app_any_db: RunningApp) -> World:
    return _world(app_any_db)


def _world(app: RunningApp) -> World:
    sign_up(app, ALICE)
    sign_up(app, BOB)
    app.sandbox.add_user(COORDINATOR, name="cora", real_name="Cora Coordinator", tz="Europe/London")
    clock = Clock(START)
    app.services.clock = clock
    pair_id = make_pair(app, clock)
    w = World(app=app, clock=clock, pair_id=pair_id, dispatcher=Dispatcher(app.services))
    w.dispatcher.run_until_idle(clock.now)
    return w


def last_with(messages: list[dict[str, Any]], action_id: str) -> dict[str, Any]:
    for message in reversed(messages):
        if action_id in json.dumps(message.get("blocks") or []):
            return message
    raise AssertionError(f"no message with {action_id}")


def click(w: World, user_id: str, action_id: str, message: dict[str, Any]) -> None:
    assert w.app.driver.block_action(user_id, action_id, message=message).status == 200


def open_from(w: World, user_id: str, action_id: str, message: dict[str, Any] | None = None, *, view=None) -> dict:
    before = len(w.app.sandbox.views_opened(user_id))
    if view is not None:
        assert w.app.driver.block_action(user_id, action_id, view=view).status == 200
    else:
        click(w, user_id, action_id, message or {})
    return eventually(lambda: w.app.sandbox.views_opened(user_id)[before:])[-1]


def submit(w: World, user_id: str, view: dict[str, Any], states: dict[str, dict[str, Any]]) -> Any:
    values = slack.values_for(view, {})
    for block_id, state in states.items():
        values[block_id] = {ids.INPUT: state}
    response = w.app.driver.view_submission(user_id, view, values)
    assert response.status == 200
    return response.json()


def log_meeting(w: World, user_id: str, met_on: date, *, progress: dict[int, str] | None = None) -> None:
    view = open_from(w, user_id, ids.PAIR_LOG_MEETING, last_with(w.dm(), ids.PAIR_LOG_MEETING))
    states = {
        ids.MEETING_DATE: slack.date_value(met_on.isoformat()),
        ids.MEETING_DURATION: slack.select_value("45"),
        ids.MEETING_TOPICS: slack.text_value("career paths"),
    }
    for n, value in (progress or {}).items():
        states[ids.MEETING_PROGRESS.format(n=n)] = slack.radio_value(value)
    before = _count(w, Meeting)
    assert submit(w, user_id, view, states) is None
    eventually(lambda: _count(w, Meeting) > before)


def _count(w: World, model: type) -> int:
    with w.app.sessions() as session:
        return len(session.exec(select(model)).all())


# ---------------------------------------------------------------------- kickoff


def test_kickoff_opens_one_group_dm_and_introduces_the_pair_once(world_any_db: World) -> None:
    w = world_any_db
    opens = w.app.sandbox.calls_for("conversations.open")
    assert any(sorted(c.args["users"].split(",")) == sorted([MENTEE, MENTOR]) for c in opens)
    assert w.channel.startswith("G")
    intro = [m for m in w.dm() if "Meet your mentorship partner" in m["text"]]
    assert len(intro) == 1
    body = json.dumps(intro[0]["blocks"])
    assert f"<@{MENTEE}>" in body and f"<@{MENTOR}>" in body and "your *mentor*" in body
    assert "Bob offers python and system design" in body
    # overlap in each person's own time, for the coming week (9 March: New York on summer time, Berlin not yet):
    # Berlin Tue/Thu 14:00-17:00 (13-16 UTC) meets New York 09:00-12:00 EDT (13-16 UTC)
    assert "(Europe/Berlin): Tue/Thu 14:00-17:00" in body
    assert "(America/New_York): Tue/Thu 09:00-12:00" in body
    assert "first meeting" in body
    for action_id in (ids.PAIR_SET_GOALS, ids.PAIR_LOG_MEETING, ids.PAIR_PAUSE, ids.PAIR_CONCERN):
        assert action_id in body

    # a replayed publish, a restart (new dispatcher), more ticks: still one introduction
    with w.app.sessions() as session:
        pair = session.get(Pair, w.pair_id)
        start_pair(session=session, services=w.app.services, pair=pair, now=w.clock.now + timedelta(minutes=5))
    Dispatcher(w.app.services).run_until_idle(w.clock.now + timedelta(minutes=5))
    w.dispatcher.run_until_idle(w.clock.now + timedelta(minutes=6))
    assert len([m for m in w.dm() if "Meet your mentorship partner" in m["text"]]) == 1
    with w.app.sessions() as session:
        kickoffs = session.exec(select(ScheduledPrompt).where(ScheduledPrompt.kind == PromptKind.KICKOFF)).all()
        assert [p.idempotency_key for p in kickoffs] == [f"kickoff:{w.pair_id}"]
        assert len(session.exec(select(PairJourney)).all()) == 1
        # one plan: one pending check-in, two pulse surveys x 3, one closure
        pending = session.exec(select(ScheduledPrompt).where(ScheduledPrompt.status == PromptStatus.PENDING)).all()
    kinds = sorted(p.kind for p in pending)
    assert (
        kinds.count(PromptKind.CHECKIN) == 1
        and kinds.count(PromptKind.CLOSURE) == 1
        and kinds.count(PromptKind.SURVEY) == 6
    )


# ---------------------------------------------------------------------- goals


def goal_states(
    *, measure: str | None = "Runs two reviews", cadence: str = Cadence.WEEKLY
) -> dict[str, dict[str, Any]]:
    return {
        ids.GOAL_TITLE.format(n=1): slack.text_value("Lead a design review"),
        ids.GOAL_MEASURE.format(n=1): slack.text_value(measure),
        ids.GOAL_TARGET.format(n=1): slack.date_value("2026-06-30"),
        ids.GOAL_TITLE.format(n=2): slack.text_value("Speak at a meetup"),
        ids.GOAL_MEASURE.format(n=2): slack.text_value("One talk given"),
        ids.GOALS_CADENCE: slack.radio_value(cadence),
        ids.GOALS_CHANNEL: slack.radio_value("video"),
        ids.GOALS_MENTEE_COMMITS: slack.text_value("Bring an agenda"),
    }


def set_goals(w: World, proposer: str, confirmer: str, *, cadence: str = Cadence.WEEKLY) -> None:
    view = open_from(w, proposer, ids.PAIR_SET_GOALS, last_with(w.dm(), ids.PAIR_SET_GOALS))
    assert submit(w, proposer, view, goal_states(cadence=cadence)) is None
    proposal = eventually(lambda: [m for m in w.dm() if ids.GOALS_CONFIRM in json.dumps(m.get("blocks"))])[-1]
    click(w, confirmer, ids.GOALS_CONFIRM, proposal)
    eventually(lambda: any("confirmed your goals" in m["text"] for m in w.dm()))


def test_goals_are_proposed_validated_confirmed_by_the_other_and_reschedule_checkins(world: World) -> None:
    w = world
    first_checkin = w.pending(PromptKind.CHECKIN)[0].due_at
    view = open_from(w, MENTEE, ids.PAIR_SET_GOALS, last_with(w.dm(), ids.PAIR_SET_GOALS))
    assert view["callback_id"] == ids.GOALS_VIEW
    errors = submit(w, MENTEE, view, goal_states(measure=None))
    assert errors["response_action"] == "errors" and set(errors["errors"]) == {ids.GOAL_MEASURE.format(n=1)}
    time.sleep(0.2)
    assert _count(w, PairGoals) == 0

    assert submit(w, MENTEE, view, goal_states()) is None
    proposal = eventually(lambda: [m for m in w.dm() if ids.GOALS_CONFIRM in json.dumps(m.get("blocks"))])[-1]
    assert "Lead a design review" in json.dumps(proposal["blocks"]) and f"Only <@{MENTOR}> can confirm" in json.dumps(
        proposal["blocks"]
    )
    # the proposer cannot confirm their own goals
    click(w, MENTEE, ids.GOALS_CONFIRM, proposal)
    eventually(lambda: any("can confirm" in m["text"] for m in w.app.sandbox.ephemerals_for(MENTEE)))
    with w.app.sessions() as session:
        assert session.exec(select(PairGoals)).one().status == GoalsStatus.PROPOSED
    # the other person confirms; a double click changes nothing
    click(w, MENTOR, ids.GOALS_CONFIRM, proposal)
    click(w, MENTOR, ids.GOALS_CONFIRM, proposal)
    eventually(lambda: any("confirmed your goals" in m["text"] for m in w.dm()))
    time.sleep(0.2)
    assert len([m for m in w.dm() if "confirmed your goals" in m["text"]]) == 1
    with w.app.sessions() as session:
        goals = session.exec(select(PairGoals)).one()
    assert (goals.status, goals.confirmed_by, goals.cadence) == (GoalsStatus.CONFIRMED, MENTOR, Cadence.WEEKLY)
    assert [g["title"] for g in goals.goals] == ["Lead a design review", "Speak at a meetup"]
    # weekly cadence: the next check-in moved to about a week out, still inside both people's hours
    checkin = w.pending(PromptKind.CHECKIN)
    assert len(checkin) == 1 and checkin[0].due_at < first_checkin
    assert in_windows(checkin[0].due_at, Person(ALICE.timezone, ALICE.availability))
    # both App Homes show the goals and the log / goals / pause buttons
    for user_id in (MENTEE, MENTOR):
        home = eventually(lambda u=user_id: "Lead a design review" in json.dumps(w.app.sandbox.home_view(u)))
        assert home
        body = json.dumps(w.app.sandbox.home_view(user_id))
        assert ids.HOME_PAIR_LOG in body and ids.HOME_PAIR_GOALS in body and ids.HOME_PAIR_PAUSE in body
        assert "Next check-in" in body
    # editable: the modal reopens prefilled from the App Home
    again = open_from(w, MENTOR, ids.HOME_PAIR_GOALS, view=w.app.sandbox.home_view(MENTOR))
    title = next(b for b in again["blocks"] if b.get("block_id") == ids.GOAL_TITLE.format(n=1))
    assert title["element"]["initial_value"] == "Lead a design review"


def test_goals_reminder_after_a_week_only_without_goals(world: World) -> None:
    w = world
    w.advance(9)
    reminders = [m for m in w.dm() if "haven't set goals yet" in m["text"]]
    assert len(reminders) == 1


# ---------------------------------------------------------------------- check-ins, meetings, milestones, fit


def test_meeting_logged_moves_the_next_nudge_and_starts_the_fit_check(world: World) -> None:
    w = world
    set_goals(w, MENTEE, MENTOR, cadence=Cadence.BIWEEKLY)
    w.advance(10)  # Thursday 12 March
    assert not [m for m in w.dm() if "haven't set goals yet" in m["text"]]  # they have goals: no reminder
    planned = w.pending(PromptKind.CHECKIN)[0].due_at
    met = date(2026, 3, 12)
    log_meeting(w, MENTOR, met, progress={0: GoalProgress.DONE})
    moved = w.pending(PromptKind.CHECKIN)
    assert len(moved) == 1 and moved[0].due_at > planned
    assert moved[0].due_at >= datetime(2026, 3, 26, tzinfo=UTC)  # two weeks after the meeting
    celebration = eventually(lambda: [m for m in w.dm() if "first meeting is logged" in m["text"]])
    assert "Goal done: *Lead a design review*" in celebration[-1]["text"]
    # no check-in was sent in the meantime: pairs who meet are not nagged
    w.advance(12)
    assert not [m for m in w.dm() if "since last time" in m["text"]]

    # the private fit check went to each person's own DM
    fit_alice = last_with(w.app.sandbox.messages_to(MENTEE), ids.FIT_NOT)
    assert last_with(w.app.sandbox.messages_to(MENTOR), ids.FIT_GOOD)
    click(w, MENTEE, ids.FIT_NOT, fit_alice)
    note = eventually(lambda: [m for m in w.app.sandbox.messages_to(COORDINATOR) if "Not a fit" in m["text"]])
    assert f"<@{MENTEE}>" in note[-1]["text"]
    offer = eventually(
        lambda: [m for m in w.app.sandbox.messages_to(MENTEE) if ids.REMATCH_YES in json.dumps(m["blocks"])]
    )
    click(w, MENTEE, ids.REMATCH_YES, offer[-1])
    eventually(lambda: _participant(w, MENTEE).priority)
    # nothing of it reached the partner
    time.sleep(0.2)
    assert not [
        m for m in w.app.sandbox.messages_to(MENTOR) + w.dm() if "fit" in m["text"].lower() and "Not" in m["text"]
    ]
    with w.app.sessions() as session:
        answer = session.exec(select(PrivateAnswer).where(PrivateAnswer.kind == AnswerKind.FIT)).one()
    assert (answer.respondent_user_id, answer.answers) == (MENTEE, {"fit": FitAnswer.NOT})


def _participant(w: World, user_id: str) -> Participant:
    with w.app.sessions() as session:
        return session.exec(select(Participant).where(Participant.user_id == user_id)).one()


def test_mentor_log_command_opens_the_meeting_modal(world: World) -> None:
    w = world
    before = len(w.app.sandbox.views_opened(MENTOR))
    assert w.app.driver.slash_command(MENTOR, "log").status == 200
    view = eventually(lambda: w.app.sandbox.views_opened(MENTOR)[before:])[-1]
    assert view["callback_id"] == ids.MEETING_VIEW
    future = submit(
        w,
        MENTOR,
        view,
        {ids.MEETING_DATE: slack.date_value("2026-04-30"), ids.MEETING_DURATION: slack.select_value("30")},
    )
    assert future["response_action"] == "errors" and ids.MEETING_DATE in future["errors"]
    assert (
        submit(
            w,
            MENTOR,
            view,
            {ids.MEETING_DATE: slack.date_value("2026-03-02"), ids.MEETING_DURATION: slack.select_value("30")},
        )
        is None
    )
    eventually(lambda: _count(w, Meeting) == 1)
    # someone without a pair is told so
    assert "don't have a mentorship pair" in w.app.driver.slash_command(COORDINATOR, "log").json()["text"]


def test_checkin_buttons_not_yet_suggests_times_and_need_help_stays_private(world: World) -> None:
    w = world
    w.advance(16)
    checkin = last_with(w.dm(), ids.CHECKIN_NOT_YET)
    assert "since last time" in checkin["text"]
    since = max(float(m["ts"]) for m in w.dm())
    click(w, MENTOR, ids.CHECKIN_NOT_YET, checkin)
    suggestions = eventually(
        lambda: [m for m in w.dm() if "Here are times you both work" in m["text"] and float(m["ts"]) > since]
    )
    lines = [line for line in suggestions[-1]["text"].splitlines() if line.startswith("•")]
    assert len(lines) == 3
    for line in lines:  # each time in both people's own clocks, inside their hours
        assert f"for <@{MENTEE}> (Berlin)" in line and f"for <@{MENTOR}> (New York)" in line
    click(w, MENTEE, ids.CHECKIN_HELP, checkin)
    eventually(lambda: [m for m in w.app.sandbox.messages_to(COORDINATOR) if "asked for help" in m["text"]])
    ack = eventually(lambda: [m for m in w.app.sandbox.ephemerals_for(MENTEE) if "coordinators know" in m["text"]])
    assert ack[-1]["channel"] == w.channel
    time.sleep(0.2)
    assert not [
        m for m in w.app.sandbox.messages_to(MENTOR) + w.dm() if "help" in m["text"].lower() and "asked" in m["text"]
    ]


# ---------------------------------------------------------------------- timing, silence


def test_checkins_and_surveys_land_in_working_hours_across_dst_changes(world: World) -> None:
    w = world
    w.advance(200)  # March to September: the US and Europe change clocks three weeks apart in March
    alice, bob = Person(ALICE.timezone, ALICE.availability), Person(BOB.timezone, BOB.availability)
    checkins = [p for p in w.sent if p.kind == PromptKind.CHECKIN]
    assert len(checkins) >= 10
    for prompt in checkins:  # the pair DM: inside both people's hours (they overlap)
        assert in_windows(prompt.due_at, alice) and in_windows(prompt.due_at, bob), prompt.due_at
    # New York moved to summer time on 8 March, Berlin on 29 March: the local times follow each clock
    berlin_hours = {p.due_at.astimezone(ZoneInfo(ALICE.timezone)).hour for p in checkins if p.due_at < EU_DST}
    later_hours = {p.due_at.astimezone(ZoneInfo(ALICE.timezone)).hour for p in checkins if p.due_at > EU_DST}
    assert (berlin_hours, later_hours) == ({14}, {15})
    assert {p.due_at.astimezone(ZoneInfo(BOB.timezone)).hour for p in checkins} == {9}
    surveys = [p for p in w.sent if p.kind == PromptKind.SURVEY]
    assert {p.recipient_user_id for p in surveys} == {MENTEE, MENTOR}
    for prompt in surveys:  # a personal DM: inside that person's own hours
        assert in_windows(prompt.due_at, alice if prompt.recipient_user_id == MENTEE else bob), prompt.due_at
    # the words vary with the stage and the cycle
    texts = [m["text"] for m in w.dm() if "since last time" in m["text"].lower()]
    assert len(set(texts)) >= 4


def test_silent_pair_is_nudged_then_asked_privately_then_at_risk_then_ends_inactive(world: World) -> None:
    w = world
    w.advance(30)  # two cycles without a meeting or an answer
    nudges = [m for m in w.dm() if "heard from you two" in m["text"] or "in a while" in m["text"]]
    assert len(nudges) == 1
    assert w.pair().status == PairStatus.ACTIVE
    w.advance(8)
    for user_id in (MENTEE, MENTOR):
        private = [m for m in w.app.sandbox.messages_to(user_id) if "still able to continue" in m["text"]]
        assert len(private) == 1 and private[0]["channel"] == w.app.sandbox.dm_channel_id(user_id)
    report = [m for m in w.app.sandbox.messages_to(COORDINATOR) if "at risk" in m["text"]]
    assert len(report) == 1
    assert f"Mentee <@{MENTEE}>: no response since the kickoff" in report[0]["text"]
    assert f"Mentor <@{MENTOR}>: no response since the kickoff" in report[0]["text"]
    assert w.pair().status == PairStatus.AT_RISK
    # the mentor answers privately: coordinators hear it, the mentee does not
    ask = last_with(w.app.sandbox.messages_to(MENTOR), ids.CONTINUE_YES)
    click(w, MENTOR, ids.CONTINUE_YES, ask)
    eventually(lambda: [m for m in w.app.sandbox.messages_to(COORDINATOR) if "can continue" in m["text"]])
    assert not [m for m in w.app.sandbox.messages_to(MENTEE) + w.dm() if "can continue" in m["text"]]
    w.advance(150)  # past the end date: the closing summary, and nobody chooses what comes next
    assert any("reached its end date" in m["text"] for m in w.dm())
    assert w.pair().status in (PairStatus.AT_RISK, PairStatus.ACTIVE) and w.pair().closed_at is None
    w.advance(20)  # two weeks after the end date it ends, saying what happened: it never met
    pair = w.pair()
    assert (pair.status, pair.close_reason) == (PairStatus.CLOSED, CloseReason.INACTIVE)
    assert any("reached its end on" in m["text"] and "closed it" in m["text"] for m in w.dm())


def test_logging_a_meeting_lifts_the_at_risk_mark(world_any_db: World) -> None:
    w = world_any_db
    w.advance(37)
    assert w.pair().status == PairStatus.AT_RISK
    log_meeting(w, MENTEE, w.clock.now.date())
    assert w.pair().status == PairStatus.ACTIVE
    assert w.journey().silent_stage == 0


# ---------------------------------------------------------------------- surveys


def answer_survey(w: World, user_id: str, comment: str, satisfaction: str, recommend: str) -> None:
    invite = last_with(w.app.sandbox.messages_to(user_id), ids.SURVEY_OPEN)
    view = open_from(w, user_id, ids.SURVEY_OPEN, invite)
    assert view["callback_id"] == ids.SURVEY_VIEW
    labels = json.dumps(view["blocks"])
    assert "coordinators only" in labels.lower() and "partner never" in labels
    errors = submit(w, user_id, view, {ids.SURVEY_FREE: slack.text_value(comment)})
    assert set(errors["errors"]) == {ids.SURVEY_SATISFACTION, ids.SURVEY_RECOMMEND}
    states = {
        ids.SURVEY_SATISFACTION: slack.radio_value(satisfaction),
        ids.SURVEY_RECOMMEND: slack.select_value(recommend),
        ids.SURVEY_FREE: slack.text_value(comment),
    }
    assert submit(w, user_id, view, states) is None
    eventually(lambda: [m for m in w.app.sandbox.messages_to(user_id) if "answers are saved" in m["text"]])


def test_pulse_survey_answers_are_private_to_the_respondent_and_coordinators(world: World) -> None:
    w = world
    w.advance(32)
    for user_id in (MENTEE, MENTOR):  # in each person's own DM, never the pair DM
        assert [m for m in w.app.sandbox.messages_to(user_id) if ids.SURVEY_OPEN in json.dumps(m.get("blocks"))]
    assert not [m for m in w.dm() if ids.SURVEY_OPEN in json.dumps(m.get("blocks"))]
    answer_survey(w, MENTEE, "SECRET-MENTEE-COMMENT mentor is always late", "2", "3")
    answer_survey(w, MENTOR, "SECRET-MENTOR-COMMENT mentee never prepares", "4", "9")
    with w.app.sessions() as session:
        rows = session.exec(select(PrivateAnswer).where(PrivateAnswer.kind == AnswerKind.PULSE)).all()
    by_person = {r.respondent_user_id: r for r in rows}
    assert (by_person[MENTEE].satisfaction, by_person[MENTEE].recommend, by_person[MENTEE].respondent_role) == (
        2,
        3,
        PairRole.MENTEE,
    )
    assert (by_person[MENTOR].satisfaction, by_person[MENTOR].recommend) == (4, 9)
    with w.app.sessions() as session:  # a person's own view: only their own answers
        own = store.private_answers(session=session, team_id=TEAM_ID, respondent_user_id=MENTEE)
    assert [r.respondent_user_id for r in own] == [MENTEE]
    # run on to the closing survey, then scan everything either partner could ever see
    w.advance(200)
    for partner, secret in ((MENTOR, "SECRET-MENTEE"), (MENTEE, "SECRET-MENTOR")):
        seen = w.app.sandbox.messages_to(partner) + w.dm() + w.app.sandbox.views_opened(partner)
        seen.append(w.app.sandbox.home_view(partner) or {})
        assert secret not in json.dumps(seen)
    # and no Slack call at all carried an answer (not even to coordinators: they read them in the app)
    assert not [c for c in w.app.sandbox.calls if "SECRET-" in json.dumps(c.args)]


# ---------------------------------------------------------------------- closure, extension


def reach_early_closure(w: World) -> None:
    set_goals(w, MENTEE, MENTOR)
    log_meeting(w, MENTEE, w.clock.now.date(), progress={0: GoalProgress.DONE, 1: GoalProgress.SOME})
    w.advance(9)
    checkin = last_with(w.dm(), ids.PAIR_GOALS_ACHIEVED)
    click(w, MENTEE, ids.PAIR_GOALS_ACHIEVED, checkin)
    eventually(lambda: any("thinks you've reached your goals" in m["text"] for m in w.dm()))
    click(w, MENTOR, ids.PAIR_GOALS_ACHIEVED, checkin)
    eventually(lambda: w.pending(PromptKind.CLOSURE) and w.pending(PromptKind.CLOSURE)[0].due_at <= w.clock.now)
    w.dispatcher.run_until_idle(w.clock.now)


def test_both_marking_goals_achieved_closes_with_reflection_thanks_and_freed_capacity(world: World) -> None:
    w = world
    reach_early_closure(w)
    summary = last_with(w.dm(), ids.CLOSE_CLOSE)
    text = json.dumps(summary["blocks"])
    assert "both marked your goals achieved" in text and "Meetings held:* 1" in text and "Lead a design review" in text
    for user_id in (MENTEE, MENTOR):
        assert "closing survey" in json.dumps(w.app.sandbox.messages_to(user_id))
    invite = last_with(w.app.sandbox.messages_to(MENTEE), ids.BECOME_MENTOR)
    assert not [m for m in w.app.sandbox.messages_to(MENTOR) if ids.BECOME_MENTOR in json.dumps(m.get("blocks"))]

    view = open_from(w, MENTEE, ids.REFLECT_OPEN, summary)
    states = {
        ids.REFLECT_ACHIEVED: slack.text_value("Ran my first design review"),
        ids.REFLECT_THANKS: slack.text_value("Thank you for all the patient reviews!"),
    }
    assert submit(w, MENTEE, view, states) is None
    eventually(lambda: [m for m in w.app.sandbox.messages_to(MENTOR) if "patient reviews" in m["text"]])

    click(w, MENTOR, ids.CLOSE_CLOSE, summary)
    eventually(lambda: w.pair().status == PairStatus.CLOSED)
    pair = w.pair()
    assert pair.close_reason == CloseReason.COMPLETED and pair.closed_at is not None
    assert w.pending() == []
    with w.app.sessions() as session:
        pool = load_pool(session=session, team_id=TEAM_ID, cohort_id=None)
        assert len(session.exec(select(Pair)).all()) == 1  # remembered
    bob = next(p for p in pool.mentors if p.user_id == MENTOR)
    assert bob.capacity == BOB.capacity  # all three places free again
    assert (MENTEE, MENTOR) in pool.past_pairs  # never paired again
    # a second click on the closed pair changes nothing
    click(w, MENTEE, ids.CLOSE_EXTEND, summary)
    eventually(lambda: any("already closed" in m["text"] for m in w.app.sandbox.ephemerals_for(MENTEE)))
    assert w.pair().status == PairStatus.CLOSED

    click(w, MENTEE, ids.BECOME_MENTOR, invite)
    eventually(lambda: _participant(w, MENTEE).role == Role.MENTOR)


def test_extend_moves_the_end_by_three_months_and_keeps_checking_in(world: World) -> None:
    w = world
    reach_early_closure(w)
    old_end = w.journey().ends_at
    click(w, MENTOR, ids.CLOSE_EXTEND, last_with(w.dm(), ids.CLOSE_EXTEND))
    eventually(lambda: any("extended your mentorship" in m["text"] for m in w.dm()))
    journey = w.journey()
    assert journey.ends_at - old_end == timedelta(days=91) and journey.extensions == 1
    assert w.pair().status == PairStatus.ACTIVE
    assert len(w.pending(PromptKind.CLOSURE)) == 1 and len(w.pending(PromptKind.CHECKIN)) == 1


# ---------------------------------------------------------------------- pause and resume


def test_pause_with_a_resume_date_moves_prompts_and_resumes_that_day(world: World) -> None:
    w = world
    before = {p.idempotency_key: p.due_at for p in w.pending()}
    view = open_from(w, MENTEE, ids.PAIR_PAUSE, last_with(w.dm(), ids.PAIR_PAUSE))
    past = submit(w, MENTEE, view, {ids.PAUSE_UNTIL: slack.date_value("2026-03-01")})
    assert ids.PAUSE_UNTIL in past["errors"]
    assert submit(w, MENTEE, view, {ids.PAUSE_UNTIL: slack.date_value("2026-04-20")}) is None
    eventually(lambda: w.pair().status == PairStatus.PAUSED)
    after = {p.idempotency_key: p.due_at for p in w.pending()}
    shift = datetime(2026, 4, 20, 7, 0, tzinfo=UTC) - START  # 09:00 Berlin (summer time) on the resume day
    for key, due in before.items():
        assert after[key] - due == shift, key
    eventually(lambda: any("paused your mentorship until" in m["text"] for m in w.dm()))
    w.run_until(datetime(2026, 4, 19, tzinfo=UTC))
    assert not [m for m in w.dm() if "since last time" in m["text"].lower()]
    w.advance(2)
    assert w.pair().status == PairStatus.ACTIVE
    assert any("Welcome back" in m["text"] for m in w.dm())
    checkin = w.pending(PromptKind.CHECKIN)[0].due_at
    assert checkin >= datetime(2026, 5, 4, tzinfo=UTC)  # the cycle restarts from the resume day
    assert in_windows(checkin, Person(ALICE.timezone, ALICE.availability))
    assert w.journey().ends_at == START + timedelta(days=182) + shift


def test_pause_without_a_date_parks_prompts_until_resume(world: World) -> None:
    w = world
    before = {p.idempotency_key: p.due_at for p in w.pending(PromptKind.SURVEY)}
    w.app.driver.app_home_opened(MENTOR)
    home = eventually(
        lambda: ids.HOME_PAIR_PAUSE in json.dumps(w.app.sandbox.home_view(MENTOR)) and w.app.sandbox.home_view(MENTOR)
    )
    view = open_from(w, MENTOR, ids.HOME_PAIR_PAUSE, view=home)
    assert submit(w, MENTOR, view, {}) is None
    eventually(lambda: w.pair().status == PairStatus.PAUSED)
    # the pause is announced in the pair DM after it is stored: wait for the message with its Resume button
    announced = eventually(lambda: [m for m in w.dm() if ids.PAIR_RESUME in json.dumps(m.get("blocks") or [])])
    w.advance(60)
    assert not [m for m in w.dm() if "since last time" in m["text"].lower()]
    assert not [p for p in w.sent if p.kind == PromptKind.SURVEY]
    click(w, MENTEE, ids.PAIR_RESUME, announced[-1])
    eventually(lambda: w.pair().status == PairStatus.ACTIVE)
    after = {p.idempotency_key: p.due_at for p in w.pending(PromptKind.SURVEY)}
    for key, due in before.items():  # every survey moved by exactly the 60 days of the pause
        assert after[key] - due == timedelta(days=60), key


# ---------------------------------------------------------------------- coordinators


def test_schedule_command_lists_upcoming_prompts_for_coordinators_only(world: World) -> None:
    w = world
    answer = w.app.driver.slash_command(COORDINATOR, f"schedule <@{MENTEE}|alice>").json()["text"]
    assert f"<@{MENTEE}> (mentee) with <@{MENTOR}> (mentor)" in answer
    assert "checkin → the pair DM" in answer and f"survey → <@{MENTEE}> privately" in answer
    refused = w.app.driver.slash_command(MENTOR, f"schedule <@{MENTEE}>").json()["text"]
    assert "only the program's coordinators" in refused and "checkin" not in refused


# ---------------------------------------------------------------------- the demo's simulated people


def test_simulated_diligent_pair_runs_the_whole_program(world: World) -> None:
    from bot.lifecycle import simulate as sim

    w = world
    drv, box = w.app.driver, w.app.sandbox
    assert sim.set_goals(
        drv, box, MENTOR, MENTEE, w.channel, [("Ship a service", "In production")], cadence=Cadence.MONTHLY
    )
    eventually(lambda: w.pending(PromptKind.CHECKIN) and _goals_status(w) == GoalsStatus.CONFIRMED)
    invites = 0
    for month in range(6):
        w.advance(27)
        assert sim.log_meeting(drv, box, MENTEE, w.channel, w.clock.now.date(), progress={0: GoalProgress.SOME})
        eventually(lambda m=month: _count(w, Meeting) == m + 1)
        now_invited = len([m for m in box.messages_to(MENTEE) if ids.SURVEY_OPEN in json.dumps(m.get("blocks"))])
        if now_invited > invites:
            assert sim.answer_survey(drv, box, MENTEE, satisfaction=5, recommend=10)
            invites = now_invited
    assert invites >= 3
    w.advance(30)
    assert sim.reflect(drv, box, MENTEE, w.channel, achieved="Shipped it", thanks="Thanks, Bob!")
    eventually(lambda: any("Thanks, Bob!" in m["text"] for m in box.messages_to(MENTOR)))
    assert sim.click_in(drv, box, MENTOR, w.channel, ids.CLOSE_CLOSE)
    eventually(lambda: w.pair().status == PairStatus.CLOSED)
    assert w.pair().close_reason == CloseReason.COMPLETED
    assert not [m for m in w.dm() if "heard from you two" in m["text"]]  # a meeting pair is never nagged as silent


def _goals_status(w: World) -> str:
    with w.app.sessions() as session:
        goals = session.exec(select(PairGoals)).first()
        return goals.status if goals else ""
