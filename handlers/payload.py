"""Reading the fields every interaction payload carries, in one place for every handler module."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.services import Services
from storage import events

log = logging.getLogger(__name__)

# A user mention as Slack sends it in a command's text: ``<@U123>`` or ``<@U123|name>``; group 1 is the user id.
MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")


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


def tell_privately(client: WebClient, body: dict[str, Any], user_id: str, text: str) -> None:
    """A private answer to whoever clicked: ephemeral where they clicked, else their DM."""
    channel = str((body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id") or "")
    try:
        if channel:
            client.chat_postEphemeral(channel=channel, user=user_id, text=text)
            return
    except SlackApiError as exc:
        log.info("ephemeral failed, using DM error=%s", exc.response.get("error"))
    client.chat_postMessage(channel=user_id, text=text)
