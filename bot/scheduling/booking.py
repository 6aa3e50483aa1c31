"""From proposed times to a booked meeting: offer, pick, confirm, move, cancel, remind, and "Did you meet?".

Every message goes through the outbox (:mod:`bot.outbox`) under an idempotency key, so a retried click or a
restarted dispatcher never posts twice; the handler ticks the dispatcher right after committing so the pair sees
the answer at once. Every change of a proposal is a compare-and-set on its version: of two racing clicks one
wins and the other is told what happened. A booking is unique per proposal (a constraint), and its calendar
invite keeps one UID for life, with SEQUENCE bumped by each move and by the cancellation.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot import people
from bot.lifecycle import planning
from bot.lifecycle.pairs import OPEN, journey_of, pair_time, partner_of, persons, record_activity
from bot.lifecycle.plan import replan_checkins
from bot.outbox import Outgoing, cancel_prompts, register_prompt_kind, schedule_prompt
from bot.scheduling import invite
from bot.scheduling.slots import Attendee, find_slots, meeting_minutes, slot_fits
from bot.services import Services
from bot.views import meet as views
from storage import journey as journey_store
from storage import outbox as outbox_store
from storage import scheduling as store
from storage.models import MeetingBooking, MeetingProposal, Pair, ScheduledPrompt
from storage.vocab import BookingStatus, MeetOutcome, MeetPromptKind, ProposalStatus

log = logging.getLogger(__name__)

FOLLOWUP_AFTER = timedelta(minutes=15)
REMINDER_BEFORE = timedelta(hours=1)


class Outcome:
    """What a click did (the handler words the answer to the clicker)."""

    PICKED = "picked"  # first pick (or a different slot than the partner's pick): the other confirms
    BOOKED = "booked"
    STALE = "stale"  # the proposal is over (booked, or newer times were offered)
    LOST = "lost"  # someone else changed it at the same moment
    REFUSED = "refused"  # the slot no longer fits; fresh times were offered
    OWN = "own"  # the picker clicked their own pick again


@dataclass
class Choice:
    """The result of a click on a slot or on Confirm."""

    outcome: str
    proposal: MeetingProposal | None = None
    line: str = ""
    message: dict[str, Any] | None = None  # what the proposal message now says (chat.update)
    booking_id: int | None = None


# ---------------------------------------------------------------------- who, how long, when


def attendees(session: Session, pair: Pair) -> tuple[Attendee, Attendee]:
    """(mentee, mentor) with today's profiles and away dates."""
    mentee, mentor = persons(session, pair)
    return (Attendee(mentee.tz, mentee.windows, mentee.away), Attendee(mentor.tz, mentor.windows, mentor.away))


def readers(session: Session, pair: Pair) -> list[views.Reader]:
    mentee, mentor = persons(session, pair)
    return [views.Reader(pair.mentee_user_id, mentee.tz), views.Reader(pair.mentor_user_id, mentor.tz)]


def agreement(session: Session, pair: Pair) -> tuple[int, str]:
    """(meeting minutes, format) the pair agreed in its goals; the format's usual length when none."""
    goals = journey_store.get_goals(session=session, pair_id=int(pair.id or 0))
    channel = goals.channel if goals else "video"
    return meeting_minutes(goals.duration_minutes if goals else None, channel), channel


def _last_met(session: Session, pair: Pair) -> datetime | None:
    meetings = journey_store.list_meetings(session=session, pair_id=int(pair.id or 0))
    return meetings[-1].met_on if meetings else None


def _slots(proposal: MeetingProposal) -> list[datetime]:
    return [datetime.fromisoformat(s) for s in proposal.slots]


# ---------------------------------------------------------------------- offering times


def offer(
    session: Session,
    pair: Pair,
    *,
    now: datetime,
    user_id: str = "",
    booking_id: int | None = None,
    exclude: list[datetime] | None = None,
    reason: str = "",
    settled: int | None = None,
) -> MeetingProposal:
    """Store three fresh slots and queue their message in the pair DM (not committed here).

    The pair's earlier proposals still open are superseded; once the new message is out, theirs lose their buttons.

    Args:
        reason: Why they are offered (``kickoff``, ``checkin``, ``request``...), for the message's first words.
        settled: A proposal whose message the click already rewrote (it is left as it is).
    """
    replaced = [p.id for p in store.live_proposals(session=session, pair_id=int(pair.id or 0)) if p.id != settled]
    mentee, mentor = attendees(session, pair)
    minutes, channel = agreement(session, pair)
    journey = journey_of(session, pair)
    slots = find_slots(
        mentee,
        mentor,
        now=now,
        duration_minutes=minutes,
        cadence_days=journey.cadence_days,
        last_met=_last_met(session, pair),
        exclude=exclude or (),
    )
    proposal = store.create_proposal(
        session=session,
        team_id=pair.team_id,
        pair_id=int(pair.id or 0),
        slots=slots,
        duration_minutes=minutes,
        channel=channel,
        created_by=user_id,
        booking_id=booking_id,
        now=now,
    )
    schedule_prompt(
        session=session,
        team_id=pair.team_id,
        key=f"meet:proposal:{proposal.id}",
        kind=MeetPromptKind.PROPOSAL,
        due_at=now,
        recipient_user_id=pair.mentee_user_id,
        pair_id=pair.id,
        channel_id=pair.channel_id or None,
        payload={"proposal_id": proposal.id, "reason": reason, "replaces": replaced},
    )
    return proposal


def offer_times(
    *, session: Session, pair: Pair, user_id: str, now: datetime, reason: str = "request"
) -> MeetingProposal:
    """ "Find a time" / ``/mentor meet``: three slots in the pair DM (moving the booked meeting, if there is one).

    Commits.
    """
    booked = store.next_booking(session=session, pair_id=int(pair.id or 0), now=now)
    proposal = offer(session, pair, now=now, user_id=user_id, booking_id=booked.id if booked else None, reason=reason)
    record_activity(session, pair, journey_of(session, pair), user_id, now, restore=False)
    session.commit()
    return proposal


INTROS = {
    "kickoff": ":calendar: Let's book your first meeting.",
    "checkin": ":calendar: No worries.",
    "other": ":calendar: Here are other times.",
    "refused": ":calendar: That time no longer fits one of you (hours or timezone changed).",
    "reschedule": ":calendar: Let's move your meeting.",
    "missed": ":calendar: Let's find another time.",
}


def render_proposal(services: Services, session: Session, prompt: ScheduledPrompt, now: datetime) -> Outgoing | None:
    """The proposal message in the pair DM (skipped when newer times replaced it before it went out)."""
    payload = prompt.payload or {}
    proposal = store.get_proposal(session=session, proposal_id=int(payload.get("proposal_id") or 0))
    pair = session.get(Pair, prompt.pair_id)
    if proposal is None or pair is None or pair.status not in OPEN or proposal.status != ProposalStatus.OPEN:
        return None
    who = readers(session, pair)
    lines = [views.slot_line(s, who) for s in _slots(proposal)]
    intro = INTROS.get(str(payload.get("reason") or ""), ":calendar:")
    if proposal.booking_id:
        intro = INTROS["reschedule"]
    message = views.proposal_message(
        pair_id=int(pair.id or 0),
        proposal_id=int(proposal.id or 0),
        lines=lines,
        duration_minutes=proposal.duration_minutes,
        channel=proposal.channel,
        intro=intro,
    )
    return Outgoing(channel=pair.channel_id, **message)


def after_proposal(services: Services, session: Session, prompt: ScheduledPrompt, now: datetime) -> None:
    """The proposals these times replaced lose their buttons (a click on them would only be told so)."""
    pair = session.get(Pair, prompt.pair_id)
    if pair is None:
        return
    client = services.client_for(pair.team_id)
    for proposal_id in (prompt.payload or {}).get("replaces") or []:
        sent = outbox_store.get_prompt_by_key(session=session, team_id=pair.team_id, key=f"meet:proposal:{proposal_id}")
        if sent is not None and sent.sent_ts and sent.sent_channel:
            message = views.settled_message("These times were replaced by newer ones below.")
            client.chat_update(channel=sent.sent_channel, ts=sent.sent_ts, **message)


def after_kickoff(services: Services, session: Session, prompt: ScheduledPrompt, now: datetime) -> None:
    """Right after the introduction: times for the first meeting (once per pair, whatever retries happen)."""
    pair = session.get(Pair, prompt.pair_id)
    if pair is None or pair.status not in OPEN:
        return
    if store.latest_proposal(session=session, pair_id=int(pair.id or 0)) is None:
        offer(session, pair, now=now, reason="kickoff")


# ---------------------------------------------------------------------- picking and confirming


def choose(*, session: Session, pair: Pair, proposal_id: int, index: int, user_id: str, now: datetime) -> Choice:
    """A click on a slot (or on Confirm). The first pick waits for the other person; the other person's click on
    the same slot books it; a slot that stopped fitting is refused with fresh times. Commits."""
    proposal = store.get_proposal(session=session, proposal_id=proposal_id)
    if proposal is None or proposal.pair_id != pair.id or not 0 <= index < len(proposal.slots):
        return Choice(Outcome.STALE)
    if proposal.status not in store.LIVE_PROPOSALS:
        return Choice(Outcome.STALE, proposal)
    slot = _slots(proposal)[index]
    who = readers(session, pair)
    line = views.slot_line(slot, who)
    mentee, mentor = attendees(session, pair)
    if not slot_fits(slot, mentee, mentor, duration_minutes=proposal.duration_minutes, now=now):
        if store.transition_proposal(
            session=session, proposal_id=proposal_id, version=proposal.version, status=ProposalStatus.SUPERSEDED
        ):
            offer(
                session,
                pair,
                now=now,
                user_id=user_id,
                booking_id=proposal.booking_id,
                reason="refused",
                settled=proposal_id,
            )
            session.commit()
            return Choice(Outcome.REFUSED, proposal, line, views.settled_message(f"~{line}~ no longer fits."))
        session.rollback()
        return Choice(Outcome.LOST, proposal, line)
    confirming = proposal.status == ProposalStatus.PICKED and proposal.picked_by != user_id
    if confirming and proposal.picked_index == index:
        return _book(session, pair, proposal, index, user_id, line, now)
    if proposal.status == ProposalStatus.PICKED and proposal.picked_by == user_id and proposal.picked_index == index:
        return Choice(Outcome.OWN, proposal, line)
    # a first pick, a change of one's own pick, or the partner preferring another slot: the other one confirms
    if not store.transition_proposal(
        session=session,
        proposal_id=proposal_id,
        version=proposal.version,
        status=ProposalStatus.PICKED,
        picked_index=index,
        picked_by=user_id,
        updated_at=now,
    ):
        session.rollback()
        return Choice(Outcome.LOST, store.get_proposal(session=session, proposal_id=proposal_id), line)
    record_activity(session, pair, journey_of(session, pair), user_id, now, restore=False)
    session.commit()
    message = views.picked_message(
        pair_id=int(pair.id or 0),
        proposal_id=proposal_id,
        index=index,
        line=line,
        picker=user_id,
        other=partner_of(pair, user_id),
    )
    return Choice(Outcome.PICKED, proposal, line, message)


def _book(
    session: Session, pair: Pair, proposal: MeetingProposal, index: int, user_id: str, line: str, now: datetime
) -> Choice:
    proposal_id = int(proposal.id or 0)
    if not store.transition_proposal(
        session=session, proposal_id=proposal_id, version=proposal.version, status=ProposalStatus.BOOKED, updated_at=now
    ):
        session.rollback()
        return Choice(Outcome.LOST, store.get_proposal(session=session, proposal_id=proposal_id), line)
    start = _slots(proposal)[index]
    end = start + timedelta(minutes=proposal.duration_minutes)
    booking = store.get_booking(session=session, booking_id=proposal.booking_id) if proposal.booking_id else None
    moved = booking is not None and booking.status == BookingStatus.BOOKED
    if booking is not None and moved:
        booking.starts_at, booking.ends_at = start, end
        booking.duration_minutes, booking.channel = proposal.duration_minutes, proposal.channel
        booking.sequence += 1
        booking.picked_by, booking.confirmed_by = proposal.picked_by, user_id
        booking.outcome, booking.outcome_by, booking.outcome_at = "", "", None
        booking.updated_at = now
        session.add(booking)
    else:
        booking = store.create_booking(
            session=session,
            booking=MeetingBooking(
                team_id=pair.team_id,
                pair_id=int(pair.id or 0),
                proposal_id=proposal_id,
                uid=invite.booking_uid(team_id=pair.team_id, pair_id=int(pair.id or 0), proposal_id=proposal_id),
                starts_at=start,
                ends_at=end,
                duration_minutes=proposal.duration_minutes,
                channel=proposal.channel,
                picked_by=proposal.picked_by,
                confirmed_by=user_id,
                created_at=now,
                updated_at=now,
            ),
        )
        if booking is None:  # the other click of a race booked it
            session.rollback()
            return Choice(Outcome.LOST, proposal, line)
    session.flush()
    _after_change(session, pair, booking, now, moved=moved, by=user_id)
    journey = journey_of(session, pair)
    record_activity(session, pair, journey, user_id, now, restore=True)
    replan_checkins(session, pair, journey, booking.ends_at, now)  # the next check-in comes after the meeting
    session.commit()
    log.info("meeting booked pair=%s booking=%s sequence=%s", pair.id, booking.id, booking.sequence)
    verb = "Moved to" if moved else "Booked"
    return Choice(
        Outcome.BOOKED, proposal, line, views.settled_message(f":white_check_mark: {verb}: *{line}*"), booking.id
    )


def _after_change(
    session: Session, pair: Pair, booking: MeetingBooking, now: datetime, *, moved: bool, by: str
) -> None:
    """Queue the invite message, the .ics and (for a live booking) the reminders and the follow-up."""
    pair_id = int(pair.id or 0)
    cancel_prompts(
        session=session,
        team_id=pair.team_id,
        pair_id=pair_id,
        kinds=[MeetPromptKind.REMINDER, MeetPromptKind.FOLLOWUP],
        now=now,
    )
    common: dict[str, Any] = {"session": session, "team_id": pair.team_id, "pair_id": pair_id}
    payload = {"booking_id": booking.id, "sequence": booking.sequence, "moved": moved, "by": by}
    tag = f"{booking.id}:{booking.sequence}"
    schedule_prompt(
        **common,
        key=f"meet:invite:{tag}",
        kind=MeetPromptKind.INVITE,
        due_at=now,
        recipient_user_id=pair.mentee_user_id,
        channel_id=pair.channel_id or None,
        payload=payload,
    )
    schedule_prompt(
        **common,
        key=f"meet:ics:{tag}",
        kind=MeetPromptKind.ICS,
        due_at=now,
        recipient_user_id=pair.mentee_user_id,
        channel_id=pair.channel_id or None,
        payload=payload,
    )
    if booking.status != BookingStatus.BOOKED:
        return
    mentee, mentor = persons(session, pair)
    for user_id, person in ((pair.mentee_user_id, mentee), (pair.mentor_user_id, mentor)):
        when = reminder_time(booking.starts_at, person, now)
        if when is not None:
            schedule_prompt(
                **common,
                key=f"meet:reminder:{tag}:{user_id}",
                kind=MeetPromptKind.REMINDER,
                due_at=when,
                recipient_user_id=user_id,
                payload=payload,
            )
    schedule_prompt(
        **common,
        key=f"meet:followup:{tag}",
        kind=MeetPromptKind.FOLLOWUP,
        due_at=pair_time(session, pair, booking.ends_at + FOLLOWUP_AFTER),
        recipient_user_id=pair.mentee_user_id,
        channel_id=pair.channel_id or None,
        payload=payload,
    )


def suggest_other(*, session: Session, pair: Pair, proposal_id: int, user_id: str, now: datetime) -> Choice:
    """ "Suggest other times": three more, never the ones already offered. Commits."""
    proposal = store.get_proposal(session=session, proposal_id=proposal_id)
    if proposal is None or proposal.pair_id != pair.id or proposal.status not in store.LIVE_PROPOSALS:
        return Choice(Outcome.STALE, proposal)
    offered = [
        datetime.fromisoformat(s)
        for p in store.proposals_of(session=session, pair_id=int(pair.id or 0))
        for s in p.slots
    ]
    offer(
        session,
        pair,
        now=now,
        user_id=user_id,
        booking_id=proposal.booking_id,
        exclude=offered,
        reason="other",
        settled=proposal_id,
    )
    record_activity(session, pair, journey_of(session, pair), user_id, now, restore=False)
    session.commit()
    return Choice(Outcome.PICKED, proposal, message=views.settled_message(f"<@{user_id}> asked for other times."))


# ---------------------------------------------------------------------- moving and cancelling


def reschedule(*, session: Session, pair: Pair, booking_id: int, user_id: str, now: datetime) -> bool:
    """Offer times that would move a booked meeting (it stays booked until the new time is confirmed). Commits."""
    booking = store.get_booking(session=session, booking_id=booking_id)
    if booking is None or booking.pair_id != pair.id or booking.status != BookingStatus.BOOKED:
        return False
    offer(
        session, pair, now=now, user_id=user_id, booking_id=booking_id, exclude=[booking.starts_at], reason="reschedule"
    )
    session.commit()
    return True


def cancel(*, session: Session, pair: Pair, booking_id: int, user_id: str, now: datetime) -> bool:
    """Cancel a booking: a CANCEL invite (same UID, next SEQUENCE), reminders and follow-up dropped. Commits."""
    booking = store.get_booking(session=session, booking_id=booking_id)
    if booking is None or booking.pair_id != pair.id or booking.status != BookingStatus.BOOKED:
        return False
    booking.status = BookingStatus.CANCELLED
    booking.sequence += 1
    booking.updated_at = now
    session.add(booking)
    session.flush()
    _after_change(session, pair, booking, now, moved=False, by=user_id)
    session.commit()
    return True


def cancel_with_pair(*, session: Session, pair: Pair, now: datetime) -> int:
    """The pair has closed: each of its meetings still ahead is cancelled, with the CANCEL invite (same UID, next
    SEQUENCE) and a line in the pair's DM, so nobody keeps a meeting in their calendar that will not happen.

    Call after the pair's prompts were cancelled (this queues new ones); the caller commits. Returns how many.
    """
    cancelled = 0
    for booking in store.bookings_of_pair(session=session, pair_id=int(pair.id or 0)):
        if booking.status != BookingStatus.BOOKED or booking.starts_at <= now:
            continue
        booking.status = BookingStatus.CANCELLED
        booking.sequence += 1
        booking.updated_at = now
        session.add(booking)
        session.flush()
        _after_change(session, pair, booking, now, moved=False, by="")
        cancelled += 1
    return cancelled


# ---------------------------------------------------------------------- the invite


def _event(services: Services, session: Session, pair: Pair, booking: MeetingBooking, now: datetime) -> invite.Event:
    client = services.client_for(pair.team_id)
    found = people.load_profiles(
        session=session, team_id=pair.team_id, user_ids=[pair.mentee_user_id, pair.mentor_user_id]
    )
    guests = []
    for user_id in (pair.mentee_user_id, pair.mentor_user_id):
        slack = people.lookup_user(client, user_id)  # users:read.email gives the address
        stored = found.get(user_id)
        name = str(slack.get("name") or (stored[0].display_name if stored else "") or user_id)
        email = str(slack.get("email") or (stored[1].email if stored else "") or "")
        guests.append(invite.Person(name=name, email=email))
    organizer = guests[0] if booking.picked_by == pair.mentee_user_id else guests[1]
    where = views.FORMAT_WORDS.get(booking.channel, "Meeting")
    return invite.Event(
        uid=booking.uid,
        sequence=booking.sequence,
        start=booking.starts_at,
        end=booking.ends_at,
        summary=f"Mentoring: {guests[0].name} & {guests[1].name}",
        description=(
            f"Mentorship meeting booked in Slack ({where.lower()}, {booking.duration_minutes} minutes). "
            "Log it afterwards with /mentor log."
        ),
        location=where,
        organizer=organizer,
        attendees=tuple(guests),
        cancelled=booking.status == BookingStatus.CANCELLED,
        stamp=now,
    )


def _current(session: Session, prompt: ScheduledPrompt) -> tuple[Pair, MeetingBooking] | None:
    """The prompt's pair and booking, when the booking is still at the revision the prompt was queued for."""
    payload = prompt.payload or {}
    booking = store.get_booking(session=session, booking_id=int(payload.get("booking_id") or 0))
    pair = session.get(Pair, prompt.pair_id)
    if booking is None or pair is None or booking.sequence != int(payload.get("sequence", -1)):
        return None
    return pair, booking


def render_invite(services: Services, session: Session, prompt: ScheduledPrompt, now: datetime) -> Outgoing | None:
    """The booking (or its move, or its cancellation) in the pair DM, with the "Add to" links."""
    found = _current(session, prompt)
    if found is None:
        return None
    pair, booking = found
    line = views.slot_line(booking.starts_at, readers(session, pair), end=booking.ends_at)
    if booking.status == BookingStatus.CANCELLED:
        by = str((prompt.payload or {}).get("by") or "")  # "": the pair ended
        return Outgoing(channel=pair.channel_id, **views.cancelled_message(line=line, by=by))
    if pair.status not in OPEN:
        return None
    event = _event(services, session, pair, booking, now)
    message = views.booked_message(
        pair_id=int(pair.id or 0),
        booking_id=int(booking.id or 0),
        line=line,
        duration_minutes=booking.duration_minutes,
        channel=booking.channel,
        google_url=invite.google_link(event),
        outlook_url=invite.outlook_link(event),
        moved=bool((prompt.payload or {}).get("moved")),
    )
    return Outgoing(channel=pair.channel_id, **message)


def render_ics(services: Services, session: Session, prompt: ScheduledPrompt, now: datetime) -> None:
    """Upload the .ics to the pair DM with files v2; sends no message of its own (the row ends ``skipped``).

    Exactly once: the file is named after the booking and its revision, and a retry (after a crash or a failed
    call) first looks for it in the DM's recent history. An upload error raises, so the outbox retries it.
    """
    found = _current(session, prompt)
    if found is None:
        return None
    pair, booking = found
    client = services.client_for(pair.team_id)
    name = invite.ics_filename(int(booking.id or 0), booking.sequence)
    history = client.conversations_history(channel=pair.channel_id, limit=50)
    for message in history.get("messages") or []:
        if any(f.get("name") == name for f in message.get("files") or []):
            return None
    content = invite.ics_bytes(_event(services, session, pair, booking, now))
    cancelled = booking.status == BookingStatus.CANCELLED
    client.files_upload_v2(
        channel=pair.channel_id,
        filename=name,
        content=content,
        title="Cancelled: mentoring meeting" if cancelled else "Mentoring meeting invite",
        initial_comment=(
            "Open this file to remove the meeting from your calendar."
            if cancelled
            else "Open this file to add the meeting to your calendar."
        ),
    )
    return None


# ---------------------------------------------------------------------- reminders and "Did you meet?"


def reminder_time(start: datetime, person: planning.Person, now: datetime) -> datetime | None:
    """An hour before when that is inside the person's working hours, else the evening before: the start of the
    last working hour of the weekday before, in their own timezone (DST-correct for that day).

    None when the meeting has started; never in the past (a late booking is reminded at once).
    """
    if start <= now:
        return None
    hour_before = start - REMINDER_BEFORE
    if planning.in_windows(hour_before, person):
        return max(hour_before, now)
    zone = ZoneInfo(person.tz)
    previous = start.astimezone(zone).date() - timedelta(days=1)
    while previous.weekday() >= 5:  # a Monday meeting is reminded on Friday, not on Sunday evening
        previous -= timedelta(days=1)
    working = person.working_windows()
    # that evening's last working hour; on a day the person doesn't work, their usual end of day
    ends = [w.end for w in working if w.day == previous.weekday()] or [w.end for w in working]
    moment = planning.local_instant(previous, max(ends) - 60, person.tz)
    return max(moment if moment < start else hour_before, now)


def render_reminder(services: Services, session: Session, prompt: ScheduledPrompt, now: datetime) -> Outgoing | None:
    """The private reminder, in the reader's own time."""
    found = _current(session, prompt)
    if found is None or not prompt.recipient_user_id:
        return None
    pair, booking = found
    if booking.status != BookingStatus.BOOKED or pair.status not in OPEN or booking.starts_at <= now:
        return None
    tz = planning.Person("UTC").tz
    saved = people.load_profile(session=session, team_id=pair.team_id, user_id=prompt.recipient_user_id)
    if saved:
        tz = saved[1].timezone
    local_start = booking.starts_at.astimezone(ZoneInfo(tz))
    message = views.reminder_message(
        partner_id=partner_of(pair, prompt.recipient_user_id),
        local_start=local_start,
        duration_minutes=booking.duration_minutes,
        same_day=local_start.date() == now.astimezone(ZoneInfo(tz)).date(),
    )
    return Outgoing(channel=prompt.recipient_user_id, **message)


def render_followup(services: Services, session: Session, prompt: ScheduledPrompt, now: datetime) -> Outgoing | None:
    """'Did you meet?' in the pair DM after the slot (not when someone already answered or logged it)."""
    found = _current(session, prompt)
    if found is None:
        return None
    pair, booking = found
    if booking.status != BookingStatus.BOOKED or booking.outcome or pair.status not in OPEN:
        return None
    line = views.slot_line(booking.starts_at, readers(session, pair))
    return Outgoing(
        channel=pair.channel_id,
        **views.followup_message(pair_id=int(pair.id or 0), booking_id=int(booking.id or 0), line=line),
    )


def answer_followup(
    *, session: Session, pair: Pair, booking_id: int, user_id: str, outcome: MeetOutcome, now: datetime
) -> MeetingBooking | None:
    """Record "Did you meet?" (the first answer counts); "rescheduled" offers new times. Commits.

    Returns:
        The booking when this answer was recorded, else None (already answered, or not this pair's).
    """
    booking = store.get_booking(session=session, booking_id=booking_id)
    if booking is None or booking.pair_id != pair.id:
        return None
    if not store.record_outcome(session=session, booking_id=booking_id, outcome=outcome, user_id=user_id, now=now):
        return None
    record_activity(session, pair, journey_of(session, pair), user_id, now, restore=outcome == MeetOutcome.MET)
    if outcome == MeetOutcome.RESCHEDULED:
        offer(session, pair, now=now, user_id=user_id, reason="missed")
    session.commit()
    return store.get_booking(session=session, booking_id=booking_id)


def register_scheduling_kinds() -> None:
    """Register the scheduling renderers with the outbox (idempotent)."""
    register_prompt_kind(MeetPromptKind.PROPOSAL, render_proposal, after_send=after_proposal)
    register_prompt_kind(MeetPromptKind.INVITE, render_invite)
    register_prompt_kind(MeetPromptKind.ICS, render_ics)
    register_prompt_kind(MeetPromptKind.REMINDER, render_reminder)
    register_prompt_kind(MeetPromptKind.FOLLOWUP, render_followup)
