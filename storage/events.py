"""Deduplication of Events API deliveries by ``event_id``."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from storage.models import ProcessedEvent
from storage.types import utcnow


def claim_event(*, session: Session, team_id: str, event_id: str, event_type: str = "") -> bool:
    """Record an event as handled. True the first time; False for a retry or a duplicate delivery."""
    try:
        session.add(ProcessedEvent(team_id=team_id, event_id=event_id, event_type=event_type[:64]))
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
