"""The named factors a learned model scores pairs on, and their raw values for one pair or many.

A learned model (:mod:`bot.matching.model`) is additive over these factors: each gets its own shape
function of the factor's raw value, so every pair's score splits into per-factor contributions and the
reasons keep working. The factors cover what the default weights use, split where the evidence may
differ (shared skills as a share *and* as a count; department and industry apart), plus how many topics
each person listed:

===============  ===================================================================  ============
factor           raw value for (mentee, mentor)                                       kind
===============  ===================================================================  ============
skills           share of the mentee's wanted skills the mentor offers (coverage)    share 0-1
skills_shared    how many wanted skills the mentor offers (overlap)                   count
goals            the default scorer's career-goal coverage                            share 0-1
interests        share of the mentee's interests the mentor also has                  share 0-1
department       1 when both name the same department                                 yes/no
industry         1 when both name the same industry                                   yes/no
seniority        mentor's seniority rank minus the mentee's                            levels
style            the default scorer's communication style and personality fit         share 0-1
availability     shared working hours per week (DST-correct, like the solver's)       hours
format           the default scorer's meeting format compatibility                   share 0-1
language         the default scorer's language value                                  share 0-1
mentee_topics    how many skills the mentee listed as wanted                          count
mentor_topics    how many skills the mentor listed as offered                          count
===============  ===================================================================  ============

Raw values are *quantised* before a shape is applied (shares to 1/1000, hours to the minute, counts and
levels are whole numbers), so the scalar scorer and the vectorised one look up exactly the same points.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from bot.matching.availability import MINUTES_PER_WEEK, minute_mask, pattern_key, utc_intervals, week_monday
from bot.matching.scoring import format_value, goal_coverage, language_value, style_value, tags
from bot.profiles import SENIORITY_RANK, Profile
from bot.taxonomy import Taxonomy, default_taxonomy

SHARE, COUNT, BINARY, LEVELS, HOURS = "share", "count", "binary", "levels", "hours"


@dataclass(frozen=True)
class Factor:
    """One named factor of a learned model.

    Attributes:
        name: Stable key (stored in model files and in a pair's factor breakdown).
        label: What coordinators read ("shared skills").
        kind: share | count | binary | levels | hours: how the raw value is quantised and described.
        knots: Where the piecewise-linear shape may bend; values outside are clamped to the ends.
        reason: The default scorer's reason text that explains this factor for a pair ("" for none).
    """

    name: str
    label: str
    kind: str
    knots: tuple[float, ...]
    reason: str = ""


FACTORS: tuple[Factor, ...] = (
    Factor("skills", "share of wanted skills the mentor offers", SHARE, (0.0, 0.25, 0.5, 0.75, 1.0), "skills"),
    Factor("skills_shared", "number of shared skills", COUNT, (0, 1, 2, 3, 5), "skills"),
    Factor("goals", "career goals the mentor can help with", SHARE, (0.0, 0.25, 0.5, 1.0), "goals"),
    Factor("interests", "shared interests", SHARE, (0.0, 0.5, 1.0), "interests"),
    Factor("department", "same department", BINARY, (0, 1), "org"),
    Factor("industry", "same industry", BINARY, (0, 1), "org"),
    Factor("seniority", "seniority gap (mentor minus mentee, levels)", LEVELS, (-2, 0, 1, 2, 3, 5), "seniority"),
    Factor("style", "communication style and personality", SHARE, (0.25, 0.5, 0.75, 1.0), "style"),
    Factor("availability", "shared hours per week", HOURS, (0, 1, 2, 4, 8, 16), "availability"),
    Factor("format", "meeting format", SHARE, (0.0, 0.5, 1.0), "format"),
    Factor("language", "shared language", SHARE, (0.0, 0.5, 1.0), "language"),
    Factor("mentee_topics", "skills the mentee listed", COUNT, (0, 1, 2, 3, 5, 8)),
    Factor("mentor_topics", "skills the mentor listed", COUNT, (0, 1, 2, 3, 5, 8, 12)),
)
FACTOR_NAMES: tuple[str, ...] = tuple(f.name for f in FACTORS)
BY_NAME: dict[str, Factor] = {f.name: f for f in FACTORS}

# quantisation steps per kind
_STEP = {SHARE: 1e-3, COUNT: 1.0, BINARY: 1.0, LEVELS: 1.0, HOURS: 1.0 / 60.0}


def quantise(kind: str, values: np.ndarray | float) -> np.ndarray:
    """Round raw values to the grid their shape is read on (the same in the scalar and the vectorised path)."""
    step = _STEP[kind]
    return np.rint(np.asarray(values, dtype=np.float64) / step) * step


def pair_values(
    mentee: Profile, mentor: Profile, *, week_of: date, taxonomy: Taxonomy | None = None
) -> dict[str, float]:
    """Every factor's raw value for one pair (quantised).

    Args:
        mentee: The person looking for a mentor.
        mentor: The candidate mentor.
        week_of: A day of the week whose daylight-saving offsets apply.
        taxonomy: Career goal -> related skills map (default: the shipped taxonomy).

    Returns:
        Factor name -> raw value.
    """
    return dict(zip(FACTOR_NAMES, batch_values([mentee], [mentor], week_of=week_of, taxonomy=taxonomy)[0], strict=True))


def batch_values(
    mentees: Sequence[Profile],
    mentors: Sequence[Profile],
    *,
    week_of: date,
    taxonomy: Taxonomy | None = None,
) -> np.ndarray:
    """Raw factor values for row-aligned pairs ``(mentees[i], mentors[i])``: float64, rows x factors, quantised.

    Shared hours are tabulated once over the distinct (timezone, windows) patterns, so tens of thousands
    of rows take well under a second.
    """
    if len(mentees) != len(mentors):
        raise ValueError("mentees and mentors must be row-aligned")
    taxonomy = taxonomy or default_taxonomy()
    n = len(mentees)
    out = np.zeros((n, len(FACTORS)), dtype=np.float64)
    if n == 0:
        return out
    col = {name: k for k, name in enumerate(FACTOR_NAMES)}
    for i, (e, m) in enumerate(zip(mentees, mentors, strict=True)):
        want = tags(e.skills_wanted)
        offer = set(m.skills_offered)
        shared = sum(1 for s in want if s in offer)
        row = out[i]
        row[col["skills"]] = shared / len(want) if want else 0.0
        row[col["skills_shared"]] = shared
        row[col["mentee_topics"]] = len(want)
        row[col["mentor_topics"]] = len({s for s in m.skills_offered if s})
        goals = tags(e.career_goals)
        row[col["goals"]] = sum(goal_coverage(g, m, taxonomy) for g in goals) / len(goals) if goals else 0.0
        interests = tags(e.interests)
        theirs = set(m.interests)
        row[col["interests"]] = sum(1 for t in interests if t in theirs) / len(interests) if interests else 0.0
        row[col["department"]] = float(bool(e.department) and e.department == m.department)
        row[col["industry"]] = float(bool(e.industry) and e.industry == m.industry)
        row[col["seniority"]] = SENIORITY_RANK.get(m.seniority, 2) - SENIORITY_RANK.get(e.seniority, 2)
        row[col["style"]] = style_value(e.communication_style, m.communication_style, e.personality, m.personality)
        row[col["format"]] = format_value(e.meeting_format, m.meeting_format)
        row[col["language"]] = language_value(tags(e.languages), set(m.languages))
    out[:, col["availability"]] = shared_hours_rows(mentees, mentors, week_of=week_of)
    for k, factor in enumerate(FACTORS):
        out[:, k] = quantise(factor.kind, out[:, k])
    return out


def shared_hours_rows(mentees: Sequence[Profile], mentors: Sequence[Profile], *, week_of: date) -> np.ndarray:
    """Shared hours per week of row-aligned pairs: each distinct pair of availability patterns is computed once.

    Masks are sampled every ``g`` minutes, ``g`` the gcd of every window boundary (exact, as in
    :func:`bot.matching.availability.pattern_hours_table`), and each distinct pattern pair is one AND and count.
    """
    monday = week_monday(week_of)
    keys: dict[tuple, object] = {}  # (timezone, days, slots) -> pattern key, so windows are expanded once each
    by_object: dict[int, object] = {}  # the same profile object on many rows (a mentor's pairs) is looked up once

    def key(p: Profile) -> object:
        found = by_object.get(id(p))
        if found is None:
            raw = (p.timezone, p.days, p.time_slots)
            if raw not in keys:
                keys[raw] = pattern_key(p)
            found = by_object[id(p)] = keys[raw]
        return found

    e_vocab: dict = {}
    m_vocab: dict = {}
    e_idx = np.fromiter((e_vocab.setdefault(key(p), len(e_vocab)) for p in mentees), np.int64, len(mentees))
    m_idx = np.fromiter((m_vocab.setdefault(key(p), len(m_vocab)) for p in mentors), np.int64, len(mentors))
    if not len(e_idx):
        return np.zeros(0)
    step = MINUTES_PER_WEEK
    for key in [*e_vocab, *m_vocab]:
        for start, end in utc_intervals(key[0], key[1], monday):
            step = math.gcd(step, start, end)
    step = max(step, 1)
    e_masks = np.stack([minute_mask(k, monday)[::step] for k in e_vocab])
    m_masks = np.stack([minute_mask(k, monday)[::step] for k in m_vocab])
    combined = e_idx * len(m_vocab) + m_idx
    unique, inverse = np.unique(combined, return_inverse=True)
    hours = np.zeros(len(unique))
    for start in range(0, len(unique), 20_000):
        chunk = unique[start : start + 20_000]
        both = e_masks[chunk // len(m_vocab)] & m_masks[chunk % len(m_vocab)]
        hours[start : start + len(chunk)] = both.sum(axis=1) * step / 60.0
    return hours[inverse]


def default_totals(values: np.ndarray, weights: object) -> np.ndarray:
    """The default weighted score of each row of :func:`batch_values`, as :func:`bot.matching.scoring.score`.

    Args:
        values: Rows x factors from :func:`batch_values`.
        weights: A :class:`bot.matching.scoring.Weights`.

    Returns:
        float64 totals in [0, 1].
    """
    from bot.matching.scoring import Weights

    assert isinstance(weights, Weights)
    col = {name: k for k, name in enumerate(FACTOR_NAMES)}
    norm = weights.normalised()
    gap = values[:, col["seniority"]].astype(np.int64)
    ideal = max(weights.ideal_gap, 1)
    seniority = np.where(gap <= 0, 0.0, np.maximum(0.0, 1.0 - np.abs(gap - ideal) / (ideal + 1)))
    total = (
        norm["skills"] * values[:, col["skills"]]
        + norm["goals"] * values[:, col["goals"]]
        + norm["interests"] * values[:, col["interests"]]
        + norm["org"] * (0.5 * values[:, col["industry"]] + 0.5 * values[:, col["department"]])
        + norm["seniority"] * seniority
        + norm["style"] * values[:, col["style"]]
        + norm["availability"] * np.minimum(1.0, values[:, col["availability"]] / weights.full_overlap_hours)
        + norm["format"] * values[:, col["format"]]
        + norm["language"] * values[:, col["language"]]
    )
    return np.clip(total, 0.0, 1.0)
