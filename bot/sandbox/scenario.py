"""The scenario runner: a simulated cohort runs a whole program through the real app, on a simulated clock.

Everything goes through the same doors a real workspace uses: people type ``/mentor`` and fill modals, click
the buttons the app posted, and read what reached their Slack; the app answers through its real WebClient
into the sandbox. While they act, the runner keeps a ground-truth :class:`~bot.sandbox.ledger.Ledger` of what
each person did and received. Nothing in the ledger is read from the app's tables, so tests can compare what
coordinators are shown with what really happened (:mod:`bot.sandbox.truth`).

Use it like this (``mentorbot demo`` and ``tests/test_program_truth.py`` do)::

    from bot.sandbox.scenario import Scenario, ScenarioConfig

    with Scenario(ScenarioConfig(people=40, days=200, seed=11)) as run:
        run.run()                          # program, signups, rounds and every simulated day
        ledger = run.ledger                # what each person did and received
        view = run.coordinator_view()      # /mentor stats, the digests and the export, as posted to Slack

or step by step: ``run.setup()``, ``run.sign_up()``, then ``run.run_days(k)`` as often as you like. Pairs take
their behaviour from ``ScenarioConfig.mix`` in the order they are introduced (the rest are diligent); people
get extra parts (:class:`~bot.sandbox.ledger.Cast`) when the cohort is generated.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import func, or_
from sqlmodel import select

from bot import ids
from bot.app import build_app, build_client
from bot.clock import SimulatedClock
from bot.config import load_settings
from bot.observability import ContextExecutor
from bot.profiles import Profile
from bot.sandbox import driver as slack
from bot.sandbox import forms as fill
from bot.sandbox.behaviours import COORDINATOR_ID, SimulatedPeople
from bot.sandbox.driver import SlackDriver
from bot.sandbox.ledger import (
    Behaviour,
    Cast,
    CheckinTruth,
    Event,
    Ledger,
    PairTruth,
    PersonTruth,
    Received,
)
from bot.sandbox.messages import MENTION, PAIR_ID, action_ids, blocks_text, classify, parse_export
from bot.sandbox.people import generate_people
from bot.sandbox.slack_api import SlackSandbox
from bot.server import LocalServer, SlackWSGI
from bot.services import Services
from bot.views.words import counted
from storage.db import make_engine, session_factory
from storage.migrate import upgrade
from storage.models.outbox import ScheduledPrompt
from storage.vocab import (
    CheckinOutcome,
    PairSource,
    PromptStatus,
    Role,
)

SIGNING_SECRET = "scenario-signing-secret"
COORDINATORS_CHANNEL = "C0COORDS"
DIGEST_CHANNEL = "C0DIGEST"
START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # a Monday, three weeks before Europe's DST change
LOOK_HOUR = 17  # people read Slack and act at 17:00 UTC each simulated day
DEFAULT_MIX = (Behaviour.NOT_A_FIT, Behaviour.SILENT, Behaviour.EARLY_FINISHER, Behaviour.PAUSER, Behaviour.LEAVER)


@dataclass
class ScenarioConfig:
    """What to simulate.

    Attributes:
        people: Cohort size (generated deterministically from ``seed``).
        days: Simulated days to run after the program is created.
        seed: The seed for people, their timezones and skills.
        mix: Behaviours given to the first pairs in the order they are introduced; the others are diligent.
        late_joiners: Mentees who sign up after the first round and are matched in a second one.
        database_url: Where the app stores its data (default: a fresh SQLite file).
        start: The simulated start (a Monday morning, UTC).
        cadence_days: The cohort's check-in cadence (the program modal offers 7, 14, 21 or 28).
        duration_months: The cohort's program length; by default whatever ends every pair inside ``days``.
        transcript: Where to write what each person saw and did (None: no transcript).
        record: A file to write every Web API call the app made to (JSON Lines).
        coordinator_resolves: The coordinator acts on their private notes (``/mentor pairs`` actions): a "not a
            fit" is rematched, a pair inactive for weeks is ended. Off: the notes are only read.
    """

    people: int = 40
    days: int = 200
    seed: int = 11
    mix: Sequence[Behaviour] = DEFAULT_MIX
    late_joiners: int = 1
    database_url: str | None = None
    start: datetime = START
    cadence_days: int = 14
    duration_months: int | None = None
    transcript: TextIO | None = None
    record: Path | None = None
    coordinator_resolves: bool = False

    @property
    def months(self) -> int:
        return self.duration_months or max(1, min(12, (self.days - 75) // 30))


@dataclass
class CoordinatorView:
    """What the coordinator was shown at the end, read from what the app posted to Slack."""

    stats_text: str
    digests: list[str]
    export_rows: list[dict[str, str]]
    export_sections: dict[str, list[dict[str, str]]]
    export_csv: str


@dataclass
class _Inbox:
    """What a person has not acted on yet."""

    items: list[tuple[dict[str, Any], str]] = field(default_factory=list)  # (message, kind)


class Scenario(SimulatedPeople):
    """A simulated workspace running one cohort's program (see the module docstring)."""

    def __init__(self, config: ScenarioConfig | None = None) -> None:
        self.config = config or ScenarioConfig()
        self.ledger = Ledger()
        self.clock = SimulatedClock(self.config.start)
        self.profiles: dict[str, Profile] = {}
        self.names: dict[str, str] = {COORDINATOR_ID: "Casey (coordinator)"}
        self.day = 0
        self._workdir = Path(tempfile.mkdtemp(prefix="mentorbot-scenario-"))
        self._seen_calls = 0
        self._seen_ts: dict[str, str] = {}
        self._channel_pair: dict[str, int] = {}
        self._inbox: dict[str, _Inbox] = {}
        self._mix_used = 0
        self._late: list[Profile] = []
        self._made: set[tuple[str, str]] = set()  # (mentee, mentor) of every pair the coordinator published
        self._help_pair = 0  # the one pair whose mentee asks for help from a check-in
        self._preview_lines: list[str] = []
        self.sandbox: SlackSandbox
        self.services: Services
        self.driver: SlackDriver
        self.executor: ContextExecutor

    # ------------------------------------------------------------------ lifecycle

    def __enter__(self) -> Scenario:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        """Start the sandbox and the real app on a fresh database."""
        cfg = self.config
        self.sandbox = SlackSandbox().start()
        if cfg.record:
            self.sandbox.record_to(cfg.record)
        database_url = cfg.database_url or f"sqlite:///{self._workdir / 'scenario.db'}"
        settings = load_settings(
            {
                "SLACK_BOT_TOKEN": "xoxb-scenario-sandbox",
                "SLACK_SIGNING_SECRET": SIGNING_SECRET,
                "SLACK_API_URL": self.sandbox.url,
                "DATABASE_URL": database_url,
                "COORDINATOR_IDS": COORDINATOR_ID,
                "LOG_LEVEL": "WARNING",
            }
        )
        engine = make_engine(settings.database_url)
        upgrade(engine)
        self.services = Services(
            settings=settings,
            engine=engine,
            sessions=session_factory(engine),
            client=build_client(settings),
            clock=self.clock,
        )
        self.executor = ContextExecutor(max_workers=8, thread_name_prefix="listener")
        app = build_app(self.services, listener_executor=self.executor)
        self._server = LocalServer(SlackWSGI(app, self.services)).start()
        self.driver = SlackDriver(f"{self._server.url}/slack/events", SIGNING_SECRET, sandbox=self.sandbox)
        from bot.dispatch import Dispatcher

        self.dispatcher = Dispatcher(self.services, owner="scenario")
        self.database_url = database_url

    def stop(self) -> None:
        """Stop the app and the sandbox."""
        server = getattr(self, "_server", None)
        if server is not None:
            server.stop()
            self.executor.shutdown(wait=True)
            self.services.engine.dispose()
        if getattr(self, "sandbox", None) is not None:
            self.sandbox.stop()

    # ------------------------------------------------------------------ transcript

    def say(self, text: str = "") -> None:
        """A line of the transcript."""
        if self.config.transcript is not None:
            self.config.transcript.write(text + "\n")

    def stage(self, title: str) -> None:
        self.say()
        self.say(f"== {title} " + "=" * max(3, 70 - len(title)))

    def who(self, user_id: str) -> str:
        return self.names.get(user_id, user_id)

    def _plain(self, text: str) -> str:
        return MENTION.sub(lambda m: self.who(m.group(1)), text).replace("\n", " ")

    def note(self, who: str, pair_id: int | None, what: str) -> None:
        """Record something a person did (ledger and transcript)."""
        self.ledger.events.append(Event(self.clock(), self.day, who, pair_id, what))
        self.say(f"  day {self.day:>3}  * {self.who(who)} {what}")

    # ------------------------------------------------------------------ the whole run

    def run(self) -> Ledger:
        """Create the program, sign everyone up, and run every simulated day. Returns the ledger."""
        self.setup()
        self.sign_up()
        self.run_days(self.config.days)
        return self.ledger

    def setup(self) -> None:
        """Generate the cohort (with its parts), add everyone to the workspace, and create the program."""
        cfg = self.config
        generated = generate_people(cfg.people, seed=cfg.seed)
        self._cast(generated)
        self.sandbox.add_user(COORDINATOR_ID, name="casey", real_name="Casey Coordinator", tz="Europe/London")
        self.sandbox.add_channel(COORDINATORS_CHANNEL, name="mentoring-coordinators", members=[COORDINATOR_ID])
        self.sandbox.add_channel(DIGEST_CHANNEL, name="mentoring-digest", members=[COORDINATOR_ID])
        for person in self.profiles.values():
            self.sandbox.add_user(
                person.user_id,
                name=person.name.split()[0].lower(),
                real_name=person.name,
                tz=person.timezone,
                email=person.email,
            )
        self.say(
            f"Scenario: {cfg.people} simulated people (seed {cfg.seed}), {cfg.days} simulated days, "
            f"a {cfg.months}-month program with check-ins every {cfg.cadence_days} days"
        )
        self.create_program()

    def _cast(self, generated: list[Profile]) -> None:
        """Give people their parts: a mentor who takes three mentees, late joiners, a person on both sides."""
        people = list(generated)
        mentors = [i for i, p in enumerate(people) if p.role == Role.MENTOR]
        mentees = [i for i, p in enumerate(people) if p.role == Role.MENTEE]
        both = [i for i, p in enumerate(people) if p.role == Role.BOTH]
        casts: dict[str, set[Cast]] = {}
        if not both and len(mentors) > 1:  # make sure someone is on both sides
            i = mentors[-1]
            wanted = people[i].skills_offered[:1] or ("python",)
            people[i] = replace(people[i], role=Role.BOTH, skills_wanted=wanted, capacity=max(1, people[i].capacity))
            both = [i]
        if both:
            casts.setdefault(people[both[0]].user_id, set()).add(Cast.BOTH)
        for i in mentees[-self.config.late_joiners :] if self.config.late_joiners else []:
            casts.setdefault(people[i].user_id, set()).add(Cast.LATE_JOINER)
            self._late.append(people[i])
        for p in people:
            self.profiles[p.user_id] = p
            self.names[p.user_id] = p.name
            self.ledger.people[p.user_id] = PersonTruth(
                user_id=p.user_id, name=p.name, role=p.role, timezone=p.timezone, casts=casts.get(p.user_id, set())
            )

    def _when(self, day: int) -> date:
        return (self.config.start + timedelta(days=day)).date()

    @property
    def match_day(self) -> int:
        return 5

    @property
    def start_day(self) -> int:
        return 7

    @property
    def second_round_day(self) -> int:
        return 16

    def create_program(self) -> None:
        """The coordinator creates the cohort with /mentor program: dates, length, cadence and the digest."""
        cfg = self.config
        self.stage("The coordinator creates the program with /mentor program")
        view = self._command_modal(COORDINATOR_ID, "program Spring mentoring", COORDINATORS_CHANNEL)
        if view is None:
            self.ledger.problems.append("/mentor program opened no modal")
            return
        chosen = {
            ids.PROGRAM_NAME: slack.text_value("Spring mentoring"),
            ids.PROGRAM_SIGNUP_OPENS: slack.date_value(self._when(0).isoformat()),
            ids.PROGRAM_SIGNUP_CLOSES: slack.date_value(self._when(3).isoformat()),
            ids.PROGRAM_MATCH_DATE: slack.date_value(self._when(self.match_day).isoformat()),
            ids.PROGRAM_START_DATE: slack.date_value(self._when(self.start_day).isoformat()),
            ids.PROGRAM_DURATION: slack.select_value(str(cfg.months)),
            ids.PROGRAM_CADENCE: slack.select_value(str(cfg.cadence_days)),
            ids.PROGRAM_FIRST_SURVEY: slack.number_value(30),
            ids.PROGRAM_SURVEY_EVERY: slack.number_value(60),
            ids.PROGRAM_OPTIONS: slack.checkboxes_value(["digest_enabled"]),
            ids.PROGRAM_MIN_HOURS: slack.number_value(1),
            ids.PROGRAM_DIGEST_CHANNEL: slack.conversation_value(DIGEST_CHANNEL),
        }
        values = slack.values_for(view, {})
        for block_id, state in chosen.items():
            if block_id in values or any(b.get("block_id") == block_id for b in view.get("blocks", [])):
                values[block_id] = {ids.INPUT: state}
        ok = self._submit(COORDINATOR_ID, view, values)
        self.say(
            f"  Casey set signup {self._when(0)}..{self._when(3)}, match date {self._when(self.match_day)}, "
            f"start {self._when(self.start_day)}, {cfg.months} month{'s' if cfg.months != 1 else ''}, "
            f"check-ins every {cfg.cadence_days} days, "
            f"weekly digest to #mentoring-digest ({'saved' if ok else 'NOT saved'})"
        )
        self._observe()

    # ------------------------------------------------------------------ signing up

    def sign_up(self, people: Sequence[Profile] | None = None) -> None:
        """Everyone who is not a late joiner signs up through /mentor join (or the given people)."""
        chosen = list(people) if people is not None else [p for p in self.profiles.values() if p not in self._late]
        self.stage(f"Signup: {self._joining(len(chosen))} with /mentor")
        for person in chosen:
            self._sign_up_one(person)
        self._observe()

    def join(self, people: Sequence[Profile]) -> None:
        """People who were not in the generated cohort join the workspace and sign up now (mid-program)."""
        for person in people:
            self.profiles[person.user_id] = person
            self.names[person.user_id] = person.name
            self.ledger.people[person.user_id] = PersonTruth(
                user_id=person.user_id, name=person.name, role=person.role, timezone=person.timezone
            )
            self.sandbox.add_user(
                person.user_id,
                name=person.name.split()[0].lower(),
                real_name=person.name,
                tz=person.timezone,
                email=person.email,
            )
        self.sign_up(people)

    def _sign_up_one(self, person: Profile) -> None:
        view = self._command_modal(person.user_id, "join")
        if view is None:
            self.ledger.problems.append(f"{person.user_id}: /mentor join opened no modal")
            return
        if self._submit(person.user_id, view, fill.signup_values(view, person)):
            self.ledger.people[person.user_id].signed_up_at = self.clock()
            role = {Role.MENTOR: "a mentor", Role.MENTEE: "a mentee", Role.BOTH: "mentor and mentee"}[person.role]
            self.note(person.user_id, None, f"signed up as {role} ({person.timezone})")
        else:
            self.ledger.problems.append(f"{person.user_id}: signup refused")

    # ------------------------------------------------------------------ days

    def run_days(self, days: int) -> None:
        """Run ``days`` simulated days: prompts go out when due, and people act on what reached them."""
        if self.day == 0:
            self.stage(f"The program: {days} simulated days")
        for _ in range(days):
            self._one_day()
            self.day += 1

    def _one_day(self) -> None:
        start = self.config.start.replace(hour=0, minute=0) + timedelta(days=self.day)
        look = start + timedelta(hours=LOOK_HOUR)
        self._dispatch_until(look)
        self.clock.set(look)
        self._scheduled_actions()
        self._observe()
        self._act_on_inboxes()
        self._dispatch_until(start + timedelta(days=1) - timedelta(minutes=1))
        self._observe()

    def _dispatch_until(self, before: datetime) -> None:
        while (due := self._next_due(before)) is not None:
            self.clock.set(due)
            self.dispatcher.run_until_idle(self.clock())
            self.executor.wait_idle()
        self.clock.set(before)

    def _next_due(self, before: datetime) -> datetime | None:
        """When the outbox next has something due (the simulated clock jumps there, as time would pass)."""
        when = func.coalesce(ScheduledPrompt.next_attempt_at, ScheduledPrompt.due_at)
        with self.services.sessions() as session:
            due = session.exec(
                select(func.min(when)).where(
                    ScheduledPrompt.status == PromptStatus.PENDING,
                    or_(ScheduledPrompt.due_at < before, ScheduledPrompt.next_attempt_at < before),  # type: ignore[operator]
                )
            ).one()
        if due is None:
            return None
        due = due if due.tzinfo else due.replace(tzinfo=UTC)
        return due if due < before else None

    def _scheduled_actions(self) -> None:
        """What people and the coordinator do on given days (rounds, late signups, pauses, leaving...)."""
        if self.day == self.match_day:
            self._publish_round(first=True)
        if self.day == self.second_round_day - 3 and self._late:
            self.stage(f"Late signups: {self._joining(len(self._late))} after the first round")
            self.sign_up(self._late)
        if self.day == self.second_round_day and self._late:
            self.stage("A second round for the late joiners")
            self._publish_round(first=False)
        for pair in list(self.ledger.pairs.values()):
            if pair.closed_at is not None:
                continue
            age = (self.clock() - pair.kickoff_at).days
            if pair.behaviour == Behaviour.PAUSER and age == 40:
                self._pause(pair.mentee, pair)
            if pair.behaviour == Behaviour.PAUSER and age == 61:
                self._resume(pair.mentee, pair)
            if pair.behaviour == Behaviour.LEAVER and age == 60:
                self._leave(pair.mentee, pair)
            if pair.behaviour == Behaviour.EARLY_FINISHER and age == 75:
                self._goals_reached(pair)

    # ------------------------------------------------------------------ rounds and hand pairs

    def _publish_round(self, *, first: bool) -> None:
        """Publish the round's preview: the one that landed by itself on the match date, else /mentor match."""
        self._observe()
        preview = self._newest(COORDINATOR_ID, "match_preview")
        how = "by itself on the match date"
        if preview is None:
            how = "by /mentor match"
            response = self.driver.slash_command(COORDINATOR_ID, "match", channel_id=COORDINATORS_CHANNEL)
            self.executor.wait_idle()
            self._observe()
            preview = self._newest(COORDINATOR_ID, "match_preview")
            if response.status != 200 or preview is None:
                self.ledger.problems.append("no match preview arrived")
                return
        self._handled(COORDINATOR_ID, preview)
        view = self._open_modal(COORDINATOR_ID, preview, ids.MATCH_OPEN_PREVIEW)
        if view is None:
            self.ledger.problems.append("the match preview did not open")
            return
        pairs, unmatched, view = self._read_preview(view)
        self.say(f"  day {self.day:>3}  Casey opened the preview (the round started {how}):")
        for line in self._preview_lines:
            self.say(f"      {self._plain(line)[:150]}")
        self.say(
            f"  day {self.day:>3}  Casey clicked Publish: {counted(len(pairs), 'pair')}, {len(unmatched)} unmatched"
        )
        if not self._submit(COORDINATOR_ID, view, {}):
            self.ledger.problems.append("publishing the round failed")
            return
        self.ledger.rounds.append((self.clock(), how))
        self._made |= pairs
        self._observe()
        if first:
            self._hand_pairs(unmatched)
        else:
            self._pair_late_joiners(unmatched)

    def _pair_late_joiners(self, unmatched: list[str]) -> None:
        """A late joiner the round could not place is paired by hand with the first mentor who can take them."""
        late = {p.user_id for p in self._late}
        mentors = sorted({m for _, m in self._made}, key=lambda m: sum(1 for _, x in self._made if x == m))
        for mentee in [u for u in unmatched if u in late]:
            for mentor in mentors:
                if self._hand_pair(mentee, mentor, "they joined after the first round"):
                    break

    def _read_preview(self, view: dict[str, Any]) -> tuple[set[tuple[str, str]], list[str], dict[str, Any]]:
        """Every pair and unmatched mentee the preview lists (as the coordinator reads it): the pairs tab page
        after page, then the "Unmatched mentees" tab page after page."""
        pairs: set[tuple[str, str]] = set()
        unmatched: list[str] = []
        self._preview_lines = []
        for text in self._preview_pages(view):
            self._preview_lines += [line for line in text.splitlines() if "\u2192" in line or line.startswith("\u2022")]
            pairs |= set(re.findall(r"<@([UW][A-Z0-9]+)> \u2192 <@([UW][A-Z0-9]+)>", text))
        view = self.sandbox.view(str(view.get("id"))) or view
        self.driver.block_action(
            COORDINATOR_ID,
            ids.MATCH_TAB,
            view=view,
            action_type="static_select",
            selected_option=self._rendered_option(view, ids.MATCH_TAB, "unmatched"),
        )
        self.executor.wait_idle()
        view = self.sandbox.view(str(view.get("id"))) or view
        for text in self._preview_pages(view):
            found = [u for u in re.findall(r"^\u2022 <@([UW][A-Z0-9]+)>", text, re.MULTILINE) if u not in unmatched]
            unmatched += found
            self._preview_lines += [f"*Unmatched:* {line}" for line in text.splitlines() if line.startswith("\u2022")]
        return pairs, unmatched, self.sandbox.view(str(view.get("id"))) or view

    @staticmethod
    def _joining(n: int) -> str:
        return f"{counted(n, 'person', 'people')} {'joins' if n == 1 else 'join'}"

    @staticmethod
    def _rendered_option(view: dict[str, Any], action_id: str, value: str) -> dict[str, Any]:
        """The option of a select as the view renders it (what Slack sends back when it is chosen)."""
        for block in view.get("blocks") or []:
            for element in [*(block.get("elements") or []), block.get("accessory") or {}]:
                if element.get("action_id") == action_id:
                    return next(o for o in element.get("options") or [] if o.get("value") == value)
        raise KeyError(f"{action_id} not in the view")

    def _preview_pages(self, view: dict[str, Any]) -> Iterator[str]:
        """The text of each page of the preview's current tab, pressing Next until the last page."""
        for _ in range(100):
            yield blocks_text(view.get("blocks"))
            following = next(
                (v for a, v in action_ids(view.get("blocks") or []) if a == ids.MATCH_PAGE_NEXT and v.isdigit()), ""
            )
            if not following:
                return
            self.driver.block_action(COORDINATOR_ID, ids.MATCH_PAGE_NEXT, view=view, value=following)
            self.executor.wait_idle()
            view = self.sandbox.view(str(view.get("id"))) or view

    def _hand_pairs(self, unmatched: list[str]) -> None:
        """The busiest mentor gets a third mentee if they lack one, and the person on both sides their missing
        side: the coordinator pairs them by hand from the mentees the round left unmatched."""
        made = set(self._made)
        waiting = [u for u in unmatched if self.profiles.get(u) is not None and self.profiles[u].role == Role.MENTEE]
        load: dict[str, int] = {}
        for _, mentor in made:
            load[mentor] = load.get(mentor, 0) + 1
        candidates = [m for m in load if not self.ledger.people[m].casts] or list(load)
        if candidates:
            busiest = max(candidates, key=lambda m: (load[m], m))
            self.ledger.people[busiest].casts.add(Cast.MULTI_MENTOR)
        for person in sorted(self.ledger.people.values(), key=lambda p: Cast.BOTH not in p.casts):
            if Cast.MULTI_MENTOR in person.casts:
                have = sum(1 for _, mentor in made if mentor == person.user_id)
                for mentee in list(waiting[: max(0, 3 - have)]):
                    self._hand_pair(mentee, person.user_id, "they have room for three mentees")
                    waiting.remove(mentee)
                    made.add((mentee, person.user_id))
            if Cast.BOTH in person.casts:
                if not any(mentor == person.user_id for _, mentor in made) and waiting:
                    mentee = waiting.pop(0)
                    self._hand_pair(mentee, person.user_id, "they offered to mentor as well")
                    made.add((mentee, person.user_id))
                if person.user_id not in {m for m, _ in made}:
                    mentor = next(
                        (
                            p.user_id
                            for p in self.profiles.values()
                            if p.role == Role.MENTOR and not self.ledger.people[p.user_id].casts
                        ),
                        "",
                    )
                    if mentor:
                        self._hand_pair(person.user_id, mentor, "they want a mentor too")
                        made.add((person.user_id, mentor))

    def _hand_pair(self, mentee: str, mentor: str, reason: str) -> bool:
        text = f"pair <@{mentee}> <@{mentor}> {reason}"
        response = self.driver.slash_command(COORDINATOR_ID, text, channel_id=COORDINATORS_CHANNEL)
        self.executor.wait_idle()
        answer = ""
        try:
            answer = str(response.json().get("text", ""))
        except ValueError:
            answer = response.body
        if response.status == 200 and "Paired" in answer:
            self.ledger.hand_pairs[(mentee, mentor)] = reason
            self._made.add((mentee, mentor))
            self.note(COORDINATOR_ID, None, f"paired {self.who(mentee)} with {self.who(mentor)} by hand: {reason}")
            self._observe()
            return True
        self.say(f"  day {self.day:>3}  Casey could not pair {self.who(mentee)} with {self.who(mentor)}: {answer[:90]}")
        return False

    # ------------------------------------------------------------------ reading Slack

    def _observe(self) -> None:
        """Route every message the app posted since the last look to the people who see it."""
        self.executor.wait_idle()
        calls = self.sandbox.calls
        fresh, self._seen_calls = calls[self._seen_calls :], len(calls)
        channels: dict[str, None] = {}
        for call in fresh:
            if call.method == "chat.postMessage":
                channels[str(call.args.get("channel", ""))] = None
            elif call.method == "chat.postEphemeral":
                self._record_ephemeral(call.args)
        for channel in channels:
            self._read_channel(channel)

    def _record_ephemeral(self, args: dict[str, Any]) -> None:
        user = str(args.get("user", ""))
        text = str(args.get("text", ""))
        pair_id = self._channel_pair.get(str(args.get("channel", "")))
        self.ledger.received.append(
            Received(self.clock(), str(args.get("channel", "")), (user,), "", text, (), pair_id, "ephemeral")
        )
        self.say(f"  day {self.day:>3}  \u2192 {self.who(user)} (only they see it): {self._plain(text)[:110]}")

    def _read_channel(self, channel: str) -> None:
        resolved = self.sandbox.dm_channel_id(channel) if channel[:1] in ("U", "W") else channel
        members = tuple(self.sandbox.members_of(resolved))
        last = self._seen_ts.get(resolved, "")
        for message in self.sandbox.messages_in(resolved):
            ts = str(message.get("ts", ""))
            if last and float(ts) <= float(last):
                continue
            self._seen_ts[resolved] = ts
            self._deliver(resolved, members, message)

    def _deliver(self, channel: str, members: tuple[str, ...], message: dict[str, Any]) -> None:
        actions = action_ids(message.get("blocks") or [])
        found_ids = [a for a, _ in actions]
        kind = classify(message, found_ids)
        pair_id = self._channel_pair.get(channel)
        for _, value in actions:
            found = PAIR_ID.match(value)
            if found and kind not in ("match_preview", ""):
                pair_id = int(found.group(1))
                break
        text = str(message.get("text") or "")
        body = "\n".join([text, blocks_text(message.get("blocks"))])
        if kind == "kickoff":
            pair_id = self._introduce(channel, members, message, actions)
        self.ledger.received.append(
            Received(self.clock(), channel, members, str(message.get("ts", "")), body, tuple(found_ids), pair_id, kind)
        )
        if channel in (DIGEST_CHANNEL, COORDINATORS_CHANNEL):
            name = "#mentoring-digest" if channel == DIGEST_CHANNEL else "#mentoring-coordinators"
            self.say(f"  day {self.day:>3}  \u2192 {name}: {self._plain(text)[:110]}")
            return
        to = " & ".join(self.who(u) for u in members) + (" (pair DM)" if len(members) > 1 else " (DM)")
        self.say(f"  day {self.day:>3}  \u2192 {to}: {self._plain(text)[:110]}")
        pair = self.ledger.pairs.get(pair_id) if pair_id is not None else None
        if kind == "checkin" and pair is not None and channel == pair.channel:
            self._checkin_arrived(pair, message)
        if kind == "closure" and pair is not None and pair.closure_seen_at is None:
            pair.closure_seen_at = self.clock()
        if pair is not None and channel == pair.channel:  # the kickoff, a resume or an extension names the end
            ends = re.search(r"(?:runs until|extended your mentorship to) \*(\d{1,2} [A-Z][a-z]+ \d{4})\*", body)
            if ends:
                pair.ends_on = datetime.strptime(ends.group(1), "%d %B %Y").date().isoformat()
        for user in members:
            self._inbox.setdefault(user, _Inbox()).items.append((message, kind))

    def _introduce(
        self, channel: str, members: tuple[str, ...], message: dict[str, Any], actions: list[tuple[str, str]]
    ) -> int | None:
        """A kickoff: the two people now know their pair (who is mentee and mentor is in its first line)."""
        value = next((v for a, v in actions if a == ids.PAIR_SET_GOALS), "")
        found = PAIR_ID.match(value)
        named = re.match(r"Meet your mentorship partner: <@(\w+)> \(mentee\) and <@(\w+)> \(mentor\)", message["text"])
        if not found or not named:
            self.ledger.problems.append(f"a kickoff without a pair: {message.get('text', '')[:80]}")
            return None
        pair_id, mentee, mentor = int(found.group(1)), named.group(1), named.group(2)
        if pair_id in self.ledger.pairs:
            return pair_id
        self._channel_pair[channel] = pair_id
        reason = self.ledger.hand_pairs.get((mentee, mentor), "")
        parts = self.ledger.people[mentee].casts | (self.ledger.people[mentor].casts - {Cast.MULTI_MENTOR})
        if reason or parts:
            behaviour = Behaviour.DILIGENT  # a late joiner and a person on both sides keep their pairs ordinary
        else:
            mix = list(self.config.mix)
            behaviour = mix[self._mix_used] if self._mix_used < len(mix) else Behaviour.DILIGENT
            self._mix_used += 1
            if behaviour == Behaviour.DILIGENT and not self._help_pair:
                self._help_pair = pair_id
        self.ledger.pairs[pair_id] = PairTruth(
            pair_id=pair_id,
            mentee=mentee,
            mentor=mentor,
            channel=channel,
            source=PairSource.MANUAL if reason else PairSource.ALGORITHM,
            behaviour=behaviour,
            kickoff_at=self.clock(),
            hand_reason=reason,
        )
        self.say(f"  day {self.day:>3}  # pair #{pair_id}: {self.who(mentee)} & {self.who(mentor)} ({behaviour})")
        return pair_id

    def _checkin_arrived(self, pair: PairTruth, message: dict[str, Any]) -> None:
        """A new check-in: the previous one, if nobody answered it, was ignored."""
        for previous in pair.checkins:
            if previous.outcome is None:
                previous.outcome = CheckinOutcome.IGNORED
        pair.checkins.append(CheckinTruth(at=self.clock(), ts=str(message.get("ts", ""))))

    def _newest(self, user: str, kind: str) -> dict[str, Any] | None:
        items = self._inbox.get(user, _Inbox()).items
        for message, found in reversed(items):
            if found == kind:
                return message
        return None

    def _handled(self, user: str, message: dict[str, Any]) -> None:
        inbox = self._inbox.get(user)
        if inbox is not None:
            inbox.items = [(m, k) for m, k in inbox.items if m is not message]

    # ------------------------------------------------------------------ the coordinator's view

    def coordinator_view(self) -> CoordinatorView:
        """/mentor stats and /mentor export as the coordinator gets them, and every weekly digest posted."""
        before = len(self.sandbox.calls)
        self.driver.slash_command(COORDINATOR_ID, "stats", channel_id=COORDINATORS_CHANNEL)
        self.executor.wait_idle()
        stats = [
            c
            for c in self.sandbox.calls[before:]
            if c.method == "chat.postMessage" and c.args.get("channel") == COORDINATORS_CHANNEL
        ]
        stats_text = blocks_text(stats[-1].args.get("blocks")) if stats else ""
        files_before = len(self.sandbox.uploaded_files)
        self.driver.slash_command(COORDINATOR_ID, "export", channel_id=COORDINATORS_CHANNEL)
        self.executor.wait_idle()
        uploaded = self.sandbox.uploaded_files[files_before:]
        content = uploaded[-1].content.decode("utf-8") if uploaded else ""
        rows, sections = parse_export(content)
        digests = [
            blocks_text(c.args.get("blocks"))
            for c in self.sandbox.calls
            if c.method == "chat.postMessage" and c.args.get("channel") == DIGEST_CHANNEL
        ]
        self._observe()
        return CoordinatorView(
            stats_text=stats_text, digests=digests, export_rows=rows, export_sections=sections, export_csv=content
        )
