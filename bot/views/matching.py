"""Block Kit for matching: the coordinator's preview, publication notices, mentee-choice messages."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from bot import ids
from bot.views.blocks import actions, button, context, divider, header, modal, plain, section
from bot.views.reasons import Reader, reason_lines, unmatched_advice, unmatched_text
from bot.views.words import counted

PAGE_SIZE = 15
FACTOR_LABELS = {
    "skills": "skills",
    "goals": "goals",
    "interests": "interests",
    "org": "industry/dept",
    "seniority": "seniority",
    "style": "style",
    "availability": "overlap",
    "format": "format",
    "language": "language",
}


def _who(user_id: str) -> str:
    return f"<@{user_id}>"


def build_running_modal(*, people: int | None = None, rerun: bool = False) -> dict[str, Any]:
    """Shown at once while the round is computed in the background."""
    what = "Re-running the round" if rerun else "Running the match round"
    detail = f" for {counted(people, 'person', 'people')}" if people else ""
    return modal(
        callback_id=ids.MATCH_PREVIEW_VIEW,
        title="Match preview",
        submit=None,
        close="Close",
        blocks=[
            section(f":hourglass_flowing_sand: {what}{detail}… this view updates when the preview is ready."),
            context("You can close this; the preview also arrives in your DM with the bot."),
        ],
    )


def _factor_line(factors: dict[str, float]) -> str:
    top = sorted(factors.items(), key=lambda kv: -kv[1])[:4]
    return " · ".join(f"{FACTOR_LABELS.get(name, name)} {value:.2f}" for name, value in top if value > 0)


def _rule_menu(mentee: str, mentor: str, pinned: bool, forbidden: bool) -> dict[str, Any]:
    def opt(text: str, rule: str) -> dict[str, Any]:
        return {"text": plain(text), "value": json.dumps([rule, mentee, mentor], separators=(",", ":"))}

    choices = [opt("Unpin" if pinned else "Pin this pair", "clear" if pinned else "pin")]
    choices.append(opt("Allow again" if forbidden else "Forbid this pair", "clear" if forbidden else "forbid"))
    return {"type": "overflow", "action_id": ids.MATCH_RULE, "options": choices}


def build_preview_modal(
    *,
    round_id: int,
    revision: int,
    result: dict[str, Any],
    pinned: list[list[str]],
    forbidden: list[list[str]],
    page: int = 0,
) -> dict[str, Any]:
    """The preview: summary, what changed, every pair with its score and reasons, every unmatched mentee."""
    pairs = result.get("pairs", [])
    unmatched = result.get("unmatched", {})
    load = result.get("mentor_load", {})
    used = sum(v[0] for v in load.values())
    slots = sum(v[1] for v in load.values())
    full = sum(1 for v in load.values() if v[1] and v[0] >= v[1])
    pinned_set = {tuple(p) for p in pinned}
    forbidden_set = {tuple(p) for p in forbidden}
    pages = max(1, -(-len(pairs) // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)

    blocks: list[dict[str, Any]] = [
        header(f"Match preview · revision {revision}"),
        section(
            f"*{counted(len(pairs), 'pair')}* · mean score *{result.get('mean_score', 0):.2f}* · "
            f"*{len(unmatched)} unmatched*\n"
            f"Mentors' load: {used} of {counted(slots, 'slot')} used across {counted(len(load), 'mentor')} "
            f"({full} at capacity)"
        ),
    ]
    changes = result.get("changes") or {}
    if changes:
        parts = []
        if changes.get("added"):
            parts.append("new: " + ", ".join(f"{_who(a)}→{_who(b)}" for a, b in changes["added"][:8]))
        if changes.get("removed"):
            parts.append("dropped: " + ", ".join(f"{_who(a)}→{_who(b)}" for a, b in changes["removed"][:8]))
        if changes.get("newly_unmatched"):
            parts.append("now unmatched: " + ", ".join(_who(u) for u in changes["newly_unmatched"][:8]))
        blocks.append(section("*What changed since the last run:* " + ("; ".join(parts) or "nothing")))
    if pinned_set or forbidden_set:
        blocks.append(
            context(
                f":pushpin: {len(pinned_set)} pinned · :no_entry: {len(forbidden_set)} forbidden "
                "(applied on the next re-run)"
            )
        )
    blocks.append(divider())
    for pair in pairs[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]:
        mentee, mentor = pair["mentee"], pair["mentor"]
        mark = " :pushpin:" if pair.get("pinned") or (mentee, mentor) in pinned_set else ""
        lines = reason_lines(pair.get("reasons"), reader=Reader.COORDINATOR, mentee=_who(mentee), mentor=_who(mentor))
        reasons = "\n".join(f"• {r}" for r in lines) or "• no strong overlap (pinned)"
        blocks.append(
            section(
                f"{_who(mentee)} → {_who(mentor)} · *{pair['score']:.2f}*{mark}\n{reasons}",
                accessory=_rule_menu(mentee, mentor, bool(mark), (mentee, mentor) in forbidden_set),
            )
        )
        factors = _factor_line(pair.get("factors", {}))
        if factors:
            blocks.append(context(factors))
    if unmatched:
        lines = [
            f"• {_who(user)}: {unmatched_text(reason, reader=Reader.COORDINATOR, who=_who(user))}"
            for user, reason in list(unmatched.items())[:20]
        ]
        more = f"\n…and {len(unmatched) - 20} more" if len(unmatched) > 20 else ""
        blocks += [
            divider(),
            section("*Unmatched mentees* (they'll be told why, and go first next round)\n" + "\n".join(lines) + more),
        ]
    nav = [button("Re-run", ids.MATCH_RERUN, value=str(round_id))]
    if page > 0:
        nav.append(button("◀ Previous", ids.MATCH_PAGE, value=str(page - 1)))
    if page < pages - 1:
        nav.append(button(f"Next ▶ ({page + 2}/{pages})", ids.MATCH_PAGE_NEXT, value=str(page + 1)))
    blocks.append(actions(*nav))
    return modal(
        callback_id=ids.MATCH_PREVIEW_VIEW,
        title="Match preview",
        submit=f"Publish {counted(len(pairs), 'pair')}" if pairs else None,
        close="Close",
        blocks=blocks[:100],
        private_metadata=json.dumps({"round": round_id, "page": page, "revision": revision}),
    )


def build_published_modal(*, pairs: int, unmatched: int, already: bool = False) -> dict[str, Any]:
    text = (
        "This round was already published; nothing was created twice."
        if already
        else f":tada: Published *{counted(pairs, 'pair')}*. Each pair gets a group DM with their introduction; "
        f"{unmatched} unmatched mentees are told why and go first next round."
    )
    return modal(
        callback_id=ids.MATCH_PREVIEW_VIEW, title="Match published", submit=None, close="Done", blocks=[section(text)]
    )


def build_refusal_modal(text: str) -> dict[str, Any]:
    return modal(
        callback_id=ids.MATCH_PREVIEW_VIEW, title="Not allowed", submit=None, close="Close", blocks=[section(text)]
    )


def preview_ready_message(*, round_id: int, pairs: int, unmatched: int, mean: float) -> dict[str, Any]:
    text = f"Match preview ready: {counted(pairs, 'pair')}, {unmatched} unmatched, mean score {mean:.2f}."
    return {
        "text": text,
        "blocks": [
            section(f":clipboard: {text}"),
            actions(button("Open preview", ids.MATCH_OPEN_PREVIEW, value=str(round_id), style="primary")),
        ],
    }


def unmatched_message(reason: str) -> dict[str, Any]:
    """Why the mentee was not matched this round, and (only when it would help) what they could change."""
    text = (
        "We ran this round of mentor matching and couldn't find you a good match this time: "
        f"{unmatched_text(reason, reader=Reader.MENTEE)}. You're first in line for the next round, "
        "and there's nothing you need to do."
    )
    advice = unmatched_advice(reason)
    if advice:
        text += f" {advice}"
    return {"text": text, "blocks": [section(f":seedling: {text}")]}


def choice_offer_message(options: list[dict[str, Any]], *, days: int) -> dict[str, Any]:
    """Mentee-choice mode: the mentee's shortlist."""
    blocks: list[dict[str, Any]] = [
        section(
            f"*Pick your mentor.* Here are your top {len(options)} matches. The mentor you choose has "
            f"{counted(days, 'day')} to accept; if they can't, we ask your next choice automatically."
        )
    ]
    for option in options:
        lines = reason_lines(option["reasons"], reader=Reader.MENTEE, mentor=_who(option["mentor"]))
        reasons = "\n".join(f"• {r}" for r in lines)
        blocks.append(
            section(
                f"{_who(option['mentor'])} · match {option['score']:.2f}\n{reasons}",
                accessory=button("Choose", ids.CHOICE_PICK, value=str(option["request_id"]), style="primary"),
            )
        )
    return {"text": "Pick your mentor from your top matches", "blocks": blocks}


def choice_request_message(
    *, mentee: str, reasons: Sequence[Mapping[str, Any] | str], request_id: int, days: int
) -> dict[str, Any]:
    """The mentor's request: why the mentee chose them, in the mentor's words."""
    text = f"{_who(mentee)} would like you as their mentor."
    body = "\n".join(f"• {r}" for r in reason_lines(reasons, reader=Reader.MENTOR, mentee=_who(mentee)))
    return {
        "text": text,
        "blocks": [
            section(f":wave: {text}\n{body}"),
            context(f"Please answer within {counted(days, 'day')}; if not, they'll be matched with their next choice."),
            actions(
                button("Accept", ids.CHOICE_ACCEPT, value=str(request_id), style="primary"),
                button("Not this time", ids.CHOICE_DECLINE, value=str(request_id)),
            ),
        ],
    }
