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
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from bot.app import build_app, build_client
from bot.clock import SimulatedClock
from bot.config import load_settings
from bot.profiles import Profile, Role
from bot.sandbox import SlackDriver, SlackSandbox
from bot.sandbox import forms as fill
from bot.sandbox.people import generate_people
from bot.server import LocalServer, SlackWSGI
from bot.services import Services
from storage.db import make_engine, session_factory
from storage.migrate import upgrade

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
    demo.stage(f"Signup: {len(demo.people)} people join with /mentor")
    for person in demo.people:
        started = time.time()
        response = demo.driver.slash_command(person.user_id, "join")
        if response.status != 200:
            demo.say(f"  ! {person.name}: /mentor answered {response.status}")
            continue
        demo.sandbox.wait_for("views.open", after=started)
        view = demo.sandbox.views_opened(person.user_id)[-1]
        demo.driver.view_submission(person.user_id, view, fill.signup_values(view, person))
        dm = demo.sandbox.wait_for(
            "chat.postMessage", lambda c, u=person.user_id: c.args.get("channel") == u, after=started
        )
        demo.say(f"* {person.name} ({_describe(person)})")
        demo.say(f"    typed /mentor join, filled the modal ({len(view['blocks'])} blocks), and was told:")
        demo.say(f"    \u2190 {dm.args.get('text', '')}")


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
        f"Preview: {len(result.get('pairs', []))} pairs, mean score {result.get('mean_score', 0):.2f}, "
        f"{len(result.get('unmatched', {}))} unmatched"
    )
    for pair in result.get("pairs", []):
        demo.say(f"  {demo.who(pair['mentee'])} \u2192 {demo.who(pair['mentor'])}  score {pair['score']:.2f}")
        for reason in pair.get("reasons", []):
            demo.say(f"      \u2022 {reason}")
    for user_id, reason in result.get("unmatched", {}).items():
        demo.say(f"  unmatched: {demo.who(user_id)}: {reason}")
    answer = demo.driver.view_submission(COORDINATOR_ID, view, {})
    demo.say(f"Casey clicked Publish ({answer.status}).")


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
            demo.say(
                f"mentorbot demo: {people} simulated people (seed {seed}), program of {days} days, "
                f"database {database_url}"
            )
            sign_up_everyone(demo)
            run_match_round(demo)
            demo.stage("Done")
            demo.say(
                f"The app made {len(sandbox.calls)} Web API calls" + (f", recorded to {record}" if record else "") + "."
            )
        finally:
            server.stop()
            engine.dispose()
    return 0

