"""Programs (cohorts), participants and their profiles, and processed Slack events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Index, Integer, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime, utcnow
from storage.vocab import CohortStatus, ParticipantStatus


class Cohort(SQLModel, table=True):
    """A program run: who signs up into it, when it matches, how long pairs last, how it scores."""

    __tablename__ = "cohort"
    __table_args__ = (UniqueConstraint("team_id", "name", name="uq_cohort_team_name"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32, index=True)
    name: str = Field(max_length=120)
    status: str = Field(default=CohortStatus.OPEN, max_length=16)  # CohortStatus
    settings: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Participant(SQLModel, table=True):
    """One person in the program, keyed by workspace and Slack user."""

    __tablename__ = "participant"
    __table_args__ = (
        UniqueConstraint("team_id", "user_id", name="uq_participant_team_user"),
        Index("ix_participant_team_cohort_status", "team_id", "cohort_id", "status"),
        Index("ix_participant_team_person_key", "team_id", "person_key"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    user_id: str = Field(max_length=32)
    cohort_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("cohort.id", ondelete="SET NULL"), nullable=True)
    )
    role: str = Field(max_length=8)  # Role
    status: str = Field(default=ParticipantStatus.ACTIVE, max_length=16)  # ParticipantStatus
    display_name: str = Field(default="", max_length=200)
    timezone: str = Field(default="UTC", max_length=64)
    paused_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # first in line next round: left unmatched, or asked for a rematch
    priority: bool = Field(default=False)
    unmatched_reason: str = Field(default="", max_length=300)
    # HMAC of team and user id (``bot.privacy.person_key``): links a rejoining person to keyed confidential rows
    person_key: str = Field(default="", max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Profile(SQLModel, table=True):
    """What the person told us in the signup form: everything matching needs."""

    __tablename__ = "profile"

    participant_id: int = Field(
        sa_column=Column(Integer, ForeignKey("participant.id", ondelete="CASCADE"), primary_key=True)
    )
    team_id: str = Field(max_length=32, index=True)
    skills_offered: list[str] = Field(default_factory=list, sa_type=JSON)
    skills_wanted: list[str] = Field(default_factory=list, sa_type=JSON)
    interests: list[str] = Field(default_factory=list, sa_type=JSON)
    career_goals: list[str] = Field(default_factory=list, sa_type=JSON)
    department: str = Field(default="", max_length=100)
    industry: str = Field(default="", max_length=100)
    seniority: str = Field(default="mid", max_length=32)
    communication_style: str = Field(default="", max_length=32)
    personality: str = Field(default="", max_length=32)
    days: list[str] = Field(default_factory=list, sa_type=JSON)
    time_slots: list[str] = Field(default_factory=list, sa_type=JSON)
    meeting_format: str = Field(default="any", max_length=16)
    capacity: int = Field(default=1)
    languages: list[str] = Field(default_factory=list, sa_type=JSON)
    bio: str = Field(default="", max_length=1000)
    manager_id: str | None = Field(default=None, max_length=32)
    email: str | None = Field(default=None, max_length=254)
    # fields an HR import set (department, industry, seniority...): a later profile edit keeps them
    imported_fields: list[str] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]")
    )
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ProcessedEvent(SQLModel, table=True):
    """Events API deliveries already handled, so a retry (X-Slack-Retry-Num) has no second effect."""

    __tablename__ = "processed_event"
    __table_args__ = (UniqueConstraint("team_id", "event_id", name="uq_processed_event"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    event_id: str = Field(max_length=64)
    event_type: str = Field(default="", max_length=64)
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)


class AnonymousDeparture(SQLModel, table=True):
    """What remains of someone who left: a count for stats, nothing that identifies them."""

    __tablename__ = "anonymous_departure"

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32, index=True)
    cohort_id: int | None = Field(default=None)
    role: str = Field(max_length=8)
    left_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
