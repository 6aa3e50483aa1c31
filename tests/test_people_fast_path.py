"""The vectorised people-to-meet planner gives exactly what the earlier per-mentee planner gave (same people, same
order, same scores and reasons), month one and after rotation, on a few hundred people."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from bot.networking import plan_people_to_meet
from bot.profiles import Profile, Status
from bot.sandbox.people import generate_people
from tests.people_reference import reference_plan_people_to_meet


def _workspace(seed: int) -> tuple[list[Profile], dict]:
    rng = random.Random(seed)
    people = generate_people(400, seed=seed, mentor_share=0.15 + 0.15 * seed)  # 60 to 240 candidates
    ids = [p.user_id for p in people]
    people = [
        replace(
            p,
            manager_id=rng.choice(ids) if rng.random() < 0.3 else None,
            status=Status.PAUSED if rng.random() < 0.05 else p.status,
        )
        for p in people
    ]
    mentors = [p.user_id for p in people if p.is_mentor]
    mentees = [p.user_id for p in people if p.is_mentee]
    return people, {
        "pairings": [(m, rng.choice(mentors)) for m in mentees] + [(ids[0], ids[0])],
        "alumni": set(rng.sample(ids, 20)),
        "opted_out": set(rng.sample(mentors, 8)),
    }


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("shape", [{}, {"shortlist": 4, "chunk": 37, "share": 0.005}])
def test_fast_planner_equals_the_reference_month_after_month(seed: int, shape: dict) -> None:
    people, world = _workspace(seed)
    first = plan_people_to_meet(people, **world, **shape, seed=seed)
    assert first == reference_plan_people_to_meet(people, **world, **shape, seed=seed)
    assert sum(len(v) for v in first.values()) > len(first) // 2  # not trivially empty

    seen = {m: {s.user_id for s in v} for m, v in first.items()}
    rng = random.Random(seed)
    introduced = [(m, rng.choice([p.user_id for p in people])) for m in list(first)[::5]]
    second = plan_people_to_meet(people, **world, **shape, seen=seen, introduced=introduced, seed=seed + 1)
    assert second == reference_plan_people_to_meet(
        people, **world, **shape, seen=seen, introduced=introduced, seed=seed + 1
    )
    repeats = sum(1 for m, v in second.items() for s in v if s.user_id in seen[m])
    assert repeats < sum(len(v) for v in second.values()) // 2  # it did rotate
