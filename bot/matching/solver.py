"""Maximum-weight assignment of mentees to mentors with mentor capacities (bipartite b-matching).

Each mentee gets at most one mentor, each mentor at most ``capacity`` mentees, and the total weight
is maximal. Only positive weights are ever chosen, so a mentee stays unmatched rather than lower the
total. Four exact backends; the default is chosen by size:

``networkx`` (small cohorts: at most ``NETWORKX_MAX_CELLS`` = 2,000,000 cells of the
    mentees x (slots + mentees) matrix networkx builds): the model formulation. Every mentor is
    expanded into one node per unit of capacity ("slots"), every mentee gets a private dummy node
    with weight 0, and ``networkx.algorithms.bipartite.minimum_weight_full_matching`` (top nodes =
    the mentees) finds a matching that covers every mentee. A mentee matched to its dummy is
    unmatched. Costs are ``C - w`` for real edges and ``C`` for dummies with ``C = max(w) + 1``: every
    mentee is matched exactly once, so this differs from costs ``-w``/``0`` by the constant
    ``n x C`` and has the same optimum, while keeping all costs positive. Nodes are integers so
    the set iteration inside networkx (and therefore tie-breaking) does not depend on string hashing.
``ortools`` (sparse graphs above that size, up to ``ORTOOLS_MAX_EDGES`` = 2,000,000 candidate edges):
    OR-Tools ``SimpleMinCostFlow``: each mentee with an edge supplies one unit, to a candidate mentor
    (cost ``-round(w * SCALE)``) or straight to the sink (cost 0: unmatched); each mentor passes at most
    its capacity to the sink, so there is no slot expansion. Integer costs: the flow is optimal for the
    weights rounded to 1/SCALE (1e-6), so its true total is within ``matched x 1e-6`` of the float
    optimum; scores carry far less precision than that.
``certified`` (above that: large dense rounds, e.g. 20,000 x 5,000 with every allowed pair a candidate,
    ~33 M edges): :func:`certified_assignment`. Min-cost flow on a candidate graph (each mentee's best
    mentors and each mentor's best mentees), the LP dual of its optimum (mentor prices from longest paths
    over the matched structure), and a vectorised check of every other allowed pair against the dual
    (most pairs cleared by a bound, the rest read in row blocks); pairs that violate it join the graph
    until none does. The dual then proves the assignment optimal (weak duality), and is returned with it.
``dense`` (on request, as an independent reference): SciPy ``linear_sum_assignment`` on the zero-filled
    mentees x slots matrix. Forbidden pairs have weight 0; any matching extends to a full rectangular
    assignment with zero edges and vice versa, so the optimum is the same. About 8 bytes x mentees x slots
    (2.6 GiB and 17 s at 20,000 x 5,000, which the certified solver does in about a tenth of the memory and
    time).
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

import networkx as nx
import numpy as np
from networkx.algorithms.bipartite import minimum_weight_full_matching
from scipy.optimize import linear_sum_assignment

NETWORKX_MAX_CELLS = 2_000_000
ORTOOLS_MAX_EDGES = 2_000_000
SCALE = 1_000_000
BACKENDS = ("networkx", "ortools", "dense", "certified")


def max_weight_assignment(
    weights: Mapping[tuple[str, str], float],
    capacities: Mapping[str, int],
    *,
    backend: str | None = None,
) -> list[tuple[str, str]]:
    """Maximum-weight assignment of mentees to mentors within capacities.

    Args:
        weights: (mentee_id, mentor_id) -> weight. Missing pairs are forbidden; non-positive weights
            are never chosen.
        capacities: Mentor id -> how many mentees they can take (missing or < 1: none).
        backend: Force "networkx", "ortools", "dense" or "certified" (default: by size, see the module docstring).

    Returns:
        Sorted (mentee_id, mentor_id) pairs.
    """
    edges = _edges_from_mapping(weights, capacities)
    if edges is None:
        return []
    rows, cols, vals, caps, mentees, mentors = edges
    chosen = _assign_sorted(rows, cols, vals, caps, len(mentees), backend)
    return [(mentees[i], mentors[j]) for i, j in chosen]  # sorted: index order is id order


def _edges_from_mapping(
    weights: Mapping[tuple[str, str], float], capacities: Mapping[str, int]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[str], list[str]] | None:
    """The usable edges as (rows, cols, weights) in (mentee, mentor) order, capacities, and the ids of each index.

    Ids become indices with C-level iteration (map, set, fromiter) and no per-edge Python sort: on 1.3 M edges
    this is a small part of the solve. Indices follow the sorted ids and the edges are put in (mentee, mentor)
    order, so the answer does not depend on the mapping's insertion order. Only mentees and mentors with a
    positive edge to a mentor with capacity keep an index (their numbers choose the backend).
    """
    if not weights:
        return None
    mentee_of = list(map(itemgetter(0), weights))
    mentor_of = list(map(itemgetter(1), weights))
    vals = np.fromiter(weights.values(), dtype=np.float64, count=len(weights))
    mentees, mentors = sorted(set(mentee_of)), sorted(set(mentor_of))
    e_index = {e: i for i, e in enumerate(mentees)}
    m_index = {m: j for j, m in enumerate(mentors)}
    rows = np.fromiter(map(e_index.__getitem__, mentee_of), dtype=np.int64, count=len(vals))
    cols = np.fromiter(map(m_index.__getitem__, mentor_of), dtype=np.int64, count=len(vals))
    caps = np.fromiter((int(capacities.get(m, 0)) for m in mentors), dtype=np.int64, count=len(mentors))
    keep = (vals > 0) & (caps[cols] > 0)
    if not keep.all():
        rows, cols, vals = rows[keep], cols[keep], vals[keep]
    if len(vals) == 0:
        return None
    rows, mentees = _compact(rows, mentees)
    cols, kept = _compact(cols, mentors)
    caps = np.minimum(caps[[m_index[m] for m in kept]], len(mentees))
    order = _edge_order(rows, cols, len(mentees), len(kept))
    return rows[order], cols[order], vals[order], caps, mentees, kept


def _compact(index: np.ndarray, names: list[str]) -> tuple[np.ndarray, list[str]]:
    """Renumber ``index`` to the names it uses, keeping their order."""
    used = np.bincount(index, minlength=len(names)) > 0
    if used.all():
        return index, names
    renumber = np.cumsum(used) - 1
    return renumber[index], [name for name, u in zip(names, used.tolist(), strict=True) if u]


def _edge_order(rows: np.ndarray, cols: np.ndarray, n_rows: int, n_cols: int) -> np.ndarray:
    """The stable (row, col) order of the edges: two radix passes on 16-bit keys when they fit (O(edges))."""
    key = rows * max(n_cols, 1) + cols
    if len(key) < 2 or bool((key[1:] > key[:-1]).all()):  # already in order, as a mentee-by-mentee caller fills it
        return np.arange(len(key))
    if n_rows <= np.iinfo(np.uint16).max and n_cols <= np.iinfo(np.uint16).max:
        by_col = np.argsort(cols.astype(np.uint16), kind="stable")
        return by_col[np.argsort(rows[by_col].astype(np.uint16), kind="stable")]
    return np.lexsort((cols, rows))


def choose_backend(n_mentees: int, n_slots: int, n_edges: int) -> str:
    """The backend used by default for a problem of this size."""
    if n_mentees * (n_slots + n_mentees) <= NETWORKX_MAX_CELLS:
        return "networkx"
    if n_edges <= ORTOOLS_MAX_EDGES:
        return "ortools"
    return "certified"


def assign_edges(
    rows: np.ndarray,
    cols: np.ndarray,
    vals: np.ndarray,
    capacities: np.ndarray,
    n_mentees: int,
    *,
    backend: str | None = None,
) -> list[tuple[int, int]]:
    """Solve from edge arrays (mentee index, mentor index, weight); returns sorted index pairs.

    Args:
        rows: Mentee index per edge.
        cols: Mentor index per edge.
        vals: Weight per edge (non-positive edges are dropped).
        capacities: Capacity per mentor index.
        n_mentees: Number of mentee indices.
        backend: Force a backend (see the module docstring).

    Returns:
        Sorted (mentee index, mentor index) pairs.
    """
    rows, cols, vals = np.asarray(rows), np.asarray(cols), np.asarray(vals, dtype=np.float64)
    capacities = np.minimum(np.maximum(np.asarray(capacities, dtype=np.int64), 0), max(n_mentees, 0))
    keep = (vals > 0) & (capacities[cols] > 0) if len(cols) else np.zeros(0, dtype=bool)
    rows, cols, vals = rows[keep], cols[keep], vals[keep]
    if len(vals) == 0:
        return []
    order = _edge_order(rows, cols, n_mentees, len(capacities))
    return _assign_sorted(rows[order], cols[order], vals[order], capacities, n_mentees, backend)


def _assign_sorted(
    rows: np.ndarray, cols: np.ndarray, vals: np.ndarray, capacities: np.ndarray, n_mentees: int, backend: str | None
) -> list[tuple[int, int]]:
    """Solve positive edges in (row, col) order with capacities clipped to [0, n_mentees]; sorted index pairs."""
    backend = backend or choose_backend(n_mentees, int(capacities.sum()), len(vals))
    if backend == "networkx":
        pairs = _solve_networkx(rows, cols, vals, capacities, n_mentees)
    elif backend == "ortools":
        pairs = _solve_ortools(rows, cols, vals, capacities, n_mentees)
    elif backend == "dense":
        weights = np.zeros((n_mentees, len(capacities)), dtype=np.float64)
        weights[rows, cols] = vals
        pairs = _solve_dense(weights, capacities)
    elif backend == "certified":
        scores = np.zeros((n_mentees, len(capacities)), dtype=np.float32)
        allowed = np.zeros((n_mentees, len(capacities)), dtype=bool)
        scores[rows, cols] = vals
        allowed[rows, cols] = True
        pairs = certified_assignment(scores, allowed, capacities).pairs
    else:
        raise ValueError(f"unknown backend {backend!r}; expected one of {BACKENDS}")
    return sorted(pairs)


def assign_from_matrix(
    scores: np.ndarray,
    allowed: np.ndarray,
    capacities: Sequence[int] | np.ndarray,
    *,
    boost: np.ndarray | None = None,
    backend: str | None = None,
) -> list[tuple[int, int]]:
    """Solve a dense mentees x mentors score matrix exactly.

    Args:
        scores: (mentees x mentors) weights.
        allowed: Same shape, False where the pair is forbidden.
        capacities: Capacity per mentor column.
        boost: Optional per-mentee addition to every allowed edge of that row (fairness priority).
        backend: Force a backend; by default sparse backends are used up to ``ORTOOLS_MAX_EDGES``
            candidate edges and the certified candidate-graph solver above that.

    Returns:
        Sorted (mentee index, mentor index) pairs.
    """
    n, m = scores.shape
    caps = np.minimum(np.maximum(np.asarray(capacities, dtype=np.int64), 0), n)
    n_edges = int(np.count_nonzero(allowed))
    chosen = backend or choose_backend(n, int(caps.sum()), n_edges)
    if chosen == "certified":
        return certified_assignment(scores, allowed, caps, boost=boost).pairs
    if chosen != "dense":
        rows, cols = np.nonzero(allowed)
        vals = scores[rows, cols].astype(np.float64)
        if boost is not None:
            vals += np.asarray(boost, dtype=np.float64)[rows]
        return assign_edges(rows, cols, vals, caps, n, backend=chosen)
    return sorted(_solve_dense_matrix(scores, allowed, caps, boost))


def _solve_networkx(
    rows: np.ndarray, cols: np.ndarray, vals: np.ndarray, caps: np.ndarray, n: int
) -> list[tuple[int, int]]:
    slot_start = np.concatenate(([0], np.cumsum(caps)))
    n_slots = int(slot_start[-1])
    offset = n  # slot nodes n .. n + n_slots - 1, dummies after
    big = float(vals.max()) + 1.0
    graph = nx.Graph()
    graph.add_nodes_from(range(n), bipartite=0)
    graph.add_nodes_from(range(n, n + n_slots + n), bipartite=1)
    edge_list = []
    for i, j, w in zip(rows.tolist(), cols.tolist(), vals.tolist(), strict=True):
        cost = big - w
        for s in range(int(slot_start[j]), int(slot_start[j + 1])):
            edge_list.append((i, offset + s, cost))
    edge_list.extend((i, offset + n_slots + i, big) for i in range(n))
    graph.add_weighted_edges_from(edge_list)
    matching = minimum_weight_full_matching(graph, top_nodes=range(n))
    slot_owner = np.repeat(np.arange(len(caps)), caps)
    pairs = []
    for i in range(n):
        node = matching.get(i)
        if node is not None and offset <= node < offset + n_slots:
            pairs.append((i, int(slot_owner[node - offset])))
    return pairs


def _solve_ortools(
    rows: np.ndarray, cols: np.ndarray, vals: np.ndarray, caps: np.ndarray, n: int
) -> list[tuple[int, int]]:
    mate_row, mate_col, _ = _min_cost_flow(rows, cols, np.rint(vals * SCALE).astype(np.int64), caps, n)
    return list(zip(mate_row.tolist(), mate_col.tolist(), strict=True))


def _solve_dense(weights: np.ndarray, caps: np.ndarray) -> list[tuple[int, int]]:
    return _solve_dense_matrix(weights, weights > 0, caps, None)


def _solve_dense_matrix(
    scores: np.ndarray, allowed: np.ndarray, caps: np.ndarray, boost: np.ndarray | None
) -> list[tuple[int, int]]:
    n, _ = scores.shape
    slot_owner = np.repeat(np.arange(len(caps)), caps)
    n_slots = len(slot_owner)
    if n == 0 or n_slots == 0:
        return []
    boost_arr = None if boost is None else np.asarray(boost, dtype=np.float32)
    # SciPy minimises and wants rows <= columns; build that matrix once, negated, in float64.
    transpose = n > n_slots
    cost = np.empty((n_slots, n) if transpose else (n, n_slots), dtype=np.float64)
    step = max(1, 2_000_000 // max(len(caps), 1))
    for r0 in range(0, n, step):
        r1 = min(n, r0 + step)
        block = np.where(allowed[r0:r1], scores[r0:r1], np.float32(0))
        if boost_arr is not None:
            block = np.where(allowed[r0:r1], block + boost_arr[r0:r1, None], np.float32(0))
        np.maximum(block, 0, out=block)
        if transpose:
            np.negative(block.T[slot_owner], out=cost[:, r0:r1])
        else:
            np.negative(block[:, slot_owner], out=cost[r0:r1])
    first, second = linear_sum_assignment(cost)
    del cost
    if transpose:
        slots, mentees = first, second
    else:
        mentees, slots = first, second
    owners = slot_owner[slots]
    value = np.where(allowed[mentees, owners], scores[mentees, owners], 0)
    if boost_arr is not None:
        value = value + np.where(allowed[mentees, owners], boost_arr[mentees], 0)
    keep = value > 0
    return list(zip(mentees[keep].tolist(), owners[keep].tolist(), strict=True))


# ---------------------------------------------------------------------------------------------- certified


@dataclass
class CertifiedAssignment:
    """An optimal assignment together with the LP dual that proves it.

    Weights are the integers ``W = rint(float32(score + boost) * SCALE)`` (:func:`integer_weights`). The
    certificate: ``mentee_price >= 0``, ``mentor_price >= 0``, ``mentee_price[i] + mentor_price[j] >= W[i, j]`` for
    every allowed pair of a mentor with capacity, and ``primal == dual`` with ``dual = sum(mentee_price) +
    sum(capacity * mentor_price)``. By weak duality no assignment weighs more than ``dual``, so the pairs are
    optimal for ``W``; each ``W`` is within 0.53 / SCALE of its float score.

    Attributes:
        pairs: Sorted (mentee index, mentor index) pairs.
        mentee_price: ``u`` per mentee (int64, units of 1 / SCALE).
        mentor_price: ``v`` per mentor (int64, units of 1 / SCALE).
        primal: Total integer weight of ``pairs``.
        dual: The dual objective (equal to ``primal``).
        iterations: Solves of the candidate graph, each followed by a pricing pass.
        candidate_edges: Edges of the last candidate graph.
        added_edges: Edges that pricing added over all iterations.
        scanned_rows: Rows the last pricing pass read cell by cell (the others were cleared by a bound).
        max_violation: Largest ``W - u - v`` over all allowed pairs in the last pricing pass (exact for
            candidate edges and scanned rows, an upper bound elsewhere): 0 once certified, from a matched pair.
    """

    pairs: list[tuple[int, int]]
    mentee_price: np.ndarray
    mentor_price: np.ndarray
    primal: int
    dual: int
    iterations: int
    candidate_edges: int
    added_edges: int
    scanned_rows: int
    max_violation: int

    @property
    def certified(self) -> bool:
        return self.primal == self.dual and self.max_violation <= 0


# The candidate graph: each mentee's ~ROW_TOP best mentors and each mentor's ~(COL_PER_SLOT x capacity +
# COL_EXTRA) best mentees, by thresholds estimated on samples; pricing then adds, per mentee and iteration, up to
# PRICING_PER_ROW pairs that violate the dual or come within PRICING_MARGIN of it (so that the next dual, which
# moves a little, is less likely to be violated again). On the 20,000 x 5,000 benchmark: two solves.
ROW_TOP = 10
COL_PER_SLOT = 16
KNOWN_ROW_TOP = 30
KNOWN_COL_PER_SLOT = 64
COL_EXTRA = 4
ROW_SAMPLE = 1024
COL_SAMPLE = 512
PRICING_MARGIN = 30_000  # 0.03 in score units
PRICING_PER_ROW = 20
MAX_ITERATIONS = 100
SHRINK_ITERATIONS = 4  # solves that may drop far-from-tight pairs; later ones keep them, which guarantees the end
BLOCK_CELLS = 1_000_000
_NONE = np.int64(-(2**62))


def integer_weights(scores: np.ndarray, boost: np.ndarray | None = None) -> np.ndarray:
    """The integer weights the certified solver optimises: ``rint(float32(scores + boost) * float32(SCALE))``.

    Whole numbers below 2**24, so float32 holds them, and sums of two of them, exactly. Returned as int64.
    """
    w = np.asarray(scores, dtype=np.float32).copy()
    if boost is not None:
        w += np.asarray(boost, dtype=np.float32)[:, None]
    w *= np.float32(SCALE)
    return np.rint(w).astype(np.int64)


def certified_assignment(
    scores: np.ndarray,
    allowed: np.ndarray,
    capacities: Sequence[int] | np.ndarray,
    *,
    boost: np.ndarray | None = None,
    threads: int | None = None,
    row_top: int = ROW_TOP,
    col_per_slot: float = COL_PER_SLOT,
    known_row_top: int = KNOWN_ROW_TOP,
    known_col_per_slot: float = KNOWN_COL_PER_SLOT,
) -> CertifiedAssignment:
    """Exact assignment for a large dense score matrix, proven optimal by an LP dual, without a dense solve.

    1. Candidates: every allowed pair that reaches its row's threshold (about ``ROW_TOP`` per mentee, estimated
       on a sample of columns) or its column's (about ``COL_PER_SLOT`` per slot, estimated on a sample of rows),
       found in row blocks.
    2. Min-cost flow (OR-Tools) on the candidate graph.
    3. The LP dual of that optimum: mentor prices ``v`` are longest-path distances over the mentors, with an
       edge ``mate(i) -> j`` of length ``W[i, j] - W[i, mate(i)]`` for each candidate pair of a matched mentee
       and ``root -> j`` of length ``W[i, j]`` for an unmatched one; ``u[i] = W[i, mate(i)] - v[mate(i)]``
       (0 when unmatched). Complementary slackness holds by construction, so ``primal == dual`` on the graph.
    4. Pricing. Known pairs are checked from their list. A pruned pair lies below both its row's and its
       column's threshold, which clears most rows with one bound per row; the other rows are read cell by cell,
       in row blocks. Pairs that violate ``W <= u + v`` join the graph, with those within ``PRICING_MARGIN`` of
       it, and the flow runs again on the near-tight pairs only (the prices move little; after
       ``SHRINK_ITERATIONS`` solves the graph only grows, so the loop must end), until none violates: then
       ``(u, v)`` is feasible for the whole matrix and the pairs are optimal.

    Args:
        scores: (mentees x mentors) scores (float32).
        allowed: Same shape, False where the pair is forbidden.
        capacities: Capacity per mentor column.
        boost: Optional per-mentee addition to every allowed edge of that row.
        threads: Threads for the block passes (default: up to 2; NumPy releases the GIL).
        row_top: About how many pairs per mentee the first graph has.
        col_per_slot: About how many pairs per unit of a mentor's capacity the first graph has.
        known_row_top: About how many pairs per mentee are kept in the list checked at every iteration (their
            thresholds bound all other pairs).
        known_col_per_slot: The same per unit of a mentor's capacity.

    Returns:
        The pairs and their certificate.
    """
    pricing = _Pricing(scores, allowed, capacities, boost, threads)
    pricing.row_top, pricing.col_per_slot = row_top, col_per_slot
    pricing.known_row_top, pricing.known_col_per_slot = (
        max(known_row_top, row_top),
        max(known_col_per_slot, col_per_slot),
    )
    n, m, caps = pricing.n, pricing.m, pricing.caps
    zeros_n, zeros_m = np.zeros(n, dtype=np.int64), np.zeros(m, dtype=np.int64)
    if n == 0 or m == 0 or not pricing.col_ok.any():
        return CertifiedAssignment([], zeros_n, zeros_m, 0, 0, 0, 0, 0, 0, 0)
    # (rows, cols, wts): every pair known to the solver, sorted by (row, col); the flow runs on the ``active`` ones
    rows, cols, wts, active = pricing.candidates()
    if len(rows) == 0:
        return CertifiedAssignment([], zeros_n, zeros_m, 0, 0, 0, 0, 0, 0, 0)
    added = 0
    for iteration in range(1, MAX_ITERATIONS + 1):
        on = np.flatnonzero(active)
        mate_row, mate_col, primal = _min_cost_flow(rows[on], cols[on], wts[on], caps, n)
        u, v = _dual_prices(rows[on], cols[on], wts[on], mate_row, mate_col, n, m)
        dual = int(u.sum() + (caps * v).sum())
        if dual != primal or (u < 0).any() or (v < 0).any():
            raise RuntimeError(f"no dual certificate for the flow: primal={primal} dual={dual}")
        gap = wts - u[rows] - v[cols]  # <= 0 on the active pairs, by construction
        if iteration < SHRINK_ITERATIONS:
            active = gap > -PRICING_MARGIN  # the next flow runs on the near-tight pairs only
        else:
            active |= gap > -PRICING_MARGIN  # from here the graph only grows: each solve adds a violated pair
        if (gap > 0).any():
            continue
        new_rows, new_cols, new_w, violators, scanned, worst = pricing.scan(u, v)
        if violators == 0:
            pairs = sorted(zip(mate_row.tolist(), mate_col.tolist(), strict=True))
            worst = max(worst, int(gap.max()))
            return CertifiedAssignment(pairs, u, v, primal, dual, iteration, len(on), added, scanned, worst)
        known = rows * m + cols
        key = new_rows * m + new_cols
        at = np.minimum(np.searchsorted(known, key), len(known) - 1)
        seen = known[at] == key
        active[at[seen]] = True
        added += int(np.count_nonzero(~seen))
        rows, cols, wts = (np.concatenate([a, b[~seen]]) for a, b in ((rows, new_rows), (cols, new_cols), (wts, new_w)))
        active = np.concatenate([active, np.ones(int(np.count_nonzero(~seen)), dtype=bool)])
        order = np.lexsort((cols, rows))
        rows, cols, wts, active = rows[order], cols[order], wts[order], active[order]
    raise RuntimeError(f"pricing did not converge in {MAX_ITERATIONS} iterations")


class _Pricing:
    """The block passes over the dense matrix: candidate selection, and the check of pruned pairs against a dual.

    Each pass maps row blocks over a few threads (NumPy releases the GIL), each with its own two scratch buffers.
    """

    def __init__(
        self,
        scores: np.ndarray,
        allowed: np.ndarray,
        capacities: Sequence[int] | np.ndarray,
        boost: np.ndarray | None,
        threads: int | None,
    ) -> None:
        self.scores, self.allowed = np.asarray(scores, dtype=np.float32), np.asarray(allowed, dtype=bool)
        self.n, self.m = self.scores.shape
        self.caps = np.minimum(np.maximum(np.asarray(capacities, dtype=np.int64), 0), self.n)
        self.col_ok = self.caps > 0
        self.boost = None if boost is None else np.asarray(boost, dtype=np.float32)
        # Pricing adds and subtracts three weights: exact in float32 while they stay below 2**24 / 3 (scores up to
        # about 5.5). Larger weights (an odd priority boost, a caller's own scale) are priced in float64.
        largest = float(np.max(self.scores, initial=0.0)) + float(
            np.max(self.boost, initial=0.0) if boost is not None else 0.0
        )
        self.dtype: type = np.float32 if largest * SCALE * 3 < 2**24 else np.float64
        self.block = max(1, min(self.n, BLOCK_CELLS // max(self.m, 1)))
        self.threads = threads if threads is not None else min(2, os.cpu_count() or 1)
        self._local = threading.local()
        self.row_top, self.col_per_slot = ROW_TOP, float(COL_PER_SLOT)
        self.known_row_top, self.known_col_per_slot = KNOWN_ROW_TOP, float(KNOWN_COL_PER_SLOT)

    def _map(self, work: Callable[[np.ndarray], Any], items: list[np.ndarray]) -> list[Any]:
        if self.threads <= 1 or len(items) <= 1:
            return [work(item) for item in items]
        with ThreadPoolExecutor(max_workers=self.threads) as pool:
            return list(pool.map(work, items))

    def weights(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Integer weights of some rows (as :func:`integer_weights`) and which pairs count (allowed, worth >= 1,
        mentor with capacity), in this thread's reused buffers."""
        local = self._local
        if getattr(local, "w", None) is None:
            local.w = np.empty((self.block, self.m), dtype=self.dtype)
            local.valid = np.empty((self.block, self.m), dtype=bool)
        w, valid = local.w[: len(rows)], local.valid[: len(rows)]
        contiguous = len(rows) > 0 and rows[-1] - rows[0] == len(rows) - 1
        picked = slice(rows[0], rows[-1] + 1) if contiguous else rows
        if self.dtype is not np.float32:  # weights too large for exact float32 sums: same integers, held in float64
            w[...] = integer_weights(self.scores[picked], None if self.boost is None else self.boost[picked])
            valid[...] = self.allowed[picked]
        else:
            if contiguous:  # plain copies
                np.copyto(w, self.scores[picked])
                np.copyto(valid, self.allowed[picked])
            else:
                np.take(self.scores, rows, axis=0, out=w)
                np.take(self.allowed, rows, axis=0, out=valid)
            if self.boost is not None:
                w += self.boost[rows][:, None]
            w *= np.float32(SCALE)
            np.rint(w, out=w)
        valid &= w >= 1
        valid &= self.col_ok
        return w, valid

    def _blocks(self, rows: np.ndarray) -> list[np.ndarray]:
        return [rows[i : i + self.block] for i in range(0, len(rows), self.block)]

    def candidates(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The known pairs, sorted by (row, col), and which of them form the first graph.

        Two threshold sets from the same samples: the wide one (``known_row_top``, ``known_col_per_slot``) picks the
        pairs checked from a list at every iteration and bounds the pruned ones; the narrow one picks the first
        graph. Sets ``bound`` and ``row_t`` for :meth:`scan`.
        """
        n, m = self.n, self.m
        sample = np.unique(np.linspace(0, n - 1, min(n, ROW_SAMPLE)).astype(np.int64))
        ranked = np.concatenate(self._map(lambda r: np.where(*self.weights(r)[::-1], 0), self._blocks(sample)))
        ranked = -np.sort(-ranked, axis=0)  # per column, best first

        def col_threshold(per_slot: float) -> np.ndarray:
            want = np.ceil((per_slot * self.caps + COL_EXTRA) * len(sample) / n).astype(np.int64)
            return np.maximum(ranked[np.minimum(want, len(sample)) - 1, np.arange(m)], 1)

        col_t, col_graph = col_threshold(self.known_col_per_slot), col_threshold(self.col_per_slot)
        col_sample = np.arange(0, m, max(1, m // COL_SAMPLE))
        ranks = [math.ceil(top * len(col_sample) / m) for top in (self.known_row_top, self.row_top)]
        row_t = np.ones(n, dtype=self.dtype)

        def select(block: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
            w, valid = self.weights(block)
            row_graph = np.ones(len(block), dtype=self.dtype)
            if min(ranks) < len(col_sample):
                # sort, not partition: NumPy's introselect slows down badly on the many equal weights here
                ranked_cols = np.sort(np.where(valid[:, col_sample], w[:, col_sample], 0), axis=1)
                known, graph = (ranked_cols[:, max(len(col_sample) - r, 0)] for r in ranks)
                row_t[block] = np.maximum(known, 1)
                row_graph = np.maximum(graph, 1)
            chosen = w >= row_t[block, None]
            chosen |= w >= col_t
            chosen &= valid
            flat = np.flatnonzero(chosen)
            local, cols = np.divmod(flat, m)
            wts = w.ravel()[flat]
            in_graph = (wts >= row_graph[local]) | (wts >= col_graph[cols])
            return block[local], cols, wts.astype(np.int64), in_graph

        parts = self._map(select, self._blocks(np.arange(n)))
        self.bound = _PrunedBound(col_t.astype(np.int64), self.col_ok)
        self.row_t = row_t.astype(np.int64)
        rows, cols, wts, in_graph = (np.concatenate(p) for p in zip(*parts, strict=True))
        return rows, cols, wts, in_graph  # already in (row, col) order

    def scan(self, u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, int, int]:
        """Pruned pairs against the dual ``(u, v)``.

        Returns:
            (rows, cols, weights) of the pairs that violate or come within ``PRICING_MARGIN`` (at most
            ``PRICING_PER_ROW`` per row, largest first), how many violate, how many rows were read, and the
            largest ``W - u - v`` seen (or bounded, for rows not read).
        """
        # A row's pruned pairs weigh at most max_j min(t_i, s_j) - 1 - v_j above their mentor's price.
        slack = self.bound.max_pruned(self.row_t, v) - u
        suspect = np.flatnonzero(slack > 0)
        u32, v32 = u.astype(self.dtype), v.astype(self.dtype)

        def check(block: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, int]:
            x, valid = self.weights(block)
            x -= u32[block, None]
            x -= v32
            np.copyto(x, -np.inf, where=~valid)
            row_max = x.max(axis=1)
            near = np.flatnonzero(row_max > -PRICING_MARGIN)
            sub = x[near]
            r_local, c = np.nonzero(sub > -PRICING_MARGIN)
            x_near = sub[r_local, c]
            order = np.lexsort((-x_near, r_local))  # per row, largest first: only these few cells are sorted
            r_local, c, x_near = r_local[order], c[order], x_near[order]
            keep = np.arange(len(r_local)) - np.searchsorted(r_local, r_local) < PRICING_PER_ROW
            r_global = block[near][r_local[keep]]
            c = c[keep]
            w = x_near[keep].astype(np.int64) + u[r_global] + v[c]
            return r_global, c, w, int(np.count_nonzero(sub > 0)), int(row_max.max(initial=-np.inf))

        parts = self._map(check, self._blocks(suspect))
        worst = int(slack[slack <= 0].max(initial=_NONE))
        if not parts:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, empty, 0, 0, worst
        rows, cols, wts = (np.concatenate(p) for p in zip(*[p[:3] for p in parts], strict=True))
        worst = max(worst, max(p[4] for p in parts))
        return rows, cols, wts, sum(p[3] for p in parts), len(suspect), worst


class _PrunedBound:
    """``max_j min(t, s_j) - 1 - v_j`` for many row thresholds ``t``: the most a pruned pair can weigh above its
    mentor's price (pruned pairs lie below both thresholds; weights are whole numbers)."""

    def __init__(self, col_threshold: np.ndarray, col_ok: np.ndarray) -> None:
        self.cols = np.flatnonzero(col_ok)
        self.order = self.cols[np.argsort(col_threshold[self.cols], kind="stable")]
        self.s = col_threshold[self.order]

    def max_pruned(self, t: np.ndarray, v: np.ndarray) -> np.ndarray:
        s, price = self.s, v[self.order]
        # columns [0, k) have s_j < t: their term is s_j - v_j; columns [k, m) have s_j >= t: t - v_j
        below = np.concatenate(([_NONE], np.maximum.accumulate(s - price)))
        above = np.concatenate((np.minimum.accumulate(price[::-1])[::-1], [-_NONE]))
        k = np.searchsorted(s, t, side="left")
        return np.maximum(below[k], t - above[k]) - 1


def _min_cost_flow(
    rows: np.ndarray, cols: np.ndarray, wts: np.ndarray, caps: np.ndarray, n: int
) -> tuple[np.ndarray, np.ndarray, int]:
    """OR-Tools min-cost flow on integer weights; returns the matched rows, their mentors and the total weight.

    Only mentees and mentors with an edge get a node: each mentee supplies one unit, to a mentor (cost ``-W``)
    or straight to the sink (0: unmatched); each mentor passes at most its capacity to the sink.
    """
    from ortools.graph.python import min_cost_flow

    row_ids = np.flatnonzero(np.bincount(rows, minlength=n))
    col_ids = np.flatnonzero(np.bincount(cols, minlength=len(caps)))
    n_rows, n_cols = len(row_ids), len(col_ids)
    sink = n_rows + n_cols
    mentee_nodes = rows if n_rows == n else np.searchsorted(row_ids, rows)
    mentor_nodes = n_rows + (cols if n_cols == len(caps) else np.searchsorted(col_ids, cols))
    local = np.arange(n_rows, dtype=np.int64)
    tails = np.concatenate([mentee_nodes, local, n_rows + np.arange(n_cols)])
    heads = np.concatenate([mentor_nodes, np.full(n_rows, sink), np.full(n_cols, sink)])
    arc_caps = np.concatenate([np.ones(len(rows) + n_rows, dtype=np.int64), caps[col_ids]])
    costs = np.concatenate([-wts, np.zeros(n_rows + n_cols, dtype=np.int64)])
    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(tails, heads, arc_caps, costs)
    flow.set_nodes_supplies(np.append(local, sink), np.append(np.ones(n_rows, dtype=np.int64), -n_rows))
    status = flow.solve()
    if status != flow.OPTIMAL:
        raise RuntimeError(f"min cost flow failed with status {status}")
    used = flow.flows(np.arange(len(rows))) > 0
    return rows[used], cols[used], int(wts[used].sum())


def _dual_prices(
    rows: np.ndarray,
    cols: np.ndarray,
    wts: np.ndarray,
    mate_row: np.ndarray,
    mate_col: np.ndarray,
    n: int,
    m: int,
) -> tuple[np.ndarray, np.ndarray]:
    """The smallest mentor prices ``v`` (and the mentee prices ``u``) that satisfy complementary slackness with the
    optimal matching, by a label-correcting longest-path search that only revisits mentors whose price rose.

    Constraints: ``v_j >= W_ij`` for an unmatched mentee's candidate ``j``, ``v_j >= v_mate + W_ij - W_i,mate``
    for a matched one's, ``v >= 0``. An optimal matching has no positive cycle here, so this ends within ``m``
    rounds; more means the matching was not optimal.
    """
    mate = np.full(n, -1, dtype=np.int64)
    mate[mate_row] = mate_col
    mate_w = np.zeros(n, dtype=np.int64)
    mate_w[mate_row] = wts[np.searchsorted(rows * m + cols, mate_row * m + mate_col)]
    tail = mate[rows]
    matched = tail >= 0
    length = wts - mate_w[rows]  # mate_w is 0 for unmatched mentees
    v = np.zeros(m, dtype=np.int64)
    np.maximum.at(v, cols[~matched], length[~matched])
    keep = matched & (tail != cols)
    tail, head, length = tail[keep], cols[keep], length[keep]
    order = np.argsort(tail, kind="stable")
    tail, head, length = tail[order], head[order], length[order]
    start = np.searchsorted(tail, np.arange(m + 1))
    active = np.unique(tail)
    for _ in range(m + 1):
        if len(active) == 0:
            break
        counts = start[active + 1] - start[active]
        edges = np.repeat(start[active] - np.cumsum(counts) + counts, counts) + np.arange(int(counts.sum()))
        offer = v[tail[edges]] + length[edges]
        better = offer > v[head[edges]]
        if not better.any():
            break
        before = v.copy()
        np.maximum.at(v, head[edges][better], offer[better])
        active = np.flatnonzero(v != before)
    else:
        raise RuntimeError("the matching is not optimal: prices keep rising")
    u = np.zeros(n, dtype=np.int64)
    u[mate_row] = mate_w[mate_row] - v[mate_col]
    return u, v


def effective_capacities(capacities: Sequence[int] | np.ndarray, n_mentees: int, max_share: float | None) -> np.ndarray:
    """Apply the fairness cap: no mentor takes more than ``max(1, ceil(max_share * n_mentees))``."""
    caps = np.asarray(capacities, dtype=np.int64)
    if max_share is None:
        return caps
    cap = max(1, math.ceil(max_share * n_mentees))
    return np.minimum(caps, cap)
