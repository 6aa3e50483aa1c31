"""Queries for the coordinators of each workspace."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from storage.models import Coordinator
from storage.types import utcnow


def list_coordinators(*, session: Session, team_id: str) -> list[str]:
    """The user ids of a workspace's stored coordinators, earliest added first."""
    return list(
        session.exec(
            select(Coordinator.user_id).where(Coordinator.team_id == team_id).order_by(Coordinator.id)  # type: ignore[arg-type]
        ).all()
    )


# Read on most requests: built once (statement construction and cache-key work are most of a small query's CPU).
_IS_LISTED = select(Coordinator.id).where(
    Coordinator.team_id == bindparam("team_id"), Coordinator.user_id == bindparam("user_id")
)


def is_listed(*, session: Session, team_id: str, user_id: str) -> bool:
    """Whether a person is a stored coordinator of the workspace."""
    found = session.connection().execute(_IS_LISTED, {"team_id": team_id, "user_id": user_id}).first()
    return found is not None


def count_coordinators(*, session: Session, team_id: str) -> int:
    """How many stored coordinators a workspace has."""
    return int(session.exec(select(func.count()).where(Coordinator.team_id == team_id)).one())


def add_coordinator(
    *, session: Session, team_id: str, user_id: str, added_by: str, now: datetime | None = None
) -> bool:
    """Make someone a coordinator of a workspace; commits. False when they already were."""
    if is_listed(session=session, team_id=team_id, user_id=user_id):
        return False
    try:
        with session.begin_nested():
            session.add(Coordinator(team_id=team_id, user_id=user_id, added_by=added_by, created_at=now or utcnow()))
        session.commit()
    except IntegrityError:  # the same add twice at once
        session.rollback()
        return False
    return True


def remove_coordinator(*, session: Session, team_id: str, user_id: str) -> bool:
    """Remove a stored coordinator; commits. False when they were not one."""
    row = session.exec(
        select(Coordinator).where(Coordinator.team_id == team_id, Coordinator.user_id == user_id)
    ).first()
    if row is None:
        return False
    session.delete(row)
    session.commit()
    return True


def add_first_coordinator(*, session: Session, team_id: str, user_id: str, now: datetime | None = None) -> bool:
    """The installer of a workspace becomes its first coordinator, unless it already has one; commits."""
    if count_coordinators(session=session, team_id=team_id) > 0:
        return False
    return add_coordinator(session=session, team_id=team_id, user_id=user_id, added_by="install", now=now)
