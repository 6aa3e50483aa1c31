"""A person's data across the whole schema, and its structural erasure.

Every table on ``SQLModel.metadata`` is walked, so new tables are covered; what a column *means* decides what
happens to it, never what its text looks like. Within the person's workspace (``team_id``):

- **Theirs** (deleted on leave, exported by ``my-data``): rows whose *owner* column holds their user id
  (``user_id``, ``respondent_user_id``, ``recipient_user_id``, and the owners named in :data:`OWNERS`), rows
  linked by ``participant_id``, and their own participant row.
- **Shared with others** (kept, for the other people and for stats): rows where another column holds exactly
  their user id (``mentee_user_id``, ``mentor_user_id``, ``actor``, ``logged_by``...). That value becomes a
  pseudonym. Free text they wrote in a shared row (:data:`AUTHORED`: a meeting's notes, a feedback question)
  is emptied.
- **Other people's free text**: only Slack mention tokens of their id (``<@U123>``, ``<@U123|name>``) are
  replaced. Names are never searched for as words: "I will lead" stays whole when a "Will" leaves.
- **Identifiers that embed the id** (:data:`KEY_COLUMNS`, e.g. an outbox idempotency key): the id, as a whole
  token, becomes the pseudonym.
- **JSON**: values equal to their id become the pseudonym; mention tokens in string values are replaced;
  object keys that *are* their id become the pseudonym (a name stored under that key goes too). No other key
  is ever touched.
- **Enumerated columns** (:data:`ENUMERATED`: statuses, kinds, roles...) are never touched.

Slack's install tables (``slack_*``) and ``anonymous_departure`` are left alone: the first are the workspace's
credentials, the second is what remains of people who left.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, String, Table, Text, TypeDecorator, and_, cast, delete, or_, select, update
from sqlmodel import Session, SQLModel

import storage.models  # noqa: F401 - registers every table on SQLModel.metadata
from storage.vocab import CloseReason, IntroStatus, MatchRequestStatus, PairStatus

SUBJECT_COLUMNS = frozenset({"user_id", "respondent_user_id", "recipient_user_id"})
# Tables whose owner is named by another column than the subject columns above.
OWNERS: Mapping[str, tuple[str, ...]] = {
    "match_request": ("mentee_user_id",),  # a mentee's request to a mentor is the mentee's
}
LINK_COLUMN = "participant_id"
SKIPPED_TABLES = frozenset({"anonymous_departure"})
SKIPPED_PREFIXES = ("slack_",)
# rows only derived for someone else (recomputed anyway): removed when they name the person at all
DERIVED_TABLES = frozenset({"people_suggestion", "people_suggestion_sent"})
# Free text a person wrote in a row shared with others: emptied when they leave (the row itself stays).
AUTHORED: Mapping[str, Mapping[str, tuple[str, ...]]] = {
    "meeting": {"logged_by": ("topics", "notes")},
    "feedback_request": {"mentee_user_id": ("link", "question"), "mentor_user_id": ("reply",)},
    "introduction": {"requester_id": ("reason",)},
    "resource": {"shared_by": ("title",)},
}
# Identifiers built from ids (``survey:12:U123:pulse:1``): a whole-token id in them becomes the pseudonym.
KEY_COLUMNS = frozenset({"idempotency_key", "pending_key", "key", "target", "lease_owner"})
# Stored enumerated values and other columns that never hold a person: never touched by erasure.
ENUMERATED = frozenset(
    {
        "status",
        "role",
        "kind",
        "source",
        "how",
        "action",
        "cadence",
        "channel",
        "closure_choice",
        "paused_from_status",
        "respondent_role",
        "survey_key",
        "close_reason",
        "event_type",
        "event_id",
        "url_hash",
        "seniority",
        "communication_style",
        "personality",
        "meeting_format",
        "department",
        "industry",
        "timezone",
        "match_date",
        "person_key",
        "other_key",
    }
)
MENTION_REPLACEMENT = "[someone who left]"


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
    """String columns that may name a person (not the key, the workspace, or an enumerated value)."""
    return [
        c
        for c in table.columns
        if isinstance(_base(c), String)
        and not c.primary_key
        and c.name != "team_id"
        and c.name not in ENUMERATED
        and not isinstance(_base(c), JSON)
    ]


def _jsons(table: Table) -> list[Column[Any]]:
    return [c for c in table.columns if isinstance(_base(c), JSON)]


def _owner_columns(table: Table) -> list[Column[Any]]:
    names = set(SUBJECT_COLUMNS) | set(OWNERS.get(table.name, ()))
    return [c for c in table.columns if c.name in names]


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _ownership(table: Table, *, team_id: str, user_id: str, participant_id: int | None) -> list[Any]:
    conditions: list[Any] = []
    if "team_id" in table.c:
        team = table.c.team_id == team_id
        for column in _owner_columns(table):
            conditions.append(and_(team, column == user_id))
    if participant_id is not None and LINK_COLUMN in table.c:
        conditions.append(table.c[LINK_COLUMN] == participant_id)
    if table.name == "participant" and participant_id is not None:
        conditions.append(table.c.id == participant_id)
    return conditions


def personal_rows(
    *, session: Session, team_id: str, user_id: str, participant_id: int | None
) -> dict[str, list[dict[str, Any]]]:
    """Every row about a person, by table (``my-data``).

    Rows whose owner is someone else (another person's private answer, reflection or confidential
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
            owners = _owner_columns(table)
            others = [c for c in _strings(table) if c not in owners]
            mentions = or_(*(c == user_id for c in others)) if others else None
            if mentions is not None:
                not_someone_elses = [c.is_(None) | (c == user_id) | (c == "") for c in owners]
                conditions.append(and_(table.c.team_id == team_id, mentions, *not_someone_elses))
        if not conditions:
            continue
        rows = session.execute(select(table).where(or_(*conditions))).mappings().all()
        if rows:
            found[table.name] = [{k: _jsonable(v) for k, v in row.items()} for row in rows]
    return found


def has_personal_rows(*, session: Session, team_id: str, user_id: str) -> bool:
    """Whether anything at all is stored about a person (participant or not): what ``/mentor leave`` erases."""
    from storage.models import Participant

    participant = session.execute(
        select(Participant.id).where(Participant.team_id == team_id, Participant.user_id == user_id)
    ).first()
    if participant is not None:
        return True
    return bool(personal_rows(session=session, team_id=team_id, user_id=user_id, participant_id=None))


class _Eraser:
    """Rewrites one person's id in values: exact ids, mention tokens, whole-token ids in keys, JSON."""

    def __init__(self, user_id: str, pseudonym: str, names: Iterable[str]) -> None:
        self.user_id = user_id
        self.pseudonym = pseudonym
        self.names = {n for n in names if n}
        self.mention = re.compile(rf"<@{re.escape(user_id)}(?:\|[^>]*)?>")
        self.token = re.compile(rf"(?<![A-Za-z0-9]){re.escape(user_id)}(?![A-Za-z0-9])")

    def text(self, value: str) -> str:
        """Other people's free text: only mention tokens."""
        return self.mention.sub(MENTION_REPLACEMENT, value)

    def key(self, value: str) -> str:
        return self.token.sub(self.pseudonym, value)

    def json(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.pseudonym if value == self.user_id else self.mention.sub(MENTION_REPLACEMENT, value)
        if isinstance(value, list):
            return [self.json(v) for v in value]
        if isinstance(value, dict):
            out: dict[Any, Any] = {}
            for k, v in value.items():
                if k == self.user_id:
                    # an entry keyed by their id is about them: a name stored there goes with the id
                    out[self.pseudonym] = self.pseudonym if isinstance(v, str) and v in self.names else self.json(v)
                else:
                    out[k] = self.json(v)
            return out
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

    See the module docstring for what is deleted, emptied, pseudonymised and left alone.

    Args:
        session: Database session.
        team_id: The person's workspace.
        user_id: Their Slack user id.
        participant_id: Their participant row (deleted too), if any.
        pseudonym: What replaces the user id (``gone:...``, at most 32 characters).
        names: Their display and real names: only removed where stored under their id in a JSON object
            (a round preview's ``names``); never searched for as words.

    Returns:
        How many rows were deleted, emptied, pseudonymised and scrubbed (keys ``deleted``, ``emptied``,
        ``pseudonymised``, ``scrubbed``).
    """
    counts = {"deleted": 0, "emptied": 0, "pseudonymised": 0, "scrubbed": 0}
    eraser = _Eraser(user_id, pseudonym, names)
    tables = person_tables()
    for table in reversed(tables):  # children first
        conditions = _ownership(table, team_id=team_id, user_id=user_id, participant_id=participant_id)
        if table.name in DERIVED_TABLES and "team_id" in table.c:
            conditions += [and_(table.c.team_id == team_id, c == user_id) for c in _strings(table)]
        if conditions:
            counts["deleted"] += int(session.execute(delete(table).where(or_(*conditions))).rowcount or 0)
    for table in tables:
        if "team_id" not in table.c:
            continue
        for author, columns in AUTHORED.get(table.name, {}).items():
            blank = {name: "" for name in columns if name in table.c}
            result = session.execute(
                update(table).where(table.c.team_id == team_id, table.c[author] == user_id).values(blank)
            )
            counts["emptied"] += int(result.rowcount or 0)
        for column in _strings(table):
            if column.name in KEY_COLUMNS:
                continue
            length = getattr(_base(column), "length", None)
            if length is not None and length < len(pseudonym):
                continue  # too short to hold the pseudonym, so it never held a user id either
            result = session.execute(
                update(table).where(table.c.team_id == team_id, column == user_id).values({column.name: pseudonym})
            )
            counts["pseudonymised"] += int(result.rowcount or 0)
    for table in tables:
        if "team_id" not in table.c:
            continue
        texts = [c for c in _strings(table) if c.name not in KEY_COLUMNS]
        keys = [c for c in _strings(table) if c.name in KEY_COLUMNS]
        jsons = _jsons(table)
        if not (texts or keys or jsons):
            continue
        like = [c.contains(f"<@{user_id}") for c in texts]
        like += [c.contains(user_id) for c in keys]
        like += [cast(c, Text).contains(user_id) for c in jsons]
        primary = list(table.primary_key.columns)
        columns = [*texts, *keys, *jsons]
        rows = session.execute(select(*primary, *columns).where(table.c.team_id == team_id, or_(*like))).mappings()
        for row in rows.all():
            changes: dict[str, Any] = {}
            for column in columns:
                value = row[column.name]
                if value is None:
                    continue
                if column in jsons:
                    cleaned = eraser.json(value)
                elif column in keys:
                    cleaned = eraser.key(value)
                else:
                    cleaned = eraser.text(value)
                if cleaned != value:
                    length = getattr(_base(column), "length", None)
                    changes[column.name] = cleaned[:length] if isinstance(cleaned, str) and length else cleaned
            if changes:
                session.execute(update(table).where(*(k == row[k.name] for k in primary)).values(changes))
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
        .where(Pair.id.in_(pairs))  # type: ignore[union-attr]
        .values(status=PairStatus.CLOSED, closed_at=now, close_reason=CloseReason.LEFT_PROGRAM)
    )
    session.execute(
        update(ScheduledPrompt)
        .where(
            ScheduledPrompt.team_id == team_id,
            ScheduledPrompt.pair_id.in_(pairs),  # type: ignore[union-attr]
            ScheduledPrompt.status == PENDING,
        )
        .values(status=CANCELLED, updated_at=now, last_error="a person in the pair left the program")
    )
    return len(pairs)


def withdraw_requests_of(*, session: Session, team_id: str, user_id: str) -> dict[str, list[Any]]:
    """Withdraw the open introductions and mentee-choice requests from or to someone who leaves; no commit.

    Returns:
        ``{"introductions": [Introduction, ...], "match_requests": [MatchRequest, ...]}``: the rows withdrawn,
        as they were (the caller tells the people still waiting on them).
    """
    from storage.models import Introduction, MatchRequest

    intros = (
        session.execute(
            select(Introduction).where(
                Introduction.team_id == team_id,
                Introduction.status == IntroStatus.PENDING,
                or_(Introduction.requester_id == user_id, Introduction.target_id == user_id),
            )
        )
        .scalars()
        .all()
    )
    requests = (
        session.execute(
            select(MatchRequest).where(
                MatchRequest.team_id == team_id,
                MatchRequest.status.in_((MatchRequestStatus.OFFERED, MatchRequestStatus.REQUESTED)),  # type: ignore[attr-defined]
                or_(MatchRequest.mentee_user_id == user_id, MatchRequest.mentor_user_id == user_id),
            )
        )
        .scalars()
        .all()
    )
    found = {"introductions": [_detached(i) for i in intros], "match_requests": [_detached(r) for r in requests]}
    # a pending introduction that would have included them (the requester's partner) goes on without them
    session.execute(
        update(Introduction)
        .where(
            Introduction.team_id == team_id,
            Introduction.status == IntroStatus.PENDING,
            Introduction.partner_id == user_id,
        )
        .values(partner_id="")
    )
    if intros:
        session.execute(
            update(Introduction)
            .where(Introduction.id.in_([i.id for i in intros]))  # type: ignore[union-attr]
            .values(status=IntroStatus.WITHDRAWN, pending_key=None)
        )
    if requests:
        session.execute(
            update(MatchRequest)
            .where(MatchRequest.id.in_([r.id for r in requests]))  # type: ignore[union-attr]
            .values(status=MatchRequestStatus.WITHDRAWN)
        )
    return found


def _detached(row: Any) -> Any:
    """A plain copy of a row, readable after the session's rows change."""
    return type(row).model_validate(row.model_dump())


def purge_workspace(*, session: Session, team_id: str, keep_prompt_id: int | None = None) -> int:
    """Delete every row of a workspace from every table (its retention window after an uninstall ran out).

    Slack's install tables are emptied by the installation store at uninstall. ``keep_prompt_id`` is the outbox
    row doing the purge (the dispatcher still marks it done). No commit.

    Returns:
        How many rows were deleted.
    """
    deleted = 0
    for table in reversed(SQLModel.metadata.sorted_tables):  # children first
        if "team_id" not in table.c or table.name.startswith(SKIPPED_PREFIXES):
            continue
        condition = table.c.team_id == team_id
        if table.name == "scheduled_prompt" and keep_prompt_id is not None:
            condition = and_(condition, table.c.id != keep_prompt_id)
        deleted += int(session.execute(delete(table).where(condition)).rowcount or 0)
    return deleted
