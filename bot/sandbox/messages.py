"""How a simulated person reads what reached their Slack: what a message is, the buttons on it, its words."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Sequence
from typing import Any

from bot import ids

PAIR_ID = re.compile(r"^(\d+)")  # a button's value starts with the pair it acts on
MENTION = re.compile(r"<@([UW][A-Z0-9]+)>")


def classify(message: dict[str, Any], action_ids: Sequence[str]) -> str:
    """What a message is, as a person sees it: by its buttons and opening words."""
    text = str(message.get("text") or "")
    found = set(action_ids)
    for action_id, kind in (
        (ids.CHECKIN_YES, "checkin"),
        (ids.SURVEY_OPEN, "survey"),
        (ids.FIT_GOOD, "fit_check"),
        (ids.CLOSE_CLOSE, "closure"),
        (ids.CONTINUE_YES, "continue_check"),
        (ids.GOALS_CONFIRM, "goals_proposal"),
        (ids.REMATCH_YES, "rematch_offer"),
        (ids.BECOME_MENTOR, "become_mentor"),
        (ids.MATCH_OPEN_PREVIEW, "match_preview"),
        (ids.MEET_SLOT, "meet_proposal"),
        (ids.MEET_DID_MEET, "meet_followup"),
        (ids.MEET_RESCHEDULE, "meet_booked"),
    ):
        if action_id in found:
            return kind
    if text.startswith("Meet your mentorship partner"):
        return "kickoff"
    if ids.PAIR_SET_GOALS in found:
        return "goals_reminder"
    if text.startswith(":mountain: Halfway"):
        return "halfway"
    if text.startswith(":arrow_forward: Welcome back"):
        return "resume"
    if "Private:" in text[:40]:
        return "coordinator_note"
    return ""


# Scheduled prompts of a pair (a paused or closed pair must receive none of these).
PAIR_PROMPTS = frozenset(
    {"checkin", "survey", "fit_check", "closure", "continue_check", "goals_reminder", "halfway", "meet_followup"}
)


def action_ids(blocks: Sequence[dict[str, Any]]) -> list[tuple[str, str]]:
    """(action id, value) of every interactive element of the blocks."""
    found = []
    for block in blocks or []:
        elements = list(block.get("elements") or [])
        if isinstance(block.get("accessory"), dict):
            elements.append(block["accessory"])
        for element in elements:
            if isinstance(element, dict) and element.get("action_id"):
                found.append((str(element["action_id"]), str(element.get("value") or "")))
    return found


def blocks_text(blocks: Any) -> str:
    """The readable text of Block Kit blocks (sections, fields, context, headers), one line per piece."""
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    lines: list[str] = []
    for block in blocks or []:
        text = block.get("text")
        if isinstance(text, dict) and text.get("text"):
            lines.append(str(text["text"]))
        for item in block.get("fields") or []:
            lines.append(str(item.get("text", "")))
        for item in block.get("elements") or []:
            if isinstance(item, dict) and item.get("type") in ("mrkdwn", "plain_text"):
                lines.append(str(item.get("text", "")))
    return "\n".join(lines)


def parse_export(content: str) -> tuple[list[dict[str, str]], dict[str, list[dict[str, str]]]]:
    """The export's pair rows, and its other sections by title (a title row, a header row, rows; blank between)."""
    chunks: list[list[list[str]]] = [[]]
    for row in csv.reader(io.StringIO(content)):
        if not any(cell.strip() for cell in row):
            chunks.append([])
        else:
            chunks[-1].append(row)
    chunks = [c for c in chunks if c]
    if not chunks:
        return [], {}
    header, *body = chunks[0]
    rows = [dict(zip(header, r, strict=False)) for r in body]
    sections: dict[str, list[dict[str, str]]] = {}
    for chunk in chunks[1:]:
        if len(chunk[0]) == 1 and len(chunk) > 1:
            title, columns, *body = chunk
            sections[title[0]] = [dict(zip(columns, r, strict=False)) for r in body]
        else:
            columns, *body = chunk
            sections[columns[0]] = [dict(zip(columns, r, strict=False)) for r in body]
    return rows, sections
