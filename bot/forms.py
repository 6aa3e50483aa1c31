"""Parsing and validation of modal submissions: Slack ``state.values`` in, plain data out.

``parse_*`` never raises on odd input (missing blocks, wrong types): it produces a form whose
validation then reports what is wrong, block by block, for ``response_action="errors"``.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from bot import ids
from bot.profiles import (
    COMMUNICATION_STYLES,
    MEETING_FORMATS,
    PERSONALITIES,
    SENIORITY_LEVELS,
    TIME_WINDOWS,
    WEEKDAYS,
    Role,
    normalise_tag,
    split_free_text,
)
from bot.taxonomy import Taxonomy
from bot.timezones import is_zone

MAX_FREE_TEXT = 300  # "other skills" style answers
MAX_BIO = 500
MAX_TAG = 60
MAX_TAGS = 15
MIN_CAPACITY, MAX_CAPACITY = 1, 5


def _element(values: Mapping[str, Any], block_id: str) -> Mapping[str, Any]:
    block = values.get(block_id)
    if not isinstance(block, Mapping):
        return {}
    element = block.get(ids.INPUT)
    if isinstance(element, Mapping):
        return element
    # tolerate another action_id inside the block
    for candidate in block.values():
        if isinstance(candidate, Mapping):
            return candidate
    return {}


def text_value(values: Mapping[str, Any], block_id: str) -> str:
    """The raw text of a plain_text_input / number_input / timepicker / datepicker, '' when empty."""
    element = _element(values, block_id)
    for key in ("value", "selected_time", "selected_date"):
        raw = element.get(key)
        if isinstance(raw, str):
            return raw
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            return str(raw)
    return ""


def selected_value(values: Mapping[str, Any], block_id: str) -> str:
    """The value of a static_select / radio_buttons choice, '' when nothing is chosen."""
    option = _element(values, block_id).get("selected_option")
    if isinstance(option, Mapping) and isinstance(option.get("value"), str):
        return option["value"]
    return ""


def selected_values(values: Mapping[str, Any], block_id: str) -> list[str]:
    """The values of a multi_static_select / checkboxes, in Slack's order."""
    options = _element(values, block_id).get("selected_options")
    if not isinstance(options, list):
        return []
    return [o["value"] for o in options if isinstance(o, Mapping) and isinstance(o.get("value"), str)]


@dataclass(frozen=True)
class SignupForm:
    """A signup answer as submitted (not yet validated)."""

    role: str
    skills_offered: tuple[str, ...]
    skills_offered_other: str
    skills_wanted: tuple[str, ...]
    skills_wanted_other: str
    interests: tuple[str, ...]
    career_goals: tuple[str, ...]
    department: str
    industry: str
    seniority: str
    communication_style: str
    personality: str
    timezone: str
    days: tuple[str, ...]
    time_slots: tuple[str, ...]
    meeting_format: str
    capacity_text: str
    languages: tuple[str, ...]
    bio: str

    @property
    def capacity(self) -> int:
        """Mentor capacity; mentees have none, so 1 keeps the column simple."""
        try:
            return int(self.capacity_text.strip()) if self.capacity_text.strip() else 1
        except ValueError:
            return 0

    def all_skills_offered(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys((*self.skills_offered, *split_free_text(self.skills_offered_other))))

    def all_skills_wanted(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys((*self.skills_wanted, *split_free_text(self.skills_wanted_other))))

    def profile_fields(self) -> dict[str, Any]:
        """The columns of the stored profile (validated forms only)."""
        is_mentor = self.role in (Role.MENTOR, Role.BOTH)
        return {
            "skills_offered": list(self.all_skills_offered()),
            "skills_wanted": list(self.all_skills_wanted()),
            "interests": list(self.interests),
            "career_goals": list(self.career_goals),
            "department": self.department,
            "industry": self.industry,
            "seniority": self.seniority,
            "communication_style": self.communication_style,
            "personality": self.personality,
            "days": list(self.days),
            "time_slots": list(self.time_slots),
            "meeting_format": self.meeting_format,
            "capacity": self.capacity if is_mentor else 0,
            "languages": list(self.languages),
            "bio": self.bio.strip(),
        }


def parse_signup(values: Mapping[str, Any]) -> SignupForm:
    """Read the signup modal's ``view.state.values``."""
    if not isinstance(values, Mapping):
        values = {}
    return SignupForm(
        role=selected_value(values, ids.ROLE),
        skills_offered=tuple(normalise_tag(v) for v in selected_values(values, ids.SKILLS_OFFERED)),
        skills_offered_other=text_value(values, ids.SKILLS_OFFERED_OTHER),
        skills_wanted=tuple(normalise_tag(v) for v in selected_values(values, ids.SKILLS_WANTED)),
        skills_wanted_other=text_value(values, ids.SKILLS_WANTED_OTHER),
        interests=tuple(normalise_tag(v) for v in selected_values(values, ids.INTERESTS)),
        career_goals=tuple(normalise_tag(v) for v in selected_values(values, ids.CAREER_GOALS)),
        department=selected_value(values, ids.DEPARTMENT),
        industry=selected_value(values, ids.INDUSTRY),
        seniority=selected_value(values, ids.SENIORITY),
        communication_style=selected_value(values, ids.COMMUNICATION),
        personality=selected_value(values, ids.PERSONALITY),
        timezone=(selected_value(values, ids.TIMEZONE) or text_value(values, ids.TIMEZONE)).strip(),
        days=tuple(selected_values(values, ids.DAYS)),
        time_slots=tuple(selected_values(values, ids.TIME_SLOTS)),
        meeting_format=selected_value(values, ids.MEETING_FORMAT),
        capacity_text=text_value(values, ids.CAPACITY),
        languages=tuple(normalise_tag(v) for v in selected_values(values, ids.LANGUAGES)),
        bio=text_value(values, ids.BIO),
    )


def _valid_timezone(name: str) -> bool:
    return is_zone(name)


def validate_signup(form: SignupForm, taxonomy: Taxonomy, *, locked: Collection[str] = ()) -> dict[str, str]:
    """Inline errors by block_id; empty when the form is valid.

    ``locked``: fields an HR import set (department, industry, seniority), shown but not asked in the modal.
    """
    errors: dict[str, str] = {}
    known_skills = set(taxonomy.skills)

    def check_choice(block_id: str, value: str, allowed: tuple[str, ...] | set[str], what: str) -> None:
        if not value:
            errors[block_id] = f"Please choose {what}."
        elif value not in allowed:
            errors[block_id] = f"That is not one of the {what} options; please pick again."

    def check_tags(block_id: str, tags: tuple[str, ...], allowed: set[str] | tuple[str, ...], what: str) -> None:
        if len(tags) > MAX_TAGS:
            errors[block_id] = f"Pick at most {MAX_TAGS} {what}."
        elif any(tag not in allowed for tag in tags):
            errors[block_id] = f"Some {what} are not in the program's list; please pick again."

    def check_text(block_id: str, text: str, limit: int) -> None:
        if len(text) > limit:
            errors[block_id] = f"Please keep this under {limit} characters (it has {len(text):,})."
        elif any(len(tag) > MAX_TAG for tag in split_free_text(text)):
            errors[block_id] = f"Each item should be under {MAX_TAG} characters; separate items with commas."

    check_choice(ids.ROLE, form.role, tuple(r.value for r in Role), "a role")
    check_tags(ids.SKILLS_OFFERED, form.skills_offered, known_skills, "skills")
    check_tags(ids.SKILLS_WANTED, form.skills_wanted, known_skills, "skills")
    check_text(ids.SKILLS_OFFERED_OTHER, form.skills_offered_other, MAX_FREE_TEXT)
    check_text(ids.SKILLS_WANTED_OTHER, form.skills_wanted_other, MAX_FREE_TEXT)
    check_tags(ids.INTERESTS, form.interests, taxonomy.interests, "interests")
    check_tags(ids.CAREER_GOALS, form.career_goals, tuple(taxonomy.career_goals), "career goals")
    check_tags(ids.LANGUAGES, form.languages, taxonomy.languages, "languages")
    if not form.languages and ids.LANGUAGES not in errors:
        errors[ids.LANGUAGES] = "Pick at least one language you can be mentored in."
    if "department" not in locked:
        check_choice(ids.DEPARTMENT, form.department, taxonomy.departments, "a department")
    if "industry" not in locked:
        check_choice(ids.INDUSTRY, form.industry, taxonomy.industries, "an industry")
    if "seniority" not in locked:
        check_choice(ids.SENIORITY, form.seniority, SENIORITY_LEVELS, "a seniority level")
    if form.communication_style:
        check_choice(ids.COMMUNICATION, form.communication_style, COMMUNICATION_STYLES, "communication style")
    if form.personality:
        check_choice(ids.PERSONALITY, form.personality, PERSONALITIES, "personality")
    check_choice(ids.MEETING_FORMAT, form.meeting_format, MEETING_FORMATS, "a meeting format")
    if not _valid_timezone(form.timezone):
        errors[ids.TIMEZONE] = "That timezone isn't one I know: type a city (Berlin) or a zone and pick it."
    if not form.days:
        errors[ids.DAYS] = "Pick at least one day you could meet."
    elif any(day not in WEEKDAYS for day in form.days):
        errors[ids.DAYS] = "Some days are not recognised; please pick again."
    if not form.time_slots:
        errors[ids.TIME_SLOTS] = "Pick at least one time of day you could meet."
    elif any(slot not in TIME_WINDOWS for slot in form.time_slots):
        errors[ids.TIME_SLOTS] = "Some times are not recognised; please pick again."
    check_text(ids.BIO, form.bio, MAX_BIO)

    is_mentor = form.role in (Role.MENTOR, Role.BOTH)
    is_mentee = form.role in (Role.MENTEE, Role.BOTH)
    if is_mentor:
        if not form.all_skills_offered() and ids.SKILLS_OFFERED not in errors:
            errors[ids.SKILLS_OFFERED] = "As a mentor, pick at least one skill you can help with."
        text = form.capacity_text.strip()
        if not text:
            errors[ids.CAPACITY] = f"As a mentor, say how many mentees you can take ({MIN_CAPACITY} to {MAX_CAPACITY})."
        elif not text.lstrip("-").isdigit() or not MIN_CAPACITY <= int(text) <= MAX_CAPACITY:
            errors[ids.CAPACITY] = f"Capacity must be a whole number from {MIN_CAPACITY} to {MAX_CAPACITY}."
    elif form.capacity_text.strip() and len(form.capacity_text) > 3:
        errors[ids.CAPACITY] = f"Capacity must be a whole number from {MIN_CAPACITY} to {MAX_CAPACITY}."
    if is_mentee and not form.all_skills_wanted() and not form.career_goals and ids.SKILLS_WANTED not in errors:
        errors[ids.SKILLS_WANTED] = "As a mentee, pick at least one skill or career goal you want to grow."
    return errors
