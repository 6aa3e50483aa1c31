"""Vectorised scoring of a whole cohort, with hard constraints, for the solver.

One dense float32 matrix (mentees x mentors) of totals equal to :func:`bot.matching.scoring.score`
(to float32 rounding) and a boolean ``allowed`` mask. It is computed in row chunks on two threads
(NumPy releases the GIL), never with a Python loop over pairs:

* every linear factor (skills, goals, interests, org, language) is folded into one sparse feature
  matrix per side (``scipy.sparse`` indicators scaled by the normalised weight and 1/len), so their
  weighted sum is **one** matrix product ``F_mentee @ F_mentor.T``;
* seniority, style and format depend on a few categorical values: they are tabulated once over the
  distinct value combinations and gathered;
* availability is tabulated over distinct (timezone, windows) patterns with one product of UTC
  bitmasks (:func:`bot.matching.availability.pattern_hours_table`) and gathered.

20,000 x 5,000 takes 400 MB for totals and 100 MB for the mask.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from bot.matching.availability import pattern_hours_table, pattern_key, week_monday
from bot.matching.reasons import unmatched
from bot.matching.scoring import (
    FACTORS,
    MatchSettings,
    Weights,
    format_value,
    goal_coverage,
    seniority_value,
    style_value,
    tags,
)
from bot.profiles import SENIORITY_RANK, Profile, Status
from bot.taxonomy import Taxonomy, default_taxonomy
from storage.vocab import UnmatchedReason

if TYPE_CHECKING:
    from bot.matching.model import PairModel

# Blocking reasons, in priority order: a pair failing several is counted under the first.
OK = 0
MENTOR_INACTIVE = 1
SELF = 2
MANAGER = 3
PAST = 4
DO_NOT_PAIR = 5
FORBIDDEN = 6
LANGUAGE = 7
AVAILABILITY = 8
DEPARTMENT = 9
FLOOR = 10

MENTEE_INACTIVE_REASON = unmatched(UnmatchedReason.PAUSED_OR_LEFT)
NO_MENTORS_REASON = unmatched(UnmatchedReason.NO_MENTORS)
_CODES = {
    MENTOR_INACTIVE: UnmatchedReason.MENTORS_INACTIVE,
    SELF: UnmatchedReason.ONLY_SELF,
    MANAGER: UnmatchedReason.ONLY_MANAGER,
    PAST: UnmatchedReason.ALL_PAST,
    DO_NOT_PAIR: UnmatchedReason.DO_NOT_PAIR,
    FORBIDDEN: UnmatchedReason.FORBIDDEN,
    LANGUAGE: UnmatchedReason.LANGUAGE,
    AVAILABILITY: UnmatchedReason.AVAILABILITY,
    DEPARTMENT: UnmatchedReason.DEPARTMENT,
    FLOOR: UnmatchedReason.SCORE_FLOOR,
}


def reason_text(code: int, settings: MatchSettings) -> str:
    """Why a mentee has no candidate, from the most common blocking code, as stored (see ``bot.matching.reasons``).

    The words come from ``bot.views.reasons``, for the mentee or for a coordinator.
    """
    reason = _CODES.get(code)
    if reason is None:
        return NO_MENTORS_REASON
    if reason == UnmatchedReason.AVAILABILITY:
        return unmatched(reason, float(settings.min_shared_hours))
    return unmatched(reason)


def pair_block(
    mentee: Profile,
    mentor: Profile,
    total: float,
    hours: float,
    settings: MatchSettings,
    *,
    past_pairs: Iterable[tuple[str, str]] = (),
    forbidden: Iterable[tuple[str, str]] = (),
) -> int:
    """The first hard constraint that removes a pair (``OK`` = 0 if none); the scalar reference."""
    if mentor.status != Status.ACTIVE:
        return MENTOR_INACTIVE
    if mentee.user_id == mentor.user_id:
        return SELF
    if mentee.manager_id == mentor.user_id or mentor.manager_id == mentee.user_id:
        return MANAGER
    past = set(past_pairs)
    if (mentee.user_id, mentor.user_id) in past or (mentor.user_id, mentee.user_id) in past:
        return PAST
    if mentor.user_id in mentee.do_not_pair or mentee.user_id in mentor.do_not_pair:
        return DO_NOT_PAIR
    if (mentee.user_id, mentor.user_id) in set(forbidden):
        return FORBIDDEN
    if not set(tags(mentee.languages)) & set(mentor.languages):
        return LANGUAGE
    if np.float32(hours) < np.float32(settings.min_shared_hours):
        return AVAILABILITY
    if settings.same_department_excluded and mentee.department and mentee.department == mentor.department:
        return DEPARTMENT
    if np.float32(total) < np.float32(settings.score_floor):
        return FLOOR
    return OK


@dataclass
class ScoreMatrix:
    """Totals and the allowed mask for mentees x mentors.

    Attributes:
        mentee_ids: Row ids.
        mentor_ids: Column ids.
        total: float32 (rows x cols) totals, also where the pair is not allowed.
        allowed: bool (rows x cols), False where a hard constraint removes the pair.
        no_candidate: Mentee id -> stored reason (``bot.matching.reasons.unmatched``), for rows with no allowed mentor.
    """

    mentee_ids: list[str]
    mentor_ids: list[str]
    total: np.ndarray
    allowed: np.ndarray
    no_candidate: dict[str, str] = field(default_factory=dict)

    @property
    def candidate_count(self) -> int:
        return int(np.count_nonzero(self.allowed))


class _Vocab:
    def __init__(self) -> None:
        self.index: dict[str, int] = {}

    def __call__(self, value: str) -> int:
        return self.index.setdefault(value, len(self.index))


def _encode(values: list, vocab: dict) -> np.ndarray:
    return np.fromiter((vocab.setdefault(v, len(vocab)) for v in values), dtype=np.int32, count=len(values))


def _linear_features(
    mentees: list[Profile], mentors: list[Profile], norm: dict[str, float], taxonomy: Taxonomy
) -> tuple[sp.csr_matrix, np.ndarray, sp.csr_matrix, np.ndarray]:
    """Mentee feature matrix (scaled), mentor feature matrix transposed (dense), and language indicators."""
    vocab = _Vocab()
    rows, cols, vals = [], [], []
    lang_vocab: dict[str, int] = {}
    lrows, lcols = [], []
    for i, p in enumerate(mentees):
        want = tags(p.skills_wanted)
        for s in want:
            rows.append(i), cols.append(vocab("s:" + s)), vals.append(norm["skills"] / len(want))
        goals = tags(p.career_goals)
        for g in goals:
            rows.append(i), cols.append(vocab("g:" + g)), vals.append(norm["goals"] / len(goals))
        interests = tags(p.interests)
        for t in interests:
            rows.append(i), cols.append(vocab("i:" + t)), vals.append(norm["interests"] / len(interests))
        if p.industry:
            rows.append(i), cols.append(vocab("n:" + p.industry)), vals.append(0.5 * norm["org"])
        if p.department:
            rows.append(i), cols.append(vocab("d:" + p.department)), vals.append(0.5 * norm["org"])
        langs = tags(p.languages)
        for k, lang in enumerate(langs):
            value = 0.5 * norm["language"] / len(langs) + (0.5 * norm["language"] if k == 0 else 0.0)
            rows.append(i), cols.append(vocab("l:" + lang)), vals.append(value)
            lrows.append(i), lcols.append(lang_vocab.setdefault(lang, len(lang_vocab)))
    n_features = len(vocab.index)
    mentee_features = sp.csr_matrix((vals, (rows, cols)), shape=(len(mentees), n_features), dtype=np.float64)

    goal_columns = [(name[2:], col) for name, col in vocab.index.items() if name.startswith("g:")]
    mentor_t = np.zeros((n_features, len(mentors)), dtype=np.float32)
    n_langs = max(len(lang_vocab), 1)
    mentor_langs = np.zeros((n_langs, len(mentors)), dtype=np.float32)
    for j, p in enumerate(mentors):
        for s in set(p.skills_offered):
            if (col := vocab.index.get("s:" + s)) is not None:
                mentor_t[col, j] = 1.0
        for goal, col in goal_columns:
            mentor_t[col, j] = goal_coverage(goal, p, taxonomy)
        for t in set(p.interests):
            if (col := vocab.index.get("i:" + t)) is not None:
                mentor_t[col, j] = 1.0
        for key in ("n:" + p.industry if p.industry else "", "d:" + p.department if p.department else ""):
            if key and (col := vocab.index.get(key)) is not None:
                mentor_t[col, j] = 1.0
        for lang in set(p.languages):
            if (col := vocab.index.get("l:" + lang)) is not None:
                mentor_t[col, j] = 1.0
            if (lcol := lang_vocab.get(lang)) is not None:
                mentor_langs[lcol, j] = 1.0
    mentee_langs = sp.csr_matrix(
        (np.ones(len(lrows), dtype=np.float32), (lrows, lcols)), shape=(len(mentees), n_langs), dtype=np.float32
    )
    return mentee_features.astype(np.float32), mentor_t, mentee_langs, mentor_langs


def _categorical_table(
    mentees: list[Profile], mentors: list[Profile], norm: dict[str, float], weights: Weights
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Keys per person and a table of seniority + style + format contributions over distinct keys."""

    def key(p: Profile) -> tuple[int, str, str, str]:
        return SENIORITY_RANK.get(p.seniority, 2), p.communication_style, p.personality, p.meeting_format

    e_vocab: dict = {}
    m_vocab: dict = {}
    e_keys = _encode([key(p) for p in mentees], e_vocab)
    m_keys = _encode([key(p) for p in mentors], m_vocab)
    table = np.zeros((max(len(e_vocab), 1), max(len(m_vocab), 1)), dtype=np.float64)
    for (re_, se, pe, fe), a in e_vocab.items():
        for (rm, sm, pm, fm), b in m_vocab.items():
            table[a, b] = (
                norm["seniority"] * seniority_value(re_, rm, weights.ideal_gap)
                + norm["style"] * style_value(se, sm, pe, pm)
                + norm["format"] * format_value(fe, fm)
            )
    return e_keys, m_keys, table.astype(np.float32)


def score_matrix(
    mentees: list[Profile],
    mentors: list[Profile],
    weights: Weights,
    settings: MatchSettings,
    *,
    week_of: date,
    past_pairs: Iterable[tuple[str, str]] = (),
    forbidden: Iterable[tuple[str, str]] = (),
    taxonomy: Taxonomy | None = None,
    progress: Callable[[int, int], None] | None = None,
    threads: int | None = None,
    model: PairModel | None = None,
) -> ScoreMatrix:
    """Score every mentee against every mentor and apply the hard constraints.

    Args:
        mentees: Row profiles (paused or departed mentees get no candidates).
        mentors: Column profiles.
        weights: Factor weights.
        settings: Hard constraints (min shared hours, score floor, same department).
        week_of: A day of the week whose daylight-saving offsets apply.
        past_pairs: (mentee_id, mentor_id) pairs that were or are paired; removed in both orders.
        forbidden: (mentee_id, mentor_id) pairs a coordinator excluded for this round.
        taxonomy: Career goal -> skills map (default: the shipped taxonomy).
        progress: Called with (rows done, rows total) after each chunk.
        threads: Worker threads for the chunks (default: up to 2).
        model: A learned model (:mod:`bot.matching.model`): totals are its probabilities of a good outcome
            instead of the weighted score; the hard constraints are the same.

    Returns:
        A :class:`ScoreMatrix`.
    """
    taxonomy = taxonomy or default_taxonomy()
    n, m = len(mentees), len(mentors)
    total = np.zeros((n, m), dtype=np.float32)
    allowed = np.zeros((n, m), dtype=bool)
    result = ScoreMatrix([p.user_id for p in mentees], [p.user_id for p in mentors], total, allowed)
    if n == 0:
        return result
    if m == 0:
        result.no_candidate = {
            p.user_id: (NO_MENTORS_REASON if p.status == Status.ACTIVE else MENTEE_INACTIVE_REASON) for p in mentees
        }
        return result

    norm = weights.normalised()
    mentee_features, mentor_t, mentee_langs, mentor_langs = _linear_features(mentees, mentors, norm, taxonomy)
    e_cat, m_cat, cat_table = _categorical_table(mentees, mentors, norm, weights)
    monday = week_monday(week_of)
    e_pat_vocab: dict = {}
    m_pat_vocab: dict = {}
    e_pat = _encode([pattern_key(p) for p in mentees], e_pat_vocab)
    m_pat = _encode([pattern_key(p) for p in mentors], m_pat_vocab)
    hours_table = pattern_hours_table(list(e_pat_vocab), list(m_pat_vocab), monday)
    availability_scale = np.float32(norm["availability"] / weights.full_overlap_hours)
    availability_cap = np.float32(norm["availability"])
    min_hours = np.float32(settings.min_shared_hours)
    floor = np.float32(settings.score_floor)

    mentee_active = np.array([p.status == Status.ACTIVE for p in mentees])
    mentor_inactive = np.array([p.status != Status.ACTIVE for p in mentors])
    if settings.same_department_excluded:
        dept_vocab: dict = {"": -1}
        e_dept = _encode([p.department for p in mentees], dept_vocab)
        m_dept = _encode([p.department for p in mentors], dept_vocab)

    pair_codes = _pair_codes(mentees, mentors, past_pairs, forbidden)
    prepared = model.prepare(mentees, mentors, week_of=week_of, taxonomy=taxonomy) if model is not None else None

    chunk = max(1, min(n, 4_000_000 // max(m, 1)))
    starts = list(range(0, n, chunk))
    done = [0]

    def work(r0: int) -> None:
        r1 = min(n, r0 + chunk)
        block = total[r0:r1]
        if prepared is not None:
            block[:], hours = prepared.block(r0, r1)
        else:
            block[:] = mentee_features[r0:r1].toarray() @ mentor_t
            block += cat_table[e_cat[r0:r1, None], m_cat[None, :]]
            hours = hours_table[e_pat[r0:r1, None], m_pat[None, :]]
            np.add(block, np.minimum(hours * availability_scale, availability_cap), out=block)
        np.clip(block, 0.0, 1.0, out=block)
        codes = np.zeros((r1 - r0, m), dtype=np.int8)
        codes[block < floor] = FLOOR
        if settings.same_department_excluded:
            codes[(e_dept[r0:r1, None] == m_dept[None, :]) & (e_dept[r0:r1, None] >= 0)] = DEPARTMENT
        codes[hours < min_hours] = AVAILABILITY
        codes[(mentee_langs[r0:r1].toarray() @ mentor_langs) == 0] = LANGUAGE
        for code in (FORBIDDEN, DO_NOT_PAIR, PAST, MANAGER, SELF):
            rows, cols = pair_codes.get(code, (np.empty(0, int), np.empty(0, int)))
            lo, hi = np.searchsorted(rows, [r0, r1])
            codes[rows[lo:hi] - r0, cols[lo:hi]] = code
        codes[:, mentor_inactive] = MENTOR_INACTIVE
        ok = codes == OK
        ok[~mentee_active[r0:r1]] = False
        allowed[r0:r1] = ok
        for local in np.flatnonzero(~ok.any(axis=1)):
            row = r0 + local
            if not mentee_active[row]:
                result.no_candidate[mentees[row].user_id] = MENTEE_INACTIVE_REASON
                continue
            counts = np.bincount(codes[local], minlength=FLOOR + 1)
            counts[OK] = 0
            result.no_candidate[mentees[row].user_id] = reason_text(int(np.argmax(counts)), settings)
        done[0] += r1 - r0
        if progress is not None:
            progress(done[0], n)

    workers = threads if threads is not None else min(2, os.cpu_count() or 1)
    if workers <= 1 or len(starts) == 1:
        for r0 in starts:
            work(r0)
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(work, starts))
    # Dict writes from two threads interleave; make the order deterministic.
    result.no_candidate = dict(sorted(result.no_candidate.items()))
    return result


def _pair_codes(
    mentees: list[Profile],
    mentors: list[Profile],
    past_pairs: Iterable[tuple[str, str]],
    forbidden: Iterable[tuple[str, str]],
) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Sparse (row, col) lists for the id-based constraints, sorted by row."""
    rows_of: dict[str, list[int]] = {}
    for i, p in enumerate(mentees):
        rows_of.setdefault(p.user_id, []).append(i)
    cols_of: dict[str, list[int]] = {}
    for j, p in enumerate(mentors):
        cols_of.setdefault(p.user_id, []).append(j)
    found: dict[int, list[tuple[int, int]]] = {}

    def add(code: int, mentee_id: str | None, mentor_id: str | None) -> None:
        if mentee_id is None or mentor_id is None:
            return
        for i in rows_of.get(mentee_id, ()):
            for j in cols_of.get(mentor_id, ()):
                found.setdefault(code, []).append((i, j))

    for uid in rows_of.keys() & cols_of.keys():
        add(SELF, uid, uid)
    for p in mentees:
        add(MANAGER, p.user_id, p.manager_id)
        for other in p.do_not_pair:
            add(DO_NOT_PAIR, p.user_id, other)
    for p in mentors:
        add(MANAGER, p.manager_id, p.user_id)
        for other in p.do_not_pair:
            add(DO_NOT_PAIR, other, p.user_id)
    for a, b in past_pairs:
        add(PAST, a, b)
        add(PAST, b, a)
    for a, b in forbidden:
        add(FORBIDDEN, a, b)
    out = {}
    for code, pairs in found.items():
        arr = np.array(sorted(set(pairs)), dtype=np.int64).reshape(-1, 2)
        out[code] = (arr[:, 0], arr[:, 1])
    return out


__all__ = ["FACTORS", "ScoreMatrix", "pair_block", "reason_text", "score_matrix"]
