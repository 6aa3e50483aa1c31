"""Mentee-choice matching: each mentee gets a ranked shortlist, picks one, the mentor has N days to answer.

A decline, a full mentor or a missed deadline moves the request to the mentee's next choice; capacity
is checked at acceptance, inside the transaction that creates the pair, so it always holds.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from sqlalchemy import func, update
from sqlmodel import Session, select

from bot import people
from bot.cohorts import current_cohort, settings_of
from bot.matching import score, score_matrix
from bot.matchmaking import OPEN_PAIR_STATUSES, load_pool, round_settings
from storage.models import MatchRequest, Pair, Participant
from storage.vocab import MatchRequestStatus, PairSource

log = logging.getLogger(__name__)
SHORTLIST = 3


@dataclass
class Shortlist:
    mentee: str
    requests: list[MatchRequest]


def make_shortlists(*, session: Session, team_id: str, now: datetime) -> list[Shortlist]:
    """Offer each waiting mentee their top mentors (allowed pairs only, best score first). Idempotent per mentee."""
    cohort = current_cohort(session=session, team_id=team_id, now=now)
    weights, constraints = round_settings(settings_of(cohort))
    pool = load_pool(session=session, team_id=team_id, cohort_id=cohort.id)
    waiting = {
        r.mentee_user_id
        for r in session.exec(
            select(MatchRequest).where(
                MatchRequest.team_id == team_id,
                MatchRequest.status.in_((MatchRequestStatus.OFFERED, MatchRequestStatus.REQUESTED)),  # type: ignore[attr-defined]
            )
        )
    }
    mentees = [m for m in pool.mentees if m.user_id not in waiting]
    if not mentees or not pool.mentors:
        return []
    matrix = score_matrix(mentees, pool.mentors, weights, constraints, week_of=now.date(), past_pairs=pool.past_pairs)
    mentor_by_id = {m.user_id: m for m in pool.mentors}
    shortlists: list[Shortlist] = []
    for row, mentee in enumerate(mentees):
        allowed = np.flatnonzero(matrix.allowed[row])
        if allowed.size == 0:
            continue
        best = allowed[np.argsort(-matrix.total[row, allowed], kind="stable")][:SHORTLIST]
        requests = []
        for rank, col in enumerate(best, start=1):
            mentor = mentor_by_id[matrix.mentor_ids[col]]
            detail = score(mentee, mentor, weights, week_of=now.date())
            request = MatchRequest(
                team_id=team_id,
                cohort_id=cohort.id,
                mentee_user_id=mentee.user_id,
                mentor_user_id=mentor.user_id,
                rank=rank,
                score=detail.total,
                reasons=detail.reasons,
                status=MatchRequestStatus.OFFERED,
                created_at=now,
            )
            session.add(request)
            requests.append(request)
        shortlists.append(Shortlist(mentee.user_id, requests))
    session.commit()
    return shortlists


def choose(
    *, session: Session, team_id: str, request_id: int, actor: str, days: int, now: datetime
) -> MatchRequest | None:
    """The mentee picks one of their offers; None when it is not theirs or no longer open."""
    request = session.get(MatchRequest, request_id)
    if request is None or request.team_id != team_id or request.mentee_user_id != actor:
        return None
    busy = session.exec(
        select(MatchRequest).where(
            MatchRequest.team_id == team_id,
            MatchRequest.mentee_user_id == actor,
            MatchRequest.status.in_((MatchRequestStatus.REQUESTED, MatchRequestStatus.ACCEPTED)),  # type: ignore[attr-defined]
        )
    ).first()
    if busy is not None or request.status != MatchRequestStatus.OFFERED:
        return None
    request.status, request.respond_by = MatchRequestStatus.REQUESTED, now + timedelta(days=days)
    session.add(request)
    session.commit()
    return request


@dataclass
class Answer:
    """What a mentor's answer (or a missed deadline) led to."""

    request: MatchRequest
    pair: Pair | None = None
    next_request: MatchRequest | None = None
    exhausted: bool = False


def answer(
    *, session: Session, team_id: str, request_id: int, actor: str | None, accept: bool, now: datetime, days: int
) -> Answer | None:
    """A mentor accepts or declines (``actor`` None: the deadline passed). None when not theirs or not open.

    A decline reads like an expiry to the mentee: it is recorded now, and the request moves to the next choice
    (the mentee hears "not available right now") when the answer window closes, exactly as for no answer.
    A request withdrawn because the mentor left moves on at the deadline the same way.
    """
    request = session.get(MatchRequest, request_id)
    if request is None or request.team_id != team_id:
        return None
    if actor is None and request.status in (MatchRequestStatus.DECLINED, MatchRequestStatus.WITHDRAWN):
        return _move_on(session, team_id, request, now=now, days=days)
    if request.status != MatchRequestStatus.REQUESTED:
        return None
    if actor is not None and actor != request.mentor_user_id:
        return None
    if actor is not None and not accept:
        request.status = MatchRequestStatus.DECLINED
        session.add(request)
        session.commit()
        return Answer(request)
    if accept:
        # lock the mentor's row so two acceptances at once cannot both see a free slot (PostgreSQL);
        # SQLite transactions already begin IMMEDIATE, one writer at a time
        session.exec(
            select(Participant)
            .where(Participant.team_id == team_id, Participant.user_id == request.mentor_user_id)
            .with_for_update()
        ).first()
        saved = people.load_profile(session=session, team_id=team_id, user_id=request.mentor_user_id)
        load = session.exec(
            select(func.count()).where(
                Pair.team_id == team_id,
                Pair.mentor_user_id == request.mentor_user_id,
                Pair.status.in_(OPEN_PAIR_STATUSES),  # type: ignore[attr-defined]
            )
        ).one()
        if saved is not None and load < saved[1].capacity:
            claimed = session.execute(
                update(MatchRequest)
                .where(MatchRequest.id == request_id, MatchRequest.status == MatchRequestStatus.REQUESTED)
                .values(status=MatchRequestStatus.ACCEPTED)
            )
            if claimed.rowcount == 1:  # type: ignore[attr-defined]
                pair = Pair(
                    team_id=team_id,
                    cohort_id=request.cohort_id,
                    mentee_user_id=request.mentee_user_id,
                    mentor_user_id=request.mentor_user_id,
                    source=PairSource.CHOICE,
                    score=request.score,
                    reasons=request.reasons,
                    created_by=request.mentee_user_id,
                    created_at=now,
                )
                session.add(pair)
                session.execute(
                    update(MatchRequest)
                    .where(
                        MatchRequest.team_id == team_id,
                        MatchRequest.mentee_user_id == request.mentee_user_id,
                        MatchRequest.status == MatchRequestStatus.OFFERED,
                    )
                    .values(status=MatchRequestStatus.CLOSED)
                )
                session.commit()
                session.refresh(request)
                return Answer(request, pair=pair)
        # a full mentor counts as a decline: capacities always hold
    request.status = MatchRequestStatus.DECLINED if actor is not None else MatchRequestStatus.EXPIRED
    session.add(request)
    return _move_on(session, team_id, request, now=now, days=days)


def _move_on(session: Session, team_id: str, request: MatchRequest, *, now: datetime, days: int) -> Answer:
    """Ask the mentee's next choice (or mark them first in line when the shortlist is used up). Commits."""
    following = session.exec(
        select(MatchRequest)
        .where(
            MatchRequest.team_id == team_id,
            MatchRequest.mentee_user_id == request.mentee_user_id,
            MatchRequest.status == MatchRequestStatus.OFFERED,
        )
        .order_by(MatchRequest.rank)  # type: ignore[arg-type]
    ).first()
    if following is None:
        session.execute(
            update(Participant)
            .where(Participant.team_id == team_id, Participant.user_id == request.mentee_user_id)
            .values(priority=True, unmatched_reason="none of your chosen mentors could take you this round")
        )
        session.commit()
        return Answer(request, exhausted=True)
    following.status, following.respond_by = MatchRequestStatus.REQUESTED, now + timedelta(days=days)
    session.add(following)
    session.commit()
    return Answer(request, next_request=following)


def deadline_key(request_id: int) -> str:
    return f"choice-deadline:{request_id}"
