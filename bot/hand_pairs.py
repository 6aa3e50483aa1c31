"""Pairs a coordinator makes by hand (``/mentor pair``): every rule the pair breaks is listed, a stated reason is
needed to override them, and the pair is checked again under lock when it is created (a publication or a mentor's
Accept racing it cannot give the mentee two mentors)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session

from bot import people
from bot.cohorts import get_cohort, mark_running, resolve_cohort, settings_of
from bot.learning import active_model
from bot.matching import score
from bot.matching.availability import shared_hours
from bot.matching.matrix import AVAILABILITY, DEPARTMENT, DO_NOT_PAIR, FLOOR, FORBIDDEN, LANGUAGE, MANAGER, PAST
from bot.matching.scoring import Score
from bot.matchmaking import PAIR_PROBLEMS, do_not_pair_lists, load_rules, past_pairs_of, round_settings
from bot.outcomes import record_snapshots
from bot.profiles import Profile, Status
from storage import rounds as store
from storage.coordination import record_audit
from storage.models import Cohort, Pair, Participant
from storage.vocab import CohortStatus, PairSource


@dataclass
class ManualCheck:
    """A coordinator's hand-made pair, before it is created."""

    mentee: Profile | None
    mentor: Profile | None
    score: Score | None
    problems: list[str]
    blocking: str = ""  # a reason the pair cannot be made at all
    cohort: Cohort | None = None
    cohort_name: str = ""


def _manual_check(
    *, session: Session, team_id: str, mentee_id: str, mentor_id: str, now: datetime, locked: bool
) -> ManualCheck:
    if locked:
        store.lock_participants(session=session, team_id=team_id, user_ids={mentee_id, mentor_id})
    found = people.load_profiles(session=session, team_id=team_id, user_ids={mentee_id, mentor_id})
    if mentee_id == mentor_id:
        return ManualCheck(None, None, None, [], blocking="that is the same person twice")
    for uid in (mentee_id, mentor_id):
        if uid not in found:
            return ManualCheck(None, None, None, [], blocking=f"<@{uid}> has not signed up for the program")
    mentee_participant, mentee, _ = found[mentee_id]
    mentor_participant, mentor, _ = found[mentor_id]
    open_pairs = store.open_pairs_of(session=session, team_id=team_id, user_ids={mentee_id, mentor_id})
    if any(p.mentee_user_id == mentee_id for p in open_pairs):
        return ManualCheck(mentee, mentor, None, [], blocking=f"<@{mentee_id}> already has a mentor")
    cohort = _pair_cohort(session, team_id, mentee_participant, now)
    cohort_settings = settings_of(cohort)
    weights, constraints = round_settings(cohort_settings)
    blocked = do_not_pair_lists(session, team_id)
    mentee = replace(mentee, do_not_pair=frozenset(blocked.get(mentee_id, set())))
    mentor = replace(mentor, do_not_pair=frozenset(blocked.get(mentor_id, set())))
    past = past_pairs_of(session, team_id, (mentee_id, mentor_id))  # either may have left and come back
    rules = load_rules(session=session, team_id=team_id, cohort_id=int(cohort.id or 0))
    model = active_model(session=session, team_id=team_id, cohort_id=cohort.id)
    pair_score = score(mentee, mentor, weights, week_of=now.date(), model=model)
    hours, _ = shared_hours(mentee, mentor, now.date())
    # every violated rule, not just the first one (the solver only needs the first)
    violated = {
        MANAGER: mentee.manager_id == mentor_id or mentor.manager_id == mentee_id,
        PAST: (mentee_id, mentor_id) in past or (mentor_id, mentee_id) in past,
        DO_NOT_PAIR: mentor_id in mentee.do_not_pair or mentee_id in mentor.do_not_pair,
        FORBIDDEN: (mentee_id, mentor_id) in rules.forbids,
        LANGUAGE: not set(mentee.languages) & set(mentor.languages),
        AVAILABILITY: hours < constraints.min_shared_hours,
        DEPARTMENT: constraints.same_department_excluded
        and bool(mentee.department)
        and mentee.department == mentor.department,
        FLOOR: pair_score.total < constraints.score_floor,
    }
    problems = []
    if mentee_participant.status != Status.ACTIVE:
        problems.append(f"<@{mentee_id}> (the mentee) is {mentee_participant.status}")
    if mentor_participant.status != Status.ACTIVE:
        problems.append(f"<@{mentor_id}> (the mentor) is {mentor_participant.status}")
    if not mentee.is_mentee:
        problems.append(f"<@{mentee_id}> signed up as a mentor only, not to be mentored")
    if not mentor.is_mentor:
        problems.append(f"<@{mentor_id}> signed up as a mentee only, so offers no mentoring places")
    else:
        load = sum(1 for p in open_pairs if p.mentor_user_id == mentor_id)
        if load >= mentor.capacity:
            problems.append(f"<@{mentor_id}> is at capacity ({load} of {mentor.capacity} mentees)")
    problems += [PAIR_PROBLEMS[code] for code, hit in violated.items() if hit]
    return ManualCheck(mentee, mentor, pair_score, problems, cohort=cohort, cohort_name=cohort.name)


def _pair_cohort(session: Session, team_id: str, mentee: Participant, now: datetime) -> Cohort:
    """The cohort a hand-made pair belongs to: the mentee's, or the open one they carry over to when theirs closed."""
    cohort = get_cohort(session=session, team_id=team_id, cohort_id=mentee.cohort_id)
    if cohort is not None and cohort.status != CohortStatus.CLOSED:
        return cohort
    choice = resolve_cohort(session=session, team_id=team_id, now=now)
    if choice.cohort is not None:
        return choice.cohort
    return choice.choices[-1]


def check_manual_pair(*, session: Session, team_id: str, mentee_id: str, mentor_id: str, now: datetime) -> ManualCheck:
    """Score a hand-picked pair and list every rule it breaks (reads only)."""
    return _manual_check(
        session=session, team_id=team_id, mentee_id=mentee_id, mentor_id=mentor_id, now=now, locked=False
    )


@dataclass
class ManualPair:
    """The outcome of :func:`create_manual_pair`."""

    check: ManualCheck
    pair: Pair | None = None

    @property
    def needs_reason(self) -> bool:
        return self.pair is None and not self.check.blocking and bool(self.check.problems)


def create_manual_pair(
    *, session: Session, team_id: str, mentee_id: str, mentor_id: str, actor: str, reason: str, now: datetime
) -> ManualPair:
    """Create a hand-made pair, checked again under lock; commits (with its audit entry).

    Refused (``pair`` None) when something blocks it, or when it breaks a rule and no reason was given.
    """
    check = _manual_check(
        session=session, team_id=team_id, mentee_id=mentee_id, mentor_id=mentor_id, now=now, locked=True
    )
    if check.blocking or (check.problems and not reason):
        session.rollback()
        return ManualPair(check)
    assert check.mentee is not None and check.mentor is not None and check.score is not None
    assert check.cohort is not None and check.cohort.id is not None
    pair = Pair(
        team_id=team_id,
        cohort_id=check.cohort.id,
        mentee_user_id=mentee_id,
        mentor_user_id=mentor_id,
        source=PairSource.MANUAL,
        score=check.score.total,
        reasons=check.score.reasons,
        factors=check.score.factors,
        manual_reason=reason[:500],
        created_by=actor,
        created_at=now,
    )
    session.add(pair)
    record_snapshots(session=session, pairs=[pair], now=now)
    session.execute(
        update(Participant)
        .where(Participant.team_id == team_id, Participant.user_id == mentee_id)
        .values(priority=False, unmatched_reason="")
    )
    store.move_to_cohort(session=session, team_id=team_id, user_ids={mentee_id}, cohort_id=check.cohort.id)
    mark_running(session=session, cohort_id=check.cohort.id, now=now)
    session.flush()
    record_audit(
        session=session,
        team_id=team_id,
        actor=actor,
        action="pair.manual",
        target=f"pair:{pair.id}",
        detail={
            "mentee": mentee_id,
            "mentor": mentor_id,
            "cohort": check.cohort.name,
            "score": round(check.score.total, 2),
            "overrode": check.problems,
        },
        reason=reason,
        now=now,
        commit=False,
    )
    session.commit()
    return ManualPair(check, pair)
