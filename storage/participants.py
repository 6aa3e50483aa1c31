"""Queries for participants and their profiles."""

from __future__ import annotations

import secrets
from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from storage.models import AnonymousDeparture, Participant, Profile
from storage.types import utcnow
from storage.vocab import ParticipantStatus

PROFILE_FIELDS = (
    "skills_offered",
    "skills_wanted",
    "interests",
    "career_goals",
    "department",
    "industry",
    "seniority",
    "communication_style",
    "personality",
    "days",
    "time_slots",
    "meeting_format",
    "capacity",
    "languages",
    "bio",
    "manager_id",
    "email",
)


_GET_PARTICIPANT = select(Participant).where(
    Participant.team_id == bindparam("team_id"), Participant.user_id == bindparam("user_id")
)


def get_participant(*, session: Session, team_id: str, user_id: str) -> Participant | None:
    """The participant row for a Slack user in a workspace, if they signed up."""
    return session.exec(_GET_PARTICIPANT, params={"team_id": team_id, "user_id": user_id}).first()  # type: ignore[call-overload]


def get_profile(*, session: Session, participant_id: int) -> Profile | None:
    """The profile row of a participant."""
    return session.get(Profile, participant_id)


# Read on every App Home render: built once (statement construction is a good part of a query's CPU).
_WITH_PROFILE = (
    select(Participant, Profile)
    .join(Profile, Profile.participant_id == Participant.id)
    .where(Participant.team_id == bindparam("team_id"), Participant.user_id == bindparam("user_id"))
)
_STATUS_AND_MANAGER = (
    select(Participant.user_id, Participant.status, Profile.manager_id)
    .join(Profile, Profile.participant_id == Participant.id)
    .where(
        Participant.team_id == bindparam("team_id"), col(Participant.user_id).in_(bindparam("user_ids", expanding=True))
    )
)


def get_with_profile(*, session: Session, team_id: str, user_id: str) -> tuple[Participant, Profile] | None:
    """A participant and their profile row in one query; None when either is missing."""
    row = session.exec(_WITH_PROFILE, params={"team_id": team_id, "user_id": user_id}).first()  # type: ignore[call-overload]
    return (row[0], row[1]) if row is not None else None


def status_and_manager(
    *, session: Session, team_id: str, user_ids: Collection[str]
) -> dict[str, tuple[str, str | None]]:
    """Participants' status and manager id, by user id, in one light query (missing ones left out)."""
    if not user_ids:
        return {}
    rows = session.connection().execute(_STATUS_AND_MANAGER, {"team_id": team_id, "user_ids": list(user_ids)})
    return {user_id: (status, manager_id) for user_id, status, manager_id in rows}


def with_profiles(
    *, session: Session, team_id: str, user_ids: Collection[str]
) -> dict[str, tuple[Participant, Profile]]:
    """Participants of a workspace with their profile rows, by user id, in one query (missing ones left out)."""
    if not user_ids:
        return {}
    rows = session.exec(
        select(Participant, Profile)
        .join(Profile, Profile.participant_id == Participant.id)
        .where(Participant.team_id == team_id, Participant.user_id.in_(list(user_ids)))  # type: ignore[attr-defined]
    ).all()
    return {participant.user_id: (participant, profile) for participant, profile in rows}


def upsert_profile(
    *,
    session: Session,
    team_id: str,
    user_id: str,
    role: str,
    display_name: str,
    timezone: str,
    fields: Mapping[str, Any],
    cohort_id: int | None = None,
    now: datetime | None = None,
    person_key: str = "",
) -> tuple[Participant, bool]:
    """Create or update a participant and their profile in one transaction.

    ``person_key`` (``bot.privacy.person_key``) is stored when given, so keyed confidential rows (a do-not-pair
    entry, a past pair) recognise someone who left and came back.

    Safe under a double submission: two concurrent calls leave one participant and one profile.

    Returns:
        The participant and whether it was created by this call.
    """
    now = now or utcnow()
    unknown = set(fields) - set(PROFILE_FIELDS)
    if unknown:
        raise ValueError(f"unknown profile fields: {sorted(unknown)}")
    created = False
    participant = get_participant(session=session, team_id=team_id, user_id=user_id)
    if participant is None:
        participant = Participant(
            team_id=team_id,
            user_id=user_id,
            role=role,
            display_name=display_name,
            timezone=timezone,
            cohort_id=cohort_id,
            person_key=person_key,
            created_at=now,
            updated_at=now,
        )
        try:
            with session.begin_nested():
                session.add(participant)
            created = True
        except IntegrityError:  # a concurrent submission created it first: update that one instead
            participant = get_participant(session=session, team_id=team_id, user_id=user_id)
            assert participant is not None
    if not created:
        participant.role = role
        participant.display_name = display_name
        participant.timezone = timezone
        if cohort_id is not None:
            participant.cohort_id = cohort_id
        if participant.status == ParticipantStatus.DEPARTED:
            participant.status = ParticipantStatus.ACTIVE
        if person_key:
            participant.person_key = person_key
        participant.updated_at = now
        session.add(participant)
    session.flush()
    assert participant.id is not None
    profile = session.get(Profile, participant.id)
    if profile is None:
        profile = Profile(participant_id=participant.id, team_id=team_id)
    owned = set(profile.imported_fields or [])  # set by an HR import: the person's own edit keeps them
    for name, value in fields.items():
        if name in owned:
            continue
        setattr(profile, name, list(value) if isinstance(value, tuple) else value)
    profile.updated_at = now
    session.add(profile)
    session.commit()
    return participant, created


SIGNUP_HR_FIELDS = ("department", "industry", "seniority")


def imported_values(*, session: Session, team_id: str, user_id: str) -> dict[str, str]:
    """Signup fields an HR import set for a person (field -> value): their profile edit shows them, keeps them."""
    found = get_with_profile(session=session, team_id=team_id, user_id=user_id)
    if found is None:
        return {}
    profile = found[1]
    return {name: str(getattr(profile, name)) for name in SIGNUP_HR_FIELDS if name in (profile.imported_fields or [])}


def set_identity(
    *, session: Session, team_id: str, user_id: str, display_name: str | None, email: str | None, now: datetime
) -> bool:
    """Store the name and email Slack knows for a participant (read after their signup was saved). Commits.

    Returns:
        False when the person is not (or no longer) signed up.
    """
    found = get_with_profile(session=session, team_id=team_id, user_id=user_id)
    if found is None:
        return False
    participant, profile = found
    if display_name:
        participant.display_name = display_name[:200]
        participant.updated_at = now
        session.add(participant)
    if email:
        profile.email = email
        session.add(profile)
    session.commit()
    return True


_SET_STATUS = (
    update(Participant)
    .where(col(Participant.team_id) == bindparam("b_team_id"), col(Participant.user_id) == bindparam("b_user_id"))
    .values(status=bindparam("b_status"), paused_until=bindparam("b_paused_until"), updated_at=bindparam("b_now"))
    .returning(col(Participant.id))
)


def set_status(
    *, session: Session, team_id: str, user_id: str, status: str, paused_until: datetime | None = None
) -> bool:
    """Set a participant's status (active | paused | departed) in one statement; commits. False when they never
    signed up. (A participant object already loaded in ``session`` is not refreshed.)"""
    params = {
        "b_team_id": team_id,
        "b_user_id": user_id,
        "b_status": str(status),
        "b_paused_until": paused_until if status == ParticipantStatus.PAUSED else None,
        "b_now": utcnow(),
    }
    found = session.connection().execute(_SET_STATUS, params).first()
    session.commit()
    return found is not None


def delete_person(
    *, session: Session, team_id: str, user_id: str, now: datetime | None = None, pseudonym: str | None = None
) -> bool:
    """Remove a person's personal data from every table, keeping only an anonymous count for stats.

    Their open pairs are closed (pending prompts cancelled); see ``storage.privacy.erase_person`` for what
    is deleted, pseudonymised and scrubbed. Commits.

    Args:
        session: Database session.
        team_id: The person's workspace.
        user_id: Their Slack user id.
        now: The time of leaving.
        pseudonym: What replaces their user id in rows kept for others (``bot.privacy.pseudonym``); a random
            one when not given.

    Returns:
        True when something was deleted.
    """
    from storage import privacy

    now = now or utcnow()
    # lock the person first (as publishing a round and a mentor's Accept do), so a pair being created for them
    # right now is either seen and closed here, or not created at all
    participant = session.exec(
        select(Participant).where(Participant.team_id == team_id, Participant.user_id == user_id).with_for_update()
    ).first()
    if participant is None:
        return False
    profile = session.get(Profile, participant.id)
    names = [participant.display_name, *([profile.email] if profile is not None and profile.email else [])]
    session.add(
        AnonymousDeparture(team_id=team_id, cohort_id=participant.cohort_id, role=participant.role, left_at=now)
    )
    privacy.close_pairs_of(session=session, team_id=team_id, user_id=user_id, now=now)
    session.flush()
    privacy.erase_person(
        session=session,
        team_id=team_id,
        user_id=user_id,
        participant_id=participant.id,
        pseudonym=pseudonym or f"gone:{secrets.token_hex(6)}",
        names=names,
    )
    session.commit()
    return True


def list_participants(
    *, session: Session, team_id: str, cohort_id: int | None = None, status: str | None = ParticipantStatus.ACTIVE
) -> list[tuple[Participant, Profile]]:
    """Participants with their profiles, optionally limited to a cohort and a status."""
    query = select(Participant, Profile).join(Profile, Profile.participant_id == Participant.id)
    query = query.where(Participant.team_id == team_id)
    if cohort_id is not None:
        query = query.where(Participant.cohort_id == cohort_id)
    if status is not None:
        query = query.where(Participant.status == status)
    return [(p, prof) for p, prof in session.exec(query.order_by(Participant.id)).all()]


def count_by_role(*, session: Session, team_id: str) -> dict[str, int]:
    """How many active participants per role."""
    rows = session.exec(
        select(Participant.role, func.count())
        .where(Participant.team_id == team_id, Participant.status == ParticipantStatus.ACTIVE)
        .group_by(Participant.role)
    ).all()
    return {role: count for role, count in rows}
