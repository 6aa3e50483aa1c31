"""Check-ins and silence: "Did you meet since last time?", meetings logged, times suggested, and what happens
when a pair goes quiet (a nudge, a private "can you continue?", coordinators told, the pair marked at risk).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, time, timedelta

from sqlmodel import Session

from bot.coordinators import coordinator_targets, tell_coordinators
from bot.lifecycle import forms, planning
from bot.lifecycle.kickoff import with_library
from bot.lifecycle.pairs import (
    OPEN,
    cohort_settings,
    journey_of,
    mark_active,
    pair_time,
    partner_of,
    post,
    record_activity,
    role_in,
)
from bot.lifecycle.plan import replan_checkins, schedule_next_checkin
from bot.outbox import Outgoing, schedule_prompt
from bot.pair_control import schedule_inactive_close, silent_note_blocks
from bot.services import Services
from bot.views import journey as views
from bot.views.blocks import escape
from bot.views.words import counted
from storage import journey as store
from storage.models import Pair, PairJourney, ScheduledPrompt
from storage.vocab import (
    AnswerKind,
    CheckinOutcome,
    ContinueAnswer,
    CoordinatorNote,
    GoalProgress,
    PairStatus,
    PromptKind,
)

log = logging.getLogger(__name__)

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


def checkin_text(*, pair_id: int, cycle: int, stage: str, silent: bool = False) -> str:
    """The check-in's words: varied by stage, chosen deterministically from the pair and the cycle."""
    texts = SILENT_TEXTS if silent else CHECKIN_TEXTS[stage]
    return texts[(pair_id + cycle) % len(texts)]


def is_silent(journey: PairJourney, now: datetime) -> bool:
    """Two cycles without a meeting or an answered check-in."""
    since = journey.last_activity_at or journey.started_at
    cadence = timedelta(days=journey.cadence_days)
    return journey.unanswered_checkins >= 1 and now - since >= 2 * cadence - cadence / 4


# ---------------------------------------------------------------------- renderers


def render_checkin(services: Services, session: Session, prompt: ScheduledPrompt, now: datetime) -> Outgoing | None:
    """The check-in in the pair DM ("Did you meet since last time?"), or the nudge to a silent pair."""
    pair = session.get(Pair, prompt.pair_id)
    if pair is None or pair.status not in OPEN:
        return None
    journey = journey_of(session, pair)
    cycle = int((prompt.payload or {}).get("cycle", journey.checkin_seq))
    silent = is_silent(journey, now) and journey.silent_stage == 0
    stage = planning.stage_of(now - journey.started_at, journey.ends_at - journey.started_at)
    text = checkin_text(pair_id=int(pair.id or 0), cycle=cycle, stage=stage, silent=silent)
    message = views.checkin_message(pair_id=int(pair.id or 0), text=text)
    return Outgoing(channel=pair.channel_id, **with_library(services, session, pair, message, now))


def after_checkin(services: Services, session: Session, prompt: ScheduledPrompt, now: datetime) -> None:
    """Count the unanswered check-in, start silence grading when due, and plan the next check-in."""
    pair = session.get(Pair, prompt.pair_id)
    if pair is None:
        return
    journey = journey_of(session, pair)
    if is_silent(journey, now) and journey.silent_stage == 0:
        journey.silent_stage = 1
        schedule_prompt(
            session=session,
            team_id=pair.team_id,
            key=f"silent:{pair.id}:{journey.checkin_seq}",
            kind=PromptKind.SILENT_FOLLOWUP,
            due_at=pair_time(session, pair, now + timedelta(days=7)),
            recipient_user_id=pair.mentee_user_id,
            pair_id=pair.id,
        )
    journey.unanswered_checkins += 1
    session.add(journey)
    cycle = int((prompt.payload or {}).get("cycle", journey.checkin_seq))
    store.record_checkin_sent(session=session, team_id=pair.team_id, pair_id=int(pair.id or 0), seq=cycle, now=now)
    schedule_next_checkin(session, pair, journey, now + timedelta(days=journey.cadence_days))


def render_silent_followup(
    services: Services, session: Session, prompt: ScheduledPrompt, now: datetime
) -> list[Outgoing] | None:
    """A week after the nudge: a private "still able to continue?" to each, and who went quiet to coordinators."""
    pair = session.get(Pair, prompt.pair_id)
    if pair is None or pair.status not in OPEN:
        return None
    journey = journey_of(session, pair)
    if journey.silent_stage != 1:
        return None
    return [
        Outgoing(
            channel=user_id,
            **views.continue_check_message(pair_id=int(pair.id or 0), partner_id=partner_of(pair, user_id)),
        )
        for user_id in (pair.mentee_user_id, pair.mentor_user_id)
    ]


def _last_seen(journey: PairJourney, user_id: str) -> str:
    seen = (journey.last_active or {}).get(user_id)
    return f"last active {datetime.fromisoformat(seen):%d %b}" if seen else "no response since the kickoff"


def quiet_report(pair: Pair, journey: PairJourney, now: datetime, close_after_weeks: int | None = None) -> str:
    """The coordinators' private note about a pair that went quiet (and what the cohort does next, if anything)."""
    weeks = (now - (journey.last_activity_at or journey.started_at)).days // 7
    inactive = counted(weeks, "week")
    return (
        f":warning: Private: the pair <@{pair.mentee_user_id}> (mentee) and <@{pair.mentor_user_id}> (mentor) has "
        f"been inactive for {inactive}: no meeting logged and no check-in answered.\n"
        f"• Mentee <@{pair.mentee_user_id}>: {_last_seen(journey, pair.mentee_user_id)}\n"
        f"• Mentor <@{pair.mentor_user_id}>: {_last_seen(journey, pair.mentor_user_id)}\n"
        "I've asked each of them privately whether they can continue, and marked the pair *at risk*. "
        + (
            f"This cohort closes pairs after {counted(close_after_weeks, 'week')} without activity: both are told a "
            "week before."
            if close_after_weeks
            else "Nothing is closed unless you or the pair decide."
        )
    )


def after_silent_followup(services: Services, session: Session, prompt: ScheduledPrompt, now: datetime) -> None:
    """The pair is now at risk on the coordinators' view (never closed automatically)."""
    pair = session.get(Pair, prompt.pair_id)
    if pair is None or pair.status == PairStatus.CLOSED:
        return
    journey = journey_of(session, pair)
    journey.silent_stage = 2
    if pair.status == PairStatus.ACTIVE:
        pair.status = PairStatus.AT_RISK
    session.add(journey)
    session.add(pair)
    # One outbox row per coordinator: each is delivered (and retried) on its own, never twice.
    report = quiet_report(pair, journey, now, cohort_settings(session, pair).close_inactive_after_weeks)
    schedule_inactive_close(session=session, pair=pair, journey=journey, now=now)
    for target in coordinator_targets(services, pair.team_id, session):
        schedule_prompt(
            session=session,
            team_id=pair.team_id,
            key=f"coordinator:{prompt.idempotency_key}:{target}",
            kind=PromptKind.COORDINATOR_NOTE,
            due_at=now,
            recipient_user_id=target,
            pair_id=pair.id,
            payload={"text": report, "note": CoordinatorNote.SILENT},
        )
    log.info("pair marked at risk pair=%s", pair.id)


def render_coordinator_note(
    services: Services, session: Session, prompt: ScheduledPrompt, now: datetime
) -> Outgoing | None:
    """A private note to one coordinator (its text was written when it was scheduled)."""
    text = str((prompt.payload or {}).get("text") or "")
    if not text or not prompt.recipient_user_id:
        return None
    blocks = None
    if (prompt.payload or {}).get("note") == CoordinatorNote.SILENT:  # with End / Rematch / Nudge again
        blocks = silent_note_blocks(session=session, pair_id=prompt.pair_id, text=text)
    return Outgoing(channel=prompt.recipient_user_id, text=text, blocks=blocks or [views.section(text)])


# ---------------------------------------------------------------------- what the pair does (called from handlers)


def note_activity(*, session: Session, pair: Pair, user_id: str, now: datetime, restore: bool = True) -> None:
    """A sign of life. Commits."""
    record_activity(session, pair, journey_of(session, pair), user_id, now, restore=restore)
    session.commit()


def answer_met(*, session: Session, pair: Pair, user_id: str, now: datetime) -> None:
    """'Yes, we met' on a check-in: the open check-in's outcome is *met* (the meeting modal follows). Commits."""
    store.answer_open_checkin(
        session=session, pair_id=int(pair.id or 0), outcome=CheckinOutcome.MET, user_id=user_id, now=now
    )
    note_activity(session=session, pair=pair, user_id=user_id, now=now)


def log_meeting(
    *, session: Session, services: Services, pair: Pair, user_id: str, form: forms.MeetingForm, now: datetime
) -> int:
    """Record a meeting: moves the next check-in, updates goal progress, celebrates milestones. Commits.

    Returns:
        The meeting's id.
    """
    pair_id = int(pair.id or 0)
    journey = journey_of(session, pair)
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
    record_activity(session, pair, journey, user_id, now, restore=True)
    store.answer_open_checkin(session=session, pair_id=pair_id, outcome=CheckinOutcome.MET, user_id=user_id, now=now)
    celebrations = []
    goals = store.get_goals(session=session, pair_id=pair_id)
    if goals is not None and form.progress:
        updated = [dict(g) for g in goals.goals]
        for index, value in form.progress.items():
            i = int(index)
            if i < len(updated):
                if value == GoalProgress.DONE and updated[i].get("progress") != GoalProgress.DONE:
                    celebrations.append(f":trophy: Goal done: *{escape(updated[i]['title'])}*. Well earned!")
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
                kind=PromptKind.FIT_CHECK,
                due_at=now,
                recipient_user_id=person,
                pair_id=pair_id,
            )
    if pair.status in OPEN:
        replan_checkins(session, pair, journey, met_on, now)
    session.commit()
    summary = f":memo: <@{user_id}> logged a meeting on {met_on:%a %d %b} ({form.duration} min)"
    summary += f": {escape(form.topics)}" if form.topics else "."
    post(services, pair.team_id, pair.channel_id, views.milestone_message("\n".join([summary, *celebrations])))
    log.info("meeting logged pair=%s first=%s", pair_id, first)
    return int(meeting.id or 0)


def answer_not_yet(*, session: Session, services: Services, pair: Pair, user_id: str, now: datetime) -> int:
    """'Not yet': the open check-in's outcome is *not yet*; three times to book go to the pair DM. Commits.

    Returns:
        The id of the proposal offered (its message goes out through the outbox).
    """
    from bot.scheduling import booking

    store.answer_open_checkin(
        session=session, pair_id=int(pair.id or 0), outcome=CheckinOutcome.NOT_YET, user_id=user_id, now=now
    )
    note_activity(session=session, pair=pair, user_id=user_id, now=now)
    proposal = booking.offer_times(session=session, pair=pair, user_id=user_id, now=now, reason="checkin")
    return int(proposal.id or 0)


def ask_for_help(*, session: Session, services: Services, pair: Pair, user_id: str, now: datetime) -> None:
    """'Need help': stored (coordinators count it, and the weekly digest lists it), coordinators hear privately;
    the partner is not told. Once per check-in. Commits."""
    records = store.checkin_records(session=session, pair_id=int(pair.id or 0))
    saved = store.save_private_answer(
        session=session,
        team_id=pair.team_id,
        pair_id=int(pair.id or 0),
        respondent_user_id=user_id,
        respondent_role=role_in(pair, user_id),
        kind=AnswerKind.HELP,
        survey_key=f"{AnswerKind.HELP}:{records[-1].seq if records else 0}",
        now=now,
    )
    note_activity(session=session, pair=pair, user_id=user_id, now=now, restore=False)
    if not saved:
        return
    tell_coordinators(
        services,
        pair.team_id,
        f":sos: Private: <@{user_id}> ({role_in(pair, user_id)} in the pair with <@{partner_of(pair, user_id)}>) "
        "asked for help from a check-in. Their partner has not been told.",
    )


def answer_continue(
    *, session: Session, services: Services, pair: Pair, user_id: str, answer: str, now: datetime
) -> None:
    """The private 'still able to continue?' answer (yes | pause | stop): coordinators hear it. Commits."""
    from bot.lifecycle.pause import pause_pair

    journey = journey_of(session, pair)
    if answer == ContinueAnswer.YES:
        record_activity(session, pair, journey, user_id, now, restore=False)
    else:
        mark_active(journey, user_id, now)
        session.add(journey)
    session.commit()
    said = {
        ContinueAnswer.YES: "can continue",
        ContinueAnswer.PAUSE: "needs a pause",
        ContinueAnswer.STOP: "would like to stop",
    }.get(answer, answer)
    tell_coordinators(
        services,
        pair.team_id,
        f":speech_balloon: Private: <@{user_id}> ({role_in(pair, user_id)} in pair #{pair.id}) says they {said}.",
    )
    if answer == ContinueAnswer.PAUSE:  # private: the pair DM hears nothing (the reply promised the partner isn't told)
        pause_pair(session=session, services=services, pair=pair, user_id=user_id, until=None, now=now, announce=False)
