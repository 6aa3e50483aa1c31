"""The slot finder: pure unit tests and properties (inside both people's windows, DST-correct, never soon)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.profiles import TIME_WINDOWS, WEEKDAYS, windows_from_choices
from bot.scheduling.slots import MIN_LEAD, Attendee, find_slots, horizon_days, meeting_minutes, slot_fits

BERLIN = Attendee("Europe/Berlin", windows_from_choices(("tue", "thu"), ("afternoon",)))
NEW_YORK = Attendee("America/New_York", windows_from_choices(("tue", "wed", "thu"), ("morning", "afternoon")))
MONDAY = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # the US changes clocks on 8 March, Europe on 29 March


def local(moment: datetime, tz: str) -> datetime:
    return moment.astimezone(ZoneInfo(tz))


def covered(start: datetime, minutes: int, person: Attendee) -> bool:
    """Independent check: the meeting lies inside one (merged) window of the person's local weekday."""
    begin = local(start, person.tz)
    end = local(start + timedelta(minutes=minutes), person.tz)
    if end.date() != begin.date() and not (end.hour == 0 and end.minute == 0):
        return False
    first = begin.hour * 60 + begin.minute
    last = first + minutes
    spans = sorted((w.start, w.end) for w in person.weekly() if w.day == begin.weekday())
    merged: list[list[int]] = []
    for s, e in spans:
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    # the wall-clock length equals the real length unless the meeting straddles a clock change
    return any(s <= first and last <= e for s, e in merged)


def test_three_slots_in_both_local_times_across_the_american_clock_change() -> None:
    slots = find_slots(BERLIN, NEW_YORK, now=MONDAY, duration_minutes=30, cadence_days=14)
    assert [local(s, "Europe/Berlin").strftime("%a %d %H:%M") for s in slots] == [
        "Tue 03 15:00",
        "Thu 05 15:00",
        "Tue 10 14:00",
    ]
    # New York is 6 hours behind Berlin before 8 March and 5 hours after (Berlin changes on 29 March)
    assert [local(s, "America/New_York").strftime("%H:%M") for s in slots] == ["09:00", "09:00", "09:00"]


def test_never_in_the_past_nor_less_than_two_hours_away() -> None:
    tuesday_lunch = datetime(2026, 3, 3, 13, 30, tzinfo=UTC)  # 14:30 in Berlin, 08:30 in New York
    slots = find_slots(BERLIN, NEW_YORK, now=tuesday_lunch, duration_minutes=30)
    assert slots and all(s >= tuesday_lunch + MIN_LEAD for s in slots)
    assert local(slots[0], "Europe/Berlin").strftime("%a %H:%M") == "Tue 16:30"  # 15:30 UTC


def test_the_whole_meeting_fits_and_a_longer_one_moves_later_or_away() -> None:
    short = find_slots(BERLIN, NEW_YORK, now=MONDAY, duration_minutes=30)
    long = find_slots(BERLIN, NEW_YORK, now=MONDAY, duration_minutes=120)
    assert all(covered(s, 120, BERLIN) and covered(s, 120, NEW_YORK) for s in long)
    assert short and long
    too_long = find_slots(BERLIN, NEW_YORK, now=MONDAY, duration_minutes=240)
    assert too_long == []


def test_away_days_of_either_person_are_left_out() -> None:
    away = Attendee(NEW_YORK.tz, NEW_YORK.windows, away=((date(2026, 3, 3), date(2026, 3, 5)),))
    slots = find_slots(BERLIN, away, now=MONDAY)
    assert slots and all(local(s, NEW_YORK.tz).date() > date(2026, 3, 5) for s in slots)


def test_suggest_another_offers_other_times_first_on_other_days() -> None:
    first = find_slots(BERLIN, NEW_YORK, now=MONDAY)
    again = find_slots(BERLIN, NEW_YORK, now=MONDAY, exclude=first)
    assert len(again) == 3 and not set(again) & set(first)


def test_cadence_sets_the_horizon_and_the_earliest_day_after_a_meeting() -> None:
    assert horizon_days(7) == 7 and horizon_days(14) == 10 and horizon_days(28) == 10
    met_yesterday = MONDAY - timedelta(days=1)
    slots = find_slots(BERLIN, NEW_YORK, now=MONDAY, cadence_days=28, last_met=met_yesterday)
    assert slots and all(s >= MONDAY + timedelta(days=3) for s in slots)
    weekly = find_slots(BERLIN, NEW_YORK, now=MONDAY, cadence_days=7)
    assert all(s < MONDAY + timedelta(days=7) for s in weekly)


def test_format_sets_the_length_when_none_was_agreed() -> None:
    assert meeting_minutes(None, "in_person") == 45 and meeting_minutes(0, "video") == 30
    assert meeting_minutes(60, "chat") == 60


def test_a_clock_a_microsecond_past_the_hour_never_offers_a_slot_under_two_hours_away() -> None:
    saturday = Attendee("Europe/Berlin", windows_from_choices(("sat",), ("early", "morning")))
    now = datetime(2026, 4, 4, 5, 0, 0, 1, tzinfo=UTC)  # found by hypothesis
    slots = find_slots(saturday, saturday, now=now, duration_minutes=15, cadence_days=7)
    assert slots and slots[0] >= now + MIN_LEAD


def test_a_slot_stops_fitting_when_a_timezone_changes() -> None:
    (slot, *_) = find_slots(BERLIN, NEW_YORK, now=MONDAY)
    assert slot_fits(slot, BERLIN, NEW_YORK, duration_minutes=30, now=MONDAY)
    moved = Attendee("Asia/Tokyo", NEW_YORK.windows)
    assert not slot_fits(slot, BERLIN, moved, duration_minutes=30, now=MONDAY)
    assert not slot_fits(slot, BERLIN, NEW_YORK, duration_minutes=30, now=slot + timedelta(minutes=1))


ZONES = ("Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Sydney", "Asia/Kathmandu", "UTC")
people = st.builds(
    lambda tz, days, slots, away_start, away_len: Attendee(
        tz,
        windows_from_choices(tuple(days), tuple(slots)),
        ((away_start, away_start + timedelta(days=away_len)),) if away_len >= 0 else (),
    ),
    st.sampled_from(ZONES),
    st.lists(st.sampled_from(WEEKDAYS), min_size=1, max_size=7, unique=True),
    st.lists(st.sampled_from(sorted(TIME_WINDOWS)), min_size=1, max_size=5, unique=True),
    st.dates(min_value=date(2026, 1, 1), max_value=date(2026, 12, 31)),
    st.integers(min_value=-1, max_value=9),
)


@settings(max_examples=300, deadline=None)
@given(
    a=people,
    b=people,
    now=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 20), timezones=st.just(UTC)),
    minutes=st.sampled_from((15, 30, 45, 60, 90)),
    cadence=st.sampled_from((7, 14, 28)),
    met_days_ago=st.one_of(st.none(), st.integers(min_value=0, max_value=30)),
)
def test_every_slot_fits_both_people_and_is_spread(
    a: Attendee, b: Attendee, now: datetime, minutes: int, cadence: int, met_days_ago: int | None
) -> None:
    last = None if met_days_ago is None else now - timedelta(days=met_days_ago)
    slots = find_slots(a, b, now=now, duration_minutes=minutes, cadence_days=cadence, last_met=last)
    assert len(slots) <= 3 and slots == sorted(slots)
    assert len({local(s, a.tz).date() for s in slots}) == len(slots)  # one per day
    for s in slots:
        assert now + MIN_LEAD <= s < now + timedelta(days=horizon_days(cadence))
        for person in (a, b):
            assert covered(s, minutes, person), (s, person)
            assert not person.is_away(local(s, person.tz).date())
        assert slot_fits(s, a, b, duration_minutes=minutes, now=now)
    again = find_slots(a, b, now=now, duration_minutes=minutes, cadence_days=cadence, last_met=last, exclude=slots)
    assert not set(again) & set(slots)
