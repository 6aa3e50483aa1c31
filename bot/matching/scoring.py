"""Pair scoring: how good a mentor is for a mentee, as a number in [0, 1] plus reasons.

The score is a weighted mean of factors, each in [0, 1]:

==============  =============================================================================
factor          value for (mentee, mentor)
==============  =============================================================================
skills          share of the mentee's wanted skills the mentor offers
goals           mean over the mentee's career goals of the mentor's coverage of that goal: 1 if
                the mentor lists the same goal, otherwise the share of the goal's related skills
                (taxonomy ``career_goals``) that the mentor offers
interests       share of the mentee's interests the mentor also has
org             0.5 x same industry + 0.5 x same department (empty values never match)
seniority       0 unless the mentor is more senior; ``1 - |gap - ideal_gap| / (ideal_gap + 1)``
                (clipped at 0), so the ideal gap scores 1
style           0.5 x same communication style + 0.5 x personality fit (same 1, one ambivert
                0.75, introvert with extrovert or unknown 0.5)
availability    ``min(1, shared hours per week / full_overlap_hours)``
format          1 if equal or either says "any" (or nothing), 0.5 for video with chat, else 0
language        0.5 if the mentor speaks the mentee's first language + 0.5 x share of the
                mentee's languages the mentor speaks
==============  =============================================================================

``total = sum(w_f * value_f) / sum(w_f)``; ``Score.factors[f]`` is ``w_f * value_f / sum(w)``, so the
factors add up to the total. Every factor except seniority, style and format is linear in indicator
vectors, which is what lets :mod:`bot.matching.matrix` score a whole cohort with one matrix product.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from datetime import date
from typing import TYPE_CHECKING, Any

from bot.matching.availability import shared_hours
from bot.matching.reasons import Reason, reason, windows_data
from bot.profiles import SENIORITY_RANK, Profile
from bot.taxonomy import Taxonomy, default_taxonomy
from storage.vocab import Factor

if TYPE_CHECKING:
    from bot.matching.model import PairModel

FACTORS: tuple[str, ...] = (
    "skills",
    "goals",
    "interests",
    "org",
    "seniority",
    "style",
    "availability",
    "format",
    "language",
)


@dataclass(frozen=True)
class Weights:
    """Relative importance of each factor (they need not sum to 1; the score divides by the sum).

    Attributes:
        skills: Mentee's wanted skills offered by the mentor. The main reason people sign up.
        goals: Mentee's career goals versus the mentor's expertise (offered skills and own goals).
        interests: Shared interests; a conversation starter, weighted lower.
        org: Same industry and department.
        seniority: Mentor more senior, ideally by ``ideal_gap`` ranks.
        style: Communication style and personality.
        availability: Shared weekly hours (up to ``full_overlap_hours``).
        format: Compatible meeting format.
        language: Speaking the mentee's first language.
        ideal_gap: Seniority ranks between mentee and mentor that score best.
        full_overlap_hours: Shared hours per week that earn the full availability value.
    """

    skills: float = 0.30
    goals: float = 0.15
    interests: float = 0.10
    org: float = 0.05
    seniority: float = 0.10
    style: float = 0.05
    availability: float = 0.15
    format: float = 0.05
    language: float = 0.05
    ideal_gap: int = 2
    full_overlap_hours: float = 4.0

    def __post_init__(self) -> None:
        if any(getattr(self, f) < 0 for f in FACTORS):
            raise ValueError("weights must be non-negative")
        if self.full_overlap_hours <= 0:
            raise ValueError("full_overlap_hours must be positive")

    @property
    def total_weight(self) -> float:
        return float(sum(getattr(self, f) for f in FACTORS))

    def normalised(self) -> dict[str, float]:
        """Each factor's weight divided by the sum of weights (all zero if the sum is zero)."""
        total = self.total_weight
        return {f: (getattr(self, f) / total if total > 0 else 0.0) for f in FACTORS}

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly dict, for a cohort's settings."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Weights:
        """Build from a stored dict; unknown keys are ignored, missing keys take the defaults."""
        known = {f.name: f for f in fields(cls)}
        kwargs: dict[str, Any] = {}
        for key, value in (data or {}).items():
            if key in known:
                kwargs[key] = int(value) if key == "ideal_gap" else float(value)
        return cls(**kwargs)


@dataclass(frozen=True)
class MatchSettings:
    """Hard constraints and fairness options of a matching round.

    Attributes:
        min_shared_hours: Pairs with fewer shared hours per week are not candidates.
        score_floor: Pairs with a lower total score are not candidates.
        same_department_excluded: Forbid pairs within one department.
        priority_boost: Added to the solver weight of every edge of a priority mentee (left out or
            asked for a rematch last round). It changes who gets matched, not the reported score.
        max_share: Cap for popular mentors: a mentor takes at most
            ``max(1, ceil(max_share * number of mentees in the round))`` mentees, whatever their own
            capacity. ``None`` turns the cap off.
    """

    min_shared_hours: float = 1.0
    score_floor: float = 0.2
    same_department_excluded: bool = False
    priority_boost: float = 0.1
    max_share: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly dict, for a cohort's settings."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> MatchSettings:
        """Build from a stored dict; unknown keys are ignored."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in (data or {}).items() if k in known})


@dataclass(frozen=True)
class Score:
    """A pair's score: ``total`` in [0, 1], each factor's contribution, and up to 3 reasons."""

    total: float
    factors: dict[str, float] = field(default_factory=dict)
    reasons: list[Reason] = field(default_factory=list)  # data: bot.matching.reasons, worded by bot.views.reasons


# --- factor values (shared with the vectorised scorer, which tabulates the categorical ones) ----


def tags(values: tuple[str, ...]) -> list[str]:
    """Distinct non-empty tags in their given order."""
    return [v for v in dict.fromkeys(values) if v]


def goal_coverage(goal: str, mentor: Profile, taxonomy: Taxonomy) -> float:
    """How well the mentor covers one career goal (1 if they list it, else share of related skills)."""
    if goal in mentor.career_goals:
        return 1.0
    related = taxonomy.career_goals.get(goal, ())
    if not related:
        return 0.0
    offered = set(mentor.skills_offered)
    return sum(1 for s in related if s in offered) / len(related)


def seniority_value(mentee_rank: int, mentor_rank: int, ideal_gap: int) -> float:
    """0 unless the mentor is more senior; 1 at the ideal gap, falling linearly either side."""
    gap = mentor_rank - mentee_rank
    if gap <= 0:
        return 0.0
    ideal = max(ideal_gap, 1)
    return max(0.0, 1.0 - abs(gap - ideal) / (ideal + 1))


def personality_value(a: str, b: str) -> float:
    """Personality fit: same 1, one ambivert 0.75, otherwise (or unknown) 0.5."""
    if not a or not b:
        return 0.5
    if a == b:
        return 1.0
    if "ambivert" in (a, b):
        return 0.75
    return 0.5


def style_value(style_a: str, style_b: str, pers_a: str, pers_b: str) -> float:
    """0.5 x same communication style + 0.5 x personality fit."""
    same = 1.0 if style_a and style_a == style_b else 0.0
    return 0.5 * same + 0.5 * personality_value(pers_a, pers_b)


def format_value(a: str, b: str) -> float:
    """Meeting format compatibility."""
    if a in ("", "any") or b in ("", "any") or a == b:
        return 1.0
    if {a, b} == {"video", "chat"}:
        return 0.5
    return 0.0


def language_value(mentee_languages: list[str], mentor_languages: set[str]) -> float:
    """0.5 for the mentee's first language + 0.5 x share of the mentee's languages spoken."""
    if not mentee_languages:
        return 0.0
    primary = 0.5 if mentee_languages[0] in mentor_languages else 0.0
    return primary + 0.5 * sum(1 for lang in mentee_languages if lang in mentor_languages) / len(mentee_languages)


def explain_factors(
    mentee: Profile,
    mentor: Profile,
    *,
    week_of: date,
    taxonomy: Taxonomy,
    ideal_gap: int = 2,
    full_overlap_hours: float = 4.0,
) -> tuple[dict[str, float], dict[str, Reason], float]:
    """Each factor's value in [0, 1], the reason (as data) of each factor that applies, and the shared hours.

    The reasons are what a pair's reasons are made of, whichever scoring (default weights or a learned model)
    ranks them; ``bot.views.reasons`` words them for each reader.
    """
    values: dict[str, float] = {}
    found: dict[str, Reason] = {}

    want = tags(mentee.skills_wanted)
    offer = set(mentor.skills_offered)
    shared_skills = [s for s in want if s in offer]
    values["skills"] = len(shared_skills) / len(want) if want else 0.0
    if shared_skills:
        found["skills"] = reason(Factor.SKILLS, skills=shared_skills)

    goals = tags(mentee.career_goals)
    coverage = [(goal_coverage(g, mentor, taxonomy), g) for g in goals]
    values["goals"] = sum(c for c, _ in coverage) / len(goals) if goals else 0.0
    if values["goals"] > 0:
        _, best_goal = max(coverage, key=lambda item: item[0])
        helpful = [s for s in taxonomy.career_goals.get(best_goal, ()) if s in offer]
        found["goals"] = reason(Factor.GOALS, goal=best_goal, shared=best_goal in mentor.career_goals, skills=helpful)

    interests = tags(mentee.interests)
    shared_interests = [i for i in interests if i in set(mentor.interests)]
    values["interests"] = len(shared_interests) / len(interests) if interests else 0.0
    if shared_interests:
        found["interests"] = reason(Factor.INTERESTS, interests=shared_interests)

    same_industry = bool(mentee.industry) and mentee.industry == mentor.industry
    same_department = bool(mentee.department) and mentee.department == mentor.department
    values["org"] = 0.5 * same_industry + 0.5 * same_department
    if same_industry or same_department:
        found["org"] = reason(
            Factor.ORG,
            department=mentee.department if same_department else "",
            industry=mentee.industry if same_industry else "",
        )

    mentee_rank = SENIORITY_RANK.get(mentee.seniority, 2)
    mentor_rank = SENIORITY_RANK.get(mentor.seniority, 2)
    values["seniority"] = seniority_value(mentee_rank, mentor_rank, ideal_gap)
    gap = mentor_rank - mentee_rank
    if gap > 0:
        found["seniority"] = reason(Factor.SENIORITY, gap=gap, mentor=mentor.seniority, mentee=mentee.seniority)

    values["style"] = style_value(
        mentee.communication_style, mentor.communication_style, mentee.personality, mentor.personality
    )
    if mentee.communication_style and mentee.communication_style == mentor.communication_style:
        found["style"] = reason(Factor.STYLE, style=mentee.communication_style)
    elif mentee.personality and mentee.personality == mentor.personality:
        found["style"] = reason(Factor.STYLE, personality=mentee.personality)

    hours, windows = shared_hours(mentee, mentor, week_of)
    values["availability"] = min(1.0, hours / full_overlap_hours)
    if hours > 0:
        _, mentor_windows = shared_hours(mentor, mentee, week_of)
        found["availability"] = reason(
            Factor.AVAILABILITY,
            hours=round(hours, 2),
            mentee_windows=windows_data(windows),
            mentor_windows=windows_data(mentor_windows),
        )

    values["format"] = format_value(mentee.meeting_format, mentor.meeting_format)
    if mentee.meeting_format not in ("", "any") and mentee.meeting_format == mentor.meeting_format:
        found["format"] = reason(Factor.FORMAT, format=mentee.meeting_format)

    languages = tags(mentee.languages)
    values["language"] = language_value(languages, set(mentor.languages))
    if languages and languages[0] in set(mentor.languages):
        found["language"] = reason(Factor.LANGUAGE, language=languages[0])
    return values, found, hours


def score(
    mentee: Profile,
    mentor: Profile,
    weights: Weights,
    *,
    week_of: date | None = None,
    taxonomy: Taxonomy | None = None,
    model: PairModel | None = None,
) -> Score:
    """Score one pair. Hard constraints are not applied here (see ``bot.matching.constraints``).

    Args:
        mentee: The person looking for a mentor.
        mentor: The candidate mentor.
        weights: Factor weights.
        week_of: A day of the week whose daylight-saving offsets apply (default: today).
        taxonomy: Career goal -> related skills map (default: the shipped taxonomy).
        model: A learned model (:mod:`bot.matching.model`); when given, the total is its predicted
            probability of a good outcome and ``weights`` is not used.

    Returns:
        A :class:`Score` with the total, each factor's contribution and up to 3 reasons, best first.
    """
    taxonomy = taxonomy or default_taxonomy()
    week_of = week_of or date.today()
    if model is not None:
        return model.score_pair(mentee, mentor, week_of=week_of, taxonomy=taxonomy)
    norm = weights.normalised()
    values, found, _ = explain_factors(
        mentee,
        mentor,
        week_of=week_of,
        taxonomy=taxonomy,
        ideal_gap=weights.ideal_gap,
        full_overlap_hours=weights.full_overlap_hours,
    )
    factors = {f: norm[f] * values[f] for f in FACTORS}
    total = min(1.0, max(0.0, sum(factors.values())))
    ranked = sorted((f for f in FACTORS if f in found and factors[f] > 0), key=lambda f: -factors[f])
    return Score(total=total, factors=factors, reasons=[found[f] for f in ranked[:3]])
