"""Queries for coordinators acting on pairs: filtered pages of pairs with their facts, the version check that
makes two coordinators' actions on one pair take turns, mentor load under lock, and the waiting list."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import case, func, or_, update
from sqlmodel import Session, col, select

from storage.models import AuditLog, Meeting, Pair, PairJourney, Participant, PrivateAnswer
from storage.models.outbox import ScheduledPrompt
from storage.vocab import AnswerKind, FitAnswer, PairStatus, PromptKind, PromptStatus

OPEN_STATUSES = (PairStatus.ACTIVE, PairStatus.PAUSED, PairStatus.AT_RISK)
# Coordinators look at what needs them first: at risk, paused, active, then closed pairs.
_ATTENTION = case(
    (Pair.status == PairStatus.AT_RISK, 0),
    (Pair.status == PairStatus.PAUSED, 1),
    (Pair.status == PairStatus.ACTIVE, 2),
    else_=3,
)


@dataclass(frozen=True)
class PairFilter:
    """Which pairs a coordinator asked for.

    Attributes:
        statuses: Only pairs in these states (empty: any state).
        cohort_id: Only this cohort's pairs.
        user_id: Only pairs with this person on either side.
    """

    statuses: tuple[str, ...] = ()
    cohort_id: int | None = None
    user_id: str | None = None


@dataclass
class PairFacts:
    """What the list shows about one pair besides the row itself."""

    meetings: int = 0
    last_meeting: datetime | None = None
    last_activity: datetime | None = None
    started_at: datetime | None = None
    ends_at: datetime | None = None
    resume_at: datetime | None = None
    silent_stage: int = 0
    not_a_fit: list[str] = field(default_factory=list)  # respondent roles who answered "not a fit"
    checkins_sent: int = 0


def _where(team_id: str, wanted: PairFilter) -> list:
    clauses = [Pair.team_id == team_id]
    if wanted.statuses:
        clauses.append(col(Pair.status).in_(wanted.statuses))
    if wanted.cohort_id is not None:
        clauses.append(Pair.cohort_id == wanted.cohort_id)
    if wanted.user_id:
        clauses.append(or_(Pair.mentee_user_id == wanted.user_id, Pair.mentor_user_id == wanted.user_id))
    return clauses


def list_pairs(
    *, session: Session, team_id: str, wanted: PairFilter, page: int = 0, per_page: int = 15
) -> tuple[list[Pair], int]:
    """One page of a workspace's pairs, those needing attention first, and how many match in all."""
    clauses = _where(team_id, wanted)
    total = session.exec(select(func.count()).select_from(Pair).where(*clauses)).one()
    rows = session.exec(
        select(Pair)
        .where(*clauses)
        .order_by(_ATTENTION, col(Pair.created_at), col(Pair.id))
        .offset(max(page, 0) * per_page)
        .limit(per_page)
    ).all()
    return list(rows), int(total)


def pair_facts(*, session: Session, pair_ids: Collection[int]) -> dict[int, PairFacts]:
    """Meetings, last activity, dates and flags of some pairs, in four queries whatever their number."""
    ids = sorted(set(pair_ids))
    facts = {pair_id: PairFacts() for pair_id in ids}
    if not ids:
        return facts
    for pair_id, count, last in session.exec(
        select(Meeting.pair_id, func.count(), func.max(Meeting.met_on))
        .where(col(Meeting.pair_id).in_(ids))
        .group_by(Meeting.pair_id)
    ).all():
        facts[pair_id].meetings, facts[pair_id].last_meeting = int(count), last
    for journey in session.exec(select(PairJourney).where(col(PairJourney.pair_id).in_(ids))).all():
        item = facts[journey.pair_id]
        item.last_activity = journey.last_activity_at or journey.started_at
        item.started_at, item.ends_at, item.resume_at = journey.started_at, journey.ends_at, journey.resume_at
        item.silent_stage = journey.silent_stage
    for pair_id, role, answers in session.exec(
        select(PrivateAnswer.pair_id, PrivateAnswer.respondent_role, PrivateAnswer.answers).where(
            col(PrivateAnswer.pair_id).in_(ids), PrivateAnswer.kind == AnswerKind.FIT
        )
    ).all():
        if (answers or {}).get("fit") == FitAnswer.NOT:
            facts[pair_id].not_a_fit.append(str(role))
    for pair_id, count in session.exec(
        select(ScheduledPrompt.pair_id, func.count())
        .where(
            col(ScheduledPrompt.pair_id).in_(ids),
            ScheduledPrompt.kind == PromptKind.CHECKIN,
            ScheduledPrompt.status == PromptStatus.SENT,
        )
        .group_by(ScheduledPrompt.pair_id)
    ).all():
        if pair_id is not None:
            facts[int(pair_id)].checkins_sent = int(count)
    return facts


def get_pair(*, session: Session, team_id: str, pair_id: int, fresh: bool = True) -> Pair | None:
    """A pair of this workspace (read again from the database unless ``fresh`` is off), or None."""
    pair = session.get(Pair, pair_id, populate_existing=fresh)
    return pair if pair is not None and pair.team_id == team_id else None


def claim_version(*, session: Session, team_id: str, pair_id: int, version: int) -> bool:
    """Move a pair's version on if it is still ``version``; the caller's transaction holds the row from here.

    The check and the bump are one conditional UPDATE: of two coordinators acting on what they both saw as
    version 4, exactly one gets True (on PostgreSQL the second waits for the first to commit, then finds
    version 5; SQLite serialises writers). The caller commits with its change, or rolls back.
    """
    result = session.execute(
        update(Pair)
        .where(Pair.id == pair_id, Pair.team_id == team_id, Pair.version == version)
        .values(version=Pair.version + 1)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def waiting_since(*, session: Session, team_id: str, user_ids: Sequence[str]) -> dict[str, datetime]:
    """Since when each person has waited for a mentor: their signup, or the end of their last pair as a mentee."""
    wanted = sorted(set(user_ids))
    if not wanted:
        return {}
    since = dict(
        session.exec(
            select(Participant.user_id, Participant.created_at).where(
                Participant.team_id == team_id, col(Participant.user_id).in_(wanted)
            )
        ).all()
    )
    for user_id, closed in session.exec(
        select(Pair.mentee_user_id, func.max(Pair.closed_at))
        .where(Pair.team_id == team_id, col(Pair.mentee_user_id).in_(wanted), col(Pair.closed_at).is_not(None))
        .group_by(Pair.mentee_user_id)
    ).all():
        if closed is not None and (user_id not in since or closed > since[user_id]):
            since[user_id] = closed
    return since


def last_change(*, session: Session, team_id: str, pair_id: int) -> AuditLog | None:
    """The newest audit entry about a pair (who changed it last, and how)."""
    return session.exec(
        select(AuditLog)
        .where(AuditLog.team_id == team_id, AuditLog.target == f"pair:{pair_id}")
        .order_by(col(AuditLog.id).desc())  # the order they were written in, whatever clock stamped them
    ).first()


def replacement_of(*, session: Session, team_id: str, pair_id: int) -> Pair | None:
    """The pair that replaced this one (a rematch or a reassignment), if any."""
    return session.exec(
        select(Pair).where(Pair.team_id == team_id, Pair.replaces_pair_id == pair_id).order_by(col(Pair.id).desc())
    ).first()


def claim_submission(*, session: Session, team_id: str, key: str) -> bool:
    """Claim a modal submission in the caller's transaction (no commit): False when it was already handled.

    Rolled back with the action when the action is refused, so the coordinator can correct and submit again;
    a double click (the same view and hash twice) is handled once.
    """
    from sqlalchemy.dialects import postgresql, sqlite

    from storage.models import ProcessedEvent
    from storage.types import utcnow

    table = ProcessedEvent.__table__  # type: ignore[attr-defined]
    module = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (
        module.insert(table)
        .values(team_id=team_id, event_id=key[:64], event_type="view", received_at=utcnow())
        .on_conflict_do_nothing(index_elements=["team_id", "event_id"])
        .returning(table.c.id)
    )
    return session.execute(statement).first() is not None


def created_by(*, session: Session, team_id: str, created_by: str) -> Pair | None:
    """The pair a given actor created (an outbox prompt filling a freed place names itself), if any."""
    return session.exec(select(Pair).where(Pair.team_id == team_id, Pair.created_by == created_by)).first()
