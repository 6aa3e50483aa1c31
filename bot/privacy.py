"""Privacy: what mentorbot stores about a person (``/mentor my-data``) and forgetting them (``/mentor leave``).

Leaving keeps only anonymous counts (``anonymous_departure``) and the existence of past pairs, in which the
person's user id is replaced by a pseudonym ``gone:<12 hex>``: an HMAC-SHA256 of workspace and user id
keyed with a server secret (``Settings.privacy_secret``), so it cannot be reversed from the database alone,
and the same person leaving twice gets the same pseudonym. Pair counts and closure stats stay right; the
departed person's side of a past pair no longer names them. Matching compares user ids, so someone who
leaves and later rejoins starts afresh (their old pairs no longer block a re-pair), which is the price of
forgetting; ``pseudonym()`` lets matching also check the pseudonym if the program wants that rule kept.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from datetime import datetime
from typing import Any

from slack_sdk import WebClient
from sqlmodel import Session

from storage import participants
from storage import privacy as store

log = logging.getLogger(__name__)

EXPORT_FILENAME = "mentorbot-my-data.json"


def pseudonym(*, team_id: str, user_id: str, secret: str) -> str:
    """The stable, non-reversible stand-in for a departed person's user id (17 characters)."""
    digest = hmac.new(secret.encode("utf-8"), f"{team_id}:{user_id}".encode(), hashlib.sha256).hexdigest()
    return f"gone:{digest[:12]}"


def export_person(*, session: Session, team_id: str, user_id: str, now: datetime) -> dict[str, Any]:
    """Everything stored about a person, as one JSON-ready document.

    Args:
        session: Database session.
        team_id: Their workspace.
        user_id: Their Slack user id.
        now: When the export was made.
    """
    participant = participants.get_participant(session=session, team_id=team_id, user_id=user_id)
    rows = store.personal_rows(
        session=session, team_id=team_id, user_id=user_id, participant_id=participant.id if participant else None
    )
    return {
        "about": "Everything mentorbot stores about you, table by table. Other people's private answers and "
        "lists are never included. `/mentor leave` deletes it.",
        "workspace": team_id,
        "user_id": user_id,
        "exported_at": now.isoformat(),
        "tables": rows,
    }


def send_export(client: WebClient, *, user_id: str, document: dict[str, Any]) -> str:
    """Upload the export as a JSON file into the person's DM with the app.

    Returns:
        The DM channel id.
    """
    channel = str((client.conversations_open(users=user_id).get("channel") or {}).get("id") or user_id)
    client.files_upload_v2(
        channel=channel,
        content=json.dumps(document, indent=2, ensure_ascii=False, default=str),
        filename=EXPORT_FILENAME,
        title="Your mentorbot data",
        initial_comment="Here is everything mentorbot stores about you. `/mentor leave` deletes it.",
    )
    return channel


def forget_person(*, session: Session, team_id: str, user_id: str, secret: str, now: datetime) -> bool:
    """Leave the program: close the person's pairs, then remove their personal data from every table.

    Keeps an anonymous departure (workspace, cohort, role, date) for stats. Commits.

    Args:
        session: Database session.
        team_id: Their workspace.
        user_id: Their Slack user id.
        secret: Keys the pseudonym (``Settings.privacy_secret``).
        now: The current time.

    Returns:
        True when the person had signed up (and was removed).
    """
    return participants.delete_person(
        session=session,
        team_id=team_id,
        user_id=user_id,
        now=now,
        pseudonym=pseudonym(team_id=team_id, user_id=user_id, secret=secret),
    )
