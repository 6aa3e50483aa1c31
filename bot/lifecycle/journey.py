"""The pair's journey as services: kickoff, the prompt plan, check-ins, meetings, milestones, silence, surveys,
pause and resume, closure.

Every future message is a row in the outbox (:mod:`bot.outbox`) rendered at send time by the renderers
registered here, so restarts and retries never double a message and tests run months in seconds with a fake
clock. Internal helpers (``_...``) never commit: ``after_send`` hooks run inside the dispatcher's transaction.
Public functions called from handlers commit.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from bot import deferred, people
from bot.cohorts import CohortSettings, settings_of
from bot.lifecycle import forms, planning
from bot.lifecycle.planning import Person
from bot.outbox import (
    Outgoing,
    cancel_prompts,
    register_prompt_kind,
    schedule_prompt,
    shift_prompts,
    upcoming_prompts,
)
from bot.services import Services
from bot.views import journey as views
from storage import journey as store
from storage import participants
from storage.models import Cohort, Pair, PairJourney, ScheduledPrompt
from storage.vocab import AnswerKind

log = logging.getLogger(__name__)

KICKOFF = "pair.kickoff"
GOALS_REMINDER = "pair.goals_reminder"
CHECKIN = "pair.checkin"
SILENT_FOLLOWUP = "pair.silent_followup"
SURVEY = "pair.survey"
HALFWAY = "pair.halfway"
CLOSURE = "pair.closure"
FIT_CHECK = "pair.fit_check"
RESUME = "pair.resume"
COORDINATOR_NOTE = "pair.coordinator_note"
# Prompts that move with a pause (the kickoff has been sent; the resume prompt is the pause itself).
SHIFTABLE = (GOALS_REMINDER, CHECKIN, SILENT_FOLLOWUP, SURVEY, HALFWAY, CLOSURE, FIT_CHECK)
PARKED = timedelta(days=3650)  # a pause without a date parks prompts far away until resume
OPEN = ("active", "at_risk")
PAIR_DM_KINDS = (KICKOFF, GOALS_REMINDER, CHECKIN, HALFWAY, CLOSURE, RESUME)

CHECKIN_TEXTS: dict[str, tuple[str, ...]] = {
    "early": (
        ":wave: Hi both! Did you meet since last time? Early meetings set the tone, and even 30 minutes helps.",
        ":seedling: Quick check-in: did you meet since last time? If finding a slot is hard, *Not yet* suggests "
        "times that suit you both.",
        ":coffee: How are things getting started? Did you meet since last time?",
    ),
    "middle": (
        ":compass: You're well into the program. Did you meet since last time? A good moment to look at your goals.",
        ":chart_with_upwards_trend: Check-in time: did you meet since last time? Logging it keeps your progress "
        "visible on your App Home.",
        ":handshake: Did you meet since last time? Mid-program is where habits form; keep the rhythm going.",
    ),
    "late": (
        ":checkered_flag: The finish line is in sight. Did you meet since last time? Think about what you want to "
        "have done by the end.",
        ":hourglass_flowing_sand: Did you meet since last time? A few sessions left: maybe plan what happens after "
        "the program.",
        ":sparkles: Almost there! Did you meet since last time? Now's a good time to mark goals you've reached.",
    ),
}
SILENT_TEXTS = (
    ":wave: It's been a few weeks since I've heard from you two. Did you meet since last time? If things got busy, "
    "*Not yet* suggests a few times that fit you both.",
    ":bell: Haven't seen a meeting logged in a while. Did you meet since last time? Even a short chat counts.",
)


# ---------------------------------------------------------------------- small helpers


def _persons(session: Session, pair: Pair) -> tuple[Person, Person]:
    """(mentee, mentor) timezones and weekly windows."""
    out = []
    for user_id in (pair.mentee_user_id, pair.mentor_user_id):
        saved = people.load_profile(session=session, team_id=pair.team_id, user_id=user_id)
        out.append(Person(saved[1].timezone, saved[1].availability) if saved else Person("UTC"))
    return out[0], out[1]


def _person(session: Session, pair: Pair, user_id: str) -> Person:
    mentee, mentor = _persons(session, pair)
    return mentee if user_id == pair.mentee_user_id else mentor


def pair_time(session: Session, pair: Pair, after: datetime) -> datetime:
    """When to post in the pair DM: inside both people's working hours, else the mentee's."""
    mentee, mentor = _persons(session, pair)
    return planning.next_delivery(after, mentee.tz, mentee.windows, other_tz=mentor.tz, other_windows=mentor.windows)


def person_time(session: Session, pair: Pair, user_id: str, after: datetime) -> datetime:
    """When to DM one person: inside their own working hours."""
    person = _person(session, pair, user_id)
    return planning.next_delivery(after, person.tz, person.windows)


def _settings(session: Session, pair: Pair) -> CohortSettings:
    cohort = session.get(Cohort, pair.cohort_id) if pair.cohort_id else None
    return settings_of(cohort)


def _journey(session: Session, pair: Pair) -> PairJourney:
    journey = store.get_journey(session=session, pair_id=int(pair.id or 0))
    if journey is None:
        raise LookupError(f"pair {pair.id} was never started")
    return journey


def partner_of(pair: Pair, user_id: str) -> str:
    """The other person of the pair."""
    return pair.mentor_user_id if user_id == pair.mentee_user_id else pair.mentee_user_id


def role_in(pair: Pair, user_id: str) -> str:
    """'mentee' or 'mentor'."""
    return "mentee" if user_id == pair.mentee_user_id else "mentor"


def is_member(pair: Pair, user_id: str) -> bool:
    """Whether the person is one of the two."""
    return user_id in (pair.mentee_user_id, pair.mentor_user_id)


def _coordinator_targets(services: Services) -> list[str]:
    targets = sorted(services.settings.coordinator_ids)
    channel = getattr(services.settings, "coordinator_channel", "")
    return targets or ([channel] if channel else [])


def _post(services: Services, team_id: str, channel: str, message: dict[str, Any]) -> None:
    """Send now, or right after the acknowledgement while a submission is being stored (``bot.deferred``)."""
    if not channel:
        return

    def send() -> None:
        try:
            services.client_for(team_id).chat_postMessage(channel=channel, unfurl_links=False, **message)
        except SlackApiError as exc:
            log.warning("post failed channel=%s error=%s", channel, exc.response.get("error"))

    deferred.later(send)


def tell_coordinators(services: Services, team_id: str, text: str) -> None:
    """A private note to every coordinator (their own DMs in the pair's workspace)."""
    for target in _coordinator_targets(services):
        _post(services, team_id, target, {"text": text, "blocks": [views.section(text)]})


def _open_pair_channel(services: Services, pair: Pair) -> str:
    """The pair's group DM (conversations.open is idempotent in Slack: the same two people get the same one)."""
    response = services.client_for(pair.team_id).conversations_open(
        users=f"{pair.mentee_user_id},{pair.mentor_user_id}"
    )
    pair.channel_id = str((response.get("channel") or {}).get("id") or "")
    return pair.channel_id


def _mark_active(journey: PairJourney, user_id: str, now: datetime) -> None:
    last = dict(journey.last_active or {})
    last[user_id] = now.isoformat()
    journey.last_active = last  # reassign: JSON columns track assignment, not mutation
    journey.updated_at = now


def _record_activity(
    session: Session, pair: Pair, journey: PairJourney, user_id: str, now: datetime, *, restore: bool
) -> None:
    """A sign of life: resets silence grading; ``restore`` also lifts an at-risk mark (a meeting, a check-in)."""
    _mark_active(journey, user_id, now)
    journey.last_activity_at = now
    journey.unanswered_checkins = 0
    journey.silent_stage = 0
    if restore and pair.status == "at_risk":
        pair.status = "active"
    cancel_prompts(session=session, team_id=pair.team_id, pair_id=int(pair.id or 0), kinds=[SILENT_FOLLOWUP], now=now)
    session.add(journey)
    session.add(pair)


def _schedule_next_checkin(
    session: Session, pair: Pair, journey: PairJourney, after: datetime
) -> ScheduledPrompt | None:
    due = pair_time(session, pair, after)
    if due >= journey.ends_at:
        return None
    journey.checkin_seq += 1
    session.add(journey)
    return schedule_prompt(
        session=session,
        team_id=pair.team_id,
        key=f"checkin:{pair.id}:{journey.checkin_seq}",
        kind=CHECKIN,
        due_at=due,
        recipient_user_id=pair.mentee_user_id,
        pair_id=pair.id,
        channel_id=pair.channel_id or None,
        payload={"cycle": journey.checkin_seq},
    )


def _replan_checkins(session: Session, pair: Pair, journey: PairJourney, start: datetime, now: datetime) -> None:
    """Cancel the pending check-in and plan the next one a cadence after ``start`` (never in the past)."""
    cancel_prompts(session=session, team_id=pair.team_id, pair_id=int(pair.id or 0), kinds=[CHECKIN], now=now)
    after = max(start + timedelta(days=journey.cadence_days), now + timedelta(days=1))
    _schedule_next_checkin(session, pair, journey, after)


def _schedule_closure(session: Session, pair: Pair, journey: PairJourney, due: datetime, *, early: bool) -> None:
    suffix = f"early:{journey.extensions}" if early else str(journey.extensions)
    schedule_prompt(
        session=session,
        team_id=pair.team_id,
        key=f"closure:{pair.id}:{suffix}",
        kind=CLOSURE,
        due_at=due,
        recipient_user_id=pair.mentee_user_id,
        pair_id=pair.id,
        channel_id=pair.channel_id or None,
        payload={"early": early},
    )


# ---------------------------------------------------------------------- kickoff and the plan


def start_pair(*, session: Session, services: Services, pair: Pair, now: datetime) -> PairJourney:
    """Open the pair's group DM and plan their program; safe to call again (retries, restarts).

    Schedules the kickoff (key ``kickoff:{pair_id}``, due now), a goals reminder, the first check-in,
    the pulse surveys, the halfway milestone and the closure. Each is idempotent on its key. Commits.

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
    cfg = _settings(session, pair)
    journey = store.get_journey(session=session, pair_id=pair.id) or store.create_journey(
        session=session,
        team_id=pair.team_id,
        pair_id=pair.id,
        started_at=now,
        ends_at=now + timedelta(days=cfg.duration_days),
        cadence_days=cfg.checkin_cadence_days,
    )
    if not pair.channel_id:
        try:
            _open_pair_channel(services, pair)
        except SlackApiError as exc:  # the kickoff renderer tries again
            log.warning("conversations.open failed pair=%s error=%s", pair.id, exc.response.get("error"))
        session.add(pair)
    started = journey.started_at
    common = {"session": session, "team_id": pair.team_id, "pair_id": pair.id}
    schedule_prompt(
        **common,
        key=f"kickoff:{pair.id}",
        kind=KICKOFF,
        due_at=now,
        recipient_user_id=pair.mentee_user_id,
        channel_id=pair.channel_id or None,
    )
    schedule_prompt(
        **common,
        key=f"goals_reminder:{pair.id}",
        kind=GOALS_REMINDER,
        due_at=pair_time(session, pair, started + timedelta(days=cfg.goals_reminder_days)),
        recipient_user_id=pair.mentee_user_id,
        channel_id=pair.channel_id or None,
    )
    if journey.checkin_seq == 0:
        _schedule_next_checkin(session, pair, journey, started + timedelta(days=journey.cadence_days))
    duration = journey.ends_at - started
    for n, offset in enumerate(planning.survey_offsets(duration.days, cfg.first_survey_days, cfg.survey_every_days), 1):
        for user_id in (pair.mentee_user_id, pair.mentor_user_id):
            schedule_prompt(
                **common,
                key=f"survey:{pair.id}:{user_id}:pulse:{n}",
                kind=SURVEY,
                due_at=person_time(session, pair, user_id, started + timedelta(days=offset)),
                recipient_user_id=user_id,
                payload={"survey_key": f"pulse:{n}", "closing": False},
            )
    schedule_prompt(
        **common,
        key=f"halfway:{pair.id}",
        kind=HALFWAY,
        due_at=pair_time(session, pair, started + duration / 2),
        recipient_user_id=pair.mentee_user_id,
        channel_id=pair.channel_id or None,
    )
    _schedule_closure(session, pair, journey, pair_time(session, pair, journey.ends_at), early=False)
    session.commit()
    log.info("pair started pair=%s channel=%s ends=%s", pair.id, pair.channel_id, journey.ends_at.date())
    return journey


def _overlap_lines(mentee: Person, mentor: Person, mentee_id: str, mentor_id: str, now: datetime) -> list[str]:
    monday = datetime.combine(now.date() - timedelta(days=now.weekday()), time(), tzinfo=UTC) + timedelta(weeks=1)
    shared = planning.shared_windows_local(mentee, mentor, monday)
    lines = []
    for user_id, person in ((mentee_id, mentee), (mentor_id, mentor)):
        groups: dict[str, list[str]] = {}
        for begin, end in shared:
            local_b, local_e = begin.astimezone(ZoneInfo(person.tz)), end.astimezone(ZoneInfo(person.tz))
            groups.setdefault(f"{local_b:%H:%M}-{local_e:%H:%M}", []).append(f"{local_b:%a}")
        if not groups:
            continue
        parts = [f"{'/'.join(dict.fromkeys(days))} {span}" for span, days in groups.items()]
        lines.append(f"• <@{user_id}> ({person.tz}): {', '.join(parts)}")
    return lines


def render_kickoff(services: Services, session: Session, prompt: ScheduledPrompt, now: datetime) -> Outgoing | None:
    """The introduction in the pair's group DM."""
    pair = session.get(Pair, prompt.pair_id)
    if pair is None or pair.status == "closed":
        return None
    if not pair.channel_id:
        _open_pair_channel(services, pair)
        session.add(pair)
    journey = _journey(session, pair)
    mentee, mentor = _persons(session, pair)
    message = views.kickoff_message(
        pair_id=int(pair.id or 0),
        mentee_id=pair.mentee_user_id,
        mentor_id=pair.mentor_user_id,
        reasons=list(pair.reasons or []),
        overlap_lines=_overlap_lines(mentee, mentor, pair.mentee_user_id, pair.mentor_user_id, now),
        ends_on=journey.ends_at.date(),
    )
    return Outgoing(channel=pair.channel_id, **_with_library(services, session, pair, message, now, share=True))


def _with_library(
    services: Services, session: Session, pair: Pair, message: dict[str, Any], now: datetime, *, share: bool = False
) -> dict[str, Any]:
    """Append up to 3 library resources matching the pair's goals that they have not seen (and a Share button)."""
    from bot.knowledge import resource_suggestion_blocks, suggest_resources
    from bot.views.knowledge import share_button

    pair_id = int(pair.id or 0)
    resources = suggest_resources(
        session=session, team_id=pair.team_id, pair_id=pair_id, taxonomy=services.taxonomy, now=now
    )
    extra = resource_suggestion_blocks(resources)
    if share:
        extra.append(views.actions(share_button(pair_id)))
    if not extra:
        return message
    return {**message, "blocks": [*(message.get("blocks") or []), *extra][:50]}


def render_goals_reminder(
    services: Services, session: Session, prompt: ScheduledPrompt, now: datetime
) -> Outgoing | None:
    """A gentle reminder when no goals were set within a week."""
    pair = session.get(Pair, prompt.pair_id)
    if pair is None or pair.status not in OPEN or store.get_goals(session=session, pair_id=int(pair.id or 0)):
        return None
    return Outgoing(channel=pair.channel_id, **views.goals_reminder_message(pair_id=int(pair.id or 0)))


# ---------------------------------------------------------------------- check-ins and silence


def checkin_text(*, pair_id: int, cycle: int, stage: str, silent: bool = False) -> str:
    """The check-in's words: varied by stage, chosen deterministically from the pair and the cycle."""
    texts = SILENT_TEXTS if silent else CHECKIN_TEXTS[stage]
    return texts[(pair_id + cycle) % len(texts)]


def _is_silent(journey: PairJourney, now: datetime) -> bool:
    """Two cycles without a meeting or an answered check-in."""
    since = journey.last_activity_at or journey.started_at
    cadence = timedelta(days=journey.cadence_days)
    return journey.unanswered_checkins >= 1 and now - since >= 2 * cadence - cadence / 4


def render_checkin(services: Services, session: Session, prompt: ScheduledPrompt, now: datetime) -> Outgoing | None:
    """The check-in in the pair DM ("Did you meet since last time?"), or the nudge to a silent pair."""
    pair = session.get(Pair, prompt.pair_id)
    if pair is None or pair.status not in OPEN:
        return None
    journey = _journey(session, pair)
    cycle = int((prompt.payload or {}).get("cycle", journey.checkin_seq))
    silent = _is_silent(journey, now) and journey.silent_stage == 0
    stage = planning.stage_of(now - journey.started_at, journey.ends_at - journey.started_at)
    text = checkin_text(pair_id=int(pair.id or 0), cycle=cycle, stage=stage, silent=silent)
    message = views.checkin_message(pair_id=int(pair.id or 0), text=text)
    return Outgoing(channel=pair.channel_id, **_with_library(services, session, pair, message, now))


def after_checkin(services: Services, session: Session, prompt: ScheduledPrompt, now: datetime) -> None:
    """Count the unanswered check-in, start silence grading when due, and plan the next check-in."""
    pair = session.get(Pair, prompt.pair_id)
    if pair is None:
        return
    journey = _journey(session, pair)
    if _is_silent(journey, now) and journey.silent_stage == 0:
        journey.silent_stage = 1
        schedule_prompt(
            session=session,
            team_id=pair.team_id,
            key=f"silent:{pair.id}:{journey.checkin_seq}",
            kind=SILENT_FOLLOWUP,
            due_at=pair_time(session, pair, now + timedelta(days=7)),
            recipient_user_id=pair.mentee_user_id,
            pair_id=pair.id,
        )
    journey.unanswered_checkins += 1
    session.add(journey)
    _schedule_next_checkin(session, pair, journey, now + timedelta(days=journey.cadence_days))


def _last_seen(journey: PairJourney, user_id: str) -> str:
    seen = (journey.last_active or {}).get(user_id)
    return f"last active {datetime.fromisoformat(seen):%d %b}" if seen else "no response since the kickoff"


def render_silent_followup(
    services: Services, session: Session, prompt: ScheduledPrompt, now: datetime
) -> list[Outgoing] | None:
    """A week after the nudge: a private "still able to continue?" to each, and who went quiet to coordinators."""
    pair = session.get(Pair, prompt.pair_id)
    if pair is None or pair.status not in OPEN:
        return None
    journey = _journey(session, pair)
    if journey.silent_stage != 1:
        return None
    out = [
        Outgoing(
            channel=user_id,
            **views.continue_check_message(pair_id=int(pair.id or 0), partner_id=partner_of(pair, user_id)),
        )
        for user_id in (pair.mentee_user_id, pair.mentor_user_id)
    ]
    return out


def _quiet_report(pair: Pair, journey: PairJourney, now: datetime) -> str:
    weeks = (now - (journey.last_activity_at or journey.started_at)).days // 7
    return (
        f":warning: Private: the pair <@{pair.mentee_user_id}> (mentee) and <@{pair.mentor_user_id}> (mentor) has "
        f"logged no meeting and answered no check-in for {weeks} weeks.\n"
        f"• Mentee <@{pair.mentee_user_id}>: {_last_seen(journey, pair.mentee_user_id)}\n"
        f"• Mentor <@{pair.mentor_user_id}>: {_last_seen(journey, pair.mentor_user_id)}\n"
        "I've asked each of them privately whether they can continue, and marked the pair *at risk*. "
        "Nothing is closed unless you or the pair decide."
    )


def after_silent_followup(services: Services, session: Session, prompt: ScheduledPrompt, now: datetime) -> None:
    """The pair is now at risk on the coordinators' view (never closed automatically)."""
    pair = session.get(Pair, prompt.pair_id)
    if pair is None or pair.status == "closed":
        return
    journey = _journey(session, pair)
    journey.silent_stage = 2
    if pair.status == "active":
        pair.status = "at_risk"
    session.add(journey)
    session.add(pair)
    # One outbox row per coordinator: each is delivered (and retried) on its own, never twice.
    report = _quiet_report(pair, journey, now)
    for target in _coordinator_targets(services):
        schedule_prompt(
            session=session,
            team_id=pair.team_id,
            key=f"coordinator:{prompt.idempotency_key}:{target}",
            kind=COORDINATOR_NOTE,
            due_at=now,
            recipient_user_id=target,
            pair_id=pair.id,
            payload={"text": report},
        )
    log.info("pair marked at risk pair=%s", pair.id)


# ---------------------------------------------------------------------- surveys, milestones, fit


def render_survey(services: Services, session: Session, prompt: ScheduledPrompt, now: datetime) -> Outgoing | None:
    """A survey invitation in the person's own DM."""
    pair = session.get(Pair, prompt.pair_id)
    payload = prompt.payload or {}
    closing = bool(payload.get("closing"))
    if pair is None or (pair.status not in OPEN and not closing) or not prompt.recipient_user_id:
        return None
    key = str(payload.get("survey_key", "pulse"))
    if store.has_answered(session=session, pair_id=int(pair.id or 0), user_id=prompt.recipient_user_id, survey_key=key):
        return None
    message = views.survey_invite_message(
        pair_id=int(pair.id or 0),
        survey_key=key,
        closing=closing,
        partner_id=partner_of(pair, prompt.recipient_user_id),
    )
    return Outgoing(channel=prompt.recipient_user_id, **message)


def render_halfway(services: Services, session: Session, prompt: ScheduledPrompt, now: datetime) -> Outgoing | None:
    """The halfway milestone."""
    pair = session.get(Pair, prompt.pair_id)
    if pair is None or pair.status not in OPEN:
        return None
    meetings, _ = store.meeting_totals(session=session, pair_id=int(pair.id or 0))
    text = (
        f":mountain: Halfway there! You've logged {meetings} meeting{'s' if meetings != 1 else ''} so far. "
        "A good moment to look back at your goals and adjust them if they've changed."
    )
    return Outgoing(channel=pair.channel_id, **views.milestone_message(text))


def render_fit_check(services: Services, session: Session, prompt: ScheduledPrompt, now: datetime) -> Outgoing | None:
    """The private fit check after the first meeting, in each person's own DM."""
    pair = session.get(Pair, prompt.pair_id)
    user_id = prompt.recipient_user_id or ""
    if pair is None or pair.status == "closed" or not user_id:
        return None
    if store.has_answered(session=session, pair_id=int(pair.id or 0), user_id=user_id, survey_key="fit"):
        return None
    message = views.fit_check_message(pair_id=int(pair.id or 0), partner_id=partner_of(pair, user_id))
    return Outgoing(channel=user_id, **message)


# ---------------------------------------------------------------------- closure


def render_closure(
    services: Services, session: Session, prompt: ScheduledPrompt, now: datetime
) -> list[Outgoing] | None:
    """The summary and the close / extend / continue choice in the DM; a closing survey and a mentor invitation."""
    pair = session.get(Pair, prompt.pair_id)
    if pair is None or pair.status == "closed":
        return None
    pair_id = int(pair.id or 0)
    meetings, minutes = store.meeting_totals(session=session, pair_id=pair_id)
    goals = store.get_goals(session=session, pair_id=pair_id)
    from storage.knowledge import shared_in_pair

    message = views.closure_message(
        pair_id=pair_id,
        meetings=meetings,
        minutes=minutes,
        goals=list(goals.goals) if goals else [],
        early=bool((prompt.payload or {}).get("early")),
        resources=[(r.title, r.url) for r in shared_in_pair(session=session, pair_id=pair_id)],
    )
    from bot.views.knowledge import alumni_invite_blocks

    message = {**message, "blocks": [*(message.get("blocks") or []), *alumni_invite_blocks(pair_id)][:50]}
    out = [Outgoing(channel=pair.channel_id, **message)]
    for user_id in (pair.mentee_user_id, pair.mentor_user_id):
        if not store.has_answered(session=session, pair_id=pair_id, user_id=user_id, survey_key="closing"):
            invite = views.survey_invite_message(
                pair_id=pair_id, survey_key="closing", closing=True, partner_id=partner_of(pair, user_id)
            )
            out.append(Outgoing(channel=user_id, **invite))
    mentee = participants.get_participant(session=session, team_id=pair.team_id, user_id=pair.mentee_user_id)
    if mentee is not None and mentee.role == "mentee":
        out.append(Outgoing(channel=pair.mentee_user_id, **views.become_mentor_message()))
    return out


def after_closure(services: Services, session: Session, prompt: ScheduledPrompt, now: datetime) -> None:
    """No more check-ins or pulse surveys once the closure prompt is out."""
    if prompt.pair_id is not None and prompt.team_id:
        cancel_prompts(
            session=session,
            team_id=prompt.team_id,
            pair_id=prompt.pair_id,
            kinds=[CHECKIN, SURVEY, GOALS_REMINDER, HALFWAY, SILENT_FOLLOWUP, CLOSURE],
            now=now,
        )


def render_coordinator_note(
    services: Services, session: Session, prompt: ScheduledPrompt, now: datetime
) -> Outgoing | None:
    """A private note to one coordinator (its text was written when it was scheduled)."""
    text = str((prompt.payload or {}).get("text") or "")
    if not text or not prompt.recipient_user_id:
        return None
    return Outgoing(channel=prompt.recipient_user_id, text=text, blocks=[views.section(text)])


def render_resume(services: Services, session: Session, prompt: ScheduledPrompt, now: datetime) -> Outgoing | None:
    """The planned end of a pause."""
    pair = session.get(Pair, prompt.pair_id)
    if pair is None or pair.status != "paused":
        return None
    text = ":arrow_forward: Welcome back! Your pause is over and check-ins pick up from today."
    return Outgoing(
        channel=pair.channel_id, text=text, blocks=[views.section(text), views.pair_buttons(int(pair.id or 0))]
    )


def after_resume(services: Services, session: Session, prompt: ScheduledPrompt, now: datetime) -> None:
    pair = session.get(Pair, prompt.pair_id)
    if pair is not None and pair.status == "paused":
        _resume(session, pair, _journey(session, pair), now)


def register_prompt_kinds() -> None:
    """Register every journey renderer with the outbox (idempotent)."""
    register_prompt_kind(KICKOFF, render_kickoff)
    register_prompt_kind(GOALS_REMINDER, render_goals_reminder)
    register_prompt_kind(CHECKIN, render_checkin, after_send=after_checkin)
    register_prompt_kind(SILENT_FOLLOWUP, render_silent_followup, after_send=after_silent_followup)
    register_prompt_kind(SURVEY, render_survey)
    register_prompt_kind(HALFWAY, render_halfway)
    register_prompt_kind(FIT_CHECK, render_fit_check)
    register_prompt_kind(CLOSURE, render_closure, after_send=after_closure)
    register_prompt_kind(RESUME, render_resume, after_send=after_resume)
    register_prompt_kind(COORDINATOR_NOTE, render_coordinator_note)


register_prompt_kinds()


# ---------------------------------------------------------------------- what people do (called from handlers)


def note_activity(*, session: Session, pair: Pair, user_id: str, now: datetime, restore: bool = True) -> None:
    """A check-in answered (or another sign of life). Commits."""
    _record_activity(session, pair, _journey(session, pair), user_id, now, restore=restore)
    session.commit()


def propose_goals(
    *, session: Session, services: Services, pair: Pair, user_id: str, form: forms.GoalsForm, now: datetime
) -> int:
    """Store goals proposed (or edited) by one person and ask the other to confirm in the DM. Commits.

    Returns:
        The goals' revision (the Confirm button carries it, so an old button cannot confirm newer goals).
    """
    pair_id = int(pair.id or 0)
    existing = store.get_goals(session=session, pair_id=pair_id)
    progress = {g["title"]: g.get("progress", "none") for g in (existing.goals if existing else [])}
    goals = []
    for item in form.goals:
        item.progress = progress.get(item.title, "none")
        goals.append(item.to_json())
    row = store.save_goals(
        session=session,
        team_id=pair.team_id,
        pair_id=pair_id,
        proposed_by=user_id,
        fields={
            "goals": goals,
            "growth_areas": form.growth_areas,
            "outcomes": form.outcomes,
            "cadence": form.cadence,
            "channel": form.channel,
            "mentor_commits": form.mentor_commits,
            "mentee_commits": form.mentee_commits,
        },
        now=now,
    )
    _record_activity(session, pair, _journey(session, pair), user_id, now, restore=False)
    session.commit()
    message = views.goals_proposal_message(
        pair_id=pair_id,
        revision=row.revision,
        proposer_id=user_id,
        confirmer_id=partner_of(pair, user_id),
        goals=goals,
        cadence=row.cadence,
        channel=row.channel,
        growth_areas=row.growth_areas,
        outcomes=row.outcomes,
        mentor_commits=row.mentor_commits,
        mentee_commits=row.mentee_commits,
    )
    _post(services, pair.team_id, pair.channel_id, message)
    return row.revision


def confirm_goals(
    *, session: Session, services: Services, pair: Pair, user_id: str, revision: int, now: datetime
) -> str:
    """The other person confirms. Returns 'confirmed', 'not_yours' (the proposer or an outsider), 'stale' or 'already'.

    A changed cadence re-plans the next check-in. Commits.
    """
    goals = store.get_goals(session=session, pair_id=int(pair.id or 0))
    if goals is None or goals.revision != revision:
        return "stale"
    if not is_member(pair, user_id) or user_id == goals.proposed_by:
        return "not_yours"
    if goals.status == "confirmed":
        return "already"
    goals.status, goals.confirmed_by, goals.confirmed_at = "confirmed", user_id, now
    session.add(goals)
    journey = _journey(session, pair)
    _record_activity(session, pair, journey, user_id, now, restore=False)
    cfg = _settings(session, pair)
    cadence = planning.cadence_days(goals.cadence, cfg.checkin_cadence_days)
    if cadence != journey.cadence_days:
        journey.cadence_days = cadence
        start = store.list_meetings(session=session, pair_id=int(pair.id or 0))
        _replan_checkins(session, pair, journey, start[-1].met_on if start else now, now)
    session.commit()
    label = views.CADENCE_LABELS.get(goals.cadence, goals.cadence).lower()
    _post(
        services,
        pair.team_id,
        pair.channel_id,
        views.milestone_message(
            f":white_check_mark: <@{user_id}> confirmed your goals. I'll check in {label}. "
            "You'll find them on your App Home."
        ),
    )
    return "confirmed"


def log_meeting(
    *, session: Session, services: Services, pair: Pair, user_id: str, form: forms.MeetingForm, now: datetime
) -> int:
    """Record a meeting: moves the next check-in, updates goal progress, celebrates milestones. Commits.

    Returns:
        The meeting's id.
    """
    pair_id = int(pair.id or 0)
    journey = _journey(session, pair)
    met_on = datetime.combine(form.met_on or now.date(), time(12), tzinfo=UTC)
    meeting = store.add_meeting(
        session=session,
        team_id=pair.team_id,
        pair_id=pair_id,
        logged_by=user_id,
        met_on=met_on,
        duration_minutes=form.duration,
        topics=form.topics,
        notes=form.notes,
        progress=form.progress,
        now=now,
    )
    _record_activity(session, pair, journey, user_id, now, restore=True)
    celebrations = []
    goals = store.get_goals(session=session, pair_id=pair_id)
    if goals is not None and form.progress:
        updated = [dict(g) for g in goals.goals]
        for index, value in form.progress.items():
            i = int(index)
            if i < len(updated):
                if value == "done" and updated[i].get("progress") != "done":
                    celebrations.append(f":trophy: Goal done: *{updated[i]['title']}*. Well earned!")
                updated[i]["progress"] = value
        goals.goals = updated
        session.add(goals)
    first = journey.first_meeting_at is None
    if first:
        journey.first_meeting_at = met_on
        celebrations.insert(0, ":tada: Your first meeting is logged. That's the hardest one done!")
        for person in (pair.mentee_user_id, pair.mentor_user_id):
            schedule_prompt(
                session=session,
                team_id=pair.team_id,
                key=f"fit:{pair_id}:{person}",
                kind=FIT_CHECK,
                due_at=now,
                recipient_user_id=person,
                pair_id=pair_id,
            )
    if pair.status in OPEN:
        _replan_checkins(session, pair, journey, met_on, now)
    session.commit()
    summary = f":memo: <@{user_id}> logged a meeting on {met_on:%a %d %b} ({form.duration} min)"
    summary += f": {form.topics}" if form.topics else "."
    _post(services, pair.team_id, pair.channel_id, views.milestone_message("\n".join([summary, *celebrations])))
    log.info("meeting logged pair=%s first=%s", pair_id, first)
    return int(meeting.id or 0)


def suggestion_lines(*, session: Session, pair: Pair, now: datetime) -> list[str]:
    """Three times in the pair's overlap, each shown in both people's local time."""
    mentee, mentor = _persons(session, pair)
    times = planning.suggest_times(now + timedelta(hours=2), mentee, mentor)
    return [
        f"• {planning.describe_local(t, mentee.tz)} for <@{pair.mentee_user_id}> ({mentee.tz}) · "
        f"{planning.describe_local(t, mentor.tz)} for <@{pair.mentor_user_id}> ({mentor.tz})"
        for t in times
    ]


def answer_not_yet(*, session: Session, services: Services, pair: Pair, user_id: str, now: datetime) -> list[str]:
    """'Not yet': counts as an answer and posts suggested times in the DM. Commits."""
    note_activity(session=session, pair=pair, user_id=user_id, now=now)
    lines = suggestion_lines(session=session, pair=pair, now=now)
    _post(services, pair.team_id, pair.channel_id, views.suggestions_message(lines=lines))
    return lines


def ask_for_help(*, session: Session, services: Services, pair: Pair, user_id: str, now: datetime) -> None:
    """'Need help': coordinators hear privately; the partner is not told. Commits."""
    note_activity(session=session, pair=pair, user_id=user_id, now=now, restore=False)
    tell_coordinators(
        services,
        pair.team_id,
        f":sos: Private: <@{user_id}> ({role_in(pair, user_id)} in the pair with <@{partner_of(pair, user_id)}>) "
        "asked for help from a check-in. Their partner has not been told.",
    )


def raise_concern(
    *, session: Session, services: Services, pair: Pair, user_id: str, text: str, source: str, now: datetime
) -> None:
    """'Something's not right' or 'Not a fit': coordinators hear privately, the person is offered a rematch.

    The words of a concern are stored first (coordinators only), so they survive a failed message.
    """
    if source == "concern":
        store.save_private_answer(
            session=session,
            team_id=pair.team_id,
            pair_id=int(pair.id or 0),
            respondent_user_id=user_id,
            respondent_role=role_in(pair, user_id),
            kind=AnswerKind.CONCERN,
            survey_key=f"concern:{now:%Y%m%dT%H%M%S.%f}",
            answers={"text": text} if text else {},
            now=now,
        )
        session.commit()
    what = "answered *Not a fit* after the first meeting" if source == "fit" else "said *something's not right*"
    note = (
        f":lock: Private: <@{user_id}> ({role_in(pair, user_id)} in the pair with <@{partner_of(pair, user_id)}>) "
        f"{what}. Their partner has not been told."
    )
    if text:
        note += f"\n>{text}"
    tell_coordinators(services, pair.team_id, note)
    _post(services, pair.team_id, user_id, views.rematch_offer_message(pair_id=int(pair.id or 0)))
    log.info("concern raised pair=%s source=%s", pair.id, source)


def answer_fit(*, session: Session, services: Services, pair: Pair, user_id: str, answer: str, now: datetime) -> bool:
    """Store a private fit answer (good | unsure | not), once. 'not' reaches coordinators. Commits."""
    saved = store.save_private_answer(
        session=session,
        team_id=pair.team_id,
        pair_id=int(pair.id or 0),
        respondent_user_id=user_id,
        respondent_role=role_in(pair, user_id),
        kind="fit",
        survey_key="fit",
        answers={"fit": answer},
        now=now,
    )
    _mark_active(_journey(session, pair), user_id, now)
    session.commit()
    if saved and answer == "not":
        raise_concern(session=session, services=services, pair=pair, user_id=user_id, text="", source="fit", now=now)
    return saved


def accept_rematch(*, session: Session, services: Services, pair: Pair, user_id: str) -> bool:
    """The person wants a confidential rematch: first in line next round; coordinators told. Commits."""
    participant = participants.get_participant(session=session, team_id=pair.team_id, user_id=user_id)
    if participant is None:
        return False
    participant.priority = True
    session.add(participant)
    session.commit()
    tell_coordinators(
        services,
        pair.team_id,
        f":arrows_counterclockwise: Private: <@{user_id}> accepted a confidential rematch (pair #{pair.id} with "
        f"<@{partner_of(pair, user_id)}>). They're first in line next round; please close the current pair.",
    )
    return True


def answer_continue(
    *, session: Session, services: Services, pair: Pair, user_id: str, answer: str, now: datetime
) -> None:
    """The private 'still able to continue?' answer (yes | pause | stop): coordinators hear it. Commits."""
    journey = _journey(session, pair)
    if answer == "yes":
        _record_activity(session, pair, journey, user_id, now, restore=False)
    else:
        _mark_active(journey, user_id, now)
        session.add(journey)
    session.commit()
    said = {"yes": "can continue", "pause": "needs a pause", "stop": "would like to stop"}.get(answer, answer)
    tell_coordinators(
        services,
        pair.team_id,
        f":speech_balloon: Private: <@{user_id}> ({role_in(pair, user_id)} in pair #{pair.id}) says they {said}.",
    )
    if answer == "pause":
        pause_pair(session=session, services=services, pair=pair, user_id=user_id, until=None, now=now)


def submit_survey(
    *, session: Session, pair: Pair, user_id: str, survey_key: str, form: forms.SurveyForm, now: datetime
) -> bool:
    """Store a person's survey answers (never shown to the partner); False for a repeat. Commits."""
    saved = store.save_private_answer(
        session=session,
        team_id=pair.team_id,
        pair_id=int(pair.id or 0),
        respondent_user_id=user_id,
        respondent_role=role_in(pair, user_id),
        kind="closing" if survey_key.startswith("closing") else "pulse",
        survey_key=survey_key[:64],
        satisfaction=form.satisfaction,
        recommend=form.recommend,
        answers={"comment": form.free} if form.free else {},
        now=now,
    )
    session.commit()
    log.info("survey stored pair=%s key=%s new=%s", pair.id, survey_key, saved)  # never the answers
    return saved


def submit_reflection(
    *, session: Session, services: Services, pair: Pair, user_id: str, form: forms.ReflectionForm, now: datetime
) -> bool:
    """Store a reflection; the thank-you note goes to the other person's DM. Commits."""
    saved = store.save_reflection(
        session=session,
        team_id=pair.team_id,
        pair_id=int(pair.id or 0),
        user_id=user_id,
        achieved=form.achieved,
        learned=form.learned,
        thanks=form.thanks,
        now=now,
    )
    session.commit()
    if saved and form.thanks:
        text = f":sparkling_heart: A thank-you note from <@{user_id}>:\n>{form.thanks}"
        _post(services, pair.team_id, partner_of(pair, user_id), views.milestone_message(text))
    return saved


def mark_goals_achieved(*, session: Session, services: Services, pair: Pair, user_id: str, now: datetime) -> bool:
    """One person says the goals are reached; when both have, the closure comes now. Commits.

    Returns:
        True when this click completed the pair's agreement.
    """
    journey = _journey(session, pair)
    marked = set(journey.goals_achieved_by or [])
    if user_id in marked:
        return False
    marked.add(user_id)
    journey.goals_achieved_by = sorted(marked)
    _record_activity(session, pair, journey, user_id, now, restore=True)
    both = {pair.mentee_user_id, pair.mentor_user_id} <= marked
    if both:
        cancel_prompts(session=session, team_id=pair.team_id, pair_id=int(pair.id or 0), kinds=[CLOSURE], now=now)
        _schedule_closure(session, pair, journey, now, early=True)
    session.commit()
    if not both:
        _post(
            services,
            pair.team_id,
            pair.channel_id,
            views.milestone_message(
                f":dart: <@{user_id}> thinks you've reached your goals. <@{partner_of(pair, user_id)}>, "
                "if you agree, click *We've reached our goals* too and I'll help you wrap up."
            ),
        )
    return both


def close_pair(*, session: Session, services: Services, pair: Pair, reason: str, now: datetime, by: str = "") -> bool:
    """Close the pair: prompts cancelled, mentor capacity freed, the row kept so the two are not paired again.

    Commits. Returns False when it was already closed.
    """
    if pair.status == "closed":
        return False
    pair.status, pair.closed_at, pair.close_reason = "closed", now, reason[:64]
    session.add(pair)
    cancel_prompts(session=session, team_id=pair.team_id, pair_id=int(pair.id or 0), now=now)
    session.commit()
    log.info("pair closed pair=%s reason=%s", pair.id, reason)
    return True


def choose_closure(
    *, session: Session, services: Services, pair: Pair, user_id: str, choice: str, now: datetime
) -> str:
    """Close, extend by the cohort's extension (3 months), or continue informally. Returns what happened."""
    if pair.status == "closed":
        return "already_closed"
    journey = _journey(session, pair)
    journey.closure_choice, journey.closure_choice_by = choice, user_id
    session.add(journey)
    if choice == "extend":
        cfg = _settings(session, pair)
        journey.extensions += 1
        journey.ends_at = max(journey.ends_at, now) + timedelta(days=cfg.extension_days)
        journey.goals_achieved_by = []
        if pair.status == "paused":
            pair.status = "active"
        _schedule_closure(session, pair, journey, pair_time(session, pair, journey.ends_at), early=False)
        _replan_checkins(session, pair, journey, now, now)
        session.commit()
        _post(
            services,
            pair.team_id,
            pair.channel_id,
            views.milestone_message(
                f":calendar: <@{user_id}> extended your mentorship to *{journey.ends_at:%d %B %Y}*. "
                "Check-ins continue as before."
            ),
        )
        return "extended"
    reason = "informal" if choice == "informal" else "completed"
    close_pair(session=session, services=services, pair=pair, reason=reason, now=now, by=user_id)
    text = (
        f":handshake: <@{user_id}> chose to continue informally. The program steps back: no more check-ins. "
        "Keep meeting whenever you like!"
        if choice == "informal"
        else f":wave: <@{user_id}> closed your mentorship. Thank you both for taking part!"
    )
    _post(services, pair.team_id, pair.channel_id, views.milestone_message(text))
    return "closed"


def become_mentor(*, session: Session, team_id: str, user_id: str, role: str) -> bool:
    """A closing mentee signs up as a mentor (or both) for the next cohort. Commits."""
    participant = participants.get_participant(session=session, team_id=team_id, user_id=user_id)
    if participant is None or role not in ("mentor", "both"):
        return False
    participant.role = role
    if participant.status == "departed":
        participant.status = "active"
    session.add(participant)
    session.commit()
    return True


# ---------------------------------------------------------------------- pause and resume


def pause_pair(
    *, session: Session, services: Services, pair: Pair, user_id: str, until: date | None, now: datetime
) -> bool:
    """Pause the pair: pending prompts move (to the resume date, or parked until someone resumes). Commits."""
    if pair.status not in OPEN:
        return False
    journey = _journey(session, pair)
    journey.paused_at, journey.paused_from_status = now, pair.status
    pair.status = "paused"
    if until is not None:
        mentee = _persons(session, pair)[0]
        resume_at = max(planning.local_instant(until, 9 * 60, mentee.tz), now)
        shift = resume_at - now
        journey.resume_at = resume_at
        schedule_prompt(
            session=session,
            team_id=pair.team_id,
            key=f"resume:{pair.id}:{int(now.timestamp())}",
            kind=RESUME,
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
    _mark_active(journey, user_id, now)
    session.add_all([pair, journey])
    session.commit()
    when = f"until *{until:%a %d %B}*" if until else "until one of you resumes"
    text = f":double_vertical_bar: <@{user_id}> paused your mentorship {when}. Check-ins stop meanwhile."
    _post(
        services,
        pair.team_id,
        pair.channel_id,
        {"text": text, "blocks": [views.section(text), views.pair_buttons(int(pair.id or 0), paused=True)]},
    )
    return True


def _resume(session: Session, pair: Pair, journey: PairJourney, now: datetime) -> None:
    paused_at = journey.paused_at or now
    paused_for = max(now - paused_at, timedelta(0))
    correction = paused_for - timedelta(seconds=journey.pause_shift_seconds)
    pair_id = int(pair.id or 0)
    shift_prompts(session=session, team_id=pair.team_id, pair_id=pair_id, delta=correction, kinds=SHIFTABLE, now=now)
    cancel_prompts(session=session, team_id=pair.team_id, pair_id=pair_id, kinds=[RESUME], now=now)
    journey.ends_at += paused_for
    pair.status = journey.paused_from_status if journey.paused_from_status in OPEN else "active"
    # The shifted check-in keeps its place in the cycle but must land in working hours again.
    pending = [p for p in upcoming_prompts(session=session, team_id=pair.team_id, pair_id=pair_id) if p.kind == CHECKIN]
    if pending:
        cancel_prompts(session=session, team_id=pair.team_id, pair_id=pair_id, kinds=[CHECKIN], now=now)
        _schedule_next_checkin(session, pair, journey, max(pending[0].due_at, now))
    journey.paused_at = journey.resume_at = None
    journey.pause_shift_seconds = 0
    session.add_all([pair, journey])


def resume_pair(*, session: Session, services: Services, pair: Pair, user_id: str, now: datetime) -> bool:
    """Resume a paused pair: the schedule continues from today. Commits."""
    if pair.status != "paused":
        return False
    journey = _journey(session, pair)
    _resume(session, pair, journey, now)
    _mark_active(journey, user_id, now)
    session.commit()
    text = f":arrow_forward: <@{user_id}> resumed your mentorship. Check-ins pick up from today."
    _post(
        services,
        pair.team_id,
        pair.channel_id,
        {"text": text, "blocks": [views.section(text), views.pair_buttons(int(pair.id or 0))]},
    )
    return True


# ---------------------------------------------------------------------- reading


@dataclass
class PairSummary:
    """What a person's App Home shows about one pair."""

    pair: Pair
    partner_id: str
    role: str
    goals: list[dict[str, Any]]
    goals_status: str
    meetings: int
    next_checkin: datetime | None
    ends_at: datetime


def summaries_for(*, session: Session, team_id: str, user_id: str) -> list[PairSummary]:
    """The person's open pairs with goals, meetings and the next check-in."""
    out = []
    for pair in store.open_pairs_of(session=session, team_id=team_id, user_id=user_id):
        journey = store.get_journey(session=session, pair_id=int(pair.id or 0))
        if journey is None:
            continue
        goals = store.get_goals(session=session, pair_id=int(pair.id or 0))
        upcoming = upcoming_prompts(session=session, team_id=team_id, pair_id=pair.id)
        checkin = next((p.due_at for p in upcoming if p.kind == CHECKIN), None)
        out.append(
            PairSummary(
                pair=pair,
                partner_id=partner_of(pair, user_id),
                role=role_in(pair, user_id),
                goals=list(goals.goals) if goals else [],
                goals_status=goals.status if goals else "",
                meetings=store.meeting_totals(session=session, pair_id=int(pair.id or 0))[0],
                next_checkin=checkin,
                ends_at=journey.ends_at,
            )
        )
    return out


def home_blocks(*, session: Session, team_id: str, user_id: str, tz: str = "UTC") -> list[dict[str, Any]]:
    """App Home blocks: each open pair with goals and progress, next check-in, and log / goals / pause buttons."""
    blocks: list[dict[str, Any]] = []
    for s in summaries_for(session=session, team_id=team_id, user_id=user_id):
        if s.pair.status == "paused":
            nxt = "paused"
        elif s.next_checkin is None:
            nxt = "none planned"
        else:
            nxt = f"{s.next_checkin.astimezone(ZoneInfo(tz)):%a %d %b, %H:%M}"
        blocks += views.home_pair_section(
            pair_id=int(s.pair.id or 0),
            partner_id=s.partner_id,
            my_role=s.role,
            status=s.pair.status,
            goals=s.goals,
            goals_status=s.goals_status,
            next_checkin=nxt,
            meetings=s.meetings,
            ends_on=s.ends_at.date(),
        )
    return blocks


def schedule_lines(*, session: Session, team_id: str, user_id: str, limit: int = 20) -> list[str]:
    """A coordinator's preview of a person's pairs' upcoming prompts (soonest first)."""
    lines = []
    pairs = store.open_pairs_of(session=session, team_id=team_id, user_id=user_id)
    for pair in pairs:
        lines.append(
            f"*Pair #{pair.id}*: <@{pair.mentee_user_id}> (mentee) with <@{pair.mentor_user_id}> (mentor)"
            f" · {pair.status}"
        )
        prompts = upcoming_prompts(session=session, team_id=team_id, pair_id=pair.id, limit=limit)
        if not prompts:
            lines.append("  _nothing scheduled_")
        for prompt in prompts:
            to = "the pair DM" if prompt.kind in PAIR_DM_KINDS else f"<@{prompt.recipient_user_id}> privately"
            lines.append(f"• {prompt.due_at:%Y-%m-%d %H:%M} UTC · {prompt.kind.removeprefix('pair.')} → {to}")
    return lines


def pairs_of(*, session: Session, team_id: str, user_id: str) -> list[Pair]:
    """The person's open pairs (as mentee or mentor)."""
    return store.open_pairs_of(session=session, team_id=team_id, user_id=user_id)


def as_iterable(value: Outgoing | Iterable[Outgoing] | None) -> list[Outgoing]:
    """Normalise a renderer's result (tests and the demo)."""
    if value is None:
        return []
    return [value] if isinstance(value, Outgoing) else list(value)
