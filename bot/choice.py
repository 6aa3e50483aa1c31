"""Mentee-choice matching: each mentee picks from a shortlist, the chosen mentor has N days to answer.

Shortlists are capacity-aware. Place 1 of every shortlist is the optimal assignment of the round (the
same exact solver as a normal round); place 2 is the optimal assignment, among the mentees who got place 1,
without place 1's pairs; place 3 likewise. Each place on its own respects every mentor's free places, so
whichever place each mentee picks (with any probabilities p1, p2, p3), the *expected* number of requests a
mentor receives is at most p1 x places + p2 x places + p3 x places = their free places, and if everyone takes
our suggestion the result is exactly the normal round's.

Then: a mentee picks (reminded half-way through their window; at its end the shortlist expires); the
mentor accepts or declines (reminded half-way; at the deadline the request expires). A decline, an expiry
or a mentor who filled up passes the request to the mentee's next choice. A mentee whose choices ran out
is matched by the optimiser where the cohort allows it (``choice_auto_match``), else gets a new shortlist of
mentors with free places, else is told and goes first in line next round.

Accepting re-checks both people under lock, inside the transaction that creates the pair: a mentee who
was paired meanwhile, paused or left is not paired again; a full mentor is told so, truthfully.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import update
from sqlmodel import Session, select

from bot import people
from bot.cohorts import get_cohort, mark_matching, mark_running, settings_of
from bot.learning import active_model
from bot.matching import Score, plan_round, score, score_matrix
from bot.matching.rounds import CAPACITY_REASON
from bot.matching.solver import assign_from_matrix
from bot.matchmaking import do_not_pair_lists, load_pool, load_rules, past_pairs_of, round_settings
from bot.outbox import Outgoing, schedule_prompt
from bot.outcomes import record_snapshots
from bot.privacy import is_pseudonym
from bot.profiles import Profile, Status
from bot.views.matching import choice_offer_message, choice_request_message, plural
from storage import rounds as store
from storage.models import Cohort, MatchRequest, Pair, Participant
from storage.vocab import (
    OPEN_REQUEST_STATUSES,
    MatchRequestStatus,
    PairSource,
    PromptKind,
)

if TYPE_CHECKING:
    pass

log = logging.getLogger(__name__)
SHORTLIST = 3
MAX_BATCHES = 3  # first shortlist, then up to two new ones after the earlier ran out
EXHAUSTED_REASON = "none of your chosen mentors could take you this round"

S = MatchRequestStatus
PASSED_ON = ", passed on"  # close_reason suffix: a declined or withdrawn request already moved on


def _gone(user_id: str) -> bool:
    return is_pseudonym(user_id)


# ---------------------------------------------------------------------- drawing shortlists (pure)


def draw_shortlists(
    mentees: list[Profile],
    mentors: list[Profile],
    *,
    weights: Any,
    settings: Any,
    week_of: Any,
    past_pairs: set[tuple[str, str]] | frozenset[tuple[str, str]] = frozenset(),
    forbidden: set[tuple[str, str]] | frozenset[tuple[str, str]] = frozenset(),
    priority: set[str] | frozenset[str] = frozenset(),
    size: int = SHORTLIST,
    model: Any = None,
) -> tuple[dict[str, list[str]], dict[str, str]]:
    """Capacity-aware shortlists: place k of every list comes from one optimal assignment.

    Place 1 is the round's optimal assignment (what a normal round would publish); place k is the optimal
    assignment of the mentees who got place k-1, without the pairs already offered. Each place on its own
    gives no mentor more mentees than their free places, so whatever mix of places the mentees pick, the
    expected number of requests each mentor receives stays within their places. A mentee the optimum leaves
    out gets no list (the reason says why) and is first in line.

    Args:
        mentees: Who gets a shortlist.
        mentors: Mentors with ``capacity`` = the places they have free.
        weights: Factor weights.
        settings: Hard constraints.
        week_of: A day of the first week (for working-hours overlap).
        past_pairs: Pairs that were or are together.
        forbidden: Pairs a coordinator forbade (or a mentor already declined).
        priority: Mentees first in line (boosted as in a normal round).
        size: At most this many mentors each.
        model: The cohort's learned scoring model (None: its weights).

    Returns:
        Mentee id -> mentor ids best first (rank order), and mentee id -> why they got nobody.
    """
    lists: dict[str, list[str]] = {p.user_id: [] for p in mentees}
    if not mentees:
        return lists, {}
    matrix = score_matrix(
        mentees, mentors, weights, settings, week_of=week_of, past_pairs=past_pairs, forbidden=forbidden, model=model
    )
    allowed = matrix.allowed.copy()
    capacities = np.array([max(m.capacity, 0) for m in mentors], dtype=np.int64)
    boost = None
    if priority and settings.priority_boost:
        boost = np.array([settings.priority_boost if p.user_id in priority else 0.0 for p in mentees], dtype=np.float32)
    active = np.ones(len(mentees), dtype=bool)
    for _ in range(size):
        allowed[~active] = False
        if not allowed.any():
            break
        chosen = assign_from_matrix(matrix.total, allowed, capacities, boost=boost)
        if not chosen:
            break
        active = np.zeros(len(mentees), dtype=bool)
        for i, j in chosen:
            lists[mentees[i].user_id].append(mentors[j].user_id)
            allowed[i, j] = False
            active[i] = True
    why = {}
    for uid, chosen_mentors in lists.items():
        if not chosen_mentors:
            why[uid] = matrix.no_candidate.get(uid, CAPACITY_REASON)
    return lists, why


# ---------------------------------------------------------------------- offering shortlists


@dataclass
class Shortlist:
    """One mentee's offers, best first."""

    mentee: str
    requests: list[MatchRequest]
    batch: int = 1
    deadline: datetime | None = None


@dataclass
class Offering:
    """What sending shortlists did."""

    cohort: Cohort
    shortlists: list[Shortlist] = field(default_factory=list)
    nobody_fits: dict[str, str] = field(default_factory=dict)  # mentee -> reason
    already_waiting: int = 0


def _requested_load(session: Session, team_id: str) -> dict[str, int]:
    rows = session.exec(
        select(MatchRequest.mentor_user_id).where(MatchRequest.team_id == team_id, MatchRequest.status == S.REQUESTED)
    ).all()
    load: dict[str, int] = {}
    for mentor in rows:
        load[mentor] = load.get(mentor, 0) + 1
    return load


def _schedule_pick_prompts(
    session: Session, cohort: Cohort, mentee: str, batch: int, now: datetime, days: int
) -> datetime:
    deadline = now + timedelta(days=days)
    key = f"choice:{cohort.id}:{mentee}:{batch}"
    payload = {"cohort": cohort.id, "mentee": mentee, "batch": batch}
    schedule_prompt(
        session=session,
        team_id=cohort.team_id,
        key=f"{key}:pick-reminder",
        kind=PromptKind.CHOICE_PICK_REMINDER,
        due_at=now + (deadline - now) / 2,
        recipient_user_id=mentee,
        payload=payload,
    )
    schedule_prompt(
        session=session,
        team_id=cohort.team_id,
        key=f"{key}:pick-deadline",
        kind=PromptKind.CHOICE_PICK_DEADLINE,
        due_at=deadline,
        recipient_user_id=mentee,
        payload=payload,
    )
    return deadline


def offer_shortlists(
    *,
    session: Session,
    team_id: str,
    cohort_id: int,
    now: datetime,
    only: set[str] | None = None,
    batch: int = 1,
    exclude: dict[str, set[str]] | None = None,
) -> Offering:
    """Draw and store capacity-aware shortlists for a cohort's waiting mentees; commits.

    Mentees who already have an open offer or request are left alone (idempotent per mentee).

    Args:
        session: Database session.
        team_id: The workspace.
        cohort_id: The cohort (its pool includes people carried over into it).
        now: The current time (the shortlist expires ``choice_pick_days`` later).
        only: Limit to these mentees (a new shortlist after the first ran out).
        batch: Which shortlist this is for them.
        exclude: Mentee -> mentors not to offer again (declined, expired, already offered).
    """
    cohort = get_cohort(session=session, team_id=team_id, cohort_id=cohort_id)
    if cohort is None:
        raise LookupError(f"no cohort {cohort_id}")
    cohort_settings = settings_of(cohort)
    weights, constraints = round_settings(cohort_settings)
    pool = load_pool(session=session, team_id=team_id, cohort_id=cohort_id)
    rules = load_rules(session=session, team_id=team_id, cohort_id=cohort_id)
    waiting = set(
        session.exec(
            select(MatchRequest.mentee_user_id).where(
                MatchRequest.team_id == team_id,
                MatchRequest.status.in_(OPEN_REQUEST_STATUSES),  # type: ignore[attr-defined]
            )
        ).all()
    )
    mentees = [m for m in pool.mentees if m.user_id not in waiting and (only is None or m.user_id in only)]
    offering = Offering(cohort=cohort, already_waiting=len([m for m in pool.mentees if m.user_id in waiting]))
    if not mentees:
        return offering
    requested = _requested_load(session, team_id)
    mentors = [replace(m, capacity=m.capacity - requested.get(m.user_id, 0)) for m in pool.mentors]
    mentors = [m for m in mentors if m.capacity > 0]
    forbidden = set(rules.forbids)
    for mentee, mentors_out in (exclude or {}).items():
        forbidden |= {(mentee, m) for m in mentors_out}
    pins = {e: m for e, m in rules.pins.items() if any(p.user_id == m for p in mentors)}
    model = active_model(session=session, team_id=team_id, cohort_id=cohort_id)
    lists, why = draw_shortlists(
        mentees,
        mentors,
        weights=weights,
        settings=constraints,
        week_of=now.date(),
        past_pairs=pool.past_pairs,
        forbidden=frozenset(forbidden),
        priority=pool.priority,
        model=model,
    )
    mentor_by_id = {m.user_id: m for m in mentors}
    days = cohort_settings.choice_pick_days
    for mentee in mentees:
        chosen = lists.get(mentee.user_id, [])
        pinned = pins.get(mentee.user_id)
        if pinned and pinned not in chosen and (mentee.user_id, pinned) not in forbidden:
            chosen = [pinned, *chosen][:SHORTLIST]  # a coordinator's pin comes first
        elif pinned in chosen:
            chosen = [pinned, *[m for m in chosen if m != pinned]]
        if not chosen:
            offering.nobody_fits[mentee.user_id] = why.get(mentee.user_id, CAPACITY_REASON)
            continue
        deadline = _schedule_pick_prompts(session, cohort, mentee.user_id, batch, now, days)
        requests = []
        for rank, mentor_id in enumerate(chosen, start=1):
            detail = score(mentee, mentor_by_id[mentor_id], weights, week_of=now.date(), model=model)
            request = MatchRequest(
                team_id=team_id,
                cohort_id=cohort_id,
                mentee_user_id=mentee.user_id,
                mentor_user_id=mentor_id,
                rank=rank,
                score=detail.total,
                reasons=detail.reasons,
                status=S.OFFERED,
                respond_by=deadline,
                created_at=now,
                batch=batch,
            )
            session.add(request)
            requests.append(request)
        offering.shortlists.append(Shortlist(mentee.user_id, requests, batch=batch, deadline=deadline))
    for user_id, reason in offering.nobody_fits.items():
        session.execute(
            update(Participant)
            .where(Participant.team_id == team_id, Participant.user_id == user_id)
            .values(priority=True, unmatched_reason=reason[:300])
        )
    mark_matching(session=session, cohort_id=cohort_id, now=now)
    session.commit()
    return offering


# ---------------------------------------------------------------------- what people are told


def when_for(moment: datetime, tz: str) -> str:
    """A deadline in the reader's own timezone: ``Thu 12 Mar, 17:00 (your time)``."""
    try:
        local = moment.astimezone(ZoneInfo(tz or "UTC"))
    except (KeyError, ValueError):
        local = moment
    return f"{local:%a %d %b, %H:%M} (your time)"


def _tz(session: Session, team_id: str, user_id: str) -> str:
    participant = session.exec(
        select(Participant).where(Participant.team_id == team_id, Participant.user_id == user_id)
    ).first()
    return participant.timezone if participant is not None else "UTC"


def shortlist_message(session: Session, shortlist: Shortlist, days: int) -> Outgoing:
    """The DM carrying a mentee's shortlist."""
    team_id = shortlist.requests[0].team_id
    options = [
        {"mentor": r.mentor_user_id, "score": r.score, "reasons": r.reasons, "request_id": r.id}
        for r in shortlist.requests
    ]
    assert shortlist.deadline is not None
    deadline = when_for(shortlist.deadline, _tz(session, team_id, shortlist.mentee))
    message = choice_offer_message(options, days=days, deadline=deadline, again=shortlist.batch > 1)
    return Outgoing(channel=shortlist.mentee, text=message["text"], blocks=message["blocks"])


def _request_mentor(session: Session, request: MatchRequest, days: int) -> Outgoing:
    """Ask the mentor, and schedule the reminder and the deadline that moves the request on."""
    assert request.id is not None and request.respond_by is not None
    schedule_prompt(
        session=session,
        team_id=request.team_id,
        key=f"choice-answer-reminder:{request.id}",
        kind=PromptKind.CHOICE_ANSWER_REMINDER,
        due_at=request.respond_by - timedelta(days=days) / 2,
        recipient_user_id=request.mentor_user_id,
        payload={"request": request.id},
    )
    schedule_prompt(
        session=session,
        team_id=request.team_id,
        key=deadline_key(request.id),
        kind=PromptKind.CHOICE_DEADLINE,
        due_at=request.respond_by,
        recipient_user_id=request.mentee_user_id,
        payload={"request": request.id},
    )
    deadline = when_for(request.respond_by, _tz(session, request.team_id, request.mentor_user_id))
    message = choice_request_message(
        mentee=request.mentee_user_id, reasons=request.reasons, request_id=request.id, days=days, deadline=deadline
    )
    return Outgoing(channel=request.mentor_user_id, text=message["text"], blocks=message["blocks"])


def deadline_key(request_id: int) -> str:
    return f"choice-deadline:{request_id}"


# ---------------------------------------------------------------------- the mentee picks


@dataclass
class Step:
    """What an action in the choice flow led to: messages to send, and a pair whose journey starts."""

    messages: list[Outgoing] = field(default_factory=list)
    pairs: list[Pair] = field(default_factory=list)  # made along the way: their journeys start
    request: MatchRequest | None = None
    refused: str = ""  # answer for the person who clicked, when nothing happened

    @property
    def pair(self) -> Pair | None:
        """The pair the mentor's Accept made (None when it made none)."""
        accepted = [
            p for p in self.pairs if self.request is not None and p.mentor_user_id == self.request.mentor_user_id
        ]
        return accepted[0] if accepted else None


def _settings_for(session: Session, request: MatchRequest) -> Any:
    return settings_of(get_cohort(session=session, team_id=request.team_id, cohort_id=request.cohort_id))


def choose(*, session: Session, team_id: str, request_id: int, actor: str, now: datetime) -> Step:
    """The mentee picks one of their offers: the mentor is asked. Locked, so a double click asks once."""
    store.lock_participants(session=session, team_id=team_id, user_ids={actor})
    request = session.get(MatchRequest, request_id, populate_existing=True)
    if request is None or request.team_id != team_id or request.mentee_user_id != actor:
        session.rollback()
        return Step(refused="That choice isn't yours, or no longer exists.")
    busy = session.exec(
        select(MatchRequest).where(
            MatchRequest.team_id == team_id,
            MatchRequest.mentee_user_id == actor,
            MatchRequest.status.in_((S.REQUESTED, S.ACCEPTED)),  # type: ignore[attr-defined]
        )
    ).first()
    if busy is not None:
        session.rollback()
        who = f"<@{busy.mentor_user_id}>"
        if busy.status == S.ACCEPTED:
            return Step(refused=f"You're already paired with {who}.")
        return Step(refused=f"You've already asked {who}; we'll tell you here as soon as they answer.")
    if request.status != S.OFFERED:
        session.rollback()
        return Step(refused="That choice is no longer open.")
    cfg = _settings_for(session, request)
    problem = _mentor_problem(session, request)
    if problem:
        request.status, request.close_reason = S.CLOSED, problem[:64]
        session.add(request)
        left = _open_offers(session, request)
        step = Step(request=request)
        if left:
            step.messages.append(
                Outgoing(
                    channel=actor,
                    text=f"Sorry: <@{request.mentor_user_id}> {problem}. Please pick another mentor from your list.",
                )
            )
            session.commit()
            return step
        session.flush()
        _fallback(session, request, now, step, why=problem)
        session.commit()
        return step
    request.status, request.respond_by = S.REQUESTED, now + timedelta(days=cfg.choice_response_days)
    session.add(request)
    session.flush()
    step = Step(request=request, messages=[_request_mentor(session, request, cfg.choice_response_days)])
    session.commit()
    step.messages.append(
        Outgoing(
            channel=actor,
            text=f"We've asked <@{request.mentor_user_id}>. They have {plural(cfg.choice_response_days, 'day')} to "
            "answer; if they can't, we ask your next choice.",
        )
    )
    return step


def _open_offers(session: Session, request: MatchRequest) -> list[MatchRequest]:
    return list(
        session.exec(
            select(MatchRequest)
            .where(
                MatchRequest.team_id == request.team_id,
                MatchRequest.mentee_user_id == request.mentee_user_id,
                MatchRequest.status == S.OFFERED,
            )
            .order_by(MatchRequest.batch, MatchRequest.rank)  # type: ignore[arg-type]
        ).all()
    )


# ---------------------------------------------------------------------- checks under lock


def _mentor_problem(session: Session, request: MatchRequest) -> str:
    """Why the mentor cannot take this mentee now ("" when they can), worded for the mentee."""
    saved = people.load_profile(session=session, team_id=request.team_id, user_id=request.mentor_user_id)
    if saved is None:
        return "has left the program"
    participant, profile, _ = saved
    if participant.status != Status.ACTIVE:
        return "is taking a break from the program"
    if not profile.is_mentor:
        return "no longer offers mentoring"
    load = store.mentor_load(session=session, team_id=request.team_id, mentor_user_id=request.mentor_user_id)
    if load >= profile.capacity:
        return "has no free mentoring place any more"
    return ""


def _mentee_problem(session: Session, request: MatchRequest) -> str:
    """Why this mentee cannot be paired now ("" when they can), worded for the mentor."""
    saved = people.load_profile(session=session, team_id=request.team_id, user_id=request.mentee_user_id)
    if saved is None or request.mentee_user_id.startswith("gone:"):
        return "has left the program"
    participant, profile, _ = saved
    if participant.status != Status.ACTIVE:
        return "is taking a break from the program"
    if not profile.is_mentee:
        return "is no longer looking for a mentor"
    open_pairs = store.open_pairs_of(session=session, team_id=request.team_id, user_ids={request.mentee_user_id})
    if any(p.mentee_user_id == request.mentee_user_id for p in open_pairs):
        return "has been matched with a mentor meanwhile"
    return ""


def _pair_problem(session: Session, request: MatchRequest) -> str:
    """A rule that now keeps the two apart (a coordinator's forbid, a do-not-pair list, a manager line, an earlier
    pair), worded neutrally for the mentor ("" when none)."""
    team_id, mentee_id, mentor_id = request.team_id, request.mentee_user_id, request.mentor_user_id
    if request.cohort_id is not None:
        rules = load_rules(session=session, team_id=team_id, cohort_id=request.cohort_id)
        if (mentee_id, mentor_id) in rules.forbids:
            return "can't be paired with you in this program"
    both = (mentee_id, mentor_id)
    blocked = do_not_pair_lists(session, team_id)
    listed = mentor_id in blocked.get(mentee_id, set()) or mentee_id in blocked.get(mentor_id, set())
    paired = past_pairs_of(session, team_id, both)
    found = people.load_profiles(session=session, team_id=team_id, user_ids=set(both))
    managed = len(found) == 2 and (
        found[mentee_id][1].manager_id == mentor_id or found[mentor_id][1].manager_id == mentee_id
    )
    if listed or paired or managed:
        return "can't be paired with you in this program"
    return ""


# ---------------------------------------------------------------------- the mentor answers (or the deadline passes)


def answer(*, session: Session, team_id: str, request_id: int, actor: str | None, accept: bool, now: datetime) -> Step:
    """A mentor accepts or declines (``actor`` None: the deadline passed); commits.

    Both people are locked and checked again before a pair is made. A full mentor's Accept passes the
    request on and says so; a mentee who no longer needs this mentor is not paired, and the mentor is told
    why.
    """
    request = session.get(MatchRequest, request_id, populate_existing=True)
    if request is None or request.team_id != team_id:
        session.rollback()
        return Step(refused="That request no longer exists.")
    if actor is not None and actor != request.mentor_user_id:
        session.rollback()
        return Step(refused="That request is no longer open.")
    store.lock_participants(session=session, team_id=team_id, user_ids={request.mentee_user_id, request.mentor_user_id})
    request = session.get(MatchRequest, request_id, populate_existing=True)
    assert request is not None
    if actor is None and request.status in (S.DECLINED, S.WITHDRAWN) and not request.close_reason.endswith(PASSED_ON):
        # The answer window closed on a decline (or on a mentor who left): only now does the mentee hear it,
        # in the words an expiry uses, so a decline can't be told from no answer.
        step = Step(request=request)
        request.close_reason = f"{request.close_reason or request.status}{PASSED_ON}"[:64]
        session.add(request)
        session.flush()
        if not _gone(request.mentee_user_id):
            days = _settings_for(session, request).choice_response_days
            _pass_on(session, request, now, days, step, why="is not available right now")
        session.commit()
        return step
    if request.status != S.REQUESTED:
        refused = "That request is no longer open (it was answered, expired or passed on)."
        if request.status == S.ACCEPTED:
            refused = f"You already accepted; you and <@{request.mentee_user_id}> are a pair."
        elif request.close_reason == "mentor full" and actor == request.mentor_user_id and accept:
            load = store.mentor_load(session=session, team_id=team_id, mentor_user_id=request.mentor_user_id)
            saved = people.load_profile(session=session, team_id=team_id, user_id=request.mentor_user_id)
            capacity = saved[1].capacity if saved else load
            refused = (
                f"Thank you! Your places are full ({load} of {capacity} mentees, your capacity), so we passed "
                f"<@{request.mentee_user_id}>'s request to their next choice. To take more mentees, raise your "
                "capacity in `/mentor profile`."
            )
        elif request.status == S.DECLINED:
            refused = "You already declined that request; nothing else to do."
        elif request.status == S.EXPIRED:
            refused = "That request expired before an answer, so we passed it to their next choice."
        session.rollback()
        return Step(refused=refused)
    cfg = _settings_for(session, request)
    step = Step(request=request)
    mentee, mentor = request.mentee_user_id, request.mentor_user_id
    if not accept and actor is not None:
        # Recorded now, passed on when the answer window closes (see above): the mentee learns the same thing
        # at the same time whether the mentor declined or never answered.
        request.status, request.close_reason = S.DECLINED, "declined"
        session.add(request)
        session.commit()
        step.messages.append(
            Outgoing(
                channel=mentor,
                text="Thanks for letting us know. When the answer window closes they'll hear you're not available "
                "right now, exactly as if it had run out: nobody is told you declined.",
            )
        )
        return step
    if not accept:
        request.status = S.EXPIRED
        request.close_reason = "no answer in time"
        session.add(request)
        session.flush()
        _pass_on(session, request, now, cfg.choice_response_days, step, why="is not available right now")
        step.messages.append(
            Outgoing(
                channel=mentor,
                text=f"<@{mentee}>'s request to you expired without an answer, so we've passed it to their "
                "next choice. No need to do anything.",
            )
        )
        session.commit()
        return step
    mentee_problem = _mentee_problem(session, request)
    if mentee_problem:
        request.status, request.close_reason = S.CLOSED, f"mentee {mentee_problem}"[:64]
        session.add(request)
        session.commit()
        step.messages.append(
            Outgoing(channel=mentor, text=f"Thank you! <@{mentee}> {mentee_problem}, so no pair was made.")
        )
        return step
    mentor_problem = _mentor_problem(session, request)
    if mentor_problem:
        load = store.mentor_load(session=session, team_id=team_id, mentor_user_id=mentor)
        saved = people.load_profile(session=session, team_id=team_id, user_id=mentor)
        capacity = saved[1].capacity if saved else load
        request.status, request.close_reason = S.CLOSED, "mentor full"
        session.add(request)
        session.flush()
        _pass_on(session, request, now, cfg.choice_response_days, step, why="has no free mentoring place any more")
        step.messages.append(
            Outgoing(
                channel=mentor,
                text=f"Thank you! Your places are full ({load} of {capacity} mentees, your capacity), so we passed "
                f"<@{mentee}>'s request to their next choice. To take more mentees, raise your capacity in "
                "`/mentor profile`.",
            )
        )
        session.commit()
        return step
    pair_problem = _pair_problem(session, request)
    if pair_problem:
        request.status, request.close_reason = S.CLOSED, "rule"
        session.add(request)
        session.flush()
        _pass_on(session, request, now, cfg.choice_response_days, step, why="can't take you this round")
        step.messages.append(
            Outgoing(channel=mentor, text=f"Thank you! <@{mentee}> {pair_problem}, so no pair was made.")
        )
        session.commit()
        return step
    step.pairs.append(_make_pair(session, request, now, created_by=mentee))
    step.messages.append(
        Outgoing(channel=mentee, text=f":tada: <@{mentor}> accepted: you're a pair! Your group DM opens now.")
    )
    step.messages.append(
        Outgoing(channel=mentor, text=f"Thanks! You and <@{mentee}> are now a pair; your group DM opens now.")
    )
    _after_mentor_filled(session, request, now, cfg.choice_response_days, step)
    session.commit()
    return step


def _make_pair(session: Session, request: MatchRequest, now: datetime, *, created_by: str) -> Pair:
    request.status = S.ACCEPTED
    session.add(request)
    pair = Pair(
        team_id=request.team_id,
        cohort_id=request.cohort_id,
        mentee_user_id=request.mentee_user_id,
        mentor_user_id=request.mentor_user_id,
        source=PairSource.CHOICE,
        score=request.score,
        reasons=request.reasons,
        created_by=created_by,
        created_at=now,
    )
    session.add(pair)
    record_snapshots(session=session, pairs=[pair], now=now)
    session.execute(
        update(MatchRequest)
        .where(
            MatchRequest.team_id == request.team_id,
            MatchRequest.mentee_user_id == request.mentee_user_id,
            MatchRequest.status.in_(OPEN_REQUEST_STATUSES),  # type: ignore[attr-defined]
            MatchRequest.id != request.id,
        )
        .values(status=S.CLOSED, close_reason="paired")
    )
    session.execute(
        update(Participant)
        .where(Participant.team_id == request.team_id, Participant.user_id == request.mentee_user_id)
        .values(priority=False, unmatched_reason="")
    )
    if request.cohort_id is not None:
        store.move_to_cohort(
            session=session, team_id=request.team_id, user_ids={request.mentee_user_id}, cohort_id=request.cohort_id
        )
        mark_running(session=session, cohort_id=request.cohort_id, now=now)
    session.flush()
    return pair


def _after_mentor_filled(session: Session, request: MatchRequest, now: datetime, days: int, step: Step) -> None:
    """The mentor's last place was just taken: other requests waiting on them move on now, not at the deadline."""
    if not _mentor_problem(session, request):
        return
    waiting = session.exec(
        select(MatchRequest).where(
            MatchRequest.team_id == request.team_id,
            MatchRequest.mentor_user_id == request.mentor_user_id,
            MatchRequest.status == S.REQUESTED,
        )
    ).all()
    for other in waiting:
        other.status, other.close_reason = S.CLOSED, "mentor full"
        session.add(other)
        session.flush()
        _pass_on(session, other, now, days, step, why="has just filled their last mentoring place")


def _pass_on(session: Session, request: MatchRequest, now: datetime, days: int, step: Step, *, why: str) -> None:
    """Ask the mentee's next available choice; when none is left, fall back."""
    mentee = request.mentee_user_id
    for following in _open_offers(session, request):
        problem = _mentor_problem(session, following)
        if problem:
            following.status, following.close_reason = S.CLOSED, problem[:64]
            session.add(following)
            continue
        following.status, following.respond_by = S.REQUESTED, now + timedelta(days=days)
        session.add(following)
        session.flush()
        step.messages.append(
            Outgoing(
                channel=mentee,
                text=f"<@{request.mentor_user_id}> {why}, so we've asked your next choice, "
                f"<@{following.mentor_user_id}>.",
            )
        )
        step.messages.append(_request_mentor(session, following, days))
        return
    session.flush()
    _fallback(session, request, now, step, why=why)


def _tried(session: Session, team_id: str, mentee: str) -> set[str]:
    return set(
        session.exec(
            select(MatchRequest.mentor_user_id).where(
                MatchRequest.team_id == team_id, MatchRequest.mentee_user_id == mentee
            )
        ).all()
    )


def _fallback(session: Session, request: MatchRequest, now: datetime, step: Step, *, why: str = "") -> None:
    """A mentee's choices ran out: the optimiser where the cohort allows, else a new shortlist, else first in line."""
    team_id, mentee = request.team_id, request.mentee_user_id
    cohort = get_cohort(session=session, team_id=team_id, cohort_id=request.cohort_id)
    lead = f"<@{request.mentor_user_id}> {why}, and your shortlist is used up. " if why else ""
    if cohort is not None and cohort.id is not None:
        cfg = settings_of(cohort)
        tried = _tried(session, team_id, mentee)
        if cfg.choice_auto_match:
            made = auto_match(session=session, cohort=cohort, mentees={mentee}, exclude={mentee: tried}, now=now)
            if made:
                pair = made[0]
                step.pairs.append(pair)
                step.messages.append(
                    Outgoing(
                        channel=mentee,
                        text=f"{lead}So the program matched you with <@{pair.mentor_user_id}>, who has a free place "
                        "and fits you well. Your group DM opens now.",
                    )
                )
                step.messages.append(
                    Outgoing(
                        channel=pair.mentor_user_id,
                        text=f"You've been matched with <@{mentee}> (their chosen mentors couldn't take them, and "
                        "you fit well). Your group DM opens now.",
                    )
                )
                return
        batch = 1 + max(
            (
                r.batch
                for r in session.exec(
                    select(MatchRequest).where(MatchRequest.team_id == team_id, MatchRequest.mentee_user_id == mentee)
                ).all()
            ),
            default=1,
        )
        if batch <= MAX_BATCHES:
            offering = offer_shortlists(
                session=session,
                team_id=team_id,
                cohort_id=cohort.id,
                now=now,
                only={mentee},
                batch=batch,
                exclude={mentee: tried},
            )
            if offering.shortlists:
                if lead:
                    step.messages.append(Outgoing(channel=mentee, text=lead + "Here is a new shortlist."))
                step.messages.append(shortlist_message(session, offering.shortlists[0], cfg.choice_response_days))
                return
    session.execute(
        update(Participant)
        .where(Participant.team_id == team_id, Participant.user_id == mentee)
        .values(priority=True, unmatched_reason=EXHAUSTED_REASON)
    )
    step.messages.append(
        Outgoing(
            channel=mentee,
            text=f"{lead}No other mentor with a free place fits you right now, so you're first in line for the next "
            "round; there's nothing you need to do.",
        )
    )


def auto_match(
    *, session: Session, cohort: Cohort, mentees: set[str], exclude: dict[str, set[str]], now: datetime
) -> list[Pair]:
    """Match mentees whose choices ran out with the optimiser (same exact solver); the caller commits."""
    assert cohort.id is not None
    weights, constraints = round_settings(settings_of(cohort))
    pool = load_pool(session=session, team_id=cohort.team_id, cohort_id=cohort.id)
    rules = load_rules(session=session, team_id=cohort.team_id, cohort_id=cohort.id)
    chosen = [m for m in pool.mentees if m.user_id in mentees]
    if not chosen:
        return []
    requested = _requested_load(session, cohort.team_id)
    mentors = [replace(m, capacity=m.capacity - requested.get(m.user_id, 0)) for m in pool.mentors]
    mentors = [m for m in mentors if m.capacity > 0]
    forbidden = set(rules.forbids) | {(e, m) for e, ms in exclude.items() for m in ms}
    result = plan_round(
        chosen,
        mentors,
        weights=weights,
        settings=constraints,
        past_pairs=pool.past_pairs,
        forbidden=forbidden,
        priority=pool.priority,
        week_of=now.date(),
        model=active_model(session=session, team_id=cohort.team_id, cohort_id=cohort.id),
    )
    made = []
    for planned in result.pairs:
        request = MatchRequest(
            team_id=cohort.team_id,
            cohort_id=cohort.id,
            mentee_user_id=planned.mentee_id,
            mentor_user_id=planned.mentor_id,
            rank=0,
            score=planned.score.total,
            reasons=planned.score.reasons,
            status=S.REQUESTED,
            created_at=now,
            close_reason="matched by the optimiser",
        )
        session.add(request)
        session.flush()
        made.append(_make_pair(session, request, now, created_by="auto"))
    return made


# ---------------------------------------------------------------------- the window's reminders and deadlines


def pick_reminder(*, session: Session, team_id: str, mentee: str, batch: int) -> Outgoing | None:
    """Half-way through the mentee's window: remind them if they have not picked yet."""
    offers = session.exec(
        select(MatchRequest).where(
            MatchRequest.team_id == team_id, MatchRequest.mentee_user_id == mentee, MatchRequest.batch == batch
        )
    ).all()
    if not offers or any(r.status != S.OFFERED for r in offers):
        return None
    deadline = min(r.respond_by for r in offers if r.respond_by is not None)
    names = ", ".join(f"<@{r.mentor_user_id}>" for r in sorted(offers, key=lambda r: r.rank))
    return Outgoing(
        channel=mentee,
        text=f":hourglass_flowing_sand: A reminder: you haven't picked your mentor yet ({names}). Your shortlist is "
        f"open until {when_for(deadline, _tz(session, team_id, mentee))}; use the Choose buttons in the message above.",
    )


def pick_deadline(*, session: Session, team_id: str, mentee: str, batch: int, now: datetime) -> Step:
    """The mentee's window ended without a pick: the shortlist expires, and they fall back; commits."""
    store.lock_participants(session=session, team_id=team_id, user_ids={mentee})
    offers = list(
        session.exec(
            select(MatchRequest).where(
                MatchRequest.team_id == team_id, MatchRequest.mentee_user_id == mentee, MatchRequest.batch == batch
            )
        ).all()
    )
    step = Step()
    if not offers or any(r.status != S.OFFERED for r in offers):
        session.rollback()
        return step
    for offer in offers:
        offer.status, offer.close_reason = S.EXPIRED, "not chosen in time"
        session.add(offer)
    session.flush()
    last = sorted(offers, key=lambda r: r.rank)[-1]
    cohort = get_cohort(session=session, team_id=team_id, cohort_id=last.cohort_id)
    cfg = settings_of(cohort)
    if cohort is not None and cohort.id is not None and cfg.choice_auto_match:
        made = auto_match(session=session, cohort=cohort, mentees={mentee}, exclude={}, now=now)
        if made:
            pair = made[0]
            step.pairs.append(pair)
            step.messages += [
                Outgoing(
                    channel=mentee,
                    text=f"Your shortlist expired before you picked, so the program matched you with its suggestion, "
                    f"<@{pair.mentor_user_id}>. Your group DM opens now.",
                ),
                Outgoing(
                    channel=pair.mentor_user_id,
                    text=f"You've been matched with <@{mentee}> by the program. Your group DM opens now.",
                ),
            ]
    if not step.pairs:
        session.execute(
            update(Participant)
            .where(Participant.team_id == team_id, Participant.user_id == mentee)
            .values(priority=True, unmatched_reason="you didn't pick a mentor from your shortlist in time")
        )
        step.messages.append(
            Outgoing(
                channel=mentee,
                text="Your shortlist expired before you picked a mentor, so nobody was asked. You're first in line "
                "for the next round; if you'd rather sit it out, `/mentor pause` any time.",
            )
        )
    session.commit()
    return step


def answer_reminder(*, session: Session, team_id: str, request_id: int) -> Outgoing | None:
    """Half-way through the mentor's window: remind them if the request still waits for them."""
    request = session.get(MatchRequest, request_id)
    if request is None or request.team_id != team_id or request.status != S.REQUESTED or request.respond_by is None:
        return None
    return Outgoing(
        channel=request.mentor_user_id,
        text=f":hourglass_flowing_sand: A reminder: <@{request.mentee_user_id}> is waiting for your answer to their "
        f"mentoring request, until {when_for(request.respond_by, _tz(session, team_id, request.mentor_user_id))}. "
        "Use Accept or Not this time in the message above.",
    )


__all__ = [
    "MAX_BATCHES",
    "SHORTLIST",
    "Offering",
    "Score",
    "Shortlist",
    "Step",
    "answer",
    "answer_reminder",
    "auto_match",
    "choose",
    "deadline_key",
    "draw_shortlists",
    "offer_shortlists",
    "pick_deadline",
    "pick_reminder",
    "shortlist_message",
    "when_for",
]
