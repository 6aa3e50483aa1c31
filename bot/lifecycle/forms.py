"""Parsing and validating the journey's modals: goals, meeting log, survey, reflection, pause.

Pure functions over Slack's ``view.state.values``; validators return ``{block_id: message}`` for inline errors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from bot import ids
from storage.vocab import Cadence, GoalProgress

MAX_GOALS = 3
MAX_TITLE = 150
MAX_MEASURE = 300
MAX_LONG = 1000
MAX_NOTES = 3000
MAX_TOPICS = 500
CADENCES = tuple(Cadence)
CHANNELS = ("video", "in_person", "chat")
PROGRESS = tuple(GoalProgress)
DURATIONS = (15, 30, 45, 60, 90, 120)


def _state(values: dict[str, Any], block_id: str) -> dict[str, Any]:
    return (values.get(block_id) or {}).get(ids.INPUT) or {}


def _text(values: dict[str, Any], block_id: str) -> str:
    return str(_state(values, block_id).get("value") or "").strip()


def _choice(values: dict[str, Any], block_id: str) -> str:
    chosen = _state(values, block_id).get("selected_option") or {}
    return str(chosen.get("value") or "")


def _date(values: dict[str, Any], block_id: str) -> date | None:
    raw = _state(values, block_id).get("selected_date")
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


@dataclass
class GoalItem:
    title: str
    measure: str
    target_date: date | None = None
    progress: str = GoalProgress.NONE

    def to_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "measure": self.measure,
            "target_date": self.target_date.isoformat() if self.target_date else "",
            "progress": self.progress,
        }


@dataclass
class GoalsForm:
    goals: list[GoalItem] = field(default_factory=list)
    raw_goals: list[tuple[str, str, date | None]] = field(default_factory=list)
    growth_areas: str = ""
    outcomes: str = ""
    cadence: str = ""
    channel: str = ""
    mentor_commits: str = ""
    mentee_commits: str = ""
    duration_minutes: int = 0  # the agreed meeting length (0: not said; proposed times use the format's usual)


def parse_goals(values: dict[str, Any]) -> GoalsForm:
    """The goals modal's answers (blank goal rows are dropped)."""
    form = GoalsForm(
        growth_areas=_text(values, ids.GOALS_GROWTH),
        outcomes=_text(values, ids.GOALS_OUTCOMES),
        cadence=_choice(values, ids.GOALS_CADENCE),
        channel=_choice(values, ids.GOALS_CHANNEL),
        mentor_commits=_text(values, ids.GOALS_MENTOR_COMMITS),
        mentee_commits=_text(values, ids.GOALS_MENTEE_COMMITS),
    )
    length = _choice(values, ids.GOALS_DURATION)
    form.duration_minutes = int(length) if length.isdigit() and int(length) in DURATIONS else 0
    for n in range(1, MAX_GOALS + 1):
        title = _text(values, ids.GOAL_TITLE.format(n=n))
        measure = _text(values, ids.GOAL_MEASURE.format(n=n))
        target = _date(values, ids.GOAL_TARGET.format(n=n))
        form.raw_goals.append((title, measure, target))
        if title or measure or target:
            form.goals.append(GoalItem(title, measure, target))
    return form


def validate_goals(form: GoalsForm, *, today: date) -> dict[str, str]:
    """Inline errors for the goals modal; empty when it can be stored."""
    errors: dict[str, str] = {}
    for n, (title, measure, target) in enumerate(form.raw_goals, start=1):
        if not (title or measure or target):
            if n == 1:
                errors[ids.GOAL_TITLE.format(n=1)] = "Add at least one goal."
            continue
        if not title:
            errors[ids.GOAL_TITLE.format(n=n)] = "Give this goal a short title."
        elif len(title) > MAX_TITLE:
            errors[ids.GOAL_TITLE.format(n=n)] = f"Keep the title under {MAX_TITLE} characters."
        if not measure:
            errors[ids.GOAL_MEASURE.format(n=n)] = "How will you know it's done? Add a success measure."
        elif len(measure) > MAX_MEASURE:
            errors[ids.GOAL_MEASURE.format(n=n)] = f"Keep the measure under {MAX_MEASURE} characters."
        if target is not None and target < today:
            errors[ids.GOAL_TARGET.format(n=n)] = "The target date is in the past."
    for block_id, value in (
        (ids.GOALS_GROWTH, form.growth_areas),
        (ids.GOALS_OUTCOMES, form.outcomes),
        (ids.GOALS_MENTOR_COMMITS, form.mentor_commits),
        (ids.GOALS_MENTEE_COMMITS, form.mentee_commits),
    ):
        if len(value) > MAX_LONG:
            errors[block_id] = f"Keep this under {MAX_LONG:,} characters."
    if form.cadence not in CADENCES:
        errors[ids.GOALS_CADENCE] = "Choose how often you'll meet."
    if form.channel not in CHANNELS:
        errors[ids.GOALS_CHANNEL] = "Choose how you'll meet."
    return errors


@dataclass
class MeetingForm:
    met_on: date | None
    duration: int
    topics: str
    notes: str
    progress: dict[str, str]


def parse_meeting(values: dict[str, Any]) -> MeetingForm:
    """The meeting log's answers; ``progress`` maps goal index ("0".."2") to none|some|done."""
    raw = _choice(values, ids.MEETING_DURATION)
    progress = {}
    for n in range(MAX_GOALS):
        chosen = _choice(values, ids.MEETING_PROGRESS.format(n=n))
        if chosen:
            progress[str(n)] = chosen
    return MeetingForm(
        met_on=_date(values, ids.MEETING_DATE),
        duration=int(raw) if raw.isdigit() else 0,
        topics=_text(values, ids.MEETING_TOPICS),
        notes=_text(values, ids.MEETING_NOTES),
        progress=progress,
    )


def validate_meeting(form: MeetingForm, *, today: date, started: date) -> dict[str, str]:
    """Inline errors for the meeting log: a real date since the pair started, a known duration, short text."""
    errors: dict[str, str] = {}
    if form.met_on is None:
        errors[ids.MEETING_DATE] = "When did you meet?"
    elif form.met_on > today:
        errors[ids.MEETING_DATE] = "That's in the future: log a meeting once it has happened."
    elif form.met_on < started:
        errors[ids.MEETING_DATE] = "That's before you were matched."
    if form.duration not in DURATIONS:
        errors[ids.MEETING_DURATION] = "Choose how long you met."
    if len(form.topics) > MAX_TOPICS:
        errors[ids.MEETING_TOPICS] = f"Keep topics under {MAX_TOPICS} characters."
    if len(form.notes) > MAX_NOTES:
        errors[ids.MEETING_NOTES] = f"Keep notes under {MAX_NOTES:,} characters."
    for key, value in form.progress.items():
        if value not in PROGRESS:
            errors[ids.MEETING_PROGRESS.format(n=key)] = "Choose none, some or done."
    return errors


@dataclass
class SurveyForm:
    satisfaction: int | None
    recommend: int | None
    free: str


def parse_survey(values: dict[str, Any]) -> SurveyForm:
    """The survey's answers."""
    sat, rec = _choice(values, ids.SURVEY_SATISFACTION), _choice(values, ids.SURVEY_RECOMMEND)
    return SurveyForm(
        satisfaction=int(sat) if sat.isdigit() else None,
        recommend=int(rec) if rec.isdigit() else None,
        free=_text(values, ids.SURVEY_FREE),
    )


def validate_survey(form: SurveyForm) -> dict[str, str]:
    """Satisfaction 1-5 and would-recommend 0-10 are required."""
    errors: dict[str, str] = {}
    if form.satisfaction is None or not 1 <= form.satisfaction <= 5:
        errors[ids.SURVEY_SATISFACTION] = "Choose 1 to 5."
    if form.recommend is None or not 0 <= form.recommend <= 10:
        errors[ids.SURVEY_RECOMMEND] = "Choose 0 to 10."
    if len(form.free) > MAX_LONG:
        errors[ids.SURVEY_FREE] = f"Keep this under {MAX_LONG:,} characters."
    return errors


@dataclass
class ReflectionForm:
    achieved: str
    learned: str
    thanks: str


def parse_reflection(values: dict[str, Any]) -> ReflectionForm:
    """The closing reflection's answers."""
    return ReflectionForm(
        achieved=_text(values, ids.REFLECT_ACHIEVED),
        learned=_text(values, ids.REFLECT_LEARNED),
        thanks=_text(values, ids.REFLECT_THANKS),
    )


def validate_reflection(form: ReflectionForm) -> dict[str, str]:
    """What you achieved is required; every answer is at most 2,000 characters."""
    errors: dict[str, str] = {}
    if not form.achieved:
        errors[ids.REFLECT_ACHIEVED] = "A sentence or two is plenty."
    for block_id, value in (
        (ids.REFLECT_ACHIEVED, form.achieved),
        (ids.REFLECT_LEARNED, form.learned),
        (ids.REFLECT_THANKS, form.thanks),
    ):
        if len(value) > 2000:
            errors[block_id] = "Keep this under 2,000 characters."
    return errors


def parse_pause(values: dict[str, Any]) -> date | None:
    """The optional resume date of the pause modal."""
    return _date(values, ids.PAUSE_UNTIL)


def validate_pause(until: date | None, *, today: date) -> dict[str, str]:
    """A resume date, when given, is after today and within a year."""
    if until is None:
        return {}
    if until <= today:
        return {ids.PAUSE_UNTIL: "Pick a day after today (or leave it empty)."}
    if (until - today).days > 366:
        return {ids.PAUSE_UNTIL: "Pick a day within a year."}
    return {}


def parse_concern(values: dict[str, Any]) -> str:
    """The optional free text of "Something's not right"."""
    return _text(values, ids.CONCERN_TEXT)[:MAX_LONG]
