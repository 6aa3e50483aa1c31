"""A learned pair-scoring model: additive over named factors, so every score keeps its reasons.

``log-odds(good outcome) = intercept + sum over factors f of shape_f(value_f)``

Each shape is piecewise linear between the factor's knots (clamped outside) and centred on the pairs it
was trained on, so a factor's contribution says how much it moved this pair away from an average one.
The pair's score is the predicted probability of a good outcome; the solver maximises the sum of those
probabilities, that is the expected number of pairs that go well. The hard constraints and the exact
solver are the same as with the default weights; so is the reason text of each factor.

The model file (``model.json``)::

    {"format": "mentorbot.pair-model", "version": 1, "created_at": "...", "intercept": -0.1,
     "factors": [{"name": "skills", "label": "...", "kind": "share", "knots": [0, 0.25, ...],
                  "values": [-0.8, ...], "observed": [0.0, 1.0], "importance": 1.6}, ...],
     "training": {...}, "evaluation": {...}}

``values`` are the shape's log-odds at each knot; ``observed`` is the 2nd-98th percentile range of the
factor in the training pairs; ``importance`` is how far the shape moves the log-odds across that range;
``p_value`` is a Wald test of "this factor's shape is flat" (above 0.05 its effect is reported as uncertain).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import scipy.sparse as sp

from bot.matching.availability import pattern_hours_table, pattern_key, week_monday
from bot.matching.features import BY_NAME, FACTOR_NAMES, FACTORS, batch_values, quantise
from bot.matching.scoring import Score, explain_factors, format_value, goal_coverage, style_value, tags
from bot.profiles import SENIORITY_RANK, Profile
from bot.taxonomy import Taxonomy, default_taxonomy

MODEL_FORMAT = "mentorbot.pair-model"
MODEL_VERSION = 1
STRONG, MODERATE, SLIGHT = 1.0, 0.4, 0.15  # log-odds moved across the observed range
EVIDENCE = 0.05  # a shape that could be flat at this level is reported as uncertain


class ModelFileError(ValueError):
    """A model file that cannot be used (one readable line)."""


@dataclass(frozen=True)
class Shape:
    """One factor's learned effect: log-odds at each knot, linear in between, flat outside."""

    factor: str
    knots: tuple[float, ...]
    values: tuple[float, ...]
    observed: tuple[float, float] = (0.0, 0.0)
    importance: float = 0.0
    p_value: float = 0.0  # evidence the shape is not flat (Wald test); 0 when unknown

    def __call__(self, x: np.ndarray | float) -> np.ndarray:
        return np.interp(np.asarray(x, dtype=np.float64), self.knots, self.values)


@dataclass(frozen=True)
class FactorEffect:
    """A factor's learned effect in words, for coordinators."""

    factor: str
    label: str
    strength: str  # strong | moderate | slight | none
    sentence: str
    importance: float
    odds_ratio: float


def _fmt(kind: str, x: float) -> str:
    if kind == "share":
        return f"{x:.0%}"
    if kind == "hours":
        return f"{round(x * 2) / 2:g} h/week"
    if kind == "levels":
        return f"{int(x):+d} levels"
    return f"{int(x)}"


@dataclass(frozen=True)
class PairModel:
    """A learned, additive pair-scoring model (see the module docstring).

    Attributes:
        intercept: Log-odds of a good outcome for a pair whose every contribution is 0 (an average pair).
        shapes: Factor name -> shape; a factor missing here contributes nothing.
        training: What it was trained on (counts, seed, regularisation).
        evaluation: Cross-validated AUCs of the default weights and of the model, with 95% intervals.
        created_at: ISO timestamp.
    """

    intercept: float
    shapes: dict[str, Shape]
    training: dict[str, Any] = field(default_factory=dict)
    evaluation: dict[str, Any] = field(default_factory=dict)
    created_at: str = ""

    # ------------------------------------------------------------------ evaluation on factor values

    def contributions(self, values: np.ndarray) -> np.ndarray:
        """Per-factor log-odds contributions for rows of :func:`bot.matching.features.batch_values`."""
        out = np.zeros(values.shape, dtype=np.float64)
        for k, name in enumerate(FACTOR_NAMES):
            shape = self.shapes.get(name)
            if shape is not None:
                out[:, k] = shape(values[:, k])
        return out

    def predict(self, values: np.ndarray) -> np.ndarray:
        """Probability of a good outcome for rows of factor values."""
        z = self.intercept + self.contributions(values).sum(axis=1)
        return 1.0 / (1.0 + np.exp(-z))

    # ------------------------------------------------------------------ one pair, with reasons

    def score_pair(self, mentee: Profile, mentor: Profile, *, week_of: date, taxonomy: Taxonomy | None = None) -> Score:
        """The pair's probability of a good outcome, each factor's log-odds contribution, and up to 3 reasons.

        Reasons are the default scorer's texts for the factors that raise this pair's score most, marked
        "(strong in this program)" when the factor is one of the model's strongest.
        """
        taxonomy = taxonomy or default_taxonomy()
        values = batch_values([mentee], [mentor], week_of=week_of, taxonomy=taxonomy)
        parts = self.contributions(values)[0]
        z = self.intercept + float(parts.sum())
        total = 1.0 / (1.0 + math.exp(-z))
        factors = {name: float(parts[k]) for k, name in enumerate(FACTOR_NAMES) if name in self.shapes}
        _, texts, _ = explain_factors(mentee, mentor, week_of=week_of, taxonomy=taxonomy)
        by_reason: dict[str, float] = {}
        for name, contribution in factors.items():
            reason = BY_NAME[name].reason
            if reason and reason in texts:
                by_reason[reason] = by_reason.get(reason, 0.0) + contribution
        strong = self.strong_reasons()
        ranked = sorted((r for r, c in by_reason.items() if c > 0), key=lambda r: -by_reason[r])[:3]
        reasons = [{**texts[r], "strong": True} if r in strong else texts[r] for r in ranked]
        return Score(total=total, factors=factors, reasons=reasons)

    def strong_reasons(self) -> set[str]:
        """Reason keys of the factors that matter most in this program (top three, at least moderate)."""
        ranked = sorted(self.shapes.values(), key=lambda s: -s.importance)
        return {
            BY_NAME[s.factor].reason
            for s in ranked[:3]
            if s.importance >= MODERATE and s.p_value <= EVIDENCE and BY_NAME[s.factor].reason
        }

    # ------------------------------------------------------------------ words

    def effects(self) -> list[FactorEffect]:
        """Every factor's learned effect in words, strongest first."""
        out = []
        for factor in FACTORS:
            shape = self.shapes.get(factor.name)
            if shape is None:
                continue
            lo, hi = shape.observed
            if hi <= lo:
                out.append(
                    FactorEffect(
                        factor.name,
                        factor.label,
                        "none",
                        f"{factor.label}: the same for almost every past pair, so its effect is unknown",
                        0.0,
                        1.0,
                    )
                )
                continue
            grid = np.linspace(lo, hi, 41)
            curve = shape(grid)
            spread = float(curve.max() - curve.min())
            delta = float(shape(hi) - shape(lo))
            ratio = math.exp(delta)
            strength = (
                "strong"
                if spread >= STRONG
                else "moderate"
                if spread >= MODERATE
                else "slight"
                if spread >= SLIGHT
                else "none"
            )
            if strength == "none":
                sentence = f"{factor.label}: didn't matter in past pairs"
            elif abs(delta) >= 0.5 * spread:
                better = "more is better" if delta > 0 else "less is better"
                if factor.kind == "binary":
                    better = "helps" if delta > 0 else "hurts"
                    sentence = (
                        f"{factor.label}: {strength}, {better}: such pairs had {ratio:.1f}x the odds of going well"
                    )
                else:
                    sentence = (
                        f"{factor.label}: {strength}, {better}: pairs at {_fmt(factor.kind, hi)} had "
                        f"{ratio:.1f}x the odds of going well of pairs at {_fmt(factor.kind, lo)}"
                    )
            else:
                best = float(grid[int(np.argmax(curve))])
                sentence = f"{factor.label}: {strength}, best around {_fmt(factor.kind, best)}"
            if strength != "none" and shape.p_value > EVIDENCE:
                sentence += " (uncertain: these pairs cannot rule out no effect)"
            out.append(FactorEffect(factor.name, factor.label, strength, sentence, spread, ratio))
        out.sort(key=lambda e: -e.importance)
        return out

    # ------------------------------------------------------------------ a whole cohort, vectorised

    def prepare(
        self, mentees: Sequence[Profile], mentors: Sequence[Profile], *, week_of: date, taxonomy: Taxonomy | None = None
    ) -> PreparedModel:
        """Tables for scoring every mentee against every mentor in row blocks (see :class:`PreparedModel`)."""
        return PreparedModel(
            self, list(mentees), list(mentors), week_of=week_of, taxonomy=taxonomy or default_taxonomy()
        )

    # ------------------------------------------------------------------ file format

    def to_json(self) -> dict[str, Any]:
        """The model file's content."""
        return {
            "format": MODEL_FORMAT,
            "version": MODEL_VERSION,
            "created_at": self.created_at,
            "intercept": self.intercept,
            "factors": [
                {
                    "name": s.factor,
                    "label": BY_NAME[s.factor].label,
                    "kind": BY_NAME[s.factor].kind,
                    "knots": list(s.knots),
                    "values": [round(v, 6) for v in s.values],
                    "observed": list(s.observed),
                    "importance": round(s.importance, 6),
                    "p_value": float(f"{s.p_value:.4g}"),
                }
                for s in self.shapes.values()
            ],
            "training": self.training,
            "evaluation": self.evaluation,
        }

    def dumps(self) -> str:
        return json.dumps(self.to_json(), indent=2, sort_keys=False)

    @classmethod
    def from_json(cls, data: Any) -> PairModel:
        """Read a model file's content; raises :class:`ModelFileError` with one readable line."""
        if not isinstance(data, dict) or data.get("format") != MODEL_FORMAT:
            raise ModelFileError("not a mentorbot model file (expected format mentorbot.pair-model)")
        if data.get("version") != MODEL_VERSION:
            raise ModelFileError(f"model file version {data.get('version')!r} is not supported (expected 1)")
        try:
            intercept = float(data["intercept"])
            shapes: dict[str, Shape] = {}
            for item in data.get("factors") or []:
                name = str(item["name"])
                if name not in BY_NAME:
                    raise ModelFileError(f"unknown factor {name!r} (made by a newer mentorbot?)")
                knots = tuple(float(k) for k in item["knots"])
                values = tuple(float(v) for v in item["values"])
                if (
                    len(knots) != len(values)
                    or len(knots) < 1
                    or any(b <= a for a, b in zip(knots, knots[1:], strict=False))
                ):
                    raise ModelFileError(f"factor {name!r}: knots must increase and match the values")
                observed = tuple(float(v) for v in item.get("observed") or (knots[0], knots[-1]))
                shapes[name] = Shape(
                    name,
                    knots,
                    values,
                    (observed[0], observed[1]),
                    float(item.get("importance", 0)),
                    float(item.get("p_value", 0)),
                )
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            if isinstance(exc, ModelFileError):
                raise
            raise ModelFileError(f"malformed model file: {exc}") from None
        if not all(math.isfinite(v) for s in shapes.values() for v in s.values) or not math.isfinite(intercept):
            raise ModelFileError("malformed model file: values must be finite numbers")
        ordered = {name: shapes[name] for name in FACTOR_NAMES if name in shapes}
        return cls(
            intercept=intercept,
            shapes=ordered,
            training=dict(data.get("training") or {}),
            evaluation=dict(data.get("evaluation") or {}),
            created_at=str(data.get("created_at") or ""),
        )

    @classmethod
    def loads(cls, text: str) -> PairModel:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ModelFileError(f"model file is not JSON: {exc}") from None
        return cls.from_json(data)


class PreparedModel:
    """A model's lookup tables for one cohort: totals for any block of mentee rows, without a Python loop per pair.

    Counts of shared skills and shared interests are one sparse x dense product each, and their shapes are
    read from a (topics listed, shared) table; goals and languages are tabulated once per distinct (goals,
    languages) of a mentee x mentor, so a block copies rows; seniority, style and format are tabulated over
    the distinct combinations, shared hours over the distinct availability patterns; same department and
    industry are code comparisons; the mentor's topic count is a column term. Everything is float32.
    """

    def __init__(
        self, model: PairModel, mentees: list[Profile], mentors: list[Profile], *, week_of: date, taxonomy: Taxonomy
    ) -> None:
        def shape(name: str) -> Any:
            found = model.shapes.get(name)
            return found if found is not None else (lambda x: np.zeros_like(np.asarray(x, dtype=np.float64)))

        self.m = len(mentors)
        base = model.intercept + float(shape("department")(0.0)) + float(shape("industry")(0.0))

        # skills: (listed, shared) table; interests likewise
        def indicator(
            mentee_tags: list[tuple[str, ...]], mentor_tags: list[set[str]]
        ) -> tuple[Any, np.ndarray, np.ndarray]:
            vocab: dict[str, int] = {}
            rows, cols = [], []
            lengths = np.zeros(len(mentee_tags), dtype=np.int32)
            for i, items in enumerate(mentee_tags):
                lengths[i] = len(items)
                for t in items:
                    rows.append(i)
                    cols.append(vocab.setdefault(t, len(vocab)))
            left = sp.csr_matrix(
                (np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(len(mentee_tags), max(len(vocab), 1))
            )
            right = np.zeros((max(len(vocab), 1), len(mentor_tags)), dtype=np.float32)
            for j, items in enumerate(mentor_tags):
                for t in items:
                    if (c := vocab.get(t)) is not None:
                        right[c, j] = 1.0
            return left, right, lengths

        self.skill_left, self.skill_right, want_len = indicator(
            [tuple(tags(p.skills_wanted)) for p in mentees], [set(p.skills_offered) for p in mentors]
        )
        self.skill_width = int(want_len.max(initial=0)) + 1
        listed = np.arange(self.skill_width)
        shared = np.arange(self.skill_width)
        ratio = np.divide(
            shared[None, :],
            listed[:, None],
            out=np.zeros((self.skill_width, self.skill_width)),
            where=listed[:, None] > 0,
        )
        table = (
            shape("skills")(quantise("share", ratio))
            + shape("skills_shared")(shared[None, :].astype(np.float64))
            + shape("mentee_topics")(listed[:, None].astype(np.float64))
        )
        self.skill_table = table.astype(np.float32).ravel()
        self.skill_offset = (want_len * self.skill_width).astype(np.int32)

        self.int_left, self.int_right, int_len = indicator(
            [tuple(tags(p.interests)) for p in mentees], [set(p.interests) for p in mentors]
        )
        self.int_width = int(int_len.max(initial=0)) + 1
        listed = np.arange(self.int_width)
        ratio = np.divide(
            listed[None, :], listed[:, None], out=np.zeros((self.int_width, self.int_width)), where=listed[:, None] > 0
        )
        self.int_table = shape("interests")(quantise("share", ratio)).astype(np.float32).ravel()
        self.int_offset = (int_len * self.int_width).astype(np.int32)

        # goals and language depend on the mentee only through (goals, languages), which few combinations
        # cover: their contributions are tabulated per combination x mentor once, and a block copies rows
        share_grid = np.arange(1001) / 1000.0
        combos: dict[tuple[tuple[str, ...], tuple[str, ...]], int] = {}
        self.e_combo = np.fromiter(
            (combos.setdefault((tuple(tags(p.career_goals)), tuple(tags(p.languages))), len(combos)) for p in mentees),
            np.int64,
            len(mentees),
        )
        goal_vocab: dict[str, int] = {}
        lang_vocab: dict[str, int] = {}
        g_rows, g_cols, g_vals, l_rows, l_cols, l_vals = [], [], [], [], [], []
        for i, (goals, langs) in enumerate(combos):
            for g in goals:
                g_rows.append(i)
                g_cols.append(goal_vocab.setdefault(g, len(goal_vocab)))
                g_vals.append(1.0 / len(goals))
            for k, lang in enumerate(langs):
                l_rows.append(i)
                l_cols.append(lang_vocab.setdefault(lang, len(lang_vocab)))
                l_vals.append(0.5 / len(langs) + (0.5 if k == 0 else 0.0))
        shape_k = (max(len(combos), 1),)
        goal_left = sp.csr_matrix((g_vals, (g_rows, g_cols)), shape=(*shape_k, max(len(goal_vocab), 1)))
        goal_right = np.zeros((max(len(goal_vocab), 1), self.m), dtype=np.float64)
        for goal, c in goal_vocab.items():
            for j, p in enumerate(mentors):
                goal_right[c, j] = goal_coverage(goal, p, taxonomy)
        lang_left = sp.csr_matrix((l_vals, (l_rows, l_cols)), shape=(*shape_k, max(len(lang_vocab), 1)))
        lang_right = np.zeros((max(len(lang_vocab), 1), self.m), dtype=np.float64)
        for j, p in enumerate(mentors):
            for lang in set(p.languages):
                if (c := lang_vocab.get(lang)) is not None:
                    lang_right[c, j] = 1.0
        goal_table = shape("goals")(share_grid).astype(np.float32)
        lang_table = shape("language")(share_grid).astype(np.float32)
        self.combo_table = np.zeros((shape_k[0], self.m), dtype=np.float32)
        step = max(1, 4_000_000 // max(self.m, 1))
        for k0 in range(0, shape_k[0], step):  # same quantisation as the scalar path (float64, 1/1000)
            rows = slice(k0, k0 + step)
            self.combo_table[rows] = goal_table[np.rint((goal_left[rows] @ goal_right) * 1000.0).astype(np.int32)]
            self.combo_table[rows] += lang_table[np.rint((lang_left[rows] @ lang_right) * 1000.0).astype(np.int32)]

        # department and industry: codes; empty never matches
        def codes(values: list[str], vocab: dict[str, int]) -> np.ndarray:
            return np.fromiter((vocab.setdefault(v, len(vocab)) if v else -1 for v in values), np.int32, len(values))

        dept_vocab: dict[str, int] = {}
        self.e_dept = codes([p.department for p in mentees], dept_vocab)
        self.m_dept = codes([p.department for p in mentors], dept_vocab)
        self.dept_gain = np.float32(shape("department")(1.0) - shape("department")(0.0))
        ind_vocab: dict[str, int] = {}
        self.e_ind = codes([p.industry for p in mentees], ind_vocab)
        self.m_ind = codes([p.industry for p in mentors], ind_vocab)
        self.ind_gain = np.float32(shape("industry")(1.0) - shape("industry")(0.0))

        # seniority, style, format over distinct combinations
        def key(p: Profile) -> tuple[int, str, str, str]:
            return SENIORITY_RANK.get(p.seniority, 2), p.communication_style, p.personality, p.meeting_format

        e_keys: dict = {}
        m_keys: dict = {}
        self.e_cat = np.fromiter((e_keys.setdefault(key(p), len(e_keys)) for p in mentees), np.int32, len(mentees))
        self.m_cat = np.fromiter((m_keys.setdefault(key(p), len(m_keys)) for p in mentors), np.int32, len(mentors))
        e_list, m_list = list(e_keys) or [(2, "", "", "")], list(m_keys) or [(2, "", "", "")]
        gap = np.array([k[0] for k in m_list], dtype=np.float64)[None, :] - np.array([k[0] for k in e_list])[:, None]
        cat = shape("seniority")(gap)
        # style and format tabulated over their own (few) distinct values, then gathered
        s_vocab_e: dict = {}
        s_vocab_m: dict = {}
        s_e = np.array([s_vocab_e.setdefault((k[1], k[2]), len(s_vocab_e)) for k in e_list])
        s_m = np.array([s_vocab_m.setdefault((k[1], k[2]), len(s_vocab_m)) for k in m_list])
        style = np.array([[style_value(a[0], b[0], a[1], b[1]) for b in s_vocab_m] for a in s_vocab_e])
        cat = cat + shape("style")(quantise("share", style))[s_e[:, None], s_m[None, :]]
        f_vocab_e: dict = {}
        f_vocab_m: dict = {}
        f_e = np.array([f_vocab_e.setdefault(k[3], len(f_vocab_e)) for k in e_list])
        f_m = np.array([f_vocab_m.setdefault(k[3], len(f_vocab_m)) for k in m_list])
        fmt = np.array([[format_value(a, b) for b in f_vocab_m] for a in f_vocab_e])
        cat = cat + shape("format")(quantise("share", fmt))[f_e[:, None], f_m[None, :]]
        self.cat_table = cat.astype(np.float32)

        # availability over distinct patterns
        e_pat: dict = {}
        m_pat: dict = {}
        self.e_pat = np.fromiter(
            (e_pat.setdefault(pattern_key(p), len(e_pat)) for p in mentees), np.int32, len(mentees)
        )
        self.m_pat = np.fromiter(
            (m_pat.setdefault(pattern_key(p), len(m_pat)) for p in mentors), np.int32, len(mentors)
        )
        hours = (
            pattern_hours_table(list(e_pat), list(m_pat), week_monday(week_of))
            if mentees and mentors
            else np.zeros((1, 1), np.float32)
        )
        self.hours_table = hours
        self.avail_table = shape("availability")(quantise("hours", hours.astype(np.float64))).astype(np.float32)

        mentor_topics = np.array([len({s for s in p.skills_offered if s}) for p in mentors], dtype=np.float64)
        self.col_term = (shape("mentor_topics")(mentor_topics) + base).astype(np.float32)

    def block(self, r0: int, r1: int) -> tuple[np.ndarray, np.ndarray]:
        """Probabilities and shared hours (both float32, rows r0:r1 x every mentor)."""
        count = self.skill_left[r0:r1].toarray() @ self.skill_right
        index = count.astype(np.int32)
        index += self.skill_offset[r0:r1, None]
        z = self.skill_table[index]
        count = self.int_left[r0:r1].toarray() @ self.int_right
        index = count.astype(np.int32)
        index += self.int_offset[r0:r1, None]
        z += self.int_table[index]
        z += self.combo_table[self.e_combo[r0:r1]]
        if self.dept_gain:
            z += self.dept_gain * ((self.e_dept[r0:r1, None] == self.m_dept[None, :]) & (self.e_dept[r0:r1, None] >= 0))
        if self.ind_gain:
            z += self.ind_gain * ((self.e_ind[r0:r1, None] == self.m_ind[None, :]) & (self.e_ind[r0:r1, None] >= 0))
        z += self.cat_table[self.e_cat[r0:r1, None], self.m_cat[None, :]]
        z += self.avail_table[self.e_pat[r0:r1, None], self.m_pat[None, :]]
        z += self.col_term[None, :]
        np.negative(z, out=z)
        np.exp(z, out=z)
        z += 1.0
        np.reciprocal(z, out=z)
        hours = self.hours_table[self.e_pat[r0:r1, None], self.m_pat[None, :]]
        return z, hours

    def totals(self) -> np.ndarray:
        """Every mentee x mentor probability (for small cohorts and tests)."""
        return self.block(0, len(self.skill_offset))[0] if len(self.skill_offset) else np.zeros((0, self.m), np.float32)
