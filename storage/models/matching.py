"""Match rounds (previews a coordinator can pin, forbid, re-run and publish) and the pairs they create."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Index, Integer, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime, utcnow
from storage.vocab import MatchRequestStatus, PairSource, PairStatus, RoundStatus


class MatchRound(SQLModel, table=True):
    """One run of the matcher for a cohort: a preview until a coordinator publishes it."""

    __tablename__ = "match_round"

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32, index=True)
    cohort_id: int | None = Field(default=None)
    status: str = Field(default=RoundStatus.RUNNING, max_length=16)  # RoundStatus
    requested_by: str = Field(max_length=32)
    channel_id: str = Field(default="", max_length=32)  # where the coordinator asked
    # pinned / forbidden pairs as [[mentee_user_id, mentor_user_id], ...]
    pinned: list[list[str]] = Field(default_factory=list, sa_type=JSON)
    forbidden: list[list[str]] = Field(default_factory=list, sa_type=JSON)
    # the preview: {"pairs": [...], "unmatched": {...}, "mean_score": x, "mentor_load": {...}, "changes": {...}}
    result: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    revision: int = Field(default=0)
    error: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    published_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Pair(SQLModel, table=True):
    """A mentor and a mentee in a program, from publication to closure (and remembered after)."""

    __tablename__ = "pair"
    __table_args__ = (
        UniqueConstraint("team_id", "mentee_user_id", "mentor_user_id", "cohort_id", name="uq_pair_people_cohort"),
        Index("ix_pair_team_status", "team_id", "status"),
        Index("ix_pair_team_mentor", "team_id", "mentor_user_id"),
        Index("ix_pair_team_mentee", "team_id", "mentee_user_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    cohort_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("cohort.id", ondelete="SET NULL"), nullable=True)
    )
    round_id: int | None = Field(default=None)
    mentee_user_id: str = Field(max_length=32)
    mentor_user_id: str = Field(max_length=32)
    status: str = Field(default=PairStatus.ACTIVE, max_length=16)  # PairStatus
    source: str = Field(default=PairSource.ALGORITHM, max_length=16)  # PairSource
    score: float = Field(default=0.0)
    reasons: list[Any] = Field(default_factory=list, sa_type=JSON)  # bot.matching.reasons (older rows: text)
    factors: dict[str, float] = Field(default_factory=dict, sa_type=JSON)
    manual_reason: str = Field(default="", max_length=500)  # why a coordinator overrode a constraint
    created_by: str = Field(default="", max_length=32)
    channel_id: str = Field(default="", max_length=32)  # the pair's group DM, once opened
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    close_reason: str = Field(default="", max_length=64)  # CloseReason


class DoNotPair(SQLModel, table=True):
    """A person's confidential list of people they must not be paired with."""

    __tablename__ = "do_not_pair"
    __table_args__ = (UniqueConstraint("team_id", "user_id", "other_user_id", name="uq_do_not_pair"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    user_id: str = Field(max_length=32, index=True)
    other_user_id: str = Field(max_length=32)  # a pseudonym once that person left
    other_key: str = Field(default="", max_length=64)  # ``bot.privacy.person_key`` of the other person: survives it
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class MatchRequest(SQLModel, table=True):
    """Mentee-choice mode: a mentee's ranked request to a mentor, answered within a deadline."""

    __tablename__ = "match_request"
    __table_args__ = (Index("ix_match_request_status_due", "status", "respond_by"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    cohort_id: int | None = Field(default=None)
    mentee_user_id: str = Field(max_length=32, index=True)
    mentor_user_id: str = Field(max_length=32)
    rank: int = Field(default=1)
    score: float = Field(default=0.0)
    reasons: list[Any] = Field(default_factory=list, sa_type=JSON)  # bot.matching.reasons (older rows: text)
    status: str = Field(default=MatchRequestStatus.OFFERED, max_length=16)  # MatchRequestStatus
    respond_by: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
