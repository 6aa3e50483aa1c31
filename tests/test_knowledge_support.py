"""Shared setup for the knowledge and networking tests: people and pairs stored directly, Slack-shaped requests."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from typing import Any

from slack_sdk.models.views import View

from bot.profiles import Profile, Role
from storage import participants
from storage.models import Pair
from storage.vocab import PairStatus
from tests.conftest import TEAM_ID, RunningApp
from tests.helpers import ALICE, BOB, add_person

CAROL = Profile(
    user_id="U0CAROL003",
    role=Role.MENTOR,
    name="Carol Expert",
    skills_offered=("system design", "distributed systems", "public speaking"),
    department="data",
    seniority="principal",
    timezone="Europe/London",
)
DAN = replace(CAROL, user_id="U0DAN00004", name="Dan Other", skills_offered=("python", "writing"), department="sales")
ERIN = replace(CAROL, user_id="U0ERIN0005", name="Erin Fourth", skills_offered=("machine learning",))
FRED = replace(CAROL, user_id="U0FRED0006", name="Fred Fifth", skills_offered=("security",))


def seed_person(app: RunningApp, profile: Profile) -> None:
    """A participant with a profile, as if they had signed up."""
    add_person(app, profile)
    with app.sessions() as session:
        participants.upsert_profile(
            session=session,
            team_id=TEAM_ID,
            user_id=profile.user_id,
            role=profile.role.value,
            display_name=profile.name,
            timezone=profile.timezone,
            fields={
                "skills_offered": profile.skills_offered,
                "skills_wanted": profile.skills_wanted,
                "career_goals": profile.career_goals,
                "department": profile.department,
                "seniority": profile.seniority,
                "manager_id": profile.manager_id,
            },
        )


def seed_pair(app: RunningApp, mentee: Profile, mentor: Profile, *, status: str = PairStatus.ACTIVE) -> Pair:
    """A pair with its group DM opened in the sandbox."""
    opened = app.services.client.conversations_open(users=f"{mentee.user_id},{mentor.user_id}")
    pair = Pair(
        team_id=TEAM_ID,
        mentee_user_id=mentee.user_id,
        mentor_user_id=mentor.user_id,
        status=status,
        channel_id=opened["channel"]["id"],
    )
    with app.sessions() as session:
        session.add(pair)
        session.commit()
        session.refresh(pair)
    return pair


def alice_and_bob(app: RunningApp) -> Pair:
    seed_person(app, ALICE)
    seed_person(app, BOB)
    return seed_pair(app, ALICE, BOB)


def command(app: RunningApp, user_id: str, text: str, *, channel_id: str = "C0GENERAL") -> dict[str, Any]:
    """A /mentor command; the ephemeral answer in the ack, or what was posted to its response URL."""
    before = len(app.sandbox.responses)
    response = app.driver.slash_command(user_id, text, channel_id=channel_id)
    assert response.status == 200, response.body
    assert response.elapsed < 3
    if response.body.strip():
        return response.json()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        posted = app.sandbox.responses[before:]
        if posted:
            return posted[-1].payload
        time.sleep(0.02)
    return {}


def everything_sent_to(app: RunningApp, user_id: str) -> str:
    """All text a person could see from the app: DMs, ephemerals and response-URL posts (for their commands)."""
    parts = [json.dumps(m) for m in app.sandbox.messages_to(user_id)]
    parts += [json.dumps(r.payload) for r in app.sandbox.responses]
    return "\n".join(parts)


def validate_blocks(blocks: list[dict[str, Any]]) -> None:
    """Slack's own block models catch length and count limits."""
    View(type="modal", title="check", blocks=blocks).validate_json()


def buttons(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found = []
    for block in blocks:
        found += [e for e in block.get("elements") or [] if e.get("type") == "button"]
        if (block.get("accessory") or {}).get("type") == "button":
            found.append(block["accessory"])
    return found
