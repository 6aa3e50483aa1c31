"""Matching one person at a time, the way a round matches everyone: the best mentor with a free place for one
mentee (a rematch), and the longest-waiting mentee who fits one freed place.

Both use the round's own pieces: the cohort's weights and hard constraints (:func:`bot.matchmaking.round_settings`),
its pool (:func:`bot.matchmaking.load_pool`) and standing forbids (:func:`bot.matchmaking.load_rules`), the
vectorised scores with the constraints applied (:func:`bot.matching.score_matrix`) and the scalar
:func:`bot.matching.score` for the reasons shown. Every pair either of them was ever in is a past pair, so an
ended pair is never proposed again.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

import numpy as np
from sqlmodel import Session

from bot import matchmaking, people
from bot.cohorts import settings_of
from bot.matching import Score, score, score_matrix
from bot.matching.matrix import MENTEE_INACTIVE_REASON, NO_MENTORS_REASON
from bot.profiles import Profile, Status
from storage import pair_control as store
from storage.models import Cohort


@dataclass(frozen=True)
class Candidate:
    """One possible partner, with the score and reasons a round would show."""

    user_id: str
    score: Score
    free_places: int = 0


@dataclass
class Proposal:
    """The best mentors for one mentee, best first; ``reason`` says why there is none."""

    mentee_id: str
    candidates: list[Candidate]
    reason: str = ""

    @property
    def best(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None


def _settings(session: Session, cohort_id: int | None):  # type: ignore[no-untyped-def]
    cohort = session.get(Cohort, cohort_id) if cohort_id is not None else None
    return matchmaking.round_settings(settings_of(cohort))


def _forbidden(session: Session, team_id: str, cohort_id: int | None) -> set[tuple[str, str]]:
    """The cohort's standing forbids, as its rounds apply them."""
    if cohort_id is None:
        return set()
    return set(matchmaking.load_rules(session=session, team_id=team_id, cohort_id=cohort_id).forbids)


def _mentee_profile(session: Session, team_id: str, mentee_id: str, pool: matchmaking.Pool) -> Profile | None:
    for profile in pool.mentees:
        if profile.user_id == mentee_id:
            return profile
    saved = people.load_profile(session=session, team_id=team_id, user_id=mentee_id)
    if saved is None:
        return None
    blocked = matchmaking.do_not_pair_lists(session, team_id).get(mentee_id, set())
    return replace(saved[1], do_not_pair=frozenset(blocked))


def mentors_for(
    *,
    session: Session,
    team_id: str,
    mentee_id: str,
    cohort_id: int | None,
    now: datetime,
    exclude: frozenset[str] = frozenset(),
    limit: int = 3,
) -> Proposal:
    """The best mentors with a free place for one mentee, as a round of the cohort would score them.

    Args:
        session: Database session (reads only).
        team_id: The workspace.
        mentee_id: Who needs a mentor (may still be in the pair that is about to end).
        cohort_id: The cohort whose weights, constraints and mentors apply (None: the workspace's).
        now: The week whose working hours are compared.
        exclude: Mentors not to propose (besides every past partner, always excluded).
        limit: How many candidates to return.

    Returns:
        The candidates, best first, or the reason a round would give for leaving the mentee unmatched.
    """
    weights, constraints = _settings(session, cohort_id)
    pool = matchmaking.load_pool(session=session, team_id=team_id, cohort_id=cohort_id)
    mentee = _mentee_profile(session, team_id, mentee_id, pool)
    if mentee is None or mentee.status != Status.ACTIVE or not mentee.is_mentee:
        return Proposal(mentee_id, [], MENTEE_INACTIVE_REASON)
    mentors = [m for m in pool.mentors if m.user_id not in exclude and m.user_id != mentee_id]
    if not mentors:
        return Proposal(mentee_id, [], NO_MENTORS_REASON)
    matrix = score_matrix(
        [mentee],
        mentors,
        weights,
        constraints,
        week_of=now.date(),
        past_pairs=pool.past_pairs,
        forbidden=_forbidden(session, team_id, cohort_id),
    )
    allowed = np.flatnonzero(matrix.allowed[0])
    if allowed.size == 0:
        return Proposal(mentee_id, [], matrix.no_candidate.get(mentee_id, NO_MENTORS_REASON))
    ranked = sorted(allowed.tolist(), key=lambda j: (-float(matrix.total[0, j]), mentors[j].user_id))[:limit]
    return Proposal(
        mentee_id,
        [
            Candidate(mentors[j].user_id, score(mentee, mentors[j], weights, week_of=now.date()), mentors[j].capacity)
            for j in ranked
        ],
    )


@dataclass(frozen=True)
class WaitingCandidate:
    """A waiting mentee who fits a freed place."""

    user_id: str
    score: Score
    since: datetime


def waiting_mentee_for(
    *, session: Session, team_id: str, mentor_id: str, cohort_id: int | None, now: datetime
) -> WaitingCandidate | None:
    """The mentee who has waited longest among those a round would allow with this mentor (None: nobody fits).

    A mentee first in line (left unmatched, or asking for a rematch) goes before one who is not; then the
    longest wait; then the higher score.
    """
    weights, constraints = _settings(session, cohort_id)
    pool = matchmaking.load_pool(session=session, team_id=team_id, cohort_id=cohort_id)
    mentor = next((m for m in pool.mentors if m.user_id == mentor_id), None)
    # a mentee still in a pair (asking for another mentor) is the coordinators' rematch, not a free place's
    mentees = [
        m
        for m in pool.mentees
        if m.user_id != mentor_id and m.status == Status.ACTIVE and m.user_id not in pool.rematch
    ]
    if mentor is None or not mentees:
        return None
    matrix = score_matrix(
        mentees,
        [mentor],
        weights,
        constraints,
        week_of=now.date(),
        past_pairs=pool.past_pairs,
        forbidden=_forbidden(session, team_id, cohort_id),
    )
    fitting = [i for i in range(len(mentees)) if matrix.allowed[i, 0]]
    if not fitting:
        return None
    since = store.waiting_since(session=session, team_id=team_id, user_ids=[mentees[i].user_id for i in fitting])
    far = now.replace(year=now.year + 100)
    best = min(
        fitting,
        key=lambda i: (
            mentees[i].user_id not in pool.priority,
            since.get(mentees[i].user_id, far),
            -float(matrix.total[i, 0]),
            mentees[i].user_id,
        ),
    )
    chosen = mentees[best]
    return WaitingCandidate(
        chosen.user_id, score(chosen, mentor, weights, week_of=now.date()), since.get(chosen.user_id, now)
    )
