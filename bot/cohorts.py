"""Cohorts (program runs) and their settings, with documented defaults.

A cohort's ``settings`` JSON holds only what a coordinator changed; :class:`CohortSettings` fills
in the defaults, so old rows keep working when a new setting appears.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, select

from bot.profiles import normalise_tag
from bot.taxonomy import Taxonomy, default_taxonomy
from storage.models import Cohort
from storage.vocab import CohortStatus

DEFAULT_COHORT_NAME = "Mentorship program"


@dataclass(frozen=True)
class CohortSettings:
    """How one cohort runs. Every field has the default a new program gets."""

    duration_days: int = 182  # six months
    checkin_cadence_days: int = 14  # every two weeks until the pair agrees on another
    goals_reminder_days: int = 7  # remind a pair with no goals after a week
    first_survey_days: int = 30  # pulse survey at 30 days...
    survey_every_days: int = 60  # ...then every 60 days
    extension_days: int = 91  # "extend by 3 months"
    mentee_choice: bool = False  # mentees pick from a shortlist instead of the optimal assignment
    choice_response_days: int = 3  # how long a mentor has to answer a mentee's request
    same_department_excluded: bool = False
    min_shared_hours: float = 1.0
    score_floor: float = 0.2
    priority_boost: float = 0.1  # extra solver weight for mentees left out or rematching last round
    max_share: float | None = None  # cap any mentor at this share of the round's mentees (None: off)
    weights: dict[str, float] = field(default_factory=dict)  # empty = matching's documented defaults
    signup_opens: date | None = None
    signup_closes: date | None = None
    match_date: date | None = None
    start_date: date | None = None
    announce_channel: str = ""
    digest_channel: str = ""
    digest_enabled: bool = False

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> CohortSettings:
        data = dict(data or {})
        known = {f.name for f in fields(cls)}
        values: dict[str, Any] = {}
        for name, value in data.items():
            if name not in known:
                continue
            if name in ("signup_opens", "signup_closes", "match_date", "start_date") and isinstance(value, str):
                value = date.fromisoformat(value) if value else None
            values[name] = value
        return cls(**values)

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        for name in ("signup_opens", "signup_closes", "match_date", "start_date"):
            if out[name] is not None:
                out[name] = out[name].isoformat()
        return out


def settings_of(cohort: Cohort | None) -> CohortSettings:
    """The effective settings of a cohort (defaults when there is none)."""
    return CohortSettings.from_json(cohort.settings if cohort else None)


def current_cohort(*, session: Session, team_id: str, now: datetime | None = None) -> Cohort:
    """The workspace's open cohort, created with default settings on first use."""
    cohort = session.exec(
        select(Cohort).where(Cohort.team_id == team_id, Cohort.status != CohortStatus.CLOSED).order_by(Cohort.id.desc())  # type: ignore[union-attr]
    ).first()
    if cohort is None:
        cohort = Cohort(team_id=team_id, name=DEFAULT_COHORT_NAME, settings={})
        if now is not None:
            cohort.created_at = now
        session.add(cohort)
        session.commit()
    return cohort


def taxonomy_for(cohort: Cohort | None) -> Taxonomy:
    """The skills people pick from in a cohort: its own list when a coordinator set one, else the default."""
    custom = [normalise_tag(str(s)) for s in ((cohort.settings or {}).get("skills_taxonomy") or [])] if cohort else []
    custom = [s for s in dict.fromkeys(custom) if s]
    base = default_taxonomy()
    if not custom:
        return base
    return replace(base, skill_groups={"program skills": tuple(custom)})


def open_cohort(*, session: Session, team_id: str, cohort_id: int | None, now: datetime | None = None) -> Cohort:
    """The cohort a signup joins: the one asked for when it is this workspace's and still open, else the current one."""
    if cohort_id is not None:
        cohort = session.get(Cohort, cohort_id)
        if cohort is not None and cohort.team_id == team_id and cohort.status != CohortStatus.CLOSED:
            return cohort
    return current_cohort(session=session, team_id=team_id, now=now)
