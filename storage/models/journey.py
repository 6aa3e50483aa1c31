"""The pair's journey: plan state, goals, meetings, private answers (surveys, fit checks) and reflections."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Index, Integer, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime, utcnow
from storage.vocab import Cadence, GoalsStatus


def _pair_fk() -> Any:
    return Column(Integer, ForeignKey("pair.id", ondelete="CASCADE"), nullable=False)


class PairJourney(SQLModel, table=True):
    """Where a pair is in its program: dates, counters for check-ins and silence, pause and closure state."""

    __tablename__ = "pair_journey"
    __table_args__ = (UniqueConstraint("pair_id", name="uq_pair_journey_pair"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32, index=True)
    pair_id: int = Field(sa_column=_pair_fk())
    started_at: datetime = Field(sa_type=UTCDateTime)
    ends_at: datetime = Field(sa_type=UTCDateTime)
    cadence_days: int = Field(default=14)
    checkin_seq: int = Field(default=0)  # how many check-ins were planned (keys of the outbox rows)
    unanswered_checkins: int = Field(default=0)  # check-ins sent since the last sign of life
    silent_stage: int = Field(default=0)  # 0 fine | 1 nudged | 2 asked privately, at risk
    last_activity_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # {user_id: iso time} of each person's last click or submission: tells coordinators who went quiet
    last_active: dict[str, str] = Field(default_factory=dict, sa_type=JSON)
    first_meeting_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    paused_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    resume_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    pause_shift_seconds: int = Field(default=0)  # how far pending prompts were moved at pause time
    paused_from_status: str = Field(default="", max_length=16)
    extensions: int = Field(default=0)
    goals_achieved_by: list[str] = Field(default_factory=list, sa_type=JSON)
    closure_choice: str = Field(default="", max_length=16)  # ClosureChoice
    closure_choice_by: str = Field(default="", max_length=32)
    # people of the pair who paused themselves (/mentor pause): the pair's prompts hold until both are back
    held_by: list[str] = Field(default_factory=list, sa_type=JSON)
    paused_by_hold: bool = Field(default=False)  # the pause came from a person's own pause, not the pair's button
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class CheckinRecord(SQLModel, table=True):
    """One check-in a pair was sent and what became of it (met, not yet, ignored; empty while it is open).

    A check-in is open until someone answers it (Yes or Not yet), a meeting is logged, or the next check-in is
    sent (then it was ignored). One still open when its pair closes counts as ignored.
    """

    __tablename__ = "checkin_record"
    __table_args__ = (
        UniqueConstraint("pair_id", "seq", name="uq_checkin_record_pair_seq"),
        Index("ix_checkin_record_team_pair", "team_id", "pair_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    pair_id: int = Field(sa_column=_pair_fk())
    seq: int  # the check-in's number in the pair's chain
    sent_at: datetime = Field(sa_type=UTCDateTime)
    outcome: str = Field(default="", max_length=16)  # CheckinOutcome, or "" while open
    answered_by: str = Field(default="", max_length=32)
    answered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class PairGoals(SQLModel, table=True):
    """What a pair agreed to work on: proposed by one person, confirmed by the other, editable."""

    __tablename__ = "pair_goals"
    __table_args__ = (UniqueConstraint("pair_id", name="uq_pair_goals_pair"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32, index=True)
    pair_id: int = Field(sa_column=_pair_fk())
    # [{"title", "measure", "target_date" (iso or ""), "progress": none|some|done}]
    goals: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    growth_areas: str = Field(default="", max_length=1000)
    outcomes: str = Field(default="", max_length=1000)
    cadence: str = Field(default=Cadence.BIWEEKLY, max_length=16)  # Cadence
    channel: str = Field(default="video", max_length=16)  # video | in_person | chat
    duration_minutes: int = Field(default=0)  # agreed meeting length; 0: none agreed (the format's usual length)
    mentor_commits: str = Field(default="", max_length=1000)
    mentee_commits: str = Field(default="", max_length=1000)
    status: str = Field(default=GoalsStatus.PROPOSED, max_length=16)  # GoalsStatus
    proposed_by: str = Field(default="", max_length=32)
    confirmed_by: str = Field(default="", max_length=32)
    revision: int = Field(default=1)
    proposed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    confirmed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Meeting(SQLModel, table=True):
    """One meeting a pair logged."""

    __tablename__ = "meeting"
    __table_args__ = (Index("ix_meeting_pair_met", "pair_id", "met_on"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32, index=True)
    pair_id: int = Field(sa_column=_pair_fk())
    logged_by: str = Field(max_length=32)
    met_on: datetime = Field(sa_type=UTCDateTime)  # the day they met, noon UTC
    duration_minutes: int = Field(default=30)
    topics: str = Field(default="", max_length=500)
    notes: str = Field(default="", max_length=3000)
    progress: dict[str, str] = Field(default_factory=dict, sa_type=JSON)  # goal index -> none|some|done
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class PrivateAnswer(SQLModel, table=True):
    """A person's private answer (pulse / closing survey, fit check): coordinators see it, the partner never."""

    __tablename__ = "private_answer"
    __table_args__ = (
        UniqueConstraint("pair_id", "respondent_user_id", "survey_key", name="uq_private_answer"),
        Index("ix_private_answer_team_kind", "team_id", "kind"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    pair_id: int = Field(sa_column=_pair_fk())
    respondent_user_id: str = Field(max_length=32)
    respondent_role: str = Field(max_length=8)  # PairRole
    kind: str = Field(max_length=16)  # AnswerKind
    survey_key: str = Field(max_length=64)  # SurveyKey, or pulse_key(n)
    satisfaction: int | None = Field(default=None)  # 1..5
    recommend: int | None = Field(default=None)  # 0..10 (NPS)
    answers: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    submitted_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Reflection(SQLModel, table=True):
    """What a person achieved and learned, and the thank-you note delivered to their partner."""

    __tablename__ = "reflection"
    __table_args__ = (UniqueConstraint("pair_id", "user_id", name="uq_reflection_pair_user"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32, index=True)
    pair_id: int = Field(sa_column=_pair_fk())
    user_id: str = Field(max_length=32)
    achieved: str = Field(default="", max_length=2000)
    learned: str = Field(default="", max_length=2000)
    thanks: str = Field(default="", max_length=2000)
    submitted_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
