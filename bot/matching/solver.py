"""Maximum-weight assignment of mentees to mentors with mentor capacities (bipartite b-matching).

Each mentee gets at most one mentor, each mentor at most ``capacity`` mentees, and the total weight
is maximal. Only positive weights are ever chosen, so a mentee stays unmatched rather than lower the
total. Three exact backends, chosen by size:

``networkx`` (small cohorts: at most ``NETWORKX_MAX_CELLS`` = 2,000,000 cells of the
    mentees x (slots + mentees) matrix networkx builds): the model formulation. Every mentor is
    expanded into one node per unit of capacity ("slots"), every mentee gets a private dummy node
    with weight 0, and ``networkx.algorithms.bipartite.minimum_weight_full_matching`` (top nodes =
    the mentees) finds a matching that covers every mentee. A mentee matched to its dummy is
    unmatched. Costs are ``C - w`` for real edges and ``C`` for dummies with ``C = max(w) + 1``: every
    mentee is matched exactly once, so this differs from costs ``-w``/``0`` by the constant
    ``n x C`` and has the same optimum, while keeping all costs positive. Nodes are integers so
    the set iteration inside networkx (and therefore tie-breaking) does not depend on string hashing.
``ortools`` (sparse graphs above that size, up to ``ORTOOLS_MAX_EDGES`` = 2,000,000 candidate edges;
    measured: 1.3 M edges 0.8 s / 360 MiB, but 8.2 M edges 7.8 s / 1.7 GiB where the dense path
    takes 3.9 s / 0.8 GiB): OR-Tools ``SimpleMinCostFlow`` on source -> mentee
    (capacity 1) -> mentor (capacity 1, cost ``-round(w * SCALE)``) -> sink (capacity = the mentor's
    capacity), plus a cost-0 mentee -> sink bypass for staying unmatched. Capacities sit on the mentor
    arcs, so there is no slot expansion. Integer costs: the flow is optimal for the weights rounded
    to 1/SCALE (1e-6), so its true total is within ``matched x 1e-6`` of the float optimum (each
    rounded weight is within 0.5e-6 of the real one); scores carry far less precision than that.
``dense`` (huge, dense candidate sets, e.g. 20,000 x 5,000 with every pair a candidate, where the
    ~100 M arcs would take tens of GB in min-cost flow): SciPy ``linear_sum_assignment`` on the
    zero-filled mentees x slots matrix. Forbidden pairs have weight 0; any matching extends to a full
    rectangular assignment with zero edges and vice versa, so the optimum is the same. The matrix is
    built directly in the orientation and dtype SciPy uses (float64, rows <= columns, negated) to
    avoid internal copies: about 8 bytes x mentees x slots.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import networkx as nx
import numpy as np
from networkx.algorithms.bipartite import minimum_weight_full_matching
from scipy.optimize import linear_sum_assignment

NETWORKX_MAX_CELLS = 2_000_000
ORTOOLS_MAX_EDGES = 2_000_000
SCALE = 1_000_000
BACKENDS = ("networkx", "ortools", "dense")


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
        backend: Force "networkx", "ortools" or "dense" (default: by size, see the module docstring).

    Returns:
        Sorted (mentee_id, mentor_id) pairs.
    """
    edges = sorted((k, float(w)) for k, w in weights.items() if w > 0 and capacities.get(k[1], 0) > 0)
    if not edges:
        return []
    mentees = sorted({e for (e, _), _ in edges})
    mentors = sorted({m for (_, m), _ in edges})
    e_index = {e: i for i, e in enumerate(mentees)}
    m_index = {m: j for j, m in enumerate(mentors)}
    rows = np.fromiter((e_index[e] for (e, _), _ in edges), dtype=np.int64, count=len(edges))
    cols = np.fromiter((m_index[m] for (_, m), _ in edges), dtype=np.int64, count=len(edges))
    vals = np.fromiter((w for _, w in edges), dtype=np.float64, count=len(edges))
    caps = np.array([min(int(capacities[m]), len(mentees)) for m in mentors], dtype=np.int64)
    chosen = assign_edges(rows, cols, vals, caps, len(mentees), backend=backend)
    return sorted((mentees[i], mentors[j]) for i, j in chosen)


def choose_backend(n_mentees: int, n_slots: int, n_edges: int) -> str:
    """The backend used by default for a problem of this size."""
    if n_mentees * (n_slots + n_mentees) <= NETWORKX_MAX_CELLS:
        return "networkx"
    if n_edges <= ORTOOLS_MAX_EDGES:
        return "ortools"
    return "dense"


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
    order = np.lexsort((cols, rows))
    rows, cols, vals = rows[order], cols[order], vals[order]
    backend = backend or choose_backend(n_mentees, int(capacities.sum()), len(vals))
    if backend == "networkx":
        pairs = _solve_networkx(rows, cols, vals, capacities, n_mentees)
    elif backend == "ortools":
        pairs = _solve_ortools(rows, cols, vals, capacities, n_mentees)
    elif backend == "dense":
        weights = np.zeros((n_mentees, len(capacities)), dtype=np.float64)
        weights[rows, cols] = vals
        pairs = _solve_dense(weights, capacities)
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
            candidate edges and the dense slot matrix above that.

    Returns:
        Sorted (mentee index, mentor index) pairs.
    """
    n, m = scores.shape
    caps = np.minimum(np.maximum(np.asarray(capacities, dtype=np.int64), 0), n)
    n_edges = int(np.count_nonzero(allowed))
    chosen = backend or choose_backend(n, int(caps.sum()), n_edges)
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
    from ortools.graph.python import min_cost_flow

    m = len(caps)
    source, sink = n + m, n + m + 1
    mentee_nodes = np.arange(n, dtype=np.int64)
    mentor_nodes = n + np.arange(m, dtype=np.int64)
    tails = np.concatenate([np.full(n, source), rows, mentee_nodes, mentor_nodes])
    heads = np.concatenate([mentee_nodes, n + cols, np.full(n, sink), np.full(m, sink)])
    arc_caps = np.concatenate([np.ones(n), np.ones(len(rows)), np.ones(n), caps]).astype(np.int64)
    costs = np.concatenate([np.zeros(n), -np.rint(vals * SCALE), np.zeros(n), np.zeros(m)]).astype(np.int64)
    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(tails, heads, arc_caps, costs)
    flow.set_nodes_supplies(np.array([source, sink]), np.array([n, -n]))
    status = flow.solve()
    if status != flow.OPTIMAL:
        raise RuntimeError(f"min cost flow failed with status {status}")
    edge_arcs = np.arange(n, n + len(rows))
    used = flow.flows(edge_arcs) > 0
    return list(zip(rows[used].tolist(), cols[used].tolist(), strict=True))


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


def effective_capacities(capacities: Sequence[int] | np.ndarray, n_mentees: int, max_share: float | None) -> np.ndarray:
    """Apply the fairness cap: no mentor takes more than ``max(1, ceil(max_share * n_mentees))``."""
    caps = np.asarray(capacities, dtype=np.int64)
    if max_share is None:
        return caps
    cap = max(1, math.ceil(max_share * n_mentees))
    return np.minimum(caps, cap)
