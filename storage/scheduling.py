"""Queries for scheduling: proposals (compare-and-set on their version), bookings, away dates, outcome counts."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from storage.models import AwayPeriod, MeetingBooking, MeetingProposal
from storage.vocab import BookingStatus, ProposalStatus

LIVE_PROPOSALS = (ProposalStatus.OPEN, ProposalStatus.PICKED)


def create_proposal(
    *,
    session: Session,
    team_id: str,
    pair_id: int,
    slots: list[datetime],
    duration_minutes: int,
    channel: str,
    created_by: str,
    booking_id: int | None,
    now: datetime,
) -> MeetingProposal:
    """Store three offered slots; the pair's earlier live proposals are superseded (their buttons then say so)."""
    session.execute(
        update(MeetingProposal)
        .where(col(MeetingProposal.pair_id) == pair_id, col(MeetingProposal.status).in_(LIVE_PROPOSALS))
        .values(status=ProposalStatus.SUPERSEDED, version=MeetingProposal.version + 1, updated_at=now)
    )
    row = MeetingProposal(
        team_id=team_id,
        pair_id=pair_id,
        booking_id=booking_id,
        slots=[s.isoformat() for s in slots],
        duration_minutes=duration_minutes,
        channel=channel,
        created_by=created_by,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    return row


def live_proposals(*, session: Session, pair_id: int) -> list[MeetingProposal]:
    """The pair's proposals still waiting for a pick or a confirmation."""
    return list(
        session.exec(
            select(MeetingProposal).where(
                MeetingProposal.pair_id == pair_id, col(MeetingProposal.status).in_(LIVE_PROPOSALS)
            )
        )
    )


def get_proposal(*, session: Session, proposal_id: int) -> MeetingProposal | None:
    """A proposal by id, read fresh from the database."""
    return session.exec(
        select(MeetingProposal).where(MeetingProposal.id == proposal_id).execution_options(populate_existing=True)
    ).first()


def latest_proposal(*, session: Session, pair_id: int) -> MeetingProposal | None:
    """The pair's newest proposal, whatever its state."""
    return session.exec(
        select(MeetingProposal).where(MeetingProposal.pair_id == pair_id).order_by(col(MeetingProposal.id).desc())
    ).first()


def proposals_of(*, session: Session, pair_id: int, limit: int = 5) -> list[MeetingProposal]:
    """The pair's newest proposals, newest first."""
    return list(
        session.exec(
            select(MeetingProposal)
            .where(MeetingProposal.pair_id == pair_id)
            .order_by(col(MeetingProposal.id).desc())
            .limit(limit)
        )
    )


def transition_proposal(*, session: Session, proposal_id: int, version: int, **values: Any) -> bool:
    """Change a proposal only if nobody changed it since ``version`` was read (one of two racing clicks wins)."""
    changed = session.execute(
        update(MeetingProposal)
        .where(col(MeetingProposal.id) == proposal_id, col(MeetingProposal.version) == version)
        .values(version=version + 1, **values)
    )
    return bool(changed.rowcount)  # type: ignore[attr-defined]


def create_booking(*, session: Session, booking: MeetingBooking) -> MeetingBooking | None:
    """Store a booking; None when its proposal already has one (the unique constraint settles a race)."""
    try:
        with session.begin_nested():
            session.add(booking)
        return booking
    except IntegrityError:
        return None


def get_booking(*, session: Session, booking_id: int) -> MeetingBooking | None:
    """A booking by id, read fresh."""
    return session.exec(
        select(MeetingBooking).where(MeetingBooking.id == booking_id).execution_options(populate_existing=True)
    ).first()


def next_booking(*, session: Session, pair_id: int, now: datetime) -> MeetingBooking | None:
    """The pair's booked meeting that has not ended yet, if any."""
    return session.exec(
        select(MeetingBooking)
        .where(
            MeetingBooking.pair_id == pair_id,
            MeetingBooking.status == BookingStatus.BOOKED,
            col(MeetingBooking.ends_at) > now,
        )
        .order_by(col(MeetingBooking.starts_at))
    ).first()


def bookings_of_pair(*, session: Session, pair_id: int) -> list[MeetingBooking]:
    """A pair's bookings, first first."""
    return list(
        session.exec(select(MeetingBooking).where(MeetingBooking.pair_id == pair_id).order_by(col(MeetingBooking.id)))
    )


def record_outcome(*, session: Session, booking_id: int, outcome: str, user_id: str, now: datetime) -> bool:
    """The first answer to "Did you meet?" is kept; False when someone already answered."""
    changed = session.execute(
        update(MeetingBooking)
        .where(col(MeetingBooking.id) == booking_id, col(MeetingBooking.outcome) == "")
        .values(outcome=outcome, outcome_by=user_id, outcome_at=now, updated_at=now)
    )
    return bool(changed.rowcount)  # type: ignore[attr-defined]


def outcome_counts(*, session: Session, team_id: str) -> dict[str, int]:
    """How many booked meetings were answered met / rescheduled / skipped ("" counts the unanswered)."""
    rows = session.exec(
        select(MeetingBooking.outcome, func.count(col(MeetingBooking.id)))
        .where(MeetingBooking.team_id == team_id, MeetingBooking.status == BookingStatus.BOOKED)
        .group_by(col(MeetingBooking.outcome))
    ).all()
    return {str(outcome): int(n) for outcome, n in rows}


# ---------------------------------------------------------------------- away dates


def add_away(
    *, session: Session, team_id: str, user_id: str, starts_on: date, ends_on: date, now: datetime
) -> AwayPeriod:
    """Store days a person is away (the caller commits)."""
    row = AwayPeriod(team_id=team_id, user_id=user_id, starts_on=starts_on, ends_on=ends_on, created_at=now)
    session.add(row)
    session.flush()
    return row


def away_periods(*, session: Session, team_id: str, user_id: str, from_day: date | None = None) -> list[AwayPeriod]:
    """A person's away periods (those not over before ``from_day``), earliest first."""
    query = select(AwayPeriod).where(AwayPeriod.team_id == team_id, AwayPeriod.user_id == user_id)
    if from_day is not None:
        query = query.where(col(AwayPeriod.ends_on) >= from_day)
    return list(session.exec(query.order_by(col(AwayPeriod.starts_on))))


def clear_away(*, session: Session, team_id: str, user_id: str, period_id: int | None = None) -> int:
    """Forget one (or every) away period of a person; returns how many (the caller commits)."""
    rows = away_periods(session=session, team_id=team_id, user_id=user_id)
    gone = [r for r in rows if period_id is None or r.id == period_id]
    for row in gone:
        session.delete(row)
    return len(gone)
