"""When prompts go out: pure schedule planning in each person's own timezone.

Everything here is plain data in, plain data out (no Slack, no storage). Times are aware UTC
datetimes; weekly windows are :class:`bot.profiles.Window` in the person's *local* time. Concrete
dates are converted with :mod:`zoneinfo` one day at a time, so a window of "Tue 14:00-17:00 in
New York" is 18:00-21:00 UTC in summer and 19:00-22:00 UTC in winter, whatever week it falls in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.profiles import WEEKDAYS, Window
from storage.vocab import Cadence

# Used when a person gave no weekday windows: weekdays 10:00-16:00 local.
DEFAULT_WINDOWS: tuple[Window, ...] = tuple(Window(day, 10 * 60, 16 * 60) for day in range(5))
SEARCH_DAYS = 21
CADENCE_DAYS: dict[str, int] = {Cadence.WEEKLY: 7, Cadence.BIWEEKLY: 14, Cadence.MONTHLY: 28}

Interval = tuple[datetime, datetime]


@dataclass(frozen=True)
class Person:
    """Who a prompt is for: their timezone and weekly windows (local time)."""

    tz: str
    windows: tuple[Window, ...] = ()
    away: tuple[tuple[date, date], ...] = ()  # inclusive local dates on which nothing reaches the person

    def is_away(self, day: date) -> bool:
        """Whether ``day`` (local) is one of the person's away days (``/mentor away``)."""
        return any(first <= day <= last for first, last in self.away)

    def working_windows(self) -> tuple[Window, ...]:
        """Weekday windows only; the defaults when the person chose none on a weekday."""
        weekday = tuple(w for w in self.windows if w.day < 5 and w.end > w.start)
        return weekday or DEFAULT_WINDOWS


def local_instant(day: date, minute: int, tz: str) -> datetime:
    """The UTC instant of local ``day`` at ``minute`` after midnight in ``tz`` (DST-correct)."""
    local = datetime.combine(day, time(), tzinfo=ZoneInfo(tz)) + timedelta(minutes=minute)
    # Round trip through UTC: a wall time inside a spring-forward gap lands just after it.
    return local.astimezone(UTC)


def intervals(person: Person, start: datetime, days: int = SEARCH_DAYS) -> list[Interval]:
    """The person's working windows as concrete UTC intervals from ``start``'s local day on."""
    zone = ZoneInfo(person.tz)
    first = start.astimezone(zone).date() - timedelta(days=1)
    out: list[Interval] = []
    for offset in range(days + 2):
        day = first + timedelta(days=offset)
        if person.away and person.is_away(day):
            continue
        for window in person.working_windows():
            if window.day != day.weekday():
                continue
            begin, end = local_instant(day, window.start, person.tz), local_instant(day, window.end, person.tz)
            if end > begin:
                out.append((begin, end))
    return sorted(out)


def intersect(a: Sequence[Interval], b: Sequence[Interval]) -> list[Interval]:
    """The overlap of two sorted interval lists."""
    out: list[Interval] = []
    i = j = 0
    while i < len(a) and j < len(b):
        begin, end = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if begin < end:
            out.append((begin, end))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


def _round_up(moment: datetime, minutes: int = 5) -> datetime:
    moment = moment.astimezone(UTC)
    extra = (-(moment.minute % minutes)) % minutes
    rounded = moment.replace(second=0, microsecond=0) + timedelta(minutes=extra)
    return rounded if rounded >= moment else rounded + timedelta(minutes=minutes)


def _first_slot(slots: Sequence[Interval], after: datetime, *, min_minutes: int = 15) -> datetime | None:
    for begin, end in slots:
        start = _round_up(max(begin, after))
        if end - start >= timedelta(minutes=min_minutes):
            return start
    return None


def next_delivery(
    after: datetime,
    tz: str,
    windows: Sequence[Window],
    *,
    other_tz: str | None = None,
    other_windows: Sequence[Window] | None = None,
    away: tuple[tuple[date, date], ...] = (),
) -> datetime:
    """The first moment at or after ``after`` to deliver a prompt, in UTC.

    The prompt lands on a weekday inside the recipient's working windows in their own timezone.
    For the pair's shared DM pass the other person too: the moment is then inside *both* people's
    windows when they overlap within three weeks, else inside the recipient's (the mentee's) alone.

    Args:
        after: Not earlier than this (aware).
        tz: The recipient's IANA timezone.
        windows: The recipient's weekly windows, local time (weekend windows are ignored).
        other_tz: The second person's timezone, for a message both see.
        other_windows: The second person's windows.
        away: The recipient's away dates (local), skipped.

    Returns:
        An aware UTC datetime on a 5-minute mark.
    """
    after = after.astimezone(UTC)
    mine = intervals(Person(tz, tuple(windows), away), after)
    if other_tz is not None:
        theirs = intervals(Person(other_tz, tuple(other_windows or ())), after)
        both = _first_slot(intersect(mine, theirs), after)
        if both is not None:
            return both
    found = _first_slot(mine, after, min_minutes=1)
    if found is not None:
        return found
    return _first_slot(intervals(Person(tz, (), away), after), after, min_minutes=1) or _round_up(after)


def suggest_times(
    after: datetime,
    a: Person,
    b: Person,
    *,
    count: int = 3,
) -> list[datetime]:
    """Up to ``count`` meeting suggestions inside both people's windows, one per day, from ``after``.

    Each suggestion is the start of a shared slot of at least 30 minutes; when the two share no
    hours, the suggestions fall in ``a``'s windows (the mentee's).
    """
    after = after.astimezone(UTC)
    shared = [s for s in intersect(intervals(a, after), intervals(b, after)) if s[1] - s[0] >= timedelta(minutes=30)]
    pool = shared or intervals(a, after)
    out: list[datetime] = []
    seen_days: set[date] = set()
    zone = ZoneInfo(a.tz)
    for begin, end in pool:
        start = _round_up(max(begin, after), 15)
        if end - start < timedelta(minutes=30):
            continue
        day = start.astimezone(zone).date()
        if day in seen_days:
            continue
        seen_days.add(day)
        out.append(start)
        if len(out) == count:
            break
    return out


def in_windows(moment: datetime, person: Person) -> bool:
    """True when ``moment`` falls on a weekday inside one of the person's working windows (local time)."""
    local = moment.astimezone(ZoneInfo(person.tz))
    minute = local.hour * 60 + local.minute
    return any(w.day == local.weekday() and w.start <= minute < w.end for w in person.working_windows())


def shared_windows_local(a: Person, b: Person, week_of: datetime) -> list[tuple[datetime, datetime]]:
    """The concrete shared intervals of the week starting at ``week_of`` (UTC pairs), for display."""
    return intersect(intervals(a, week_of, 7), intervals(b, week_of, 7))


def describe_local(moment: datetime, tz: str) -> str:
    """'Tue 15:00' in the given timezone."""
    local = moment.astimezone(ZoneInfo(tz))
    return f"{WEEKDAYS[local.weekday()].capitalize()} {local:%H:%M}"


def describe_range_local(begin: datetime, end: datetime, tz: str) -> str:
    """'Tue 15:00-17:00' in the given timezone."""
    return f"{describe_local(begin, tz)}-{end.astimezone(ZoneInfo(tz)):%H:%M}"


def cadence_days(cadence: str | None, default: int) -> int:
    """Days between check-ins for an agreed cadence (weekly, biweekly, monthly), else ``default``."""
    return CADENCE_DAYS.get(cadence or "", default)


def survey_offsets(duration_days: int, first: int, every: int) -> list[int]:
    """Days after the start on which pulse surveys go out: ``first``, then every ``every`` days, before the end.

    >>> survey_offsets(182, 30, 60)
    [30, 90, 150]
    """
    out = []
    day = first
    while day < duration_days:
        out.append(day)
        day += every
    return out


def stage_of(elapsed: timedelta, total: timedelta) -> str:
    """'early' for the first third of the program, 'middle', then 'late'."""
    if total.total_seconds() <= 0:
        return "late"
    share = elapsed / total
    return "early" if share < 1 / 3 else "middle" if share < 2 / 3 else "late"
