"""Simulated programs with a hidden "true" compatibility, to check that learning recovers it.

Each simulated program is a synthetic workforce (:func:`bot.sandbox.people.generate_people`) matched by
the real round planner, with the weights its coordinator happened to choose (the defaults, each jittered)
and a few hand-made pairs on top, as real programs are. Every pair then goes well with a probability set
by a hidden truth that is *not* the default weights: smooth curves (not the model's piecewise-linear
shapes) in which coverage of wanted skills saturates, working-hours overlap matters up to a few hours,
the same department hurts, mentors who list very many topics do worse, and interests, style and
language do not matter at all. Deterministic for a seed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import date

import numpy as np

from bot.matching.features import FACTOR_NAMES, batch_values
from bot.matching.rounds import plan_round
from bot.matching.scoring import FACTORS as DEFAULT_FACTORS
from bot.matching.scoring import MatchSettings, Weights
from bot.profiles import Profile
from bot.sandbox.people import generate_people

WEEK = date(2025, 5, 14)


def true_logit(values: np.ndarray) -> np.ndarray:
    """The hidden truth: log-odds of a good outcome for rows of factor values."""
    col = {name: values[:, k] for k, name in enumerate(FACTOR_NAMES)}
    gap = col["seniority"]
    return (
        -3.3
        + 2.2 * np.sqrt(col["skills"])
        + 0.35 * np.minimum(col["skills_shared"], 3)
        + 0.8 * col["goals"]
        - 0.7 * col["department"]
        + 0.3 * col["industry"]
        + 1.4 * (1.0 - np.exp(-col["availability"] / 1.5))
        - 0.25 * (np.clip(gap, -2, 5) - 2.0) ** 2 / 2.0
        + 0.6 * (col["format"] - 0.5)
        - 0.18 * np.maximum(col["mentor_topics"] - 3, 0)
        - 0.15 * np.maximum(col["mentee_topics"] - 2, 0)
    )


def true_probability(values: np.ndarray) -> np.ndarray:
    """The hidden probability of a good outcome."""
    return 1.0 / (1.0 + np.exp(-true_logit(values)))


@dataclass
class SimulatedOutcomes:
    """Labelled pairs from simulated programs."""

    mentees: list[Profile]
    mentors: list[Profile]
    values: np.ndarray
    outcome: np.ndarray
    probability: np.ndarray

    @property
    def mentee_keys(self) -> list[str]:
        return [p.user_id for p in self.mentees]

    @property
    def mentor_keys(self) -> list[str]:
        return [p.user_id for p in self.mentors]

    def __len__(self) -> int:
        return len(self.outcome)


def simulate_programs(n_outcomes: int, *, seed: int, people_per_program: int = 400) -> SimulatedOutcomes:
    """Run simulated programs until ``n_outcomes`` pairs have an outcome.

    Args:
        n_outcomes: How many labelled pairs to produce.
        seed: Random seed; the same seed gives the same pairs and outcomes.
        people_per_program: Size of each simulated workforce.

    Returns:
        The pairs, their factor values, hidden probabilities and sampled outcomes (1 good, 0 poor).
    """
    rng = random.Random(seed)
    draws = np.random.default_rng(seed)
    mentees: list[Profile] = []
    mentors: list[Profile] = []
    program = 0
    while len(mentees) < n_outcomes:
        people = generate_people(people_per_program, seed=seed * 100_003 + program, mentor_share=0.4)
        tag = f"P{program}-"
        people = [
            replace(p, user_id=tag + p.user_id, manager_id=(tag + p.manager_id) if p.manager_id else None)
            for p in people
        ]
        program += 1
        weights = Weights(**{f: getattr(Weights(), f) * rng.uniform(0.3, 1.7) for f in DEFAULT_FACTORS})
        pool_e = [p for p in people if p.is_mentee]
        pool_m = [p for p in people if p.is_mentor]
        result = plan_round(pool_e, pool_m, weights=weights, settings=MatchSettings(score_floor=0.1), week_of=WEEK)
        by_id = {p.user_id: p for p in people}
        matched = {p.mentee_id for p in result.pairs}
        for pair in result.pairs:
            mentees.append(by_id[pair.mentee_id])
            mentors.append(by_id[pair.mentor_id])
        # hand-made pairs: a few left-out mentees paired with a random mentor who speaks their language
        left = [p for p in pool_e if p.user_id not in matched]
        for mentee in left[: max(1, len(result.pairs) // 5)]:
            options = [m for m in pool_m if m.user_id != mentee.user_id and set(m.languages) & set(mentee.languages)]
            if options:
                mentees.append(mentee)
                mentors.append(rng.choice(options))
    mentees, mentors = mentees[:n_outcomes], mentors[:n_outcomes]
    values = batch_values(mentees, mentors, week_of=WEEK)
    probability = true_probability(values)
    outcome = (draws.random(len(probability)) < probability).astype(np.int64)
    return SimulatedOutcomes(mentees, mentors, values, outcome, probability)
