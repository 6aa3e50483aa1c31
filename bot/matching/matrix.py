"""Vectorised scoring of a whole cohort, with hard constraints, for the solver.

One dense float32 matrix (mentees x mentors) of totals equal to :func:`bot.matching.scoring.score`
(to float32 rounding) and a boolean ``allowed`` mask. It is computed in row chunks of about
``CHUNK_CELLS`` cells on two threads (NumPy releases the GIL), each thread reusing two scratch
buffers, never with a Python loop over pairs and never with a float64 intermediate of the matrix's size:

* every linear factor (skills, goals, interests, org, language) is folded into one sparse feature
  matrix per side (``scipy.sparse`` indicators scaled by the normalised weight and 1/len), so their
  weighted sum is **one** sparse-times-dense product per chunk (a mentee has a few features);
* seniority, style and format depend on a few categorical values: they are tabulated once over the
  distinct value combinations, laid out per mentor (one row per mentee class), and gathered as whole
  rows;
* availability is tabulated over distinct (timezone, windows) patterns with one product of UTC
  bitmasks (:func:`bot.matching.availability.pattern_hours_table`), laid out the same way, with the
  minimum-overlap test and the shared-language test as boolean tables beside it;
* the blocking reason of each pair is worked out only for the rare rows left without any candidate.

20,000 x 5,000 takes 400 MB for totals and 100 MB for the mask (in plain anonymous memory, see ``_fresh``).
"""

from __future__ import annotations

import mmap
import os
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from bot.matching.availability import PatternKey, pattern_hours_table, week_monday
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
from bot.profiles import SENIORITY_RANK, Profile, Status, windows_from_choices
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

# Cells per scoring chunk: two float32 scratch blocks of this size per thread stay cache- and page-friendly.
CHUNK_CELLS = 1_000_000

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
    e_list, m_list = list(e_vocab) or [(2, "", "", "")], list(m_vocab) or [(2, "", "", "")]

    def factor(part: Callable[[tuple], Any], value: Callable[[Any, Any], float]) -> np.ndarray:
        """One factor over every (mentee key, mentor key), tabulated over its distinct values only."""
        e_values: dict = {}
        m_values: dict = {}
        a = _encode([part(k) for k in e_list], e_values)
        b = _encode([part(k) for k in m_list], m_values)
        small = np.array([[value(x, y) for y in m_values] for x in e_values], dtype=np.float64)
        return small[a[:, None], b[None, :]]

    seniority = factor(lambda k: k[0], lambda x, y: seniority_value(x, y, weights.ideal_gap))
    style = factor(lambda k: (k[1], k[2]), lambda x, y: style_value(x[0], y[0], x[1], y[1]))
    meeting = factor(lambda k: k[3], format_value)
    table = norm["seniority"] * seniority + norm["style"] * style + norm["format"] * meeting
    return e_keys, m_keys, table.astype(np.float32)


def _fresh(shape: tuple[int, int], dtype: type) -> np.ndarray:
    """An uninitialised array in plain anonymous memory.

    NumPy asks the kernel for transparent huge pages on large allocations; where the kernel then compacts
    memory synchronously (``defrag=madvise``, a common default) first-touching a 400 MB matrix took 0.7-1.8 s
    on the benchmark machine, against 0.15 s with ordinary pages.
    """
    size = int(np.prod(shape)) * np.dtype(dtype).itemsize
    if size < 1 << 22:
        return np.empty(shape, dtype=dtype)
    return np.frombuffer(mmap.mmap(-1, size), dtype=dtype).reshape(shape)


def _by_mentor(table: np.ndarray, mentor_class: np.ndarray) -> np.ndarray:
    """``table[:, mentor_class]``: one row per mentee class, one column per mentor, gathered once."""
    out = _fresh((table.shape[0], len(mentor_class)), table.dtype.type)
    np.take(table, mentor_class, axis=1, out=out)
    return out


def _pattern_ids(people: list[Profile], vocab: dict[PatternKey, int]) -> np.ndarray:
    """Each person's availability pattern (``pattern_key``) as an index into ``vocab`` (extended as needed).

    The windows are expanded once per distinct (days, time slots) choice and each distinct choice is hashed
    once, instead of building and hashing a tuple of windows per person.
    """
    windows: dict[tuple, tuple] = {}
    ids: dict[tuple, int] = {}
    out = np.empty(len(people), dtype=np.int32)
    for i, p in enumerate(people):
        choice = (p.timezone, p.days, p.time_slots)
        index = ids.get(choice)
        if index is None:
            slots = (p.days, p.time_slots)
            if slots not in windows:
                windows[slots] = windows_from_choices(p.days, p.time_slots)
            index = ids[choice] = vocab.setdefault((p.timezone, windows[slots]), len(vocab))
        out[i] = index
    return out


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
    total = _fresh((n, m), np.float32)
    allowed = _fresh((n, m), np.bool_)
    result = ScoreMatrix([p.user_id for p in mentees], [p.user_id for p in mentors], total, allowed)
    if n == 0:
        return result
    if m == 0:
        result.no_candidate = {
            p.user_id: (NO_MENTORS_REASON if p.status == Status.ACTIVE else MENTEE_INACTIVE_REASON) for p in mentees
        }
        return result

    scorer = _BlockScorer(mentees, mentors, weights, settings, week_of, past_pairs, forbidden, taxonomy, model)
    chunk = max(1, min(n, CHUNK_CELLS // m))
    starts = list(range(0, n, chunk))
    done = [0]
    lock = threading.Lock()
    scratch = threading.local()

    def work(r0: int) -> None:
        r1 = min(n, r0 + chunk)
        if getattr(scratch, "floats", None) is None:
            scratch.floats = np.empty((chunk, m), dtype=np.float32)
            scratch.flags = np.empty((chunk, m), dtype=bool)
        reasons = scorer.block(r0, r1, total[r0:r1], allowed[r0:r1], scratch.floats, scratch.flags)
        with lock:
            result.no_candidate.update(reasons)
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
    # Chunks finish in any order; make the order deterministic.
    result.no_candidate = dict(sorted(result.no_candidate.items()))
    return result


class _BlockScorer:
    """Everything that does not depend on the row, tabulated once; ``block`` fills a range of rows.

    Tables indexed by a mentee class (categorical key, availability pattern, language set, department) are
    gathered per mentor once (``class x mentors``), so a block is a matrix product plus contiguous row copies.
    """

    def __init__(
        self,
        mentees: list[Profile],
        mentors: list[Profile],
        weights: Weights,
        settings: MatchSettings,
        week_of: date,
        past_pairs: Iterable[tuple[str, str]],
        forbidden: Iterable[tuple[str, str]],
        taxonomy: Taxonomy,
        model: PairModel | None = None,
    ) -> None:
        self.mentees, self.settings = mentees, settings
        # a learned model scores the pairs (its probability of a good outcome); the hard constraints stay the same
        self.prepared = model.prepare(mentees, mentors, week_of=week_of, taxonomy=taxonomy) if model else None
        norm = weights.normalised()
        features, self.mentor_t, mentee_langs, mentor_langs = _linear_features(mentees, mentors, norm, taxonomy)
        self.features = features.tocsr()
        e_cat, m_cat, cat_table = _categorical_table(mentees, mentors, norm, weights)
        self.e_cat = e_cat
        self.cat_cols = _by_mentor(cat_table, m_cat)

        monday = week_monday(week_of)
        e_pat_vocab: dict = {}
        m_pat_vocab: dict = {}
        self.e_pat = _pattern_ids(mentees, e_pat_vocab)
        m_pat = _pattern_ids(mentors, m_pat_vocab)
        hours_table = pattern_hours_table(list(e_pat_vocab), list(m_pat_vocab), monday)
        scale = np.float32(norm["availability"] / weights.full_overlap_hours)
        cap = np.float32(norm["availability"])
        self.hours_table, self.m_pat = hours_table, m_pat
        self.avail_cols = _by_mentor(np.minimum(hours_table * scale, cap), m_pat)
        self.hours_ok_cols = _by_mentor(hours_table >= np.float32(settings.min_shared_hours), m_pat)

        # Language: one row per distinct set of mentee languages.
        langs = mentee_langs.tocsr()
        indptr, indices = langs.indptr.tolist(), langs.indices.tolist()
        lang_keys = [tuple(sorted(indices[indptr[i] : indptr[i + 1]])) for i in range(len(mentees))]
        lang_vocab: dict = {}
        self.e_lang = _encode(lang_keys, lang_vocab)
        sets = np.zeros((len(lang_vocab), mentor_langs.shape[0]), dtype=np.float32)
        for key, a in lang_vocab.items():
            sets[a, list(key)] = 1.0
        self.mentee_langs, self.mentor_langs = mentee_langs, mentor_langs
        self.lang_ok_cols = _by_mentor((sets @ mentor_langs) > 0, np.arange(mentor_langs.shape[1]))

        self.e_dept: np.ndarray | None = None
        if settings.same_department_excluded:
            dept_vocab: dict = {"": -1}
            self.e_dept = _encode([p.department for p in mentees], dept_vocab)
            self.m_dept = _encode([p.department for p in mentors], dept_vocab)
            n_depts = max(dept_vocab.values()) + 1
            # Row d: False where the mentor is in department d; the last row (no department) is all True.
            self.dept_ok_cols = np.ones((n_depts + 1, len(mentors)), dtype=bool)
            for d in range(n_depts):
                self.dept_ok_cols[d] = self.m_dept != d
            self.dept_row = np.where(self.e_dept >= 0, self.e_dept, n_depts)

        self.floor = np.float32(settings.score_floor)
        self.min_hours = np.float32(settings.min_shared_hours)
        self.mentee_active = np.array([p.status == Status.ACTIVE for p in mentees])
        self.mentor_active = np.array([p.status == Status.ACTIVE for p in mentors])
        self.pair_codes = _pair_codes(mentees, mentors, past_pairs, forbidden)

    def block(
        self, r0: int, r1: int, total: np.ndarray, allowed: np.ndarray, floats: np.ndarray, flags: np.ndarray
    ) -> dict[str, str]:
        """Fill ``total`` and ``allowed`` (views of rows r0..r1); returns reasons for rows left without a candidate."""
        rows = r1 - r0
        buf, mask = floats[:rows], flags[:rows]
        if self.prepared is not None:
            total[...] = self.prepared.block(r0, r1)[0]
        else:
            # Sparse rows (a few features each) times the dense mentor features: 1/10 of the dense product's work.
            total[...] = self.features[r0:r1] @ self.mentor_t
            np.take(self.cat_cols, self.e_cat[r0:r1], axis=0, out=buf)
            total += buf
            np.take(self.avail_cols, self.e_pat[r0:r1], axis=0, out=buf)
            total += buf
        np.clip(total, 0.0, 1.0, out=total)

        np.greater_equal(total, self.floor, out=allowed)
        np.take(self.hours_ok_cols, self.e_pat[r0:r1], axis=0, out=mask)
        allowed &= mask
        np.take(self.lang_ok_cols, self.e_lang[r0:r1], axis=0, out=mask)
        allowed &= mask
        if self.e_dept is not None:
            np.take(self.dept_ok_cols, self.dept_row[r0:r1], axis=0, out=mask)
            allowed &= mask
        allowed &= self.mentor_active
        allowed[~self.mentee_active[r0:r1]] = False
        for rows_, cols_ in self.pair_codes.values():
            lo, hi = np.searchsorted(rows_, [r0, r1])
            allowed[rows_[lo:hi] - r0, cols_[lo:hi]] = False

        reasons: dict[str, str] = {}
        empty = np.flatnonzero(~allowed.any(axis=1))
        for local in empty:
            row = r0 + int(local)
            if not self.mentee_active[row]:
                reasons[self.mentees[row].user_id] = MENTEE_INACTIVE_REASON
                continue
            counts = np.bincount(self._codes(row, total[local]), minlength=FLOOR + 1)
            counts[OK] = 0
            reasons[self.mentees[row].user_id] = reason_text(int(np.argmax(counts)), self.settings)
        return reasons

    def _codes(self, row: int, totals: np.ndarray) -> np.ndarray:
        """The first blocking constraint of every pair of one row (rare: only rows without any candidate)."""
        codes = np.zeros(len(totals), dtype=np.int8)
        codes[totals < self.floor] = FLOOR
        if self.e_dept is not None and self.e_dept[row] >= 0:
            codes[self.m_dept == self.e_dept[row]] = DEPARTMENT
        codes[self.hours_table[self.e_pat[row], self.m_pat] < self.min_hours] = AVAILABILITY
        codes[(self.mentee_langs[row].toarray() @ self.mentor_langs)[0] == 0] = LANGUAGE
        for code in (FORBIDDEN, DO_NOT_PAIR, PAST, MANAGER, SELF):
            rows_, cols_ = self.pair_codes.get(code, (np.empty(0, int), np.empty(0, int)))
            lo, hi = np.searchsorted(rows_, [row, row + 1])
            codes[cols_[lo:hi]] = code
        codes[~self.mentor_active] = MENTOR_INACTIVE
        return codes


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
