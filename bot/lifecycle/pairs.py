"""What every part of the journey needs about a pair: its two people, when to reach them, where to post, and
the pair's record of who was last active.

Internal helpers never commit (``after_send`` hooks run inside the dispatcher's transaction); the public
services of the other journey modules commit.
"""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from bot import deferred, people
from bot.cohorts import CohortSettings, settings_of
from bot.lifecycle import planning
from bot.lifecycle.planning import Person
from bot.outbox import cancel_prompts
from bot.services import Services
from storage import journey as store
from storage import scheduling as away_store
from storage.models import Cohort, Pair, PairJourney
from storage.vocab import PairRole, PairStatus, PromptKind

log = logging.getLogger(__name__)

# A pair whose prompts go out (a paused or closed pair receives none).
OPEN = (PairStatus.ACTIVE, PairStatus.AT_RISK)
# Prompts posted in the pair's group DM (the others go to one person's own DM).
PAIR_DM_KINDS = (
    PromptKind.KICKOFF,
    PromptKind.GOALS_REMINDER,
    PromptKind.CHECKIN,
    PromptKind.HALFWAY,
    PromptKind.CLOSURE,
    PromptKind.RESUME,
)


def persons(session: Session, pair: Pair) -> tuple[Person, Person]:
    """(mentee, mentor) timezones, weekly windows and away dates."""
    out = []
    for user_id in (pair.mentee_user_id, pair.mentor_user_id):
        saved = people.load_profile(session=session, team_id=pair.team_id, user_id=user_id)
        periods = away_store.away_periods(session=session, team_id=pair.team_id, user_id=user_id)
        away = tuple((p.starts_on, p.ends_on) for p in periods)
        out.append(Person(saved[1].timezone, saved[1].availability, away) if saved else Person("UTC", (), away))
    return out[0], out[1]


def person_of(session: Session, pair: Pair, user_id: str) -> Person:
    """One member's timezone and weekly windows."""
    mentee, mentor = persons(session, pair)
    return mentee if user_id == pair.mentee_user_id else mentor


def pair_time(session: Session, pair: Pair, after: datetime) -> datetime:
    """When to post in the pair DM: inside both people's working hours, else the mentee's; never on a day either
    of them is away (``/mentor away``)."""
    mentee, mentor = persons(session, pair)
    due = after
    for _ in range(8):  # each round skips one away period
        due = planning.next_delivery(
            after, mentee.tz, mentee.windows, other_tz=mentor.tz, other_windows=mentor.windows, away=mentee.away
        )
        blocked = [p for p in (mentee, mentor) if p.away and p.is_away(due.astimezone(ZoneInfo(p.tz)).date())]
        if not blocked:
            return due
        person = blocked[0]
        last = max(e for s, e in person.away if s <= due.astimezone(ZoneInfo(person.tz)).date() <= e)
        after = datetime.combine(last + timedelta(days=1), time(), tzinfo=ZoneInfo(person.tz))
    return due


def person_time(session: Session, pair: Pair, user_id: str, after: datetime) -> datetime:
    """When to DM one person: inside their own working hours."""
    person = person_of(session, pair, user_id)
    return planning.next_delivery(after, person.tz, person.windows, away=person.away)


def cohort_settings(session: Session, pair: Pair) -> CohortSettings:
    """The settings of the pair's cohort (defaults when it has none)."""
    cohort = session.get(Cohort, pair.cohort_id) if pair.cohort_id else None
    return settings_of(cohort)


def journey_of(session: Session, pair: Pair) -> PairJourney:
    """The pair's plan state; LookupError when the pair was never started."""
    journey = store.get_journey(session=session, pair_id=int(pair.id or 0))
    if journey is None:
        raise LookupError(f"pair {pair.id} was never started")
    return journey


def partner_of(pair: Pair, user_id: str) -> str:
    """The other person of the pair."""
    return pair.mentor_user_id if user_id == pair.mentee_user_id else pair.mentee_user_id


def role_in(pair: Pair, user_id: str) -> PairRole:
    """The person's side of the pair."""
    return PairRole.MENTEE if user_id == pair.mentee_user_id else PairRole.MENTOR


def is_member(pair: Pair, user_id: str) -> bool:
    """Whether the person is one of the two."""
    return user_id in (pair.mentee_user_id, pair.mentor_user_id)


def post(services: Services, team_id: str, channel: str, message: dict[str, Any]) -> None:
    """Post now, or right after the acknowledgement while a submission is being stored (``bot.deferred``).

    A Slack error is logged, never raised.
    """
    if not channel:
        return

    def send() -> None:
        try:
            services.client_for(team_id).chat_postMessage(channel=channel, unfurl_links=False, **message)
        except SlackApiError as exc:
            log.warning("post failed channel=%s error=%s", channel, exc.response.get("error"))

    deferred.later(send)


def open_pair_channel(services: Services, pair: Pair) -> str:
    """The pair's group DM (conversations.open is idempotent in Slack: the same two people get the same one)."""
    response = services.client_for(pair.team_id).conversations_open(
        users=f"{pair.mentee_user_id},{pair.mentor_user_id}"
    )
    pair.channel_id = str((response.get("channel") or {}).get("id") or "")
    return pair.channel_id


def mark_active(journey: PairJourney, user_id: str, now: datetime) -> None:
    """Remember when this person last acted (coordinators see who went quiet)."""
    last = dict(journey.last_active or {})
    last[user_id] = now.isoformat()
    journey.last_active = last  # reassign: JSON columns track assignment, not mutation
    journey.updated_at = now


def record_activity(
    session: Session, pair: Pair, journey: PairJourney, user_id: str, now: datetime, *, restore: bool
) -> None:
    """A sign of life: resets silence grading; ``restore`` also lifts an at-risk mark (a meeting, a check-in)."""
    mark_active(journey, user_id, now)
    journey.last_activity_at = now
    journey.unanswered_checkins = 0
    journey.silent_stage = 0
    if restore and pair.status == PairStatus.AT_RISK:
        pair.status = PairStatus.ACTIVE
    cancel_prompts(
        session=session, team_id=pair.team_id, pair_id=int(pair.id or 0), kinds=[PromptKind.SILENT_FOLLOWUP], now=now
    )
    session.add(journey)
    session.add(pair)
