"""Learning a pair-scoring model from outcomes, and judging it honestly. Pure: arrays in, model and figures out.

**The model.** Each factor of :mod:`bot.matching.features` gets a piecewise-linear shape between its
knots, written as a sum of ramps (``clip((x - k[j-1]) / (k[j] - k[j-1]), 0, 1)``), so the coefficients are
the shape's increments between knots. An L2-penalised logistic regression (Newton's method) fits all
of them at once: the penalty pulls every increment towards 0, so a factor without evidence stays flat
("didn't matter") instead of fitting noise. The result is additive over named factors
(:class:`bot.matching.model.PairModel`).

**The evaluation.** K-fold cross-validation *grouped by person*: people (not pairs) are dealt into folds,
whole connected groups of people who were paired with each other together where they fit; a pair is
tested in fold k when both its people are in fold k, and trained on when neither is. A pair whose two
people landed in different folds is never tested (it would put one of them on both sides) and is used for
training only in the other folds. Nobody is ever in both train and test. ROC AUC is computed on the
pooled out-of-fold predictions, for the default weights and the learned model on the same pairs, with 95%
intervals from a bootstrap that resamples whole groups of connected people (falling back to resampling
mentees when one group would hold more than a tenth of the pairs), so the interval reflects that pairs
sharing a person are not independent. Everything is deterministic for a seed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

from bot.matching.features import FACTOR_NAMES, FACTORS, default_totals
from bot.matching.model import PairModel, Shape
from bot.matching.scoring import Weights

MIN_OUTCOMES = 200
MIN_PER_CLASS = 30
DEFAULT_FOLDS = 5
DEFAULT_C = 0.3
BOOTSTRAP = 1000


class NotEnoughOutcomes(ValueError):
    """Too few labelled pairs to learn from (the message is one line)."""


def check_enough(outcome: np.ndarray, *, minimum: int = MIN_OUTCOMES, per_class: int = MIN_PER_CLASS) -> str | None:
    """The one-line refusal when there are too few outcomes, else None."""
    good = int(np.sum(outcome == 1))
    poor = int(np.sum(outcome == 0))
    problems = []
    if good + poor < minimum:
        problems.append(f"{good + poor} labelled pairs (need at least {minimum})")
    if good < per_class:
        problems.append(f"{good} good (need at least {per_class})")
    if poor < per_class:
        problems.append(f"{poor} poor (need at least {per_class})")
    if not problems:
        return None
    return "not enough outcomes to learn from: " + ", ".join(problems)


# ---------------------------------------------------------------------- design and fit


def design(values: np.ndarray) -> np.ndarray:
    """Ramp features of every factor (rows x sum of knot intervals)."""
    columns = []
    for k, factor in enumerate(FACTORS):
        x = values[:, k]
        knots = factor.knots
        for a, b in zip(knots, knots[1:], strict=False):
            columns.append(np.clip((x - a) / (b - a), 0.0, 1.0))
    return np.column_stack(columns) if columns else np.zeros((len(values), 0))


def _newton(
    x: np.ndarray, y: np.ndarray, *, c: float, start: np.ndarray | None = None, iterations: int = 50
) -> tuple[np.ndarray, float]:
    """L2-penalised logistic regression by Newton's method (the intercept is not penalised).

    Minimises ``sum(log-loss) + ||coef||^2 / (2 c)`` (scikit-learn's ``C``). The objective is strictly convex,
    so the optimum is unique; a handful of Newton steps (with step halving, never needed in practice) reach
    it to 1e-10, deterministically, in a fraction of the time of a quasi-Newton solver.
    """
    n, p = x.shape
    a = np.hstack([x, np.ones((n, 1))])
    penalty = np.full(p + 1, 1.0 / c)
    penalty[-1] = 0.0
    w = np.zeros(p + 1)
    rate = float(np.clip(y.mean(), 1e-6, 1 - 1e-6))
    w[-1] = np.log(rate / (1 - rate))
    if start is not None:  # the optimum on all pairs is close to each fold's: fewer steps
        w = start.copy()

    def objective(weights: np.ndarray) -> float:
        z = a @ weights
        return float(np.sum(np.logaddexp(0.0, z) - y * z) + 0.5 * np.sum(penalty * weights**2))

    current = objective(w)
    for _ in range(iterations):
        z = a @ w
        prob = 1.0 / (1.0 + np.exp(-z))
        gradient = a.T @ (prob - y) + penalty * w
        hessian = a.T @ (a * (prob * (1 - prob))[:, None]) + np.diag(penalty + 1e-9)
        step = np.linalg.solve(hessian, gradient)
        scale = 1.0
        while True:
            candidate = w - scale * step
            value = objective(candidate)
            if value <= current + 1e-12 or scale < 1e-6:
                break
            scale /= 2
        w, current = candidate, value
        if np.max(np.abs(scale * step)) < 1e-9:
            break
    return w[:-1], float(w[-1])


def coefficients(
    values: np.ndarray, outcome: np.ndarray, *, c: float = DEFAULT_C, start: np.ndarray | None = None
) -> np.ndarray:
    """The fitted ramp coefficients followed by the intercept (see :func:`fit`)."""
    x = design(values)
    y = np.asarray(outcome, dtype=np.float64)
    if len(np.unique(y)) < 2:  # one class only: a flat model at the observed rate
        rate = (y.sum() + 0.5) / (len(y) + 1.0)
        return np.concatenate((np.zeros(x.shape[1]), [np.log(rate / (1 - rate))]))
    coef, intercept = _newton(x, y, c=c, start=start)
    return np.concatenate((coef, [intercept]))


def covariance(values: np.ndarray, weights: np.ndarray, *, c: float = DEFAULT_C) -> np.ndarray:
    """The coefficients' covariance at the optimum: the inverse of the penalised log-likelihood's Hessian."""
    a = np.hstack([design(values), np.ones((len(values), 1))])
    prob = 1.0 / (1.0 + np.exp(-(a @ weights)))
    penalty = np.full(a.shape[1], 1.0 / c)
    penalty[-1] = 0.0
    hessian = a.T @ (a * (prob * (1 - prob))[:, None]) + np.diag(penalty + 1e-9)
    return np.linalg.inv(hessian)


def fit(values: np.ndarray, outcome: np.ndarray, *, c: float = DEFAULT_C, start: np.ndarray | None = None) -> PairModel:
    """Fit the additive model on factor values (rows of :func:`bot.matching.features.batch_values`).

    Args:
        values: Rows x factors.
        outcome: 1 good, 0 poor, per row.
        c: Inverse regularisation strength (as scikit-learn's ``C``: larger fits the data more closely).
        start: Coefficients to start Newton's method from (the same optimum is reached from anywhere).

    Returns:
        A :class:`PairModel` whose shapes are centred on these rows (training and evaluation left empty).
    """
    weights = coefficients(values, outcome, c=c, start=start)
    return model_from(values, weights, covariance(values, weights, c=c))


def model_from(values: np.ndarray, weights: np.ndarray, cov: np.ndarray | None = None) -> PairModel:
    """The :class:`PairModel` of fitted coefficients, its shapes centred on ``values``.

    With the coefficients' covariance, each factor also gets the p-value of a Wald test that its shape is
    flat (all its increments 0, jointly with the factors explaining the same thing): the evidence that it
    mattered at all, whatever its size.
    """
    from scipy.stats import chi2

    coef, intercept = weights[:-1], float(weights[-1])
    # Wald tests that a factor is flat, jointly with the factors that explain the same thing (coverage and
    # overlap of skills; department and industry): those are correlated, and apart each looks weaker than it is
    groups: dict[str, list[int]] = {}
    at = 0
    for factor in FACTORS:
        steps = len(factor.knots) - 1
        groups.setdefault(factor.reason or factor.name, []).extend(range(at, at + steps))
        at += steps
    evidence: dict[str, float] = {}
    if cov is not None:
        for group, columns in groups.items():
            beta = coef[columns]
            wald = float(beta @ np.linalg.solve(cov[np.ix_(columns, columns)], beta))
            evidence[group] = float(chi2.sf(wald, df=len(columns)))
    shapes: dict[str, Shape] = {}
    at = 0
    for k, factor in enumerate(FACTORS):
        steps = len(factor.knots) - 1
        increments = coef[at : at + steps]
        p_value = evidence.get(factor.reason or factor.name, 1.0)
        at += steps
        knot_values = np.concatenate(([0.0], np.cumsum(increments)))
        column = values[:, k]
        mean = float(np.mean(np.interp(column, factor.knots, knot_values))) if len(column) else 0.0
        intercept += mean
        lo, hi = np.quantile(column, [0.02, 0.98]) if len(column) else (0.0, 0.0)
        shape = Shape(factor.name, factor.knots, tuple(float(v - mean) for v in knot_values), (float(lo), float(hi)))
        grid = np.linspace(lo, hi, 41)
        curve = shape(grid)
        shapes[factor.name] = Shape(
            factor.name,
            shape.knots,
            shape.values,
            shape.observed,
            float(curve.max() - curve.min()) if hi > lo else 0.0,
            p_value,
        )
    return PairModel(intercept=intercept, shapes=shapes)


# ---------------------------------------------------------------------- grouping by person


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, a: str) -> str:
        self.parent.setdefault(a, a)
        root = a
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[a] != root:
            self.parent[a], a = root, self.parent[a]
        return root

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def components(mentee_keys: Sequence[str], mentor_keys: Sequence[str]) -> np.ndarray:
    """The connected group (of people paired with each other) each row belongs to, numbered 0..g-1."""
    uf = _UnionFind()
    for a, b in zip(mentee_keys, mentor_keys, strict=True):
        uf.union(a, b)
    labels: dict[str, int] = {}
    return np.fromiter((labels.setdefault(uf.find(a), len(labels)) for a in mentee_keys), np.int64, len(mentee_keys))


@dataclass(frozen=True)
class Folds:
    """Row folds with nobody in both train and test.

    Attributes:
        fold: Per row, the fold that tests it, or -1 when its two people are in different folds.
        person_fold: Person key -> fold.
        k: Number of folds.
        mentee_fold: Per row, the mentee's fold.
        mentor_fold: Per row, the mentor's fold.
    """

    fold: np.ndarray
    person_fold: dict[str, int]
    k: int
    mentee_fold: np.ndarray
    mentor_fold: np.ndarray

    def split(self, f: int) -> tuple[np.ndarray, np.ndarray]:
        """(train rows, test rows) of fold ``f``."""
        test = np.flatnonzero(self.fold == f)
        train = np.flatnonzero((self.mentee_fold != f) & (self.mentor_fold != f))
        return train, test


def person_folds(mentee_keys: Sequence[str], mentor_keys: Sequence[str], *, k: int, seed: int) -> Folds:
    """Deal people into ``k`` folds, keeping connected groups together where they fit.

    Groups are dealt largest first (ties in a seeded random order) to the fold with the fewest pairs. A
    group larger than half a fold's share is split: its people are walked breadth-first from a seeded
    start and cut into consecutive runs, which keeps most of its pairs inside one fold.
    """
    n = len(mentee_keys)
    rng = np.random.default_rng(seed)
    group = components(mentee_keys, mentor_keys)
    n_groups = int(group.max()) + 1 if n else 0
    rows_of = [[] for _ in range(n_groups)]
    for row, g in enumerate(group):
        rows_of[int(g)].append(row)
    load = np.zeros(k, dtype=np.int64)
    person_fold: dict[str, int] = {}
    limit = max(1, n // (2 * k))
    order = rng.permutation(n_groups)
    order = sorted(order, key=lambda g: -len(rows_of[g]))
    for g in order:
        rows = rows_of[g]
        if len(rows) <= limit:
            f = int(np.argmin(load))
            for r in rows:
                person_fold[mentee_keys[r]] = f
                person_fold[mentor_keys[r]] = f
            load[f] += len(rows)
            continue
        neighbours: dict[str, list[str]] = {}
        for r in rows:
            neighbours.setdefault(mentee_keys[r], []).append(mentor_keys[r])
            neighbours.setdefault(mentor_keys[r], []).append(mentee_keys[r])
        people = sorted(neighbours)
        start = people[int(rng.integers(len(people)))]
        seen = {start}
        walk = [start]
        i = 0
        while i < len(walk):
            for other in sorted(neighbours[walk[i]]):
                if other not in seen:
                    seen.add(other)
                    walk.append(other)
            i += 1
        degree = sum(len(v) for v in neighbours.values())
        share = degree / k
        done = 0.0
        for person in walk:
            f = min(k - 1, int(done // share)) if share else 0
            person_fold[person] = f
            done += len(neighbours[person])
        for r in rows:
            load[person_fold[mentee_keys[r]]] += 1
    mentee_fold = np.fromiter((person_fold[a] for a in mentee_keys), np.int64, n)
    mentor_fold = np.fromiter((person_fold[b] for b in mentor_keys), np.int64, n)
    fold = np.where(mentee_fold == mentor_fold, mentee_fold, -1)
    return Folds(fold, person_fold, k, mentee_fold, mentor_fold)


# ---------------------------------------------------------------------- AUC with intervals


def weighted_auc(scores: np.ndarray, outcome: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """ROC AUC (ties count half) for each row of ``weights`` (resamples x pairs), from one sort."""
    order = np.argsort(scores, kind="mergesort")
    s = scores[order]
    y = outcome[order].astype(np.float64)
    w = np.atleast_2d(weights)[:, order]
    starts = np.flatnonzero(np.concatenate(([True], s[1:] != s[:-1])))
    pos = np.add.reduceat(w * y, starts, axis=1)
    neg = np.add.reduceat(w * (1.0 - y), starts, axis=1)
    below = np.cumsum(neg, axis=1) - neg
    num = (pos * (below + 0.5 * neg)).sum(axis=1)
    den = pos.sum(axis=1) * neg.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def auc(scores: np.ndarray, outcome: np.ndarray) -> float:
    """Plain ROC AUC (ties count half)."""
    return float(weighted_auc(np.asarray(scores, dtype=np.float64), np.asarray(outcome), np.ones((1, len(scores))))[0])


@dataclass(frozen=True)
class Interval:
    """A point estimate with its 95% bootstrap interval."""

    value: float
    low: float
    high: float

    def to_json(self) -> dict[str, float]:
        return {"auc": round(self.value, 4), "low": round(self.low, 4), "high": round(self.high, 4)}

    def text(self, signed: bool = False) -> str:
        value = f"{self.value:+.3f}" if signed else f"{self.value:.3f}"
        return f"{value} (95% CI {self.low:.3f} to {self.high:.3f})"


def _tie_tables(
    score: np.ndarray, outcome: np.ndarray, cluster: np.ndarray, g: int
) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """Good and poor counts per (tie group of ``score``, ascending; cluster)."""
    _, group = np.unique(score, return_inverse=True)
    shape = (int(group.max()) + 1 if len(group) else 0, g)
    y = np.asarray(outcome, dtype=np.float32)
    return (
        sp.csr_matrix((y, (group, cluster)), shape=shape),
        sp.csr_matrix((1.0 - y, (group, cluster)), shape=shape),
    )


def cluster_auc(tables: tuple[sp.csr_matrix, sp.csr_matrix], counts: np.ndarray) -> np.ndarray:
    """ROC AUC for each row of ``counts`` (resamples x clusters: how often each cluster was drawn)."""
    pos_table, neg_table = tables
    weights = np.asarray(counts, dtype=np.float32)
    pos = np.ascontiguousarray((pos_table @ weights.T).T)  # resamples x tie groups (ascending score)
    neg = np.ascontiguousarray((neg_table @ weights.T).T)
    below = np.cumsum(neg, axis=1)  # whole numbers below 2**24: exact in float32
    below -= 0.5 * neg
    num = np.einsum("ij,ij->i", pos, below, dtype=np.float64)
    den = pos.sum(axis=1, dtype=np.float64) * neg.sum(axis=1, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def bootstrap_intervals(
    scores: Sequence[np.ndarray], outcome: np.ndarray, clusters: np.ndarray, *, seed: int, resamples: int = BOOTSTRAP
) -> list[np.ndarray]:
    """AUC of each score vector on ``resamples`` cluster-bootstrap resamples (paired: the same resamples).

    A resample draws clusters with replacement; a pair's weight is how often its cluster was drawn. For each
    score the good and poor weight of every (tie group, cluster) is one sparse matrix, so all resamples'
    per-tie-group weights are one sparse x dense product, without a weight per pair and resample.
    """
    rng = np.random.default_rng(seed)
    _, cluster = np.unique(clusters, return_inverse=True)
    g = int(cluster.max()) + 1 if len(cluster) else 0
    tables = [_tie_tables(s, outcome, cluster, g) for s in scores]
    out: list[list[np.ndarray]] = [[] for _ in scores]
    for start in range(0, resamples, 100):
        batch = min(100, resamples - start)
        draws = rng.integers(0, g, size=(batch, g))  # each resample draws g clusters with replacement
        counts = np.bincount((np.arange(batch)[:, None] * g + draws).ravel(), minlength=batch * g).reshape(batch, g)
        for i, table in enumerate(tables):
            out[i].append(cluster_auc(table, counts))
    return [np.concatenate(parts) if parts else np.empty(0) for parts in out]


def _interval(point: float, samples: np.ndarray) -> Interval:
    finite = samples[np.isfinite(samples)]
    if not len(finite):
        return Interval(point, float("nan"), float("nan"))
    low, high = np.quantile(finite, [0.025, 0.975])
    return Interval(point, float(low), float(high))


@dataclass
class Evaluation:
    """Cross-validated comparison of the default weights and the learned model on the same pairs."""

    default: Interval
    model: Interval
    difference: Interval
    folds: int
    tested: int
    train_only: int
    fold_auc: list[tuple[float, float]] = field(default_factory=list)
    bootstrap_unit: str = "connected groups of people"

    def to_json(self) -> dict[str, object]:
        return {
            "default": self.default.to_json(),
            "model": self.model.to_json(),
            "difference": self.difference.to_json(),
            "folds": self.folds,
            "tested": self.tested,
            "train_only": self.train_only,
            "grouped_by": "person",
            "bootstrap_unit": self.bootstrap_unit,
        }


def cross_validate(
    values: np.ndarray,
    outcome: np.ndarray,
    mentee_keys: Sequence[str],
    mentor_keys: Sequence[str],
    *,
    weights: Weights | None = None,
    folds: int = DEFAULT_FOLDS,
    seed: int = 0,
    c: float = DEFAULT_C,
    resamples: int = BOOTSTRAP,
    start: np.ndarray | None = None,
) -> Evaluation:
    """Grouped K-fold evaluation of the default weights and of the learned model (see the module docstring).

    ``start`` (the coefficients fitted on every pair) only speeds up each fold's fit: the optimum is unique.
    """
    y = np.asarray(outcome, dtype=np.int64)
    split = person_folds(mentee_keys, mentor_keys, k=folds, seed=seed)
    predicted = np.full(len(y), np.nan)
    fold_auc = []
    baseline = default_totals(values, weights or Weights())
    for f in range(folds):
        train, test = split.split(f)
        if not len(test):
            continue
        model = model_from(values[train], coefficients(values[train], y[train], c=c, start=start))
        predicted[test] = model.predict(values[test])
        fold_auc.append((auc(baseline[test], y[test]), auc(predicted[test], y[test])))
    tested = np.flatnonzero(np.isfinite(predicted))
    yt = y[tested]
    learned, default = predicted[tested], baseline[tested]
    e_keys = [mentee_keys[i] for i in tested]
    m_keys = [mentor_keys[i] for i in tested]
    clusters = components(e_keys, m_keys)
    unit = "connected groups of people"
    if len(clusters) and np.bincount(clusters).max() > max(10, len(clusters) // 10):
        _, clusters = np.unique(np.asarray(e_keys), return_inverse=True)
        unit = "mentees"
    boot_default, boot_model = bootstrap_intervals([default, learned], yt, clusters, seed=seed + 1, resamples=resamples)
    point_default, point_model = auc(default, yt), auc(learned, yt)
    return Evaluation(
        default=_interval(point_default, boot_default),
        model=_interval(point_model, boot_model),
        difference=_interval(point_model - point_default, boot_model - boot_default),
        folds=folds,
        tested=len(tested),
        train_only=int(len(y) - len(tested)),
        fold_auc=fold_auc,
        bootstrap_unit=unit,
    )


def learn(
    values: np.ndarray,
    outcome: np.ndarray,
    mentee_keys: Sequence[str],
    mentor_keys: Sequence[str],
    *,
    weights: Weights | None = None,
    folds: int = DEFAULT_FOLDS,
    seed: int = 0,
    c: float = DEFAULT_C,
    resamples: int = BOOTSTRAP,
    now: datetime | None = None,
    minimum: tuple[int, int] = (MIN_OUTCOMES, MIN_PER_CLASS),
) -> tuple[PairModel, Evaluation]:
    """Evaluate by grouped cross-validation, then fit on every pair.

    Raises:
        NotEnoughOutcomes: Fewer than 200 labelled pairs or 30 of either class.
    """
    y = np.asarray(outcome, dtype=np.int64)
    if (refusal := check_enough(y, minimum=minimum[0], per_class=minimum[1])) is not None:
        raise NotEnoughOutcomes(refusal)
    # Skinny products (pairs x ~45 columns): one BLAS thread is as fast, and never spins against a busy machine.
    with threadpool_limits(limits=1, user_api="blas"):
        full = coefficients(values, y, c=c)
        evaluation = cross_validate(
            values,
            y,
            mentee_keys,
            mentor_keys,
            weights=weights,
            folds=folds,
            seed=seed,
            c=c,
            resamples=resamples,
            start=full,
        )
    model = model_from(values, full, covariance(values, full, c=c))
    created = (now or datetime.now(UTC)).isoformat(timespec="seconds")
    model = PairModel(
        intercept=model.intercept,
        shapes=model.shapes,
        training={
            "outcomes": len(y),
            "good": int(y.sum()),
            "poor": int(len(y) - y.sum()),
            "seed": seed,
            "regularisation_c": c,
            "factors": list(FACTOR_NAMES),
        },
        evaluation=evaluation.to_json(),
        created_at=created,
    )
    return model, evaluation
