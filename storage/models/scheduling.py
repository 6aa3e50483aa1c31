"""Scheduling: proposed times, booked meetings (with their calendar invite's identity) and away dates."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Index, Integer, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime, utcnow
from storage.vocab import BookingStatus, ProposalStatus


def _pair_fk() -> Any:
    return Column(Integer, ForeignKey("pair.id", ondelete="CASCADE"), nullable=False)


class MeetingProposal(SQLModel, table=True):
    """Three slots offered to a pair; every change of state is a compare-and-set on ``version``."""

    __tablename__ = "meeting_proposal"
    __table_args__ = (Index("ix_meeting_proposal_pair", "pair_id", "status"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    pair_id: int = Field(sa_column=_pair_fk())
    booking_id: int | None = Field(default=None)  # the booking these times would move (a reschedule)
    slots: list[str] = Field(default_factory=list, sa_type=JSON)  # ISO UTC starts
    duration_minutes: int = Field(default=30)
    channel: str = Field(default="video", max_length=16)  # the pair's agreed format
    status: str = Field(default=ProposalStatus.OPEN, max_length=16)  # ProposalStatus
    picked_index: int = Field(default=-1)
    picked_by: str = Field(default="", max_length=32)
    created_by: str = Field(default="", max_length=32)  # "" when the bot offered them (kickoff, check-in)
    version: int = Field(default=0)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class MeetingBooking(SQLModel, table=True):
    """A meeting the pair booked; ``uid`` and ``sequence`` are its calendar invite's identity and revision."""

    __tablename__ = "meeting_booking"
    __table_args__ = (
        UniqueConstraint("proposal_id", name="uq_meeting_booking_proposal"),
        UniqueConstraint("uid", name="uq_meeting_booking_uid"),
        Index("ix_meeting_booking_pair", "pair_id", "starts_at"),
        Index("ix_meeting_booking_team", "team_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    pair_id: int = Field(sa_column=_pair_fk())
    proposal_id: int  # the proposal it was booked from (one booking per proposal, whoever clicks)
    uid: str = Field(max_length=120)
    starts_at: datetime = Field(sa_type=UTCDateTime)
    ends_at: datetime = Field(sa_type=UTCDateTime)
    duration_minutes: int = Field(default=30)
    channel: str = Field(default="video", max_length=16)
    status: str = Field(default=BookingStatus.BOOKED, max_length=16)  # BookingStatus
    sequence: int = Field(default=0)  # RFC 5545 SEQUENCE: bumped by each move or cancellation
    picked_by: str = Field(default="", max_length=32)
    confirmed_by: str = Field(default="", max_length=32)
    outcome: str = Field(default="", max_length=16)  # MeetOutcome, "" until someone answers "Did you meet?"
    outcome_by: str = Field(default="", max_length=32)
    outcome_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class AwayPeriod(SQLModel, table=True):
    """Days a person is not available (``/mentor away``): no proposals or prompts for them then; no pause."""

    __tablename__ = "away_period"
    __table_args__ = (Index("ix_away_period_team_user", "team_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    user_id: str = Field(max_length=32)
    starts_on: date
    ends_on: date
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
