"""Queries for match rounds: the live preview of a cohort, its pins and forbids, and the locks publishing takes."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from storage.models import Cohort, CohortPairRule, MatchRequest, MatchRound, Pair, Participant
from storage.types import utcnow
from storage.vocab import (
    LIVE_ROUND_STATUSES,
    OPEN_REQUEST_STATUSES,
    CohortStatus,
    PairRuleKind,
    PairStatus,
    RoundStatus,
)

OPEN_PAIR_STATUSES = (PairStatus.ACTIVE, PairStatus.PAUSED, PairStatus.AT_RISK)


# ---------------------------------------------------------------------- rounds


def get_round(*, session: Session, team_id: str, round_id: int) -> MatchRound | None:
    """A round of this workspace, read fresh from the database (None when it is another workspace's)."""
    match_round = session.get(MatchRound, round_id, populate_existing=True)
    return match_round if match_round is not None and match_round.team_id == team_id else None


def lock_round(*, session: Session, round_id: int) -> MatchRound | None:
    """The round, locked for the rest of the transaction (PostgreSQL ``FOR UPDATE``; SQLite holds the write lock)."""
    return session.exec(
        select(MatchRound).where(MatchRound.id == round_id).with_for_update().execution_options(populate_existing=True)
    ).first()


def live_round(*, session: Session, team_id: str, cohort_id: int) -> MatchRound | None:
    """The cohort's running or previewed round, if any (there is at most one)."""
    return session.exec(
        select(MatchRound)
        .where(
            MatchRound.team_id == team_id,
            MatchRound.cohort_id == cohort_id,
            MatchRound.status.in_(LIVE_ROUND_STATUSES),  # type: ignore[attr-defined]
        )
        .order_by(MatchRound.id.desc())  # type: ignore[union-attr]
        .execution_options(populate_existing=True)
    ).first()


def open_round(
    *, session: Session, team_id: str, cohort_id: int, requested_by: str, channel_id: str, now: datetime
) -> tuple[MatchRound, list[int]]:
    """Supersede the cohort's live round (if any) and create a new one, in one transaction; commits.

    The partial unique index ``uq_match_round_live`` refuses a second live round, so two requests at once
    cannot both succeed: the loser's insert fails, and it retries, superseding the winner's round (the newest
    request wins, and the older round's buttons say it was replaced).

    Returns:
        The new round and the ids of the rounds it superseded.
    """
    for attempt in range(6):
        try:
            superseded = list(
                session.exec(
                    select(MatchRound.id).where(
                        MatchRound.team_id == team_id,
                        MatchRound.cohort_id == cohort_id,
                        MatchRound.status.in_(LIVE_ROUND_STATUSES),  # type: ignore[attr-defined]
                    )
                ).all()
            )
            if superseded:
                session.execute(
                    update(MatchRound)
                    .where(
                        MatchRound.id.in_(superseded),  # type: ignore[union-attr]
                        MatchRound.status.in_(LIVE_ROUND_STATUSES),  # type: ignore[attr-defined]
                    )
                    .values(status=RoundStatus.SUPERSEDED, updated_at=now)
                )
            match_round = MatchRound(
                team_id=team_id,
                cohort_id=cohort_id,
                requested_by=requested_by,
                channel_id=channel_id,
                status=RoundStatus.RUNNING,
                created_at=now,
                updated_at=now,
            )
            session.add(match_round)
            session.flush()
            session.commit()
            return match_round, [int(i) for i in superseded if i is not None]
        except IntegrityError:
            session.rollback()
            if attempt == 5:
                raise
    raise RuntimeError("unreachable")


def store_plan(
    *,
    session: Session,
    round_id: int,
    base_revision: int,
    result: dict[str, Any],
    pinned: list[list[str]],
    forbidden: list[list[str]],
    now: datetime,
) -> bool:
    """Store a plan if the round is still live and nobody stored a newer plan meanwhile; commits.

    Returns:
        False when the round was superseded, discarded or published, or another plan landed first.
    """
    stored = session.execute(
        update(MatchRound)
        .where(
            MatchRound.id == round_id,
            MatchRound.revision == base_revision,
            MatchRound.status.in_(LIVE_ROUND_STATUSES),  # type: ignore[attr-defined]
        )
        .values(
            result=result,
            pinned=pinned,
            forbidden=forbidden,
            status=RoundStatus.PREVIEW,
            revision=base_revision + 1,
            updated_at=now,
            error="",
        )
    )
    session.commit()
    return int(stored.rowcount or 0) == 1  # type: ignore[attr-defined]


def fail_round(*, session: Session, round_id: int, error: str, now: datetime) -> None:
    """Mark a live round failed (the matcher raised); commits. A round no longer live is left alone."""
    session.execute(
        update(MatchRound)
        .where(MatchRound.id == round_id, MatchRound.status.in_(LIVE_ROUND_STATUSES))  # type: ignore[attr-defined]
        .values(status=RoundStatus.FAILED, error=error[:500], updated_at=now)
    )
    session.commit()


def discard_round(*, session: Session, round_id: int, now: datetime) -> bool:
    """Throw a live preview away; commits. False when it was no longer live."""
    done = session.execute(
        update(MatchRound)
        .where(MatchRound.id == round_id, MatchRound.status.in_(LIVE_ROUND_STATUSES))  # type: ignore[attr-defined]
        .values(status=RoundStatus.DISCARDED, updated_at=now)
    )
    session.commit()
    return int(done.rowcount or 0) == 1  # type: ignore[attr-defined]


def discard_live_rounds(*, session: Session, team_id: str, cohort_id: int, now: datetime) -> int:
    """Discard a cohort's live round (the cohort is closing); the caller commits."""
    done = session.execute(
        update(MatchRound)
        .where(
            MatchRound.team_id == team_id,
            MatchRound.cohort_id == cohort_id,
            MatchRound.status.in_(LIVE_ROUND_STATUSES),  # type: ignore[attr-defined]
        )
        .values(status=RoundStatus.DISCARDED, updated_at=now)
    )
    return int(done.rowcount or 0)  # type: ignore[attr-defined]


def pending_previews(*, session: Session, team_id: str) -> list[MatchRound]:
    """Rounds waiting for a coordinator (planning or previewed), newest first, one per cohort."""
    return list(
        session.exec(
            select(MatchRound)
            .where(
                MatchRound.team_id == team_id,
                MatchRound.status.in_(LIVE_ROUND_STATUSES),  # type: ignore[attr-defined]
            )
            .order_by(MatchRound.id.desc())  # type: ignore[union-attr]
        ).all()
    )


# ---------------------------------------------------------------------- pins and forbids


def list_rules(*, session: Session, team_id: str, cohort_id: int) -> list[CohortPairRule]:
    """A cohort's pins and forbids, oldest first."""
    return list(
        session.exec(
            select(CohortPairRule)
            .where(CohortPairRule.team_id == team_id, CohortPairRule.cohort_id == cohort_id)
            .order_by(CohortPairRule.id)  # type: ignore[arg-type]
        ).all()
    )


def get_rule(*, session: Session, team_id: str, rule_id: int) -> CohortPairRule | None:
    """One rule of this workspace."""
    rule = session.get(CohortPairRule, rule_id)
    return rule if rule is not None and rule.team_id == team_id else None


def set_rule(
    *,
    session: Session,
    team_id: str,
    cohort_id: int,
    mentee_user_id: str,
    mentor_user_id: str,
    rule: PairRuleKind,
    actor: str,
    now: datetime,
) -> list[CohortPairRule]:
    """Pin or forbid a pair in a cohort; the caller commits.

    Pinning replaces the mentee's other pin and a forbid of the same pair; forbidding replaces a pin of the
    same pair.

    Returns:
        The rules this one replaced (already deleted).
    """
    mine = session.exec(
        select(CohortPairRule).where(
            CohortPairRule.team_id == team_id,
            CohortPairRule.cohort_id == cohort_id,
            CohortPairRule.mentee_user_id == mentee_user_id,
        )
    ).all()
    replaced = [
        r
        for r in mine
        if r.mentor_user_id == mentor_user_id or (rule == PairRuleKind.PIN and r.rule == PairRuleKind.PIN)
    ]
    for old in replaced:
        session.delete(old)
    session.flush()
    session.add(
        CohortPairRule(
            team_id=team_id,
            cohort_id=cohort_id,
            mentee_user_id=mentee_user_id,
            mentor_user_id=mentor_user_id,
            rule=rule,
            created_by=actor,
            created_at=now,
        )
    )
    session.flush()
    return replaced


def remove_rule(*, session: Session, team_id: str, rule_id: int) -> CohortPairRule | None:
    """Delete a rule; the caller commits. Returns the removed rule (None when it was already gone)."""
    rule = get_rule(session=session, team_id=team_id, rule_id=rule_id)
    if rule is not None:
        session.delete(rule)
        session.flush()
    return rule


# ---------------------------------------------------------------------- people and pairs, read under locks


def lock_participants(*, session: Session, team_id: str, user_ids: Collection[str]) -> dict[str, Participant]:
    """Lock the participant rows of these people, in id order, for the rest of the transaction.

    Everything that creates a pair (publishing, a hand pair, a mentor's Accept) and everything that changes a
    person (pause, leave) touches these rows, so taking them in one order serialises those writes without
    deadlocks on PostgreSQL. SQLite transactions already hold the database's write lock.
    """
    if not user_ids:
        return {}
    rows = session.exec(
        select(Participant)
        .where(Participant.team_id == team_id, Participant.user_id.in_(sorted(user_ids)))  # type: ignore[attr-defined]
        .order_by(Participant.id)  # type: ignore[arg-type]
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    return {p.user_id: p for p in rows}


def open_pairs_of(*, session: Session, team_id: str, user_ids: Iterable[str]) -> list[Pair]:
    """The open pairs (active, paused, at risk) in which any of these people is mentee or mentor."""
    ids = sorted(set(user_ids))
    if not ids:
        return []
    return list(
        session.exec(
            select(Pair).where(
                Pair.team_id == team_id,
                Pair.status.in_(OPEN_PAIR_STATUSES),  # type: ignore[attr-defined]
                or_(Pair.mentee_user_id.in_(ids), Pair.mentor_user_id.in_(ids)),  # type: ignore[attr-defined]
            )
        ).all()
    )


def mentor_load(*, session: Session, team_id: str, mentor_user_id: str) -> int:
    """How many open pairs a mentor has."""
    return int(
        session.exec(
            select(func.count()).where(
                Pair.team_id == team_id,
                Pair.mentor_user_id == mentor_user_id,
                Pair.status.in_(OPEN_PAIR_STATUSES),  # type: ignore[attr-defined]
            )
        ).one()
    )


def move_to_cohort(*, session: Session, team_id: str, user_ids: Collection[str], cohort_id: int) -> int:
    """Move people into a cohort (they were carried over and now take part in it); the caller commits."""
    if not user_ids:
        return 0
    done = session.execute(
        update(Participant)
        .where(
            Participant.team_id == team_id,
            Participant.user_id.in_(sorted(user_ids)),  # type: ignore[attr-defined]
            or_(Participant.cohort_id.is_(None), Participant.cohort_id != cohort_id),  # type: ignore[union-attr]
        )
        .values(cohort_id=cohort_id, updated_at=utcnow())
    )
    return int(done.rowcount or 0)  # type: ignore[attr-defined]


# ---------------------------------------------------------------------- cohorts


def set_cohort_status(
    *, session: Session, cohort_id: int, status: CohortStatus, from_statuses: Collection[str], now: datetime
) -> bool:
    """Move a cohort to ``status`` when it is in one of ``from_statuses``; the caller commits."""
    values: dict[str, Any] = {"status": status}
    if status == CohortStatus.CLOSED:
        values["closed_at"] = now
    elif CohortStatus.CLOSED in from_statuses:
        values["closed_at"] = None
    done = session.execute(
        update(Cohort)
        .where(Cohort.id == cohort_id, Cohort.status.in_(list(from_statuses)))  # type: ignore[attr-defined]
        .values(**values)
    )
    return int(done.rowcount or 0) == 1  # type: ignore[attr-defined]


def open_requests_count(*, session: Session, team_id: str, cohort_id: int) -> int:
    """Mentee-choice offers and requests still waiting for an answer in a cohort."""
    return int(
        session.exec(
            select(func.count()).where(
                MatchRequest.team_id == team_id,
                MatchRequest.cohort_id == cohort_id,
                MatchRequest.status.in_(OPEN_REQUEST_STATUSES),  # type: ignore[attr-defined]
            )
        ).one()
    )


def cohort_counts(*, session: Session, team_id: str) -> dict[int, dict[str, int]]:
    """Per cohort: participants, open pairs and all pairs (for the cohort list)."""
    people = session.exec(
        select(Participant.cohort_id, func.count())
        .where(Participant.team_id == team_id, Participant.status != "departed")
        .group_by(Participant.cohort_id)
    ).all()
    pairs = session.exec(
        select(Pair.cohort_id, Pair.status, func.count())
        .where(Pair.team_id == team_id)
        .group_by(Pair.cohort_id, Pair.status)
    ).all()
    out: dict[int, dict[str, int]] = {}
    for cohort_id, n in people:
        if cohort_id is not None:
            out.setdefault(int(cohort_id), {})["people"] = int(n)
    for cohort_id, status, n in pairs:
        if cohort_id is None:
            continue
        entry = out.setdefault(int(cohort_id), {})
        entry["pairs"] = entry.get("pairs", 0) + int(n)
        if status in OPEN_PAIR_STATUSES:
            entry["open_pairs"] = entry.get("open_pairs", 0) + int(n)
    return out
