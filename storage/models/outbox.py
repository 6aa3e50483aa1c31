"""The outbox: every future prompt is a row, claimed and sent by the dispatcher (``bot/dispatch.py``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime, utcnow
from storage.vocab import PromptStatus

PENDING = PromptStatus.PENDING
LEASED = PromptStatus.LEASED
SENT = PromptStatus.SENT
FAILED = PromptStatus.FAILED
CANCELLED = PromptStatus.CANCELLED
SKIPPED = PromptStatus.SKIPPED
STATUSES = (PENDING, LEASED, SENT, FAILED, CANCELLED, SKIPPED)


class ScheduledPrompt(SQLModel, table=True):
    """One message to send at ``due_at``: rendered at send time by the renderer registered for ``kind``."""

    __tablename__ = "scheduled_prompt"
    __table_args__ = (
        UniqueConstraint("team_id", "idempotency_key", name="uq_scheduled_prompt_key"),
        # The claim query: pending rows by due time, and leased rows whose lease ran out.
        Index("ix_scheduled_prompt_status_due", "status", "due_at"),
        Index("ix_scheduled_prompt_status_next", "status", "next_attempt_at"),
        Index("ix_scheduled_prompt_status_lease", "status", "lease_expires_at"),
        Index("ix_scheduled_prompt_team_pair", "team_id", "pair_id"),
        Index("ix_scheduled_prompt_team_recipient", "team_id", "recipient_user_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    idempotency_key: str = Field(max_length=200)
    kind: str = Field(max_length=64)
    pair_id: int | None = Field(default=None)
    recipient_user_id: str | None = Field(default=None, max_length=32)
    channel_id: str | None = Field(default=None, max_length=32)  # None: the recipient's DM
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    due_at: datetime = Field(sa_type=UTCDateTime)
    status: str = Field(default=PENDING, max_length=16)  # PromptStatus
    attempts: int = Field(default=0)
    next_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    lease_owner: str | None = Field(default=None, max_length=128)
    lease_expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    sent_ts: str | None = Field(default=None, max_length=32)
    sent_channel: str | None = Field(default=None, max_length=32)
    last_error: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
