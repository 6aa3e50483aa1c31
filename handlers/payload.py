"""Reading the fields every interaction payload carries, in one place for every handler module."""

from __future__ import annotations

import json
from typing import Any

from bot.services import Services
from storage import events


def team_id(body: dict[str, Any]) -> str:
    """The workspace of an interaction, a slash command or an event."""
    team = body.get("team") or {}
    return str(team.get("id") or (body.get("user") or {}).get("team_id") or body.get("team_id") or "")


def user_id(body: dict[str, Any]) -> str:
    """Who clicked, submitted or typed."""
    return str((body.get("user") or {}).get("id") or body.get("user_id") or "")


def view_metadata(view: dict[str, Any] | None) -> dict[str, Any]:
    """A modal's ``private_metadata`` as a dict ({} when absent or not a JSON object)."""
    try:
        data = json.loads((view or {}).get("private_metadata") or "{}")
    except (ValueError, TypeError):
        return {}
    return data if isinstance(data, dict) else {}


def first_submission(services: Services, body: dict[str, Any]) -> bool:
    """A double click submits the same view (same id and hash) twice: act once."""
    view = body.get("view") or {}
    key = f"view:{view.get('id', '')}:{view.get('hash', '')}"
    if key == "view::":
        return True
    with services.sessions() as session:
        return events.claim_event(session=session, team_id=team_id(body), event_id=key[:64], event_type="view")
