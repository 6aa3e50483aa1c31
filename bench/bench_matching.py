"""Matching benchmark: scoring + solving at several cohort sizes, each in its own process.

    python bench/bench_matching.py            # all sizes (about a minute or two)
    python bench/bench_matching.py --quick    # 50x20 and 500x150 only

Peak memory is the child's ``ru_maxrss`` (tracemalloc would be far too slow here). The gap column
compares the default solver's total with an independent exact solve of the same candidate graph
(OR-Tools min-cost flow, or the dense slot matrix when the default was OR-Tools); both are exact, so
it should be 0 up to the 1e-6 weight rounding of min-cost flow.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SIZES = [(50, 20), (500, 150), (2_000, 500), (10_000, 2_500), (20_000, 5_000)]
QUICK = SIZES[:2]
WEEK = date(2025, 5, 14)


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_size(n_mentees: int, n_mentors: int) -> dict:
    from bot.matching import MatchSettings, Weights, score, score_matrix
    from bot.matching.solver import assign_from_matrix, choose_backend
    from bot.sandbox.people import generate_people

    total_people = int((n_mentees + n_mentors) * 1.35) + 50
    people = generate_people(total_people, seed=n_mentees, mentor_share=n_mentors / (n_mentees + n_mentors))
    mentees = [p for p in people if p.is_mentee][:n_mentees]
    mentors = [p for p in people if p.is_mentor][:n_mentors]
    weights, settings = Weights(), MatchSettings()

    t0 = time.perf_counter()
    matrix = score_matrix(mentees, mentors, weights, settings, week_of=WEEK)
    t_score = time.perf_counter() - t0
    caps = np.array([p.capacity for p in mentors])
    edges = matrix.candidate_count
    backend = choose_backend(len(mentees), int(caps.sum()), edges)

    t0 = time.perf_counter()
    pairs = assign_from_matrix(matrix.total, matrix.allowed, caps)
    t_solve = time.perf_counter() - t0
    weight = float(sum(float(matrix.total[i, j]) for i, j in pairs))

    t0 = time.perf_counter()
    for i, j in pairs:
        score(mentees[i], mentors[j], weights, week_of=WEEK)
    t_reasons = time.perf_counter() - t0
    rss = peak_mib()

    reference = "dense" if backend != "dense" else ("ortools" if edges <= 30_000_000 else None)
    gap = None
    if reference:
        ref_pairs = assign_from_matrix(matrix.total, matrix.allowed, caps, backend=reference)
        ref_weight = float(sum(float(matrix.total[i, j]) for i, j in ref_pairs))
        gap = (ref_weight - weight) / ref_weight if ref_weight else 0.0
    return {
        "size": f"{n_mentees}x{n_mentors}",
        "candidates": edges,
        "backend": backend,
        "score_s": t_score,
        "solve_s": t_solve,
        "reasons_s": t_reasons,
        "peak_mib": rss,
        "matched": len(pairs),
        "total_weight": weight,
        "gap": gap,
        "reference": reference,
    }


def run_sparse(n_mentees: int = 20_000, n_mentors: int = 5_000, per_mentee: int = 65) -> dict:
    from bot.matching.solver import assign_edges

    rng = np.random.default_rng(7)
    rows = np.repeat(np.arange(n_mentees), per_mentee)
    cols = rng.integers(0, n_mentors, size=n_mentees * per_mentee)
    keys = np.unique(rows * n_mentors + cols)
    rows, cols = keys // n_mentors, keys % n_mentors
    vals = rng.random(len(rows))
    caps = rng.integers(1, 5, size=n_mentors)
    t0 = time.perf_counter()
    pairs = assign_edges(rows, cols, vals, caps, n_mentees, backend="ortools")
    elapsed = time.perf_counter() - t0
    lookup = dict(zip((rows * n_mentors + cols).tolist(), vals.tolist(), strict=True))
    return {
        "size": f"sparse {n_mentees}x{n_mentors}",
        "candidates": len(rows),
        "backend": "ortools",
        "solve_s": elapsed,
        "peak_mib": peak_mib(),
        "matched": len(pairs),
        "total_weight": sum(lookup[i * n_mentors + j] for i, j in pairs),
    }


def child(spec: str) -> dict:
    proc = subprocess.run([sys.executable, __file__, "--child", spec], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        return {"size": spec, "error": proc.stderr.strip().splitlines()[-1:]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="only the small sizes")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        if args.child == "sparse":
            print(json.dumps(run_sparse()))
        else:
            n, m = (int(x) for x in args.child.split("x"))
            print(json.dumps(run_size(n, m)))
        return

    header = (
        f"{'size':>22} {'candidates':>11} {'backend':>8} {'score s':>8} {'solve s':>8} {'reasons s':>9} "
        f"{'peak MiB':>9} {'matched':>8} {'total weight':>13} {'gap':>9}"
    )
    print(header)
    print("-" * len(header))
    specs = [f"{n}x{m}" for n, m in (QUICK if args.quick else SIZES)]
    if not args.quick:
        specs.append("sparse")
    for spec in specs:
        r = child(spec)
        if "error" in r:
            print(f"{spec:>22} failed: {r['error']}")
            continue
        gap = "-" if r.get("gap") is None else f"{r['gap']:.2e}"
        print(
            f"{r['size']:>22} {r['candidates']:>11,} {r['backend']:>8} {r.get('score_s', 0):>8.2f} "
            f"{r['solve_s']:>8.2f} {r.get('reasons_s', 0):>9.2f} {r['peak_mib']:>9.0f} {r['matched']:>8,} "
            f"{r['total_weight']:>13.3f} {gap:>9}",
            flush=True,
        )


if __name__ == "__main__":
    main()
