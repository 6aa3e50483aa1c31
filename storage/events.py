"""Deduplication of Events API deliveries by ``event_id``."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from storage.models import ProcessedEvent
from storage.types import utcnow

_TABLE = ProcessedEvent.__table__  # type: ignore[attr-defined]


# The dedupe insert runs on every event delivery, before the ack: plain driver SQL, so it costs one round trip and
# no statement compilation. The unique constraint on (team_id, event_id) decides.
_CLAIM_SQL = {
    "postgresql": (
        "INSERT INTO processed_event (team_id, event_id, event_type, received_at) "
        "VALUES (%(team_id)s, %(event_id)s, %(event_type)s, %(received_at)s) "
        "ON CONFLICT (team_id, event_id) DO NOTHING RETURNING id"
    ),
    "sqlite": (
        "INSERT INTO processed_event (team_id, event_id, event_type, received_at) "
        "VALUES (:team_id, :event_id, :event_type, :received_at) "
        "ON CONFLICT (team_id, event_id) DO NOTHING RETURNING id"
    ),
}


def claim_event(*, session: Session, team_id: str, event_id: str, event_type: str = "") -> bool:
    """Record an event as handled. True the first time; False for a retry or a duplicate delivery.

    One ``INSERT ... ON CONFLICT DO NOTHING RETURNING`` round trip on PostgreSQL and SQLite (driver SQL: no ORM
    flush, no compilation); the unique constraint on (team_id, event_id) decides, so two replicas receiving the
    same delivery claim it once. Commits.
    """
    values = {"team_id": team_id, "event_id": event_id, "event_type": event_type[:64], "received_at": utcnow()}
    dialect = session.get_bind().dialect
    if dialect.name in _CLAIM_SQL:
        to_db = _TABLE.c.received_at.type.bind_processor(dialect)  # stored exactly as the ORM stores it
        if to_db is not None:
            values["received_at"] = to_db(values["received_at"])
        claimed = session.connection().exec_driver_sql(_CLAIM_SQL[dialect.name], values).first() is not None
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
