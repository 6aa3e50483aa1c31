"""Signup and self-service: the domain side of /mentor join, profile, pause, resume, leave."""

from __future__ import annotations

import logging
from collections.abc import Collection
from datetime import datetime
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from bot.cohorts import open_cohort
from bot.forms import SignupForm
from bot.profiles import Profile, Role, Status
from storage import participants
from storage.models import Participant
from storage.models import Profile as ProfileRow
from storage.vocab import ParticipantStatus

log = logging.getLogger(__name__)


def to_profile(participant: Participant, row: ProfileRow) -> Profile:
    """The domain profile of a stored participant."""
    return Profile(
        user_id=participant.user_id,
        role=Role(participant.role),
        name=participant.display_name,
        skills_offered=tuple(row.skills_offered or ()),
        skills_wanted=tuple(row.skills_wanted or ()),
        interests=tuple(row.interests or ()),
        career_goals=tuple(row.career_goals or ()),
        department=row.department,
        industry=row.industry,
        seniority=row.seniority,
        communication_style=row.communication_style,
        personality=row.personality,
        timezone=participant.timezone,
        days=tuple(row.days or ()),
        time_slots=tuple(row.time_slots or ()),
        meeting_format=row.meeting_format,
        capacity=row.capacity,
        languages=tuple(row.languages or ()),
        status=Status(participant.status),
        manager_id=row.manager_id,
        email=row.email,
    )


def load_profile(*, session: Session, team_id: str, user_id: str) -> tuple[Participant, Profile, str] | None:
    """A person's participant row, domain profile and bio; None when they have not signed up."""
    found = participants.get_with_profile(session=session, team_id=team_id, user_id=user_id)
    if found is None:
        return None
    participant, row = found
    return participant, to_profile(participant, row), row.bio


def load_profiles(
    *, session: Session, team_id: str, user_ids: Collection[str]
) -> dict[str, tuple[Participant, Profile, str]]:
    """``load_profile`` for several people in one query, by user id; people who have not signed up are left out."""
    found = participants.with_profiles(session=session, team_id=team_id, user_ids=user_ids)
    return {uid: (participant, to_profile(participant, row), row.bio) for uid, (participant, row) in found.items()}


def lookup_user(client: WebClient, user_id: str) -> dict[str, Any]:
    """Name and timezone from Slack's users.info; an empty dict when Slack cannot say."""
    try:
        user = client.users_info(user=user_id).get("user") or {}
    except SlackApiError as exc:
        log.warning("users.info failed user=%s error=%s", user_id, exc.response.get("error"))
        return {}
    except Exception as exc:  # noqa: BLE001 - a profile lookup must never stop the signup modal from opening
        log.warning("users.info unavailable user=%s error=%s", user_id, type(exc).__name__)
        return {}
    if not isinstance(user, dict):
        return {}
    profile = user.get("profile") or {}
    return {
        "name": profile.get("display_name") or user.get("real_name") or profile.get("real_name") or user.get("name"),
        "timezone": user.get("tz") or "UTC",
        "email": profile.get("email"),
    }


def save_signup(
    *,
    session: Session,
    team_id: str,
    user_id: str,
    form: SignupForm,
    display_name: str,
    email: str | None = None,
    cohort_id: int | None = None,
    person_key: str = "",
    now: datetime | None = None,
) -> tuple[Participant, bool]:
    """Store a validated signup (stamped ``now``, the app's clock); returns the participant and whether it is new.

    ``display_name`` names a new participant; an existing one keeps the name Slack gave earlier
    (:func:`remember_slack_identity` refreshes it after the signup is acknowledged). ``person_key`` is the
    person's keyed hash (``bot.privacy.person_key``).
    """
    fields = form.profile_fields()
    if email:
        fields["email"] = email
    existing = participants.get_participant(session=session, team_id=team_id, user_id=user_id)
    if existing is not None and existing.display_name:
        display_name = existing.display_name
    cohort = open_cohort(session=session, team_id=team_id, cohort_id=cohort_id)
    return participants.upsert_profile(
        cohort_id=cohort.id,
        session=session,
        team_id=team_id,
        user_id=user_id,
        role=form.role,
        display_name=display_name,
        timezone=form.timezone,
        fields=fields,
        person_key=person_key,
        now=now,
    )


def set_paused(*, session: Session, services: Any, team_id: str, user_id: str, paused: bool, now: datetime) -> bool:
    """A person pauses themselves (no matching, and their pairs' prompts hold) or comes back. Commits.

    Returns:
        False when they never signed up.
    """
    from bot.lifecycle import pause

    signed_up = participants.set_status(
        session=session,
        team_id=team_id,
        user_id=user_id,
        status=ParticipantStatus.PAUSED if paused else ParticipantStatus.ACTIVE,
    )
    if not signed_up:
        return False
    if paused:
        pause.hold_pairs_of(session=session, services=services, team_id=team_id, user_id=user_id, now=now)
    else:
        pause.release_pairs_of(session=session, services=services, team_id=team_id, user_id=user_id, now=now)
    return True


def remember_slack_identity(
    *, session: Session, client: WebClient, team_id: str, user_id: str, now: datetime
) -> dict[str, Any]:
    """After a signup is stored and acknowledged: read the person's name and email from Slack and keep them.

    Returns:
        What Slack said (empty when it could not say; the profile keeps what it had).
    """
    user = lookup_user(client, user_id)
    if user.get("name") or user.get("email"):
        participants.set_identity(
            session=session,
            team_id=team_id,
            user_id=user_id,
            display_name=str(user.get("name") or "") or None,
            email=user.get("email"),
            now=now,
        )
    return user
