"""The end of a pair: goals reached, the closing summary with its close / extend / continue choice, reflections
and thank-you notes, the invitation to mentor next time, and closing the pair."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlmodel import Session

from bot.lifecycle import forms
from bot.lifecycle.overview import meeting_notes
from bot.lifecycle.pairs import cohort_settings, journey_of, pair_time, partner_of, post, record_activity
from bot.lifecycle.plan import replan_checkins, schedule_closure
from bot.outbox import Outgoing, cancel_prompts, schedule_prompt
from bot.services import Services
from bot.views import journey as views
from bot.views.blocks import quote
from storage import journey as store
from storage import participants
from storage.models import Pair, ScheduledPrompt
from storage.vocab import (
    AnswerKind,
    CloseReason,
    ClosureChoice,
    FitAnswer,
    PairStatus,
    ParticipantStatus,
    PromptKind,
    Role,
    SurveyKey,
)

log = logging.getLogger(__name__)

CLOSE_AFTER_END = timedelta(days=14)  # how long a pair has to choose (close, extend, continue) after its end date


def render_closure(
    services: Services, session: Session, prompt: ScheduledPrompt, now: datetime
) -> list[Outgoing] | None:
    """The summary and the close / extend / continue choice in the DM; a closing survey and a mentor invitation."""
    from bot.views.knowledge import alumni_invite_blocks
    from storage.knowledge import shared_in_pair

    pair = session.get(Pair, prompt.pair_id)
    if pair is None or pair.status == PairStatus.CLOSED:
        return None
    pair_id = int(pair.id or 0)
    meetings, minutes = store.meeting_totals(session=session, pair_id=pair_id)
    goals = store.get_goals(session=session, pair_id=pair_id)
    message = views.closure_message(
        pair_id=pair_id,
        meetings=meetings,
        minutes=minutes,
        goals=list(goals.goals) if goals else [],
        early=bool((prompt.payload or {}).get("early")),
        resources=[(r.title, r.url) for r in shared_in_pair(session=session, pair_id=pair_id)],
        notes=meeting_notes(session=session, pair_id=pair_id),
        extension_days=cohort_settings(session, pair).extension_days,
    )
    message = {**message, "blocks": [*(message.get("blocks") or []), *alumni_invite_blocks(pair_id)][:50]}
    out = [Outgoing(channel=pair.channel_id, **message)]
    for user_id in (pair.mentee_user_id, pair.mentor_user_id):
        if not store.has_answered(session=session, pair_id=pair_id, user_id=user_id, survey_key=SurveyKey.CLOSING):
            invite = views.survey_invite_message(
                pair_id=pair_id, survey_key=SurveyKey.CLOSING, closing=True, partner_id=partner_of(pair, user_id)
            )
            out.append(Outgoing(channel=user_id, **invite))
    mentee = participants.get_participant(session=session, team_id=pair.team_id, user_id=pair.mentee_user_id)
    if mentee is not None and mentee.role == Role.MENTEE and _went_well(session, pair, meetings):
        out.append(Outgoing(channel=pair.mentee_user_id, **views.become_mentor_message()))
    return out


def _went_well(session: Session, pair: Pair, meetings: int) -> bool:
    """Whether to invite the mentee to mentor next time: they met, the pair is not silent, and nobody said
    "not a fit" (an invitation after a mismatch or months of silence reads as a form letter)."""
    if meetings <= 0 or pair.status == PairStatus.AT_RISK:
        return False
    answers = store.private_answers(session=session, team_id=pair.team_id, pair_id=int(pair.id or 0))
    return not any(a.kind == AnswerKind.FIT and (a.answers or {}).get("fit") == FitAnswer.NOT for a in answers)


def after_closure(services: Services, session: Session, prompt: ScheduledPrompt, now: datetime) -> None:
    """No more check-ins or pulse surveys once the closure prompt is out; a pair nobody closes ends by itself
    :data:`CLOSE_AFTER_END` after its end date."""
    if prompt.pair_id is not None and prompt.team_id:
        pair = session.get(Pair, prompt.pair_id)
        journey = store.get_journey(session=session, pair_id=prompt.pair_id)
        if pair is not None and journey is not None:
            schedule_prompt(
                session=session,
                team_id=pair.team_id,
                key=f"end:{pair.id}:{journey.extensions}",
                kind=PromptKind.PAIR_END,
                due_at=max(journey.ends_at, now) + CLOSE_AFTER_END,
                recipient_user_id=pair.mentee_user_id,
                pair_id=pair.id,
                channel_id=pair.channel_id or None,
                reschedule=True,
            )
        cancel_prompts(
            session=session,
            team_id=prompt.team_id,
            pair_id=prompt.pair_id,
            kinds=[
                PromptKind.CHECKIN,
                PromptKind.SURVEY,
                PromptKind.GOALS_REMINDER,
                PromptKind.HALFWAY,
                PromptKind.SILENT_FOLLOWUP,
                PromptKind.CLOSURE,
            ],
            now=now,
        )


def mark_goals_achieved(*, session: Session, services: Services, pair: Pair, user_id: str, now: datetime) -> bool:
    """One person says the goals are reached; when both have, the closure comes now. Commits.

    Returns:
        True when this click completed the pair's agreement.
    """
    journey = journey_of(session, pair)
    marked = set(journey.goals_achieved_by or [])
    if user_id in marked:
        return False
    marked.add(user_id)
    journey.goals_achieved_by = sorted(marked)
    record_activity(session, pair, journey, user_id, now, restore=True)
    both = {pair.mentee_user_id, pair.mentor_user_id} <= marked
    if both:
        cancel_prompts(
            session=session, team_id=pair.team_id, pair_id=int(pair.id or 0), kinds=[PromptKind.CLOSURE], now=now
        )
        schedule_closure(session, pair, journey, now, early=True)
    session.commit()
    if not both:
        post(
            services,
            pair.team_id,
            pair.channel_id,
            views.milestone_message(
                f":dart: <@{user_id}> thinks you've reached your goals. <@{partner_of(pair, user_id)}>, "
                "if you agree, click *We've reached our goals* too and I'll help you wrap up."
            ),
        )
    return both


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
        text = f":sparkling_heart: A thank-you note from <@{user_id}>:\n{quote(form.thanks)}"
        post(services, pair.team_id, partner_of(pair, user_id), views.milestone_message(text))
    return saved


def said_not_a_fit(session: Session, pair: Pair) -> bool:
    """Whether either person answered the private fit check *not a fit*."""
    answers = store.private_answers_of_pair(session=session, pair_id=int(pair.id or 0), kind=AnswerKind.FIT)
    return any((a.answers or {}).get("fit") == FitAnswer.NOT for a in answers)


def close_without_commit(session: Session, pair: Pair, reason: str, now: datetime) -> bool:
    """Close without committing (the dispatcher's transaction, or a caller that commits): its prompts cancelled
    and its meetings still ahead cancelled with a CANCEL invite. Every way a pair ends goes through here."""
    if pair.status == PairStatus.CLOSED:
        return False
    from bot.scheduling.booking import cancel_with_pair

    pair.status, pair.closed_at, pair.close_reason = PairStatus.CLOSED, now, reason[:64]
    session.add(pair)
    cancel_prompts(session=session, team_id=pair.team_id, pair_id=int(pair.id or 0), now=now)
    cancel_with_pair(session=session, pair=pair, now=now)
    log.info("pair closed pair=%s reason=%s", pair.id, reason)
    return True


def close_pair(*, session: Session, services: Services, pair: Pair, reason: str, now: datetime, by: str = "") -> bool:
    """Close the pair: prompts cancelled, mentor capacity freed, the row kept so the two are not paired again.

    Commits. Returns False when it was already closed.
    """
    closed = close_without_commit(session, pair, reason, now)
    session.commit()
    return closed


def end_reason(session: Session, pair: Pair) -> CloseReason:
    """Why a pair that reached its end without anyone closing it ended: not a fit (someone said so), inactive (it
    was at risk, or never logged a meeting), else completed."""
    if said_not_a_fit(session, pair):
        return CloseReason.NOT_A_FIT
    meetings, _ = store.meeting_totals(session=session, pair_id=int(pair.id or 0))
    if pair.status == PairStatus.AT_RISK or meetings == 0:
        return CloseReason.INACTIVE
    return CloseReason.COMPLETED


def _end_due(session: Session, prompt: ScheduledPrompt, now: datetime) -> Pair | None:
    pair = session.get(Pair, prompt.pair_id)
    if pair is None or pair.status == PairStatus.CLOSED:
        return None
    journey = store.get_journey(session=session, pair_id=int(pair.id or 0))
    if journey is None or now < journey.ends_at + CLOSE_AFTER_END or pair.status == PairStatus.PAUSED:
        return None  # extended, or on hold: a later end prompt (or the resume) takes over
    return pair


def render_end(services: Services, session: Session, prompt: ScheduledPrompt, now: datetime) -> Outgoing | None:
    """Two weeks after the end date, a pair nobody closed is closed, and told so in its DM."""
    pair = _end_due(session, prompt, now)
    if pair is None:
        return None
    journey = journey_of(session, pair)
    text = (
        f":wave: Your mentorship reached its end on *{journey.ends_at:%d %B %Y}* and nobody chose what comes next, "
        "so I've closed it. Thank you both for taking part! You can keep talking here any time."
    )
    return Outgoing(channel=pair.channel_id, **views.milestone_message(text))


def after_end(services: Services, session: Session, prompt: ScheduledPrompt, now: datetime) -> None:
    """Close the pair the end prompt announced, saying what happened to it."""
    pair = _end_due(session, prompt, now)
    if pair is not None:
        close_without_commit(session, pair, end_reason(session, pair), now)


def choose_closure(
    *, session: Session, services: Services, pair: Pair, user_id: str, choice: str, now: datetime
) -> str:
    """Close, extend by the cohort's extension (3 months), or continue informally. Returns what happened."""
    if pair.status == PairStatus.CLOSED:
        return "already_closed"
    journey = journey_of(session, pair)
    journey.closure_choice, journey.closure_choice_by = choice, user_id
    session.add(journey)
    if choice == ClosureChoice.EXTEND:
        cfg = cohort_settings(session, pair)
        journey.extensions += 1
        journey.ends_at = max(journey.ends_at, now) + timedelta(days=cfg.extension_days)
        journey.goals_achieved_by = []
        if pair.status == PairStatus.PAUSED:
            pair.status = PairStatus.ACTIVE
        schedule_closure(session, pair, journey, pair_time(session, pair, journey.ends_at), early=False)
        replan_checkins(session, pair, journey, now, now)
        session.commit()
        post(
            services,
            pair.team_id,
            pair.channel_id,
            views.milestone_message(
                f":calendar: <@{user_id}> extended your mentorship to *{journey.ends_at:%d %B %Y}*. "
                "Check-ins continue as before."
            ),
        )
        return "extended"
    if choice == ClosureChoice.INFORMAL:
        reason = CloseReason.INFORMAL
    else:  # a pair that said "not a fit" did not complete the program, whoever closes it
        reason = CloseReason.NOT_A_FIT if said_not_a_fit(session, pair) else CloseReason.COMPLETED
    close_pair(session=session, services=services, pair=pair, reason=reason, now=now, by=user_id)
    text = (
        f":handshake: <@{user_id}> chose to continue informally. The program steps back: no more check-ins. "
        "Keep meeting whenever you like!"
        if choice == ClosureChoice.INFORMAL
        else f":wave: <@{user_id}> closed your mentorship. Thank you both for taking part!"
    )
    post(services, pair.team_id, pair.channel_id, views.milestone_message(text))
    return "closed"


def become_mentor(*, session: Session, team_id: str, user_id: str, role: str) -> bool:
    """A closing mentee signs up as a mentor (or both) for the next cohort. Commits."""
    participant = participants.get_participant(session=session, team_id=team_id, user_id=user_id)
    if participant is None or role not in (Role.MENTOR, Role.BOTH):
        return False
    participant.role = role
    if participant.status == ParticipantStatus.DEPARTED:
        participant.status = ParticipantStatus.ACTIVE
    session.add(participant)
    session.commit()
    return True
