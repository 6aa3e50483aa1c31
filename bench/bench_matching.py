"""Matching benchmark: a full round (scoring + exact solve + reasons) at several cohort sizes, each in its own process.

    python bench/bench_matching.py                 # all sizes (a few minutes: the dense reference is slow)
    python bench/bench_matching.py --quick         # 50x20, 500x150 and 2,000x500 only
    python bench/bench_matching.py --no-reference  # skip the independent dense solve at 20,000 x 5,000

Each size runs what ``plan_round`` runs: ``score_matrix`` (every mentee against every mentor, hard constraints),
the default solver of ``assign_from_matrix`` for that size (at 20,000 x 5,000 the certified candidate-graph
solver, called as ``certified_assignment`` to read its certificate), then ``score`` of each chosen pair for its
reasons. Peak memory is the child's ``ru_maxrss`` read right after the round (tracemalloc would be far too slow).

After the timed round, not counted in it:

- the certificate is checked independently, in one dense pass over every allowed pair (``W <= u + v``, prices
  non-negative, primal = dual), and its largest violation reported (0: a tight matched pair);
- an independent exact solver runs on the same matrix: SciPy's ``linear_sum_assignment`` on the dense
  mentee x slot matrix (the previous default for large rounds), or OR-Tools on every candidate edge when the
  default was the dense solver. The gap column compares the totals (0 up to the 1e-6 weight rounding).

The summary line compares the 20,000 x 5,000 round with the targets (under 5 s, under 2 GiB, exact) and the
certified solve with the dense SciPy solve of the same matrix, measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SIZES = [(50, 20), (500, 150), (2_000, 500), (10_000, 2_500), (20_000, 5_000)]
QUICK = SIZES[:3]
WEEK = date(2025, 5, 14)
TARGET_SECONDS = 5.0
TARGET_MIB = 2048


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def check_certificate(scores: np.ndarray, allowed: np.ndarray, caps: np.ndarray, result) -> int:  # type: ignore[no-untyped-def]
    """Largest W - u - v over every pair that constrains the dual, in one dense pass; asserts the rest."""
    from bot.matching.solver import integer_weights

    u, v = result.mentee_price, result.mentor_price
    assert (u >= 0).all() and (v >= 0).all(), "negative price"
    assert result.primal == int(u.sum() + (caps * v).sum()), "primal != dual"
    worst = -(2**62)
    step = max(1, 2_000_000 // scores.shape[1])
    for r0 in range(0, len(scores), step):
        w = integer_weights(scores[r0 : r0 + step])
        counts = allowed[r0 : r0 + step] & (w > 0) & (caps > 0)[None, :]
        slack = np.where(counts, w - u[r0 : r0 + step, None] - v[None, :], -(2**62))
        worst = max(worst, int(slack.max()))
    total = 0
    for i, j in result.pairs:
        assert allowed[i, j]
        total += int(integer_weights(scores[i : i + 1, j : j + 1])[0, 0])
    assert total == result.primal, "pairs do not weigh the primal"
    return worst


def run_size(n_mentees: int, n_mentors: int, reference: bool) -> dict:
    from bot.matching import MatchSettings, Weights, score, score_matrix
    from bot.matching.solver import assign_from_matrix, certified_assignment, choose_backend
    from bot.sandbox.people import generate_people

    total_people = int((n_mentees + n_mentors) * 1.35) + 50
    people = generate_people(total_people, seed=n_mentees, mentor_share=n_mentors / (n_mentees + n_mentors))
    mentees = [p for p in people if p.is_mentee][:n_mentees]
    mentors = [p for p in people if p.is_mentor][:n_mentors]
    weights, settings = Weights(), MatchSettings()
    caps = np.minimum(np.array([p.capacity for p in mentors], dtype=np.int64), len(mentees))

    cpu0 = time.process_time()
    t0 = time.perf_counter()
    matrix = score_matrix(mentees, mentors, weights, settings, week_of=WEEK)
    t_score = time.perf_counter() - t0
    edges = matrix.candidate_count
    backend = choose_backend(len(mentees), int(caps.sum()), edges)

    t0 = time.perf_counter()
    certificate = None
    if backend == "certified":
        certificate = certified_assignment(matrix.total, matrix.allowed, caps)
        pairs = certificate.pairs
    else:
        pairs = assign_from_matrix(matrix.total, matrix.allowed, caps)
    t_solve = time.perf_counter() - t0

    t0 = time.perf_counter()
    for i, j in pairs:
        score(mentees[i], mentors[j], weights, week_of=WEEK)
    t_reasons = time.perf_counter() - t0
    cpu = time.process_time() - cpu0  # both threads: on a busy machine wall time waits for a core, CPU time does not
    rss = peak_mib()
    weight = float(sum(float(matrix.total[i, j]) for i, j in pairs))

    out: dict = {
        "size": f"{n_mentees}x{n_mentors}",
        "candidates": edges,
        "backend": backend,
        "score_s": t_score,
        "solve_s": t_solve,
        "reasons_s": t_reasons,
        "cpu_s": cpu,
        "peak_mib": rss,
        "matched": len(pairs),
        "total_weight": weight,
    }
    if certificate is not None:
        t0 = time.perf_counter()
        out["check_violation"] = check_certificate(matrix.total, matrix.allowed, caps, certificate)
        out["check_s"] = time.perf_counter() - t0
        out.update(
            iterations=certificate.iterations,
            graph_edges=certificate.candidate_edges,
            added_edges=certificate.added_edges,
            scanned_rows=certificate.scanned_rows,
            max_violation=certificate.max_violation,
        )
    ref_backend = "ortools" if backend == "dense" else "dense"
    if reference:
        t0 = time.perf_counter()
        ref_pairs = assign_from_matrix(matrix.total, matrix.allowed, caps, backend=ref_backend)
        out["reference_s"] = time.perf_counter() - t0
        ref_weight = float(sum(float(matrix.total[i, j]) for i, j in ref_pairs))
        out["reference"] = ref_backend
        out["gap"] = (ref_weight - weight) / ref_weight if ref_weight else 0.0
    return out


def child(spec: str, reference: bool) -> dict:
    command = [sys.executable, __file__, "--child", spec] + ([] if reference else ["--no-reference"])
    proc = subprocess.run(command, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        return {"size": spec, "error": proc.stderr.strip().splitlines()[-1:]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="only the three small sizes")
    parser.add_argument("--no-reference", action="store_true", help="skip the dense reference solve at 20,000 x 5,000")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        n, m = (int(x) for x in args.child.split("x"))
        reference = not (args.no_reference and (n, m) == SIZES[-1])
        print(json.dumps(run_size(n, m, reference)))
        return

    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    print(f"machine: nproc={os.cpu_count()} python={platform.python_version()} load average at start={load}")
    header = (
        f"{'size':>13} {'candidates':>11} {'backend':>9} {'score s':>8} {'solve s':>8} {'reasons s':>9} {'round s':>8} "
        f"{'CPU s':>6} "
        f"{'peak MiB':>9} {'matched':>8} {'iters':>6} {'max viol':>9} {'reference':>10} {'ref s':>7} {'gap':>9}"
    )
    print(header)
    print("-" * len(header))
    results = []
    for n, m in QUICK if args.quick else SIZES:
        r = child(f"{n}x{m}", not args.no_reference)
        results.append(r)
        if "error" in r:
            print(f"{r['size']:>13} failed: {r['error']}")
            continue
        round_s = r["score_s"] + r["solve_s"] + r["reasons_s"]
        gap = "-" if r.get("gap") is None else f"{r['gap']:.1e}"
        viol = "-" if "check_violation" not in r else f"{r['check_violation'] / 1e6:g}"
        print(
            f"{r['size']:>13} {r['candidates']:>11,} {r['backend']:>9} {r['score_s']:>8.2f} {r['solve_s']:>8.2f} "
            f"{r['reasons_s']:>9.2f} {round_s:>8.2f} {r['cpu_s']:>6.2f} {r['peak_mib']:>9.0f} {r['matched']:>8,} "
            f"{r.get('iterations', '-'):>6} {viol:>9} {r.get('reference', '-'):>10} "
            f"{r.get('reference_s', float('nan')):>7.2f} {gap:>9}",
            flush=True,
        )
        if "iterations" in r:
            print(
                f"{'':>13} certificate: {r['iterations']} solves, last graph {r['graph_edges']:,} edges, "
                f"{r['added_edges']:,} pairs added by pricing, {r['scanned_rows']:,} rows read in the last pricing "
                f"pass; independent dense check: max W - u - v = {r['check_violation']} (units of 1e-6) "
                f"in {r['check_s']:.1f} s"
            )
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    print(f"load average at the end={load}")
    print("round s = score + solve + reasons (wall); CPU s = CPU time of the round, both scoring threads included")
    big = next((r for r in results if r.get("size") == "{}x{}".format(*SIZES[-1]) and "error" not in r), None)
    if big is None:
        print("SUMMARY matching: 20,000 x 5,000 not run")
        return
    round_s = big["score_s"] + big["solve_s"] + big["reasons_s"]
    exact = big.get("check_violation", 1) <= 0 and (big.get("gap") is None or abs(big["gap"]) < 1e-6)
    ratio = (
        f"; solve {big['solve_s']:.2f} s vs dense SciPy {big['reference_s']:.1f} s on the same matrix = "
        f"{big['solve_s'] / big['reference_s']:.2f}x, gap {big['gap']:.1e}"
        if "reference_s" in big
        else ""
    )
    print(
        f"SUMMARY full round 20,000x5,000: {round_s:.2f} s (score {big['score_s']:.2f} + solve {big['solve_s']:.2f} "
        f"+ reasons {big['reasons_s']:.2f}; CPU {big['cpu_s']:.2f} s on 2 threads) "
        f"[< {TARGET_SECONDS:g} s: {'PASS' if round_s < TARGET_SECONDS else 'FAIL'}], "
        f"peak {big['peak_mib']:.0f} MiB [< {TARGET_MIB}: {'PASS' if big['peak_mib'] < TARGET_MIB else 'FAIL'}], "
        f"certified in {big.get('iterations')} solves, max violation {big.get('check_violation')} "
        f"[exact: {'PASS' if exact else 'FAIL'}]{ratio}"
    )


if __name__ == "__main__":
    main()
