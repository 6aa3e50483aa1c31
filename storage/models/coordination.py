"""Coordinator records: the audit log, round skips, and one-off notices already sent."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime, utcnow


class AuditLog(SQLModel, table=True):
    """One coordinator change: who did what to what, when, and why (when they said)."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_team_created", "team_id", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    actor: str = Field(max_length=32)
    action: str = Field(max_length=64)
    target: str = Field(default="", max_length=200)
    detail: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    reason: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class RoundSkip(SQLModel, table=True):
    """A person who asked to sit out one match round of a cohort (excluded from that round only)."""

    __tablename__ = "round_skip"
    __table_args__ = (
        UniqueConstraint("team_id", "cohort_id", "match_date", "user_id", name="uq_round_skip"),
        Index("ix_round_skip_round", "team_id", "cohort_id", "match_date"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    cohort_id: int
    match_date: str = Field(max_length=10)  # ISO date of the round
    user_id: str = Field(max_length=32)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class CohortNotice(SQLModel, table=True):
    """A one-off cohort message already sent (pre-match warning, weekly digest), so it goes out once."""

    __tablename__ = "cohort_notice"
    __table_args__ = (UniqueConstraint("team_id", "key", name="uq_cohort_notice_key"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    cohort_id: int | None = Field(default=None)
    key: str = Field(max_length=120)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Coordinator(SQLModel, table=True):
    """A coordinator of one workspace (the installer first; others added with ``/mentor coordinators add``)."""

    __tablename__ = "coordinator"
    __table_args__ = (UniqueConstraint("team_id", "user_id", name="uq_coordinator_team_user"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    user_id: str = Field(max_length=32)
    added_by: str = Field(default="", max_length=32)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class HrImport(SQLModel, table=True):
    """An HR file uploaded by a coordinator, from receipt to decision.

    ``plan`` holds the checked updates while a coordinator decides whether to import the rows without
    problems; it is emptied once applied or cancelled.
    """

    __tablename__ = "hr_import"
    __table_args__ = (Index("ix_hr_import_team_created", "team_id", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    actor: str = Field(max_length=32)
    source: str = Field(default="", max_length=200)
    file_url: str = Field(default="", max_length=2000)
    status: str = Field(default="received", max_length=16)  # storage.vocab.ImportStatus
    plan: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    report: str = Field(default="", sa_type=Text)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
