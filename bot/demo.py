"""`mentorbot demo`: a simulated workspace runs the program against the built-in Slack sandbox.

Everything goes through the real app over HTTP: people type `/mentor`, fill the signup modal and
click buttons as signed Slack requests; the app answers through the real WebClient into the sandbox,
which records every call. A simulated clock carries the program through its months in seconds.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import select

from bot import ids
from bot.app import build_app, build_client
from bot.clock import SimulatedClock
from bot.config import load_settings
from bot.lifecycle import simulate
from bot.profiles import Profile, Role
from bot.sandbox import SlackDriver, SlackSandbox
from bot.sandbox import forms as fill
from bot.sandbox.people import generate_people
from bot.server import LocalServer, SlackWSGI
from bot.services import Services
from bot.views.reasons import Reader, reason_lines, unmatched_text
from bot.views.words import counted
from storage.db import make_engine, session_factory
from storage.migrate import upgrade
from storage.vocab import GoalProgress, PairStatus, PromptStatus

DEMO_SECRET = "demo-signing-secret"
COORDINATOR_ID = "U0COORDNTR"
DEMO_START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # a Monday, three weeks before Europe's DST change


@dataclass
class Demo:
    """The running pieces of a demo, for the stages to share."""

    sandbox: SlackSandbox
    driver: SlackDriver
    services: Services
    clock: SimulatedClock
    out: TextIO
    people: list[Profile] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)
    channel_members: dict[str, list[str]] = field(default_factory=dict)
    dm_owner: dict[str, str] = field(default_factory=dict)
    timezones: dict[str, str] = field(default_factory=dict)  # a person's DM channel id -> their user id
    handled: set[str] = field(default_factory=set)  # "user:action:ts" a simulated person already acted on
    publish_mark: int = 0  # the first Web API call made after the coordinator clicked Publish

    def event(self, day: int, text: str) -> None:
        self.say(f"  day {day:>3}  * {text}")

    def say(self, text: str = "") -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def stage(self, title: str) -> None:
        self.say()
        self.say(f"== {title} " + "=" * max(3, 70 - len(title)))

    def who(self, user_id: str) -> str:
        return self.names.get(user_id, user_id)

    def mention_names(self, text: str) -> str:
        for user_id, name in self.names.items():
            text = text.replace(f"<@{user_id}>", name)
        return text


def _describe(person: Profile) -> str:
    if person.role == Role.MENTEE:
        wants = ", ".join(person.skills_wanted[:3]) or ", ".join(person.career_goals[:2])
        return f"mentee in {person.timezone}, wants {wants}"
    offers = ", ".join(person.skills_offered[:3])
    role = "mentor" if person.role == Role.MENTOR else "mentor and mentee"
    return f"{role} in {person.timezone}, offers {offers} (capacity {person.capacity})"


def sign_up_everyone(demo: Demo) -> None:
    demo.stage(f"Signup: {counted(len(demo.people), 'person', 'people')} join with /mentor")
    for person in demo.people:
        started = time.time()
        response = demo.driver.slash_command(person.user_id, "join")
        if response.status != 200:
            demo.say(f"  ! {person.name}: /mentor answered {response.status}")
            continue
        demo.sandbox.wait_for("views.open", after=started)
        view = demo.sandbox.views_opened(person.user_id)[-1]

        def typed(action_id: str, query: str, user: str = person.user_id, modal: dict = view) -> list[dict]:
            return demo.driver.block_suggestion(user, modal, action_id, query)

        demo.driver.view_submission(person.user_id, view, fill.signup_values(view, person, typed=typed))
        dm = demo.sandbox.wait_for(
            "chat.postMessage", lambda c, u=person.user_id: c.args.get("channel") == u, after=started
        )
        demo.say(f"* {person.name} ({_describe(person)})")
        demo.say(f"    typed /mentor join, filled the modal ({len(view['blocks'])} blocks), and was told:")
        demo.say(f"    \u2190 {dm.args.get('text', '')}")


def _fit_cohort_to(demo: Demo, days: int) -> None:
    """Let the simulated program end (and close) inside the demo's days."""
    from bot.cohorts import current_cohort

    with demo.services.sessions() as session:
        cohort = current_cohort(session=session, team_id=demo.sandbox.team_id)
        cohort.settings = {**cohort.settings, "duration_days": max(21, days - 14)}
        session.add(cohort)
        session.commit()


def run_match_round(demo: Demo) -> None:
    demo.stage("Matching: the coordinator runs /mentor match, previews, and publishes")
    started = time.time()
    response = demo.driver.slash_command(COORDINATOR_ID, "match", channel_id="C0COORDS")
    demo.say(f"Casey (coordinator) typed /mentor match; acknowledged in {response.elapsed * 1000:.0f} ms")
    call = demo.sandbox.wait_for(
        "views.update",
        lambda c: "Match preview" in json.dumps(c.args.get("view"), ensure_ascii=False),
        after=started,
        timeout=60,
    )
    view = demo.sandbox.view(call.args["view_id"]) or {}
    with demo.services.sessions() as session:
        from storage.models import MatchRound

        match_round = session.get(MatchRound, json.loads(view.get("private_metadata") or "{}").get("round"))
    result = match_round.result if match_round else {}
    demo.say(
        f"Preview: {counted(len(result.get('pairs', [])), 'pair')}, mean score {result.get('mean_score', 0):.2f}, "
        f"{len(result.get('unmatched', {}))} unmatched"
    )
    for pair in result.get("pairs", []):
        demo.say(f"  {demo.who(pair['mentee'])} \u2192 {demo.who(pair['mentor'])}  score {pair['score']:.2f}")
        for line in reason_lines(
            pair.get("reasons"),
            reader=Reader.COORDINATOR,
            mentee=demo.who(pair["mentee"]),
            mentor=demo.who(pair["mentor"]),
        ):
            demo.say(f"      \u2022 {line}")
    for user_id, reason in result.get("unmatched", {}).items():
        demo.say(
            f"  unmatched: {demo.who(user_id)}: "
            f"{unmatched_text(reason, reader=Reader.COORDINATOR, who=demo.who(user_id))}"
        )
    demo.publish_mark = len(demo.sandbox.calls)
    answer = demo.driver.view_submission(COORDINATOR_ID, view, {})
    demo.say(f"Casey clicked Publish ({answer.status}).")


BEHAVIOURS = ("diligent", "silent", "not a fit", "early finisher")


@dataclass
class SimPair:
    """A published pair and how its two simulated people behave."""

    pair_id: int
    mentee: str
    mentor: str
    channel: str
    behaviour: str
    meetings: int = 0
    goals_set: bool = False


def _fresh(demo: Demo, sim: SimPair, user: str, action_id: str, *, in_pair_dm: bool) -> dict | None:
    """The newest unhandled message offering ``action_id`` to ``user``."""
    messages = demo.sandbox.messages_in(sim.channel) if in_pair_dm else demo.sandbox.messages_to(user)
    message = simulate.find_button(messages, action_id)
    if message is None:
        return None
    key = f"{user}:{action_id}:{message.get('ts')}"
    if key in demo.handled:
        return None
    demo.handled.add(key)
    return message


def _act(demo: Demo, sim: SimPair, day: int) -> None:
    """What the pair's people do today, given what they have received."""
    drv, box = demo.driver, demo.sandbox
    if sim.behaviour == "silent":
        return
    # what the mentee's own calendar says today (the app validates meeting dates in their timezone)
    today = demo.clock().astimezone(ZoneInfo(demo.timezones.get(sim.mentee, "UTC"))).date()
    if not sim.goals_set and day >= 1:
        goals = [("Lead a design review", "Run one review end to end"), ("Grow visibility", "Give one talk")]
        sim.goals_set = simulate.set_goals(drv, box, sim.mentee, sim.mentor, sim.channel, goals)
        if sim.goals_set:
            demo.event(day, f"{demo.who(sim.mentee)} proposed 2 goals; {demo.who(sim.mentor)} confirmed them")
    first_meeting = sim.meetings == 0 and day >= 3
    if first_meeting and simulate.log_meeting(drv, box, sim.mentee, sim.channel, today, topics="Getting started"):
        sim.meetings += 1
        demo.event(day, f"{demo.who(sim.mentee)} logged their first meeting with {demo.who(sim.mentor)}")
    if sim.behaviour != "not a fit" and _fresh(demo, sim, sim.mentee, ids.CHECKIN_YES, in_pair_dm=True):
        progress = {0: GoalProgress.DONE if sim.meetings > 4 else GoalProgress.SOME}
        if simulate.log_meeting(drv, box, sim.mentee, sim.channel, today, progress=progress, via=ids.CHECKIN_YES):
            sim.meetings += 1
            demo.event(day, f"{demo.who(sim.mentee)} answered the check-in: met, logged meeting #{sim.meetings}")
    for person in (sim.mentee, sim.mentor):
        if _fresh(demo, sim, person, ids.FIT_GOOD, in_pair_dm=False):
            if sim.behaviour == "not a fit" and person == sim.mentee:
                simulate.click_in_dm(drv, box, person, ids.FIT_NOT)
                demo.event(day, f"{demo.who(person)} answered the private fit check: not a fit")
                simulate.wait(lambda p=person: simulate.find_button(box.messages_to(p), ids.REMATCH_YES))
                if simulate.click_in_dm(drv, box, person, ids.REMATCH_YES):
                    demo.event(day, f"{demo.who(person)} asked for a confidential rematch")
            else:
                simulate.click_in_dm(drv, box, person, ids.FIT_GOOD)
        if _fresh(demo, sim, person, ids.SURVEY_OPEN, in_pair_dm=False):
            happy = sim.behaviour != "not a fit"
            if simulate.answer_survey(drv, box, person, satisfaction=5 if happy else 2, recommend=9 if happy else 4):
                demo.event(day, f"{demo.who(person)} answered a private survey")
    if sim.behaviour == "early finisher" and day == 75:
        for person in (sim.mentee, sim.mentor):
            simulate.click_in(drv, box, person, sim.channel, ids.PAIR_GOALS_ACHIEVED)
        demo.event(day, f"{demo.who(sim.mentee)} and {demo.who(sim.mentor)} both marked their goals achieved")
    if _fresh(demo, sim, sim.mentee, ids.REFLECT_OPEN, in_pair_dm=True):
        thanks = f"Thank you, {demo.who(sim.mentor).split()[0]}! This changed how I work."
        if simulate.reflect(drv, box, sim.mentee, sim.channel, achieved="Ran my first design review", thanks=thanks):
            demo.event(day, f"{demo.who(sim.mentee)} wrote a reflection and a thank-you note")
        if simulate.click_in(drv, box, sim.mentor, sim.channel, ids.CLOSE_CLOSE):
            demo.event(day, f"{demo.who(sim.mentor)} chose to close the pair")


def _print_new_messages(demo: Demo, day: int, seen: int) -> int:
    calls = demo.sandbox.calls
    for call in calls[seen:]:
        if call.method not in ("chat.postMessage", "chat.postEphemeral"):
            continue
        channel = str(call.args.get("channel", ""))
        members = demo.channel_members.get(channel)
        channel = demo.dm_owner.get(channel, channel)
        if members:
            to = " & ".join(demo.who(u) for u in members) + " (pair DM)"
        else:
            to = demo.who(str(call.args.get("user") or channel)) + (
                " (private)" if call.method == "chat.postEphemeral" else " (DM)"
            )
        text = demo.mention_names(str(call.args.get("text", ""))).replace("\n", " ")
        demo.say(f"  day {day:>3}  \u2192 {to}: {text[:110]}")
    return len(calls)


def _next_due(demo: Demo, before: datetime) -> datetime | None:
    from storage.models import ScheduledPrompt

    with demo.services.sessions() as session:
        due = session.exec(
            select(func.min(ScheduledPrompt.due_at)).where(
                ScheduledPrompt.status == PromptStatus.PENDING, ScheduledPrompt.due_at < before
            )
        ).one()
    if due is None:
        return None
    due = due if due.tzinfo else due.replace(tzinfo=UTC)
    return max(due, demo.clock())


def run_program(demo: Demo, days: int) -> None:
    """Carry the published pairs through ``days`` simulated days."""
    from bot.dispatch import Dispatcher
    from storage.models import Pair

    with demo.services.sessions() as session:
        pairs = session.exec(select(Pair).where(Pair.status != PairStatus.CLOSED).order_by(Pair.id)).all()
    sims: list[SimPair] = []
    for n, pair in enumerate(pairs):
        behaviour = BEHAVIOURS[n] if n < len(BEHAVIOURS) else "diligent"
        assert pair.id is not None
        sims.append(SimPair(pair.id, pair.mentee_user_id, pair.mentor_user_id, pair.channel_id, behaviour))
        demo.channel_members[pair.channel_id] = [pair.mentee_user_id, pair.mentor_user_id]
    demo.stage(f"The program: {counted(len(sims), 'pair')} over {days} simulated days")
    for sim in sims:
        demo.say(f"  {demo.who(sim.mentee)} & {demo.who(sim.mentor)}: {sim.behaviour}")
    dispatcher = Dispatcher(demo.services, owner="demo")
    demo.dm_owner = {demo.sandbox.dm_channel_id(u): u for u in demo.names}
    seen = _print_new_messages(demo, 0, demo.publish_mark)  # the introductions sent at publication
    start = demo.clock()
    for day in range(days + 1):
        end_of_day = start + timedelta(days=day + 1)
        # jump from one due prompt to the next, as time would pass
        while (due := _next_due(demo, end_of_day)) is not None:
            demo.clock.set(due)
            dispatcher.run_until_idle(demo.clock())
        demo.clock.set(start + timedelta(days=day, hours=20))
        for sim in sims:
            _act(demo, sim, day)
        demo.clock.set(end_of_day - timedelta(minutes=1))
        time.sleep(0.02)  # let listener work that follows the acks finish before reading the sandbox
        seen = _print_new_messages(demo, day, seen)
    with demo.services.sessions() as session:
        final = {p.id: p for p in session.exec(select(Pair)).all()}
    demo.stage("Where the pairs ended up")
    for sim in sims:
        pair = final[sim.pair_id]
        demo.say(
            f"  {demo.who(sim.mentee)} & {demo.who(sim.mentor)} ({sim.behaviour}): {pair.status}"
            + (f", {pair.close_reason}" if pair.close_reason else "")
            + f", {counted(sim.meetings, 'meeting')} logged"
        )


def run_demo(
    *,
    people: int = 12,
    seed: int = 7,
    record: Path | None = None,
    days: int = 180,
    database_url: str | None = None,
    out: TextIO | None = None,
) -> int:
    """Run the demo and print its transcript. Returns the exit code."""
    out = out or sys.stdout
    workdir = Path(tempfile.mkdtemp(prefix="mentorbot-demo-"))
    database_url = database_url or f"sqlite:///{workdir / 'demo.db'}"
    clock = SimulatedClock(DEMO_START)
    with SlackSandbox() as sandbox:
        if record:
            sandbox.record_to(record)
        settings = load_settings(
            {
                "SLACK_BOT_TOKEN": "xoxb-demo-sandbox",
                "SLACK_SIGNING_SECRET": DEMO_SECRET,
                "SLACK_API_URL": sandbox.url,
                "DATABASE_URL": database_url,
                "COORDINATOR_IDS": COORDINATOR_ID,
                "LOG_LEVEL": "WARNING",
            }
        )
        engine = make_engine(settings.database_url)
        upgrade(engine)
        services = Services(
            settings=settings,
            engine=engine,
            sessions=session_factory(engine),
            client=build_client(settings),
            clock=clock,
        )
        server = LocalServer(SlackWSGI(build_app(services), services)).start()
        try:
            driver = SlackDriver(f"{server.url}/slack/events", DEMO_SECRET, sandbox=sandbox)
            demo = Demo(sandbox=sandbox, driver=driver, services=services, clock=clock, out=out)
            demo.people = generate_people(people, seed=seed)
            sandbox.add_user(COORDINATOR_ID, name="casey", real_name="Casey Coordinator", tz="Europe/London")
            demo.names[COORDINATOR_ID] = "Casey"
            for person in demo.people:
                sandbox.add_user(
                    person.user_id,
                    name=person.name.split()[0].lower(),
                    real_name=person.name,
                    tz=person.timezone,
                    email=person.email,
                )
                demo.names[person.user_id] = person.name
                demo.timezones[person.user_id] = person.timezone
            demo.say(
                f"mentorbot demo: {people} simulated people (seed {seed}), program of {days} days, "
                f"database {database_url}"
            )
            sign_up_everyone(demo)
            _fit_cohort_to(demo, days)
            run_match_round(demo)
            run_program(demo, days)
            demo.stage("Done")
            demo.say(
                f"The app made {len(sandbox.calls)} Web API calls" + (f", recorded to {record}" if record else "") + "."
            )
            invalid = sandbox.invalid_calls
            demo.say(f"Calls real Slack would have refused: {len(invalid)}.")
            for call in invalid[:20]:
                demo.say(f"  ! {call.method}: {call.error}: {' | '.join(call.messages[:2])}")
            if invalid:
                return 1
        finally:
            server.stop()
            engine.dispose()
    return 0
