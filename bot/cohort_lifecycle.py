"""The cohort lifecycle a coordinator drives: the list of cohorts with where each stands, closing and reopening.

Opening (``/mentor program``), matching (a round or shortlists) and running (pairs made) happen on their own;
closing is a coordinator's decision. A closed cohort takes no signups and runs no rounds; its pairs carry on to
their end; the people it left waiting and its mentors with free places carry over into later cohorts' rounds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from bot.cohorts import get_cohort, settings_of
from bot.matchmaking import left_waiting
from storage import rounds as store
from storage.coordination import record_audit
from storage.models import Cohort, Pair
from storage.vocab import CohortStatus


@dataclass(frozen=True)
class CohortLine:
    """One cohort as the list shows it."""

    cohort_id: int
    name: str
    status: str
    people: int
    open_pairs: int
    pairs: int
    waiting: int
    free_places: int
    live_round: int | None
    carry_over: bool


def overview(*, session: Session, team_id: str) -> list[CohortLine]:
    """Every cohort of the workspace, oldest first, with its people, pairs, who it leaves waiting, its preview."""
    counts = store.cohort_counts(session=session, team_id=team_id)
    lines = []
    for cohort in session.exec(select(Cohort).where(Cohort.team_id == team_id).order_by(Cohort.id)).all():  # type: ignore[arg-type]
        if cohort.id is None:
            continue
        mentees, mentors = left_waiting(session=session, team_id=team_id, cohort_id=cohort.id)
        live = store.live_round(session=session, team_id=team_id, cohort_id=cohort.id)
        figures = counts.get(cohort.id, {})
        lines.append(
            CohortLine(
                cohort_id=cohort.id,
                name=cohort.name,
                status=cohort.status,
                people=figures.get("people", 0),
                open_pairs=figures.get("open_pairs", 0),
                pairs=figures.get("pairs", 0),
                waiting=len(mentees),
                free_places=sum(mentors.values()),
                live_round=live.id if live is not None else None,
                carry_over=settings_of(cohort).carry_over,
            )
        )
    return lines


def close_cohort(*, session: Session, team_id: str, cohort_id: int, actor: str, reason: str, now: datetime) -> str:
    """Close a cohort (audited); returns what to tell the coordinator. Refused while mentees are still choosing."""
    cohort = get_cohort(session=session, team_id=team_id, cohort_id=cohort_id)
    if cohort is None or cohort.id is None:
        return "That cohort no longer exists."
    if cohort.status == CohortStatus.CLOSED:
        return f"*{cohort.name}* is already closed."
    open_requests = store.open_requests_count(session=session, team_id=team_id, cohort_id=cohort.id)
    if open_requests:
        return (
            f"*{cohort.name}* still has {open_requests} open mentee-choice offers or requests. Close it once they are "
            "answered or expire, so nobody is left waiting on a closed cohort."
        )
    mentees, mentors = left_waiting(session=session, team_id=team_id, cohort_id=cohort.id)
    discarded = store.discard_live_rounds(session=session, team_id=team_id, cohort_id=cohort.id, now=now)
    store.set_cohort_status(
        session=session,
        cohort_id=cohort.id,
        status=CohortStatus.CLOSED,
        from_statuses=(CohortStatus.OPEN, CohortStatus.MATCHING, CohortStatus.RUNNING),
        now=now,
    )
    record_audit(
        session=session,
        team_id=team_id,
        actor=actor,
        action="cohort.close",
        target=f"cohort:{cohort.id}",
        detail={
            "cohort": cohort.name,
            "waiting_mentees": len(mentees),
            "mentors_with_free_places": len(mentors),
            "discarded_preview": bool(discarded),
        },
        reason=reason,
        now=now,
        commit=False,
    )
    session.commit()
    text = f":lock: *{cohort.name}* is closed: no more signups or rounds; its open pairs carry on to their end."
    if mentees or mentors:
        text += (
            f" {len(mentees)} waiting mentee{'s' if len(mentees) != 1 else ''} and {len(mentors)} mentor"
            f"{'s' if len(mentors) != 1 else ''} with free places carry over into the next cohort's rounds "
            "(unless that cohort turns carry-over off)."
        )
    if discarded:
        text += " Its waiting preview was discarded."
    return text


def reopen_cohort(*, session: Session, team_id: str, cohort_id: int, actor: str, now: datetime) -> str:
    """Reopen a closed cohort (running again if it has pairs, else open); audited."""
    cohort = get_cohort(session=session, team_id=team_id, cohort_id=cohort_id)
    if cohort is None or cohort.id is None:
        return "That cohort no longer exists."
    if cohort.status != CohortStatus.CLOSED:
        return f"*{cohort.name}* is not closed."
    has_pairs = session.exec(
        select(Pair.id).where(Pair.team_id == team_id, Pair.cohort_id == cohort.id).limit(1)
    ).first()
    status = CohortStatus.RUNNING if has_pairs is not None else CohortStatus.OPEN
    store.set_cohort_status(
        session=session, cohort_id=cohort.id, status=status, from_statuses=(CohortStatus.CLOSED,), now=now
    )
    record_audit(
        session=session,
        team_id=team_id,
        actor=actor,
        action="cohort.reopen",
        target=f"cohort:{cohort.id}",
        detail={"cohort": cohort.name, "status": status},
        now=now,
        commit=False,
    )
    session.commit()
    return f":unlock: *{cohort.name}* is {status} again."
