"""Knowledge sharing and networking: resources, feedback requests, introductions, networking preferences."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, ForeignKey, Index, Integer, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime, utcnow
from storage.vocab import FeedbackStatus, IntroSource, IntroStatus, ShareKind


class Resource(SQLModel, table=True):
    """A link in the program's library, one row per normalised URL per workspace."""

    __tablename__ = "resource"
    __table_args__ = (
        UniqueConstraint("team_id", "url_hash", name="uq_resource_team_url"),
        Index("ix_resource_team_count", "team_id", "recommend_count"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    url: str = Field(max_length=2000)  # normalised
    url_hash: str = Field(max_length=64)  # sha256 of the normalised URL: a short unique key on every backend
    title: str = Field(default="", max_length=200)
    tags: list[str] = Field(default_factory=list, sa_type=JSON)
    shared_by: str = Field(max_length=32)  # who shared it first (may remove it)
    recommend_count: int = Field(default=0)  # times shared or upvoted (distinct person, pair, kind)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ResourceShare(SQLModel, table=True):
    """One recommendation of a resource: a share (for a pair and goal) or an upvote."""

    __tablename__ = "resource_share"
    __table_args__ = (UniqueConstraint("resource_id", "user_id", "pair_id", "kind", name="uq_resource_share"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    resource_id: int = Field(sa_column=Column(Integer, ForeignKey("resource.id", ondelete="CASCADE"), nullable=False))
    user_id: str = Field(max_length=32)
    pair_id: int = Field(default=0)  # 0 when shared outside a pair
    kind: str = Field(default=ShareKind.SHARE, max_length=8)  # ShareKind
    goal: str = Field(default="", max_length=100)
    note: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ResourceSeen(SQLModel, table=True):
    """A resource a pair has already seen (shared in it or suggested to it): never suggested again."""

    __tablename__ = "resource_seen"
    __table_args__ = (UniqueConstraint("pair_id", "resource_id", name="uq_resource_seen"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    pair_id: int = Field(index=True)
    resource_id: int = Field(sa_column=Column(Integer, ForeignKey("resource.id", ondelete="CASCADE"), nullable=False))
    how: str = Field(default="suggested", max_length=16)  # suggested | shared
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class FeedbackRequest(SQLModel, table=True):
    """A mentee's request for feedback on a piece of work, answered by the pair's mentor."""

    __tablename__ = "feedback_request"
    __table_args__ = (Index("ix_feedback_request_pair", "pair_id", "status"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    pair_id: int
    mentee_user_id: str = Field(max_length=32)
    mentor_user_id: str = Field(max_length=32)
    link: str = Field(max_length=2000)
    question: str = Field(max_length=1000)
    status: str = Field(default=FeedbackStatus.OPEN, max_length=16)  # FeedbackStatus
    reply: str = Field(default="", max_length=3000)
    channel_id: str = Field(default="", max_length=32)
    message_ts: str = Field(default="", max_length=32)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    answered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Introduction(SQLModel, table=True):
    """A warm introduction: the target is asked privately first; a group DM opens only on accept."""

    __tablename__ = "introduction"
    __table_args__ = (
        # set only while pending: one pending ask per (requester, target); NULLs never collide
        UniqueConstraint("team_id", "pending_key", name="uq_introduction_pending"),
        Index("ix_introduction_requester_status", "team_id", "requester_id", "status"),
        Index("ix_introduction_status_expires", "status", "expires_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    pair_id: int = Field(default=0)
    requester_id: str = Field(max_length=32)
    partner_id: str = Field(default="", max_length=32)  # the requester's mentor or mentee, included in the intro
    target_id: str = Field(max_length=32)
    reason: str = Field(default="", max_length=500)
    source: str = Field(default=IntroSource.COMMAND, max_length=16)  # IntroSource
    status: str = Field(default=IntroStatus.PENDING, max_length=16)  # IntroStatus
    pending_key: str | None = Field(default=None, max_length=80)
    ask_channel: str = Field(default="", max_length=32)
    ask_ts: str = Field(default="", max_length=32)
    group_channel_id: str = Field(default="", max_length=32)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class NetworkingPref(SQLModel, table=True):
    """Per-person networking choices: opt-out of "people to meet", and alumni membership."""

    __tablename__ = "networking_pref"
    __table_args__ = (UniqueConstraint("team_id", "user_id", name="uq_networking_pref"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    user_id: str = Field(max_length=32)
    suggest_me: bool = Field(default=True)
    alumni: bool = Field(default=False)
    alumni_since: datetime | None = Field(default=None, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class PeopleSuggestion(SQLModel, table=True):
    """The latest "people to meet" computed for a mentee (what was suggested to whom)."""

    __tablename__ = "people_suggestion"
    __table_args__ = (
        UniqueConstraint("team_id", "mentee_user_id", "suggested_user_id", name="uq_people_suggestion"),
        Index("ix_people_suggestion_mentee", "team_id", "mentee_user_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    mentee_user_id: str = Field(max_length=32)
    suggested_user_id: str = Field(max_length=32)
    rank: int = Field(default=0)
    score: float = Field(default=0.0)
    shared_skills: list[str] = Field(default_factory=list, sa_type=JSON)
    reason: str = Field(default="", max_length=300)
    computed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class PeopleSuggestionSent(SQLModel, table=True):
    """Someone suggested to a mentee as a person to meet, once per cohort: the next suggestions rotate past them."""

    __tablename__ = "people_suggestion_sent"
    __table_args__ = (
        UniqueConstraint(
            "team_id", "cohort_id", "mentee_user_id", "suggested_user_id", name="uq_people_suggestion_sent"
        ),
        Index("ix_people_suggestion_sent_team_cohort", "team_id", "cohort_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    cohort_id: int = Field(default=0)
    mentee_user_id: str = Field(max_length=32)
    suggested_user_id: str = Field(max_length=32)
    sent_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
