"""Coordinator services: cohorts (programs), round skips and pre-match notices, export, the weekly digest and the
coordinator's App Home section (actions on pairs live in :mod:`bot.pair_control`). Every change is audited."""

from __future__ import annotations

import io
import json
import logging
import re
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from slack_sdk import WebClient
from sqlmodel import Session

from bot import csv_safety, ids
from bot.cohorts import CohortSettings, settings_of
from bot.profiles import normalise_tag
from bot.stats import compute_stats
from bot.views import coordinator as views
from bot.views.blocks import escape
from storage import coordination, stats
from storage.models import Cohort, Pair
from storage.models.journey import PairJourney
from storage.vocab import PromptKind

if TYPE_CHECKING:
    from bot.services import Services
    from storage.models.outbox import ScheduledPrompt

log = logging.getLogger(__name__)

EXPORT_UNMATCHED = "unmatched people"
EXPORT_REFLECTIONS = "closing reflections"
DIGEST_KIND = PromptKind.WEEKLY_DIGEST
PREMATCH_ROUND_KIND = PromptKind.PREMATCH_ROUND
PREMATCH_NOTICE_KIND = PromptKind.PREMATCH_NOTICE


# ---------------------------------------------------------------------- program (cohort) form


def default_weights() -> dict[str, float]:
    """The matching weights a new cohort starts with (matching's documented defaults)."""
    try:
        from bot.matching.scoring import FACTORS, Weights

        defaults = Weights()
        return {name: float(getattr(defaults, name)) for name in FACTORS}
    except ImportError:  # pragma: no cover - matching ships with the app
        return {}


def weights_text(settings: CohortSettings) -> str:
    """The weights as editable ``name = value`` lines, the cohort's own values over the defaults."""
    merged = {**default_weights(), **{k: float(v) for k, v in (settings.weights or {}).items()}}
    return "\n".join(f"{name} = {value:g}" for name, value in merged.items())


@dataclass
class ProgramForm:
    """What the program modal submitted."""

    name: str = ""
    signup_opens: date | None = None
    signup_closes: date | None = None
    match_date: date | None = None
    start_date: date | None = None
    duration_months: int = 6
    checkin_cadence_days: int = 14
    first_survey_days: int | None = 30
    survey_every_days: int | None = 60
    weights_raw: str = ""
    skills_raw: str = ""
    same_team_excluded: bool = False
    digest_enabled: bool = False
    mentee_choice: bool = False
    choice_response_days: int | None = 3
    choice_pick_days: int | None = 3
    choice_auto_match: bool = False
    carry_over: bool = True
    min_shared_hours: float | None = 1.0
    announce_channel: str = ""
    digest_channel: str = ""
    weights: dict[str, float] = field(default_factory=dict)
    skills: list[str] = field(default_factory=list)
    auto_rematch: bool = False
    fill_freed_places: bool = False
    close_inactive_after_weeks: int | None = None
    close_inactive_raw: str = ""


def _value(values: dict[str, Any], block_id: str) -> dict[str, Any]:
    return (values.get(block_id) or {}).get(ids.INPUT) or {}


def _int(text: Any) -> int | None:
    try:
        return int(str(text).strip())
    except (TypeError, ValueError):
        return None


def _float(text: Any) -> float | None:
    try:
        return float(str(text).strip())
    except (TypeError, ValueError):
        return None


def _date(text: Any) -> date | None:
    try:
        return date.fromisoformat(str(text)) if text else None
    except ValueError:
        return None


def parse_program(values: dict[str, Any]) -> ProgramForm:
    """Read the program modal's ``state.values`` (pure)."""
    form = ProgramForm()
    form.name = str(_value(values, ids.PROGRAM_NAME).get("value") or "").strip()
    form.signup_opens = _date(_value(values, ids.PROGRAM_SIGNUP_OPENS).get("selected_date"))
    form.signup_closes = _date(_value(values, ids.PROGRAM_SIGNUP_CLOSES).get("selected_date"))
    form.match_date = _date(_value(values, ids.PROGRAM_MATCH_DATE).get("selected_date"))
    form.start_date = _date(_value(values, ids.PROGRAM_START_DATE).get("selected_date"))
    form.duration_months = _int((_value(values, ids.PROGRAM_DURATION).get("selected_option") or {}).get("value")) or 6
    cadence = (_value(values, ids.PROGRAM_CADENCE).get("selected_option") or {}).get("value")
    form.checkin_cadence_days = _int(cadence) or 14
    form.first_survey_days = _int(_value(values, ids.PROGRAM_FIRST_SURVEY).get("value"))
    form.survey_every_days = _int(_value(values, ids.PROGRAM_SURVEY_EVERY).get("value"))
    form.weights_raw = str(_value(values, ids.PROGRAM_WEIGHTS).get("value") or "")
    more = sorted(
        (k for k in values if str(k).startswith(f"{ids.PROGRAM_SKILLS_MORE}_")),
        key=lambda k: int(str(k).rsplit("_", 1)[-1]) if str(k).rsplit("_", 1)[-1].isdigit() else 0,
    )
    boxes = [str(_value(values, block_id).get("value") or "") for block_id in (ids.PROGRAM_SKILLS, *more)]
    form.skills_raw = "\n".join(box for box in boxes if box)
    chosen = {o.get("value") for o in _value(values, ids.PROGRAM_OPTIONS).get("selected_options") or []}
    form.same_team_excluded = "same_team_excluded" in chosen
    form.digest_enabled = "digest_enabled" in chosen
    form.mentee_choice = "mentee_choice" in chosen
    form.choice_auto_match = "choice_auto_match" in chosen
    form.carry_over = "carry_over" in chosen
    if ids.PROGRAM_CHOICE_DAYS in values:  # absent from views opened before the field existed: keep the default
        form.choice_response_days = _int(_value(values, ids.PROGRAM_CHOICE_DAYS).get("value"))
    if ids.PROGRAM_CHOICE_PICK_DAYS in values:
        form.choice_pick_days = _int(_value(values, ids.PROGRAM_CHOICE_PICK_DAYS).get("value"))
    form.min_shared_hours = _float(_value(values, ids.PROGRAM_MIN_HOURS).get("value"))
    form.announce_channel = str(_value(values, ids.PROGRAM_ANNOUNCE_CHANNEL).get("selected_conversation") or "")
    form.digest_channel = str(_value(values, ids.PROGRAM_DIGEST_CHANNEL).get("selected_conversation") or "")
    pair_options = {o.get("value") for o in _value(values, ids.PROGRAM_PAIR_OPTIONS).get("selected_options") or []}
    form.auto_rematch = "auto_rematch" in pair_options
    form.fill_freed_places = "fill_freed_places" in pair_options
    form.close_inactive_raw = str(_value(values, ids.PROGRAM_CLOSE_INACTIVE).get("value") or "").strip()
    form.close_inactive_after_weeks = _int(form.close_inactive_raw) if form.close_inactive_raw else None
    return form


_WEIGHT_LINE = re.compile(r"^\s*([a-z_]+)\s*[=:]\s*([0-9]*\.?[0-9]+)\s*$")


def validate_program(form: ProgramForm, *, name_taken: bool) -> dict[str, str]:
    """Inline errors by block id (empty when the form is fine); fills ``form.weights`` and ``form.skills``."""
    errors: dict[str, str] = {}
    if not form.name:
        errors[ids.PROGRAM_NAME] = "Give the cohort a name."
    elif len(form.name) > 120:
        errors[ids.PROGRAM_NAME] = "Keep the name under 120 characters."
    elif name_taken:
        errors[ids.PROGRAM_NAME] = "Another cohort already has this name."
    if form.signup_opens and form.signup_closes and form.signup_closes < form.signup_opens:
        errors[ids.PROGRAM_SIGNUP_CLOSES] = "Signup must close after it opens."
    if form.match_date and form.signup_closes and form.match_date < form.signup_closes:
        errors[ids.PROGRAM_MATCH_DATE] = "Match after signup closes."
    if form.start_date and form.match_date and form.start_date < form.match_date:
        errors[ids.PROGRAM_START_DATE] = "The program starts on or after the match date."
    if not 1 <= form.duration_months <= 24:
        errors[ids.PROGRAM_DURATION] = "Choose 1 to 24 months."
    if form.first_survey_days is None or not 7 <= form.first_survey_days <= 365:
        errors[ids.PROGRAM_FIRST_SURVEY] = "A whole number of days from 7 to 365."
    if form.survey_every_days is None or not 14 <= form.survey_every_days <= 365:
        errors[ids.PROGRAM_SURVEY_EVERY] = "A whole number of days from 14 to 365."
    if form.min_shared_hours is None or not 0 <= form.min_shared_hours <= 40:
        errors[ids.PROGRAM_MIN_HOURS] = "Hours per week from 0 to 40."
    if form.choice_response_days is None or not 1 <= form.choice_response_days <= 30:
        errors[ids.PROGRAM_CHOICE_DAYS] = "A whole number of days from 1 to 30."
    if form.choice_pick_days is None or not 1 <= form.choice_pick_days <= 30:
        errors[ids.PROGRAM_CHOICE_PICK_DAYS] = "A whole number of days from 1 to 30."
    if form.close_inactive_raw and (
        form.close_inactive_after_weeks is None or not 2 <= form.close_inactive_after_weeks <= 52
    ):
        errors[ids.PROGRAM_CLOSE_INACTIVE] = "A whole number of weeks from 2 to 52, or empty to never close pairs."
    known = set(default_weights())
    weights: dict[str, float] = {}
    for number, line in enumerate(form.weights_raw.splitlines(), start=1):
        if not line.strip():
            continue
        match = _WEIGHT_LINE.match(line.lower())
        if not match:
            errors[ids.PROGRAM_WEIGHTS] = f"Line {number}: write it as name = number, e.g. skills = 0.3"
            break
        name, value = match.group(1), float(match.group(2))
        if known and name not in known:
            errors[ids.PROGRAM_WEIGHTS] = f"Line {number}: {name!r} is not a weight; use {', '.join(sorted(known))}"
            break
        if value > 10:
            errors[ids.PROGRAM_WEIGHTS] = f"Line {number}: weights go from 0 to 10."
            break
        weights[name] = value
    if ids.PROGRAM_WEIGHTS not in errors and weights and sum(weights.values()) <= 0:
        errors[ids.PROGRAM_WEIGHTS] = "At least one weight must be above 0."
    form.weights = weights
    skills = [normalise_tag(s) for s in form.skills_raw.splitlines() if s.strip()]
    if any(len(s) > 60 for s in skills):
        errors[ids.PROGRAM_SKILLS] = "Keep each skill under 60 characters."
    elif len(skills) > 300:
        errors[ids.PROGRAM_SKILLS] = "At most 300 skills."
    form.skills = list(dict.fromkeys(s for s in skills if s))
    return errors


PAST_DATE_GRACE = timedelta(days=30)
PROGRAM_DATES = (
    ("signup_opens", ids.PROGRAM_SIGNUP_OPENS, "Signup opens"),
    ("signup_closes", ids.PROGRAM_SIGNUP_CLOSES, "Signup closes"),
    ("match_date", ids.PROGRAM_MATCH_DATE, "The match date"),
    ("start_date", ids.PROGRAM_START_DATE, "The start date"),
)


def past_dates(form: ProgramForm, *, today: date, before: CohortSettings | None = None) -> list[tuple[str, str, date]]:
    """Dates entered more than a month before ``today`` (a mistyped year, usually): (block id, label, date).

    A date the cohort already had is not asked about again, so editing a running cohort stays quiet.
    """
    found = []
    for name, block_id, label in PROGRAM_DATES:
        value = getattr(form, name)
        if value is None or value >= today - PAST_DATE_GRACE:
            continue
        if before is not None and getattr(before, name) == value:
            continue
        found.append((block_id, label, value))
    return found


def program_settings(form: ProgramForm) -> dict[str, Any]:
    """The cohort settings JSON a validated form stands for (CohortSettings keys plus ``skills_taxonomy``)."""
    values = {
        "signup_opens": form.signup_opens,
        "signup_closes": form.signup_closes,
        "match_date": form.match_date,
        "start_date": form.start_date,
        "duration_days": int(form.duration_months * 365 / 12),
        "checkin_cadence_days": form.checkin_cadence_days,
        "first_survey_days": form.first_survey_days,
        "survey_every_days": form.survey_every_days,
        "same_department_excluded": form.same_team_excluded,
        "min_shared_hours": form.min_shared_hours,
        "weights": {k: v for k, v in form.weights.items() if default_weights().get(k) != v},
        "announce_channel": form.announce_channel,
        "digest_channel": form.digest_channel,
        "digest_enabled": form.digest_enabled,
        "mentee_choice": form.mentee_choice,
        "choice_response_days": form.choice_response_days,
        "choice_pick_days": form.choice_pick_days,
        "choice_auto_match": form.choice_auto_match,
        "carry_over": form.carry_over,
        "auto_rematch": form.auto_rematch,
        "fill_freed_places": form.fill_freed_places,
        "close_inactive_after_weeks": form.close_inactive_after_weeks,
    }
    known = {f.name for f in fields(CohortSettings)}
    out = CohortSettings.from_json({k: v for k, v in values.items() if k in known}).to_json()
    out["skills_taxonomy"] = form.skills
    return out


def open_program_view(*, session: Session, team_id: str, name: str) -> dict[str, Any]:
    """The modal for ``/mentor program [name]``: edit the named cohort, else create a new one."""
    cohort = coordination.find_cohort_by_name(session=session, team_id=team_id, name=name) if name else None
    settings = settings_of(cohort)
    skills = (cohort.settings or {}).get("skills_taxonomy") or [] if cohort else []
    return views.program_modal(
        cohort_id=cohort.id if cohort else None,
        name=cohort.name if cohort else name,
        settings=settings,
        weights_text=weights_text(settings),
        skills=skills,
    )


def settings_changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """What a program save changed, for the audit log: each weight (old -> new), the taxonomy's added and removed
    skills, and the other settings that moved."""
    changes: dict[str, Any] = {}
    old_weights = {**default_weights(), **{k: float(v) for k, v in (before.get("weights") or {}).items()}}
    new_weights = {**default_weights(), **{k: float(v) for k, v in (after.get("weights") or {}).items()}}
    weights = {k: [old_weights.get(k), new_weights.get(k)] for k in new_weights if old_weights.get(k) != new_weights[k]}
    if weights:
        changes["weights"] = weights
    old_skills = list(before.get("skills_taxonomy") or [])
    new_skills = list(after.get("skills_taxonomy") or [])
    if old_skills != new_skills:
        changes["taxonomy"] = {
            "added": [s for s in new_skills if s not in old_skills][:50],
            "removed": [s for s in old_skills if s not in new_skills][:50],
            "skills": len(new_skills),
        }
    others = {
        k: [before.get(k), after.get(k)]
        for k in after
        if k not in ("weights", "skills_taxonomy") and k in before and before.get(k) != after.get(k)
    }
    if others:
        changes["settings"] = others
    return changes


def save_program(
    *, session: Session, team_id: str, actor: str, cohort_id: int | None, form: ProgramForm, now: datetime
) -> tuple[Cohort, bool]:
    """Store a cohort from a validated form, audited (with the weights and taxonomy it changed); schedules its
    digest and pre-match notice."""
    settings = program_settings(form)
    existing = coordination.get_cohort(session=session, team_id=team_id, cohort_id=cohort_id) if cohort_id else None
    before = dict(existing.settings or {}) if existing is not None else {}
    cohort, created = coordination.save_cohort(
        session=session, team_id=team_id, cohort_id=cohort_id, name=form.name, settings=settings, now=now
    )
    detail: dict[str, Any] = {
        "name": cohort.name,
        "match_date": settings.get("match_date"),
        "digest": form.digest_enabled,
    }
    detail.update(settings_changes(before, settings) if not created else {})
    if created and (settings.get("weights") or settings.get("skills_taxonomy")):
        detail.update(settings_changes({}, settings))
    coordination.record_audit(
        session=session,
        team_id=team_id,
        actor=actor,
        action="cohort.create" if created else "cohort.update",
        target=f"cohort:{cohort.id}",
        detail=detail,
        now=now,
        commit=False,
    )
    schedule_cohort_prompts(session=session, cohort=cohort, now=now)
    session.commit()
    return cohort, created


def announce_signup(*, client: WebClient, cohort: Cohort) -> bool:
    """Post the signup announcement with a Join button to the cohort's announce channel (if it has one)."""
    settings = settings_of(cohort)
    if not settings.announce_channel or cohort.id is None:
        return False
    message = views.signup_announcement(cohort_name=cohort.name, cohort_id=cohort.id, closes=settings.signup_closes)
    client.chat_postMessage(channel=settings.announce_channel, **message)
    return True


# ---------------------------------------------------------------------- outbox: pre-match notices and digest


def _match_moment(day: date) -> datetime:
    return datetime.combine(day, time(9, 0), tzinfo=UTC)


def next_digest_time(now: datetime) -> datetime:
    """Next Monday 09:00 UTC strictly after ``now``."""
    days = (7 - now.weekday()) % 7
    candidate = datetime.combine(now.date() + timedelta(days=days), time(9, 0), tzinfo=UTC)
    return candidate if candidate > now else candidate + timedelta(days=7)


def schedule_cohort_prompts(*, session: Session, cohort: Cohort, now: datetime) -> None:
    """Schedule (idempotently) the cohort's pre-match notice and, when enabled, the weekly digest."""
    try:
        from bot import outbox
    except ImportError:  # pragma: no cover - the outbox ships with the app
        return
    settings = settings_of(cohort)
    if settings.match_date and _match_moment(settings.match_date) > now:
        outbox.schedule_prompt(
            session=session,
            team_id=cohort.team_id,
            key=f"match_round:{cohort.id}:{settings.match_date.isoformat()}",
            kind=PromptKind.MATCH_ROUND,
            due_at=_match_moment(settings.match_date),
            payload={"cohort_id": cohort.id, "match_date": settings.match_date.isoformat()},
            reschedule=True,
        )
        due = max(now, _match_moment(settings.match_date) - timedelta(hours=24))
        outbox.schedule_prompt(
            session=session,
            team_id=cohort.team_id,
            key=f"prematch:{cohort.id}:{settings.match_date.isoformat()}",
            kind=PREMATCH_ROUND_KIND,
            due_at=due,
            payload={"cohort_id": cohort.id, "match_date": settings.match_date.isoformat()},
            reschedule=True,
        )
    if settings.digest_enabled:
        due = next_digest_time(now)
        outbox.schedule_prompt(
            session=session,
            team_id=cohort.team_id,
            key=f"digest:{due:%Y-%m-%d}",
            kind=DIGEST_KIND,
            due_at=due,
            payload={},
        )


def _render_prematch_round(services: Services, session: Session, prompt: ScheduledPrompt, now: datetime) -> None:
    """At T-24h: one notice per person in the pool, each its own outbox row (sent once, retried alone)."""
    from bot import outbox

    payload = prompt.payload or {}
    cohort = coordination.get_cohort(session=session, team_id=prompt.team_id, cohort_id=int(payload["cohort_id"]))
    if cohort is None or cohort.id is None:
        return None
    settings = settings_of(cohort)
    if settings.match_date is None or settings.match_date.isoformat() != payload.get("match_date"):
        return None  # the match date moved: the new date has its own prompt
    for user_id in coordination.pool_user_ids(session=session, team_id=cohort.team_id, cohort_id=cohort.id):
        outbox.schedule_prompt(
            session=session,
            team_id=cohort.team_id,
            key=f"prematch:{cohort.id}:{payload['match_date']}:{user_id}",
            kind=PREMATCH_NOTICE_KIND,
            due_at=now,
            recipient_user_id=user_id,
            payload=payload,
        )
    return None


def _render_prematch_notice(services: Services, session: Session, prompt: ScheduledPrompt, now: datetime) -> Any:
    from bot.outbox import Outgoing

    payload = prompt.payload or {}
    cohort = coordination.get_cohort(session=session, team_id=prompt.team_id, cohort_id=int(payload["cohort_id"]))
    if cohort is None or cohort.id is None or not prompt.recipient_user_id:
        return None
    message = views.prematch_notice(
        cohort_name=cohort.name, cohort_id=cohort.id, match_date=date.fromisoformat(payload["match_date"])
    )
    return Outgoing(channel=prompt.recipient_user_id, text=message["text"], blocks=message["blocks"])


def _render_match_round(services: Services, session: Session, prompt: ScheduledPrompt, now: datetime) -> Any:
    """On the match date the round runs by itself; its preview lands with each coordinator, who still publishes.

    The round is started and planned by the same code as ``/mentor match`` (in a mentee-choice cohort the
    shortlists go out); its messages are posted by that code, so nothing is left for the outbox to send.
    """
    from bot import round_runner

    payload = prompt.payload or {}
    cohort = coordination.get_cohort(session=session, team_id=prompt.team_id, cohort_id=int(payload["cohort_id"]))
    if cohort is None or cohort.id is None:
        return None
    settings = settings_of(cohort)
    if settings.match_date is None or settings.match_date.isoformat() != payload.get("match_date"):
        return None  # the match date moved: the new date has its own prompt
    session.rollback()  # end this session's read before the round writes in its own sessions (SQLite: one writer)
    round_runner.begin_round(
        services,
        services.client_for(prompt.team_id),
        team_id=prompt.team_id,
        cohort_id=int(payload["cohort_id"]),
        actor=round_runner.SCHEDULE,
    )
    return None


def _render_digest(services: Services, session: Session, prompt: ScheduledPrompt, now: datetime) -> Any:
    from bot.outbox import Outgoing

    digests = build_weekly_digest(session=session, team_id=prompt.team_id, now=now)
    return [Outgoing(channel=d.channel, text=d.message["text"], blocks=d.message["blocks"]) for d in digests] or None


def _after_digest(services: Services, session: Session, prompt: ScheduledPrompt, now: datetime) -> None:
    from bot import outbox

    due = next_digest_time(now)
    outbox.schedule_prompt(
        session=session, team_id=prompt.team_id, key=f"digest:{due:%Y-%m-%d}", kind=DIGEST_KIND, due_at=due
    )


def register_prompt_kinds() -> None:
    """Register the coordinator prompt kinds with the outbox (``weekly_digest`` and the pre-match notices)."""
    from bot.outbox import register_prompt_kind

    register_prompt_kind(DIGEST_KIND, _render_digest, after_send=_after_digest)
    register_prompt_kind(PREMATCH_ROUND_KIND, _render_prematch_round)
    register_prompt_kind(PromptKind.MATCH_ROUND, _render_match_round)
    register_prompt_kind(PREMATCH_NOTICE_KIND, _render_prematch_notice)


def skip_round(*, session: Session, team_id: str, user_id: str, value: str, now: datetime) -> str:
    """Someone clicked "Skip this round" (value ``cohort_id:YYYY-MM-DD``); returns what to tell them."""
    cohort_text, _, day = value.partition(":")
    cohort_id = _int(cohort_text)
    match_date = _date(day)
    cohort = coordination.get_cohort(session=session, team_id=team_id, cohort_id=cohort_id) if cohort_id else None
    if cohort is None or match_date is None:
        return "That round no longer exists, so there's nothing to skip."
    if _match_moment(match_date) <= now:
        return "That round has already run."
    coordination.add_round_skip(
        session=session, team_id=team_id, cohort_id=cohort_id or 0, match_date=match_date.isoformat(), user_id=user_id
    )
    return (
        f":ok_hand: You're sitting out the {match_date:%d %B} round of {escape(cohort.name)}. "
        "You stay in the program and will be in the next round."
    )


# ---------------------------------------------------------------------- at-risk pairs and actions


def quiet_side(pair: Pair, journey: PairJourney | None) -> str:
    """Which partner went quiet, from the last time each one clicked or answered."""
    if journey is None:
        return "no activity recorded yet"
    last = journey.last_active or {}
    mentee, mentor = last.get(pair.mentee_user_id), last.get(pair.mentor_user_id)
    if mentee and not mentor:
        return "the mentor went quiet"
    if mentor and not mentee:
        return "the mentee went quiet"
    if not mentor and not mentee:
        return "both went quiet"
    if mentee == mentor:
        return "both went quiet"
    return "the mentor went quiet" if str(mentor) < str(mentee) else "the mentee went quiet"


def at_risk_list(*, session: Session, team_id: str, cohort_id: int | None = None) -> list[tuple[Pair, str]]:
    """At-risk pairs with the side that went quiet."""
    rows = stats.at_risk_pairs(session=session, team_id=team_id, cohort_id=cohort_id)
    return [(pair, quiet_side(pair, journey)) for pair, journey in rows]


# ---------------------------------------------------------------------- export


def cohort_reflections(*, session: Session, team_id: str, cohort_id: int | None) -> list[dict[str, Any]]:
    """A cohort's closing reflections for coordinators (what people achieved and learned, by pair and role)."""
    return stats.reflections(session=session, team_id=team_id, cohort_id=cohort_id)


def _cell(value: Any) -> Any:
    if isinstance(value, float):
        return f"{value:.2f}"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d")
    return "" if value is None else value


def export_csv(*, session: Session, team_id: str, cohort_id: int | None, with_comments: bool) -> bytes:
    """The coordinator's CSV: one row per pair (no answer text); then the unmatched people (the waiting list, with
    why) and the closing reflections, each a titled section; with comments, the free-text survey answers with
    nothing that says who wrote them or about which pair."""
    rows = stats.export_rows(session=session, team_id=team_id, cohort_id=cohort_id)
    out = io.StringIO()
    columns = list(rows[0]) if rows else ["pair_id"]
    writer = csv_safety.writer(out)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row[c]) for c in columns])
    waiting = stats.waiting(session=session, team_id=team_id, cohort_id=cohort_id)
    reasons = coordination.unmatched_reasons(
        session=session, team_id=team_id, user_ids=[*waiting["mentees"], *waiting["mentors"]]
    )
    writer.writerow([])
    writer.writerow([EXPORT_UNMATCHED])
    writer.writerow(["user", "waiting for", "why"])
    for side, wants in (("mentees", "a mentor"), ("mentors", "a mentee")):
        for user_id in waiting[side]:
            writer.writerow([user_id, wants, reasons.get(user_id, "")])
    writer.writerow([])
    writer.writerow([EXPORT_REFLECTIONS])
    writer.writerow(["pair_id", "role", "achieved", "learned"])
    for reflection in stats.reflections(session=session, team_id=team_id, cohort_id=cohort_id):
        writer.writerow([reflection[k] for k in ("pair_id", "role", "achieved", "learned")])
    if with_comments:
        writer.writerow([])
        writer.writerow(["survey", "question", "comment (author and pair removed)"])
        for kind, question, text in stats.free_text_answers(session=session, team_id=team_id, cohort_id=cohort_id):
            writer.writerow([kind, question, text])
    return out.getvalue().encode("utf-8")


def audit_csv(*, session: Session, team_id: str, person: str | None = None, action: str | None = None) -> bytes:
    """The audit log (optionally about one person, or one action) as CSV: when, who, what, the people named, a
    summary in words, the reason, and the raw detail."""
    out = io.StringIO()
    writer = csv_safety.writer(out)
    writer.writerow(["when_utc", "actor", "action", "target", "people", "summary", "reason", "detail"])
    for entry in coordination.all_audit(session=session, team_id=team_id, person=person, action=action):
        detail = entry.detail or {}
        named = sorted(set(re.findall(r"\b[UW][A-Z0-9]{6,}\b", json.dumps(detail))))
        summary = re.sub(r"[*_]", "", views.describe_audit(entry.action, entry.target, detail))
        writer.writerow(
            [
                f"{entry.created_at:%Y-%m-%d %H:%M:%S}",
                entry.actor,
                entry.action,
                entry.target,
                " ".join(named),
                summary,
                entry.reason,
                json.dumps(detail, ensure_ascii=False, sort_keys=True),
            ]
        )
    return out.getvalue().encode("utf-8")


# ---------------------------------------------------------------------- digest and home


@dataclass(frozen=True)
class Digest:
    """One cohort's weekly digest and where it goes."""

    cohort_id: int
    channel: str
    message: dict[str, Any]


def build_weekly_digest(*, session: Session, team_id: str, now: datetime) -> list[Digest]:
    """The weekly digest of every cohort that opted in (``digest_enabled`` with a ``digest_channel``)."""
    out: list[Digest] = []
    since = now - timedelta(days=7)
    for cohort in coordination.list_cohorts(session=session, team_id=team_id):
        settings = settings_of(cohort)
        if not settings.digest_enabled or not settings.digest_channel or cohort.id is None:
            continue
        scope = {"session": session, "team_id": team_id, "cohort_id": cohort.id}
        message = views.digest_message(
            cohort_name=cohort.name,
            signups=stats.signups_since(**scope, since=since),
            matches=stats.pairs_made_since(**scope, since=since),
            at_risk=at_risk_list(session=session, team_id=team_id, cohort_id=cohort.id),
            flags=stats.flagged_answers_since(**scope, since=since),
            closures=stats.closures_between(**scope, start=now, end=now + timedelta(days=14)),
        )
        out.append(Digest(cohort_id=cohort.id, channel=settings.digest_channel, message=message))
    return out


def coordinator_home_blocks(*, session: Session, team_id: str, now: datetime) -> list[dict[str, Any]]:
    """The coordinator's App Home section: the cohort that has people (a new empty cohort does not take over), the
    other open cohorts named, at-risk pairs, and every pending preview one click away."""
    from bot.cohorts import open_cohorts, pick_reporting_cohort
    from storage import rounds

    cohorts = open_cohorts(session=session, team_id=team_id)
    cohort = pick_reporting_cohort(session=session, team_id=team_id, cohorts=cohorts)  # nothing created by looking
    figures = compute_stats(
        session=session,
        team_id=team_id,
        cohort_id=cohort.id if cohort else None,
        now=now,
        cohort_name=cohort.name if cohort else "All cohorts",
    )
    previews = rounds.pending_previews(session=session, team_id=team_id)
    names = {
        int(c.id): c.name
        for c in coordination.list_cohorts(session=session, team_id=team_id, include_closed=True)
        if c.id
    }
    others = [c.name for c in cohorts if cohort is None or c.id != cohort.id]
    return views.home_section(
        figures, at_risk_list(session=session, team_id=team_id), previews, cohort_names=names, other_cohorts=others
    )
