"""The signup / profile modal, the leave confirmation, and the messages around them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from bot import ids, timezones
from bot.forms import MAX_BIO, MAX_CAPACITY, MAX_FREE_TEXT, MAX_TAGS, MIN_CAPACITY
from bot.profiles import COMMUNICATION_STYLES, MEETING_FORMATS, PERSONALITIES, SENIORITY_LEVELS, Profile
from bot.taxonomy import Taxonomy
from bot.views.blocks import (
    choice_list,
    context,
    escape,
    external_select,
    header,
    input_block,
    label,
    modal,
    multi_select,
    option,
    options,
    plain,
    section,
    static_select,
    text_input,
)
from storage.vocab import Role

ROLE_LABELS = {
    Role.MENTEE: "Mentee: I'd like a mentor",
    Role.MENTOR: "Mentor: I'd like to mentor someone",
    Role.BOTH: "Both: mentor someone and be mentored",
}
DAY_LABELS = {"mon": "Mon", "tue": "Tue", "wed": "Wed", "thu": "Thu", "fri": "Fri", "sat": "Sat", "sun": "Sun"}
SLOT_LABELS = {
    "early": "Early (07-09)",
    "morning": "Morning (09-12)",
    "midday": "Midday (12-14)",
    "afternoon": "Afternoon (14-17)",
    "evening": "Evening (17-19)",
}
FORMAT_LABELS = {"video": "Video call", "in_person": "In person", "chat": "Chat / async", "any": "No preference"}
STYLE_LABELS = {
    "direct": "Direct: tell it to me straight",
    "supportive": "Supportive: encourage me",
    "structured": "Structured: agendas and plans",
    "exploratory": "Exploratory: let's see where it goes",
}


STATIC_SKILLS_LIMIT = 100  # a static select shows at most 100 options per group; longer lists use type-ahead


def skill_option(skill: str) -> dict[str, Any]:
    """How a skill is offered in a select (also what the type-ahead listener answers)."""
    return option(skill)


def timezone_option(zone: str, now: datetime | None) -> dict[str, Any]:
    """A timezone as ``Europe/Berlin (UTC+1, now 14:05)`` (just the name when no time is given)."""
    return option(zone, timezones.zone_label(zone, now) if now is not None else zone)


def skills_typeahead(query: str, skills: Iterable[str]) -> dict[str, Any]:
    """The options an external skills select shows for ``query``: prefix and word matches first, at most 100."""
    from bot.typeahead import rank

    found = rank(query, skills, texts=lambda skill: (label(skill),))
    return {"options": [skill_option(skill) for skill in found]}


def timezone_typeahead(query: str, now: datetime) -> dict[str, Any]:
    """The options the timezone select shows for ``query`` (zone names, cities, offsets), at most 100."""
    return {"options": [timezone_option(zone, now) for zone in timezones.search(query, now)]}


def uses_typeahead(taxonomy: Taxonomy) -> bool:
    """Whether a taxonomy's skills are too many for a static select (one group may hold at most 100)."""
    return len(taxonomy.skills) > STATIC_SKILLS_LIMIT


def skills_select(
    taxonomy: Taxonomy, *, initial: Sequence[str] = (), placeholder: str = "Pick skills", max_selected: int = MAX_TAGS
) -> dict[str, Any]:
    """A skills picker: option groups when the list is short, type-ahead over the cohort's skills when long."""
    known = set(taxonomy.skills)
    chosen = [s for s in initial if s in known]
    if uses_typeahead(taxonomy):
        return external_select(
            ids.SKILL_SEARCH,
            multi=True,
            initial=[skill_option(s) for s in chosen],
            placeholder="Type to search skills",
            max_selected=max_selected,
        )
    groups = [
        {"label": plain(label(group)[:75]), "options": [skill_option(s) for s in skills]}
        for group, skills in taxonomy.skill_groups.items()
        if skills
    ]
    return multi_select(groups=groups, initial=chosen, placeholder=placeholder, max_selected=max_selected)


HR_LABELS = {"department": "Department", "industry": "Industry", "seniority": "Seniority"}


def _hr_or_input(locked: Mapping[str, str] | None, name: str, block: dict[str, Any]) -> list[dict[str, Any]]:
    """The question, or the value the HR records hold for it (which a profile edit does not change)."""
    if not locked or name not in locked:
        return [block]
    return [
        context(
            f"*{HR_LABELS[name]}:* {escape(locked[name]) or 'not set'} · from your HR record; "
            "the program coordinators can change it."
        )
    ]


def build_signup_modal(
    *,
    taxonomy: Taxonomy,
    timezone: str = "UTC",
    prefill: Profile | None = None,
    bio: str = "",
    editing: bool = False,
    locked: Mapping[str, str] | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The modal asking what matching needs. ``prefill`` fills it with saved answers.

    ``locked``: fields an HR import set (field -> value), shown as facts instead of asked.
    Skills come as option groups when the cohort's list is short and as a type-ahead select (served by the
    ``ids.SKILL_SEARCH`` options listener) when it is long; the timezone is a type-ahead over IANA zones,
    starting at the person's Slack timezone shown with its offset and local time at ``now``.
    """
    p = prefill
    known = set(taxonomy.skills)
    typeahead = uses_typeahead(taxonomy)
    skills_hint = f" Type a few letters to search the program's {len(known)} skills." if typeahead else ""
    zone = (p.timezone if p else timezone) or "UTC"
    zone = zone if timezones.is_zone(zone) else "UTC"
    offered_other = ", ".join(s for s in (p.skills_offered if p else ()) if s not in known)
    wanted_other = ", ".join(s for s in (p.skills_wanted if p else ()) if s not in known)
    blocks: list[dict[str, Any]] = [
        section(
            "Tell us a little about yourself so we can find you a great match. It takes about two minutes, "
            "and you can change your answers any time with `/mentor profile`."
        ),
        input_block(
            ids.ROLE,
            "I'm joining as",
            choice_list("radio_buttons", options(ROLE_LABELS, ROLE_LABELS), initial=p.role.value if p else None),
        ),
        header("What you bring and what you want"),
        input_block(
            ids.SKILLS_OFFERED,
            "Skills you can help others with",
            skills_select(taxonomy, initial=p.skills_offered if p else ()),
            optional=True,
            hint="Mentors: pick at least one." + skills_hint,
            action_id=ids.SKILL_SEARCH if typeahead else ids.INPUT,
        ),
        input_block(
            ids.SKILLS_OFFERED_OTHER,
            "Other skills you can help with",
            text_input(initial=offered_other, max_length=MAX_FREE_TEXT, placeholder="Comma-separated"),
            optional=True,
        ),
        input_block(
            ids.SKILLS_WANTED,
            "Skills you want to grow",
            skills_select(taxonomy, initial=p.skills_wanted if p else ()),
            optional=True,
            hint="Mentees: pick at least one skill or career goal." + skills_hint,
            action_id=ids.SKILL_SEARCH if typeahead else ids.INPUT,
        ),
        input_block(
            ids.SKILLS_WANTED_OTHER,
            "Other skills you want to grow",
            text_input(initial=wanted_other, max_length=MAX_FREE_TEXT, placeholder="Comma-separated"),
            optional=True,
        ),
        input_block(
            ids.CAREER_GOALS,
            "Career goals (mentors: paths you can advise on)",
            multi_select(options(taxonomy.career_goals), initial=p.career_goals if p else (), placeholder="Pick goals"),
            optional=True,
        ),
        input_block(
            ids.INTERESTS,
            "Interests outside your day job",
            multi_select(options(taxonomy.interests), initial=p.interests if p else (), placeholder="Pick interests"),
            optional=True,
        ),
        header("About you"),
        *_hr_or_input(
            locked,
            "department",
            input_block(
                ids.DEPARTMENT,
                "Department",
                static_select(options(taxonomy.departments), initial=p.department if p else None),
            ),
        ),
        *_hr_or_input(
            locked,
            "industry",
            input_block(
                ids.INDUSTRY,
                "Industry you work in",
                static_select(options(taxonomy.industries), initial=p.industry if p else None),
            ),
        ),
        *_hr_or_input(
            locked,
            "seniority",
            input_block(
                ids.SENIORITY,
                "Seniority",
                static_select(options(SENIORITY_LEVELS), initial=p.seniority if p else None),
            ),
        ),
        input_block(
            ids.COMMUNICATION,
            "How you like to communicate",
            static_select(options(COMMUNICATION_STYLES, STYLE_LABELS), initial=p.communication_style if p else None),
            optional=True,
        ),
        input_block(
            ids.PERSONALITY,
            "You would describe yourself as",
            static_select(options(PERSONALITIES), initial=p.personality if p else None),
            optional=True,
        ),
        input_block(
            ids.LANGUAGES,
            "Languages you can meet in",
            multi_select(
                options(taxonomy.languages),
                initial=p.languages if p else ("english",),
                placeholder="Pick languages",
            ),
        ),
        header("When and how you can meet"),
        input_block(
            ids.TIMEZONE,
            "Your timezone",
            external_select(
                ids.TIMEZONE_SEARCH, initial=[timezone_option(zone, now)], placeholder="Type a city or a timezone"
            ),
            hint="Taken from your Slack profile. Type a city (Berlin, Bangalore) or an offset (UTC+1) to change it.",
            action_id=ids.TIMEZONE_SEARCH,
        ),
        input_block(
            ids.DAYS,
            "Days you could meet",
            choice_list("checkboxes", options(DAY_LABELS, DAY_LABELS), initial=p.days if p else ("tue", "wed", "thu")),
        ),
        input_block(
            ids.TIME_SLOTS,
            "Times of day (your local time)",
            choice_list("checkboxes", options(SLOT_LABELS, SLOT_LABELS), initial=p.time_slots if p else ("afternoon",)),
        ),
        input_block(
            ids.MEETING_FORMAT,
            "Preferred meeting format",
            choice_list(
                "radio_buttons", options(MEETING_FORMATS, FORMAT_LABELS), initial=p.meeting_format if p else "any"
            ),
        ),
        input_block(
            ids.CAPACITY,
            f"Mentors: how many mentees can you take ({MIN_CAPACITY}-{MAX_CAPACITY})?",
            {
                "type": "number_input",
                "is_decimal_allowed": False,
                "min_value": str(MIN_CAPACITY),
                "max_value": str(MAX_CAPACITY),
                **({"initial_value": str(p.capacity)} if p and p.is_mentor else {}),
            },
            optional=True,
        ),
        input_block(
            ids.BIO,
            "Anything a match should know?",
            text_input(initial=bio or None, multiline=True, max_length=MAX_BIO),
            optional=True,
        ),
        context("Only the program's coordinators and your match see these answers."),
    ]
    return modal(
        callback_id=ids.SIGNUP_VIEW,
        title="Your mentoring profile" if editing else "Join mentoring",
        submit="Save" if editing else "Join",
        blocks=blocks,
    )


def signup_not_open_modal(text: str) -> dict[str, Any]:
    """Shown when Join is clicked before the cohort's signup window opens."""
    return modal(
        callback_id=ids.SIGNUP_WINDOW_VIEW, title="Not open yet", submit=None, close="OK", blocks=[section(text)]
    )


LEFT_IN_SLACK = (
    "Messages mentorbot already sent (your DMs with it, your pair's group DM) stay in Slack: Slack keeps them, "
    "not mentorbot. You can delete your own messages there."
)


def build_leave_modal() -> dict[str, Any]:
    """Confirmation before deleting someone's data."""
    return modal(
        callback_id=ids.LEAVE_VIEW,
        title="Leave the program",
        submit="Delete my data",
        close="Keep me in",
        blocks=[
            section(
                "*Leave the mentorship program and delete your data?*\n"
                "Your profile, answers, lists and requests are deleted; your open pair ends. Your partner keeps "
                "the pair's history without your name. The program keeps only an anonymous count that someone "
                "left. You can join again any time with `/mentor join`."
            ),
            context(LEFT_IN_SLACK),
        ],
    )


def leave_confirmation(*, was_participant: bool) -> dict[str, Any]:
    """The DM after ``/mentor leave`` erased a person's data."""
    if was_participant:
        text = (
            "You've left the mentorship program and your mentorbot data is deleted. Thank you for taking part! "
            "`/mentor join` brings you back any time."
        )
    else:
        text = "Your mentorbot data is deleted."
    return {"text": f"{text} {LEFT_IN_SLACK}", "blocks": [section(text), context(LEFT_IN_SLACK)]}


def signup_confirmation(
    *, role: str, created: bool, skills: tuple[str, ...] | list[str], late_for: str = ""
) -> dict[str, Any]:
    """The DM that confirms a saved profile (``late_for``: the cohort whose signups had closed)."""
    what = {
        Role.MENTOR: "as a mentor",
        Role.MENTEE: "as a mentee",
        Role.BOTH: "as both a mentor and a mentee",
    }.get(role, "")
    if created:
        text = f":tada: You're in the mentorship program {what}! We'll message you here when you're matched."
    else:
        text = f":white_check_mark: Your mentoring profile is updated ({what})."
    detail = escape(", ".join(label(s) for s in list(skills)[:6]))
    blocks = [section(text)]
    if created and late_for:
        blocks.append(
            context(
                f"Signups for {escape(late_for)} have closed, so you'll be matched in the next round: "
                "you're on the list."
            )
        )
    if detail:
        blocks.append(context(f"Matching will use your skills and goals: {detail}"))
    blocks.append(context("Change your answers with `/mentor profile`, take a break with `/mentor pause`."))
    return {"text": text, "blocks": blocks}


def help_message(
    lines: list[tuple[str, str]], *, unknown: str | None = None, notice: str | None = None
) -> dict[str, Any]:
    """Every command with one line each; ``unknown`` explains a mistyped subcommand first; ``notice`` warns
    coordinators about their configuration (a public coordinator channel)."""
    body = "\n".join(f"`{usage}`  {desc}" for usage, desc in lines)
    intro = (
        f"I don't know `/mentor {escape(unknown[:40])}`. Here is what I can do:" if unknown else "*mentorbot commands*"
    )
    blocks = [section(intro), section(body)]
    text = f"{intro}\n{body}"
    if notice:
        blocks.append(context(f":warning: {notice}"))
        text += f"\n:warning: {notice}"
    return {"text": text, "blocks": blocks}
