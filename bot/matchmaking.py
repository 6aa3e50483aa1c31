"""Match rounds in the program: load the pool, plan, preview, pin / forbid / re-run, publish; manual pairs.

The pure work (scoring, constraints, the exact solver) lives in :mod:`bot.matching`; this module
connects it to storage and to Slack, and is what the coordinator handlers call.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from bot import people
from bot.cohorts import current_cohort, settings_of
from bot.matching import MatchSettings, RoundResult, Weights, diff_rounds, plan_round, score
from bot.matching.availability import shared_hours
from bot.matching.matrix import (
    AVAILABILITY,
    DEPARTMENT,
    DO_NOT_PAIR,
    FLOOR,
    LANGUAGE,
    MANAGER,
    MENTOR_INACTIVE,
    PAST,
    SELF,
)
from bot.matching.rounds import MatchedPair
from bot.matching.scoring import Score
from bot.privacy import is_pseudonym, pseudonym_of_key
from bot.profiles import Profile, Status
from storage.coordination import skipped_user_ids
from storage.models import Cohort, DoNotPair, MatchRound, Pair, Participant
from storage.models import Profile as ProfileRow
from storage.vocab import PairSource, PairStatus, ParticipantStatus, RoundStatus

log = logging.getLogger(__name__)

OPEN_PAIR_STATUSES = (PairStatus.ACTIVE, PairStatus.PAUSED, PairStatus.AT_RISK)

# Called for every pair a publication creates (the pair's journey starts there).
PairStarter = Callable[[Session, Pair, datetime], None]


@dataclass
class Pool:
    """Who takes part in a round."""

    mentees: list[Profile]
    mentors: list[Profile]
    past_pairs: set[tuple[str, str]]
    priority: set[str]
    names: dict[str, str]


def _round_result_json(result: RoundResult, names: dict[str, str], changes: dict[str, Any] | None) -> dict[str, Any]:
    return {
        "pairs": [
            {
                "mentee": p.mentee_id,
                "mentor": p.mentor_id,
                "score": round(p.score.total, 4),
                "factors": {k: round(v, 4) for k, v in p.score.factors.items()},
                "reasons": p.score.reasons,
                "pinned": p.pinned,
            }
            for p in result.pairs
        ],
        "unmatched": result.unmatched,
        "mean_score": round(result.mean_score, 4),
        "mentor_load": {k: list(v) for k, v in result.mentor_load.items()},
        "names": {
            uid: names.get(uid, uid)
            for uid in {*result.unmatched, *result.mentor_load} | {p.mentee_id for p in result.pairs}
        },
        "changes": changes or {},
    }


def result_from_json(data: dict[str, Any]) -> RoundResult:
    """Rebuild a stored preview (for diffs and publication)."""
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


def load_pool(*, session: Session, team_id: str, cohort_id: int | None) -> Pool:
    """Active participants of a cohort as mentees and mentors (capacity net of open pairs)."""
    query = (
        select(Participant, ProfileRow)
        .join(ProfileRow, ProfileRow.participant_id == Participant.id)
        .where(Participant.team_id == team_id, Participant.status == ParticipantStatus.ACTIVE)
    )
    if cohort_id is not None:
        query = query.where(Participant.cohort_id == cohort_id)
    rows = session.exec(query.order_by(Participant.user_id)).all()
    # Confidential lists and past pairs name someone who left by keyed hash or pseudonym: someone who came
    # back is recognised through the key on their participant row.
    by_key = {p.person_key: p.user_id for p, _ in rows if p.person_key}
    by_pseudonym = {pseudonym_of_key(key): user_id for key, user_id in by_key.items()}

    blocked: dict[str, set[str]] = {}
    for entry in session.exec(select(DoNotPair).where(DoNotPair.team_id == team_id)).all():
        named = blocked.setdefault(entry.user_id, set())
        named.add(by_key.get(entry.other_key) or by_pseudonym.get(entry.other_user_id) or entry.other_user_id)

    pairs = session.exec(select(Pair.mentee_user_id, Pair.mentor_user_id, Pair.status).where(Pair.team_id == team_id))
    past: set[tuple[str, str]] = set()
    open_as_mentee: set[str] = set()
    load: dict[str, int] = {}
    for mentee, mentor, status in pairs.all():
        past.add((by_pseudonym.get(mentee, mentee), by_pseudonym.get(mentor, mentor)))
        if status in OPEN_PAIR_STATUSES:
            open_as_mentee.add(mentee)
            load[mentor] = load.get(mentor, 0) + 1

    mentees: list[Profile] = []
    mentors: list[Profile] = []
    priority: set[str] = set()
    names: dict[str, str] = {}
    for participant, row in rows:
        profile = people.to_profile(participant, row)
        if participant.user_id in blocked:
            profile = replace(profile, do_not_pair=frozenset(blocked[participant.user_id]))
        names[profile.user_id] = participant.display_name or profile.user_id
        if profile.is_mentee and profile.user_id not in open_as_mentee:
            mentees.append(profile)
            if participant.priority:
                priority.add(profile.user_id)
        if profile.is_mentor:
            free = profile.capacity - load.get(profile.user_id, 0)
            if free > 0:
                mentors.append(replace(profile, capacity=free))
    return Pool(mentees=mentees, mentors=mentors, past_pairs=past, priority=priority, names=names)


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


def start_round(*, session: Session, team_id: str, requested_by: str, channel_id: str, now: datetime) -> MatchRound:
    """Open a new round for the workspace's current cohort (a previous unpublished preview is discarded)."""
    cohort = current_cohort(session=session, team_id=team_id, now=now)
    session.execute(
        update(MatchRound)
        .where(MatchRound.team_id == team_id, MatchRound.cohort_id == cohort.id)
        .where(MatchRound.status.in_((RoundStatus.RUNNING, RoundStatus.PREVIEW)))  # type: ignore[attr-defined]
        .values(status=RoundStatus.DISCARDED, updated_at=now)
    )
    match_round = MatchRound(
        team_id=team_id,
        cohort_id=cohort.id,
        requested_by=requested_by,
        channel_id=channel_id,
        created_at=now,
        updated_at=now,
    )
    session.add(match_round)
    session.commit()
    return match_round


def compute_round(*, session: Session, round_id: int, now: datetime) -> MatchRound:
    """Plan (or re-plan) a round and store the preview with what changed since the last plan."""
    match_round = session.get(MatchRound, round_id)
    if match_round is None:
        raise LookupError(f"no match round {round_id}")
    cohort = session.get(Cohort, match_round.cohort_id) if match_round.cohort_id is not None else None
    cohort_settings = settings_of(cohort)
    weights, constraints = round_settings(cohort_settings)
    pool = load_pool(session=session, team_id=match_round.team_id, cohort_id=match_round.cohort_id)
    if cohort is not None and cohort.id is not None and cohort_settings.match_date is not None:
        # people who chose "skip this round" before this match date sit it out
        skipped = skipped_user_ids(
            session=session,
            team_id=match_round.team_id,
            cohort_id=cohort.id,
            match_date=cohort_settings.match_date.isoformat(),
        )
        pool.mentees = [p for p in pool.mentees if p.user_id not in skipped]
        pool.mentors = [p for p in pool.mentors if p.user_id not in skipped]
    result = plan_round(
        pool.mentees,
        pool.mentors,
        weights=weights,
        settings=constraints,
        past_pairs=pool.past_pairs,
        pinned={(a, b) for a, b in match_round.pinned},
        forbidden={(a, b) for a, b in match_round.forbidden},
        priority=pool.priority,
        week_of=now.date(),
    )
    changes = None
    if match_round.result:
        diff = diff_rounds(result_from_json(match_round.result), result)
        changes = {
            "added": [list(p) for p in diff.added],
            "removed": [list(p) for p in diff.removed],
            "newly_unmatched": diff.newly_unmatched,
            "newly_matched": diff.newly_matched,
        }
    match_round.result = _round_result_json(result, pool.names, changes)
    match_round.status = RoundStatus.PREVIEW
    match_round.revision += 1
    match_round.updated_at = now
    session.add(match_round)
    session.commit()
    log.info(
        "match round planned round=%s pairs=%s unmatched=%s mean=%.3f",
        round_id,
        len(result.pairs),
        len(result.unmatched),
        result.mean_score,
    )
    return match_round


def set_pair_rule(*, session: Session, round_id: int, mentee: str, mentor: str, rule: str, now: datetime) -> MatchRound:
    """Pin or forbid a pair in a round's next plan (``rule``: pin | forbid | clear)."""
    match_round = session.get(MatchRound, round_id)
    if match_round is None or match_round.status != RoundStatus.PREVIEW:
        raise LookupError("that preview is no longer open")
    pair = [mentee, mentor]
    pinned = [p for p in match_round.pinned if p != pair and p[0] != mentee]
    forbidden = [p for p in match_round.forbidden if p != pair]
    if rule == "pin":
        pinned.append(pair)
    elif rule == "forbid":
        forbidden.append(pair)
    match_round.pinned, match_round.forbidden = pinned, forbidden
    match_round.updated_at = now
    session.add(match_round)
    session.commit()
    return match_round


@dataclass
class Publication:
    """What publishing a round did."""

    round: MatchRound
    pairs: list[Pair]
    unmatched: dict[str, str]
    already_published: bool = False


def publish_round(*, session: Session, round_id: int, actor: str, now: datetime) -> Publication:
    """Create the round's pairs and mark unmatched mentees first in line. Safe to call twice.

    The status flips from preview to published in one conditional UPDATE, so a double click or two
    coordinators publishing at once create the pairs exactly once.
    """
    claimed = session.execute(
        update(MatchRound)
        .where(MatchRound.id == round_id, MatchRound.status == RoundStatus.PREVIEW)
        .values(status=RoundStatus.PUBLISHED, published_at=now, updated_at=now)
    )
    match_round = session.get(MatchRound, round_id)
    if match_round is None:
        raise LookupError(f"no match round {round_id}")
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        existing = session.exec(select(Pair).where(Pair.round_id == round_id)).all()
        return Publication(match_round, list(existing), dict(match_round.result.get("unmatched") or {}), True)
    result = result_from_json(match_round.result)
    created: list[Pair] = []
    for planned in result.pairs:
        if is_pseudonym(planned.mentee_id) or is_pseudonym(planned.mentor_id):
            continue  # someone left after the preview: never a pair with a pseudonym
        pair = Pair(
            team_id=match_round.team_id,
            cohort_id=match_round.cohort_id,
            round_id=round_id,
            mentee_user_id=planned.mentee_id,
            mentor_user_id=planned.mentor_id,
            source=PairSource.ALGORITHM,
            score=planned.score.total,
            reasons=planned.score.reasons,
            factors=planned.score.factors,
            created_by=actor,
            created_at=now,
        )
        session.add(pair)
        created.append(pair)
    matched = [p.mentee_id for p in result.pairs]
    if matched:
        session.execute(
            update(Participant)
            .where(Participant.team_id == match_round.team_id, Participant.user_id.in_(matched))  # type: ignore[attr-defined]
            .values(priority=False, unmatched_reason="")
        )
    for user_id, reason in result.unmatched.items():
        session.execute(
            update(Participant)
            .where(Participant.team_id == match_round.team_id, Participant.user_id == user_id)
            .values(priority=True, unmatched_reason=reason[:300])
        )
    session.commit()
    log.info("match round published round=%s pairs=%s unmatched=%s", round_id, len(created), len(result.unmatched))
    return Publication(match_round, created, result.unmatched)


PAIR_PROBLEMS = {
    MENTOR_INACTIVE: "the mentor is paused or has left the program",
    SELF: "that is the same person twice",
    MANAGER: "one of them is the other's manager",
    PAST: "they have been paired before",
    DO_NOT_PAIR: "one of them asked not to be paired with the other",
    LANGUAGE: "they share no language",
    AVAILABILITY: "their working hours barely overlap",
    DEPARTMENT: "they are in the same department, which this program excludes",
    FLOOR: "their compatibility score is below the program's minimum",
}


@dataclass
class ManualCheck:
    """A coordinator's hand-made pair, before it is created."""

    mentee: Profile | None
    mentor: Profile | None
    score: Score | None
    problems: list[str]
    blocking: str = ""  # a reason the pair cannot be made at all


def check_manual_pair(*, session: Session, team_id: str, mentee_id: str, mentor_id: str, now: datetime) -> ManualCheck:
    """Score a hand-picked pair and list every constraint it violates."""
    mentee_saved = people.load_profile(session=session, team_id=team_id, user_id=mentee_id)
    mentor_saved = people.load_profile(session=session, team_id=team_id, user_id=mentor_id)
    if mentee_saved is None or mentor_saved is None:
        missing = mentee_id if mentee_saved is None else mentor_id
        return ManualCheck(None, None, None, [], blocking=f"<@{missing}> has not signed up for the program")
    mentee, mentor = mentee_saved[1], mentor_saved[1]
    if mentee_id == mentor_id:
        return ManualCheck(mentee, mentor, None, [], blocking="a person cannot mentor themself")
    open_pair = session.exec(
        select(Pair).where(
            Pair.team_id == team_id,
            Pair.mentee_user_id == mentee_id,
            Pair.status.in_(OPEN_PAIR_STATUSES),  # type: ignore[attr-defined]
        )
    ).first()
    if open_pair is not None:
        return ManualCheck(mentee, mentor, None, [], blocking=f"<@{mentee_id}> already has a mentor in this program")
    cohort_settings = settings_of(current_cohort(session=session, team_id=team_id, now=now))
    weights, constraints = round_settings(cohort_settings)
    both = (mentee_id, mentor_id)
    keys = [k for k in (mentee_saved[0].person_key, mentor_saved[0].person_key) if k]
    as_before = (*both, *(pseudonym_of_key(k) for k in keys))  # either may have left and come back
    paired_before = session.exec(
        select(func.count()).where(
            Pair.team_id == team_id,
            Pair.mentee_user_id.in_(as_before),  # type: ignore[attr-defined]
            Pair.mentor_user_id.in_(as_before),  # type: ignore[attr-defined]
        )
    ).one()
    blocked = session.exec(
        select(func.count()).where(
            DoNotPair.team_id == team_id,
            DoNotPair.user_id.in_(both),  # type: ignore[attr-defined]
            or_(DoNotPair.other_user_id.in_(both), DoNotPair.other_key.in_(keys)),  # type: ignore[attr-defined]
        )
    ).one()
    pair_score = score(mentee, mentor, weights, week_of=now.date())
    hours, _ = shared_hours(mentee, mentor, now.date())
    # every violated constraint, not just the first one (the solver only needs the first)
    violated = {
        MENTOR_INACTIVE: mentor.status != Status.ACTIVE,
        MANAGER: mentee.manager_id == mentor_id or mentor.manager_id == mentee_id,
        PAST: paired_before > 0,
        DO_NOT_PAIR: blocked > 0,
        LANGUAGE: not set(mentee.languages) & set(mentor.languages),
        AVAILABILITY: hours < constraints.min_shared_hours,
        DEPARTMENT: constraints.same_department_excluded
        and bool(mentee.department)
        and mentee.department == mentor.department,
        FLOOR: pair_score.total < constraints.score_floor,
    }
    problems = [PAIR_PROBLEMS[code] for code, hit in violated.items() if hit]
    if mentee.status != Status.ACTIVE:
        problems.insert(0, "the mentee is paused or has left the program")
    if not mentor.is_mentor:
        problems.append("the mentor signed up as a mentee only")
    load = session.exec(
        select(func.count()).where(
            Pair.team_id == team_id,
            Pair.mentor_user_id == mentor_id,
            Pair.status.in_(OPEN_PAIR_STATUSES),  # type: ignore[attr-defined]
        )
    ).one()
    if load >= mentor.capacity:
        problems.append(f"the mentor is at capacity ({load} of {mentor.capacity})")
    return ManualCheck(mentee, mentor, pair_score, problems)


def create_manual_pair(
    *, session: Session, team_id: str, check: ManualCheck, actor: str, reason: str, now: datetime
) -> Pair:
    """Create a hand-made pair; the caller has ensured a reason is given when constraints are violated."""
    assert check.mentee is not None and check.mentor is not None and check.score is not None
    cohort = current_cohort(session=session, team_id=team_id, now=now)
    pair = Pair(
        team_id=team_id,
        cohort_id=cohort.id,
        mentee_user_id=check.mentee.user_id,
        mentor_user_id=check.mentor.user_id,
        source=PairSource.MANUAL,
        score=check.score.total,
        reasons=check.score.reasons,
        factors=check.score.factors,
        manual_reason=reason[:500],
        created_by=actor,
        created_at=now,
    )
    session.add(pair)
    session.execute(
        update(Participant)
        .where(Participant.team_id == team_id, Participant.user_id == check.mentee.user_id)
        .values(priority=False, unmatched_reason="")
    )
    session.commit()
    return pair
