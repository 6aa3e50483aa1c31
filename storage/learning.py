"""Queries for learning from outcomes: pair snapshots, the facts outcome labels come from, scoring models."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

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


def snapshots_of(*, session: Session, pair_ids: Sequence[int]) -> dict[int, dict[str, PairSnapshot]]:
    """Pair id -> side -> snapshot row."""
    out: dict[int, dict[str, PairSnapshot]] = {}
    for start in range(0, len(pair_ids), 500):
        chunk = list(pair_ids[start : start + 500])
        for row in session.exec(select(PairSnapshot).where(PairSnapshot.pair_id.in_(chunk))).all():  # type: ignore[attr-defined]
            out.setdefault(row.pair_id, {})[row.side] = row
    return out


def closed_pairs(*, session: Session, team_id: str, cohort_id: int | None = None) -> list[Pair]:
    """Closed pairs of a workspace (one cohort, or all), oldest first."""
    query = select(Pair).where(Pair.team_id == team_id, Pair.status == PairStatus.CLOSED)
    if cohort_id is not None:
        query = query.where(Pair.cohort_id == cohort_id)
    return list(session.exec(query.order_by(Pair.id)).all())  # type: ignore[arg-type]


def journeys_of(*, session: Session, pair_ids: Sequence[int]) -> dict[int, PairJourney]:
    """Pair id -> journey."""
    out: dict[int, PairJourney] = {}
    for start in range(0, len(pair_ids), 500):
        chunk = list(pair_ids[start : start + 500])
        for row in session.exec(select(PairJourney).where(PairJourney.pair_id.in_(chunk))).all():  # type: ignore[attr-defined]
            out[row.pair_id] = row
    return out


def meeting_counts(*, session: Session, pair_ids: Sequence[int]) -> dict[int, int]:
    """Pair id -> meetings logged."""
    out: dict[int, int] = {}
    for start in range(0, len(pair_ids), 500):
        chunk = list(pair_ids[start : start + 500])
        rows = session.exec(
            select(Meeting.pair_id, func.count()).where(Meeting.pair_id.in_(chunk)).group_by(Meeting.pair_id)  # type: ignore[attr-defined]
        ).all()
        out.update({int(pair_id): int(count) for pair_id, count in rows})
    return out


def answers_of(*, session: Session, pair_ids: Sequence[int]) -> dict[int, list[PrivateAnswer]]:
    """Pair id -> its private answers (surveys and fit checks), oldest first. Read by the labeller only."""
    out: dict[int, list[PrivateAnswer]] = {}
    for start in range(0, len(pair_ids), 500):
        chunk = list(pair_ids[start : start + 500])
        rows = session.exec(
            select(PrivateAnswer)
            .where(
                PrivateAnswer.pair_id.in_(chunk),  # type: ignore[attr-defined]
                PrivateAnswer.kind.in_([AnswerKind.PULSE, AnswerKind.CLOSING, AnswerKind.FIT]),  # type: ignore[attr-defined]
            )
            .order_by(PrivateAnswer.submitted_at, PrivateAnswer.id)  # type: ignore[arg-type]
        ).all()
        for row in rows:
            out.setdefault(row.pair_id, []).append(row)
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
