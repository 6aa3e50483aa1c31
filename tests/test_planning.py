"""Pure schedule planning: prompts on weekdays inside working hours, in each person's own timezone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.lifecycle.planning import (
    Person,
    in_windows,
    next_delivery,
    stage_of,
    suggest_times,
    survey_offsets,
)
from bot.profiles import windows_from_choices

BERLIN = Person("Europe/Berlin", windows_from_choices(("tue", "thu"), ("afternoon",)))  # 14-17 local
NEW_YORK = Person("America/New_York", windows_from_choices(("tue", "wed", "thu"), ("morning", "afternoon")))
TOKYO = Person("Asia/Tokyo", windows_from_choices(("mon", "wed"), ("morning",)))


def test_single_person_lands_in_their_local_afternoon_on_a_weekday() -> None:
    after = datetime(2026, 6, 6, 12, 0, tzinfo=UTC)  # a Saturday
    due = next_delivery(after, BERLIN.tz, BERLIN.windows)
    local = due.astimezone(ZoneInfo("Europe/Berlin"))
    assert local.weekday() == 1 and local.hour == 14 and local.minute == 0  # Tue 14:00 Berlin
    assert due.tzinfo is not None and due >= after


def test_pair_message_lands_inside_both_working_hours() -> None:
    after = datetime(2026, 6, 1, 0, 0, tzinfo=UTC)  # Monday
    due = next_delivery(after, BERLIN.tz, BERLIN.windows, other_tz=NEW_YORK.tz, other_windows=NEW_YORK.windows)
    assert in_windows(due, BERLIN) and in_windows(due, NEW_YORK)
    # Berlin 14:00-17:00 (12-15 UTC) meets New York 09:00-17:00 (13-21 UTC): 13:00 UTC Tue
    assert due == datetime(2026, 6, 2, 13, 0, tzinfo=UTC)


def test_no_overlap_falls_back_to_the_recipient() -> None:
    after = datetime(2026, 6, 1, 0, 0, tzinfo=UTC)
    due = next_delivery(after, TOKYO.tz, TOKYO.windows, other_tz=NEW_YORK.tz, other_windows=NEW_YORK.windows)
    assert in_windows(due, TOKYO) and not in_windows(due, NEW_YORK)


def test_dst_change_keeps_local_wall_time() -> None:
    # US clocks go forward on 8 March 2026; Europe only on 29 March.
    before = next_delivery(datetime(2026, 3, 2, tzinfo=UTC), NEW_YORK.tz, NEW_YORK.windows)
    after = next_delivery(datetime(2026, 3, 9, tzinfo=UTC), NEW_YORK.tz, NEW_YORK.windows)
    zone = ZoneInfo("America/New_York")
    assert before.astimezone(zone).hour == after.astimezone(zone).hour == 9
    assert (before.hour, after.hour) == (14, 13)  # UTC moved, local did not
    # In the gap weeks the shared hours shift in UTC too, and the pair slot stays in both windows.
    for week in range(6):
        start = datetime(2026, 3, 1, tzinfo=UTC) + timedelta(weeks=week)
        due = next_delivery(start, BERLIN.tz, BERLIN.windows, other_tz=NEW_YORK.tz, other_windows=NEW_YORK.windows)
        assert in_windows(due, BERLIN) and in_windows(due, NEW_YORK), start


@settings(max_examples=150, deadline=None)
@given(
    after=st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC)),
    tz=st.sampled_from(["Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Sydney", "UTC"]),
    days=st.lists(st.sampled_from(["mon", "tue", "wed", "thu", "fri", "sat", "sun"]), min_size=0, max_size=7),
    slots=st.lists(st.sampled_from(["early", "morning", "midday", "afternoon", "evening"]), min_size=1, max_size=3),
)
def test_delivery_is_always_a_weekday_in_working_hours_and_not_before(after, tz, days, slots) -> None:
    person = Person(tz, windows_from_choices(tuple(days), tuple(slots)))
    due = next_delivery(after, person.tz, person.windows)
    assert due >= after
    assert due - after < timedelta(days=8)
    assert in_windows(due, person)
    assert due.astimezone(ZoneInfo(tz)).weekday() < 5


def test_suggestions_are_in_the_overlap_on_distinct_days() -> None:
    after = datetime(2026, 6, 1, 0, 0, tzinfo=UTC)
    times = suggest_times(after, BERLIN, NEW_YORK)
    assert len(times) == 3
    assert all(in_windows(t, BERLIN) and in_windows(t, NEW_YORK) for t in times)
    assert len({t.astimezone(ZoneInfo(BERLIN.tz)).date() for t in times}) == 3


def test_survey_offsets_and_stages() -> None:
    assert survey_offsets(182, 30, 60) == [30, 90, 150]
    assert survey_offsets(30, 30, 60) == []
    total = timedelta(days=180)
    assert [stage_of(timedelta(days=d), total) for d in (0, 59, 60, 119, 120, 200)] == [
        "early",
        "early",
        "middle",
        "middle",
        "late",
        "late",
    ]
