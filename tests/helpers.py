"""Shared steps for scenario tests: a person signs up through the real app."""

from __future__ import annotations

import time
from typing import Any

from bot import ids
from bot.profiles import Profile, Role
from bot.sandbox import forms as fill
from tests.conftest import RunningApp

ALICE = Profile(
    user_id="U0ALICE001",
    role=Role.MENTEE,
    name="Alice Mentee",
    skills_wanted=("python", "system design", "kite surfing"),
    interests=("open source",),
    career_goals=("staff or principal engineer",),
    department="engineering",
    industry="software",
    seniority="junior",
    communication_style="direct",
    personality="introvert",
    timezone="Europe/Berlin",
    days=("tue", "thu"),
    time_slots=("afternoon",),
    meeting_format="video",
    capacity=1,
    languages=("english", "german"),
)
BOB = Profile(
    user_id="U0BOB00002",
    role=Role.MENTOR,
    name="Bob Mentor",
    skills_offered=("python", "system design", "people management"),
    career_goals=("become a manager",),
    department="engineering",
    industry="software",
    seniority="staff",
    timezone="America/New_York",
    days=("tue", "wed", "thu"),
    time_slots=("morning", "afternoon"),
    meeting_format="any",
    capacity=3,
    languages=("english",),
)


def add_person(app: RunningApp, profile: Profile) -> None:
    app.sandbox.add_user(
        profile.user_id,
        name=profile.name.split()[0].lower(),
        real_name=profile.name,
        tz=profile.timezone,
        email=f"{profile.user_id.lower()}@example.com",
    )


def open_modal(app: RunningApp, user_id: str, text: str = "join") -> dict[str, Any]:
    """/mentor <text> and the modal it opened."""
    before = time.time()
    response = app.driver.slash_command(user_id, text)
    assert response.status == 200, response.body
    app.sandbox.wait_for("views.open", after=before)
    return app.sandbox.views_opened(user_id)[-1]


def sign_up(app: RunningApp, profile: Profile) -> None:
    add_person(app, profile)
    view = open_modal(app, profile.user_id)
    assert view["callback_id"] == ids.SIGNUP_VIEW
    response = app.driver.view_submission(profile.user_id, view, fill.signup_values(view, profile))
    assert response.status == 200 and not response.body.strip(), response.body
    app.sandbox.wait_for("chat.postMessage", lambda c: c.args.get("channel") == profile.user_id)
    app.sandbox.wait_for("views.publish", lambda c: c.args.get("user_id") == profile.user_id)


def slack_timezone_prefilled(app: RunningApp, user_id: str, after: float) -> dict[str, Any]:
    """The signup modal once the app has put the person's Slack timezone in it (``views.update`` after the modal
    opened: the lookup must not delay the modal past its trigger)."""
    opened = app.sandbox.wait_for("views.open", after=after)
    app.sandbox.wait_for("views.update", after=opened.at)
    return app.sandbox.views_opened(user_id)[-1]
