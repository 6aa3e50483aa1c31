"""Mentee-choice benchmark: its match rate against a normal round's on the same pool (target: at least 95 %).

    python bench/bench_choice.py            # 200 and 1,000 people, every behaviour
    python bench/bench_choice.py --quick    # 200 people

For each size a synthetic workforce (``generate_people``) is stored through the storage functions in a fresh
SQLite file, in a cohort with mentee choice on. The *normal* figure is the pairs one exact round makes on that
pool (``plan_round``, what ``/mentor match`` would publish). The *choice* figure runs the real mentee-choice
services of ``bot.choice`` (the ones the buttons and deadlines call): shortlists go out, every mentee picks
according to a behaviour, mentors answer in random order, requests move on after declines and full mentors, run
out shortlists are replaced (up to three), and at the end the coordinator sends shortlists once more to whoever
still waits (``/mentor match`` again). Behaviours:

- ``suggestion``: everyone picks our first suggestion, every mentor accepts;
- ``noisy``: each mentee picks the offer that looks best to them (score + N(0, 0.1) noise), mentors accept;
- ``uniform``: each mentee picks an offer at random, mentors accept;
- ``noisy+declines``: as ``noisy``, but each mentor declines 10 % of requests.

It also checks the shortlists' promise: for each place (1st, 2nd, 3rd), no mentor appears on more shortlists at
that place than they have free places. Figures print as a table; the machine may be shared (compare ratios).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlmodel import select  # noqa: E402

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TEAM = "T0BENCH"
BEHAVIOURS = ("suggestion", "noisy", "uniform", "noisy+declines")


def setup(n: int, seed: int):  # type: ignore[no-untyped-def]
    from bot.forms import SignupForm  # noqa: F401 - the signup's field names are the profile's
    from bot.sandbox.people import generate_people
    from storage import participants
    from storage.coordination import save_cohort
    from storage.db import make_engine, session_factory
    from storage.migrate import upgrade

    path = Path(tempfile.mkdtemp()) / "choice.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    sessions = session_factory(engine)
    people = generate_people(n, seed=seed)
    with sessions() as session:
        cohort, _ = save_cohort(
            session=session, team_id=TEAM, cohort_id=None, name="Bench", settings={"mentee_choice": True}, now=NOW
        )
        session.commit()
        cohort_id = int(cohort.id or 0)
        for p in people:
            fields = {
                name: getattr(p, name)
                for name in participants.PROFILE_FIELDS
                if hasattr(p, name) and name not in ("bio", "email")
            }
            participants.upsert_profile(
                session=session,
                team_id=TEAM,
                user_id=p.user_id,
                role=p.role.value,
                display_name=p.name,
                timezone=p.timezone,
                fields=fields,
                cohort_id=cohort_id,
                now=NOW,
            )
    return engine, sessions, cohort_id, people


def normal_pairs(sessions, cohort_id: int) -> int:  # type: ignore[no-untyped-def]
    from bot.cohorts import get_cohort, settings_of
    from bot.matching import plan_round
    from bot.matchmaking import load_pool, round_settings

    with sessions() as session:
        pool = load_pool(session=session, team_id=TEAM, cohort_id=cohort_id)
        cohort = get_cohort(session=session, team_id=TEAM, cohort_id=cohort_id)
        weights, constraints = round_settings(settings_of(cohort))
    result = plan_round(
        pool.mentees,
        pool.mentors,
        weights=weights,
        settings=constraints,
        past_pairs=pool.past_pairs,
        priority=pool.priority,
        week_of=NOW.date(),
    )
    return len(result.pairs)


def shortlist_promise(offering, capacity: dict[str, int]) -> bool:  # type: ignore[no-untyped-def]
    """For each place, no mentor on more shortlists than their free places."""
    for place in range(3):
        counts = Counter(s.requests[place].mentor_user_id for s in offering.shortlists if len(s.requests) > place)
        if any(n > capacity[m] for m, n in counts.items()):
            return False
    return True


def run_choice(sessions, cohort_id: int, people, behaviour: str, seed: int) -> dict:  # type: ignore[no-untyped-def]
    from bot import choice
    from storage.models import MatchRequest, Pair
    from storage.vocab import MatchRequestStatus as S

    rng = random.Random(seed)
    capacity = {p.user_id: p.capacity for p in people if p.is_mentor}
    decline_rate = 0.1 if behaviour.endswith("declines") else 0.0
    t0 = time.perf_counter()
    with sessions() as session:
        offering = choice.offer_shortlists(session=session, team_id=TEAM, cohort_id=cohort_id, now=NOW)
    promise = shortlist_promise(offering, capacity)
    first_lists = len(offering.shortlists)
    passes = 0

    def pick_all() -> None:
        with sessions() as session:
            open_offers = session.exec(select(MatchRequest).where(MatchRequest.status == S.OFFERED)).all()
            busy = {
                r.mentee_user_id
                for r in session.exec(
                    select(MatchRequest).where(MatchRequest.status.in_((S.REQUESTED, S.ACCEPTED)))  # type: ignore[attr-defined]
                ).all()
            }
        by_mentee: dict[str, list] = {}
        for r in open_offers:
            if r.mentee_user_id not in busy:
                by_mentee.setdefault(r.mentee_user_id, []).append(r)
        for mentee in sorted(by_mentee):
            offers = sorted(by_mentee[mentee], key=lambda r: (r.batch, r.rank))
            batch = offers[-1].batch
            offers = [r for r in offers if r.batch == batch]
            if behaviour == "suggestion":
                chosen = offers[0]
            elif behaviour == "uniform":
                chosen = rng.choice(offers)
            else:
                chosen = max(offers, key=lambda r: r.score + rng.gauss(0, 0.1))
            with sessions() as session:
                choice.choose(session=session, team_id=TEAM, request_id=int(chosen.id or 0), actor=mentee, now=NOW)

    def answer_all() -> bool:
        with sessions() as session:
            waiting = list(session.exec(select(MatchRequest).where(MatchRequest.status == S.REQUESTED)).all())
        rng.shuffle(waiting)
        for request in waiting:
            accept = rng.random() >= decline_rate
            with sessions() as session:
                choice.answer(
                    session=session,
                    team_id=TEAM,
                    request_id=int(request.id or 0),
                    actor=request.mentor_user_id,
                    accept=accept,
                    now=NOW,
                )
        return bool(waiting)

    for _ in range(60):
        pick_all()
        if not answer_all():
            # nothing left to answer: the coordinator offers whoever still waits the places left, once more
            with sessions() as session:
                more = choice.offer_shortlists(session=session, team_id=TEAM, cohort_id=cohort_id, now=NOW)
            passes += 1
            if not more.shortlists or passes > 2:
                break
    with sessions() as session:
        made = session.exec(select(Pair)).all()
        over = Counter(p.mentor_user_id for p in made)
    within = all(n <= capacity[m] for m, n in over.items())
    return {
        "pairs": len(made),
        "first_lists": first_lists,
        "promise": promise,
        "capacity_holds": within,
        "seconds": time.perf_counter() - t0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="200 people only")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    sizes = [200] if args.quick else [200, 1000]
    print(
        "| people | mentees | behaviour | normal pairs | choice pairs | rate vs normal | place promise | capacity | s |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for n in sizes:
        for behaviour in BEHAVIOURS:
            engine, sessions, cohort_id, people = setup(n, args.seed)
            normal = normal_pairs(sessions, cohort_id)
            result = run_choice(sessions, cohort_id, people, behaviour, args.seed)
            mentees = sum(1 for p in people if p.is_mentee)
            print(
                f"| {n:,} | {mentees:,} | {behaviour} | {normal:,} | {result['pairs']:,} | "
                f"{result['pairs'] / normal:.1%} | {'holds' if result['promise'] else 'BROKEN'} | "
                f"{'holds' if result['capacity_holds'] else 'BROKEN'} | {result['seconds']:.1f} |"
            )
            engine.dispose()


if __name__ == "__main__":
    main()
