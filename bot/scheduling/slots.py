"""Meeting slots a pair can book: pure, fast, DST-correct for the actual dates.

Each person's weekly windows (:class:`bot.profiles.Window`, local time) are laid on the concrete days of the
search horizon one local day at a time with :mod:`zoneinfo`, so "Tue 14:00-17:00 in New York" is whatever UTC
that Tuesday has (summer or winter time). Days a person marked as away are left out. Both people's intervals are
intersected; a slot is a start on a half-hour mark whose whole meeting fits in the overlap.

The slots offered are spread over the horizon (7 days for a weekly pair, 10 otherwise), one per day, never in the
past or less than two hours away, and for a pair that met recently, not before half a cadence has passed (capped
so that there is always something in the next days).

A day's intervals are cached by ``(timezone, windows of that weekday, day)``: pairs share a handful of patterns,
so proposing for a whole program costs microseconds per pair (``bench/bench_slots.py``).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from bot.lifecycle.planning import DEFAULT_WINDOWS, intersect
from bot.profiles import Window

MIN_LEAD = timedelta(hours=2)
STEP_MINUTES = 30
DEFAULT_DURATION = 30
# Meeting length when the pair agreed none: a short chat, a call, a coffee in person.
FORMAT_DURATIONS: dict[str, int] = {"chat": 30, "video": 30, "in_person": 45}

Interval = tuple[datetime, datetime]
AwayRange = tuple[date, date]


@dataclass(frozen=True)
class Attendee:
    """One person of the pair, as the slot finder needs them.

    Attributes:
        tz: IANA timezone.
        windows: Weekly windows in local time (the profile's days x time windows); none means weekdays 10-16.
        away: Inclusive ``(first, last)`` local dates on which the person is not available.
    """

    tz: str
    windows: tuple[Window, ...] = ()
    away: tuple[AwayRange, ...] = ()

    def is_away(self, day: date) -> bool:
        return any(first <= day <= last for first, last in self.away)

    def weekly(self) -> tuple[Window, ...]:
        return tuple(w for w in self.windows if w.end > w.start) or DEFAULT_WINDOWS


def meeting_minutes(agreed: int | None, channel: str | None) -> int:
    """The meeting's length: what the pair agreed, else the usual length of its format."""
    if agreed and agreed > 0:
        return int(agreed)
    return FORMAT_DURATIONS.get(channel or "", DEFAULT_DURATION)


def horizon_days(cadence_days: int) -> int:
    """How far ahead slots are offered: a week for weekly pairs, ten days for the others."""
    return 7 if cadence_days <= 7 else 10


@lru_cache(maxsize=1 << 16)
def _day_intervals(tz: str, spans: tuple[tuple[int, int], ...], day: date) -> tuple[Interval, ...]:
    """One local day's windows as UTC intervals, adjacent windows merged (midday + afternoon is one stretch)."""
    zone = ZoneInfo(tz)
    midnight = datetime.combine(day, time(), tzinfo=zone)
    out: list[Interval] = []
    for start, end in sorted(spans):
        # Aware datetime + timedelta is wall-clock arithmetic; the round trip through UTC picks the day's offset.
        begin = (midnight + timedelta(minutes=start)).astimezone(UTC)
        finish = (midnight + timedelta(minutes=end)).astimezone(UTC)
        if finish <= begin:
            continue
        if out and begin <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], finish))
        else:
            out.append((begin, finish))
    return tuple(out)


@lru_cache(maxsize=4096)
def _by_weekday(windows: tuple[Window, ...]) -> tuple[tuple[tuple[int, int], ...], ...]:
    days: list[list[tuple[int, int]]] = [[] for _ in range(7)]
    for w in windows:
        days[w.day].append((w.start, w.end))
    return tuple(tuple(sorted(d)) for d in days)


def intervals(person: Attendee, start: datetime, days: int) -> list[Interval]:
    """The person's available intervals (UTC) on the local days from ``start``'s day for ``days`` days."""
    zone = ZoneInfo(person.tz)
    first = start.astimezone(zone).date()
    weekly = _by_weekday(person.weekly())
    out: list[Interval] = []
    for offset in range(-1, days + 1):
        day = first + timedelta(days=offset)
        spans = weekly[day.weekday()]
        if spans and not (person.away and person.is_away(day)):
            out.extend(_day_intervals(person.tz, spans, day))
    return out


def _round_up(moment: datetime, minutes: int = STEP_MINUTES) -> datetime:
    step = minutes * 60
    return datetime.fromtimestamp(math.ceil(moment.timestamp() / step) * step, tz=UTC)  # never before ``moment``


def earliest_start(now: datetime, *, cadence_days: int, last_met: datetime | None) -> datetime:
    """Not before two hours from now; after a recent meeting, not before half a cadence (at most 3 days out)."""
    earliest = now + MIN_LEAD
    if last_met is not None:
        paced = min(last_met + timedelta(days=cadence_days / 2), now + timedelta(days=3))
        earliest = max(earliest, paced)
    return earliest


def find_slots(
    a: Attendee,
    b: Attendee,
    *,
    now: datetime,
    duration_minutes: int = DEFAULT_DURATION,
    cadence_days: int = 14,
    last_met: datetime | None = None,
    count: int = 3,
    exclude: Collection[datetime] = (),
) -> list[datetime]:
    """Up to ``count`` meeting starts (aware UTC) that fit both people, one per day, spread over the horizon.

    Args:
        a: The first person (days are counted in their local time).
        b: The second person.
        now: The current time (aware).
        duration_minutes: The meeting's length; the whole meeting fits in both people's windows.
        cadence_days: The pair's agreed cadence (sets the horizon and, with ``last_met``, the earliest day).
        last_met: When the pair last met, if ever.
        count: How many slots.
        exclude: Starts already offered ("suggest another"): never offered again, and their days come last.

    Returns:
        Sorted starts, fewer than ``count`` (or none) when the two share too little time.
    """
    now = now.astimezone(UTC)
    earliest = earliest_start(now, cadence_days=cadence_days, last_met=last_met)
    until = now + timedelta(days=horizon_days(cadence_days))
    span = (until - earliest).days + 2
    length = timedelta(minutes=duration_minutes)
    shared = intersect(intervals(a, earliest, span), intervals(b, earliest, span))
    excluded = {e.astimezone(UTC) for e in exclude}
    zone = ZoneInfo(a.tz)
    per_day: dict[date, datetime] = {}
    for begin, end in shared:
        start = _round_up(max(begin, earliest))
        while start + length <= end and start < until:
            if start not in excluded:
                day = start.astimezone(zone).date()
                per_day.setdefault(day, start)
                break
            start += timedelta(minutes=STEP_MINUTES)
    if not per_day:
        return []
    used = {e.astimezone(zone).date() for e in excluded}
    fresh = sorted(d for d in per_day if d not in used)
    again = sorted(d for d in per_day if d in used)
    chosen = _spread(fresh, count)
    if len(chosen) < count:
        chosen += _spread(again, count - len(chosen))
    return sorted(per_day[d] for d in chosen)


def _spread(days: Sequence[date], count: int) -> list[date]:
    """``count`` of the days, evenly spread from the first to the last."""
    n = len(days)
    if n <= count:
        return list(days)
    if count == 1:
        return [days[0]]
    picks = sorted({round(k * (n - 1) / (count - 1)) for k in range(count)})
    return [days[i] for i in picks]


def slot_fits(start: datetime, a: Attendee, b: Attendee, *, duration_minutes: int, now: datetime) -> bool:
    """Whether a slot offered earlier still fits: in the future and inside both people's windows, today's profiles."""
    start = start.astimezone(UTC)
    if start <= now:
        return False
    end = start + timedelta(minutes=duration_minutes)
    for person in (a, b):
        if not any(begin <= start and end <= finish for begin, finish in intervals(person, start, 1)):
            return False
    return True
