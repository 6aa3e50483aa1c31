"""Queries on the outbox of scheduled prompts: idempotent inserts, the dispatcher's claim, and state changes.

The claim is the one place that must be safe with several dispatchers on one database: on PostgreSQL it locks
the due rows with ``FOR UPDATE SKIP LOCKED`` (so concurrent claimers take disjoint rows); on SQLite the engine
begins every transaction with ``BEGIN IMMEDIATE`` (see ``storage/db.py``), so claims are serialised.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, func, or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from storage.models.outbox import CANCELLED, FAILED, LEASED, PENDING, SENT, SKIPPED, ScheduledPrompt
from storage.types import utcnow

_KEY_COLUMNS = ["team_id", "idempotency_key"]


@dataclass(frozen=True)
class ClaimedPrompt:
    """A row leased to one dispatcher.

    Attributes:
        prompt: The row as it is after the claim (status ``leased``).
        recovered: True when the row was already leased before this claim (its owner crashed or stopped
            mid-send), so the message may already be in Slack.
    """

    prompt: ScheduledPrompt
    recovered: bool


def insert_prompt(
    *,
    session: Session,
    team_id: str,
    key: str,
    kind: str,
    due_at: datetime,
    recipient_user_id: str | None = None,
    pair_id: int | None = None,
    channel_id: str | None = None,
    payload: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> bool:
    """Insert a pending prompt unless ``(team_id, key)`` exists (``INSERT .. ON CONFLICT DO NOTHING``).

    Safe under concurrent calls on SQLite and PostgreSQL; does not commit.

    Returns:
        True when this call inserted the row.
    """
    stamp = now or utcnow()
    values = {
        "team_id": team_id,
        "idempotency_key": key,
        "kind": kind,
        "pair_id": pair_id,
        "recipient_user_id": recipient_user_id,
        "channel_id": channel_id,
        "payload": dict(payload or {}),
        "due_at": due_at,
        "status": PENDING,
        "attempts": 0,
        "last_error": "",
        "created_at": stamp,
        "updated_at": stamp,
    }
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = ScheduledPrompt.__table__  # type: ignore[attr-defined]
    statement = insert(table).values(**values).on_conflict_do_nothing(index_elements=_KEY_COLUMNS).returning(table.c.id)
    # RETURNING rather than rowcount: psycopg reports 1 for a row skipped by ON CONFLICT DO NOTHING here.
    return session.execute(statement).first() is not None


def get_prompt_by_key(*, session: Session, team_id: str, key: str) -> ScheduledPrompt | None:
    """The prompt with this idempotency key, freshly read from the database."""
    statement = (
        select(ScheduledPrompt)
        .where(ScheduledPrompt.team_id == team_id, ScheduledPrompt.idempotency_key == key)
        .execution_options(populate_existing=True)
    )
    return session.exec(statement).first()


def get_prompt(*, session: Session, prompt_id: int) -> ScheduledPrompt | None:
    """One prompt by id, freshly read."""
    statement = select(ScheduledPrompt).where(ScheduledPrompt.id == prompt_id)
    return session.exec(statement.execution_options(populate_existing=True)).first()


def reschedule_pending(
    *, session: Session, prompt_id: int, due_at: datetime, payload: dict[str, Any] | None, now: datetime
) -> bool:
    """Move a still-pending prompt to ``due_at`` (and replace its payload when given); does not commit."""
    values: dict[str, Any] = {"due_at": due_at, "next_attempt_at": None, "updated_at": now}
    if payload is not None:
        values["payload"] = dict(payload)
    statement = (
        update(ScheduledPrompt)
        .where(col(ScheduledPrompt.id) == prompt_id, col(ScheduledPrompt.status) == PENDING)
        .values(**values)
    )
    return bool(session.execute(statement).rowcount)  # type: ignore[attr-defined]


def _pair_filter(team_id: str, pair_id: int, kinds: Collection[str] | None) -> list[Any]:
    conditions: list[Any] = [
        col(ScheduledPrompt.team_id) == team_id,
        col(ScheduledPrompt.pair_id) == pair_id,
        col(ScheduledPrompt.status) == PENDING,
    ]
    if kinds is not None:
        conditions.append(col(ScheduledPrompt.kind).in_(list(kinds)))
    return conditions


def cancel_pending(
    *, session: Session, team_id: str, pair_id: int, kinds: Collection[str] | None, now: datetime
) -> int:
    """Cancel a pair's pending prompts (optionally only some kinds); does not commit. Returns the count."""
    if kinds is not None and not kinds:
        return 0
    statement = (
        update(ScheduledPrompt)
        .where(*_pair_filter(team_id, pair_id, kinds))
        .values(status=CANCELLED, updated_at=now, last_error="cancelled")
    )
    return int(session.execute(statement).rowcount or 0)  # type: ignore[attr-defined]


def shift_pending(
    *, session: Session, team_id: str, pair_id: int, delta: timedelta, kinds: Collection[str] | None, now: datetime
) -> int:
    """Move a pair's pending prompts by ``delta`` (pause/resume); does not commit. Returns the count."""
    if kinds is not None and not kinds:
        return 0
    rows = session.exec(select(ScheduledPrompt).where(*_pair_filter(team_id, pair_id, kinds)).with_for_update()).all()
    for row in rows:
        row.due_at = row.due_at + delta
        if row.next_attempt_at is not None:
            row.next_attempt_at = row.next_attempt_at + delta
        row.updated_at = now
        session.add(row)
    session.flush()
    return len(rows)


def list_upcoming(
    *, session: Session, team_id: str, pair_id: int | None = None, user_id: str | None = None, limit: int = 50
) -> list[ScheduledPrompt]:
    """Pending (and in-flight) prompts, soonest first, for a pair and/or a recipient."""
    statement = select(ScheduledPrompt).where(
        col(ScheduledPrompt.team_id) == team_id, col(ScheduledPrompt.status).in_([PENDING, LEASED])
    )
    if pair_id is not None:
        statement = statement.where(col(ScheduledPrompt.pair_id) == pair_id)
    if user_id is not None:
        statement = statement.where(col(ScheduledPrompt.recipient_user_id) == user_id)
    statement = statement.order_by(col(ScheduledPrompt.due_at), col(ScheduledPrompt.id)).limit(limit)
    return list(session.exec(statement).all())


def _claimable(now: datetime, owner: str) -> Any:
    due = and_(
        col(ScheduledPrompt.status) == PENDING,
        col(ScheduledPrompt.due_at) <= now,
        or_(col(ScheduledPrompt.next_attempt_at).is_(None), col(ScheduledPrompt.next_attempt_at) <= now),
    )
    # A lease that ran out (its owner crashed), or one this owner left behind before a restart.
    abandoned = and_(
        col(ScheduledPrompt.status) == LEASED,
        or_(col(ScheduledPrompt.lease_expires_at) < now, col(ScheduledPrompt.lease_owner) == owner),
    )
    return or_(due, abandoned)


def claim_due(
    *, session: Session, owner: str, now: datetime, lease: timedelta, limit: int = 100
) -> list[ClaimedPrompt]:
    """Lease up to ``limit`` due prompts to ``owner`` in one short transaction (commits).

    Rows are pending ones that are due (and whose retry time has come), and leased ones whose lease expired or
    that ``owner`` itself holds (a restart with a stable owner resumes at once).
    """
    pick = (
        select(ScheduledPrompt.id, ScheduledPrompt.status)
        .where(_claimable(now, owner))
        .order_by(col(ScheduledPrompt.due_at), col(ScheduledPrompt.id))
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        pick = pick.with_for_update(skip_locked=True)
    try:
        picked = session.exec(pick).all()
        if not picked:
            session.commit()
            return []
        ids = [row[0] for row in picked]
        recovered = {row[0] for row in picked if row[1] == LEASED}
        session.execute(
            update(ScheduledPrompt)
            .where(col(ScheduledPrompt.id).in_(ids))
            .values(status=LEASED, lease_owner=owner, lease_expires_at=now + lease, updated_at=now)
        )
        rows = session.exec(
            select(ScheduledPrompt)
            .where(col(ScheduledPrompt.id).in_(ids))
            .order_by(col(ScheduledPrompt.due_at), col(ScheduledPrompt.id))
            .execution_options(populate_existing=True)
        ).all()
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return [ClaimedPrompt(prompt=row, recovered=row.id in recovered) for row in rows]


def _owned(prompt_id: int, owner: str) -> list[Any]:
    return [
        col(ScheduledPrompt.id) == prompt_id,
        col(ScheduledPrompt.status) == LEASED,
        col(ScheduledPrompt.lease_owner) == owner,
    ]


def mark_sent(
    *, session: Session, prompt_id: int, sent_ts: str | None, sent_channel: str | None, now: datetime
) -> bool:
    """Record that the prompt reached Slack; does not commit.

    Not conditioned on the lease: the message went out, whoever holds the row now. False when it was already
    marked sent (another dispatcher recovered it first).
    """
    statement = (
        update(ScheduledPrompt)
        .where(col(ScheduledPrompt.id) == prompt_id, col(ScheduledPrompt.status) != SENT)
        .values(
            status=SENT,
            sent_at=now,
            sent_ts=sent_ts,
            sent_channel=sent_channel,
            lease_owner=None,
            lease_expires_at=None,
            last_error="",
            updated_at=now,
        )
    )
    return bool(session.execute(statement).rowcount)  # type: ignore[attr-defined]


def mark_sent_many(*, session: Session, sent: Collection[tuple[int, str | None, str | None]], now: datetime) -> None:
    """``mark_sent`` for many rows in one executemany statement: (prompt id, sent_ts, sent_channel) each; does not
    commit. Rows already marked sent are left as they are."""
    if not sent:
        return
    table = ScheduledPrompt.__table__  # type: ignore[attr-defined]
    statement = (
        update(table)
        .where(table.c.id == bindparam("b_id"), table.c.status != SENT)
        .values(
            status=SENT,
            sent_at=now,
            sent_ts=bindparam("b_ts"),
            sent_channel=bindparam("b_channel"),
            lease_owner=None,
            lease_expires_at=None,
            last_error="",
            updated_at=now,
        )
    )
    session.execute(statement, [{"b_id": i, "b_ts": ts, "b_channel": channel} for i, ts, channel in sent])


def mark_retry(
    *, session: Session, prompt_id: int, owner: str, attempts: int, next_attempt_at: datetime, error: str, now: datetime
) -> bool:
    """Put a leased prompt back to pending, to be tried again at ``next_attempt_at``; does not commit."""
    statement = (
        update(ScheduledPrompt)
        .where(*_owned(prompt_id, owner))
        .values(
            status=PENDING,
            attempts=attempts,
            next_attempt_at=next_attempt_at,
            lease_owner=None,
            lease_expires_at=None,
            last_error=error[:500],
            updated_at=now,
        )
    )
    return bool(session.execute(statement).rowcount)  # type: ignore[attr-defined]


def mark_final(
    *, session: Session, prompt_id: int, owner: str, status: str, attempts: int, error: str, now: datetime
) -> bool:
    """End a leased prompt as ``failed`` or ``skipped``; does not commit."""
    if status not in (FAILED, SKIPPED):
        raise ValueError(f"not a final status: {status}")
    statement = (
        update(ScheduledPrompt)
        .where(*_owned(prompt_id, owner))
        .values(
            status=status,
            attempts=attempts,
            lease_owner=None,
            lease_expires_at=None,
            last_error=error[:500],
            updated_at=now,
        )
    )
    return bool(session.execute(statement).rowcount)  # type: ignore[attr-defined]


def release_leases(*, session: Session, owner: str, prompt_ids: Collection[int] | None = None, now: datetime) -> int:
    """Give leased rows back (pending, due again at once), e.g. on a graceful stop; commits. Returns the count."""
    conditions: list[Any] = [col(ScheduledPrompt.status) == LEASED, col(ScheduledPrompt.lease_owner) == owner]
    if prompt_ids is not None:
        if not prompt_ids:
            return 0
        conditions.append(col(ScheduledPrompt.id).in_(list(prompt_ids)))
    statement = (
        update(ScheduledPrompt)
        .where(*conditions)
        .values(status=PENDING, lease_owner=None, lease_expires_at=None, updated_at=now)
    )
    count = int(session.execute(statement).rowcount or 0)  # type: ignore[attr-defined]
    session.commit()
    return count


def count_by_status(*, session: Session, team_id: str | None = None) -> dict[str, int]:
    """How many prompts are in each status (for coordinators and metrics)."""
    statement = select(ScheduledPrompt.status, func.count()).group_by(ScheduledPrompt.status)
    if team_id is not None:
        statement = statement.where(col(ScheduledPrompt.team_id) == team_id)
    return {str(status): int(count) for status, count in session.exec(statement).all()}


def count_due(*, session: Session, now: datetime) -> int:
    """How many pending prompts are due now (the backlog the dispatcher has not claimed yet)."""
    statement = select(func.count()).where(
        col(ScheduledPrompt.status) == PENDING,
        col(ScheduledPrompt.due_at) <= now,
        or_(col(ScheduledPrompt.next_attempt_at).is_(None), col(ScheduledPrompt.next_attempt_at) <= now),
    )
    return int(session.exec(statement).one())


def list_failed(*, session: Session, team_id: str, limit: int = 50) -> list[ScheduledPrompt]:
    """Prompts that gave up, newest first (for the coordinator)."""
    statement = (
        select(ScheduledPrompt)
        .where(col(ScheduledPrompt.team_id) == team_id, col(ScheduledPrompt.status) == FAILED)
        .order_by(col(ScheduledPrompt.updated_at).desc())
        .limit(limit)
    )
    return list(session.exec(statement).all())
