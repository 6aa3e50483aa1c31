"""Learning from outcomes: recovery of a hidden truth, learning time, and scoring a full round with a model.

    python bench/bench_learn.py            # everything (a few minutes, most of it simulating programs)
    python bench/bench_learn.py --quick    # recovery on 2 seeds, learning 10,000 outcomes, scoring 2,000 x 500
    python bench/bench_learn.py --only timing    # one part: recovery | timing | scoring
    python bench/bench_learn.py --write-outcomes outcomes.csv [--outcomes 2000 --seed 21]   # a simulated file

1. **Recovery.** Simulated programs (``bot/sandbox/outcomes.py``: real rounds on synthetic workforces, a
   hidden "true" compatibility that is not the default weights) give 2,000 labelled pairs to learn from and
   20,000 fresh pairs to judge on. For each seed: ROC AUC on the fresh pairs of the hidden truth itself
   (the best any scoring can do), of the learned model and of the default weights; the target is the
   learned model within 0.02 of the truth. Also the cross-validated figures ``mentorbot learn`` prints.
2. **Learning time.** ``mentorbot learn`` end to end on 50,000 outcomes (read the CSV, compute the factors,
   5 grouped folds, 1,000 bootstrap resamples, the final fit, write the model), in a child process, as
   wall time; target under 10 s.
3. **Scoring a full round with a model**: 20,000 mentees x 5,000 mentors through ``score_matrix`` with the
   default weights and with a learned model, in the same run; the ratio is the stable figure.

Timings are wall-clock on a shared machine; compare the ratios.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

WEEK = date(2025, 5, 14)


def recovery(seeds: list[int], n_train: int, n_holdout: int) -> list[dict]:
    from bot.matching import Weights
    from bot.matching.features import default_totals
    from bot.matching.learn import auc, cross_validate, fit
    from bot.sandbox.outcomes import simulate_programs

    holdout = simulate_programs(n_holdout, seed=10_000)
    oracle = auc(holdout.probability, holdout.outcome)
    default = auc(default_totals(holdout.values, Weights()), holdout.outcome)
    rows = []
    for seed in seeds:
        train = simulate_programs(n_train, seed=seed)
        model = fit(train.values, train.outcome)
        learned = auc(model.predict(holdout.values), holdout.outcome)
        cv = cross_validate(train.values, train.outcome, train.mentee_keys, train.mentor_keys, seed=seed)
        rows.append(
            {
                "seed": seed,
                "good_rate": float(train.outcome.mean()),
                "truth": oracle,
                "learned": learned,
                "default": default,
                "gap": oracle - learned,
                "cv_default": cv.default.text(),
                "cv_model": cv.model.text(),
            }
        )
    return rows


def learning_time(n: int) -> dict:
    from bot.matching.outcome_files import outcomes_csv
    from bot.sandbox.outcomes import simulate_programs

    sim = simulate_programs(n, seed=77, people_per_program=2_000)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "outcomes.csv"
        path.write_text(outcomes_csv(zip(sim.mentees, sim.mentors, sim.outcome, strict=True)))
        command = [sys.executable, "-m", "bot.cli", "learn", "--outcomes", str(path), "--output", f"{tmp}/model.json"]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        wall = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"outcomes": n, "wall_s": wall, "cpu_s": cpu, "output": done.stdout}


def scoring(n_mentees: int, n_mentors: int) -> dict:
    from bot.matching import MatchSettings, Weights, score_matrix
    from bot.matching.learn import fit
    from bot.sandbox.outcomes import simulate_programs
    from bot.sandbox.people import generate_people

    sim = simulate_programs(2_000, seed=5)
    model = fit(sim.values, sim.outcome)
    people = generate_people(
        int((n_mentees + n_mentors) * 1.35) + 50, seed=n_mentees, mentor_share=n_mentors / (n_mentees + n_mentors)
    )
    mentees = [p for p in people if p.is_mentee][:n_mentees]
    mentors = [p for p in people if p.is_mentor][:n_mentors]
    t0, c0 = time.perf_counter(), time.process_time()
    default = score_matrix(mentees, mentors, Weights(), MatchSettings(), week_of=WEEK)
    t_default, c_default = time.perf_counter() - t0, time.process_time() - c0
    del default
    t0, c0 = time.perf_counter(), time.process_time()
    learned = score_matrix(mentees, mentors, Weights(), MatchSettings(), week_of=WEEK, model=model)
    t_model, c_model = time.perf_counter() - t0, time.process_time() - c0
    return {
        "size": f"{n_mentees:,} x {n_mentors:,}",
        "default_s": t_default,
        "model_s": t_model,
        "default_cpu": c_default,
        "model_cpu": c_model,
        "ratio": t_model / t_default,
        "cpu_ratio": c_model / c_default,
        "candidates": learned.candidate_count,
        "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", choices=("recovery", "timing", "scoring"), default=None, help="run one part")
    parser.add_argument("--write-outcomes", type=Path, default=None, help="only write a simulated outcomes.csv")
    parser.add_argument("--outcomes", type=int, default=2_000, help="how many outcomes --write-outcomes writes")
    parser.add_argument("--seed", type=int, default=21, help="seed of the simulated programs --write-outcomes runs")
    args = parser.parse_args()
    if args.write_outcomes is not None:
        from bot.matching.outcome_files import outcomes_csv
        from bot.sandbox.outcomes import simulate_programs

        sim = simulate_programs(args.outcomes, seed=args.seed)
        args.write_outcomes.write_text(outcomes_csv(zip(sim.mentees, sim.mentors, sim.outcome, strict=True)))
        print(f"wrote {args.write_outcomes}: {len(sim):,} simulated outcomes, {int(sim.outcome.sum()):,} good")
        return
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the start")
    if args.only in (None, "recovery"):
        seeds = [1, 2] if args.quick else [1, 2, 3, 4, 5]
        print("recovery: learn from 2,000 simulated outcomes, judge on 20,000 fresh pairs (ROC AUC)")
        print("| seed | good share | truth | learned | default weights | gap to truth | CV: default | CV: learned |")
        print("|---|---|---|---|---|---|---|---|")
        rows = recovery(seeds, 2_000, 20_000)
        for r in rows:
            print(
                f"| {r['seed']} | {r['good_rate']:.0%} | {r['truth']:.3f} | {r['learned']:.3f} | {r['default']:.3f} | "
                f"{r['gap']:.3f} | {r['cv_default']} | {r['cv_model']} |"
            )
        worst = max(r["gap"] for r in rows)
        print(f"summary: recovery worst gap {worst:.3f} (target <= 0.02): {'ok' if worst <= 0.02 else 'MISSED'}")

    if args.only in (None, "timing"):
        timing = learning_time(10_000 if args.quick else 50_000)
        print(
            f"\nlearning time: mentorbot learn on {timing['outcomes']:,} outcomes, end to end: "
            f"{timing['wall_s']:.2f} s wall, {timing['cpu_s']:.2f} s CPU"
        )
        print("\n".join("    " + line for line in timing["output"].splitlines()[:5]))
        print(
            f"summary: learning {timing['outcomes']:,} outcomes {timing['wall_s']:.2f} s wall, "
            f"{timing['cpu_s']:.2f} s CPU (target < 10 s; load average {os.getloadavg()[0]:.1f})"
        )

    if args.only in (None, "scoring"):
        result = scoring(*((2_000, 500) if args.quick else (20_000, 5_000)))
        print(
            f"\nscoring {result['size']} ({result['candidates']:,} candidate pairs): default weights "
            f"{result['default_s']:.2f} s wall / {result['default_cpu']:.2f} s CPU, learned model "
            f"{result['model_s']:.2f} s wall / {result['model_cpu']:.2f} s CPU, peak {result['peak_mib']:.0f} MiB"
        )
        print(
            f"summary: scoring with a model {result['cpu_ratio']:.2f}x the default weights' CPU time "
            f"({result['ratio']:.2f}x wall) in the same run"
        )


if __name__ == "__main__":
    main()
