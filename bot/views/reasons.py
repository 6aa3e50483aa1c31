"""Match reasons and unmatched reasons, worded for whoever reads them.

The same fact reads differently to each person: the mentee reads "Bob offers python, which you want", the
mentor "they want python, which you offer", the pair's group DM and a coordinator "<@mentee> wants python;
<@mentor> offers it". Reasons arrive as data (``bot.matching.reasons``); text stored before reasons were data
is shown as written.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any

from bot.matching.availability import describe_windows
from bot.matching.reasons import parse_unmatched, windows_from
from bot.views.blocks import escape
from bot.views.words import joined, word_for
from storage.vocab import Factor, UnmatchedReason


class Reader(StrEnum):
    """Who reads a reason."""

    MENTEE = "mentee"  # the mentee alone ("you")
    MENTOR = "mentor"  # the mentor alone ("you")
    PAIR = "pair"  # both, in their group DM
    COORDINATOR = "coordinator"  # a coordinator (the preview, exports)


def _list(items: Any, limit: int = 2) -> str:
    return joined([escape(str(i)) for i in items or []], limit=limit)


def _both(reader: Reader) -> str:
    return "you both" if reader in (Reader.MENTEE, Reader.MENTOR, Reader.PAIR) else "both"


def reason_text(item: Mapping[str, Any] | str, *, reader: Reader, mentee: str = "", mentor: str = "") -> str:
    """One reason in ``reader``'s words. ``mentee`` and ``mentor`` name the two (e.g. ``<@U123>``)."""
    if isinstance(item, str):
        return escape(item)  # written before reasons were data
    mentee, mentor = mentee or "the mentee", mentor or "the mentor"
    factor = str(item.get("factor", ""))
    if factor == Factor.SKILLS:
        skills = _list(item.get("skills"))
        them = word_for(len(item.get("skills") or []), "it", "them")
        return {
            Reader.MENTEE: f"{mentor} offers {skills}, which you want to learn",
            Reader.MENTOR: f"they want to learn {skills}, which you offer",
        }.get(reader, f"{mentee} wants to learn {skills}; {mentor} offers {them}")
    if factor == Factor.GOALS:
        goal, skills = escape(str(item.get("goal", ""))), _list(item.get("skills"))
        if item.get("shared") or not skills:
            return {
                Reader.MENTEE: f"{mentor} shares your goal: {goal}",
                Reader.MENTOR: f"you share their goal: {goal}",
            }.get(reader, f"{mentee} and {mentor} share a goal: {goal}")
        return {
            Reader.MENTEE: f"{mentor}'s {skills} can help you toward {goal}",
            Reader.MENTOR: f"your {skills} can help them toward {goal}",
        }.get(reader, f"{mentor}'s {skills} can help {mentee} toward {goal}")
    if factor == Factor.INTERESTS:
        return f"{_both(reader)} care about {_list(item.get('interests'))}"
    if factor == Factor.ORG:
        where = " and ".join(
            part
            for part in (
                f"the {escape(item['department'])} department" if item.get("department") else "",
                escape(item["industry"]) if item.get("industry") else "",
            )
            if part
        )
        return f"{_both(reader)} work in {where}"
    if factor == Factor.SENIORITY:
        gap = int(item.get("gap", 0) or 0)
        levels = (
            f"{gap} {word_for(gap, 'level')} more senior ({escape(item.get('mentor'))} vs {escape(item.get('mentee'))})"
        )
        return {
            Reader.MENTEE: f"{mentor} is {levels}",
            Reader.MENTOR: f"you are {levels}",
        }.get(reader, f"{mentor} is {levels}")
    if factor == Factor.STYLE:
        if item.get("style"):
            return f"{_both(reader)} prefer a {escape(item['style'])} communication style"
        personality = escape(str(item.get("personality", "")))
        return f"{'you are both' if _both(reader) == 'you both' else 'both are'} {personality}s"
    if factor == Factor.AVAILABILITY:
        hours = float(item.get("hours", 0) or 0)
        amount = f"{hours:g} {word_for(hours, 'hour')} a week of shared working hours"
        mine = {Reader.MENTEE: "mentee_windows", Reader.MENTOR: "mentor_windows"}.get(reader)
        if mine:
            windows = describe_windows(windows_from(item.get(mine)))
            return f"{amount}" + (f": {windows} your time" if windows else "")
        if reader == Reader.COORDINATOR:
            windows = describe_windows(windows_from(item.get("mentee_windows")))
            return f"{amount}" + (f" ({windows} in {mentee}'s time)" if windows else "")
        return amount  # the pair: each person's own hours are listed separately
    if factor == Factor.FORMAT:
        return f"{_both(reader)} like {escape(str(item.get('format', '')).replace('_', '-'))} meetings"
    if factor == Factor.LANGUAGE:
        return f"{_both(reader)} speak {escape(str(item.get('language')))}"
    return ""


def reason_lines(
    reasons: Iterable[Mapping[str, Any] | str] | None,
    *,
    reader: Reader,
    mentee: str = "",
    mentor: str = "",
    limit: int = 3,
) -> list[str]:
    """Up to ``limit`` reasons, each worded for ``reader`` (empty ones dropped)."""
    out = []
    for item in list(reasons or [])[:limit]:
        text = reason_text(item, reader=reader, mentee=mentee, mentor=mentor)
        if text and not isinstance(item, str) and item.get("strong"):
            text += " (strong in this program)"  # a learned model's strongest factors
        if text:
            out.append(text if isinstance(item, str) else text[:1].upper() + text[1:])  # stored text as written
    return out


def unmatched_text(stored: str, *, reader: Reader, who: str = "") -> str:
    """Why a mentee found no mentor, for the mentee ("you") or a coordinator (``who`` names the mentee)."""
    parsed = parse_unmatched(stored)
    if parsed is None:
        return escape(stored)  # written before reasons were codes
    code, detail = parsed
    you = reader == Reader.MENTEE
    them, their = ("you", "your") if you else (who or "this mentee", "their")
    texts = {
        UnmatchedReason.PAUSED_OR_LEFT: f"{them} {'are' if you else 'is'} paused or left the program",
        UnmatchedReason.NO_MENTORS: "no mentors were available this round",
        UnmatchedReason.MENTORS_INACTIVE: "every mentor is paused or has left the program",
        UnmatchedReason.ONLY_SELF: f"no mentor other than {'yourself' if you else them} was available",
        UnmatchedReason.ONLY_MANAGER: f"the only mentors available are {their} manager or {their} reports",
        UnmatchedReason.ALL_PAST: f"{them} {'have' if you else 'has'} already been paired with every mentor who fits",
        UnmatchedReason.DO_NOT_PAIR: "the remaining mentors are on a confidential do-not-pair list",
        UnmatchedReason.FORBIDDEN: (
            f"a program coordinator decided against the mentors who fit {them} this round"
            if you
            else f"a coordinator's forbid removed every mentor who fits {them}"
        ),
        UnmatchedReason.FORBIDDEN_AND_CAPACITY: (
            f"a program coordinator decided against one possible match for {them} this round, and the other "
            f"mentors who fit {them} were needed by mentees with fewer options"
            if you
            else f"a coordinator's forbid removed one mentor who fits {them}; the others were needed by mentees "
            "with fewer options"
        ),
        UnmatchedReason.LANGUAGE: f"no mentor speaks a language {them} listed",
        UnmatchedReason.AVAILABILITY: (
            f"no mentor shares at least {detail or '1'} {word_for(float(detail or 1), 'hour')} a week with "
            f"{their} working hours"
        ),
        UnmatchedReason.DEPARTMENT: f"the only mentors available work in {their} own department",
        UnmatchedReason.SCORE_FLOOR: "no mentor was a close enough match (every score was under the program's minimum)",
        UnmatchedReason.CAPACITY: (f"every mentor who fits {them} was needed by mentees with fewer or closer options"),
    }
    return texts.get(code, stored)


def unmatched_advice(stored: str) -> str:
    """What an unmatched mentee can do about their reason (empty when nothing they do would help)."""
    parsed = parse_unmatched(stored)
    code = parsed[0] if parsed else None
    return (
        {
            UnmatchedReason.AVAILABILITY: (
                "Adding days or times you could meet in `/mentor profile` gives the matcher more room."
            ),
            UnmatchedReason.LANGUAGE: "If you can also meet in another language, add it in `/mentor profile`.",
            UnmatchedReason.SCORE_FLOOR: (
                "Adding the skills you'd like to grow, or career goals, in `/mentor profile` helps find a closer match."
            ),
            UnmatchedReason.PAUSED_OR_LEFT: "`/mentor resume` puts you back in the next round.",
        }.get(code, "")
        if code is not None
        else ""
    )
