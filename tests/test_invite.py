"""The calendar invite as data: the .ics parsed back with icalendar, and the "Add to" links from the same event."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlparse

from icalendar import Calendar

from bot.scheduling.invite import Event, Person, booking_uid, google_link, ics_bytes, ics_filename, outlook_link

START = datetime(2026, 3, 31, 13, 0, tzinfo=UTC)
ANA = Person("Ana", "ana@example.com")
IVAN = Person("Ivan", "")  # Slack gave no email (no users:read.email, or hidden)


def event(**changes: object) -> Event:
    base = {
        "uid": booking_uid(team_id="T0ABC", pair_id=7, proposal_id=3),
        "sequence": 0,
        "start": START,
        "end": START + timedelta(minutes=45),
        "summary": "Mentoring: Ana & Ivan",
        "description": "Line one, with a comma; and a semicolon\nand a second line",
        "location": "In person",
        "organizer": ANA,
        "attendees": (ANA, IVAN),
        "stamp": datetime(2026, 3, 27, 9, 0, tzinfo=UTC),
    }
    return Event(**{**base, **changes})  # type: ignore[arg-type]


def parsed(e: Event) -> tuple[Calendar, object]:
    calendar = Calendar.from_ical(ics_bytes(e))
    (vevent,) = calendar.walk("VEVENT")
    return calendar, vevent


def test_request_round_trips_with_utc_times_and_only_known_emails() -> None:
    calendar, vevent = parsed(event())
    assert str(calendar["METHOD"]) == "REQUEST" and str(calendar["VERSION"]) == "2.0"
    assert str(vevent["UID"]) == "mentorbot-t0abc-7-3@mentorbot" and int(vevent["SEQUENCE"]) == 0
    assert vevent.decoded("DTSTART") == START and vevent.decoded("DTSTART").utcoffset() == timedelta(0)
    assert vevent.decoded("DTEND") == START + timedelta(minutes=45)
    assert str(vevent["DESCRIPTION"]) == "Line one, with a comma; and a semicolon\nand a second line"
    assert str(vevent["STATUS"]) == "CONFIRMED" and str(vevent["ORGANIZER"]) == "mailto:ana@example.com"
    attendees = vevent.get("ATTENDEE")
    attendees = attendees if isinstance(attendees, list) else [attendees]
    assert [str(a) for a in attendees] == ["mailto:ana@example.com"]  # Ivan has no address: left out
    assert attendees[0].params["CN"] == "Ana" and attendees[0].params["RSVP"] == "TRUE"


def test_a_move_keeps_the_uid_and_bumps_the_sequence_and_a_cancel_says_so() -> None:
    _, moved = parsed(event(sequence=1, start=START + timedelta(days=2), end=START + timedelta(days=2, minutes=45)))
    assert str(moved["UID"]) == "mentorbot-t0abc-7-3@mentorbot" and int(moved["SEQUENCE"]) == 1
    calendar, cancelled = parsed(event(sequence=2, cancelled=True))
    assert str(calendar["METHOD"]) == "CANCEL" and str(cancelled["STATUS"]) == "CANCELLED"
    assert int(cancelled["SEQUENCE"]) == 2
    _, alone = parsed(event(organizer=IVAN, attendees=(IVAN,)))
    assert "ORGANIZER" not in alone and "ATTENDEE" not in alone


def test_links_say_what_the_file_says() -> None:
    e = event()
    google = parse_qs(urlparse(google_link(e)).query)
    assert google["dates"] == ["20260331T130000Z/20260331T134500Z"] and google["text"] == [e.summary]
    outlook = parse_qs(urlparse(outlook_link(e)).query)
    assert outlook["startdt"] == ["2026-03-31T13:00:00Z"] and outlook["enddt"] == ["2026-03-31T13:45:00Z"]
    assert outlook["subject"] == [e.summary] and outlook["location"] == ["In person"]
    assert ics_filename(12, 3) == "mentoring-meeting-12-3.ics"
