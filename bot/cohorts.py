"""Cohorts (program runs): their settings with documented defaults, and their lifecycle.

A cohort's ``settings`` JSON holds only what a coordinator changed; :class:`CohortSettings` fills
in the defaults, so old rows keep working when a new setting appears.

Lifecycle (``cohort.status``, :class:`storage.vocab.CohortStatus`): **open** (taking signups) ->
**matching** (a round is previewed or mentees are choosing) -> **running** (pairs were made) -> **closed**
(a coordinator closed it: no signups, no rounds). Several cohorts can be open at once; a command that acts
on one names it, and asks which when it cannot tell (:func:`resolve_cohort`). People an earlier cohort left
waiting (unmatched, asking for a rematch) and mentors with free places there carry over into a later
cohort's rounds (:func:`carry_over_sources`), unless the later cohort's ``carry_over`` setting is off.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from bot.profiles import normalise_tag
from bot.taxonomy import Taxonomy, default_taxonomy
from bot.views.blocks import escape
from storage import rounds as store
from storage.models import Cohort, Pair, Participant
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
    choice_pick_days: int = 3  # how long a mentee has to pick from their shortlist
    choice_auto_match: bool = False  # a mentee whose choices ran out is matched by the optimiser
    carry_over: bool = True  # earlier cohorts' waiting people and free mentors join this cohort's rounds
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


def open_cohorts(*, session: Session, team_id: str) -> list[Cohort]:
    """The workspace's cohorts that are not closed, oldest first."""
    return list(
        session.exec(
            select(Cohort).where(Cohort.team_id == team_id, Cohort.status != CohortStatus.CLOSED).order_by(Cohort.id)  # type: ignore[arg-type]
        ).all()
    )


def _create_default(*, session: Session, team_id: str, now: datetime | None) -> Cohort:
    """A new cohort with default settings (first use, or every cohort is closed), under a name not taken yet."""
    taken = set(session.exec(select(Cohort.name).where(Cohort.team_id == team_id)).all())
    name = DEFAULT_COHORT_NAME
    suffix = 2
    while name in taken:
        name = f"{DEFAULT_COHORT_NAME} {suffix}"
        suffix += 1
    cohort = Cohort(team_id=team_id, name=name, settings={})
    if now is not None:
        cohort.created_at = now
    session.add(cohort)
    try:
        session.commit()
    except IntegrityError:  # created by a concurrent first request (unique name)
        session.rollback()
        found = session.exec(select(Cohort).where(Cohort.team_id == team_id, Cohort.name == name)).first()
        assert found is not None
        return found
    return cohort


def _has_people(session: Session, team_id: str, cohort_id: int | None) -> bool:
    if cohort_id is None:
        return False
    pair = session.exec(select(Pair.id).where(Pair.team_id == team_id, Pair.cohort_id == cohort_id).limit(1)).first()
    if pair is not None:
        return True
    person = session.exec(
        select(Participant.id).where(Participant.team_id == team_id, Participant.cohort_id == cohort_id).limit(1)
    ).first()
    return person is not None


def pick_reporting_cohort(*, session: Session, team_id: str, cohorts: list[Cohort]) -> Cohort | None:
    """Among open cohorts, the one figures default to: the only one, else the newest with people or pairs."""
    if len(cohorts) <= 1:
        return cohorts[0] if cohorts else None
    for cohort in reversed(cohorts):
        if _has_people(session, team_id, cohort.id):
            return cohort
    return cohorts[-1]


def current_cohort(*, session: Session, team_id: str, now: datetime | None = None) -> Cohort:
    """The cohort a figure or a default refers to when nobody named one.

    The only open cohort; among several, the newest one that has people or pairs (a cohort created a
    minute ago with nobody in it does not take over stats, App Home or the export); created with default
    settings on first use.
    """
    cohorts = open_cohorts(session=session, team_id=team_id)
    picked = pick_reporting_cohort(session=session, team_id=team_id, cohorts=cohorts)
    return picked if picked is not None else _create_default(session=session, team_id=team_id, now=now)


def signup_cohort(*, session: Session, team_id: str, now: datetime | None = None) -> Cohort:
    """The cohort a ``/mentor join`` without a cohort joins: the newest one still taking signups."""
    cohorts = open_cohorts(session=session, team_id=team_id)
    taking = [c for c in cohorts if c.status == CohortStatus.OPEN]
    if taking:
        return taking[-1]
    return current_cohort(session=session, team_id=team_id, now=now)


@dataclass(frozen=True)
class CohortChoice:
    """Which cohort a coordinator's command acts on.

    Exactly one of: ``cohort`` (act on it), ``choices`` (several are open: ask), ``error`` (say why not).
    """

    cohort: Cohort | None = None
    choices: tuple[Cohort, ...] = ()
    error: str = ""


def resolve_cohort(
    *, session: Session, team_id: str, name: str = "", now: datetime | None = None, include_closed: bool = False
) -> CohortChoice:
    """The cohort a command names, the only open one, or the open ones to choose from.

    Args:
        session: Database session.
        team_id: The workspace.
        name: The cohort's name as typed (empty: not named).
        now: Creation time of the default cohort on first use.
        include_closed: A named closed cohort is acceptable (stats, export).
    """
    name = name.strip()
    if name:
        found = session.exec(
            select(Cohort).where(Cohort.team_id == team_id, func.lower(Cohort.name) == name.lower())
        ).first()
        if found is None:
            known = ", ".join(c.name for c in open_cohorts(session=session, team_id=team_id)) or "none yet"
            return CohortChoice(error=f"No cohort is called “{escape(name)}” (open cohorts: {escape(known)}).")
        if found.status == CohortStatus.CLOSED and not include_closed:
            return CohortChoice(error=f"*{escape(found.name)}* is closed. Reopen it with `/mentor cohorts` first.")
        return CohortChoice(cohort=found)
    cohorts = open_cohorts(session=session, team_id=team_id)
    if not cohorts:
        if session.exec(select(Cohort.id).where(Cohort.team_id == team_id).limit(1)).first() is not None:
            return CohortChoice(
                error="Every cohort is closed. Create one with `/mentor program <name>`, or reopen one from "
                "`/mentor cohorts`."
            )
        return CohortChoice(cohort=_create_default(session=session, team_id=team_id, now=now))
    if len(cohorts) == 1:
        return CohortChoice(cohort=cohorts[0])
    return CohortChoice(choices=tuple(cohorts))


def reporting_choice(*, session: Session, team_id: str, name: str = "") -> CohortChoice:
    """The cohort figures and exports act on when none is named, without creating one or switching to an empty one.

    A named cohort (closed ones too); among several open cohorts, a choice; the only open cohort when it has people,
    else the newest cohort (closed ones too) that has people.
    """
    if name.strip():
        return resolve_cohort(session=session, team_id=team_id, name=name, include_closed=True)
    cohorts = open_cohorts(session=session, team_id=team_id)
    if len(cohorts) > 1:
        return CohortChoice(choices=tuple(cohorts))
    if cohorts and _has_people(session, team_id, cohorts[0].id):
        return CohortChoice(cohort=cohorts[0])
    every = session.exec(select(Cohort).where(Cohort.team_id == team_id).order_by(Cohort.id.desc())).all()  # type: ignore[union-attr]
    for cohort in every:
        if _has_people(session, team_id, cohort.id):
            return CohortChoice(cohort=cohort)
    return CohortChoice(cohort=cohorts[0] if cohorts else None)


def get_cohort(*, session: Session, team_id: str, cohort_id: int | None) -> Cohort | None:
    """A cohort of this workspace, or None."""
    if cohort_id is None:
        return None
    cohort = session.get(Cohort, cohort_id, populate_existing=True)
    return cohort if cohort is not None and cohort.team_id == team_id else None


def carry_over_sources(*, session: Session, cohort: Cohort) -> list[int]:
    """The earlier cohorts whose waiting people and free mentors join ``cohort``'s rounds.

    Cohorts created before this one that have finished matching (running or closed); none when the
    cohort's ``carry_over`` setting is off. Cohorts still open or matching keep their people for their own
    rounds.
    """
    if cohort.id is None or not settings_of(cohort).carry_over:
        return []
    return [
        int(c.id)
        for c in session.exec(
            select(Cohort).where(
                Cohort.team_id == cohort.team_id,
                Cohort.id < cohort.id,  # type: ignore[operator]
                Cohort.status.in_((CohortStatus.RUNNING, CohortStatus.CLOSED)),  # type: ignore[attr-defined]
            )
        ).all()
        if c.id is not None
    ]


def mark_matching(*, session: Session, cohort_id: int, now: datetime) -> None:
    """A round started or shortlists went out: open -> matching (the caller commits)."""
    store.set_cohort_status(
        session=session, cohort_id=cohort_id, status=CohortStatus.MATCHING, from_statuses=(CohortStatus.OPEN,), now=now
    )


def mark_running(*, session: Session, cohort_id: int, now: datetime) -> None:
    """Pairs were made: open or matching -> running (the caller commits)."""
    store.set_cohort_status(
        session=session,
        cohort_id=cohort_id,
        status=CohortStatus.RUNNING,
        from_statuses=(CohortStatus.OPEN, CohortStatus.MATCHING),
        now=now,
    )


def taxonomy_for(cohort: Cohort | None) -> Taxonomy:
    """The skills people pick from in a cohort: its own list when a coordinator set one, else the default."""
    custom = [normalise_tag(str(s)) for s in ((cohort.settings or {}).get("skills_taxonomy") or [])] if cohort else []
    custom = [s for s in dict.fromkeys(custom) if s]
    base = default_taxonomy()
    if not custom:
        return base
    return replace(base, skill_groups={"program skills": tuple(custom)})


def open_cohort(*, session: Session, team_id: str, cohort_id: int | None, now: datetime | None = None) -> Cohort:
    """The cohort a signup joins: the one asked for when it is this workspace's and not closed, else the newest
    cohort taking signups."""
    if cohort_id is not None:
        cohort = session.get(Cohort, cohort_id)
        if cohort is not None and cohort.team_id == team_id and cohort.status != CohortStatus.CLOSED:
            return cohort
    return signup_cohort(session=session, team_id=team_id, now=now)
