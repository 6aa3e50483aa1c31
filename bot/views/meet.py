"""Block Kit for scheduling: proposed times, the pick waiting for confirmation, the booking with calendar links,
reminders, "Did you meet?" and away dates. Pure builders: plain data in, Slack dicts out.

Times are written for each reader: one line per slot gives each person's own clock ("Tue 3 Mar, 15:00 for
@Ana (Berlin) / 09:00 for @Ivan (New York)"); a person's private reminder is in their own time only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot import ids
from bot.views.blocks import actions, button, context, section
from bot.views.words import counted

FORMAT_WORDS = {"video": "Video call", "in_person": "In person", "chat": "Chat in Slack"}


@dataclass(frozen=True)
class Reader:
    """One person of the pair and their timezone."""

    user_id: str
    tz: str


def city(tz: str) -> str:
    """'America/New_York' -> 'New York'."""
    return tz.rsplit("/", 1)[-1].replace("_", " ")


def _day(moment: datetime) -> str:
    return f"{moment:%a} {moment.day} {moment:%b}"


def slot_line(start: datetime, readers: Sequence[Reader], *, end: datetime | None = None) -> str:
    """'Tue 3 Mar, 15:00 for <@A> (Berlin) / 09:00 for <@B> (New York)': each in their own clock and day."""
    locals_ = [start.astimezone(ZoneInfo(r.tz)) for r in readers]
    if (
        readers
        and all(loc.utcoffset() == locals_[0].utcoffset() for loc in locals_)
        and len({city(r.tz) for r in readers}) == 1
    ):
        clock = f"{locals_[0]:%H:%M}" + (f"-{end.astimezone(ZoneInfo(readers[0].tz)):%H:%M}" if end else "")
        return f"{_day(locals_[0])}, {clock} for you both ({city(readers[0].tz)})"
    parts = []
    first_day: date | None = None
    for reader in readers:
        local = start.astimezone(ZoneInfo(reader.tz))
        clock = f"{local:%H:%M}" + (f"-{end.astimezone(ZoneInfo(reader.tz)):%H:%M}" if end else "")
        if first_day is None:
            first_day = local.date()
            parts.append(f"{_day(local)}, {clock} for <@{reader.user_id}> ({city(reader.tz)})")
        elif local.date() != first_day:
            parts.append(f"{_day(local)}, {clock} for <@{reader.user_id}> ({city(reader.tz)})")
        else:
            parts.append(f"{clock} for <@{reader.user_id}> ({city(reader.tz)})")
    return " / ".join(parts)


def _value(pair_id: int, proposal_id: int, index: int | None = None) -> str:
    return f"{pair_id}|{proposal_id}" + (f":{index}" if index is not None else "")


def proposal_message(
    *,
    pair_id: int,
    proposal_id: int,
    lines: Sequence[str],
    duration_minutes: int,
    channel: str,
    intro: str,
) -> dict[str, Any]:
    """Three slots with a button each, and "Suggest other times"."""
    what = f"{FORMAT_WORDS.get(channel, 'Meeting')}, {counted(duration_minutes, 'minute')}"
    if not lines:
        text = (
            f"{intro} I couldn't find a time inside both your working hours in the next days. "
            "Agree on one here, or update your days and hours with `/mentor profile`."
        )
        return {"text": text, "blocks": [section(text)]}
    text = f"{intro} Here are times you both work ({what}):\n" + "\n".join(f"• {line}" for line in lines)
    blocks: list[dict[str, Any]] = [section(f"{intro} Here are times you both work ({what}):")]
    for index, line in enumerate(lines):
        blocks.append(
            section(f"• {line}", accessory=button("Pick", ids.MEET_SLOT, value=_value(pair_id, proposal_id, index)))
        )
    blocks.append(actions(button("Suggest other times", ids.MEET_OTHER, value=_value(pair_id, proposal_id))))
    blocks.append(context("Either of you picks a time; the other confirms. Then I send you both a calendar invite."))
    return {"text": text, "blocks": blocks}


def picked_message(*, pair_id: int, proposal_id: int, index: int, line: str, picker: str, other: str) -> dict[str, Any]:
    """One person picked: the other confirms or asks for other times."""
    text = f"<@{picker}> picked *{line}*. <@{other}>, does it suit you?"
    return {
        "text": text,
        "blocks": [
            section(text),
            actions(
                button("Confirm", ids.MEET_CONFIRM, value=_value(pair_id, proposal_id, index), style="primary"),
                button("Suggest other times", ids.MEET_OTHER, value=_value(pair_id, proposal_id)),
            ),
        ],
    }


def settled_message(text: str) -> dict[str, Any]:
    """A proposal that is over (booked, or replaced by newer times): no buttons left to click."""
    return {"text": text, "blocks": [section(text)]}


def booked_message(
    *,
    pair_id: int,
    booking_id: int,
    line: str,
    duration_minutes: int,
    channel: str,
    google_url: str,
    outlook_url: str,
    moved: bool,
) -> dict[str, Any]:
    """The booking (or its move) with "Add to" links, Reschedule and Cancel."""
    verb = "Moved to" if moved else "Booked"
    what = f"{FORMAT_WORDS.get(channel, 'Meeting')}, {counted(duration_minutes, 'minute')}"
    text = f":calendar: {verb}: *{line}* ({what}). The calendar invite follows."
    value = f"{pair_id}|{booking_id}"
    links = actions(
        {**button("Add to Google Calendar", ids.MEET_GOOGLE), "url": google_url},
        {**button("Add to Outlook", ids.MEET_OUTLOOK), "url": outlook_url},
        button("Reschedule", ids.MEET_RESCHEDULE, value=value),
        button("Cancel", ids.MEET_CANCEL, value=value),
    )
    return {"text": text, "blocks": [section(text), links]}


def cancelled_message(*, line: str, by: str) -> dict[str, Any]:
    """A booked meeting cancelled by one of the two (``by``), or because the mentorship ended (``by`` empty)."""
    who = (
        f"<@{by}> cancelled the meeting of *{line}*."
        if by
        else f"The meeting of *{line}* is cancelled: this mentorship has ended."
    )
    text = f":x: {who} The updated invite removes it from your calendars."
    return {"text": text, "blocks": [section(text)]}


def reminder_message(
    *, partner_id: str, local_start: datetime, duration_minutes: int, same_day: bool
) -> dict[str, Any]:
    """A private reminder, in the reader's own time."""
    when = "today" if same_day else f"on {_day(local_start)}"
    text = (
        f":alarm_clock: Reminder: you meet <@{partner_id}> {when} at {local_start:%H:%M} "
        f"(your time), for {counted(duration_minutes, 'minute')}."
    )
    return {"text": text, "blocks": [section(text)]}


def followup_message(*, pair_id: int, booking_id: int, line: str) -> dict[str, Any]:
    """'Did you meet?' after a booked slot."""
    text = f":wave: Did you meet ({line})?"
    value = f"{pair_id}|{booking_id}"
    return {
        "text": text,
        "blocks": [
            section(text),
            actions(
                button("Yes, log it", ids.MEET_DID_MEET, value=value, style="primary"),
                button("No, rescheduled", ids.MEET_DID_RESCHEDULE, value=value),
                button("No, skipped", ids.MEET_DID_SKIP, value=value),
            ),
        ],
    }


def away_list_message(periods: Sequence[tuple[int, date, date]]) -> dict[str, Any]:
    """`/mentor away` alone: the person's away dates, each with a Clear button."""
    if not periods:
        text = "You have no away dates. Add some with `/mentor away 2027-03-01 2027-03-14`."
        return {"text": text, "blocks": [section(text)]}
    text = "Your away dates (no proposed times or prompts reach you on these days; your pairs are not paused):"
    blocks: list[dict[str, Any]] = [section(text)]
    for period_id, first, last in periods[:20]:
        span = f"{first:%a %d %b %Y}" if first == last else f"{first:%a %d %b %Y} to {last:%a %d %b %Y}"
        blocks.append(section(f"• {span}", accessory=button("Clear", ids.AWAY_CLEAR, value=str(period_id))))
    if len(periods) > 1:
        blocks.append(actions(button("Clear all", ids.AWAY_CLEAR, value="all")))
    return {"text": text, "blocks": blocks}
