"""How a simulated person fills in the app's modals: Slack ``state.values`` built from a profile."""

from __future__ import annotations

from typing import Any

from bot import ids
from bot.profiles import Profile
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


def _element_type(view: dict[str, Any], block_id: str) -> str:
    for block in view.get("blocks", []):
        if block.get("block_id") == block_id:
            return str((block.get("element") or {}).get("type", "plain_text_input"))
    return "plain_text_input"


def text(view: dict[str, Any], block_id: str, value: str | None) -> dict[str, Any]:
    kind = _element_type(view, block_id)
    return {block_id: {ids.INPUT: {"type": kind, "value": value}}}


def one(view: dict[str, Any], block_id: str, value: str | None) -> dict[str, Any]:
    kind = _element_type(view, block_id)
    chosen = _find_option(view, block_id, value) if value else None
    return {block_id: {ids.INPUT: {"type": kind, "selected_option": chosen}}}


def many(view: dict[str, Any], block_id: str, values: tuple[str, ...] | list[str]) -> dict[str, Any]:
    kind = _element_type(view, block_id)
    return {
        block_id: {ids.INPUT: {"type": kind, "selected_options": [_find_option(view, block_id, v) for v in values]}}
    }


def signup_values(view: dict[str, Any], profile: Profile, *, bio: str = "") -> dict[str, Any]:
    """The ``state.values`` a person with ``profile`` would submit in the signup modal."""
    known = set()
    for block in view.get("blocks", []):
        element = block.get("element") or {}
        for group in element.get("option_groups") or []:
            known |= {o["value"] for o in group.get("options") or []}
    offered_known = [s for s in profile.skills_offered if s in known]
    wanted_known = [s for s in profile.skills_wanted if s in known]
    values: dict[str, Any] = {}
    values |= one(view, ids.ROLE, profile.role.value)
    values |= many(view, ids.SKILLS_OFFERED, offered_known)
    values |= text(
        view, ids.SKILLS_OFFERED_OTHER, ", ".join(s for s in profile.skills_offered if s not in known) or None
    )
    values |= many(view, ids.SKILLS_WANTED, wanted_known)
    values |= text(view, ids.SKILLS_WANTED_OTHER, ", ".join(s for s in profile.skills_wanted if s not in known) or None)
    values |= many(view, ids.CAREER_GOALS, profile.career_goals)
    values |= many(view, ids.INTERESTS, profile.interests)
    values |= one(view, ids.DEPARTMENT, profile.department)
    values |= one(view, ids.INDUSTRY, profile.industry)
    values |= one(view, ids.SENIORITY, profile.seniority)
    values |= one(view, ids.COMMUNICATION, profile.communication_style or None)
    values |= one(view, ids.PERSONALITY, profile.personality or None)
    values |= many(view, ids.LANGUAGES, profile.languages)
    values |= text(view, ids.TIMEZONE, profile.timezone)
    values |= many(view, ids.DAYS, profile.days)
    values |= many(view, ids.TIME_SLOTS, profile.time_slots)
    values |= one(view, ids.MEETING_FORMAT, profile.meeting_format)
    values |= text(view, ids.CAPACITY, str(profile.capacity) if profile.is_mentor else None)
    values |= text(view, ids.BIO, bio or None)
    return values
