"""The pair's start: the introduction in their group DM, the goals reminder, and agreeing goals."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.lifecycle import forms, planning
from bot.lifecycle.pairs import (
    OPEN,
    cohort_settings,
    is_member,
    journey_of,
    open_pair_channel,
    partner_of,
    persons,
    post,
    record_activity,
)
from bot.lifecycle.plan import replan_checkins
from bot.lifecycle.planning import Person
from bot.outbox import Outgoing
from bot.services import Services
from bot.views import journey as views
from storage import journey as store
from storage.models import Pair, ScheduledPrompt
from storage.vocab import GoalProgress, GoalsStatus, PairStatus


def overlap_lines(mentee: Person, mentor: Person, mentee_id: str, mentor_id: str, now: datetime) -> list[str]:
    """Next week's shared hours, in each person's own time."""
    monday = datetime.combine(now.date() - timedelta(days=now.weekday()), time(), tzinfo=UTC) + timedelta(weeks=1)
    shared: list[tuple[datetime, datetime]] = []
    for begin, end in sorted(planning.shared_windows_local(mentee, mentor, monday)):
        if shared and begin <= shared[-1][1]:  # back-to-back windows (midday, then afternoon) read as one
            shared[-1] = (shared[-1][0], max(shared[-1][1], end))
        else:
            shared.append((begin, end))
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


def with_library(
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


def render_kickoff(services: Services, session: Session, prompt: ScheduledPrompt, now: datetime) -> Outgoing | None:
    """The introduction in the pair's group DM."""
    pair = session.get(Pair, prompt.pair_id)
    if pair is None or pair.status == PairStatus.CLOSED:
        return None
    if not pair.channel_id:
        open_pair_channel(services, pair)
        session.add(pair)
    journey = journey_of(session, pair)
    mentee, mentor = persons(session, pair)
    message = views.kickoff_message(
        pair_id=int(pair.id or 0),
        mentee_id=pair.mentee_user_id,
        mentor_id=pair.mentor_user_id,
        reasons=list(pair.reasons or []),
        overlap_lines=overlap_lines(mentee, mentor, pair.mentee_user_id, pair.mentor_user_id, now),
        ends_on=journey.ends_at.date(),
        duration_days=(journey.ends_at - journey.started_at).days,
        cadence_days=journey.cadence_days,
    )
    return Outgoing(channel=pair.channel_id, **with_library(services, session, pair, message, now, share=True))


def render_goals_reminder(
    services: Services, session: Session, prompt: ScheduledPrompt, now: datetime
) -> Outgoing | None:
    """A gentle reminder when no goals were set within a week."""
    pair = session.get(Pair, prompt.pair_id)
    if pair is None or pair.status not in OPEN or store.get_goals(session=session, pair_id=int(pair.id or 0)):
        return None
    return Outgoing(channel=pair.channel_id, **views.goals_reminder_message(pair_id=int(pair.id or 0)))


def propose_goals(
    *, session: Session, services: Services, pair: Pair, user_id: str, form: forms.GoalsForm, now: datetime
) -> int:
    """Store goals proposed (or edited) by one person and ask the other to confirm in the DM. Commits.

    Returns:
        The goals' revision (the Confirm button carries it, so an old button cannot confirm newer goals).
    """
    pair_id = int(pair.id or 0)
    existing = store.get_goals(session=session, pair_id=pair_id)
    progress = {g["title"]: g.get("progress", GoalProgress.NONE) for g in (existing.goals if existing else [])}
    goals = []
    for item in form.goals:
        item.progress = progress.get(item.title, GoalProgress.NONE)
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
            "duration_minutes": form.duration_minutes,
            "mentor_commits": form.mentor_commits,
            "mentee_commits": form.mentee_commits,
        },
        now=now,
    )
    record_activity(session, pair, journey_of(session, pair), user_id, now, restore=False)
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
    post(services, pair.team_id, pair.channel_id, message)
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
    if goals.status == GoalsStatus.CONFIRMED:
        return "already"
    goals.status, goals.confirmed_by, goals.confirmed_at = GoalsStatus.CONFIRMED, user_id, now
    session.add(goals)
    journey = journey_of(session, pair)
    record_activity(session, pair, journey, user_id, now, restore=False)
    cfg = cohort_settings(session, pair)
    cadence = planning.cadence_days(goals.cadence, cfg.checkin_cadence_days)
    if cadence != journey.cadence_days:
        journey.cadence_days = cadence
        start = store.list_meetings(session=session, pair_id=int(pair.id or 0))
        replan_checkins(session, pair, journey, start[-1].met_on if start else now, now)
    session.commit()
    label = views.CADENCE_LABELS.get(goals.cadence, goals.cadence).lower()
    post(
        services,
        pair.team_id,
        pair.channel_id,
        views.milestone_message(
            f":white_check_mark: <@{user_id}> confirmed your goals. I'll check in {label}. "
            "You'll find them on your App Home."
        ),
    )
    return "confirmed"
