"""Queries for learning from outcomes: pair snapshots, the facts outcome labels come from, scoring models."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import func, update
from sqlmodel import Session, select

from storage.models import Meeting, Pair, PairJourney, PrivateAnswer
from storage.models.learning import PairSnapshot, ScoringModel
from storage.vocab import AnswerKind, PairStatus, ScoringModelStatus


def add_snapshots(*, session: Session, rows: Iterable[PairSnapshot]) -> int:
    """Store snapshot rows (the caller commits); a pair that already has its snapshot keeps the first one."""
    added = 0
    for row in rows:
        exists = session.exec(
            select(PairSnapshot.id).where(PairSnapshot.pair_id == row.pair_id, PairSnapshot.side == row.side)
        ).first()
        if exists is None:
            session.add(row)
            added += 1
    return added


class ClosedPair(NamedTuple):
    """The columns of a closed pair that labelling needs."""

    id: int
    cohort_id: int | None
    mentee_user_id: str
    mentor_user_id: str
    status: str
    close_reason: str
    created_at: datetime
    closed_at: datetime | None


class JourneyFacts(NamedTuple):
    started_at: datetime
    cadence_days: int
    silent_stage: int
    last_activity_at: datetime | None


class AnswerFacts(NamedTuple):
    respondent_user_id: str
    kind: str
    satisfaction: int | None
    fit: str | None  # the fit check's answer (``answers["fit"]``), read in SQL


def _closed(team_id: str, cohort_id: int | None) -> list[Any]:
    where = [Pair.team_id == team_id, Pair.status == PairStatus.CLOSED]
    if cohort_id is not None:
        where.append(Pair.cohort_id == cohort_id)
    return where


def closed_pairs(*, session: Session, team_id: str, cohort_id: int | None = None) -> list[ClosedPair]:
    """Closed pairs of a workspace (one cohort, or all), oldest first (plain tuples: thousands load fast)."""
    rows = session.exec(
        select(
            Pair.id,
            Pair.cohort_id,
            Pair.mentee_user_id,
            Pair.mentor_user_id,
            Pair.status,
            Pair.close_reason,
            Pair.created_at,
            Pair.closed_at,
        )
        .where(*_closed(team_id, cohort_id))
        .order_by(Pair.id)  # type: ignore[arg-type]
    ).all()
    return [ClosedPair(*row) for row in rows]


def journeys_of(*, session: Session, team_id: str, cohort_id: int | None = None) -> dict[int, JourneyFacts]:
    """Pair id -> journey facts, for the closed pairs of :func:`closed_pairs`."""
    rows = session.exec(
        select(
            PairJourney.pair_id,
            PairJourney.started_at,
            PairJourney.cadence_days,
            PairJourney.silent_stage,
            PairJourney.last_activity_at,
        )
        .join(Pair, Pair.id == PairJourney.pair_id)  # type: ignore[arg-type]
        .where(*_closed(team_id, cohort_id))
    ).all()
    return {int(row[0]): JourneyFacts(*row[1:]) for row in rows}


def meeting_counts(*, session: Session, team_id: str, cohort_id: int | None = None) -> dict[int, int]:
    """Pair id -> meetings logged, for the closed pairs of :func:`closed_pairs`."""
    rows = session.exec(
        select(Meeting.pair_id, func.count())
        .join(Pair, Pair.id == Meeting.pair_id)  # type: ignore[arg-type]
        .where(*_closed(team_id, cohort_id))
        .group_by(Meeting.pair_id)
    ).all()
    return {int(pair_id): int(count) for pair_id, count in rows}


def answers_of(*, session: Session, team_id: str, cohort_id: int | None = None) -> dict[int, list[AnswerFacts]]:
    """Pair id -> its private answers (surveys and fit checks), oldest first. Read by the labeller only."""
    rows = session.exec(
        select(
            PrivateAnswer.pair_id,
            PrivateAnswer.respondent_user_id,
            PrivateAnswer.kind,
            PrivateAnswer.satisfaction,
            PrivateAnswer.answers["fit"].as_string(),  # type: ignore[index]
        )
        .join(Pair, Pair.id == PrivateAnswer.pair_id)  # type: ignore[arg-type]
        .where(
            *_closed(team_id, cohort_id),
            PrivateAnswer.kind.in_([AnswerKind.PULSE, AnswerKind.CLOSING, AnswerKind.FIT]),  # type: ignore[attr-defined]
        )
        .order_by(PrivateAnswer.submitted_at, PrivateAnswer.id)  # type: ignore[arg-type]
    ).all()
    out: dict[int, list[AnswerFacts]] = {}
    for row in rows:
        out.setdefault(int(row[0]), []).append(AnswerFacts(*row[1:]))
    return out


def snapshot_sides(*, session: Session, team_id: str, cohort_id: int | None = None) -> dict[int, set[str]]:
    """Pair id -> the sides whose snapshot remains, for the closed pairs of :func:`closed_pairs`."""
    rows = session.exec(
        select(PairSnapshot.pair_id, PairSnapshot.side)
        .join(Pair, Pair.id == PairSnapshot.pair_id)  # type: ignore[arg-type]
        .where(*_closed(team_id, cohort_id))
    ).all()
    out: dict[int, set[str]] = {}
    for pair_id, side in rows:
        out.setdefault(int(pair_id), set()).add(side)
    return out


def snapshots_of(*, session: Session, team_id: str, cohort_id: int | None = None) -> dict[int, dict[str, PairSnapshot]]:
    """Pair id -> side -> snapshot row, for the closed pairs of :func:`closed_pairs`."""
    rows = session.exec(
        select(PairSnapshot).join(Pair, Pair.id == PairSnapshot.pair_id).where(*_closed(team_id, cohort_id))  # type: ignore[arg-type]
    ).all()
    out: dict[int, dict[str, PairSnapshot]] = {}
    for row in rows:
        out.setdefault(row.pair_id, {})[row.side] = row
    return out


# ---------------------------------------------------------------------- scoring models


def add_model(
    *,
    session: Session,
    team_id: str,
    cohort_id: int | None,
    model: dict[str, Any],
    preview: dict[str, Any],
    created_by: str,
    now: datetime,
) -> ScoringModel:
    """Store a candidate model for a cohort (commits)."""
    row = ScoringModel(
        team_id=team_id,
        cohort_id=cohort_id,
        status=ScoringModelStatus.CANDIDATE,
        model=model,
        preview=preview,
        created_by=created_by[:32],
        created_at=now,
    )
    session.add(row)
    session.commit()
    return row


def get_model(*, session: Session, team_id: str, model_id: int) -> ScoringModel | None:
    row = session.get(ScoringModel, model_id)
    return row if row is not None and row.team_id == team_id else None


def applied_model(*, session: Session, team_id: str, cohort_id: int | None) -> ScoringModel | None:
    """The model a cohort's rounds use, if any."""
    if cohort_id is None:
        return None
    return session.exec(
        select(ScoringModel)
        .where(
            ScoringModel.team_id == team_id,
            ScoringModel.cohort_id == cohort_id,
            ScoringModel.status == ScoringModelStatus.APPLIED,
        )
        .order_by(ScoringModel.id.desc())  # type: ignore[union-attr]
    ).first()


def claim_status(*, session: Session, model_id: int, old: str, new: str, **values: Any) -> bool:
    """Move a model from ``old`` to ``new`` status in one conditional UPDATE (a double click changes it once)."""
    result = session.execute(
        update(ScoringModel).where(ScoringModel.id == model_id, ScoringModel.status == old).values(status=new, **values)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]
