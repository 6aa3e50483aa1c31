"""Scheduling through the real app over signed HTTP requests: proposed times, two-click booking, the confirmation
race, reschedule and cancel with calendar invites (parsed back with ``icalendar``), reminders across a clock
change, "Did you meet?", and ``/mentor away``.

Alice (mentee, Berlin, Tue/Thu afternoons) and Bob (mentor, New York, Tue-Thu mornings and afternoons) are paired
on Monday 2 March 2026 (New York changes clocks on 8 March, Berlin on 29 March), as in ``test_journey_flow``.
"""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlparse
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from sqlmodel import select

from bot import ids
from bot.lifecycle.planning import Person
from bot.sandbox import driver as slack
from bot.scheduling.booking import reminder_time
from bot.views.meet import city
from storage import scheduling as schedule_store
from storage.models import Meeting, MeetingBooking, MeetingProposal, ScheduledPrompt
from storage.vocab import BookingStatus, MeetOutcome, MeetPromptKind, PairStatus, PromptKind, PromptStatus
from tests.conftest import TEAM_ID, RunningApp
from tests.helpers import ALICE, BOB
from tests.test_journey_flow import World, _world, eventually, last_with, open_from, submit

MENTEE, MENTOR = ALICE.user_id, BOB.user_id
BERLIN, NEW_YORK = ZoneInfo(ALICE.timezone), ZoneInfo(BOB.timezone)


@pytest.fixture
def world(app: RunningApp) -> World:
    return _world(app)


@pytest.fixture
def world_any_db(app_any_db: RunningApp) -> World:
    """The same pair on SQLite and on PostgreSQL (racing clicks, the booking's constraints)."""
    return _world(app_any_db)


def proposals(w: World) -> list[dict[str, Any]]:
    return [m for m in w.dm() if ids.MEET_SLOT in json.dumps(m.get("blocks") or [])]


def last_ts(w: World) -> float:
    return max((float(m["ts"]) for m in w.dm()), default=0.0)


def proposals_since(w: World, ts: float) -> list[dict[str, Any]]:
    """Proposals posted after ``ts`` (older ones lose their buttons once clicked, so counting them misleads)."""
    return [m for m in proposals(w) if float(m["ts"]) > ts]


def slot_values(message: dict[str, Any]) -> list[str]:
    return [
        b["accessory"]["value"]
        for b in message["blocks"]
        if (b.get("accessory") or {}).get("action_id") == ids.MEET_SLOT
    ]


def click(w: World, user_id: str, action_id: str, message: dict[str, Any], value: str | None = None) -> None:
    response = w.app.driver.block_action(user_id, action_id, message=message, value=value)
    assert response.status == 200


def latest_proposal_row(w: World) -> MeetingProposal:
    with w.app.sessions() as session:
        row = schedule_store.latest_proposal(session=session, pair_id=w.pair_id)
        assert row is not None
        return row


def bookings(w: World) -> list[MeetingBooking]:
    with w.app.sessions() as session:
        return list(session.exec(select(MeetingBooking).order_by(MeetingBooking.id)).all())


def invites(w: World) -> list[Calendar]:
    return [Calendar.from_ical(f.content) for f in w.app.sandbox.uploaded_files if f.filename.endswith(".ics")]


def event_of(calendar: Calendar) -> Any:
    (event,) = calendar.walk("VEVENT")
    return event


def fresh_proposal(w: World, user_id: str = MENTEE) -> dict[str, Any]:
    """``/mentor meet`` typed in the pair's conversation, and the proposal it posted."""
    since = last_ts(w)
    answer = w.app.driver.slash_command(user_id, "meet", channel_id=w.channel)
    assert answer.status == 200 and "three times" in answer.json()["text"]
    return eventually(lambda: proposals_since(w, since))[-1]


def book(w: World, picker: str, confirmer: str, index: int = 0) -> MeetingBooking:
    proposal = fresh_proposal(w, picker)
    count = len(bookings(w))
    click(w, picker, ids.MEET_SLOT, proposal, slot_values(proposal)[index])
    picked = eventually(lambda: [m for m in w.dm() if m.get("ts") == proposal["ts"] and ids.MEET_CONFIRM in str(m)])
    click(w, confirmer, ids.MEET_CONFIRM, picked[-1])
    return eventually(lambda: bookings(w)[count:] if len(bookings(w)) > count else None)[-1]


# ---------------------------------------------------------------------- proposal and booking


def test_kickoff_proposes_three_times_in_each_persons_clock_and_two_clicks_book_with_an_invite(world: World) -> None:
    w = world
    (proposal,) = proposals(w)  # right after the introduction
    lines = [line for line in proposal["text"].splitlines() if line.startswith("•")]
    assert lines == [
        f"• Tue 3 Mar, 15:00 for <@{MENTEE}> (Berlin) / 09:00 for <@{MENTOR}> (New York)",
        f"• Thu 5 Mar, 15:00 for <@{MENTEE}> (Berlin) / 09:00 for <@{MENTOR}> (New York)",
        # New York moved to summer time on 8 March: the same Berlin time is now 10:00 there
        f"• Tue 10 Mar, 14:00 for <@{MENTEE}> (Berlin) / 09:00 for <@{MENTOR}> (New York)",
    ]
    values = slot_values(proposal)
    assert len(values) == 3 and ids.MEET_OTHER in json.dumps(proposal["blocks"])

    # Alice picks the second time: the same message now asks Bob to confirm
    click(w, MENTEE, ids.MEET_SLOT, proposal, values[1])
    picked = eventually(lambda: [m for m in w.dm() if m["ts"] == proposal["ts"] and ids.MEET_CONFIRM in str(m)])[-1]
    assert f"<@{MENTOR}>, does it suit you?" in picked["text"] and "Thu 5 Mar, 15:00" in picked["text"]
    # Alice cannot confirm her own pick
    click(w, MENTEE, ids.MEET_CONFIRM, picked)
    eventually(lambda: [m for m in w.app.sandbox.ephemerals_for(MENTEE) if "waiting for" in m["text"]])
    assert bookings(w) == []

    click(w, MENTOR, ids.MEET_CONFIRM, picked)
    (booking,) = eventually(lambda: bookings(w))
    start = datetime(2026, 3, 5, 14, 0, tzinfo=UTC)
    assert (booking.starts_at, booking.ends_at, booking.sequence) == (start, start + timedelta(minutes=30), 0)
    assert (booking.picked_by, booking.confirmed_by) == (MENTEE, MENTOR)

    # the invite message with "Add to" links built from the same event, then the .ics (files v2)
    message = eventually(lambda: [m for m in w.dm() if ids.MEET_RESCHEDULE in json.dumps(m.get("blocks") or [])])[-1]
    assert "Booked" in message["text"] and f"15:00-15:30 for <@{MENTEE}> (Berlin)" in message["text"]
    buttons = {e["action_id"]: e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]}
    google = parse_qs(urlparse(buttons[ids.MEET_GOOGLE]["url"]).query)
    assert google["dates"] == ["20260305T140000Z/20260305T143000Z"]
    outlook = parse_qs(urlparse(buttons[ids.MEET_OUTLOOK]["url"]).query)
    assert outlook["startdt"] == ["2026-03-05T14:00:00Z"] and outlook["enddt"] == ["2026-03-05T14:30:00Z"]
    (calendar,) = eventually(lambda: invites(w))
    event = event_of(calendar)
    assert str(calendar["METHOD"]) == "REQUEST"
    assert str(event["UID"]) == booking.uid and int(event["SEQUENCE"]) == 0
    assert event.decoded("DTSTART") == start and event.decoded("DTEND") == start + timedelta(minutes=30)
    assert event.decoded("DTSTART").tzinfo is not None and event.decoded("DTSTART").utcoffset() == timedelta(0)
    attendees = sorted(str(a) for a in event.get("ATTENDEE"))
    assert attendees == sorted(f"mailto:{u.lower()}@example.com" for u in (MENTEE, MENTOR))
    assert str(event["ORGANIZER"]) == f"mailto:{MENTEE.lower()}@example.com"  # the one who picked
    (upload,) = w.app.sandbox.uploaded_files
    assert upload.channel_id == w.channel

    # App Home shows the meeting in each person's own time; the next check-in comes after it
    home = eventually(lambda: "Next meeting" in json.dumps(w.app.sandbox.home_view(MENTOR) or {}))
    assert home and "Thu 5 Mar, 09:00-09:30 (your time)" in json.dumps(w.app.sandbox.home_view(MENTOR))
    (checkin,) = w.pending(PromptKind.CHECKIN)
    assert checkin.due_at > booking.ends_at
    # a second confirmation (double click) changes nothing
    click(w, MENTOR, ids.MEET_CONFIRM, picked)
    eventually(lambda: [m for m in w.app.sandbox.ephemerals_for(MENTOR) if "no longer open" in m["text"]])
    w.dispatcher.run_until_idle(w.clock.now)
    assert len(bookings(w)) == 1 and len(w.app.sandbox.uploaded_files) == 1


def test_suggest_another_offers_three_new_times(world: World) -> None:
    w = world
    (first,) = proposals(w)
    since = last_ts(w)
    click(w, MENTOR, ids.MEET_OTHER, first)
    second = eventually(lambda: proposals_since(w, since))[-1]
    old = {line for line in first["text"].splitlines() if line.startswith("•")}
    new = [line for line in second["text"].splitlines() if line.startswith("•")]
    assert len(new) == 3 and not old & set(new)
    # the old message's buttons are gone; clicking a stale copy is refused
    assert ids.MEET_SLOT not in json.dumps([m for m in w.dm() if m["ts"] == first["ts"]][0]["blocks"])
    click(w, MENTEE, ids.MEET_SLOT, first, slot_values(first)[0])
    eventually(lambda: [m for m in w.app.sandbox.ephemerals_for(MENTEE) if "no longer open" in m["text"]])


def test_two_people_choosing_different_times_at_once_make_one_booking_and_the_other_is_told(
    world_any_db: World,
) -> None:
    w = world_any_db
    proposal = fresh_proposal(w)
    values = slot_values(proposal)
    barrier = threading.Barrier(2)

    def pick(user_id: str, value: str) -> None:
        barrier.wait()
        click(w, user_id, ids.MEET_SLOT, proposal, value)

    threads = [
        threading.Thread(target=pick, args=(MENTEE, values[0])),
        threading.Thread(target=pick, args=(MENTOR, values[2])),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # one pick stands: either the two clicks overlapped (the later one lost and was told so), or the later one
    # changed the pick (the message then asks the other to confirm it)
    told = lambda: [  # noqa: E731
        m for u in (MENTEE, MENTOR) for m in w.app.sandbox.ephemerals_for(u) if "same moment" in m["text"]
    ]
    eventually(lambda: told() or latest_proposal_row(w).version == 2)
    row = latest_proposal_row(w)
    assert row.status == "picked" and row.picked_index in (0, 2)
    loser = MENTOR if row.picked_by == MENTEE else MENTEE
    if told():
        (note,) = told()
        assert note["user"] == loser and f"<@{row.picked_by}>" in note["text"]
    picked = eventually(lambda: [m for m in w.dm() if m["ts"] == proposal["ts"] and ids.MEET_CONFIRM in str(m)])[-1]
    assert (
        f"<@{loser}>, does it suit you?"
        in eventually(lambda: [m for m in w.dm() if m["ts"] == proposal["ts"] and f"<@{loser}>, does" in m["text"]])[
            -1
        ]["text"]
    )
    # now three confirmations at the same instant (the other person twice, the picker once): one booking
    value = f"{w.pair_id}|{row.id}:{row.picked_index}"
    barrier = threading.Barrier(3)

    def confirm(user_id: str) -> None:
        barrier.wait()
        click(w, user_id, ids.MEET_CONFIRM, picked, value)

    threads = [threading.Thread(target=confirm, args=(u,)) for u in (loser, loser, row.picked_by)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    (booking,) = eventually(lambda: bookings(w))
    assert booking.confirmed_by == loser and booking.picked_by == row.picked_by
    eventually(lambda: len(invites(w)) == 1)
    time.sleep(0.3)
    w.dispatcher.run_until_idle(w.clock.now)
    assert len(invites(w)) == 1 and len(bookings(w)) == 1
    assert len([m for m in w.dm() if ids.MEET_RESCHEDULE in json.dumps(m.get("blocks") or [])]) == 1


def test_a_time_that_stopped_fitting_is_refused_with_fresh_times(world: World) -> None:
    w = world
    (proposal,) = proposals(w)
    # Bob moves to Tokyo (his profile, through the app): the Berlin afternoon is now his night
    from dataclasses import replace

    from tests.helpers import sign_up

    sign_up(w.app, replace(BOB, timezone="Asia/Tokyo"))
    click(w, MENTEE, ids.MEET_SLOT, proposal, slot_values(proposal)[0])
    eventually(lambda: [m for m in w.app.sandbox.ephemerals_for(MENTEE) if "no longer fits" in m["text"]])
    assert bookings(w) == []
    fresh = eventually(lambda: [m for m in w.dm() if "no longer fits one of you" in m["text"]])[-1]
    assert "(Tokyo)" in fresh["text"] or "couldn't find a time" in fresh["text"]


# ---------------------------------------------------------------------- reschedule and cancel


def test_reschedule_sends_the_same_invite_updated_and_cancel_sends_a_cancel(world_any_db: World) -> None:
    w = world_any_db
    first = book(w, MENTEE, MENTOR, index=0)
    message = eventually(lambda: [m for m in w.dm() if ids.MEET_RESCHEDULE in json.dumps(m.get("blocks") or [])])[-1]
    since = last_ts(w)
    click(w, MENTOR, ids.MEET_RESCHEDULE, message)
    offer = eventually(lambda: proposals_since(w, since))[-1]
    assert "move your meeting" in offer["text"]
    click(w, MENTOR, ids.MEET_SLOT, offer, slot_values(offer)[1])
    picked = eventually(lambda: [m for m in w.dm() if m["ts"] == offer["ts"] and ids.MEET_CONFIRM in str(m)])[-1]
    click(w, MENTEE, ids.MEET_CONFIRM, picked)
    moved = eventually(lambda: [b for b in bookings(w) if b.sequence == 1])[0]
    assert moved.id == first.id and moved.uid == first.uid and moved.starts_at != first.starts_at
    assert len(bookings(w)) == 1
    calendars = eventually(lambda: invites(w) if len(invites(w)) == 2 else None)
    updated = event_of(calendars[1])
    assert str(updated["UID"]) == first.uid and int(updated["SEQUENCE"]) == 1
    assert updated.decoded("DTSTART") == moved.starts_at and str(calendars[1]["METHOD"]) == "REQUEST"
    assert any("Moved to" in m["text"] for m in w.dm())
    # reminders follow the new time only
    reminders = w.pending(MeetPromptKind.REMINDER)
    assert {p.payload["sequence"] for p in reminders} == {1} and len(reminders) == 2

    latest = [m for m in w.dm() if ids.MEET_CANCEL in json.dumps(m.get("blocks") or [])][-1]
    click(w, MENTEE, ids.MEET_CANCEL, latest)
    calendars = eventually(lambda: invites(w) if len(invites(w)) == 3 else None)
    cancelled = event_of(calendars[2])
    assert str(calendars[2]["METHOD"]) == "CANCEL" and str(cancelled["STATUS"]) == "CANCELLED"
    assert str(cancelled["UID"]) == first.uid and int(cancelled["SEQUENCE"]) == 2
    assert eventually(lambda: [m for m in w.dm() if "cancelled the meeting" in m["text"]])
    assert bookings(w)[0].status == BookingStatus.CANCELLED
    assert w.pending(MeetPromptKind.REMINDER) == [] and w.pending(MeetPromptKind.FOLLOWUP) == []


# ---------------------------------------------------------------------- reminders


def test_reminder_rule_an_hour_before_in_working_hours_else_the_evening_before() -> None:
    alice, bob = Person(ALICE.timezone, ALICE.availability), Person(BOB.timezone, BOB.availability)
    start = datetime(2026, 3, 31, 13, 0, tzinfo=UTC)  # Tue 15:00 Berlin (summer time since Sunday), 09:00 New York
    booked = datetime(2026, 3, 27, 9, 0, tzinfo=UTC)  # Friday, Berlin still on winter time
    assert reminder_time(start, alice, booked) == datetime(2026, 3, 31, 12, 0, tzinfo=UTC)  # 14:00 Berlin
    # 08:00 in New York is before Bob's hours: Monday evening, 16:00 New York (his last working hour)
    assert reminder_time(start, bob, booked) == datetime(2026, 3, 30, 20, 0, tzinfo=UTC)
    assert reminder_time(start, bob, start) is None
    monday = datetime(2026, 3, 30, 13, 0, tzinfo=UTC)  # Monday 09:00 in New York: reminded on Friday, not Sunday
    assert reminder_time(monday, bob, booked) == datetime(2026, 3, 27, 20, 0, tzinfo=UTC)
    late = datetime(2026, 3, 31, 12, 30, tzinfo=UTC)
    assert reminder_time(start, alice, late) == late  # booked at the last minute: reminded at once


def test_reminders_land_in_each_persons_hours_across_the_european_clock_change(world: World) -> None:
    w = world
    w.advance(25)  # Friday 27 March: Berlin changes clocks on Sunday 29 March
    assert w.clock.now.date() == date(2026, 3, 27)
    booking = book(w, MENTOR, MENTEE, index=0)
    assert booking.starts_at.astimezone(BERLIN).strftime("%a %d %H:%M") == "Tue 31 15:00"
    assert booking.starts_at.astimezone(NEW_YORK).strftime("%H:%M") == "09:00"
    due = {p.recipient_user_id: p.due_at for p in w.pending(MeetPromptKind.REMINDER)}
    assert due[MENTEE].astimezone(BERLIN).strftime("%a %H:%M") == "Tue 14:00"  # an hour before, in her hours
    assert due[MENTOR].astimezone(NEW_YORK).strftime("%a %H:%M") == "Mon 16:00"  # the evening before
    w.run_until(booking.starts_at)
    to_alice = [m for m in w.app.sandbox.messages_to(MENTEE) if "Reminder" in m["text"]]
    to_bob = [m for m in w.app.sandbox.messages_to(MENTOR) if "Reminder" in m["text"]]
    assert len(to_alice) == len(to_bob) == 1
    assert "today at 15:00 (your time)" in to_alice[0]["text"]
    assert "on Tue 31 Mar at 09:00 (your time)" in to_bob[0]["text"]


# ---------------------------------------------------------------------- did you meet?


def test_did_you_meet_yes_opens_the_log_prefilled_and_answers_are_counted(world: World) -> None:
    w = world
    booking = book(w, MENTEE, MENTOR, index=0)
    w.run_until(booking.ends_at + timedelta(hours=2))
    asked = eventually(lambda: [m for m in w.dm() if ids.MEET_DID_MEET in json.dumps(m.get("blocks") or [])])[-1]
    assert "Did you meet" in asked["text"]
    view = open_from(w, MENTOR, ids.MEET_DID_MEET, asked)
    assert view["callback_id"] == ids.MEETING_VIEW
    blocks = {b.get("block_id"): b for b in view["blocks"]}
    met_on = booking.starts_at.astimezone(NEW_YORK).date()
    assert blocks[ids.MEETING_DATE]["element"]["initial_date"] == met_on.isoformat()
    assert blocks[ids.MEETING_DURATION]["element"]["initial_option"]["value"] == str(booking.duration_minutes)
    # the partner's later "No, skipped" does not overwrite the first answer
    click(w, MENTEE, ids.MEET_DID_SKIP, asked)
    eventually(lambda: [m for m in w.app.sandbox.ephemerals_for(MENTEE) if "already answered" in m["text"]])
    with w.app.sessions() as session:
        assert schedule_store.outcome_counts(session=session, team_id=TEAM_ID) == {MeetOutcome.MET: 1}
    states = {
        ids.MEETING_DATE: slack.date_value(met_on.isoformat()),
        ids.MEETING_DURATION: slack.select_value(str(booking.duration_minutes)),
    }
    assert submit(w, MENTOR, view, states) is None
    with w.app.sessions() as session:
        meeting = eventually(lambda: session.exec(select(Meeting)).first())
    assert meeting.duration_minutes == booking.duration_minutes

    # a second booking missed: "No, rescheduled" offers new times at once
    second = book(w, MENTOR, MENTEE, index=0)
    since = last_ts(w)
    w.run_until(second.ends_at + timedelta(hours=2))
    asked = eventually(
        lambda: [m for m in w.dm() if ids.MEET_DID_MEET in json.dumps(m.get("blocks") or []) and float(m["ts"]) > since]
    )[-1]
    since = last_ts(w)
    click(w, MENTEE, ids.MEET_DID_RESCHEDULE, asked)
    assert "find another time" in eventually(lambda: proposals_since(w, since))[-1]["text"]
    with w.app.sessions() as session:
        counts = schedule_store.outcome_counts(session=session, team_id=TEAM_ID)
    assert counts == {MeetOutcome.MET: 1, MeetOutcome.RESCHEDULED: 1}


# ---------------------------------------------------------------------- /mentor away


def test_away_dates_keep_times_and_prompts_out_without_pausing(world: World) -> None:
    w = world
    for bad in ("2026-13-01", "2026-03-10 2026-03-05", "next week", "2026-02-01 2026-02-02"):
        text = w.app.driver.slash_command(MENTOR, f"away {bad}").json()["text"]
        assert "Usage: `/mentor away 2027-03-01 2027-03-14`" in text, (bad, text)
    answer = w.app.driver.slash_command(MENTOR, "away 2026-03-03 2026-03-05").json()["text"]
    assert "Noted" in answer and "isn't paused" in answer
    offer = fresh_proposal(w)
    row = latest_proposal_row(w)
    days = [datetime.fromisoformat(slot).astimezone(NEW_YORK).date() for slot in row.slots]
    assert days and all(day > date(2026, 3, 5) for day in days), days
    # a prompt already planned on an away day moves after it
    checkin = w.pending(PromptKind.CHECKIN)[0]
    first_day = last_day = checkin.due_at.astimezone(NEW_YORK).date()
    w.app.driver.slash_command(MENTOR, f"away {first_day}")
    moved = eventually(lambda: [p for p in w.pending(PromptKind.CHECKIN) if p.due_at != checkin.due_at])[0]
    assert moved.due_at.astimezone(NEW_YORK).date() > last_day
    assert w.pair().status == PairStatus.ACTIVE

    listing = w.app.driver.slash_command(MENTOR, "away").json()
    assert ids.AWAY_CLEAR in json.dumps(listing.get("blocks") or []) and f"{first_day:%d %b %Y}" in listing["text"] + (
        json.dumps(listing.get("blocks"))
    )
    assert "cleared" in w.app.driver.slash_command(MENTOR, "away clear").json()["text"]
    assert "no away dates" in w.app.driver.slash_command(MENTOR, "away").json()["text"]
    assert offer


def test_find_a_time_on_app_home_and_pair_dm(world: World) -> None:
    w = world
    kickoff = last_with(w.dm(), ids.MEET_FIND)
    since = last_ts(w)
    click(w, MENTOR, ids.MEET_FIND, kickoff)
    eventually(lambda: proposals_since(w, since))
    since = last_ts(w)
    from handlers.home import publish_home

    publish_home(w.app.services, w.app.services.client, team_id=TEAM_ID, user_id=MENTEE)
    home = eventually(lambda: w.app.sandbox.home_view(MENTEE))
    assert w.app.driver.block_action(MENTEE, ids.HOME_PAIR_MEET, view=home).status == 200
    eventually(lambda: proposals_since(w, since))
    eventually(lambda: [m for m in w.app.sandbox.messages_to(MENTEE) if "posted three times" in m["text"]])
    with w.app.sessions() as session:
        live = session.exec(select(MeetingProposal).where(MeetingProposal.status == "open")).all()
        sent = session.exec(
            select(ScheduledPrompt).where(
                ScheduledPrompt.kind == MeetPromptKind.PROPOSAL, ScheduledPrompt.status == PromptStatus.SENT
            )
        ).all()
    assert len(live) == 1 and len(sent) == 3  # kickoff, pair DM button, App Home button; older ones superseded
    # only the newest message keeps its buttons; the replaced ones say so
    assert len(proposals(w)) == 1
    assert len([m for m in w.dm() if "replaced by newer ones" in m["text"]]) == 2
    assert city("America/New_York") == "New York"


def test_the_agreed_format_and_length_shape_the_times_and_the_invite(world: World) -> None:
    from tests.test_journey_flow import goal_states

    w = world
    view = open_from(w, MENTEE, ids.PAIR_SET_GOALS, last_with(w.dm(), ids.PAIR_SET_GOALS))
    states = {**goal_states(), ids.GOALS_CHANNEL: slack.radio_value("in_person")}
    states[ids.GOALS_DURATION] = slack.select_value("90")
    assert submit(w, MENTEE, view, states) is None
    proposal = eventually(lambda: [m for m in w.dm() if ids.GOALS_CONFIRM in json.dumps(m.get("blocks"))])[-1]
    click(w, MENTOR, ids.GOALS_CONFIRM, proposal)
    eventually(lambda: any("confirmed your goals" in m["text"] for m in w.dm()))
    booking = book(w, MENTOR, MENTEE, index=0)
    assert booking.duration_minutes == 90 and booking.channel == "in_person"
    booked = eventually(lambda: [m for m in w.dm() if ids.MEET_RESCHEDULE in json.dumps(m.get("blocks") or [])])
    assert "(In person, 90 minutes)" in booked[-1]["text"]
    event = event_of(eventually(lambda: invites(w))[-1])
    assert event.decoded("DTEND") - event.decoded("DTSTART") == timedelta(minutes=90)
    assert str(event["LOCATION"]) == "In person"
    # the whole 90 minutes sit inside both people's windows (Berlin 14:00-17:00 on Tue/Thu)
    local = booking.starts_at.astimezone(BERLIN)
    assert local.weekday() in (1, 3) and 14 * 60 <= local.hour * 60 + local.minute <= 17 * 60 - 90
    from bot.stats import compute_stats

    with w.app.sessions() as session:
        figures = compute_stats(session=session, team_id=TEAM_ID, cohort_id=None, now=w.clock.now)
    assert figures.bookings == {"booked": 1, "unanswered": 1}


def test_an_upload_retried_after_a_crash_is_not_uploaded_twice(world: World) -> None:
    w = world
    booking = book(w, MENTEE, MENTOR, index=0)
    eventually(lambda: len(invites(w)) == 1)
    time.sleep(0.2)
    # a crash between Slack taking the file and the outbox marking it: the row comes back as due again (no real
    # flow can produce this row state, so it is set by hand)
    with w.app.sessions() as session:
        (row,) = session.exec(select(ScheduledPrompt).where(ScheduledPrompt.kind == MeetPromptKind.ICS)).all()
        row.status, row.attempts = PromptStatus.PENDING, 1
        session.add(row)
        session.commit()
    looked = len(w.app.sandbox.calls_for("conversations.history"))
    w.dispatcher.run_until_idle(w.clock.now)
    assert len(w.app.sandbox.calls_for("conversations.history")) > looked  # it looked for the file first
    assert len(invites(w)) == 1 and str(event_of(invites(w)[0])["UID"]) == booking.uid
    with w.app.sessions() as session:
        (row,) = session.exec(select(ScheduledPrompt).where(ScheduledPrompt.kind == MeetPromptKind.ICS)).all()
    assert row.status == PromptStatus.SKIPPED


# ---------------------------------------------------------------------- the pair ends


def test_a_pair_ended_by_a_coordinator_cancels_its_meetings_ahead_with_a_cancel_invite(world: World) -> None:
    from storage.vocab import EndReason
    from tests.conftest import COORDINATOR
    from tests.pair_steps import World as PairWorld
    from tests.pair_steps import open_action, open_card, radio
    from tests.pair_steps import submit as submit_modal

    w = world
    booked = book(w, MENTEE, MENTOR)
    eventually(lambda: invites(w) if len(invites(w)) == 1 else None)
    coordinators = PairWorld(app=w.app, clock=w.clock, dispatcher=w.dispatcher)  # type: ignore[arg-type]
    w.app.sandbox.add_user(COORDINATOR, name="cora", real_name="Cora", tz="Europe/London")
    modal = open_action(coordinators, open_card(coordinators, w.pair_id), ids.PAIR_DO_END)
    answer = submit_modal(coordinators, COORDINATOR, modal, {ids.PAIR_CTL_REASON: radio(EndReason.COMPLETED)})
    assert answer["response_action"] == "update"
    assert w.pair().status == PairStatus.CLOSED
    calendars = eventually(lambda: invites(w) if len(invites(w)) == 2 else None)
    cancelled = event_of(calendars[1])
    assert str(calendars[1]["METHOD"]) == "CANCEL" and str(cancelled["STATUS"]) == "CANCELLED"
    assert str(cancelled["UID"]) == booked.uid and int(cancelled["SEQUENCE"]) == booked.sequence + 1
    assert eventually(lambda: [m for m in w.dm() if "this mentorship has ended" in m["text"]])
    assert bookings(w)[0].status == BookingStatus.CANCELLED
    assert w.pending(MeetPromptKind.REMINDER) == [] and w.pending(MeetPromptKind.FOLLOWUP) == []
