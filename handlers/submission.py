"""Modal submissions: validate and store what the person typed, THEN acknowledge, then the slow Slack work.

Every ``@app.view`` listener goes through :func:`store_then_ack`:

1. One database transaction (``storage.db.bounded_transaction``) runs the listener's ``write`` (which may
   read, validate and raise :class:`Invalid`), claims the submission (a double click or a Slack retry of the
   same view is acknowledged and rolled back) and commits. Waiting for a lock is bounded, so the answer
   always reaches Slack inside its 3-second window.
2. Only then ``ack()``. When the write failed (the database restarting, a lock, a constraint) nothing of it
   is kept and the acknowledgement is an inline error: the modal stays open with the person's text, and
   pressing Submit again retries.
3. Slack calls that services made while storing (``bot.deferred.later``) run after the acknowledgement,
   through :meth:`Stored.announce`, followed by the listener's own (users.info, DMs, App Home).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from slack_bolt import Ack
from sqlmodel import Session

from bot import deferred, ids
from bot.services import Services
from bot.views.blocks import section
from handlers.payload import team_id as _team_id
from storage import events
from storage.db import bounded_transaction

log = logging.getLogger(__name__)
T = TypeVar("T")

# Writes take milliseconds; a lock held longer than this means the database is in trouble, and the person
# hears so while Slack still waits for our answer (3 s).
STORE_SECONDS = 1.5
NOT_SAVED = (
    "Sorry, I couldn't save this just now, so nothing was changed. Your answers are still here: "
    "press Submit again in a moment."
)


class Invalid(Exception):
    """Raised by a ``write`` to refuse the submission: nothing is stored and the modal stays open.

    Either inline errors ({block_id: message}) or another answer for the ack (e.g. the modal shown again with a
    question, ``{"response_action": "update", "view": ...}``).
    """

    def __init__(self, errors: dict[str, str] | None = None, *, response: dict[str, Any] | None = None) -> None:
        super().__init__(", ".join(errors or {}))
        self.response = response if response is not None else {"response_action": "errors", "errors": errors or {}}


class _Duplicate(Exception):
    """The same view was already stored (a double click or Slack's retry)."""


@dataclass
class Stored(Generic[T]):
    """What ``write`` returned, and the Slack calls it queued for after the acknowledgement."""

    value: T
    pending: list[deferred.Work] = field(default_factory=list)

    def announce(self) -> None:
        """Send what the services queued while storing (call after the ack, before the listener's own)."""
        deferred.run(self.pending)


def submission_key(body: dict[str, Any]) -> str | None:
    """The double-submit key of a view (same id and hash); None when the payload has neither."""
    view = body.get("view") or {}
    key = f"view:{view.get('id', '')}:{view.get('hash', '')}"
    return None if key == "view::" else key[:64]


def first_input_block(view: dict[str, Any]) -> str | None:
    """The block_id of the view's first input block (where an inline error can be shown)."""
    for block in view.get("blocks") or []:
        if isinstance(block, dict) and block.get("type") == "input" and block.get("block_id"):
            return str(block["block_id"])
    return None


def failure_response(view: dict[str, Any], message: str = NOT_SAVED) -> dict[str, Any]:
    """The ack that keeps a modal open after a failed write.

    An inline error on the first input block; a modal without inputs (a confirmation) is shown again with the
    message on top instead.
    """
    block_id = first_input_block(view)
    if block_id is not None:
        return {"response_action": "errors", "errors": {block_id: message}}
    again = {key: view[key] for key in ("type", "callback_id", "title", "submit", "close") if view.get(key)}
    again["private_metadata"] = str(view.get("private_metadata") or "")
    blocks = [b for b in view.get("blocks") or [] if isinstance(b, dict) and b.get("block_id") != ids.STORE_FAILED]
    again["blocks"] = [section(f":warning: {message}", block_id=ids.STORE_FAILED), *blocks][:100]
    return {"response_action": "update", "view": again}


def store_then_ack(
    services: Services,
    ack: Ack,
    body: dict[str, Any],
    view: dict[str, Any],
    write: Callable[[Session], T],
    *,
    ack_with: Callable[[T], dict[str, Any]] | None = None,
    dedupe: bool = True,
) -> Stored[T] | None:
    """Store a submission in one transaction, then acknowledge it.

    Args:
        services: The app's services (engine, clock).
        ack: Bolt's ack, called exactly once here.
        body: The view_submission payload.
        view: The submitted view.
        write: Reads, validates (raise :class:`Invalid`) and writes with the given session. Its own commits are
            savepoints; everything commits together when it returns.
        ack_with: The acknowledgement's arguments from what ``write`` returned (e.g. ``response_action=update``).
        dedupe: Claim the view so a repeat is ignored; off where ``write`` is idempotent itself and answers a
            repeat its own way.

    Returns:
        The stored value and the queued Slack calls; None when the submission was refused, failed (both acked
        with the reason, the modal stays open) or was a duplicate (acked, nothing done).
    """
    started = time.monotonic()
    key = submission_key(body) if dedupe else None
    try:
        with deferred.hold() as pending, bounded_transaction(services.engine, seconds=STORE_SECONDS) as session:
            value = write(session)
            # Claimed after the write, in its transaction: a refused submission claims nothing, and a repeat of
            # one already stored is rolled back whole (on PostgreSQL it waits here for the first to commit).
            if key is not None and not events.claim_event(
                session=session, team_id=_team_id(body), event_id=key, event_type="view"
            ):
                raise _Duplicate
    except Invalid as exc:
        ack(**exc.response)
        return None
    except _Duplicate:
        log.info("duplicate submission ignored callback=%s", view.get("callback_id"))
        ack()
        return None
    except Exception as exc:  # noqa: BLE001 - whatever failed, nothing was stored and the person must hear it
        log.warning(
            "submission not stored callback=%s error=%s after_ms=%d",
            view.get("callback_id"),
            type(exc).__name__,
            (time.monotonic() - started) * 1000,
        )
        ack(**failure_response(view))
        return None
    ack(**(ack_with(value) if ack_with is not None else {}))
    return Stored(value, list(pending))
