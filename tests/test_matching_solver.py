"""Solver optimality against brute force and an LP, for every backend, plus property tests."""

from __future__ import annotations

import itertools
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from bot.matching import assign_from_matrix, max_weight_assignment
from bot.matching.solver import BACKENDS

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def total(weights, pairs):
    return sum(weights[p] for p in pairs)


def check_valid(weights, capacities, pairs):
    mentees = [e for e, _ in pairs]
    assert len(mentees) == len(set(mentees)), "a mentee matched twice"
    for mentor in {m for _, m in pairs}:
        assert sum(1 for _, m in pairs if m == mentor) <= capacities.get(mentor, 0)
    for pair in pairs:
        assert pair in weights, f"forbidden pair {pair} chosen"
        assert weights[pair] > 0


def brute_force(weights, capacities):
    mentees = sorted({e for e, _ in weights})
    best = 0.0
    options = {e: [None] + [m for (e2, m) in weights if e2 == e and weights[(e2, m)] > 0] for e in mentees}
    for choice in itertools.product(*(options[e] for e in mentees)):
        load: dict[str, int] = {}
        ok = True
        value = 0.0
        for e, m in zip(mentees, choice, strict=True):
            if m is None:
                continue
            load[m] = load.get(m, 0) + 1
            if load[m] > capacities.get(m, 0):
                ok = False
                break
            value += weights[(e, m)]
        if ok:
            best = max(best, value)
    return best


def lp_optimum(weights, capacities):
    """The b-matching LP; bipartite incidence matrices are totally unimodular, so the LP is integral."""
    edges = [k for k, w in weights.items() if w > 0]
    if not edges:
        return 0.0
    mentees = sorted({e for e, _ in edges})
    mentors = sorted({m for _, m in edges})
    a = np.zeros((len(mentees) + len(mentors), len(edges)))
    for k, (e, m) in enumerate(edges):
        a[mentees.index(e), k] = 1
        a[len(mentees) + mentors.index(m), k] = 1
    b = [1] * len(mentees) + [capacities.get(m, 0) for m in mentors]
    res = linprog(-np.array([weights[k] for k in edges]), A_ub=a, b_ub=b, bounds=(0, 1), method="highs")
    assert res.status == 0
    return -res.fun


def random_instance(rng, n_mentees, n_mentors, density, max_cap=5, ties=False):
    weights = {}
    for i in range(n_mentees):
        for j in range(n_mentors):
            if rng.random() < density:
                w = rng.choice([0.25, 0.5, 0.75]) if ties else round(rng.uniform(-0.1, 1.0), 4)
                weights[(f"e{i:03d}", f"m{j:03d}")] = w
    capacities = {f"m{j:03d}": rng.randint(0, max_cap) for j in range(n_mentors)}
    return weights, capacities


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("seed", range(12))
def test_small_instances_match_brute_force(backend, seed):
    rng = random.Random(seed)
    weights, capacities = random_instance(rng, rng.randint(1, 6), rng.randint(1, 4), 0.7, max_cap=2, ties=seed % 3 == 0)
    pairs = max_weight_assignment(weights, capacities, backend=backend)
    check_valid(weights, capacities, pairs)
    assert total(weights, pairs) == pytest.approx(brute_force(weights, capacities), abs=1e-5)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(("n_mentees", "n_mentors", "density"), [(300, 80, 0.5), (400, 150, 0.03), (200, 60, 1.0)])
def test_medium_instances_match_lp(backend, n_mentees, n_mentors, density):
    rng = random.Random(n_mentees + n_mentors)
    weights, capacities = random_instance(rng, n_mentees, n_mentors, density)
    pairs = max_weight_assignment(weights, capacities, backend=backend)
    check_valid(weights, capacities, pairs)
    # OR-Tools works on weights rounded to 1e-6: at most 1e-6 per pair away.
    assert total(weights, pairs) == pytest.approx(lp_optimum(weights, capacities), abs=1e-6 * n_mentees + 1e-9)


def test_default_backend_prefers_unmatched_to_negative_weight():
    weights = {("a", "x"): -0.5, ("b", "x"): 0.0, ("c", "y"): 0.3}
    assert max_weight_assignment(weights, {"x": 3, "y": 1}) == [("c", "y")]


def test_capacity_makes_the_solver_choose_the_better_total_not_the_greedy_best():
    # Greedy takes (a, x)=1.0 and leaves b unmatched (total 1.0); optimal is (a, y) + (b, x) = 1.7.
    weights = {("a", "x"): 1.0, ("a", "y"): 0.8, ("b", "x"): 0.9}
    assert max_weight_assignment(weights, {"x": 1, "y": 1}) == [("a", "y"), ("b", "x")]


@pytest.mark.parametrize("backend", BACKENDS)
def test_matrix_entry_point_agrees_with_lp(backend):
    rng = np.random.default_rng(3)
    scores = rng.random((120, 40)).astype(np.float32)
    allowed = rng.random((120, 40)) < 0.4
    caps = rng.integers(0, 4, size=40)
    pairs = assign_from_matrix(scores, allowed, caps, backend=backend)
    weights = {(f"e{i}", f"m{j}"): float(scores[i, j]) for i, j in zip(*np.nonzero(allowed), strict=True)}
    chosen = {(f"e{i}", f"m{j}") for i, j in pairs}
    check_valid(weights, {f"m{j}": int(c) for j, c in enumerate(caps)}, chosen)
    got = sum(weights[p] for p in chosen)
    assert got == pytest.approx(lp_optimum(weights, {f"m{j}": int(c) for j, c in enumerate(caps)}), abs=1e-4)


def test_matrix_boost_prefers_priority_mentee():
    scores = np.array([[0.6], [0.5]], dtype=np.float32)
    allowed = np.ones((2, 1), dtype=bool)
    assert assign_from_matrix(scores, allowed, [1]) == [(0, 0)]
    assert assign_from_matrix(scores, allowed, [1], boost=np.array([0.0, 0.2], dtype=np.float32)) == [(1, 0)]


def greedy_total(weights, capacities):
    load: dict[str, int] = {}
    used = set()
    value = 0.0
    for (e, m), w in sorted(weights.items(), key=lambda kv: (-kv[1], kv[0])):
        if w <= 0 or e in used or load.get(m, 0) >= capacities.get(m, 0):
            continue
        used.add(e)
        load[m] = load.get(m, 0) + 1
        value += w
    return value


instances = st.integers(min_value=0, max_value=2**31).map(
    lambda seed: random_instance(
        random.Random(seed),
        random.Random(seed).randint(1, 25),
        random.Random(-seed).randint(1, 8),
        0.4,
        ties=seed % 2 == 0,
    )
)


@settings(max_examples=60, deadline=None)
@given(instances, st.sampled_from(BACKENDS))
def test_properties(instance, backend):
    weights, capacities = instance
    pairs = max_weight_assignment(weights, capacities, backend=backend)
    check_valid(weights, capacities, pairs)
    assert total(weights, pairs) >= greedy_total(weights, capacities) - 1e-5
    assert pairs == sorted(pairs)


@settings(max_examples=30, deadline=None)
@given(instances, st.randoms(use_true_random=False))
def test_same_input_same_output_under_insertion_order(instance, rnd):
    weights, capacities = instance
    first = max_weight_assignment(weights, capacities)
    items = list(weights.items())
    rnd.shuffle(items)
    caps = list(capacities.items())
    rnd.shuffle(caps)
    assert max_weight_assignment(dict(items), dict(caps)) == first


# ---------------------------------------------------------------------------------------------- certified solver


def verify_certificate(scores, allowed, caps, result, boost=None):
    """Dense, independent check of a certificate: feasible pairs, feasible dual, equal objectives.

    Returns the largest ``W - u - v`` over the pairs that constrain the dual (0 for a tight certificate).
    """
    weights = scores.astype(np.float32)
    if boost is not None:
        weights = weights + np.asarray(boost, dtype=np.float32)[:, None]
    w = np.rint(weights * np.float32(1e6)).astype(np.int64)
    caps = np.asarray(caps, dtype=np.int64)
    counts = np.zeros(len(caps), dtype=np.int64)
    mentees = set()
    for i, j in result.pairs:
        assert allowed[i, j] and w[i, j] > 0, (i, j)
        assert i not in mentees
        mentees.add(i)
        counts[j] += 1
    assert (counts <= caps).all()
    u, v = result.mentee_price, result.mentor_price
    assert (u >= 0).all() and (v >= 0).all()
    constrains = allowed & (w > 0) & (caps > 0)[None, :]
    slack = np.where(constrains, w - u[:, None] - v[None, :], -(2**62))
    primal = sum(int(w[i, j]) for i, j in result.pairs)
    dual = int(u.sum() + (np.minimum(caps, len(scores)) * v).sum())
    assert primal == result.primal == dual == result.dual
    return int(slack.max(initial=-(2**62)))


def random_matrix(seed, n, m, density=0.5, levels=None, max_cap=3):
    rng = np.random.default_rng(seed)
    if levels:  # few distinct values: many ties, as real scores have
        scores = rng.integers(1, levels + 1, size=(n, m)).astype(np.float32) / levels
    else:
        scores = rng.random((n, m)).astype(np.float32)
    allowed = rng.random((n, m)) < density
    caps = rng.integers(0, max_cap + 1, size=m)
    return scores, allowed, caps


def lp_matrix_optimum(w, allowed, caps):
    rows, cols = np.nonzero(allowed & (w > 0) & (np.asarray(caps) > 0)[None, :])
    if len(rows) == 0:
        return 0
    n, m = w.shape
    a = np.zeros((n + m, len(rows)))
    a[rows, np.arange(len(rows))] = 1
    a[n + cols, np.arange(len(rows))] = 1
    res = linprog(-w[rows, cols].astype(float), A_ub=a, b_ub=[1] * n + list(caps), bounds=(0, 1), method="highs")
    assert res.status == 0
    return round(-res.fun)


@pytest.mark.parametrize(
    ("seed", "n", "m", "density", "levels", "row_top", "col_per_slot"),
    [
        (0, 60, 15, 0.6, None, 10, 16),
        (1, 80, 20, 0.9, None, 1, 0),  # a tiny first graph: pricing must add the missing pairs
        (1, 80, 20, 0.9, 4, 1, 0),  # heavy ties
        (2, 120, 10, 1.0, 3, 1, 0),  # scarce mentors, heavy ties
        (3, 40, 40, 0.3, None, 2, 1),
        (4, 200, 30, 0.5, 5, 3, 0.5),
    ],
)
def test_certified_solver_is_optimal_with_a_verified_certificate(seed, n, m, density, levels, row_top, col_per_slot):
    from bot.matching.solver import certified_assignment

    scores, allowed, caps = random_matrix(seed, n, m, density, levels)
    # The known list no wider than the first graph: pruned pairs must then be found by the pricing scan.
    narrow = {"known_row_top": row_top, "known_col_per_slot": col_per_slot}
    result = certified_assignment(scores, allowed, caps, row_top=row_top, col_per_slot=col_per_slot, **narrow)
    assert verify_certificate(scores, allowed, caps, result) == 0
    assert result.certified and result.max_violation == 0
    w = np.rint(scores * np.float32(1e6)).astype(np.int64)
    assert result.primal == lp_matrix_optimum(w, allowed, caps)
    if (seed, levels) == (1, None):
        assert result.iterations > 1 and result.added_edges > 0, "the tiny first graph should have needed pricing"


def test_certified_solver_with_priority_boost_matches_lp():
    from bot.matching.solver import certified_assignment

    scores, allowed, caps = random_matrix(7, 90, 12, 0.7, 4)
    boost = np.where(np.arange(90) % 5 == 0, 0.1, 0.0).astype(np.float32)
    result = certified_assignment(
        scores, allowed, caps, boost=boost, row_top=1, col_per_slot=0, known_row_top=1, known_col_per_slot=0
    )
    assert verify_certificate(scores, allowed, caps, result, boost=boost) == 0
    w = np.rint((scores + boost[:, None]) * np.float32(1e6)).astype(np.int64)
    assert result.primal == lp_matrix_optimum(w, allowed, caps)


@pytest.mark.parametrize("boost_value", [0.1, 20.0])  # 20: weights past float32's exact range, priced in float64
def test_certified_solver_with_large_weights_stays_exact(boost_value):
    from bot.matching.solver import certified_assignment

    scores, allowed, caps = random_matrix(11, 70, 9, 0.8, None)
    scores = scores * np.float32(3)  # scores need not lie in [0, 1]
    boost = np.where(np.arange(70) % 3 == 0, boost_value, 0.0).astype(np.float32)
    result = certified_assignment(
        scores, allowed, caps, boost=boost, row_top=1, col_per_slot=0, known_row_top=1, known_col_per_slot=0
    )
    assert verify_certificate(scores, allowed, caps, result, boost=boost) == 0
    w = np.rint((scores + boost[:, None]) * np.float32(1e6)).astype(np.int64)
    assert result.primal == lp_matrix_optimum(w, allowed, caps)


def test_certificate_check_rejects_a_lowered_price():
    """The verifier is not vacuous: a dual lowered below a tight pair's weight fails it."""
    from bot.matching.solver import certified_assignment

    scores, allowed, caps = random_matrix(5, 50, 10, 0.8, 4)
    result = certified_assignment(scores, allowed, caps)
    busy = int(np.argmax(result.mentor_price))
    assert result.mentor_price[busy] > 0
    result.mentor_price = result.mentor_price.copy()
    result.mentor_price[busy] -= 1
    with pytest.raises(AssertionError):
        verify_certificate(scores, allowed, caps, result)


def test_certified_solver_edge_cases():
    from bot.matching.solver import certified_assignment

    scores = np.array([[0.5, 0.9], [0.0, 0.4], [0.7, 0.7]], dtype=np.float32)
    allowed = np.array([[True, True], [True, False], [False, False]])
    result = certified_assignment(scores, allowed, [1, 0])  # second mentor has no capacity; zero weights unused
    assert result.pairs == [(0, 0)]
    assert verify_certificate(scores, allowed, [1, 0], result) == 0
    assert certified_assignment(scores, np.zeros_like(allowed), [1, 1]).pairs == []
    assert certified_assignment(np.zeros((0, 3), np.float32), np.zeros((0, 3), bool), [1, 1, 1]).pairs == []


matrices = st.tuples(
    st.integers(0, 2**31), st.integers(1, 40), st.integers(1, 12), st.sampled_from([None, 2, 5]), st.integers(1, 4)
)


@settings(max_examples=40, deadline=None)
@given(matrices)
def test_certified_properties_against_min_cost_flow(spec):
    from bot.matching.solver import certified_assignment

    seed, n, m, levels, row_top = spec
    scores, allowed, caps = random_matrix(seed, n, m, 0.6, levels)
    result = certified_assignment(
        scores, allowed, caps, row_top=row_top, col_per_slot=0.5, known_row_top=2 * row_top, known_col_per_slot=1
    )
    assert verify_certificate(scores, allowed, caps, result) <= 0
    reference = assign_from_matrix(scores, allowed, caps, backend="ortools")
    w = np.rint(scores * np.float32(1e6)).astype(np.int64)
    assert result.primal == sum(int(w[i, j]) for i, j in reference)
    assert result.pairs == sorted(result.pairs)
