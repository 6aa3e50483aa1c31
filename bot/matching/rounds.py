"""A matching round: profiles in, pairs with scores and reasons out. Pure; the Slack layer calls this.

Steps: pinned pairs are fixed first (they consume mentor capacity and are kept even if a hard
constraint would have removed them: a coordinator's decision wins, except pairing someone with
themself); the remaining mentees are scored against every mentor with capacity left
(:func:`bot.matching.matrix.score_matrix`), hard constraints and forbidden pairs removed; priority
mentees get ``settings.priority_boost`` added to every edge in the solver objective (not to their
reported score), which makes leaving them out cost more; ``settings.max_share`` caps every mentor's
effective capacity; then the exact solver picks the pairs. Reasons come from the scalar
:func:`bot.matching.scoring.score` of each chosen pair.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

import numpy as np

from bot.matching.matrix import MENTEE_INACTIVE_REASON, score_matrix
from bot.matching.reasons import unmatched as stored_reason
from bot.matching.scoring import MatchSettings, Score, Weights, score
from bot.matching.solver import assign_from_matrix, effective_capacities
from bot.profiles import Profile, Status
from bot.taxonomy import Taxonomy, default_taxonomy
from storage.vocab import UnmatchedReason

if TYPE_CHECKING:
    from bot.matching.model import PairModel

CAPACITY_REASON = stored_reason(UnmatchedReason.CAPACITY)  # every mentor who fits was needed by others


@dataclass(frozen=True)
class MatchedPair:
    """One pair of the round."""

    mentee_id: str
    mentor_id: str
    score: Score
    pinned: bool = False


@dataclass
class RoundResult:
    """The outcome of :func:`plan_round`.

    Attributes:
        pairs: Chosen pairs sorted by (mentee_id, mentor_id).
        unmatched: Mentee id -> stored reason (``bot.matching.reasons.unmatched``; worded by ``bot.views.reasons``).
        mean_score: Mean total score of the pairs (0 when there are none).
        mentor_load: Mentor id -> (assigned, capacity).
    """

    pairs: list[MatchedPair] = field(default_factory=list)
    unmatched: dict[str, str] = field(default_factory=dict)
    mean_score: float = 0.0
    mentor_load: dict[str, tuple[int, int]] = field(default_factory=dict)

    @property
    def total_score(self) -> float:
        return float(sum(p.score.total for p in self.pairs))


@dataclass(frozen=True)
class RoundDiff:
    """What changed between two plans of a round."""

    added: list[tuple[str, str]]
    removed: list[tuple[str, str]]
    newly_unmatched: list[str]
    newly_matched: list[str]

    @property
    def unchanged(self) -> bool:
        return not (self.added or self.removed or self.newly_unmatched or self.newly_matched)


def plan_round(
    mentees: list[Profile],
    mentors: list[Profile],
    *,
    weights: Weights,
    settings: MatchSettings,
    past_pairs: Iterable[tuple[str, str]] = frozenset(),
    pinned: Iterable[tuple[str, str]] = frozenset(),
    forbidden: Iterable[tuple[str, str]] = frozenset(),
    priority: Iterable[str] = frozenset(),
    week_of: date,
    taxonomy: Taxonomy | None = None,
    progress: Callable[[int, int], None] | None = None,
    backend: str | None = None,
    model: PairModel | None = None,
) -> RoundResult:
    """Plan one matching round.

    Args:
        mentees: People looking for a mentor ("both" people may also be in ``mentors``).
        mentors: People offering to mentor; ``capacity`` is how many mentees each can take.
        weights: Factor weights.
        settings: Hard constraints and fairness options.
        past_pairs: (mentee_id, mentor_id) pairs that were or are together; excluded in both orders.
        pinned: (mentee_id, mentor_id) pairs fixed by a coordinator.
        forbidden: (mentee_id, mentor_id) pairs a coordinator excluded.
        priority: Mentee ids that get ``settings.priority_boost`` in the objective.
        week_of: A day of the round's first week (daylight-saving offsets of that week apply).
        taxonomy: Career goal -> skills map (default: the shipped taxonomy).
        progress: Called with (rows scored, rows total) while scoring.
        backend: Force a solver backend (see :mod:`bot.matching.solver`).
        model: A learned model: pair weights are its probabilities of a good outcome (``weights`` unused).

    Returns:
        A :class:`RoundResult`.
    """
    taxonomy = taxonomy or default_taxonomy()
    mentees = list({p.user_id: p for p in mentees}.values())
    mentors = list({p.user_id: p for p in mentors}.values())
    mentee_by_id = {p.user_id: p for p in mentees}
    mentor_by_id = {p.user_id: p for p in mentors}
    caps = effective_capacities([max(p.capacity, 0) for p in mentors], len(mentees), settings.max_share)
    capacity = {p.user_id: int(c) for p, c in zip(mentors, caps, strict=True)}
    assigned = dict.fromkeys(capacity, 0)

    pairs: list[MatchedPair] = []
    pinned_mentees: set[str] = set()
    for mentee_id, mentor_id in sorted(set(pinned)):
        if mentee_id == mentor_id or mentee_id in pinned_mentees:
            continue
        mentee, mentor = mentee_by_id.get(mentee_id), mentor_by_id.get(mentor_id)
        if mentee is None or mentor is None:
            continue
        pinned_mentees.add(mentee_id)
        assigned[mentor_id] += 1
        pairs.append(
            MatchedPair(
                mentee_id,
                mentor_id,
                score(mentee, mentor, weights, week_of=week_of, taxonomy=taxonomy, model=model),
                pinned=True,
            )
        )

    pool = [p for p in mentees if p.user_id not in pinned_mentees]
    open_mentors = [p for p in mentors if capacity[p.user_id] - assigned[p.user_id] > 0]
    unmatched: dict[str, str] = {}
    if pool:
        matrix = score_matrix(
            pool,
            open_mentors,
            weights,
            settings,
            week_of=week_of,
            past_pairs=past_pairs,
            forbidden=forbidden,
            taxonomy=taxonomy,
            progress=progress,
            model=model,
        )
        remaining = np.array([capacity[p.user_id] - assigned[p.user_id] for p in open_mentors], dtype=np.int64)
        priority_ids = set(priority)
        boost = None
        if priority_ids and settings.priority_boost:
            boost = np.array(
                [settings.priority_boost if p.user_id in priority_ids else 0.0 for p in pool], dtype=np.float32
            )
        chosen = assign_from_matrix(matrix.total, matrix.allowed, remaining, boost=boost, backend=backend)
        matched_rows = set()
        for i, j in chosen:
            mentee, mentor = pool[i], open_mentors[j]
            matched_rows.add(i)
            assigned[mentor.user_id] += 1
            pairs.append(
                MatchedPair(
                    mentee.user_id,
                    mentor.user_id,
                    score(mentee, mentor, weights, week_of=week_of, taxonomy=taxonomy, model=model),
                )
            )
        for i, p in enumerate(pool):
            if i in matched_rows:
                continue
            if p.status != Status.ACTIVE:
                unmatched[p.user_id] = MENTEE_INACTIVE_REASON
            else:
                unmatched[p.user_id] = matrix.no_candidate.get(p.user_id, CAPACITY_REASON)
    pairs.sort(key=lambda pair: (pair.mentee_id, pair.mentor_id))
    mean = float(np.mean([p.score.total for p in pairs])) if pairs else 0.0
    load = {p.user_id: (assigned[p.user_id], capacity[p.user_id]) for p in mentors}
    return RoundResult(pairs=pairs, unmatched=dict(sorted(unmatched.items())), mean_score=mean, mentor_load=load)


def diff_rounds(old: RoundResult, new: RoundResult) -> RoundDiff:
    """Describe what changed from ``old`` to ``new`` (e.g. a coordinator's re-run after pinning).

    Args:
        old: The previous plan.
        new: The new plan.

    Returns:
        Pairs added and removed, mentees newly unmatched and newly matched, each sorted.
    """
    old_pairs = {(p.mentee_id, p.mentor_id) for p in old.pairs}
    new_pairs = {(p.mentee_id, p.mentor_id) for p in new.pairs}
    old_matched = {p.mentee_id for p in old.pairs}
    new_matched = {p.mentee_id for p in new.pairs}
    return RoundDiff(
        added=sorted(new_pairs - old_pairs),
        removed=sorted(old_pairs - new_pairs),
        newly_unmatched=sorted(set(new.unmatched) - set(old.unmatched)),
        newly_matched=sorted(new_matched - old_matched),
    )
