"""Learning from outcomes: what each person's profile was when their pair was made, and learned scoring models."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Index, Integer, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime, utcnow


class PairSnapshot(SQLModel, table=True):
    """One side of a pair as it was matched: the person's profile fields and the pair's factor values.

    Written once when the pair is created (round publication, a hand-made pair, a mentee's accepted
    choice) and never updated, so a later profile edit cannot leak into what a model is trained on. One
    row per person (``user_id`` is the subject: the row goes when that person leaves the program).
    """

    __tablename__ = "pair_snapshot"
    __table_args__ = (
        UniqueConstraint("pair_id", "side", name="uq_pair_snapshot_side"),
        Index("ix_pair_snapshot_team", "team_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    pair_id: int = Field(sa_column=Column(Integer, ForeignKey("pair.id", ondelete="CASCADE"), nullable=False))
    side: str = Field(max_length=8)  # PairRole: mentee | mentor
    user_id: str = Field(max_length=32)
    profile: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)  # outcomes.csv columns, unprefixed
    factor_values: dict[str, float] = Field(default_factory=dict, sa_type=JSON)  # raw values, features.FACTORS
    taken_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ScoringModel(SQLModel, table=True):
    """A model learned from the program's outcomes for one cohort: a candidate until a coordinator applies it.

    ``status``: candidate (shown, not used) | applied (the cohort's rounds use it) | replaced (another model
    was applied over it) | reverted (a coordinator went back to what was used before) | discarded.
    """

    __tablename__ = "scoring_model"
    __table_args__ = (Index("ix_scoring_model_cohort_status", "team_id", "cohort_id", "status"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    cohort_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("cohort.id", ondelete="CASCADE"), nullable=True)
    )
    status: str = Field(default="candidate", max_length=16)
    model: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)  # the model file's content
    preview: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)  # the next round, old vs new
    replaces_id: int | None = Field(default=None)  # the model applied before this one (None: the weights)
    created_by: str = Field(default="", max_length=32)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    applied_by: str = Field(default="", max_length=32)
    applied_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
