"""A person's data across the whole schema, found generically so new tables are covered automatically.

Every table on ``SQLModel.metadata`` is walked; nothing here names a program table. Within the person's
workspace (``team_id``) a row is *theirs* when

- a *subject* column (``user_id``, ``respondent_user_id``, ``recipient_user_id``) holds their user id, or
  ``participant_id`` is their participant row: deleted on leave, exported by ``my-data``;
- any other string column holds exactly their user id (``mentee_user_id``, ``mentor_user_id``, ``actor``,
  ``requested_by``, ``logged_by``, ``target_id``...): kept for the other people and for stats, with the id
  replaced by a pseudonym on leave; exported by ``my-data``.

On leave, text and JSON columns of every row of the workspace that still mention the id, the person's
display name or email (a coordinator's round preview, an audit detail, a partner's meeting notes) are
scrubbed too. Tables without ``team_id`` are only reached through ``participant_id``. Slack's install
tables (``slack_*``) and ``anonymous_departure`` are left alone: the first are the workspace's credentials,
the second is what remains of people who left.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, String, Table, Text, TypeDecorator, and_, cast, delete, or_, select, update
from sqlmodel import Session, SQLModel

import storage.models  # noqa: F401 - registers every table on SQLModel.metadata
from storage.vocab import CloseReason, PairStatus

SUBJECT_COLUMNS = frozenset({"user_id", "respondent_user_id", "recipient_user_id"})
LINK_COLUMN = "participant_id"
SKIPPED_TABLES = frozenset({"anonymous_departure"})
SKIPPED_PREFIXES = ("slack_",)
# rows only derived for someone else (recomputed anyway): removed when they name the person at all
DERIVED_TABLES = frozenset({"people_suggestion", "people_suggestion_sent"})
REMOVED = "[removed]"


def person_tables() -> list[Table]:
    """Every table that can hold personal data, parents before children."""
    return [
        t
        for t in SQLModel.metadata.sorted_tables
        if t.name not in SKIPPED_TABLES and not t.name.startswith(SKIPPED_PREFIXES)
    ]


def _base(column: Column[Any]) -> Any:
    kind = column.type
    while isinstance(kind, TypeDecorator):  # SQLModel's AutoString, our UTCDateTime...
        kind = kind.impl_instance
    return kind


def _strings(table: Table) -> list[Column[Any]]:
    return [c for c in table.columns if isinstance(_base(c), String) and not c.primary_key and c.name != "team_id"]


def _texts(table: Table) -> list[Column[Any]]:
    return [c for c in table.columns if isinstance(_base(c), String | Text | JSON) and c.name != "team_id"]


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _ownership(table: Table, *, team_id: str, user_id: str, participant_id: int | None) -> list[Any]:
    conditions: list[Any] = []
    team = table.c.team_id == team_id if "team_id" in table.c else None
    for column in table.columns:
        if column.name in SUBJECT_COLUMNS and team is not None:
            conditions.append(and_(team, column == user_id))
    if participant_id is not None and LINK_COLUMN in table.c:
        conditions.append(table.c[LINK_COLUMN] == participant_id)
    return conditions


def personal_rows(
    *, session: Session, team_id: str, user_id: str, participant_id: int | None
) -> dict[str, list[dict[str, Any]]]:
    """Every row about a person, by table (``my-data``).

    Rows whose subject is someone else (another person's private answer, reflection or confidential
    do-not-pair list) are never included, even when they mention the person.

    Args:
        session: Database session.
        team_id: The person's workspace.
        user_id: Their Slack user id.
        participant_id: Their participant row, if they signed up.

    Returns:
        ``{table name: [row as a JSON-ready dict, ...]}`` for tables with at least one row.
    """
    found: dict[str, list[dict[str, Any]]] = {}
    for table in person_tables():
        conditions = _ownership(table, team_id=team_id, user_id=user_id, participant_id=participant_id)
        if "team_id" in table.c:
            others = [c for c in _strings(table) if c.name not in SUBJECT_COLUMNS]
            subjects = [c for c in table.columns if c.name in SUBJECT_COLUMNS]
            mentions = or_(*(c == user_id for c in others)) if others else None
            if mentions is not None:
                not_someone_elses = [c.is_(None) | (c == user_id) | (c == "") for c in subjects]
                conditions.append(and_(table.c.team_id == team_id, mentions, *not_someone_elses))
        if table.name == "participant" and participant_id is not None:
            conditions.append(table.c.id == participant_id)
        if not conditions:
            continue
        rows = session.execute(select(table).where(or_(*conditions))).mappings().all()
        if rows:
            found[table.name] = [{k: _jsonable(v) for k, v in row.items()} for row in rows]
    return found


def _scrub(value: Any, patterns: list[tuple[re.Pattern[str], str]]) -> Any:
    if isinstance(value, str):
        for pattern, replacement in patterns:
            value = pattern.sub(replacement, value)
        return value
    if isinstance(value, list):
        return [_scrub(v, patterns) for v in value]
    if isinstance(value, dict):
        return {_scrub(k, patterns): _scrub(v, patterns) for k, v in value.items()}
    return value


def erase_person(
    *,
    session: Session,
    team_id: str,
    user_id: str,
    participant_id: int | None,
    pseudonym: str,
    names: Iterable[str] = (),
) -> dict[str, int]:
    """Remove a person's data from every table (``/mentor leave``); the caller commits.

    Their own rows are deleted; rows shared with others keep existing with ``pseudonym`` in place of the
    user id; any remaining mention of the id, a name or an email in text and JSON columns of the workspace
    is replaced (the id by the pseudonym, names and emails by ``[removed]``).

    Args:
        session: Database session.
        team_id: The person's workspace.
        user_id: Their Slack user id.
        participant_id: Their participant row (deleted too), if any.
        pseudonym: What replaces the user id (``gone:...``, at most 32 characters).
        names: Display name, real name, email: strings that identify the person in free text.

    Returns:
        How many rows were deleted, pseudonymised and scrubbed (keys ``deleted``, ``pseudonymised``, ``scrubbed``).
    """
    counts = {"deleted": 0, "pseudonymised": 0, "scrubbed": 0}
    tables = person_tables()
    for table in reversed(tables):  # children first
        conditions = _ownership(table, team_id=team_id, user_id=user_id, participant_id=participant_id)
        if table.name in DERIVED_TABLES and "team_id" in table.c:
            conditions += [and_(table.c.team_id == team_id, c == user_id) for c in _strings(table)]
        if table.name == "participant" and participant_id is not None:
            conditions.append(table.c.id == participant_id)
        if conditions:
            counts["deleted"] += int(session.execute(delete(table).where(or_(*conditions))).rowcount or 0)
    for table in tables:
        if "team_id" not in table.c:
            continue
        for column in _strings(table):
            length = getattr(_base(column), "length", None)
            if length is not None and length < max(len(pseudonym), len(user_id)):
                continue  # too short to hold a user id (a status, a role...)
            result = session.execute(
                update(table).where(table.c.team_id == team_id, column == user_id).values({column.name: pseudonym})
            )
            counts["pseudonymised"] += int(result.rowcount or 0)
    patterns = [(re.compile(rf"(?<![A-Za-z0-9]){re.escape(user_id)}(?![A-Za-z0-9])"), pseudonym)]
    needles = [user_id]
    for name in {n.strip() for n in names if n and len(n.strip()) >= 3}:
        patterns.append((re.compile(rf"(?<!\w){re.escape(name)}(?!\w)", re.IGNORECASE), REMOVED))
        needles.append(name)
    for table in tables:
        if "team_id" not in table.c or table.name in ("participant", "profile"):  # other people's own names
            continue
        columns = _texts(table)
        if not columns:
            continue
        key = [c for c in table.primary_key.columns]
        like = [cast(c, Text).ilike(f"%{n}%") for c in columns for n in needles]
        rows = session.execute(select(*key, *columns).where(table.c.team_id == team_id, or_(*like))).mappings().all()
        for row in rows:
            changes = {}
            for column in columns:
                value = row[column.name]
                cleaned = _scrub(value, patterns)
                if cleaned != value:
                    changes[column.name] = (
                        cleaned[: column.type.length]
                        if isinstance(cleaned, str) and getattr(column.type, "length", None)
                        else cleaned
                    )
            if changes:
                session.execute(update(table).where(*(k == row[k.name] for k in key)).values(changes))
                counts["scrubbed"] += 1
    return counts


def stored_values(*, session: Session) -> Iterable[tuple[str, str, str]]:
    """Every value of every column of every table, as text: ``(table, column, value)`` (tests, audits)."""
    for table in SQLModel.metadata.sorted_tables:
        for row in session.execute(select(table)).mappings().all():
            for name, value in row.items():
                if value is not None:
                    yield table.name, name, str(value)


def close_pairs_of(*, session: Session, team_id: str, user_id: str, now: datetime) -> int:
    """Close the open pairs of someone who leaves and cancel those pairs' pending prompts; the caller commits.

    Returns:
        How many pairs were closed.
    """
    from storage.models import Pair, ScheduledPrompt
    from storage.models.outbox import CANCELLED, PENDING

    pairs = (
        session.execute(
            select(Pair.id).where(
                Pair.team_id == team_id,
                or_(Pair.mentee_user_id == user_id, Pair.mentor_user_id == user_id),
                Pair.status != PairStatus.CLOSED,
            )
        )
        .scalars()
        .all()
    )
    if not pairs:
        return 0
    session.execute(
        update(Pair)
        .where(Pair.id.in_(pairs))
        .values(status=PairStatus.CLOSED, closed_at=now, close_reason=CloseReason.LEFT_PROGRAM)
    )
    session.execute(
        update(ScheduledPrompt)
        .where(
            ScheduledPrompt.team_id == team_id, ScheduledPrompt.pair_id.in_(pairs), ScheduledPrompt.status == PENDING
        )
        .values(status=CANCELLED, updated_at=now, last_error="a person in the pair left the program")
    )
    return len(pairs)
