"""The App Home tab."""

from __future__ import annotations

from typing import Any

from bot import ids
from bot.profiles import Profile, Status
from bot.views.blocks import actions, button, context, divider, escape, header, label, section
from bot.views.signup import DAY_LABELS, FORMAT_LABELS, SLOT_LABELS
from storage.vocab import Role


def _tags(values: tuple[str, ...], empty: str = "_none yet_") -> str:
    return escape(", ".join(label(v) for v in values)) if values else empty


def build_home(
    *, profile: Profile | None, extra_blocks: list[dict[str, Any]] | None = None, coordinator: bool = False
) -> dict[str, Any]:
    """The person's home: a Join button before signup, then their profile and what comes next."""
    blocks: list[dict[str, Any]] = [header("Mentorship program")]
    if profile is None:
        blocks += [
            section(
                "Grow faster with a mentor, or help someone else grow. Tell us what you bring and what you want, "
                "and we'll find you a match with shared skills and working hours that overlap."
            ),
            actions(button("Join the program", ids.HOME_JOIN, style="primary")),
            context("Signing up takes about two minutes. You can pause or leave any time."),
        ]
        return {"type": "home", "blocks": blocks}

    role = {Role.MENTOR: "Mentor", Role.MENTEE: "Mentee", Role.BOTH: "Mentor and mentee"}[profile.role]
    state = (
        ":double_vertical_bar: Paused: no matching and no prompts"
        if profile.status == Status.PAUSED
        else ":large_green_circle: Active"
    )
    days = ", ".join(DAY_LABELS.get(d, d) for d in profile.days)
    slots = ", ".join(SLOT_LABELS.get(s, s) for s in profile.time_slots)
    lines = [
        f"*You're in as:* {role}    *Status:* {state}",
        f"*Offers:* {_tags(profile.skills_offered)}" if profile.is_mentor else "",
        f"*Wants to grow:* {_tags(profile.skills_wanted)}" if profile.is_mentee else "",
        f"*Career goals:* {_tags(profile.career_goals)}",
        f"*Meets:* {days} · {slots} ({escape(profile.timezone)}) · {FORMAT_LABELS.get(profile.meeting_format, '')}",
        f"*Mentee capacity:* {profile.capacity}" if profile.is_mentor else "",
    ]
    pause = (
        button("Resume", ids.HOME_RESUME, style="primary")
        if profile.status == Status.PAUSED
        else button("Pause", ids.HOME_PAUSE)
    )
    blocks += [
        section("\n".join(line for line in lines if line)),
        actions(button("Edit profile", ids.HOME_EDIT), pause),
    ]
    if extra_blocks:
        blocks += [divider(), *extra_blocks]
    if coordinator:
        blocks.append(context("You're a program coordinator: `/mentor help` lists the coordinator commands."))
    return {"type": "home", "blocks": blocks}
