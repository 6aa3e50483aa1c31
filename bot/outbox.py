"""Scheduling API for future prompts, and the registry of prompt kinds the dispatcher renders.

Journey code schedules a prompt as a row (``schedule_prompt``) and registers, once per kind, a renderer that
turns the row into message(s) at send time, so the text reflects the state when it is sent::

    register_prompt_kind(PromptKind.CHECKIN, render_checkin, after_send=after_checkin)
    schedule_prompt(session=s, team_id=t, key=f"checkin:{pair.id}:1", kind=PromptKind.CHECKIN, due_at=when,
                    recipient_user_id=pair.mentee_user_id, pair_id=pair.id)

``bot/dispatch.py`` claims due rows, renders and sends them, and marks them sent.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlmodel import Session

from storage import outbox as store
from storage.models.outbox import ScheduledPrompt
from storage.types import utcnow
from storage.vocab import PromptStatus

if TYPE_CHECKING:
    from bot.services import Services


@dataclass
class Outgoing:
    """One message a renderer wants sent.

    Attributes:
        channel: A channel id, or a user id (meaning that person's DM with the app).
        text: The message text (also the notification fallback when ``blocks`` are given).
        blocks: Block Kit blocks, or None.
        unfurl: Whether Slack should unfurl links and media.
    """

    channel: str
    text: str
    blocks: list[dict[str, Any]] | None = None
    unfurl: bool = False


Renderer = Callable[["Services", Session, ScheduledPrompt, datetime], "Outgoing | list[Outgoing] | None"]
AfterSend = Callable[["Services", Session, ScheduledPrompt, datetime], None]


@dataclass(frozen=True)
class PromptKind:
    """A registered kind: its renderer and an optional hook run once after the prompt was sent."""

    kind: str
    render: Renderer
    after_send: AfterSend | None = None


_registry: dict[str, PromptKind] = {}
_registry_lock = threading.Lock()


def register_prompt_kind(kind: str, render: Renderer, *, after_send: AfterSend | None = None) -> None:
    """Register (or replace) the renderer for ``kind``.

    Args:
        kind: The ``kind`` stored on scheduled rows.
        render: Called at send time with ``(services, session, prompt, now)``; returns the message(s) to send,
            or None to skip the prompt (it is marked ``skipped``). An exception retries the prompt later.
        after_send: Called once after the prompt was sent, in the transaction that marks it sent (e.g. to
            schedule the next check-in). An exception is logged and does not undo the send.
    """
    if not kind or len(kind) > 64:
        raise ValueError("kind must be 1..64 characters")
    with _registry_lock:
        _registry[kind] = PromptKind(kind=kind, render=render, after_send=after_send)


def prompt_kind(kind: str) -> PromptKind | None:
    """The registration for ``kind``, or None when no module registered it."""
    with _registry_lock:
        return _registry.get(kind)


def registered_kinds() -> list[str]:
    """Every registered kind, sorted."""
    with _registry_lock:
        return sorted(_registry)


def unregister_prompt_kind(kind: str) -> None:
    """Forget a kind (tests)."""
    with _registry_lock:
        _registry.pop(kind, None)


def schedule_prompt(
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
    reschedule: bool = False,
) -> ScheduledPrompt:
    """Schedule a prompt, idempotently on ``(team_id, key)``; the caller commits.

    A second call with the same key returns the existing row unchanged (whatever its status); with
    ``reschedule=True`` a row that is still pending gets the new ``due_at`` (and ``payload`` when given).
    Concurrent calls with one key create one row (``INSERT .. ON CONFLICT DO NOTHING``).

    Args:
        session: The caller's session (not committed here).
        team_id: Workspace id.
        key: Idempotency key, unique per team, e.g. ``pair:12:checkin:3``.
        kind: A kind registered with ``register_prompt_kind`` (it may be registered later, before it is due).
        due_at: When to send (aware; stored as UTC).
        recipient_user_id: The person it is for (used for DMs and ``upcoming_prompts(user_id=...)``).
        pair_id: The pair it belongs to (for cancel/shift/upcoming).
        channel_id: Where to post; None means the recipient's DM (renderers decide in the end).
        payload: JSON data for the renderer.
        reschedule: Move a still-pending existing row to ``due_at``.

    Returns:
        The row (new or existing).
    """
    if due_at.tzinfo is None:
        raise ValueError("due_at must be timezone-aware")
    if not key or len(key) > 200:
        raise ValueError("key must be 1..200 characters")
    now = utcnow()
    inserted = store.insert_prompt(
        session=session,
        team_id=team_id,
        key=key,
        kind=kind,
        due_at=due_at,
        recipient_user_id=recipient_user_id,
        pair_id=pair_id,
        channel_id=channel_id,
        payload=payload,
        now=now,
    )
    row = store.get_prompt_by_key(session=session, team_id=team_id, key=key)
    if row is None:  # pragma: no cover - the insert or the conflicting row guarantees one
        raise RuntimeError("scheduled prompt vanished after insert")
    if not inserted and reschedule and row.status == PromptStatus.PENDING and row.id is not None:
        store.reschedule_pending(session=session, prompt_id=row.id, due_at=due_at, payload=payload, now=now)
        row = store.get_prompt(session=session, prompt_id=row.id) or row
    return row


def cancel_prompts(
    *, session: Session, team_id: str, pair_id: int, kinds: Collection[str] | None = None, now: datetime
) -> int:
    """Cancel a pair's pending prompts (all, or only ``kinds``); the caller commits.

    Returns:
        How many rows went from pending to cancelled.
    """
    return store.cancel_pending(session=session, team_id=team_id, pair_id=pair_id, kinds=kinds, now=now)


def shift_prompts(
    *,
    session: Session,
    team_id: str,
    pair_id: int,
    delta: timedelta,
    kinds: Collection[str] | None = None,
    now: datetime | None = None,
) -> int:
    """Move a pair's pending prompts by ``delta`` (a pause pushes them later); the caller commits.

    Returns:
        How many rows moved.
    """
    return store.shift_pending(
        session=session, team_id=team_id, pair_id=pair_id, delta=delta, kinds=kinds, now=now or utcnow()
    )


def upcoming_prompts(
    *, session: Session, team_id: str, pair_id: int | None = None, user_id: str | None = None, limit: int = 50
) -> list[ScheduledPrompt]:
    """Prompts not yet sent (pending or being sent), soonest first, for a pair and/or a recipient."""
    return store.list_upcoming(session=session, team_id=team_id, pair_id=pair_id, user_id=user_id, limit=limit)
