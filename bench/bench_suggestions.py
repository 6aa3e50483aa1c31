"""People-to-meet benchmark: suggestions for every mentee of a 20,000-person workspace with 500 skills.

    python bench/bench_suggestions.py                 # 20,000 people, 500 skills
    python bench/bench_suggestions.py --people 2000   # smaller

Every mentee already has a mentor (a pairing edge), 5% of mentors opted out and 2% of people are
alumni. Times the whole of ``plan_people_to_meet`` (graph build, sparse scoring in chunks, greedy
capped assignment, reasons) and reports per-mentee time, coverage and the load spread. Then times the
next month: everyone's first-month suggestions as already seen (they must rotate) and one accepted
introduction per ten mentees (never suggested), and counts repeats. The last line sums it up against the
target of issue 14 (people to meet for 20,000 people, with rotation, under 2 s); wall and CPU times are
absolute figures, noisy on a shared machine.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    from bot.networking import DEFAULT_SHARE, MIN_CAP, plan_people_to_meet, suggestion_load
    from bot.sandbox.people import generate_people
    from bot.taxonomy import Taxonomy

    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--skills", type=int, default=500)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    skills = tuple(f"skill {i:03d}" for i in range(args.skills))
    groups = {f"group {g}": skills[g::10] for g in range(10)}
    goals = {f"goal {g}": skills[g * 5 : g * 5 + 4] for g in range(20)}
    taxonomy = Taxonomy(
        skill_groups=groups,
        interests=("open source", "teaching"),
        career_goals=goals,
        industries=("software",),
        departments=("engineering", "product", "data", "design", "sales", "finance", "people"),
        languages=("english",),
    )
    started = time.perf_counter()
    people = generate_people(args.people, seed=args.seed, taxonomy=taxonomy)
    generated = time.perf_counter() - started
    rng = random.Random(args.seed)
    mentors = [p.user_id for p in people if p.is_mentor]
    mentees = [p.user_id for p in people if p.is_mentee]
    pairings = [(m, rng.choice(mentors)) for m in mentees]
    opted_out = set(rng.sample(mentors, len(mentors) // 20))
    alumni = set(rng.sample([p.user_id for p in people], len(people) // 50))

    started, cpu = time.perf_counter(), time.process_time()
    plan = plan_people_to_meet(people, pairings=pairings, alumni=alumni, opted_out=opted_out, taxonomy=taxonomy)
    total, total_cpu = time.perf_counter() - started, time.process_time() - cpu

    load = suggestion_load(plan)
    cap = max(MIN_CAP, math.ceil(DEFAULT_SHARE * len(plan)))
    counts = [len(v) for v in plan.values()]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"people={len(people):,} skills={args.skills} mentees={len(plan):,} "
        f"candidates={len(set(mentors) - opted_out):,}"
    )
    print(f"generate people: {generated:.2f} s (not part of the measured time)")
    print(f"suggestions for every mentee: total {total:.2f} s, per mentee {1e6 * total / max(1, len(plan)):.0f} µs")
    print(
        f"mentees with 3 / 2 / 1 / 0 suggestions: {counts.count(3):,} / {counts.count(2):,} / "
        f"{counts.count(1):,} / {counts.count(0):,}"
    )
    print(
        f"load: {len(load):,} people suggested, max {max(load.values(), default=0)} mentees each "
        f"(cap {cap} = ceil({DEFAULT_SHARE} x {len(plan):,})), mean {sum(load.values()) / max(1, len(load)):.1f}"
    )
    print(f"peak memory: {peak:.0f} MiB")

    seen = {mentee: {s.user_id for s in suggestions} for mentee, suggestions in plan.items()}
    introduced = [(m, rng.choice(mentors)) for m in mentees[::10]]
    started, cpu = time.perf_counter(), time.process_time()
    month2 = plan_people_to_meet(
        people,
        pairings=pairings,
        alumni=alumni,
        opted_out=opted_out,
        seen=seen,
        introduced=introduced,
        taxonomy=taxonomy,
        seed=1,
    )
    rotated, rotated_cpu = time.perf_counter() - started, time.process_time() - cpu
    repeats = sum(1 for m, v in month2.items() for s in v if s.user_id in seen.get(m, ()))
    met = set(introduced)
    intro_hits = sum(1 for m, v in month2.items() for s in v if (m, s.user_id) in met)
    given = sum(len(v) for v in month2.values())
    print(
        f"next month (rotation): total {rotated:.2f} s; {given:,} suggestions, {repeats:,} repeats "
        f"({100 * repeats / max(1, given):.2f}%: no fresh candidate left under the cap), "
        f"{intro_hits} to people already introduced"
    )

    load_avg = os.getloadavg()[0]
    print(
        f"SUMMARY people_to_meet people={len(people):,} first_month={total:.2f}s (cpu {total_cpu:.2f}s) "
        f"rotation={rotated:.2f}s (cpu {rotated_cpu:.2f}s) repeats={repeats} introduced_again={intro_hits} "
        f"load_avg={load_avg:.2f} target<2s: {'OK' if max(total, rotated) < 2 else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
