"""Match rounds in the program: load the pool, plan, preview, pin / forbid / re-run, publish; manual pairs.

The pure work (scoring, constraints, the exact solver) lives in :mod:`bot.matching`; this module
connects it to storage, and is what the coordinator handlers and :mod:`bot.round_runner` call.

Guarantees:

- **One live preview per cohort.** :func:`start_round` supersedes the cohort's live round in the same
  transaction that creates the new one, and a partial unique index refuses a second live round, so two
  ``/mentor match`` at once leave one. A plan is stored only while its round is still live and nobody stored
  a newer plan (:func:`compute_round`), so a superseded, discarded or published round is never revived.
- **Pins and forbids belong to the cohort** (``cohort_pair_rule``): every round of the cohort applies them,
  and publishing re-checks them.
- **Publishing re-validates every pair against the current state** (:func:`publish_round`): status, roles,
  capacity including pairs made since the preview, hard constraints, pins and forbids. Pairs that no longer
  hold are dropped with the reason; their mentees are re-solved with the same exact solver against the
  capacity left; everything is written in one transaction, or nothing is.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import or_, update
from sqlalchemy.exc import DBAPIError, IntegrityError, SQLAlchemyError
from sqlmodel import Session, select

from bot import people
from bot.cohorts import carry_over_sources, get_cohort, mark_matching, mark_running, settings_of
from bot.learning import active_model
from bot.matching import MatchSettings, RoundResult, Weights, diff_rounds, plan_round, score
from bot.matching.availability import shared_hours
from bot.matching.matrix import (
    AVAILABILITY,
    DEPARTMENT,
    DO_NOT_PAIR,
    FLOOR,
    FORBIDDEN,
    LANGUAGE,
    MANAGER,
    MENTOR_INACTIVE,
    OK,
    PAST,
    SELF,
    pair_block,
)
from bot.matching.reasons import unmatched as stored_reason
from bot.matching.rounds import MatchedPair
from bot.matching.scoring import Score
from bot.outcomes import record_snapshots
from bot.privacy import is_pseudonym, pseudonym_of_key
from bot.profiles import Profile, Status
from storage import rounds as store
from storage.coordination import record_audit, skipped_user_ids
from storage.models import Cohort, CohortPairRule, DoNotPair, MatchRound, Pair, Participant
from storage.models import Profile as ProfileRow
from storage.vocab import (
    LIVE_ROUND_STATUSES,
    CloseReason,
    PairRuleKind,
    PairSource,
    RoundStatus,
    UnmatchedReason,
)

log = logging.getLogger(__name__)

OPEN_PAIR_STATUSES = store.OPEN_PAIR_STATUSES

LOW_OVERLAP_HOURS = 2.0  # the preview flags pairs with less shared time than this


# ---------------------------------------------------------------------- the pool


@dataclass
class Pool:
    """Who takes part in a round, as things stand.

    Attributes:
        mentees: People looking for a mentor now.
        mentors: People with a free mentoring place (``capacity`` = free places).
        past_pairs: Every (mentee, mentor) pair there has been in the workspace.
        priority: Mentees first in line (left out last time, or asked for a rematch).
        names: Display names of everyone considered.
        carried: Person -> the earlier cohort they carry over from.
        rematch: Mentees still in an open pair who asked for another mentor.
        load: Mentor -> open pairs now.
        capacity: Mentor -> places they signed up for.
        skipped: People sitting this round out.
    """

    mentees: list[Profile]
    mentors: list[Profile]
    past_pairs: set[tuple[str, str]]
    priority: set[str]
    names: dict[str, str]
    carried: dict[str, str] = field(default_factory=dict)
    rematch: set[str] = field(default_factory=set)
    load: dict[str, int] = field(default_factory=dict)
    capacity: dict[str, int] = field(default_factory=dict)
    skipped: set[str] = field(default_factory=set)
    ever_paired: set[str] = field(default_factory=set)  # mentees who have had a pair

    def waiting(self, user_id: str) -> bool:
        """Whether a person is among this round's mentees."""
        if len(self._waiting) != len(self.mentees):
            self._waiting = {p.user_id for p in self.mentees}
        return user_id in self._waiting

    _waiting: set[str] = field(default_factory=set, repr=False)


def returning_people(session: Session, team_id: str) -> tuple[dict[str, str], dict[str, str]]:
    """``(keyed hash -> user id, pseudonym -> user id)`` of the workspace's participants.

    Confidential lists and past pairs name someone who left by keyed hash (``bot.privacy.person_key``) or by
    pseudonym: someone who came back is recognised through the key on their participant row.
    """
    keys = session.exec(
        select(Participant.person_key, Participant.user_id).where(
            Participant.team_id == team_id,
            Participant.person_key != "",  # type: ignore[arg-type]
        )
    ).all()
    by_key = {key: user_id for key, user_id in keys if key}
    return by_key, {pseudonym_of_key(key): user_id for key, user_id in by_key.items()}


def do_not_pair_lists(session: Session, team_id: str) -> dict[str, set[str]]:
    """Everyone's confidential do-not-pair list, by owner, naming people as they are now (a person who left
    and signed up again is still on the lists that named them)."""
    by_key, by_pseudonym = returning_people(session, team_id)
    blocked: dict[str, set[str]] = {}
    for entry in session.exec(select(DoNotPair).where(DoNotPair.team_id == team_id)).all():
        named = by_key.get(entry.other_key) or by_pseudonym.get(entry.other_user_id) or entry.other_user_id
        blocked.setdefault(by_pseudonym.get(entry.user_id, entry.user_id), set()).add(named)
    return blocked


def past_pairs_of(session: Session, team_id: str, user_ids: Iterable[str] | None = None) -> set[tuple[str, str]]:
    """Every ``(mentee, mentor)`` ever paired (optionally only among ``user_ids``), people who left and came
    back named as they are now: never pair the same two again."""
    _, by_pseudonym = returning_people(session, team_id)
    query = select(Pair.mentee_user_id, Pair.mentor_user_id).where(Pair.team_id == team_id)
    if user_ids is not None:
        names = {*user_ids}
        names |= {alias for alias, now in by_pseudonym.items() if now in names}
        query = query.where(
            Pair.mentee_user_id.in_(names),  # type: ignore[attr-defined]
            Pair.mentor_user_id.in_(names),  # type: ignore[attr-defined]
        )
    return {(by_pseudonym.get(e, e), by_pseudonym.get(m, m)) for e, m in session.exec(query).all()}


def load_pool(
    *, session: Session, team_id: str, cohort_id: int | None, carry_over: bool = True, apply_skips: bool = True
) -> Pool:
    """Active participants of a cohort (and those carried over into it) as mentees and mentors.

    A mentee already in an open pair is left out unless they asked for another mentor (a rematch). Mentors
    appear with their free places (capacity net of open pairs). From earlier cohorts that finished matching
    come people left unmatched or waiting for a rematch and mentors with free places, unless the cohort's
    ``carry_over`` setting is off.

    Args:
        session: Database session.
        team_id: The workspace.
        cohort_id: The cohort (None: every active participant of the workspace).
        carry_over: Include the people earlier cohorts pass on.
        apply_skips: Leave out people who chose to sit out this cohort's next match date.
    """
    cohort = get_cohort(session=session, team_id=team_id, cohort_id=cohort_id) if cohort_id is not None else None
    sources = carry_over_sources(session=session, cohort=cohort) if cohort is not None and carry_over else []
    query = (
        select(Participant, ProfileRow)
        .join(ProfileRow, ProfileRow.participant_id == Participant.id)
        .where(Participant.team_id == team_id, Participant.status == Status.ACTIVE)
    )
    if cohort_id is not None:
        scope = [cohort_id, *sources]
        member = Participant.cohort_id.in_(scope)  # type: ignore[union-attr]
        if sources:
            member = member | Participant.cohort_id.is_(None)  # type: ignore[union-attr]
        query = query.where(member)
    rows = session.exec(query.order_by(Participant.user_id)).all()
    source_names = {}
    if sources:
        source_names = {
            int(c.id): c.name
            for c in session.exec(select(Cohort).where(Cohort.id.in_(sources))).all()  # type: ignore[union-attr]
            if c.id is not None
        }

    blocked = do_not_pair_lists(session, team_id)
    _, by_pseudonym = returning_people(session, team_id)
    pairs = session.exec(select(Pair.mentee_user_id, Pair.mentor_user_id, Pair.status).where(Pair.team_id == team_id))
    past: set[tuple[str, str]] = set()
    ever_mentee: set[str] = set()
    open_as_mentee: set[str] = set()
    load: dict[str, int] = {}
    for mentee, mentor, status in pairs.all():
        past.add((by_pseudonym.get(mentee, mentee), by_pseudonym.get(mentor, mentor)))
        ever_mentee.add(mentee)
        if status in OPEN_PAIR_STATUSES:
            open_as_mentee.add(mentee)
            load[mentor] = load.get(mentor, 0) + 1

    skipped: set[str] = set()
    if apply_skips and cohort is not None and cohort.id is not None:
        match_date = settings_of(cohort).match_date
        if match_date is not None:
            skipped = skipped_user_ids(
                session=session, team_id=team_id, cohort_id=cohort.id, match_date=match_date.isoformat()
            )

    pool = Pool(
        mentees=[],
        mentors=[],
        past_pairs=past,
        priority=set(),
        names={},
        load=load,
        skipped=skipped,
        ever_paired=ever_mentee,
    )
    for participant, row in rows:
        profile = people.to_profile(participant, row)
        uid = profile.user_id
        if uid in blocked:
            profile = replace(profile, do_not_pair=frozenset(blocked[uid]))
        pool.names[uid] = participant.display_name or uid
        carried_from = (
            source_names.get(int(participant.cohort_id), "an earlier cohort")
            if cohort_id is not None and participant.cohort_id != cohort_id
            else None
        )
        if uid in skipped:
            continue
        if profile.is_mentee:
            rematch = uid in open_as_mentee and participant.priority
            waiting = uid not in open_as_mentee or rematch
            # from an earlier cohort: only those it left waiting (unmatched, rematch, or never paired)
            if waiting and carried_from is not None:
                waiting = participant.priority or uid not in ever_mentee
            if waiting:
                pool.mentees.append(profile)
                if participant.priority:
                    pool.priority.add(uid)
                if rematch:
                    pool.rematch.add(uid)
                if carried_from is not None:
                    pool.carried[uid] = carried_from
        if profile.is_mentor:
            pool.capacity[uid] = profile.capacity
            free = profile.capacity - load.get(uid, 0)
            if free > 0:
                pool.mentors.append(replace(profile, capacity=free))
                if carried_from is not None:
                    pool.carried.setdefault(uid, carried_from)
    return pool


def left_waiting(*, session: Session, team_id: str, cohort_id: int) -> tuple[list[str], dict[str, int]]:
    """Who a cohort would pass on to the next one: mentees it left waiting (unmatched, asking for a rematch, never
    paired) and mentors with free places (id -> places)."""
    pool = load_pool(session=session, team_id=team_id, cohort_id=cohort_id, carry_over=False, apply_skips=False)
    mentees = [p.user_id for p in pool.mentees if p.user_id in pool.priority or p.user_id not in pool.ever_paired]
    return mentees, {m.user_id: m.capacity for m in pool.mentors}


def round_settings(cohort_settings: Any) -> tuple[Weights, MatchSettings]:
    """The weights and constraints a cohort's settings ask for."""
    weights = Weights.from_dict(cohort_settings.weights)
    settings = MatchSettings(
        min_shared_hours=cohort_settings.min_shared_hours,
        score_floor=cohort_settings.score_floor,
        same_department_excluded=cohort_settings.same_department_excluded,
        priority_boost=cohort_settings.priority_boost,
        max_share=cohort_settings.max_share,
    )
    return weights, settings


def set_do_not_pair(
    *, session: Session, team_id: str, user_id: str, other_user_id: str, blocked: bool, other_key: str = ""
) -> bool:
    """Add (or remove) someone on a person's confidential do-not-pair list; commits.

    Args:
        session: Database session.
        team_id: The workspace.
        user_id: Whose list it is.
        other_user_id: The person never to be matched with them (either way round).
        blocked: True to add, False to remove.
        other_key: The other person's keyed hash (``bot.privacy.person_key``): the entry keeps working after
            they leave and sign up again.

    Returns:
        True when the list changed.
    """
    named = DoNotPair.other_user_id == other_user_id
    if other_key:
        named = or_(named, DoNotPair.other_key == other_key)  # type: ignore[assignment]
    query = select(DoNotPair).where(DoNotPair.team_id == team_id, DoNotPair.user_id == user_id, named)
    existing = session.exec(query).first()
    if blocked == (existing is not None):
        return False
    if existing is not None:
        session.delete(existing)
    else:
        session.add(DoNotPair(team_id=team_id, user_id=user_id, other_user_id=other_user_id, other_key=other_key))
    try:
        session.commit()
    except IntegrityError:  # the same request twice at once: the other one added it
        session.rollback()
        return False
    return True


# ---------------------------------------------------------------------- why a person or a pair is not available

PAIR_PROBLEMS = {
    MENTOR_INACTIVE: "the mentor is paused or has left the program",
    SELF: "that is the same person twice",
    MANAGER: "one of them is the other's manager",
    PAST: "they have been paired before",
    DO_NOT_PAIR: "one of them asked not to be paired with the other",
    FORBIDDEN: "a coordinator forbade this pair",
    LANGUAGE: "they share no language",
    AVAILABILITY: "their working hours barely overlap",
    DEPARTMENT: "they are in the same department, which this program excludes",
    FLOOR: "their compatibility score is below the program's minimum",
}


def _gone(user_id: str) -> bool:
    return is_pseudonym(user_id)


def mentee_unavailable(
    user_id: str, participants: dict[str, Participant], pool: Pool, role_of: dict[str, Profile]
) -> str:
    """Why a person cannot be a mentee in this round now ("" when they can)."""
    if _gone(user_id) or user_id not in participants:
        return "the mentee has left the program"
    participant = participants[user_id]
    if participant.status != Status.ACTIVE:
        return "the mentee has paused" if participant.status == Status.PAUSED else "the mentee has left the program"
    profile = role_of.get(user_id)
    if profile is not None and not profile.is_mentee:
        return "the mentee now signs up as a mentor only"
    if user_id in pool.skipped:
        return "the mentee chose to sit this round out"
    if not pool.waiting(user_id):
        return "the mentee was paired meanwhile (by hand or by their own choice)"
    return ""


def mentor_unavailable(
    user_id: str, participants: dict[str, Participant], pool: Pool, role_of: dict[str, Profile], used: int = 0
) -> str:
    """Why a person cannot take one more mentee in this round now ("" when they can)."""
    if _gone(user_id) or user_id not in participants:
        return "the mentor has left the program"
    participant = participants[user_id]
    if participant.status != Status.ACTIVE:
        return "the mentor has paused" if participant.status == Status.PAUSED else "the mentor has left the program"
    profile = role_of.get(user_id)
    if profile is not None and not profile.is_mentor:
        return "the mentor now signs up as a mentee only"
    if user_id in pool.skipped:
        return "the mentor chose to sit this round out"
    capacity = pool.capacity.get(user_id, 0)
    load = pool.load.get(user_id, 0)
    if load + used >= capacity:
        since = f" ({load} open, {used} more in this round)" if used else ""
        return f"the mentor is at capacity ({load + used} of {capacity} mentees{since})"
    return ""


# ---------------------------------------------------------------------- rules (pins and forbids)


@dataclass(frozen=True)
class Rules:
    """A cohort's standing pins and forbids."""

    pins: dict[str, str]  # mentee -> mentor
    forbids: set[tuple[str, str]]
    rows: list[CohortPairRule]

    @property
    def pinned_pairs(self) -> list[list[str]]:
        return sorted([e, m] for e, m in self.pins.items())

    @property
    def forbidden_pairs(self) -> list[list[str]]:
        return sorted([e, m] for e, m in self.forbids)


def load_rules(*, session: Session, team_id: str, cohort_id: int) -> Rules:
    """A cohort's pins and forbids."""
    rows = store.list_rules(session=session, team_id=team_id, cohort_id=cohort_id)
    pins = {r.mentee_user_id: r.mentor_user_id for r in rows if r.rule == PairRuleKind.PIN}
    forbids = {(r.mentee_user_id, r.mentor_user_id) for r in rows if r.rule == PairRuleKind.FORBID}
    return Rules(pins=pins, forbids=forbids, rows=rows)


def set_pair_rule(
    *,
    session: Session,
    team_id: str,
    cohort_id: int,
    mentee: str,
    mentor: str,
    rule: PairRuleKind,
    actor: str,
    now: datetime,
) -> list[CohortPairRule]:
    """Pin or forbid a pair for the cohort (until removed); commits. Returns the rules it replaced."""
    replaced = store.set_rule(
        session=session,
        team_id=team_id,
        cohort_id=cohort_id,
        mentee_user_id=mentee,
        mentor_user_id=mentor,
        rule=rule,
        actor=actor,
        now=now,
    )
    session.commit()
    return replaced


def remove_pair_rule(*, session: Session, team_id: str, rule_id: int) -> CohortPairRule | None:
    """Remove a pin ("unpin") or a forbid ("allow again"); commits. None when it was already gone."""
    removed = store.remove_rule(session=session, team_id=team_id, rule_id=rule_id)
    session.commit()
    return removed


def _pin_problems(
    rules: Rules, pool: Pool, participants: dict[str, Participant], role_of: dict[str, Profile]
) -> tuple[set[tuple[str, str]], list[dict[str, str]]]:
    """The pins a plan can apply now, and the others with the reason (never dropped silently)."""
    usable: set[tuple[str, str]] = set()
    problems: list[dict[str, str]] = []
    free = {m.user_id: m.capacity for m in pool.mentors}
    for mentee, mentor in sorted(rules.pins.items()):
        reason = mentee_unavailable(mentee, participants, pool, role_of)
        if not reason:
            reason = mentor_unavailable(mentor, participants, pool, role_of)
        if not reason and free.get(mentor, 0) <= 0:
            reason = "the mentor's free places are taken by other pins"
        if not reason and (mentee, mentor) in rules.forbids:
            reason = "the pair is also forbidden"
        if reason:
            problems.append({"mentee": mentee, "mentor": mentor, "reason": reason})
            continue
        free[mentor] -= 1
        usable.add((mentee, mentor))
    return usable, problems


# ---------------------------------------------------------------------- planning


def _rounded_parts(factors: dict[str, float], total: float) -> dict[str, float]:
    """Factor contributions rounded to 2 decimals so that they add up to the rounded total."""
    cents = {k: v * 100 for k, v in factors.items() if v > 0}
    target = round(float(f"{round(total, 4):.2f}") * 100)  # the total exactly as the preview prints it
    floors = {k: int(v) for k, v in cents.items()}
    short = target - sum(floors.values())
    for k in sorted(cents, key=lambda k: cents[k] - floors[k], reverse=True)[: max(short, 0)]:
        floors[k] += 1
    return {k: v / 100 for k, v in floors.items() if v > 0}


def missing_notes(mentee: Profile, mentor: Profile, detail: Score, hours: float) -> list[str]:
    """What a pair lacks, for the coordinator's preview (e.g. "no shared skill")."""
    notes = []
    if mentee.skills_wanted and detail.factors.get("skills", 0.0) <= 0:
        notes.append("no shared skill")
    if hours < LOW_OVERLAP_HOURS:
        notes.append(f"only {hours:g} h/week overlap")
    if mentee.career_goals and detail.factors.get("goals", 0.0) <= 0:
        notes.append("no help with the career goals")
    if detail.factors.get("seniority", 0.0) <= 0:
        notes.append("the mentor is not more senior")
    if detail.factors.get("format", 0.0) <= 0:
        notes.append("different meeting formats")
    return notes


def _pair_json(pair: MatchedPair, mentee: Profile, mentor: Profile, pool: Pool, week: Any) -> dict[str, Any]:
    hours, _ = shared_hours(mentee, mentor, week)
    return {
        "mentee": pair.mentee_id,
        "mentor": pair.mentor_id,
        "score": round(pair.score.total, 4),
        "factors": {k: round(v, 4) for k, v in pair.score.factors.items()},
        "parts": _rounded_parts(pair.score.factors, pair.score.total),
        "reasons": pair.score.reasons,
        "missing": missing_notes(mentee, mentor, pair.score, hours),
        "hours": round(hours, 2),
        "pinned": pair.pinned,
        "carried": pool.carried.get(pair.mentee_id, ""),
        "rematch": pair.mentee_id in pool.rematch,
    }


def _forbidden_reason(
    mentee: Profile, pool: Pool, rules: Rules, weights: Weights, constraints: MatchSettings, week: Any
) -> str:
    """The true reason for a mentee a coordinator's forbid left without a mentor, or "" if the forbid played no part."""
    forbidden_mentors = {m for e, m in rules.forbids if e == mentee.user_id}
    if not forbidden_mentors:
        return ""
    would_fit, other_fits = False, False
    for mentor in pool.mentors:
        detail = score(mentee, mentor, weights, week_of=week)
        hours, _ = shared_hours(mentee, mentor, week)
        code = pair_block(mentee, mentor, detail.total, hours, constraints, past_pairs=pool.past_pairs)
        if code != OK:
            continue
        if mentor.user_id in forbidden_mentors:
            would_fit = True
        else:
            other_fits = True
    if not would_fit:
        return ""
    # stored as a code, worded for the mentee or a coordinator by bot.views.reasons
    if other_fits:
        return stored_reason(UnmatchedReason.FORBIDDEN_AND_CAPACITY)
    return stored_reason(UnmatchedReason.FORBIDDEN)


def _true_reasons(
    unmatched: dict[str, str],
    mentee_by_id: dict[str, Profile],
    pool: Pool,
    rules: Rules,
    weights: Weights,
    constraints: MatchSettings,
    week: Any,
) -> None:
    """Replace the reason of each unmatched mentee a coordinator's forbid played a part for, with the true one."""
    for user_id in list(unmatched):
        if user_id in mentee_by_id:
            true_reason = _forbidden_reason(mentee_by_id[user_id], pool, rules, weights, constraints, week)
            if true_reason:
                unmatched[user_id] = true_reason


@dataclass
class Plan:
    """A computed preview, ready to store."""

    result: dict[str, Any]
    pinned: list[list[str]]
    forbidden: list[list[str]]
    planned: RoundResult


def plan_cohort(*, session: Session, team_id: str, cohort_id: int, now: datetime) -> Plan:
    """Plan a round of a cohort from the current state (reads only; the caller ends the transaction)."""
    cohort = get_cohort(session=session, team_id=team_id, cohort_id=cohort_id)
    if cohort is None:
        raise LookupError(f"no cohort {cohort_id}")
    cohort_settings = settings_of(cohort)
    weights, constraints = round_settings(cohort_settings)
    pool = load_pool(session=session, team_id=team_id, cohort_id=cohort_id)
    rules = load_rules(session=session, team_id=team_id, cohort_id=cohort_id)
    involved = {*rules.pins, *rules.pins.values()}
    found = people.load_profiles(session=session, team_id=team_id, user_ids=involved)
    participants = {uid: p for uid, (p, _, _) in found.items()}
    role_of = {uid: prof for uid, (_, prof, _) in found.items()}
    usable_pins, pin_problems = _pin_problems(rules, pool, participants, role_of)
    week = now.date()
    result = plan_round(
        pool.mentees,
        pool.mentors,
        weights=weights,
        settings=constraints,
        past_pairs=pool.past_pairs,
        pinned=usable_pins,
        forbidden=rules.forbids,
        priority=pool.priority,
        week_of=week,
        model=active_model(session=session, team_id=team_id, cohort_id=cohort_id),
    )
    mentee_by_id = {p.user_id: p for p in pool.mentees}
    mentor_by_id = {p.user_id: p for p in pool.mentors}
    _true_reasons(result.unmatched, mentee_by_id, pool, rules, weights, constraints, week)
    pairs = [_pair_json(p, mentee_by_id[p.mentee_id], mentor_by_id[p.mentor_id], pool, week) for p in result.pairs]
    names = dict(pool.names)
    for uid, (participant, _, _) in found.items():
        names.setdefault(uid, participant.display_name or uid)
    carried_mentees = sorted(u for u in pool.carried if u in mentee_by_id)
    carried_mentors = sorted(u for u in pool.carried if u in mentor_by_id)
    data = {
        "cohort": {"id": cohort_id, "name": cohort.name},
        "pairs": pairs,
        "unmatched": result.unmatched,
        "mean_score": round(result.mean_score, 4),
        "mentor_load": {k: list(v) for k, v in result.mentor_load.items()},
        "mentor_open": {m: pool.load.get(m, 0) for m in result.mentor_load},
        "names": names,
        "pin_problems": pin_problems,
        "carried": {
            "mentees": carried_mentees,
            "mentors": carried_mentors,
            "from": {u: pool.carried[u] for u in (*carried_mentees, *carried_mentors)},
            "free_places": sum(mentor_by_id[u].capacity for u in carried_mentors),
        },
        "rematch": sorted(pool.rematch),
        "pool": {"mentees": len(pool.mentees), "mentors": len(pool.mentors)},
        "changes": {},
    }
    return Plan(result=data, pinned=rules.pinned_pairs, forbidden=rules.forbidden_pairs, planned=result)


def result_from_json(data: dict[str, Any]) -> RoundResult:
    """Rebuild a stored preview (for diffs)."""
    return RoundResult(
        pairs=[
            MatchedPair(
                p["mentee"],
                p["mentor"],
                Score(p["score"], dict(p.get("factors") or {}), list(p["reasons"])),
                bool(p.get("pinned")),
            )
            for p in data.get("pairs", [])
        ],
        unmatched=dict(data.get("unmatched") or {}),
        mean_score=float(data.get("mean_score") or 0.0),
        mentor_load={k: (int(v[0]), int(v[1])) for k, v in (data.get("mentor_load") or {}).items()},
    )


@dataclass
class RoundStart:
    """A new round (its cohort named) and the rounds it replaced."""

    round: MatchRound
    cohort: Cohort
    superseded: list[int]


def start_round(
    *, session: Session, team_id: str, cohort_id: int, requested_by: str, channel_id: str, now: datetime
) -> RoundStart:
    """Open a new round for a cohort, superseding its live preview (at most one stays live); commits."""
    cohort = get_cohort(session=session, team_id=team_id, cohort_id=cohort_id)
    if cohort is None:
        raise LookupError(f"no cohort {cohort_id}")
    match_round, superseded = store.open_round(
        session=session, team_id=team_id, cohort_id=cohort_id, requested_by=requested_by, channel_id=channel_id, now=now
    )
    mark_matching(session=session, cohort_id=cohort_id, now=now)
    session.commit()
    return RoundStart(round=match_round, cohort=cohort, superseded=superseded)


def compute_round(*, session: Session, round_id: int, now: datetime, attempts: int = 4) -> MatchRound | None:
    """Plan (or re-plan) a live round and store the preview with what changed since the last plan.

    Returns:
        The round with its new preview; None when it is no longer live (superseded, discarded or published
        meanwhile: it is never brought back).
    """
    for _ in range(attempts):
        match_round = session.get(MatchRound, round_id, populate_existing=True)
        if match_round is None:
            raise LookupError(f"no match round {round_id}")
        if match_round.status not in LIVE_ROUND_STATUSES or match_round.cohort_id is None:
            session.rollback()
            return None
        base, previous = match_round.revision, dict(match_round.result or {})
        plan = plan_cohort(session=session, team_id=match_round.team_id, cohort_id=match_round.cohort_id, now=now)
        session.rollback()  # end the read transaction before writing (SQLite holds its write lock per transaction)
        if previous.get("pairs") is not None:
            diff = diff_rounds(result_from_json(previous), plan.planned)
            plan.result["changes"] = {
                "added": [list(p) for p in diff.added],
                "removed": [list(p) for p in diff.removed],
                "newly_unmatched": diff.newly_unmatched,
                "newly_matched": diff.newly_matched,
            }
        if store.store_plan(
            session=session,
            round_id=round_id,
            base_revision=base,
            result=plan.result,
            pinned=plan.pinned,
            forbidden=plan.forbidden,
            now=now,
        ):
            log.info(
                "match round planned round=%s revision=%s pairs=%s unmatched=%s mean=%.3f",
                round_id,
                base + 1,
                len(plan.result["pairs"]),
                len(plan.result["unmatched"]),
                plan.result["mean_score"],
            )
            return session.get(MatchRound, round_id, populate_existing=True)
        # another plan landed first, or the round stopped being live: look again
    return session.get(MatchRound, round_id, populate_existing=True)


def rules_changed_since_plan(match_round: MatchRound, rules: Rules) -> bool:
    """Pins added or changed since the preview was planned (they need a new plan to apply)."""
    planned = {tuple(p) for p in (match_round.pinned or [])}
    return any((e, m) not in planned for e, m in rules.pins.items())


# ---------------------------------------------------------------------- publishing


@dataclass
class Publication:
    """What publishing a round did (or why it did nothing).

    ``status``: ``published``; ``already`` (published before, by ``round.published_by``); ``replaced`` (a newer
    preview superseded it, or it was discarded: ``latest`` is the live one, if any); ``outdated`` (a newer
    revision of the same round exists, or pins changed since: re-plan); ``planning`` (not ready yet);
    ``failed`` (the database refused: nothing was written; ``error`` says why).
    """

    status: str
    round: MatchRound
    pairs: list[Pair] = field(default_factory=list)
    unmatched: dict[str, str] = field(default_factory=dict)
    dropped: list[dict[str, str]] = field(default_factory=list)
    resolved: list[dict[str, Any]] = field(default_factory=list)
    rematched: list[Pair] = field(default_factory=list)
    cohort_name: str = ""
    latest: int | None = None
    error: str = ""

    @property
    def already_published(self) -> bool:
        return self.status == "already"


def _refusal(session: Session, match_round: MatchRound, revision: int | None) -> Publication | None:
    status = match_round.status
    if status == RoundStatus.PUBLISHED:
        existing = session.exec(select(Pair).where(Pair.round_id == match_round.id)).all()
        return Publication(
            "already", match_round, pairs=list(existing), unmatched=dict(match_round.outcome.get("unmatched") or {})
        )
    if status in (RoundStatus.SUPERSEDED, RoundStatus.DISCARDED, RoundStatus.FAILED):
        latest = (
            store.live_round(session=session, team_id=match_round.team_id, cohort_id=match_round.cohort_id)
            if match_round.cohort_id is not None
            else None
        )
        return Publication("replaced", match_round, latest=latest.id if latest is not None else None)
    if status == RoundStatus.RUNNING:
        return Publication("planning", match_round)
    if revision is not None and revision != match_round.revision:
        return Publication("outdated", match_round, latest=match_round.id)
    return None


def publish_round(
    *, session: Session, round_id: int, actor: str, now: datetime, revision: int | None = None
) -> Publication:
    """Re-validate a preview against the current state and create its pairs, in one transaction.

    Every planned pair is checked again: both people still active and in their roles, the mentee not
    paired meanwhile, the mentor's capacity counting pairs made since the preview, the hard constraints with
    today's profiles and lists, the cohort's forbids. Pairs that no longer hold are dropped (listed with the
    reason); their mentees are re-solved with the same exact solver against the places left. If pins were
    added since the preview, nothing is published: the round needs a new plan (``outdated``).

    Args:
        session: Database session (its transaction is this publication).
        round_id: The round.
        actor: The coordinator publishing.
        now: The current time.
        revision: The preview revision the coordinator saw (None: the current one).

    Returns:
        A :class:`Publication`; ``status == "failed"`` when the database refused, with nothing written.
    """
    for attempt in range(TRANSIENT_RETRIES + 1):
        try:
            return _publish(session=session, round_id=round_id, actor=actor, now=now, revision=revision)
        except (IntegrityError, DBAPIError, SQLAlchemyError) as exc:
            session.rollback()
            if _transient(exc) and attempt < TRANSIENT_RETRIES:
                log.warning("match round publication retried round=%s error=%s", round_id, type(exc).__name__)
                time.sleep(0.05 * (attempt + 1))
                continue
            log.exception("match round publication failed round=%s", round_id)
            match_round = session.get(MatchRound, round_id, populate_existing=True)
            if match_round is None:
                raise
            error = str(getattr(exc, "orig", None) or exc).splitlines()[0][:200]
            return Publication("failed", match_round, error=error)
    raise RuntimeError("unreachable")


TRANSIENT_RETRIES = 2


def _transient(exc: Exception) -> bool:
    """A deadlock or serialisation failure (PostgreSQL picked this transaction to abort): worth trying again."""
    code = getattr(getattr(exc, "orig", None), "sqlstate", None) or getattr(getattr(exc, "orig", None), "pgcode", None)
    return code in ("40P01", "40001") or "database is locked" in str(exc)


def _publish(*, session: Session, round_id: int, actor: str, now: datetime, revision: int | None) -> Publication:
    # Lock order, the same as a leave's and a pause's: the people first, then the round.
    seen = session.get(MatchRound, round_id, populate_existing=True)
    if seen is None:
        raise LookupError(f"no match round {round_id}")
    seen_result = dict(seen.result or {})
    seen_revision = int(seen.revision)  # (the same object is refreshed by the lock below)
    seen_people = {p["mentee"] for p in seen_result.get("pairs") or []} | {
        p["mentor"] for p in seen_result.get("pairs") or []
    }
    seen_people |= set(seen_result.get("unmatched") or {})
    participants = store.lock_participants(session=session, team_id=seen.team_id, user_ids=seen_people)
    match_round = store.lock_round(session=session, round_id=round_id)
    if match_round is None:
        raise LookupError(f"no match round {round_id}")
    refusal = _refusal(session, match_round, revision)
    if refusal is not None:
        session.rollback()
        return refusal
    if match_round.revision != seen_revision:  # planned again while we took the locks
        session.rollback()
        return Publication("outdated", match_round, latest=match_round.id)
    # (a leave meanwhile may have scrubbed the departed person out of the preview: they are then simply gone)
    assert match_round.cohort_id is not None
    team_id, cohort_id = match_round.team_id, match_round.cohort_id
    cohort = get_cohort(session=session, team_id=team_id, cohort_id=cohort_id)
    assert cohort is not None
    rules = load_rules(session=session, team_id=team_id, cohort_id=cohort_id)
    model = active_model(session=session, team_id=team_id, cohort_id=cohort_id)
    if rules_changed_since_plan(match_round, rules):
        session.rollback()
        return Publication("outdated", match_round, latest=match_round.id, cohort_name=cohort.name)
    planned = list(match_round.result.get("pairs") or [])
    unmatched_before = dict(match_round.result.get("unmatched") or {})
    everyone = seen_people
    found = people.load_profiles(session=session, team_id=team_id, user_ids=everyone)
    role_of = {uid: prof for uid, (_, prof, _) in found.items()}
    pool = load_pool(session=session, team_id=team_id, cohort_id=cohort_id)
    weights, constraints = round_settings(settings_of(cohort))
    mentee_by_id = {p.user_id: p for p in pool.mentees}
    mentor_by_id = {p.user_id: p for p in pool.mentors}
    week = now.date()

    kept: list[tuple[dict[str, Any], Score]] = []
    dropped: list[dict[str, str]] = []
    used: dict[str, int] = {}
    # pinned pairs first (a coordinator's decision), then strongest first, so capacity goes where the plan meant
    for pair in sorted(planned, key=lambda p: (rules.pins.get(p["mentee"]) != p["mentor"], -float(p["score"]))):
        mentee_id, mentor_id = pair["mentee"], pair["mentor"]
        reason = mentee_unavailable(mentee_id, participants, pool, role_of)
        if not reason:
            reason = mentor_unavailable(mentor_id, participants, pool, role_of, used.get(mentor_id, 0))
        detail: Score | None = None
        if not reason and (mentee_id, mentor_id) in rules.forbids:
            reason = PAIR_PROBLEMS[FORBIDDEN]
        if not reason:
            mentee, mentor = mentee_by_id[mentee_id], mentor_by_id[mentor_id]
            detail = score(mentee, mentor, weights, week_of=week, model=model)
            hours, _ = shared_hours(mentee, mentor, week)
            code = pair_block(mentee, mentor, detail.total, hours, constraints, past_pairs=pool.past_pairs)
            pinned_now = rules.pins.get(mentee_id) == mentor_id
            if code in (SELF, PAST) or (code != OK and not pinned_now):
                reason = PAIR_PROBLEMS.get(code, "a matching rule no longer holds")
                if code == PAST:
                    reason = "they have been paired since the preview (or before)"
        if reason:
            dropped.append({"mentee": mentee_id, "mentor": mentor_id, "reason": reason})
            continue
        assert detail is not None
        used[mentor_id] = used.get(mentor_id, 0) + 1
        kept.append((pair, detail))

    # re-solve the mentees whose pair was dropped, exactly, against the places left
    freed = [mentee_by_id[d["mentee"]] for d in dropped if d["mentee"] in mentee_by_id]
    kept_mentees = {p["mentee"] for p, _ in kept}
    freed = [m for m in freed if m.user_id not in kept_mentees]
    resolved: list[tuple[str, str, Score]] = []
    unmatched: dict[str, str] = {}
    if freed:
        left = [replace(m, capacity=m.capacity - used.get(m.user_id, 0)) for m in pool.mentors]
        left = [m for m in left if m.capacity > 0]
        again = plan_round(
            freed,
            left,
            weights=weights,
            settings=constraints,
            past_pairs=pool.past_pairs,
            pinned={(e, m) for e, m in rules.pins.items() if e in {f.user_id for f in freed}},
            forbidden=rules.forbids,
            priority=pool.priority,
            week_of=week,
            model=model,
        )
        resolved = [(p.mentee_id, p.mentor_id, p.score) for p in again.pairs]
        _true_reasons(again.unmatched, mentee_by_id, pool, rules, weights, constraints, week)
        unmatched.update(again.unmatched)
    # the preview's unmatched mentees who are still waiting (not those who left, paused or were paired meanwhile)
    for user_id, reason in unmatched_before.items():
        if user_id in mentee_by_id and user_id not in unmatched:
            unmatched[user_id] = reason

    created: list[Pair] = []
    source_pairs = [(p["mentee"], p["mentor"], detail, p) for p, detail in kept]
    source_pairs += [(e, m, detail, None) for e, m, detail in resolved]
    matched = [e for e, _, _, _ in source_pairs]
    # a mentee who asked for another mentor and gets one: their current pair ends (before the new one exists)
    rematched = _close_rematched_pairs(session, team_id, [e for e in matched if e in pool.rematch], now)
    for mentee_id, mentor_id, detail, _ in source_pairs:
        pair_row = Pair(
            team_id=team_id,
            cohort_id=cohort_id,
            round_id=round_id,
            mentee_user_id=mentee_id,
            mentor_user_id=mentor_id,
            source=PairSource.ALGORITHM,
            score=detail.total,
            reasons=detail.reasons,
            factors=detail.factors,
            created_by=actor,
            created_at=now,
        )
        session.add(pair_row)
        created.append(pair_row)
    record_snapshots(session=session, pairs=created, now=now)
    if matched:
        session.execute(
            update(Participant)
            .where(Participant.team_id == team_id, Participant.user_id.in_(matched))  # type: ignore[attr-defined]
            .values(priority=False, unmatched_reason="")
        )
    for user_id, reason in unmatched.items():
        session.execute(
            update(Participant)
            .where(Participant.team_id == team_id, Participant.user_id == user_id)
            .values(priority=True, unmatched_reason=reason[:300])
        )
    # carried-over people who now take part in this cohort: the mentees it matched or keeps waiting, and the
    # mentors it gave a mentee
    movers = {u for u in pool.carried if u in set(matched) | set(unmatched)}
    movers |= {m for _, m, _, _ in source_pairs if m in pool.carried}
    store.move_to_cohort(session=session, team_id=team_id, user_ids=movers, cohort_id=cohort_id)
    mark_running(session=session, cohort_id=cohort_id, now=now)
    outcome = {
        "created": len(created),
        "dropped": dropped,
        "resolved": [{"mentee": e, "mentor": m, "score": round(s.total, 4)} for e, m, s in resolved],
        "unmatched": unmatched,
        "carried_in": sorted(movers),
        "rematched": [p.id for p in rematched],
    }
    session.execute(
        update(MatchRound)
        .where(MatchRound.id == round_id)
        .values(status=RoundStatus.PUBLISHED, published_at=now, published_by=actor, updated_at=now, outcome=outcome)
    )
    record_audit(
        session=session,
        team_id=team_id,
        actor=actor,
        action="match.publish",
        target=f"round:{round_id}",
        detail={
            "cohort": cohort.name,
            "revision": match_round.revision,
            "pairs": len(created),
            "unmatched": len(unmatched),
            "dropped": dropped[:50],
            "dropped_count": len(dropped),
            "resolved": len(resolved),
            "carried_in": len(movers),
        },
        now=now,
        commit=False,
    )
    session.commit()
    session.refresh(match_round)
    log.info(
        "match round published round=%s pairs=%s dropped=%s resolved=%s unmatched=%s",
        round_id,
        len(created),
        len(dropped),
        len(resolved),
        len(unmatched),
    )
    return Publication(
        "published",
        match_round,
        pairs=created,
        unmatched=unmatched,
        dropped=dropped,
        resolved=outcome["resolved"],
        rematched=rematched,
        cohort_name=cohort.name,
    )


def _close_rematched_pairs(session: Session, team_id: str, mentees: Iterable[str], now: datetime) -> list[Pair]:
    """Close the open pair of each mentee who asked for another mentor and just got one; the caller commits."""
    from bot.lifecycle.closure import close_without_commit

    mentees = set(mentees)
    if not mentees:
        return []
    closed = []
    for pair in store.open_pairs_of(session=session, team_id=team_id, user_ids=mentees):
        if pair.mentee_user_id not in mentees or pair.id is None:
            continue
        # asking for another mentor is saying this one did not fit: counted with the "not a fit" closures
        close_without_commit(session, pair, CloseReason.NOT_A_FIT, now)
        closed.append(pair)
    session.flush()
    return closed


def discard_round(*, session: Session, round_id: int, now: datetime) -> bool:
    """Throw a live preview away (it can't be re-run or published afterwards); commits."""
    return store.discard_round(session=session, round_id=round_id, now=now)
