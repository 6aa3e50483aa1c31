"""The pair's prompt plan: what is scheduled when a pair starts, and the next check-in and closure after that.

Every future message is a row in the outbox (:mod:`bot.outbox`) with an idempotency key, so planning twice
(a retry, a restart) schedules nothing twice.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time, timedelta

from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from bot.lifecycle import planning
from bot.lifecycle.pairs import cohort_settings, open_pair_channel, pair_time, person_time
from bot.outbox import cancel_prompts, schedule_prompt
from bot.services import Services
from storage import journey as store
from storage.models import Pair, PairJourney, ScheduledPrompt
from storage.vocab import PromptKind, pulse_key

log = logging.getLogger(__name__)

# Prompts that move with a pause (the kickoff has been sent; the resume prompt is the pause itself).
SHIFTABLE = (
    PromptKind.GOALS_REMINDER,
    PromptKind.CHECKIN,
    PromptKind.SILENT_FOLLOWUP,
    PromptKind.SURVEY,
    PromptKind.HALFWAY,
    PromptKind.CLOSURE,
    PromptKind.FIT_CHECK,
    PromptKind.PAIR_END,
)
PARKED = timedelta(days=3650)  # a pause without a date parks prompts far away until resume


def schedule_next_checkin(
    session: Session, pair: Pair, journey: PairJourney, after: datetime
) -> ScheduledPrompt | None:
    """The next check-in in the pair DM, in both people's hours after ``after`` (none past the pair's end)."""
    due = pair_time(session, pair, after)
    if due >= journey.ends_at:
        return None
    journey.checkin_seq += 1
    session.add(journey)
    return schedule_prompt(
        session=session,
        team_id=pair.team_id,
        key=f"checkin:{pair.id}:{journey.checkin_seq}",
        kind=PromptKind.CHECKIN,
        due_at=due,
        recipient_user_id=pair.mentee_user_id,
        pair_id=pair.id,
        channel_id=pair.channel_id or None,
        payload={"cycle": journey.checkin_seq},
    )


def replan_checkins(session: Session, pair: Pair, journey: PairJourney, start: datetime, now: datetime) -> None:
    """Cancel the pending check-in and plan the next one a cadence after ``start`` (never in the past)."""
    cancel_prompts(
        session=session, team_id=pair.team_id, pair_id=int(pair.id or 0), kinds=[PromptKind.CHECKIN], now=now
    )
    after = max(start + timedelta(days=journey.cadence_days), now + timedelta(days=1))
    schedule_next_checkin(session, pair, journey, after)


def schedule_closure(session: Session, pair: Pair, journey: PairJourney, due: datetime, *, early: bool) -> None:
    """The closing summary in the pair DM (early: both said their goals are reached)."""
    suffix = f"early:{journey.extensions}" if early else str(journey.extensions)
    schedule_prompt(
        session=session,
        team_id=pair.team_id,
        key=f"closure:{pair.id}:{suffix}",
        kind=PromptKind.CLOSURE,
        due_at=due,
        recipient_user_id=pair.mentee_user_id,
        pair_id=pair.id,
        channel_id=pair.channel_id or None,
        payload={"early": early},
    )


def program_start(start_date: date | None, now: datetime) -> datetime:
    """When a pair made ``now`` starts: the cohort's start date (09:00 UTC) while it is ahead, else now."""
    if start_date is None:
        return now
    return max(now, datetime.combine(start_date, time(9, 0), tzinfo=UTC))


def start_pair(*, session: Session, services: Services, pair: Pair, now: datetime) -> PairJourney:
    """Open the pair's group DM and plan their program; safe to call again (retries, restarts).

    The program starts now, or on the cohort's start date when that is still ahead (a pair published before it
    waits: its kickoff is due on the start date). Schedules the kickoff (key ``kickoff:{pair_id}``), a goals
    reminder, the first check-in, the pulse surveys, the halfway milestone and the closure, each relative to the
    start and idempotent on its key. Commits.

    Args:
        session: Database session.
        services: Settings, WebClient, clock.
        pair: A published pair (with an id).
        now: The current time.

    Returns:
        The pair's plan state.
    """
    if pair.id is None:
        raise ValueError("start_pair needs a stored pair")
    cfg = cohort_settings(session, pair)
    begins = program_start(cfg.start_date, now)
    journey = store.get_journey(session=session, pair_id=pair.id) or store.create_journey(
        session=session,
        team_id=pair.team_id,
        pair_id=pair.id,
        started_at=begins,
        ends_at=begins + timedelta(days=cfg.duration_days),
        cadence_days=cfg.checkin_cadence_days,
    )
    if not pair.channel_id:
        try:
            open_pair_channel(services, pair)
        except SlackApiError as exc:  # the kickoff renderer tries again
            log.warning("conversations.open failed pair=%s error=%s", pair.id, exc.response.get("error"))
        session.add(pair)
    started = journey.started_at
    common = {"session": session, "team_id": pair.team_id, "pair_id": pair.id}
    schedule_prompt(
        **common,
        key=f"kickoff:{pair.id}",
        kind=PromptKind.KICKOFF,
        due_at=max(journey.started_at, now),
        recipient_user_id=pair.mentee_user_id,
        channel_id=pair.channel_id or None,
    )
    schedule_prompt(
        **common,
        key=f"goals_reminder:{pair.id}",
        kind=PromptKind.GOALS_REMINDER,
        due_at=pair_time(session, pair, started + timedelta(days=cfg.goals_reminder_days)),
        recipient_user_id=pair.mentee_user_id,
        channel_id=pair.channel_id or None,
    )
    if journey.checkin_seq == 0:
        schedule_next_checkin(session, pair, journey, started + timedelta(days=journey.cadence_days))
    duration = journey.ends_at - started
    for n, offset in enumerate(planning.survey_offsets(duration.days, cfg.first_survey_days, cfg.survey_every_days), 1):
        for user_id in (pair.mentee_user_id, pair.mentor_user_id):
            schedule_prompt(
                **common,
                key=f"survey:{pair.id}:{user_id}:{pulse_key(n)}",
                kind=PromptKind.SURVEY,
                due_at=person_time(session, pair, user_id, started + timedelta(days=offset)),
                recipient_user_id=user_id,
                payload={"survey_key": pulse_key(n), "closing": False},
            )
    schedule_prompt(
        **common,
        key=f"halfway:{pair.id}",
        kind=PromptKind.HALFWAY,
        due_at=pair_time(session, pair, started + duration / 2),
        recipient_user_id=pair.mentee_user_id,
        channel_id=pair.channel_id or None,
    )
    schedule_closure(session, pair, journey, pair_time(session, pair, journey.ends_at), early=False)
    session.commit()
    log.info("pair started pair=%s channel=%s ends=%s", pair.id, pair.channel_id, journey.ends_at.date())
    return journey
