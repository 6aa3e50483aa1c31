"""Slot finder benchmark: three meeting slots for each of 10,000 pairs.

    python bench/bench_slots.py                # 10,000 pairs
    python bench/bench_slots.py --pairs 1000

People get one of 16 timezones (both hemispheres, half-hour offsets), two to four weekdays and one to three
named time windows, as the signup form offers; a tenth are away for a week somewhere in the horizon, a third met
within the last two weeks. The clock is a Monday of March 2026, between the American and the European change to
summer time. Prints one SUMMARY line: pairs, total time against the 2 s target, time per pair, how many got three
slots, one or two, or none; and, as the reference measured in the same run, the journey's older suggester
(``bot.lifecycle.planning.suggest_times``: three starts in the pair's overlap, no length, away days or spread) on
the same pairs, with the ratio.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

ZONES = (
    "Europe/Berlin",
    "Europe/London",
    "America/New_York",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "Asia/Kolkata",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Europe/Kyiv",
    "America/Chicago",
    "Africa/Lagos",
    "Asia/Singapore",
    "Europe/Madrid",
    "America/Toronto",
    "Asia/Kathmandu",
    "UTC",
)


def main() -> None:
    from bot.lifecycle.planning import Person, suggest_times
    from bot.profiles import TIME_WINDOWS, WEEKDAYS, windows_from_choices
    from bot.scheduling.slots import Attendee, find_slots, meeting_minutes

    parser = argparse.ArgumentParser()
    parser.add_argument("--pairs", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=12)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    now = datetime(2026, 3, 16, 7, 30, tzinfo=UTC)

    def person() -> Attendee:
        days = tuple(sorted(rng.sample(WEEKDAYS[:5], rng.randint(2, 4))))
        slots = tuple(rng.sample(sorted(TIME_WINDOWS), rng.randint(1, 3)))
        away = ()
        if rng.random() < 0.1:
            first = now.date() + timedelta(days=rng.randint(0, 8))
            away = ((first, first + timedelta(days=6)),)
        return Attendee(rng.choice(ZONES), windows_from_choices(days, slots), away)

    jobs = []
    for _ in range(args.pairs):
        last = now - timedelta(days=rng.randint(1, 14)) if rng.random() < 1 / 3 else None
        cadence = rng.choice((7, 14, 28))
        jobs.append(
            (person(), person(), last, cadence, meeting_minutes(None, rng.choice(("video", "chat", "in_person"))))
        )

    started = time.perf_counter()
    found = [
        find_slots(a, b, now=now, duration_minutes=minutes, cadence_days=cadence, last_met=last)
        for a, b, last, cadence, minutes in jobs
    ]
    elapsed = time.perf_counter() - started
    started = time.perf_counter()
    for a, b, *_ in jobs:
        suggest_times(now, Person(a.tz, a.windows), Person(b.tz, b.windows))
    reference = time.perf_counter() - started
    three = sum(1 for f in found if len(f) == 3)
    some = sum(1 for f in found if 0 < len(f) < 3)
    none = sum(1 for f in found if not f)
    print(  # noqa: T201 - a benchmark prints its one summary line
        f"SUMMARY slots: {args.pairs} pairs in {elapsed:.3f} s (target < 2 s: {'ok' if elapsed < 2 else 'TOO SLOW'}; "
        f"{elapsed / args.pairs * 1e6:.1f} us/pair); 3 slots {three}, 1-2 slots {some}, none {none} (no shared "
        f"hours); reference planning.suggest_times {reference:.3f} s (ratio {elapsed / reference:.2f}); "
        f"load average {os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()
