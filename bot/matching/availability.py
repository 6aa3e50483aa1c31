"""Weekly availability overlap between two people in different timezones.

Each person's windows are in their own local time. To compare them we place both on one concrete
week: the windows of the week that contains ``week_of`` are converted to UTC instants with
:mod:`zoneinfo` (so daylight-saving time is whatever it is in *that* week: in the weeks of March
when the US has switched and Europe has not, New York is 4 hours behind London, not 5), then
reduced to minutes after the reference instant (Monday 00:00 UTC of that week) modulo one week,
because availability repeats weekly.

The exact representation is a boolean minute mask (10,080 minutes per week). The vectorised
scorer uses the same masks sampled at the coarsest resolution that keeps every window boundary
(usually 60 or 30 minutes), which gives bit-for-bit the same hours.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import numpy as np

from bot.profiles import WEEKDAYS, Profile, Window, windows_from_choices

MINUTES_PER_WEEK = 7 * 24 * 60

PatternKey = tuple[str, tuple[Window, ...]]


def week_monday(week_of: date) -> date:
    """The Monday of the ISO week that contains ``week_of``."""
    return week_of - timedelta(days=week_of.weekday())


def pattern_key(profile: Profile) -> PatternKey:
    """What availability depends on: the timezone and the local windows."""
    return profile.timezone, profile.availability


@lru_cache(maxsize=65536)
def _utc_offset(tz: str, monday: date, day: int, minute: int) -> int:
    """Minutes after Monday 00:00 UTC of the local instant ``day``/``minute`` (not reduced)."""
    # Aware datetime + timedelta is wall-clock arithmetic; the UTC offset is looked up for the result.
    local = datetime.combine(monday + timedelta(days=day), time(), tzinfo=ZoneInfo(tz)) + timedelta(minutes=minute)
    ref = datetime.combine(monday, time(), tzinfo=UTC)
    return int((local.astimezone(UTC) - ref).total_seconds() // 60)


def utc_intervals(tz: str, windows: Iterable[Window], monday: date) -> list[tuple[int, int]]:
    """The windows as ``[start, end)`` minutes after the week's Monday 00:00 UTC, modulo one week."""
    result: list[tuple[int, int]] = []
    for window in windows:
        start = _utc_offset(tz, monday, window.day, window.start)
        end = _utc_offset(tz, monday, window.day, window.end)
        if end <= start:
            continue
        start_mod = start % MINUTES_PER_WEEK
        end_mod = start_mod + (end - start)
        if end_mod <= MINUTES_PER_WEEK:
            result.append((start_mod, end_mod))
        else:
            result.append((start_mod, MINUTES_PER_WEEK))
            result.append((0, end_mod - MINUTES_PER_WEEK))
    return result


@lru_cache(maxsize=8192)
def minute_mask(key: PatternKey, monday: date) -> np.ndarray:
    """A read-only boolean mask of the week's UTC minutes in which the person is available."""
    mask = np.zeros(MINUTES_PER_WEEK, dtype=bool)
    for start, end in utc_intervals(key[0], key[1], monday):
        mask[start:end] = True
    mask.flags.writeable = False
    return mask


@lru_cache(maxsize=8192)
def _person_mask(tz: str, days: tuple[str, ...], slots: tuple[str, ...], monday: date) -> np.ndarray:
    """``minute_mask`` of a person's form choices, cached by the choices themselves (cheap to hash)."""
    return minute_mask((tz, windows_from_choices(days, slots)), monday)


def _format_minutes(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def shared_hours(a: Profile, b: Profile, week_of: date) -> tuple[float, list[Window]]:
    """Hours per week both people are available, and those windows in ``a``'s local time.

    Args:
        a: The person whose local time the returned windows use (the mentee in reasons).
        b: The other person.
        week_of: Any day of the week to evaluate (daylight-saving time of that week applies).

    Returns:
        ``(hours_per_week, windows)``; windows are sorted and may end after midnight
        (``end`` > 1440) when an overlap crosses a's local midnight.
    """
    monday = week_monday(week_of)
    mask_a = _person_mask(a.timezone, a.days, a.time_slots, monday)
    both = mask_a & _person_mask(b.timezone, b.days, b.time_slots, monday)
    total = int(both.sum())
    if total == 0:
        return 0.0, []
    return total / 60.0, _runs_in_local_time(both, a.timezone, monday)


def _runs_in_local_time(mask: np.ndarray, tz: str, monday: date) -> list[Window]:
    padded = np.concatenate(([False], mask, [False]))
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    runs = [(int(s), int(e)) for s, e in zip(edges[::2], edges[1::2], strict=True)]
    # A run touching both ends of the week is one window that wraps around.
    if len(runs) > 1 and runs[0][0] == 0 and runs[-1][1] == MINUTES_PER_WEEK:
        first = runs.pop(0)
        last = runs.pop()
        runs.append((last[0], MINUTES_PER_WEEK + first[1]))
    zone = ZoneInfo(tz)
    ref = datetime.combine(monday, time(), tzinfo=UTC)
    windows = []
    for start, end in runs:
        local = (ref + timedelta(minutes=start)).astimezone(zone)
        begin = local.hour * 60 + local.minute
        windows.append(Window(local.weekday(), begin, begin + (end - start)))
    return sorted(windows)


def describe_windows(windows: list[Window], *, limit: int = 2) -> str:
    """'Tue/Thu 15:00-17:00, Wed 09:00-10:00': windows grouped by time of day, most days first."""
    groups: dict[tuple[int, int], list[int]] = {}
    for window in windows:
        groups.setdefault((window.start, window.end), []).append(window.day)
    ordered = sorted(groups.items(), key=lambda item: (-len(item[1]), item[0]))
    parts = []
    for (start, end), days in ordered[:limit]:
        names = "/".join(WEEKDAYS[d].capitalize() for d in sorted(set(days)))
        parts.append(f"{names} {_format_minutes(start)}-{_format_minutes(end % 1440 if end > 1440 else end)}")
    if len(ordered) > limit:
        parts.append("...")
    return ", ".join(parts)


def pattern_hours_table(mentee_keys: list[PatternKey], mentor_keys: list[PatternKey], monday: date) -> np.ndarray:
    """Shared hours for every (mentee pattern, mentor pattern), float32, via one matrix product.

    Masks are sampled every ``g`` minutes where ``g`` is the gcd of every window boundary, which
    is exact: within each ``g``-minute block a mask is constant.
    """
    all_keys = list(dict.fromkeys(mentee_keys + mentor_keys))
    step = MINUTES_PER_WEEK
    for key in all_keys:
        for start, end in utc_intervals(key[0], key[1], monday):
            step = math.gcd(step, start, end)
    step = max(step, 1)

    def matrix(keys: list[PatternKey]) -> np.ndarray:
        out = np.zeros((len(keys), MINUTES_PER_WEEK // step), dtype=np.float32)
        for i, key in enumerate(keys):
            out[i] = minute_mask(key, monday)[::step]
        return out

    counts = matrix(mentee_keys) @ matrix(mentor_keys).T  # whole numbers, exact in float32 (< 2**24)
    return (counts.astype(np.float64) * step / 60.0).astype(np.float32)
