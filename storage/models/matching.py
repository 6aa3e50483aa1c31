"""Match rounds (previews a coordinator can pin, forbid, re-run and publish) and the pairs they create."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Index, Integer, UniqueConstraint, event, inspect, text
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime, utcnow
from storage.vocab import MatchRequestStatus, PairSource, PairStatus, RoundStatus

LIVE_ROUND = "status IN ('running', 'preview')"


class MatchRound(SQLModel, table=True):
    """One run of the matcher for a cohort: a preview until a coordinator publishes it.

    A cohort has at most one live round (running or preview): the partial unique index
    ``uq_match_round_live`` holds it on SQLite and PostgreSQL alike, so two ``/mentor match`` at once
    cannot leave two previews.
    """

    __tablename__ = "match_round"
    __table_args__ = (
        Index(
            "uq_match_round_live",
            "team_id",
            "cohort_id",
            unique=True,
            sqlite_where=text(LIVE_ROUND),
            postgresql_where=text(LIVE_ROUND),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32, index=True)
    cohort_id: int | None = Field(default=None)
    status: str = Field(default=RoundStatus.RUNNING, max_length=16)  # RoundStatus
    requested_by: str = Field(max_length=32)
    channel_id: str = Field(default="", max_length=32)  # where the coordinator asked
    # the cohort's pins / forbids this plan applied, as [[mentee_user_id, mentor_user_id], ...]
    pinned: list[list[str]] = Field(default_factory=list, sa_type=JSON)
    forbidden: list[list[str]] = Field(default_factory=list, sa_type=JSON)
    # the preview: {"pairs": [...], "unmatched": {...}, "mean_score": x, "mentor_load": {...}, "changes": {...}}
    result: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    revision: int = Field(default=0)
    error: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    published_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    published_by: str = Field(default="", max_length=32)
    # what publishing did: {"created": n, "dropped": [{"mentee", "mentor", "reason"}], "resolved": [...], ...}
    outcome: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)


class CohortPairRule(SQLModel, table=True):
    """A coordinator's standing pin or forbid for one mentee and one mentor in a cohort.

    Rules belong to the cohort, not to one preview: every round of the cohort applies them (and publishing
    re-checks them) until a coordinator removes them. A mentee has at most one pin per cohort.
    """

    __tablename__ = "cohort_pair_rule"
    __table_args__ = (
        UniqueConstraint("team_id", "cohort_id", "mentee_user_id", "mentor_user_id", name="uq_cohort_pair_rule"),
        Index(
            "uq_cohort_pair_rule_one_pin",
            "team_id",
            "cohort_id",
            "mentee_user_id",
            unique=True,
            sqlite_where=text("rule = 'pin'"),
            postgresql_where=text("rule = 'pin'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    cohort_id: int = Field(sa_column=Column(Integer, ForeignKey("cohort.id", ondelete="CASCADE"), nullable=False))
    mentee_user_id: str = Field(max_length=32)
    mentor_user_id: str = Field(max_length=32)
    rule: str = Field(max_length=8)  # storage.vocab.PairRuleKind
    created_by: str = Field(default="", max_length=32)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


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
    # bumped by every change to the row: a coordinator's action names the version it saw (no last-writer-wins)
    version: int = Field(default=0)
    replaces_pair_id: int | None = Field(default=None)  # the pair this one replaced (rematch, reassign)


@event.listens_for(Pair, "before_update")
def _bump_pair_version(_mapper: Any, _connection: Any, target: Pair) -> None:
    """Any real change to a pair (status, dates, people) moves its version on."""
    state = inspect(target)
    changed = any(
        state.attrs[attr.key].history.has_changes() for attr in state.mapper.column_attrs if attr.key != "version"
    )
    if changed and not state.attrs["version"].history.has_changes():
        target.version = (target.version or 0) + 1


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
    batch: int = Field(default=1)  # 1 for the first shortlist, 2 for a new one after the first ran out...
    close_reason: str = Field(default="", max_length=64)  # why it was declined, expired or closed
