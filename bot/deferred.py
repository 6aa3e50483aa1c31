"""Slack calls that wait until what a person submitted is stored and acknowledged.

A modal submission is stored first, then acknowledged, then announced. Services called while storing
(``bot.lifecycle.journey``, ``bot.coordination``) send their messages through :func:`later`: inside
:func:`hold` the message waits in a queue, which the handler runs after ``ack()`` and only when the write
committed; anywhere else (the dispatcher, a button) it is sent at once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

log = logging.getLogger(__name__)

Work = Callable[[], object]
_queue: ContextVar[list[Work] | None] = ContextVar("mentorbot_deferred_slack_calls", default=None)


@contextmanager
def hold() -> Iterator[list[Work]]:
    """Queue every :func:`later` call made inside the block (in this thread) instead of running it."""
    queue: list[Work] = []
    token = _queue.set(queue)
    try:
        yield queue
    finally:
        _queue.reset(token)


def later(work: Work) -> None:
    """Run ``work`` now, or after the acknowledgement when a submission is being stored (:func:`hold`)."""
    queue = _queue.get()
    if queue is None:
        work()
    else:
        queue.append(work)


def run(queue: list[Work]) -> None:
    """Run queued work in order; one failure is logged and does not stop the rest."""
    for work in queue:
        try:
            work()
        except Exception as exc:  # noqa: BLE001 - a failed announcement never undoes a stored submission
            log.warning("deferred slack call failed error=%s", type(exc).__name__)
    queue.clear()
