"""The calendar invite of a booking: an RFC 5545 ``.ics`` (built with ``icalendar``) and "add to" links.

One :class:`Event` is the source of the file and of both links, so they always say the same thing. The UID is
the booking's own (stable across moves); SEQUENCE is the booking's revision, bumped by each move and by the
cancellation, so calendar apps replace the earlier version instead of adding a second meeting.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlencode

from icalendar import Calendar, vCalAddress, vText
from icalendar import Event as VEvent

PRODID = "-//mentorbot//scheduling//EN"
MAX_LINK_TEXT = 600  # keep link buttons well inside Slack's 3,000-character url limit


@dataclass(frozen=True)
class Person:
    """An organizer or attendee: an email when Slack gave one (``users:read.email``), and a display name."""

    name: str
    email: str = ""


@dataclass(frozen=True)
class Event:
    """What the invite says."""

    uid: str
    sequence: int
    start: datetime
    end: datetime
    summary: str
    description: str = ""
    location: str = ""
    organizer: Person | None = None
    attendees: tuple[Person, ...] = ()
    cancelled: bool = False
    stamp: datetime | None = None


def booking_uid(*, team_id: str, pair_id: int, proposal_id: int) -> str:
    """The invite's UID, fixed when the booking is made (its moves keep it)."""
    return f"mentorbot-{team_id.lower()}-{pair_id}-{proposal_id}@mentorbot"


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def _address(person: Person, role: str | None = None) -> vCalAddress:
    address = vCalAddress(f"mailto:{person.email}")
    address.params["cn"] = vText(person.name)
    if role:
        address.params["role"] = vText(role)
        address.params["partstat"] = vText("NEEDS-ACTION")
        address.params["rsvp"] = vText("TRUE")
    return address


def ics_bytes(event: Event) -> bytes:
    """The ``.ics`` file: METHOD:REQUEST for a booking or a move, METHOD:CANCEL for a cancellation."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "CANCEL" if event.cancelled else "REQUEST")
    vevent = VEvent()
    vevent.add("uid", event.uid)
    vevent.add("sequence", event.sequence)
    vevent.add("dtstamp", _utc(event.stamp or datetime.now(UTC)))
    vevent.add("dtstart", _utc(event.start))
    vevent.add("dtend", _utc(event.end))
    vevent.add("summary", event.summary)
    if event.description:
        vevent.add("description", event.description)
    if event.location:
        vevent.add("location", event.location)
    vevent.add("status", "CANCELLED" if event.cancelled else "CONFIRMED")
    if event.organizer is not None and event.organizer.email:
        vevent.add("organizer", _address(event.organizer))
    for person in event.attendees:
        if person.email:
            vevent.add("attendee", _address(person, "REQ-PARTICIPANT"), encode=0)
    calendar.add_component(vevent)
    return calendar.to_ical()


def _stamp(moment: datetime) -> str:
    return f"{_utc(moment):%Y%m%dT%H%M%SZ}"


def google_link(event: Event) -> str:
    """ "Add to Google Calendar": the event template URL."""
    query = {
        "action": "TEMPLATE",
        "text": event.summary,
        "dates": f"{_stamp(event.start)}/{_stamp(event.end)}",
        "details": event.description[:MAX_LINK_TEXT],
        "location": event.location,
    }
    return "https://calendar.google.com/calendar/render?" + urlencode(query)


def outlook_link(event: Event) -> str:
    """ "Add to Outlook": Outlook on the web's compose deeplink."""
    query = {
        "path": "/calendar/action/compose",
        "rru": "addevent",
        "subject": event.summary,
        "startdt": f"{_utc(event.start):%Y-%m-%dT%H:%M:%SZ}",
        "enddt": f"{_utc(event.end):%Y-%m-%dT%H:%M:%SZ}",
        "body": event.description[:MAX_LINK_TEXT],
        "location": event.location,
    }
    return "https://outlook.office.com/calendar/0/deeplink/compose?" + urlencode(query)


def ics_filename(booking_id: int, sequence: int) -> str:
    """The uploaded file's name: one per revision, so a retried upload can see it is already there."""
    return f"mentoring-meeting-{booking_id}-{sequence}.ics"
