"""Solver-alone benchmark: the public ``max_weight_assignment`` against raw OR-Tools min-cost flow, same graph.

    python bench/bench_solver.py               # sparse 20,000 x 5,000, about 65 candidate mentors per mentee
    python bench/bench_solver.py --repeat 5    # more alternations of the two

The graph (seeded): 20,000 mentees, 5,000 mentors with capacities 1-4, each mentee with ~65 random candidate
mentors and a random weight, ids like ``U0E00042``; the mapping is filled mentee by mentee as a caller would.

- ``max_weight_assignment(weights, capacities)``: the whole public call, from the dict to the sorted id pairs.
  Its conversion step (ids to index arrays, the filter, the canonical edge order) is also timed on its own.
- raw OR-Tools: ``SimpleMinCostFlow`` on the same edges from ready-made NumPy arrays (the network
  ``max_weight_assignment`` builds: mentee supply 1, an arc to each candidate mentor at cost ``-round(w * 1e6)``,
  one to the sink at cost 0, mentors to the sink with their capacity): add the arcs, solve, read the flows.

Each runs in its own process (peak memory is that process's ``ru_maxrss``, the input mapping included), the two
alternating ``--repeat`` times; the ratio is of the medians (wall time; the CPU-time ratio, steadier on a shared
machine, is printed too). Both totals must be equal.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

N_MENTEES, N_MENTORS, PER_MENTEE = 20_000, 5_000, 65
TARGET_RATIO = 1.4
TARGET_MIB = 600


def instance() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    rows = np.repeat(np.arange(N_MENTEES), PER_MENTEE)
    cols = rng.integers(0, N_MENTORS, size=N_MENTEES * PER_MENTEE)
    keys = np.unique(rows * N_MENTORS + cols)
    rows, cols = keys // N_MENTORS, keys % N_MENTORS
    return rows, cols, rng.random(len(rows)), rng.integers(1, 5, size=N_MENTORS)


def run_public() -> dict:
    from bot.matching.solver import _edges_from_mapping, max_weight_assignment

    rows, cols, vals, caps = instance()
    mentees = [f"U0E{i:05d}" for i in range(N_MENTEES)]
    mentors = [f"U0M{j:05d}" for j in range(N_MENTORS)]
    weights = {(mentees[i], mentors[j]): w for i, j, w in zip(rows.tolist(), cols.tolist(), vals.tolist(), strict=True)}
    capacities = {mentors[j]: int(c) for j, c in enumerate(caps.tolist())}
    del rows, cols, vals
    t0 = time.perf_counter()
    _edges_from_mapping(weights, capacities)
    conversion = time.perf_counter() - t0
    t0, c0 = time.perf_counter(), time.process_time()
    pairs = max_weight_assignment(weights, capacities)
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    total = sum(weights[p] for p in pairs)
    return {
        "seconds": elapsed,
        "cpu": cpu,
        "conversion": conversion,
        "pairs": len(pairs),
        "total": total,
        "edges": len(weights),
    }


def run_raw() -> dict:
    from ortools.graph.python import min_cost_flow

    rows, cols, vals, caps = instance()
    n, m = N_MENTEES, N_MENTORS
    t0, c0 = time.perf_counter(), time.process_time()
    sink = n + m
    local = np.arange(n, dtype=np.int64)
    tails = np.concatenate([rows, local, n + np.arange(m)])
    heads = np.concatenate([n + cols, np.full(n, sink), np.full(m, sink)])
    arc_caps = np.concatenate([np.ones(len(rows) + n, dtype=np.int64), caps.astype(np.int64)])
    costs = np.concatenate([-np.rint(vals * 1e6).astype(np.int64), np.zeros(n + m, dtype=np.int64)])
    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(tails, heads, arc_caps, costs)
    flow.set_nodes_supplies(np.append(local, sink), np.append(np.ones(n, dtype=np.int64), -n))
    if flow.solve() != flow.OPTIMAL:
        raise RuntimeError("min cost flow failed")
    used = flow.flows(np.arange(len(rows))) > 0
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    return {
        "seconds": elapsed,
        "cpu": cpu,
        "pairs": int(used.sum()),
        "total": float(vals[used].sum()),
        "edges": len(rows),
    }


def child(kind: str) -> dict:
    proc = subprocess.run([sys.executable, __file__, "--child", kind], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-2000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3, help="alternations of the two runs (default 3)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        result = run_public() if args.child == "public" else run_raw()
        result["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(result))
        return

    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    print(f"machine: nproc={os.cpu_count()} python={platform.python_version()} load average at start={load}")
    public, raw = [], []
    for _ in range(args.repeat):
        raw.append(child("raw"))
        public.append(child("public"))
    print(f"{'run':<24}{'seconds':>9}{'CPU s':>7}{'conversion':>12}{'peak MiB':>10}{'pairs':>8}{'total weight':>14}")
    for name, runs in (("raw OR-Tools", raw), ("max_weight_assignment", public)):
        for r in runs:
            conversion = f"{r['conversion']:.3f}" if "conversion" in r else "-"
            print(
                f"{name:<24}{r['seconds']:>9.3f}{r['cpu']:>7.3f}{conversion:>12}{r['peak_mib']:>10.0f}"
                f"{r['pairs']:>8,}{r['total']:>14.3f}"
            )
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    print(f"load average at the end={load}")
    t_public = statistics.median(r["seconds"] for r in public)
    t_raw = statistics.median(r["seconds"] for r in raw)
    t_conv = statistics.median(r["conversion"] for r in public)
    peak = max(r["peak_mib"] for r in public)
    ratio = t_public / t_raw
    cpu_ratio = statistics.median(r["cpu"] for r in public) / statistics.median(r["cpu"] for r in raw)
    same = all(abs(p["total"] - raw[0]["total"]) < 1e-6 * p["pairs"] for p in public)
    print(
        f"SUMMARY solver alone, sparse {N_MENTEES:,}x{N_MENTORS:,} ({public[0]['edges']:,} edges): "
        f"max_weight_assignment {t_public:.2f} s (conversion {t_conv:.2f} s) vs raw OR-Tools {t_raw:.2f} s = "
        f"{ratio:.2f}x [<= {TARGET_RATIO}x: {'PASS' if ratio <= TARGET_RATIO else 'FAIL'}], peak {peak:.0f} MiB "
        f"[< {TARGET_MIB}: {'PASS' if peak < TARGET_MIB else 'FAIL'}], same total: {'yes' if same else 'NO'}; "
        f"CPU time {cpu_ratio:.2f}x"
    )


if __name__ == "__main__":
    main()
