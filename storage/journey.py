"""Queries for the pair's journey: pairs of a person, plan state, goals, meetings, private answers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from storage.models import CheckinRecord, Meeting, Pair, PairGoals, PairJourney, PrivateAnswer, Reflection
from storage.vocab import CheckinOutcome, GoalsStatus, PairStatus

OPEN_STATUSES = (PairStatus.ACTIVE, PairStatus.PAUSED, PairStatus.AT_RISK)


def get_pair(*, session: Session, pair_id: int) -> Pair | None:
    """A pair by id."""
    return session.get(Pair, pair_id)


# Read on every App Home render: built once (statement construction is a good part of a query's CPU).
_OPEN_PAIRS_OF = (
    select(Pair)
    .where(
        Pair.team_id == bindparam("team_id"),
        or_(*(Pair.status == status for status in OPEN_STATUSES)),  # not IN (...): that is re-rendered every time
        or_(Pair.mentee_user_id == bindparam("user_id"), Pair.mentor_user_id == bindparam("user_id")),
    )
    .order_by(col(Pair.id))
)


def open_pairs_of(*, session: Session, team_id: str, user_id: str) -> list[Pair]:
    """The person's pairs that are not closed (as mentee or mentor), oldest first."""
    return list(session.exec(_OPEN_PAIRS_OF, params={"team_id": team_id, "user_id": user_id}).all())  # type: ignore[call-overload]


def pairs_of_mentor(*, session: Session, team_id: str, mentor_user_id: str, open_only: bool = True) -> list[Pair]:
    """A mentor's pairs (open ones use capacity)."""
    query = select(Pair).where(Pair.team_id == team_id, Pair.mentor_user_id == mentor_user_id)
    if open_only:
        query = query.where(col(Pair.status).in_(OPEN_STATUSES))
    return list(session.exec(query).all())


def get_journey(*, session: Session, pair_id: int) -> PairJourney | None:
    """The plan state of a pair (None before ``start_pair``)."""
    return session.exec(select(PairJourney).where(PairJourney.pair_id == pair_id)).first()


def create_journey(
    *, session: Session, team_id: str, pair_id: int, started_at: datetime, ends_at: datetime, cadence_days: int
) -> PairJourney:
    """The pair's plan state, created once (a concurrent second call returns the first row)."""
    journey = PairJourney(
        team_id=team_id,
        pair_id=pair_id,
        started_at=started_at,
        ends_at=ends_at,
        cadence_days=cadence_days,
        updated_at=started_at,
    )
    try:
        with session.begin_nested():
            session.add(journey)
        return journey
    except IntegrityError:
        existing = get_journey(session=session, pair_id=pair_id)
        if existing is None:  # pragma: no cover
            raise
        return existing


def get_goals(*, session: Session, pair_id: int) -> PairGoals | None:
    """The pair's goals, proposed or confirmed."""
    return session.exec(select(PairGoals).where(PairGoals.pair_id == pair_id)).first()


def save_goals(
    *, session: Session, team_id: str, pair_id: int, proposed_by: str, fields: dict[str, Any], now: datetime
) -> PairGoals:
    """Store a (new or edited) proposal; it needs the other person's confirmation again."""
    row = get_goals(session=session, pair_id=pair_id)
    if row is None:
        row = PairGoals(team_id=team_id, pair_id=pair_id, revision=0)
    for name, value in fields.items():
        setattr(row, name, value)
    row.status = GoalsStatus.PROPOSED
    row.proposed_by = proposed_by
    row.confirmed_by = ""
    row.confirmed_at = None
    row.proposed_at = now
    row.revision += 1
    session.add(row)
    session.flush()
    return row


def add_meeting(
    *,
    session: Session,
    team_id: str,
    pair_id: int,
    logged_by: str,
    met_on: datetime,
    duration_minutes: int,
    topics: str,
    notes: str,
    progress: dict[str, str],
    now: datetime,
) -> Meeting:
    """Record a meeting."""
    meeting = Meeting(
        team_id=team_id,
        pair_id=pair_id,
        logged_by=logged_by,
        met_on=met_on,
        duration_minutes=duration_minutes,
        topics=topics,
        notes=notes,
        progress=progress,
        created_at=now,
    )
    session.add(meeting)
    session.flush()
    return meeting


def list_meetings(*, session: Session, pair_id: int) -> list[Meeting]:
    """A pair's meetings, oldest first."""
    return list(session.exec(select(Meeting).where(Meeting.pair_id == pair_id).order_by(col(Meeting.met_on))).all())


def meeting_totals(*, session: Session, pair_id: int) -> tuple[int, int]:
    """(number of meetings, total minutes)."""
    row = session.exec(
        select(func.count(col(Meeting.id)), func.coalesce(func.sum(Meeting.duration_minutes), 0)).where(
            Meeting.pair_id == pair_id
        )
    ).one()
    return int(row[0]), int(row[1])


def save_private_answer(
    *,
    session: Session,
    team_id: str,
    pair_id: int,
    respondent_user_id: str,
    respondent_role: str,
    kind: str,
    survey_key: str,
    satisfaction: int | None = None,
    recommend: int | None = None,
    answers: dict[str, Any] | None = None,
    now: datetime,
) -> bool:
    """Store one person's private answer; False when they already answered this one (kept as first given)."""
    try:
        with session.begin_nested():
            session.add(
                PrivateAnswer(
                    team_id=team_id,
                    pair_id=pair_id,
                    respondent_user_id=respondent_user_id,
                    respondent_role=respondent_role,
                    kind=kind,
                    survey_key=survey_key,
                    satisfaction=satisfaction,
                    recommend=recommend,
                    answers=answers or {},
                    submitted_at=now,
                )
            )
        return True
    except IntegrityError:
        return False


def private_answers(
    *, session: Session, team_id: str, pair_id: int | None = None, respondent_user_id: str | None = None
) -> list[PrivateAnswer]:
    """Private answers, for coordinators (all) or for the respondent themselves (``respondent_user_id``)."""
    query = select(PrivateAnswer).where(PrivateAnswer.team_id == team_id)
    if pair_id is not None:
        query = query.where(PrivateAnswer.pair_id == pair_id)
    if respondent_user_id is not None:
        query = query.where(PrivateAnswer.respondent_user_id == respondent_user_id)
    return list(session.exec(query.order_by(col(PrivateAnswer.id))).all())


def private_answers_of_pair(*, session: Session, pair_id: int, kind: str) -> list[PrivateAnswer]:
    """One pair's private answers of one kind (the journey reads its fit answers to name how the pair ended)."""
    query = select(PrivateAnswer).where(PrivateAnswer.pair_id == pair_id, PrivateAnswer.kind == kind)
    return list(session.exec(query.order_by(col(PrivateAnswer.id))).all())


def has_answered(*, session: Session, pair_id: int, user_id: str, survey_key: str) -> bool:
    """Whether a person already answered a survey / fit check."""
    return (
        session.exec(
            select(PrivateAnswer.id).where(
                PrivateAnswer.pair_id == pair_id,
                PrivateAnswer.respondent_user_id == user_id,
                PrivateAnswer.survey_key == survey_key,
            )
        ).first()
        is not None
    )


def save_reflection(
    *,
    session: Session,
    team_id: str,
    pair_id: int,
    user_id: str,
    achieved: str,
    learned: str,
    thanks: str,
    now: datetime,
) -> bool:
    """Store a person's reflection once; False when they already reflected."""
    try:
        with session.begin_nested():
            session.add(
                Reflection(
                    team_id=team_id,
                    pair_id=pair_id,
                    user_id=user_id,
                    achieved=achieved,
                    learned=learned,
                    thanks=thanks,
                    submitted_at=now,
                )
            )
        return True
    except IntegrityError:
        return False


# ---------------------------------------------------------------------- check-in outcomes


def record_checkin_sent(*, session: Session, team_id: str, pair_id: int, seq: int, now: datetime) -> CheckinRecord:
    """A check-in went out: the pair's previous one, if still open, was ignored. Idempotent on ``seq``."""
    session.execute(
        update(CheckinRecord)
        .where(
            col(CheckinRecord.pair_id) == pair_id,
            col(CheckinRecord.outcome) == "",
            col(CheckinRecord.seq) != seq,
        )
        .values(outcome=CheckinOutcome.IGNORED)
    )
    existing = session.exec(
        select(CheckinRecord).where(CheckinRecord.pair_id == pair_id, CheckinRecord.seq == seq)
    ).first()
    if existing is not None:
        return existing
    record = CheckinRecord(team_id=team_id, pair_id=pair_id, seq=seq, sent_at=now)
    session.add(record)
    return record


def answer_open_checkin(
    *, session: Session, pair_id: int, outcome: CheckinOutcome, user_id: str, now: datetime
) -> bool:
    """Record the answer to the pair's open check-in (met or not yet); False when none is open."""
    changed = session.execute(
        update(CheckinRecord)
        .where(col(CheckinRecord.pair_id) == pair_id, col(CheckinRecord.outcome) == "")
        .values(outcome=outcome, answered_by=user_id, answered_at=now)
    )
    return bool(changed.rowcount)  # type: ignore[attr-defined]


def checkin_records(*, session: Session, pair_id: int) -> list[CheckinRecord]:
    """A pair's check-ins, first first."""
    return list(
        session.exec(select(CheckinRecord).where(CheckinRecord.pair_id == pair_id).order_by(col(CheckinRecord.seq)))
    )
