"""How a simulated person fills in the app's modals: Slack ``state.values`` built from a profile."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from bot import ids
from bot.profiles import Profile
from bot.taxonomy import default_taxonomy
from bot.views.blocks import label


def _find_option(view: dict[str, Any], block_id: str, value: str) -> dict[str, Any]:
    """The option object as the modal offered it (Slack echoes the whole option back)."""
    for block in view.get("blocks", []):
        if block.get("block_id") != block_id:
            continue
        element = block.get("element") or {}
        pool = list(element.get("options") or [])
        for group in element.get("option_groups") or []:
            pool += group.get("options") or []
        for option in pool:
            if option.get("value") == value:
                return option
    return {"text": {"type": "plain_text", "text": label(value)}, "value": value}


def _action_id(view: dict[str, Any], block_id: str) -> str:
    for block in view.get("blocks", []):
        if block.get("block_id") == block_id:
            return str((block.get("element") or {}).get("action_id", ids.INPUT))
    return ids.INPUT


def _element_type(view: dict[str, Any], block_id: str) -> str:
    for block in view.get("blocks", []):
        if block.get("block_id") == block_id:
            return str((block.get("element") or {}).get("type", "plain_text_input"))
    return "plain_text_input"


def text(view: dict[str, Any], block_id: str, value: str | None) -> dict[str, Any]:
    kind = _element_type(view, block_id)
    return {block_id: {ids.INPUT: {"type": kind, "value": value}}}


def one(view: dict[str, Any], block_id: str, value: str | None, option: dict[str, Any] | None = None) -> dict[str, Any]:
    kind = _element_type(view, block_id)
    chosen = (option or _find_option(view, block_id, value)) if value else None
    return {block_id: {_action_id(view, block_id): {"type": kind, "selected_option": chosen}}}


def many(
    view: dict[str, Any],
    block_id: str,
    values: tuple[str, ...] | list[str],
    picked: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    kind = _element_type(view, block_id)
    chosen = [(picked or {}).get(v) or _find_option(view, block_id, v) for v in values]
    return {block_id: {_action_id(view, block_id): {"type": kind, "selected_options": chosen}}}


def _is_external(view: dict[str, Any], block_id: str) -> bool:
    return _element_type(view, block_id) in ("external_select", "multi_external_select")


def signup_values(
    view: dict[str, Any],
    profile: Profile,
    *,
    bio: str = "",
    known_skills: Iterable[str] | None = None,
    typed: Callable[[str, str], list[dict[str, Any]]] | None = None,
) -> dict[str, Any]:
    """The ``state.values`` a person with ``profile`` would submit in the signup modal.

    Args:
        view: The modal as opened.
        profile: What the person answers.
        bio: Their free text.
        known_skills: The cohort's skills, for a modal whose skills are a type-ahead select (the view does not
            list them then); defaults to the default taxonomy's.
        typed: ``typed(action_id, query) -> options``: type into the modal's type-ahead selects through the app
            (``SlackDriver.block_suggestion``) and pick from what it offers, as a person would. Without it, the
            options are built as the app builds them.
    """
    known: set[str] = set()
    for block in view.get("blocks", []):
        element = block.get("element") or {}
        for group in element.get("option_groups") or []:
            known |= {o["value"] for o in group.get("options") or []}
    if _is_external(view, ids.SKILLS_OFFERED):
        known = set(known_skills if known_skills is not None else default_taxonomy().skills)
    offered_known = [s for s in profile.skills_offered if s in known]
    wanted_known = [s for s in profile.skills_wanted if s in known]
    picked: dict[str, dict[str, Any]] = {}
    if typed is not None and _is_external(view, ids.SKILLS_OFFERED):
        for skill in dict.fromkeys([*offered_known, *wanted_known]):
            offered = {o["value"]: o for o in typed(ids.SKILL_SEARCH, label(skill))}
            if skill in offered:
                picked[skill] = offered[skill]
        offered_known = [s for s in offered_known if s in picked]
        wanted_known = [s for s in wanted_known if s in picked]
    zone_option = None
    if typed is not None and _is_external(view, ids.TIMEZONE):
        city = profile.timezone.rsplit("/", 1)[-1].replace("_", " ")
        zone_option = next((o for o in typed(ids.TIMEZONE_SEARCH, city) if o["value"] == profile.timezone), None)
    values: dict[str, Any] = {}
    values |= one(view, ids.ROLE, profile.role.value)
    values |= many(view, ids.SKILLS_OFFERED, offered_known, picked)
    values |= text(
        view, ids.SKILLS_OFFERED_OTHER, ", ".join(s for s in profile.skills_offered if s not in known) or None
    )
    values |= many(view, ids.SKILLS_WANTED, wanted_known, picked)
    values |= text(view, ids.SKILLS_WANTED_OTHER, ", ".join(s for s in profile.skills_wanted if s not in known) or None)
    values |= many(view, ids.CAREER_GOALS, profile.career_goals)
    values |= many(view, ids.INTERESTS, profile.interests)
    values |= one(view, ids.DEPARTMENT, profile.department)
    values |= one(view, ids.INDUSTRY, profile.industry)
    values |= one(view, ids.SENIORITY, profile.seniority)
    values |= one(view, ids.COMMUNICATION, profile.communication_style or None)
    values |= one(view, ids.PERSONALITY, profile.personality or None)
    values |= many(view, ids.LANGUAGES, profile.languages)
    if _element_type(view, ids.TIMEZONE) == "external_select":
        values |= one(view, ids.TIMEZONE, profile.timezone, zone_option)
    else:
        values |= text(view, ids.TIMEZONE, profile.timezone)
    values |= many(view, ids.DAYS, profile.days)
    values |= many(view, ids.TIME_SLOTS, profile.time_slots)
    values |= one(view, ids.MEETING_FORMAT, profile.meeting_format)
    values |= text(view, ids.CAPACITY, str(profile.capacity) if profile.is_mentor else None)
    values |= text(view, ids.BIO, bio or None)
    return values
