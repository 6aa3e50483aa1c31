"""Coordinators act on any pair: end, rematch the mentee, reassign, pause / resume, extend, message, nudge; the
"not a fit" and silent-pair resolutions; the freed place offered to the waiting list; bulk actions.

Every action names the pair's version the coordinator saw (:func:`claim`): the version moves on with each change,
so of two coordinators acting on one pair the second is told "this pair changed; here is its current state"
instead of overwriting the first. Each service writes its change and its audit entry in the caller's transaction
and commits nothing itself (except where it reuses a journey service that commits, such as pausing); what it
has to say in Slack comes back in :class:`Done` and is sent once the change is stored.
"""

from __future__ import annotations

import calendar
import logging
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from bot import deferred, pair_matching
from bot.cohorts import CohortSettings, settings_of
from bot.coordinators import coordinator_targets
from bot.lifecycle import pause as pausing
from bot.lifecycle.pairs import OPEN, partner_of, role_in
from bot.lifecycle.plan import schedule_closure, schedule_next_checkin
from bot.outbox import Outgoing, cancel_prompts, schedule_prompt, upcoming_prompts
from bot.services import Services
from bot.views import pairs as views
from storage import coordination, participants, rounds
from storage import journey as journeys
from storage import pair_control as store
from storage.models import AuditLog, Cohort, Pair, PairJourney, ScheduledPrompt
from storage.vocab import (
    ControlPromptKind,
    ControlSource,
    EndReason,
    PairAction,
    PairStatus,
    ParticipantStatus,
    PromptKind,
    Role,
)

log = logging.getLogger(__name__)

UNDO_WINDOW = timedelta(hours=24)
NOTICE_BEFORE = timedelta(days=7)
BULK_LIMIT = 100
Work = Callable[[], object]


# ---------------------------------------------------------------------- outcomes


class PairGone(Exception):
    """No such pair in this workspace (a forged or stale id)."""


class PairChanged(Exception):
    """The pair is not in the version the coordinator saw: someone changed it meanwhile."""

    def __init__(self, pair: Pair, change: AuditLog | None) -> None:
        super().__init__(f"pair {pair.id} changed")
        self.pair, self.change = pair, change


class PairEnded(Exception):
    """The pair is closed: nothing more can be done to it."""

    def __init__(self, pair: Pair) -> None:
        super().__init__(f"pair {pair.id} is closed")
        self.pair = pair


class Refused(Exception):
    """The action cannot go ahead as asked: inline errors by block id."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


class ProposalChanged(Exception):
    """The mentor proposed for a rematch is no longer the best available (taken, paused...): preview again."""

    def __init__(self, proposal: pair_matching.Proposal, why: str) -> None:
        super().__init__(why)
        self.proposal, self.why = proposal, why


@dataclass
class Done:
    """What an action did, and what is left to do once it is stored.

    Attributes:
        text: What the coordinator is told.
        pair: The pair acted on, as it is now.
        new_pair: The pair a rematch or reassignment created.
        after: Slack messages to send once the change is committed (and the coordinator acknowledged).
        start: Pairs whose journey starts now (their group DM and kickoff).
        freed: (mentor, cohort) places freed, to offer to the waiting list.
    """

    text: str
    pair: Pair
    new_pair: Pair | None = None
    after: list[Work] = field(default_factory=list)
    start: list[Pair] = field(default_factory=list)
    freed: list[tuple[str, int | None]] = field(default_factory=list)


def _dm(services: Services, team_id: str, channel: str, message: dict[str, Any]) -> Work:
    def send() -> None:
        if not channel:
            return
        try:
            services.client_for(team_id).chat_postMessage(channel=channel, unfurl_links=False, **message)
        except SlackApiError as exc:
            log.warning("pair control message failed channel=%s error=%s", channel, exc.response.get("error"))

    return send


def _audit(
    session: Session,
    pair: Pair,
    actor: str,
    action: PairAction,
    now: datetime,
    reason: str = "",
    **detail: Any,
) -> None:
    coordination.record_audit(
        session=session,
        team_id=pair.team_id,
        actor=actor,
        action=f"pair.{action}",
        target=f"pair:{pair.id}",
        detail={"mentee": pair.mentee_user_id, "mentor": pair.mentor_user_id, **detail},
        reason=reason,
        now=now,
        commit=False,
    )


# ---------------------------------------------------------------------- the version check


def current(*, session: Session, team_id: str, pair_id: int) -> Pair:
    """The pair as it is now; PairGone when this workspace has no such pair."""
    pair = store.get_pair(session=session, team_id=team_id, pair_id=pair_id)
    if pair is None:
        raise PairGone(str(pair_id))
    return pair


def claim(
    *,
    session: Session,
    team_id: str,
    pair_id: int,
    version: int,
    open_only: bool = True,
    lock: Collection[str] | None = None,
) -> Pair:
    """Take the pair for one action if it is still the version the coordinator saw.

    The caller's transaction then holds the pair; on any exception the caller rolls back (leaving the session
    without committing does), so a refused action leaves nothing behind, the version included.

    Raises:
        PairGone: Not a pair of this workspace.
        PairChanged: Someone changed it since.
        PairEnded: It is closed (``open_only``).

    ``lock``: for an action that frees or takes mentoring places, the participant rows of the pair's two people
    and of these others are locked first, in the order every pair-making write takes them (:mod:`storage.rounds`),
    so it takes turns with publications, hand pairs and other actions.
    """
    if lock is not None:
        found = store.get_pair(session=session, team_id=team_id, pair_id=pair_id)
        people = {found.mentee_user_id, found.mentor_user_id} if found is not None else set()
        rounds.lock_participants(session=session, team_id=team_id, user_ids={*people, *lock})
    if not store.claim_version(session=session, team_id=team_id, pair_id=pair_id, version=version):
        pair = current(session=session, team_id=team_id, pair_id=pair_id)
        raise PairChanged(pair, store.last_change(session=session, team_id=team_id, pair_id=pair_id))
    pair = current(session=session, team_id=team_id, pair_id=pair_id)
    if open_only and pair.status == PairStatus.CLOSED:
        raise PairEnded(current(session=session, team_id=team_id, pair_id=pair_id))
    return pair


# ---------------------------------------------------------------------- the card


@dataclass
class CardData:
    """Everything the pair card shows (history without survey answers or private notes)."""

    pair: Pair
    cohort_name: str
    facts: store.PairFacts
    journey: PairJourney | None
    goals: list[dict[str, Any]]
    goals_status: str
    meetings: list[tuple[datetime, int]]
    mentor_load: int
    mentor_capacity: int
    rematch_asked: bool
    replaced_by: Pair | None
    change: AuditLog | None
    now: datetime


def card_data(*, session: Session, team_id: str, pair_id: int, now: datetime) -> CardData:
    """Read what the card of one pair shows; PairGone when this workspace has no such pair."""
    pair = current(session=session, team_id=team_id, pair_id=pair_id)
    pid = int(pair.id or 0)
    cohort = session.get(Cohort, pair.cohort_id) if pair.cohort_id else None
    goals = journeys.get_goals(session=session, pair_id=pid)
    meetings = journeys.list_meetings(session=session, pair_id=pid)
    mentor = participants.get_with_profile(session=session, team_id=team_id, user_id=pair.mentor_user_id)
    mentee = participants.get_participant(session=session, team_id=team_id, user_id=pair.mentee_user_id)
    return CardData(
        pair=pair,
        cohort_name=cohort.name if cohort else "",
        facts=store.pair_facts(session=session, pair_ids=[pid])[pid],
        journey=journeys.get_journey(session=session, pair_id=pid),
        goals=list(goals.goals) if goals else [],
        goals_status=goals.status if goals else "",
        meetings=[(m.met_on, m.duration_minutes) for m in meetings],
        mentor_load=rounds.mentor_load(session=session, team_id=team_id, mentor_user_id=pair.mentor_user_id),
        mentor_capacity=mentor[1].capacity if mentor else 0,
        rematch_asked=bool(mentee and mentee.priority and pair.status != PairStatus.CLOSED),
        replaced_by=store.replacement_of(session=session, team_id=team_id, pair_id=pid),
        change=store.last_change(session=session, team_id=team_id, pair_id=pid),
        now=now,
    )


def card_view(*, session: Session, team_id: str, pair_id: int, now: datetime, notice: str = "") -> dict[str, Any]:
    """The pair card modal (``notice`` on top, e.g. "this pair changed")."""
    return views.card_modal(card_data(session=session, team_id=team_id, pair_id=pair_id, now=now), notice=notice)


def changed_notice(change: AuditLog | None, pair: Pair) -> str:
    """What to tell a coordinator whose action met a pair that changed."""
    if change is not None:
        what = change.action.removeprefix("pair.").replace("_", " ")
        return (
            f":warning: This pair changed since you opened it: <@{change.actor}> chose *{what}* "
            f"({change.created_at:%d %b %H:%M} UTC). Nothing was done. Here is its current state."
        )
    return (
        ":warning: This pair changed since you opened it "
        f"(it is now {views.STATUS_WORDS.get(pair.status, pair.status)}). Nothing was done. Here is its current state."
    )


# ---------------------------------------------------------------------- shared steps


def _close(session: Session, pair: Pair, reason: str, now: datetime, *, hold: bool = False) -> None:
    """Close the pair: prompts cancelled (or, with ``hold``, parked the way a pause parks them, so an undo can
    resume them like a pause ends)."""
    from bot.lifecycle.closure import close_without_commit

    if not hold:
        close_without_commit(session, pair, str(reason), now)
    else:  # a held pair may be restored by an undo: its prompts and meetings wait, parked
        journey = journeys.get_journey(session=session, pair_id=int(pair.id or 0)) if pair.status in OPEN else None
        if journey is not None:
            pausing._park(session, pair, journey, None, now)  # noqa: SLF001 - the pause's own parking, no message
        pair.status, pair.closed_at, pair.close_reason = PairStatus.CLOSED, now, str(reason)[:64]
        session.add(pair)
    session.flush()


def _new_pair(
    session: Session,
    old: Pair,
    mentor_id: str,
    *,
    source: str,
    actor: str,
    now: datetime,
    candidate_score: Any,
    manual_reason: str = "",
) -> Pair:
    pair = Pair(
        team_id=old.team_id,
        cohort_id=old.cohort_id,
        mentee_user_id=old.mentee_user_id,
        mentor_user_id=mentor_id,
        source=source,
        score=float(candidate_score.total),
        reasons=list(candidate_score.reasons),
        factors=dict(candidate_score.factors),
        manual_reason=manual_reason[:500],
        created_by=actor,
        created_at=now,
        replaces_pair_id=old.id,
    )
    session.add(pair)
    _set_waiting(session, old.team_id, old.mentee_user_id, waiting=False)
    session.flush()
    return pair


def _set_waiting(session: Session, team_id: str, user_id: str, *, waiting: bool, reason: str = "") -> None:
    """First in line for the next round (a rematch found nobody yet), or not (they have a mentor again)."""
    person = participants.get_participant(session=session, team_id=team_id, user_id=user_id)
    if person is None:
        return
    person.priority, person.unmatched_reason = waiting, reason[:300] if waiting else ""
    session.add(person)


def _is_pure_mentee(session: Session, team_id: str, user_id: str) -> bool:
    person = participants.get_participant(session=session, team_id=team_id, user_id=user_id)
    return person is not None and person.role == Role.MENTEE


def _mentor_active(session: Session, team_id: str, user_id: str) -> bool:
    person = participants.get_participant(session=session, team_id=team_id, user_id=user_id)
    return person is not None and person.status == ParticipantStatus.ACTIVE


def _ending_messages(
    session: Session,
    services: Services,
    pair: Pair,
    reason: str,
    *,
    new_mentor: str | None = None,
    waiting: bool = False,
    skip: str | None = None,
) -> list[Work]:
    """Each person's own, kind message about the end, and the closing steps that fit the reason.

    The wording depends on the reason and the reader, never on who asked for the end.
    """
    team, pid = pair.team_id, int(pair.id or 0)
    mentee_next = "new_mentor" if new_mentor else "waiting" if waiting else "pool"
    ended = [
        _dm(
            services,
            team,
            pair.mentee_user_id,
            views.ended_message(
                reason=reason,
                reader_is_mentee=True,
                partner_id=pair.mentor_user_id,
                new_mentor=new_mentor,
                mentee_next=mentee_next,
                place_free=False,
            ),
        ),
        _dm(
            services,
            team,
            pair.mentor_user_id,
            views.ended_message(
                reason=reason,
                reader_is_mentee=False,
                partner_id=pair.mentee_user_id,
                place_free=_mentor_active(session, team, pair.mentor_user_id),
            ),
        ),
    ]
    # the person who asked for the end hears it in their own words elsewhere
    out = [
        work for work, user_id in zip(ended, (pair.mentee_user_id, pair.mentor_user_id), strict=True) if user_id != skip
    ]
    if reason in (EndReason.COMPLETED, EndReason.NOT_A_FIT, EndReason.INACTIVE, EndReason.OTHER):
        for user_id in (pair.mentee_user_id, pair.mentor_user_id):
            out.append(_dm(services, team, user_id, views.closing_survey_message(pid, partner_of(pair, user_id))))
    if reason == EndReason.COMPLETED:
        out.append(_dm(services, team, pair.channel_id, views.completed_pair_message(pid)))
        if _is_pure_mentee(session, team, pair.mentee_user_id):
            out.append(_dm(services, team, pair.mentee_user_id, views.become_mentor_message()))
    return out


# ---------------------------------------------------------------------- end


def end_pair(
    *,
    session: Session,
    services: Services,
    team_id: str,
    actor: str,
    pair_id: int,
    version: int,
    reason: str,
    note: str,
    now: datetime,
) -> Done:
    """End a pair for a reason: both told kindly, prompts stop, the mentor's place is freed, closing steps run."""
    pair = claim(session=session, team_id=team_id, pair_id=pair_id, version=version, lock=())
    _close(session, pair, reason, now)
    _audit(session, pair, actor, PairAction.END, now, note or str(reason), end_reason=str(reason))
    after = _ending_messages(session, services, pair, reason)
    done = Done(f"Ended the pair {views.pair_words(pair)} ({views.REASON_WORDS[reason]}).", pair, after=after)
    done.freed.append((pair.mentor_user_id, pair.cohort_id))
    return done


# ---------------------------------------------------------------------- rematch and reassign


def rematch_proposal(*, session: Session, team_id: str, pair_id: int, now: datetime) -> pair_matching.Proposal:
    """The best mentors with a free place for the pair's mentee, as a round would score them (reads only)."""
    pair = current(session=session, team_id=team_id, pair_id=pair_id)
    return pair_matching.mentors_for(
        session=session,
        team_id=team_id,
        mentee_id=pair.mentee_user_id,
        cohort_id=pair.cohort_id,
        now=now,
        exclude=frozenset({pair.mentor_user_id}),
    )


def rematch_pair(
    *,
    session: Session,
    services: Services,
    team_id: str,
    actor: str,
    pair_id: int,
    version: int,
    mentor_id: str | None,
    reason: str,
    now: datetime,
    source: str = ControlSource.REMATCH,
    hold: bool = False,
    audit_action: PairAction = PairAction.REMATCH,
    reporter: str | None = None,
) -> Done:
    """End the pair, then pair the mentee with the mentor the coordinator confirmed (None: nobody was available,
    the mentee waits first in line). The proposal is checked again: a mentor taken meanwhile raises
    :class:`ProposalChanged` and nothing changes."""
    pair = claim(
        session=session, team_id=team_id, pair_id=pair_id, version=version, lock=[mentor_id] if mentor_id else []
    )
    mentee = pair.mentee_user_id
    _close(session, pair, reason, now, hold=hold)
    proposal = pair_matching.mentors_for(
        session=session, team_id=team_id, mentee_id=mentee, cohort_id=pair.cohort_id, now=now, limit=1000
    )
    chosen = next((c for c in proposal.candidates if c.user_id == mentor_id), None) if mentor_id else None
    if mentor_id and chosen is None:
        fresh = rematch_proposal(session=session, team_id=team_id, pair_id=pair_id, now=now)
        raise ProposalChanged(fresh, f"<@{mentor_id}> can no longer take this mentee (no free place, or a rule)")
    if not mentor_id and proposal.best is not None:
        fresh = rematch_proposal(session=session, team_id=team_id, pair_id=pair_id, now=now)
        raise ProposalChanged(fresh, "a mentor became available since the preview")
    new_pair = None
    if chosen is not None:
        new_pair = _new_pair(
            session, pair, chosen.user_id, source=source, actor=actor, now=now, candidate_score=chosen.score
        )
    else:
        _set_waiting(session, team_id, mentee, waiting=True, reason=f"rematch: {proposal.reason}")
    _audit(
        session,
        pair,
        actor,
        audit_action,
        now,
        str(reason),
        end_reason=str(reason),
        new_mentor=chosen.user_id if chosen else None,
        new_pair=new_pair.id if new_pair else None,
    )
    after = _ending_messages(
        session,
        services,
        pair,
        reason,
        new_mentor=chosen.user_id if chosen else None,
        waiting=chosen is None,
        skip=reporter,
    )
    if chosen is not None and new_pair is not None:
        text = (
            f"Ended {views.pair_words(pair)} and paired <@{mentee}> with <@{chosen.user_id}> "
            f"(score {chosen.score.total:.2f}). Their group DM opens now."
        )
    else:
        text = (
            f"Ended {views.pair_words(pair)}. No mentor with a free place fits <@{mentee}> now "
            f"(a round would tell them: \u201c{proposal.reason}\u201d): they wait first in line."
        )
    done = Done(text, pair, new_pair=new_pair, after=after, start=[new_pair] if new_pair else [])
    done.freed.append((pair.mentor_user_id, pair.cohort_id))
    return done


def reassign_pair(
    *,
    session: Session,
    services: Services,
    team_id: str,
    actor: str,
    pair_id: int,
    version: int,
    mentor_id: str,
    override: str,
    reason: str,
    now: datetime,
) -> Done:
    """End the pair and pair the mentee with a named mentor, checked as ``/mentor pair`` checks a pair: a rule
    the new pair breaks needs a stated reason (``override``). Raises :class:`Refused` and changes nothing
    otherwise."""
    from bot.hand_pairs import check_manual_pair
    from bot.ids import PAIR_CTL_MENTOR, PAIR_CTL_OVERRIDE

    pair = claim(session=session, team_id=team_id, pair_id=pair_id, version=version, lock=[mentor_id])
    if mentor_id == pair.mentor_user_id:
        raise Refused({PAIR_CTL_MENTOR: "That is the pair's mentor already: choose someone else."})
    _close(session, pair, reason, now)
    check = check_manual_pair(
        session=session, team_id=team_id, mentee_id=pair.mentee_user_id, mentor_id=mentor_id, now=now
    )
    if check.blocking:
        raise Refused({PAIR_CTL_MENTOR: f"Can't pair them: {check.blocking}."})
    if check.problems and not override.strip():
        problems = "; ".join(check.problems)
        raise Refused(
            {PAIR_CTL_OVERRIDE: f"This pair breaks the program's rules: {problems}. Say why to go ahead."[:2000]}
        )
    assert check.score is not None
    new_pair = _new_pair(
        session,
        pair,
        mentor_id,
        source=ControlSource.REASSIGN,
        actor=actor,
        now=now,
        candidate_score=check.score,
        manual_reason=override.strip(),
    )
    _audit(
        session,
        pair,
        actor,
        PairAction.REASSIGN,
        now,
        override.strip() or str(reason),
        end_reason=str(reason),
        new_mentor=mentor_id,
        new_pair=new_pair.id,
        overrode=check.problems,
    )
    after = _ending_messages(session, services, pair, reason, new_mentor=mentor_id)
    text = f"Ended {views.pair_words(pair)} and paired <@{pair.mentee_user_id}> with <@{mentor_id}>."
    if check.problems:
        text += f" Rules overridden ({'; '.join(check.problems)}), reason recorded."
    done = Done(text, pair, new_pair=new_pair, after=after, start=[new_pair])
    done.freed.append((pair.mentor_user_id, pair.cohort_id))
    return done


# ---------------------------------------------------------------------- pause, resume, extend


def pause_pair(
    *,
    session: Session,
    services: Services,
    team_id: str,
    actor: str,
    pair_id: int,
    version: int,
    until: date | None,
    reason: str,
    now: datetime,
) -> Done:
    """Pause through the pair's own pause (prompts held; a resume date fires through the outbox). Commits."""
    pair = claim(session=session, team_id=team_id, pair_id=pair_id, version=version)
    if pair.status not in OPEN:
        raise PairChanged(current(session=session, team_id=team_id, pair_id=pair_id), None)
    _audit(session, pair, actor, PairAction.PAUSE, now, reason, until=until.isoformat() if until else None)
    pausing.pause_pair(session=session, services=services, pair=pair, user_id=actor, until=until, now=now)
    when = f"until {until:%a %d %B}" if until else "until you or the pair resume it"
    return Done(f"Paused {views.pair_words(pair)} {when}. Check-ins wait meanwhile.", pair)


def resume_pair(
    *,
    session: Session,
    services: Services,
    team_id: str,
    actor: str,
    pair_id: int,
    version: int,
    reason: str,
    now: datetime,
) -> Done:
    """Resume a paused pair through the pair's own resume: the check-in chain continues from today. Commits."""
    pair = claim(session=session, team_id=team_id, pair_id=pair_id, version=version)
    if pair.status != PairStatus.PAUSED:
        raise PairChanged(current(session=session, team_id=team_id, pair_id=pair_id), None)
    _audit(session, pair, actor, PairAction.RESUME, now, reason)
    pausing.resume_pair(session=session, services=services, pair=pair, user_id=actor, now=now)
    return Done(f"Resumed {views.pair_words(pair)}. Check-ins pick up from today.", pair)


def add_months(moment: datetime, months: int) -> datetime:
    """The same day ``months`` later (the month's last day when it is shorter)."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1]))


def extend_pair(
    *,
    session: Session,
    services: Services,
    team_id: str,
    actor: str,
    pair_id: int,
    version: int,
    months: int,
    reason: str,
    now: datetime,
) -> Done:
    """Move the pair's end by ``months``: the closure moves, check-ins continue to the new end."""
    from bot.lifecycle.pairs import pair_time

    pair = claim(session=session, team_id=team_id, pair_id=pair_id, version=version)
    journey = journeys.get_journey(session=session, pair_id=int(pair.id or 0))
    if journey is None:
        raise Refused({"": "This pair has not started yet, so it has no end date to move."})
    if pair.status == PairStatus.PAUSED:  # resuming moves the end by the pause already; extend once it runs again
        raise Refused({"": "This pair is paused: resume it first, then extend it (the pause already moves its end)."})
    old_end = journey.ends_at
    journey.ends_at = add_months(max(journey.ends_at, now), months)
    journey.extensions += 1
    journey.goals_achieved_by = []
    cancel_prompts(session=session, team_id=team_id, pair_id=int(pair.id or 0), kinds=[PromptKind.CLOSURE], now=now)
    session.add(journey)
    schedule_closure(session, pair, journey, pair_time(session, pair, journey.ends_at), early=False)
    pending = [
        p for p in upcoming_prompts(session=session, team_id=team_id, pair_id=pair.id) if p.kind == PromptKind.CHECKIN
    ]
    if not pending and pair.status in OPEN:  # the chain had stopped at the old end: carry it on
        schedule_next_checkin(
            session,
            pair,
            journey,
            max(now, old_end - timedelta(days=journey.cadence_days)) + timedelta(days=journey.cadence_days),
        )
    _audit(session, pair, actor, PairAction.EXTEND, now, reason, months=months, ends=journey.ends_at.date().isoformat())
    text = views.extended_message(months=months, ends=journey.ends_at.date())
    return Done(
        f"Extended {views.pair_words(pair)} by {views.counted(months, 'month')}, to {journey.ends_at:%d %B %Y}.",
        pair,
        after=[_dm(services, team_id, pair.channel_id, text)],
    )


# ---------------------------------------------------------------------- message, nudge, talk first


def message_pair(
    *,
    session: Session,
    services: Services,
    team_id: str,
    actor: str,
    pair_id: int,
    version: int,
    message: str,
    now: datetime,
) -> Done:
    """Send the coordinator's message to the pair (their group DM, else each one's DM)."""
    pair = claim(session=session, team_id=team_id, pair_id=pair_id, version=version)
    _audit(session, pair, actor, PairAction.MESSAGE, now, "", length=len(message))
    text = views.coordinator_message(actor, message)
    targets = [pair.channel_id] if pair.channel_id else [pair.mentee_user_id, pair.mentor_user_id]
    return Done("Your message was sent to both.", pair, after=[_dm(services, team_id, t, text) for t in targets])


def quiet_side(pair: Pair, journey: PairJourney | None) -> list[str]:
    """Who went quiet: the one with the older last sign of life, or both."""
    last = (journey.last_active if journey else None) or {}
    mentee, mentor = last.get(pair.mentee_user_id), last.get(pair.mentor_user_id)
    if mentee and (not mentor or str(mentor) < str(mentee)):
        return [pair.mentor_user_id]
    if mentor and (not mentee or str(mentee) < str(mentor)):
        return [pair.mentee_user_id]
    return [pair.mentee_user_id, pair.mentor_user_id]


def nudge_pair(
    *,
    session: Session,
    services: Services,
    team_id: str,
    actor: str,
    pair_id: int,
    version: int,
    reason: str,
    now: datetime,
) -> Done:
    """A friendly nudge to whoever went quiet (or both), each in their own DM."""
    pair = claim(session=session, team_id=team_id, pair_id=pair_id, version=version)
    targets = quiet_side(pair, journeys.get_journey(session=session, pair_id=int(pair.id or 0)))
    _audit(session, pair, actor, PairAction.NUDGE, now, reason, nudged=targets)
    after = [
        _dm(services, team_id, u, views.nudge_message(partner_of(pair, u), mentee=u == pair.mentee_user_id))
        for u in targets
    ]
    return Done(f"Nudged {' and '.join(f'<@{u}>' for u in targets)}.", pair, after=after)


def talk_first(
    *,
    session: Session,
    services: Services,
    team_id: str,
    actor: str,
    pair_id: int,
    version: int,
    raised_by: str,
    now: datetime,
) -> Done:
    """The coordinator talks to the person who raised a concern before anything changes (the partner is not told)."""
    pair = claim(session=session, team_id=team_id, pair_id=pair_id, version=version)
    if raised_by not in (pair.mentee_user_id, pair.mentor_user_id):
        raise Refused({"": "That person is not in this pair."})
    _audit(session, pair, actor, PairAction.TALK_FIRST, now, "", raised_by_role=str(role_in(pair, raised_by)))
    return Done(
        f"Noted: you'll talk with <@{raised_by}> first. Nothing changes for the pair until you act; "
        f"<@{raised_by}> knows you'll be in touch. Their partner is not told.",
        pair,
        after=[_dm(services, team_id, raised_by, views.talk_first_message(actor))],
    )


# ---------------------------------------------------------------------- coordinators hear, with one-click actions


def note_targets(services: Services, team_id: str, session: Session | None = None) -> list[str]:
    """Where a workspace's coordinators' notes go (their DMs, else the coordinators' private channel)."""
    return coordinator_targets(services, team_id, session)


def tell_about_concern(
    *, session: Session, services: Services, pair: Pair, raised_by: str, what: str, text: str = ""
) -> None:
    """A private note to every coordinator about a concern, with Rematch / End / Talk first.

    Sent after the acknowledgement when a submission is being stored (:mod:`bot.deferred`), else at once. The
    coordinators are read with the caller's session: it may hold SQLite's one write transaction.
    """
    message = views.concern_note(pair, raised_by=raised_by, role=str(role_in(pair, raised_by)), what=what, text=text)
    for target in note_targets(services, pair.team_id, session):
        deferred.later(_dm(services, pair.team_id, target, message))


def silent_note_blocks(*, session: Session, pair_id: int | None, text: str) -> list[dict[str, Any]] | None:
    """The coordinators' "inactive for N weeks" note with End / Rematch / Nudge again (None: not a pair note)."""
    pair = session.get(Pair, pair_id) if pair_id is not None else None
    if pair is None or pair.status == PairStatus.CLOSED:
        return None
    return views.silent_note(pair, text)["blocks"]


# ---------------------------------------------------------------------- "not a fit": automatic rematch and undo


def auto_rematch(*, session: Session, services: Services, pair: Pair, said_by: str, now: datetime) -> Done | None:
    """The cohort rematches automatically after a "not a fit": the pair ends (its prompts held so a coordinator
    can undo within 24 h), the mentee gets the best available mentor, coordinators are told. Commits.

    Returns None when the pair is no longer open (nothing to do).
    """
    fresh = current(session=session, team_id=pair.team_id, pair_id=int(pair.id or 0))
    if fresh.status == PairStatus.CLOSED:
        return None
    proposal = rematch_proposal(session=session, team_id=pair.team_id, pair_id=int(fresh.id or 0), now=now)
    best = proposal.best
    done = rematch_pair(
        session=session,
        services=services,
        team_id=pair.team_id,
        actor="auto",
        pair_id=int(fresh.id or 0),
        version=fresh.version,
        mentor_id=best.user_id if best else None,
        reason=EndReason.NOT_A_FIT,
        now=now,
        source=ControlSource.AUTO_REMATCH,
        hold=True,
        audit_action=PairAction.AUTO_REMATCH,
        reporter=said_by,
    )
    schedule_prompt(
        session=session,
        team_id=pair.team_id,
        key=f"rematch_undo_expiry:{fresh.id}",
        kind=ControlPromptKind.REMATCH_UNDO_EXPIRY,
        due_at=now + UNDO_WINDOW,
        pair_id=fresh.id,
    )
    targets = note_targets(services, pair.team_id, session)
    session.commit()  # nothing is read after this: the caller's session holds no transaction while Slack is called
    old = done.pair
    note = views.auto_rematch_note(
        old,
        new_pair=done.new_pair,
        said_role=str(role_in(old, said_by)),
        said_by=said_by,
        reason=proposal.reason,
        until=now + UNDO_WINDOW,
    )
    done.after += [_dm(services, pair.team_id, t, note) for t in targets]
    reporter = views.auto_rematch_reporter_message(old, said_by, done.new_pair)
    done.after.append(_dm(services, pair.team_id, said_by, reporter))
    return done


def undo_rematch(
    *,
    session: Session,
    services: Services,
    team_id: str,
    actor: str,
    old_id: int,
    old_version: int,
    new_id: int | None,
    now: datetime,
) -> Done:
    """Undo an automatic rematch within 24 h: the replacement pair is withdrawn and the old pair continues where
    it stopped (its held prompts come back, as after a pause)."""
    old = claim(session=session, team_id=team_id, pair_id=old_id, version=old_version, open_only=False, lock=())
    if old.status != PairStatus.CLOSED or old.close_reason != EndReason.NOT_A_FIT or old.closed_at is None:
        raise PairChanged(current(session=session, team_id=team_id, pair_id=old_id), None)
    if now - old.closed_at > UNDO_WINDOW:
        raise Refused({"": "The 24 hours to undo this rematch are over."})
    new = None
    if new_id is not None:
        # The replacement started its journey since the note (its version moved on): what must hold is that it is
        # still the open pair this rematch made.
        found = current(session=session, team_id=team_id, pair_id=new_id)
        if found.replaces_pair_id != old.id or found.source != ControlSource.AUTO_REMATCH:
            raise Refused({"": "Those two pairs do not belong to one automatic rematch."})
        new = claim(session=session, team_id=team_id, pair_id=new_id, version=found.version)
    elif store.replacement_of(session=session, team_id=team_id, pair_id=old_id) is not None:
        raise PairChanged(old, None)
    if old.mentor_user_id != (new.mentor_user_id if new else None):
        load = rounds.mentor_load(session=session, team_id=team_id, mentor_user_id=old.mentor_user_id)
        mentor = participants.get_with_profile(session=session, team_id=team_id, user_id=old.mentor_user_id)
        if mentor is None or load >= mentor[1].capacity:
            raise Refused(
                {"": f"<@{old.mentor_user_id}>'s place was taken meanwhile, so the old pair cannot continue."}
            )
    after: list[Work] = []
    if new is not None:
        _close(session, new, EndReason.UNDONE, now)
        after += [
            _dm(services, team_id, new.mentee_user_id, views.withdrawn_message(new.mentor_user_id)),
            _dm(services, team_id, new.mentor_user_id, views.withdrawn_message(new.mentee_user_id)),
        ]
    reopened = _reopen(session, old, now)
    _audit(session, old, actor, PairAction.UNDO_REMATCH, now, "", withdrawn_pair=new.id if new else None)
    _set_waiting(session, team_id, old.mentee_user_id, waiting=False)
    session.flush()
    after += [
        _dm(services, team_id, old.mentee_user_id, views.continues_message(old.mentor_user_id)),
        _dm(services, team_id, old.mentor_user_id, views.continues_message(old.mentee_user_id)),
    ]
    done = Done(
        f"Undone: {views.pair_words(old)} continues where it stopped"
        + (f"; the new pair with <@{new.mentor_user_id}> is withdrawn." if new else "."),
        reopened,
        after=after,
    )
    if new is not None:
        done.freed.append((new.mentor_user_id, new.cohort_id))
    return done


def _reopen(session: Session, pair: Pair, now: datetime) -> Pair:
    """Bring back a pair closed with its prompts held: it resumes the way a paused pair does."""
    pair.status, pair.closed_at, pair.close_reason = PairStatus.PAUSED, None, ""
    session.add(pair)
    session.flush()
    journey = journeys.get_journey(session=session, pair_id=int(pair.id or 0))
    if journey is not None and journey.paused_at is not None:
        pausing._resume(session, pair, journey, now)  # noqa: SLF001 - the pause's own resume, without its message
    else:
        pair.status = PairStatus.ACTIVE
    cancel_prompts(
        session=session,
        team_id=pair.team_id,
        pair_id=int(pair.id or 0),
        kinds=[ControlPromptKind.REMATCH_UNDO_EXPIRY],
        now=now,
    )
    session.add(pair)
    session.flush()
    return pair


def render_undo_expiry(services: Services, session: Session, prompt: ScheduledPrompt, now: datetime) -> None:
    """24 h after an automatic rematch: the held prompts of the old pair are let go (nothing is sent), and its
    meetings still ahead are cancelled with a CANCEL invite."""
    from bot.scheduling.booking import cancel_with_pair

    pair = session.get(Pair, prompt.pair_id) if prompt.pair_id else None
    if pair is not None and pair.status == PairStatus.CLOSED:
        cancel_prompts(session=session, team_id=pair.team_id, pair_id=int(pair.id or 0), now=now)
        cancel_with_pair(session=session, pair=pair, now=now)
    return None


# ---------------------------------------------------------------------- silent pairs closed by the cohort's setting


def schedule_inactive_close(*, session: Session, pair: Pair, journey: PairJourney, now: datetime) -> None:
    """When the cohort closes inactive pairs, plan the notice (a week before) and the close. The caller commits.

    Both are keyed on this silence (``checkin_seq``) and carry the last activity they were planned from: any
    sign of life since makes them do nothing.
    """
    from bot.lifecycle.pairs import cohort_settings

    weeks = cohort_settings(session, pair).close_inactive_after_weeks
    if not weeks:
        return
    since = journey.last_activity_at or journey.started_at
    close_at = max(since + timedelta(weeks=weeks), now + NOTICE_BEFORE)
    payload = {"since": since.isoformat(), "weeks": weeks, "close_at": close_at.isoformat()}
    common = {"session": session, "team_id": pair.team_id, "pair_id": pair.id, "payload": payload}
    schedule_prompt(
        **common,
        key=f"inactive_notice:{pair.id}:{journey.checkin_seq}",
        kind=ControlPromptKind.INACTIVE_NOTICE,
        due_at=close_at - NOTICE_BEFORE,
        recipient_user_id=pair.mentee_user_id,
    )
    schedule_prompt(
        **common,
        key=f"inactive_close:{pair.id}:{journey.checkin_seq}",
        kind=ControlPromptKind.INACTIVE_CLOSE,
        due_at=close_at,
        recipient_user_id=pair.mentee_user_id,
    )


def _still_inactive(session: Session, prompt: ScheduledPrompt) -> tuple[Pair, PairJourney] | None:
    pair = session.get(Pair, prompt.pair_id) if prompt.pair_id else None
    if pair is None or pair.status not in OPEN:
        return None
    journey = journeys.get_journey(session=session, pair_id=int(pair.id or 0))
    since = str((prompt.payload or {}).get("since") or "")
    if journey is None or (journey.last_activity_at or journey.started_at).isoformat() != since:
        return None
    return pair, journey


def render_inactive_notice(
    services: Services, session: Session, prompt: ScheduledPrompt, now: datetime
) -> list[Outgoing] | None:
    """A week before an inactive pair closes: each person hears it, with a way to keep going."""
    found = _still_inactive(session, prompt)
    if found is None:
        return None
    pair, _ = found
    payload = prompt.payload or {}
    close_at = datetime.fromisoformat(str(payload["close_at"]))
    out = []
    for user_id in (pair.mentee_user_id, pair.mentor_user_id):
        message = views.inactive_notice_message(
            pair_id=int(pair.id or 0),
            partner_id=partner_of(pair, user_id),
            weeks=int(payload["weeks"]),
            closes=close_at,
        )
        out.append(Outgoing(channel=user_id, text=message["text"], blocks=message["blocks"]))
    return out


def render_inactive_close(
    services: Services, session: Session, prompt: ScheduledPrompt, now: datetime
) -> list[Outgoing] | None:
    """The cohort's ``close_inactive_after_weeks`` is reached and nothing happened since the notice: both hear
    the pair is closed, and coordinators too (the close itself follows in :func:`after_inactive_close`)."""
    found = _still_inactive(session, prompt)
    if found is None:
        return None
    pair, _ = found
    weeks = int((prompt.payload or {}).get("weeks") or 0)
    out = []
    for user_id, is_mentee in ((pair.mentee_user_id, True), (pair.mentor_user_id, False)):
        message = views.ended_message(
            reason=EndReason.INACTIVE,
            reader_is_mentee=is_mentee,
            partner_id=partner_of(pair, user_id),
            place_free=not is_mentee and _mentor_active(session, pair.team_id, user_id),
        )
        out.append(Outgoing(channel=user_id, text=message["text"], blocks=message["blocks"]))
    note = views.auto_closed_note(pair, weeks)
    targets = note_targets(services, pair.team_id, session)
    out += [Outgoing(channel=t, text=note["text"], blocks=note["blocks"]) for t in targets]
    return out


def after_inactive_close(services: Services, session: Session, prompt: ScheduledPrompt, now: datetime) -> None:
    """Close the pair the close notice announced (in the dispatcher's transaction) and offer the freed place."""
    found = _still_inactive(session, prompt)
    if found is None:
        return
    pair, _ = found
    _close(session, pair, EndReason.INACTIVE, now)
    _audit(session, pair, "auto", PairAction.AUTO_CLOSE, now, f"inactive for {prompt.payload.get('weeks')} weeks")
    schedule_freed_places(session=session, pair=pair, freed=[(pair.mentor_user_id, pair.cohort_id)], now=now)


# ---------------------------------------------------------------------- a freed place and the waiting list


@dataclass
class PlaceOffer:
    """A freed place and who would fill it."""

    mentor_id: str
    cohort_id: int | None
    candidate: pair_matching.WaitingCandidate | None
    automatic: bool


def freed_place(
    *, session: Session, team_id: str, mentor_id: str, cohort_id: int | None, now: datetime
) -> PlaceOffer | None:
    """Who the freed place of a mentor goes to (None: the mentor has no free place, or nobody waits who fits)."""
    if not _mentor_active(session, team_id, mentor_id):
        return None
    candidate = pair_matching.waiting_mentee_for(
        session=session, team_id=team_id, mentor_id=mentor_id, cohort_id=cohort_id, now=now
    )
    if candidate is None:
        return None
    cohort = session.get(Cohort, cohort_id) if cohort_id is not None else None
    return PlaceOffer(mentor_id, cohort_id, candidate, settings_of(cohort).fill_freed_places)


def fill_place(
    *, session: Session, team_id: str, actor: str, mentor_id: str, mentee_id: str, cohort_id: int | None, now: datetime
) -> Pair:
    """Pair a waiting mentee with a mentor's free place, checked again under lock. Raises Refused when the place
    or the mentee is no longer free, or the two no longer fit. The caller commits and starts the journey."""
    rounds.lock_participants(session=session, team_id=team_id, user_ids={mentor_id, mentee_id})
    proposal = pair_matching.mentors_for(
        session=session, team_id=team_id, mentee_id=mentee_id, cohort_id=cohort_id, now=now, limit=1000
    )
    chosen = next((c for c in proposal.candidates if c.user_id == mentor_id), None)
    taken = any(
        p.mentee_user_id == mentee_id
        for p in rounds.open_pairs_of(session=session, team_id=team_id, user_ids=[mentee_id])
    )
    if chosen is None or taken:
        raise Refused({"": f"That place or that mentee is no longer free (<@{mentee_id}> with <@{mentor_id}>)."})
    pair = Pair(
        team_id=team_id,
        cohort_id=cohort_id,
        mentee_user_id=mentee_id,
        mentor_user_id=mentor_id,
        source=ControlSource.WAITING_LIST,
        score=float(chosen.score.total),
        reasons=list(chosen.score.reasons),
        factors=dict(chosen.score.factors),
        created_by=actor,
        created_at=now,
    )
    session.add(pair)
    _set_waiting(session, team_id, mentee_id, waiting=False)
    session.flush()
    _audit(session, pair, actor, PairAction.FILL_PLACE, now, "", cohort=cohort_id)
    return pair


def schedule_freed_places(
    *, session: Session, pair: Pair, freed: Sequence[tuple[str, int | None]], now: datetime
) -> None:
    """Offer each freed place through the outbox (once, durably, with the change that freed it). No commit."""
    for n, (mentor_id, cohort_id) in enumerate(freed):
        schedule_prompt(
            session=session,
            team_id=pair.team_id,
            key=f"place_freed:{pair.id}:{pair.version}:{n}",
            kind=ControlPromptKind.PLACE_FREED,
            due_at=now,
            payload={"mentor": mentor_id, "cohort": cohort_id},
        )


def render_place_freed(
    services: Services, session: Session, prompt: ScheduledPrompt, now: datetime
) -> list[Outgoing] | None:
    """A freed place: filled from the waiting list at once where the cohort allows, else offered to coordinators."""
    from bot.lifecycle.plan import start_pair

    payload = prompt.payload or {}
    mentor_id, cohort_id = str(payload.get("mentor") or ""), payload.get("cohort")
    actor = f"outbox:{prompt.id}"
    filled = store.created_by(session=session, team_id=prompt.team_id, created_by=actor)
    if filled is None:
        offer = freed_place(session=session, team_id=prompt.team_id, mentor_id=mentor_id, cohort_id=cohort_id, now=now)
        if offer is None or offer.candidate is None:
            return None
        if not offer.automatic:
            note = views.place_offer_note(
                mentor_id=mentor_id,
                mentee_id=offer.candidate.user_id,
                cohort_id=cohort_id,
                since=offer.candidate.since,
                score=offer.candidate.score,
                now=now,
            )
            targets = note_targets(services, prompt.team_id, session)
            return [Outgoing(channel=t, text=note["text"], blocks=note["blocks"]) for t in targets]
        try:
            filled = fill_place(
                session=session,
                team_id=prompt.team_id,
                actor=actor,
                mentor_id=mentor_id,
                mentee_id=offer.candidate.user_id,
                cohort_id=cohort_id,
                now=now,
            )
        except Refused:
            return None
        session.commit()
    start_pair(session=session, services=services, pair=filled, now=now)
    since = store.waiting_since(session=session, team_id=prompt.team_id, user_ids=[filled.mentee_user_id])
    note = views.place_filled_note(
        mentor_id=mentor_id,
        mentee_id=filled.mentee_user_id,
        since=since.get(filled.mentee_user_id, filled.created_at),
        now=filled.created_at,
        automatic=True,
    )
    targets = note_targets(services, prompt.team_id, session)
    return [Outgoing(channel=t, text=note["text"], blocks=note["blocks"]) for t in targets]


# ---------------------------------------------------------------------- bulk


@dataclass(frozen=True)
class BulkItem:
    """One pair a bulk action would touch, in the version the coordinator confirms."""

    pair_id: int
    version: int
    mentee: str
    mentor: str
    weeks: int


def bulk_candidates(*, session: Session, team_id: str, now: datetime, min_weeks: int = 0) -> list[BulkItem]:
    """At-risk pairs inactive at least ``min_weeks`` (at most :data:`BULK_LIMIT`, longest quiet first)."""
    rows, _ = store.list_pairs(
        session=session,
        team_id=team_id,
        wanted=store.PairFilter(statuses=(PairStatus.AT_RISK,)),
        per_page=BULK_LIMIT * 5,
    )
    facts = store.pair_facts(session=session, pair_ids=[int(p.id or 0) for p in rows])
    out = []
    for pair in rows:
        since = facts[int(pair.id or 0)].last_activity or pair.created_at
        weeks = max(0, (now - since).days // 7)
        if weeks >= min_weeks:
            out.append(BulkItem(int(pair.id or 0), pair.version, pair.mentee_user_id, pair.mentor_user_id, weeks))
    out.sort(key=lambda item: (-item.weeks, item.pair_id))
    return out[:BULK_LIMIT]


@dataclass
class BulkDone:
    """What a bulk action did: pairs acted on, pairs skipped because they changed, and what to send."""

    done: list[Done] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)


def bulk_apply(*, session: Session, items: Sequence[tuple[int, int]], act: Callable[[int, int], Done]) -> BulkDone:
    """Apply ``act(pair_id, version)`` to each pair in its own savepoint; a pair that changed is skipped."""
    out = BulkDone()
    for pair_id, version in items:
        try:
            with session.begin_nested():
                out.done.append(act(pair_id, version))
        except (PairChanged, PairEnded, PairGone, Refused):
            out.skipped.append(pair_id)
    return out


def start_pairs(services: Services, pairs: Sequence[Pair]) -> None:
    """Start new pairs' journeys (group DM, plan) and introduce them now rather than at the next tick."""
    from bot.dispatch import Dispatcher
    from bot.lifecycle.plan import start_pair

    for pair in pairs:
        with services.sessions() as session:
            fresh = session.get(Pair, pair.id)
            if fresh is not None:
                start_pair(session=session, services=services, pair=fresh, now=services.now())
    if pairs:
        Dispatcher(services, owner=f"pairs-{pairs[0].team_id}").tick(services.now())


def register_prompt_kinds() -> None:
    """Register the pair-control prompts with the outbox."""
    from bot.outbox import register_prompt_kind

    register_prompt_kind(ControlPromptKind.INACTIVE_NOTICE, render_inactive_notice)
    register_prompt_kind(ControlPromptKind.INACTIVE_CLOSE, render_inactive_close, after_send=after_inactive_close)
    register_prompt_kind(ControlPromptKind.REMATCH_UNDO_EXPIRY, render_undo_expiry)
    register_prompt_kind(ControlPromptKind.PLACE_FREED, render_place_freed)


__all__ = ["CohortSettings"]
