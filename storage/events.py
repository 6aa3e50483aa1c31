"""Deduplication of Events API deliveries by ``event_id``."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from storage.models import ProcessedEvent
from storage.types import utcnow

_TABLE = ProcessedEvent.__table__  # type: ignore[attr-defined]


def claim_event(*, session: Session, team_id: str, event_id: str, event_type: str = "") -> bool:
    """Record an event as handled. True the first time; False for a retry or a duplicate delivery.

    One ``INSERT ... ON CONFLICT DO NOTHING`` round trip on PostgreSQL and SQLite (no ORM flush); the unique
    constraint on (team_id, event_id) decides, so two replicas receiving the same delivery claim it once. Commits.
    """
    values = {"team_id": team_id, "event_id": event_id, "event_type": event_type[:64], "received_at": utcnow()}
    dialect = session.get_bind().dialect.name
    if dialect in ("postgresql", "sqlite"):
        module = postgresql if dialect == "postgresql" else sqlite
        statement = (
            module.insert(_TABLE).values(**values).on_conflict_do_nothing(index_elements=["team_id", "event_id"])
        )
        claimed = session.execute(statement.returning(_TABLE.c.id)).first() is not None
        session.commit()
        return claimed
    try:  # any other database: let the unique constraint raise
        session.execute(insert(_TABLE).values(**values))
        session.commit()
        return True
    except IntegrityError:
        session.rollback()
        return False


def prune_events(*, session: Session, older_than: timedelta = timedelta(days=7), now: datetime | None = None) -> int:
    """Forget events older than Slack's retry horizon; returns how many rows were removed."""
    cutoff = (now or utcnow()) - older_than
    result = session.execute(delete(ProcessedEvent).where(ProcessedEvent.received_at < cutoff))
    session.commit()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
