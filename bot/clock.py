"""Clocks: the real one, and a simulated one the demo and tests move forward without sleeping."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta


class SimulatedClock:
    """A thread-safe clock that only moves when told to. Call it to read the time."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("start must be timezone-aware")
        self._now = start.astimezone(UTC)
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, delta: timedelta) -> datetime:
        """Move forward by ``delta`` and return the new time."""
        with self._lock:
            self._now += delta
            return self._now

    def set(self, moment: datetime) -> None:
        """Jump to ``moment`` (never backwards)."""
        with self._lock:
            self._now = max(self._now, moment.astimezone(UTC))
