"""Pausing and resuming a pair: pending prompts move with the pause, and the schedule continues on resume."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlmodel import Session

from bot.lifecycle import planning
from bot.lifecycle.pairs import OPEN, journey_of, mark_active, partner_of, persons, post
from bot.lifecycle.plan import PARKED, SHIFTABLE, schedule_next_checkin
from bot.outbox import Outgoing, cancel_prompts, schedule_prompt, shift_prompts, upcoming_prompts
from bot.services import Services
from bot.views import journey as views
from storage import journey as store
from storage.models import Pair, PairJourney, ScheduledPrompt
from storage.vocab import PairStatus, PromptKind


def _park(session: Session, pair: Pair, journey: PairJourney, until: date | None, now: datetime) -> None:
    """Hold the pair's prompts: moved to the resume date, or parked until someone resumes. No commit."""
    journey.paused_at, journey.paused_from_status = now, pair.status
    pair.status = PairStatus.PAUSED
    if until is not None:
        mentee = persons(session, pair)[0]
        resume_at = max(planning.local_instant(until, 9 * 60, mentee.tz), now)
        shift = resume_at - now
        journey.resume_at = resume_at
        schedule_prompt(
            session=session,
            team_id=pair.team_id,
            key=f"resume:{pair.id}:{int(now.timestamp())}",
            kind=PromptKind.RESUME,
            due_at=resume_at,
            recipient_user_id=pair.mentee_user_id,
            pair_id=pair.id,
        )
    else:
        shift = PARKED
        journey.resume_at = None
    journey.pause_shift_seconds = int(shift.total_seconds())
    shift_prompts(
        session=session, team_id=pair.team_id, pair_id=int(pair.id or 0), delta=shift, kinds=SHIFTABLE, now=now
    )
    session.add_all([pair, journey])


def pause_pair(
    *,
    session: Session,
    services: Services,
    pair: Pair,
    user_id: str,
    until: date | None,
    now: datetime,
    announce: bool = True,
) -> bool:
    """Pause the pair: pending prompts move (to the resume date, or parked until someone resumes). Commits.

    ``announce=False`` (a private "I need a pause") posts nothing in the pair DM.
    """
    if pair.status not in OPEN:
        return False
    journey = journey_of(session, pair)
    _park(session, pair, journey, until, now)
    mark_active(journey, user_id, now)
    session.add(journey)
    session.commit()
    if not announce:
        return True
    when = f"until *{until:%a %d %B}*" if until else "until one of you resumes"
    text = f":double_vertical_bar: <@{user_id}> paused your mentorship {when}. Check-ins stop meanwhile."
    post(
        services,
        pair.team_id,
        pair.channel_id,
        {"text": text, "blocks": [views.section(text), views.pair_buttons(int(pair.id or 0), paused=True)]},
    )
    return True


def _resume(
    session: Session, pair: Pair, journey: PairJourney, now: datetime, *, checkin_from_now: bool = False
) -> None:
    paused_at = journey.paused_at or now
    paused_for = max(now - paused_at, timedelta(0))
    correction = paused_for - timedelta(seconds=journey.pause_shift_seconds)
    pair_id = int(pair.id or 0)
    shift_prompts(session=session, team_id=pair.team_id, pair_id=pair_id, delta=correction, kinds=SHIFTABLE, now=now)
    cancel_prompts(session=session, team_id=pair.team_id, pair_id=pair_id, kinds=[PromptKind.RESUME], now=now)
    journey.ends_at += paused_for
    pair.status = PairStatus(journey.paused_from_status) if journey.paused_from_status in OPEN else PairStatus.ACTIVE
    # The shifted check-in keeps its place in the cycle but must land in working hours again.
    pending = [
        p
        for p in upcoming_prompts(session=session, team_id=pair.team_id, pair_id=pair_id)
        if p.kind == PromptKind.CHECKIN
    ]
    if pending:
        cancel_prompts(session=session, team_id=pair.team_id, pair_id=pair_id, kinds=[PromptKind.CHECKIN], now=now)
        after = now + timedelta(days=journey.cadence_days) if checkin_from_now else max(pending[0].due_at, now)
        schedule_next_checkin(session, pair, journey, after)
    journey.paused_at = journey.resume_at = None
    journey.pause_shift_seconds = 0
    session.add_all([pair, journey])


def resume_pair(*, session: Session, services: Services, pair: Pair, user_id: str, now: datetime) -> bool:
    """Resume a paused pair: the schedule continues from today. Commits."""
    if pair.status != PairStatus.PAUSED:
        return False
    journey = journey_of(session, pair)
    _resume(session, pair, journey, now)
    mark_active(journey, user_id, now)
    session.commit()
    text = f":arrow_forward: <@{user_id}> resumed your mentorship. Check-ins pick up from today."
    post(
        services,
        pair.team_id,
        pair.channel_id,
        {"text": text, "blocks": [views.section(text), views.pair_buttons(int(pair.id or 0))]},
    )
    return True


def render_resume(services: Services, session: Session, prompt: ScheduledPrompt, now: datetime) -> Outgoing | None:
    """The planned end of a pause."""
    pair = session.get(Pair, prompt.pair_id)
    if pair is None or pair.status != PairStatus.PAUSED:
        return None
    text = ":arrow_forward: Welcome back! Your pause is over and check-ins pick up from today."
    return Outgoing(
        channel=pair.channel_id, text=text, blocks=[views.section(text), views.pair_buttons(int(pair.id or 0))]
    )


def after_resume(services: Services, session: Session, prompt: ScheduledPrompt, now: datetime) -> None:
    """The pause ends when its planned resume prompt went out."""
    pair = session.get(Pair, prompt.pair_id)
    if pair is not None and pair.status == PairStatus.PAUSED:
        _resume(session, pair, journey_of(session, pair), now)


# ---------------------------------------------------------------------- a person's own pause (/mentor pause)


def hold_pairs_of(*, session: Session, services: Services, team_id: str, user_id: str, now: datetime) -> int:
    """A person paused themselves: each of their open pairs holds its prompts until they are back, and the
    partner is told kindly (never why). Commits. Returns how many pairs were put on hold."""
    held = 0
    for pair in store.open_pairs_of(session=session, team_id=team_id, user_id=user_id):
        journey = store.get_journey(session=session, pair_id=int(pair.id or 0))
        if journey is None or user_id in (journey.held_by or []):
            continue
        journey.held_by = sorted({*(journey.held_by or []), user_id})
        if pair.status in OPEN:
            _park(session, pair, journey, None, now)
            journey.paused_by_hold = True
            held += 1
            text = (
                f":double_vertical_bar: <@{user_id}> is taking a break from the program for a while, so I'll hold "
                f"check-ins and surveys until they're back. Nothing you need to do, <@{partner_of(pair, user_id)}>."
            )
            post(services, pair.team_id, pair.channel_id, {"text": text, "blocks": [views.section(text)]})
        session.add(journey)
    session.commit()
    return held


def release_pairs_of(*, session: Session, services: Services, team_id: str, user_id: str, now: datetime) -> int:
    """A person is back from their own pause: pairs held only for them continue from now (the next check-in a
    cadence away, surveys and the end date moved by the pause). Commits. Returns how many pairs resumed."""
    resumed = 0
    for pair in store.open_pairs_of(session=session, team_id=team_id, user_id=user_id):
        journey = store.get_journey(session=session, pair_id=int(pair.id or 0))
        if journey is None or user_id not in (journey.held_by or []):
            continue
        journey.held_by = [u for u in journey.held_by if u != user_id]
        if not journey.held_by and pair.status == PairStatus.PAUSED and journey.paused_by_hold:
            _resume(session, pair, journey, now, checkin_from_now=True)
            journey.paused_by_hold = False
            journey.last_activity_at = now  # silence is counted again from the resume
            resumed += 1
            text = (
                f":arrow_forward: <@{user_id}> is back. Check-ins pick up from today, and your program now runs "
                f"until *{journey.ends_at:%d %B %Y}*."
            )
            post(services, pair.team_id, pair.channel_id, {"text": text, "blocks": [views.section(text)]})
        session.add(journey)
    session.commit()
    return resumed
