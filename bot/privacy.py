"""Privacy: what mentorbot stores about a person (``/mentor my-data``) and forgetting them (``/mentor leave``).

Keys. ``person_key`` is an HMAC-SHA256 of workspace and user id under ``PSEUDONYM_KEY`` (a dedicated, stable
key: rotating ``TOKEN_ENCRYPTION_KEY`` changes nothing here). A departed person's id is replaced by the
pseudonym ``gone:<first 12 hex of their key>`` in rows kept for others, and the person named on a confidential
do-not-pair list is stored with their key as well. Without the key the database cannot tell who a pseudonym
was; with it, matching recognises a rejoining person (their participant row carries their key), so a
do-not-pair entry naming them and "never pair again" after a closed pair both survive a leave and a rejoin.

Leaving erases whatever the person has, whether or not they ever joined (a ``/mentor avoid`` list, "don't
suggest me"...): see :mod:`storage.privacy` for what is deleted, emptied and pseudonymised. Their open
introductions and mentee-choice requests are withdrawn first, so nobody can accept one afterwards and no pair
is ever created with a pseudonym.

What a requester sees. A declined, expired or withdrawn introduction (or mentee-choice request) reads the same
to the person who asked, at the same time: "not available" once the answer window closes. ``requester_view``
applies that to the ``my-data`` export too, so the export never tells a decline from an expiry.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from storage import participants, rounds
from storage import privacy as store
from storage.models import AnonymousDeparture, Profile
from storage.vocab import IntroStatus, MatchRequestStatus

log = logging.getLogger(__name__)

EXPORT_FILENAME = "mentorbot-my-data.json"
PSEUDONYM_PREFIX = "gone:"
NOT_AVAILABLE = "not_available"  # what a requester sees for a declined, expired or withdrawn ask (never stored)
_UNANSWERED = (IntroStatus.DECLINED, IntroStatus.EXPIRED, IntroStatus.WITHDRAWN)
_UNANSWERED_REQUESTS = (MatchRequestStatus.DECLINED, MatchRequestStatus.EXPIRED, MatchRequestStatus.WITHDRAWN)


def person_key(*, team_id: str, user_id: str, secret: str) -> str:
    """The keyed hash of a person (64 hex): stable, not reversible without ``PSEUDONYM_KEY``."""
    if not secret:
        raise ValueError("PSEUDONYM_KEY is needed to key a person")
    return hmac.new(secret.encode("utf-8"), f"{team_id}:{user_id}".encode(), hashlib.sha256).hexdigest()


def pseudonym_of_key(key: str) -> str:
    """The pseudonym stored in place of the user id of the person whose ``person_key`` this is."""
    return f"{PSEUDONYM_PREFIX}{key[:12]}"


def pseudonym(*, team_id: str, user_id: str, secret: str) -> str:
    """The stable, non-reversible stand-in for a departed person's user id (17 characters)."""
    return pseudonym_of_key(person_key(team_id=team_id, user_id=user_id, secret=secret))


def is_pseudonym(value: str) -> bool:
    """Whether a stored person column holds a departed person's pseudonym."""
    return value.startswith(PSEUDONYM_PREFIX)


def requester_view(table: str, row: dict[str, Any], *, user_id: str, now: datetime) -> dict[str, Any]:
    """A row as the person who *asked* may see it: a decline reads like an expiry, at the same time.

    Introductions the person asked for, and their own mentee-choice requests, show ``pending`` (or
    ``requested``) until the answer window closes whatever happened, then ``not_available``.
    """
    if table == "introduction" and row.get("requester_id") == user_id:
        closes = _when(row.get("expires_at"))
        status = row.get("status")
        if status in _UNANSWERED or (status == IntroStatus.PENDING and closes is not None and closes <= now):
            shown = dict(row)
            if closes is not None and now < closes:
                shown["status"], shown["decided_at"] = IntroStatus.PENDING.value, None
            else:
                shown["status"], shown["decided_at"] = NOT_AVAILABLE, row.get("expires_at")
            return shown
    if table == "match_request" and row.get("mentee_user_id") == user_id:
        closes = _when(row.get("respond_by"))
        if row.get("status") in _UNANSWERED_REQUESTS:
            shown = dict(row)
            shown["status"] = (
                MatchRequestStatus.REQUESTED.value if closes is not None and now < closes else NOT_AVAILABLE
            )
            return shown
    return row


def _when(value: Any) -> datetime | None:
    if isinstance(value, str) and value:
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return None


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
    tables = {
        name: [requester_view(name, row, user_id=user_id, now=now) for row in found] for name, found in rows.items()
    }
    return {
        "about": "Everything mentorbot stores about you, table by table. Other people's private answers and "
        "lists are never included. `/mentor leave` deletes it.",
        "workspace": team_id,
        "user_id": user_id,
        "exported_at": now.isoformat(),
        "tables": tables,
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


def has_data(*, session: Session, team_id: str, user_id: str) -> bool:
    """Whether ``/mentor leave`` has anything to erase for this person (participant or not)."""
    return store.has_personal_rows(session=session, team_id=team_id, user_id=user_id)


@dataclass
class Departure:
    """What a leave did: whether anything was erased, and the asks withdrawn (to tidy up in Slack)."""

    erased: bool
    was_participant: bool = False
    introductions: list[Any] = field(default_factory=list)
    match_requests: list[Any] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


def forget_person(*, session: Session, team_id: str, user_id: str, secret: str, now: datetime) -> Departure:
    """Leave the program: close the person's pairs, withdraw their asks, erase them from every table. Commits.

    Keeps an anonymous departure (workspace, cohort, role, date) for stats when they had signed up.

    Args:
        session: Database session.
        team_id: Their workspace.
        user_id: Their Slack user id.
        secret: ``PSEUDONYM_KEY`` (keys the pseudonym).
        now: The current time.

    Returns:
        What was done (``erased`` is False when nothing at all was stored about them).
    """
    # Their participant row first, in the order every pair-making write takes it (storage.rounds): a publication
    # or a hand pair racing the leave either commits first (and its pair is closed below) or finds them gone.
    rounds.lock_participants(session=session, team_id=team_id, user_ids={user_id})
    if not store.has_personal_rows(session=session, team_id=team_id, user_id=user_id):
        return Departure(erased=False)
    participant = participants.get_participant(session=session, team_id=team_id, user_id=user_id)
    names: list[str] = []
    if participant is not None:
        names.append(participant.display_name)
        profile = session.get(Profile, participant.id)
        if profile is not None and profile.email:
            names.append(profile.email)
        session.add(
            AnonymousDeparture(team_id=team_id, cohort_id=participant.cohort_id, role=participant.role, left_at=now)
        )
    store.close_pairs_of(session=session, team_id=team_id, user_id=user_id, now=now)
    withdrawn = store.withdraw_requests_of(session=session, team_id=team_id, user_id=user_id)
    session.flush()
    counts = store.erase_person(
        session=session,
        team_id=team_id,
        user_id=user_id,
        participant_id=participant.id if participant is not None else None,
        pseudonym=pseudonym(team_id=team_id, user_id=user_id, secret=secret),
        names=names,
    )
    session.commit()
    log.info(
        "person erased team=%s participant=%s deleted=%d emptied=%d pseudonymised=%d scrubbed=%d",
        team_id,
        participant is not None,
        counts["deleted"],
        counts["emptied"],
        counts["pseudonymised"],
        counts["scrubbed"],
    )
    return Departure(
        erased=True,
        was_participant=participant is not None,
        introductions=withdrawn["introductions"],
        match_requests=withdrawn["match_requests"],
        counts=counts,
    )


def tidy_withdrawn(client: WebClient, departure: Departure, *, user_id: str) -> None:
    """After a leave: the asks they had sent no longer offer buttons (an old click gets a clear answer anyway)."""
    from bot.views.knowledge import intro_withdrawn_message

    for intro in departure.introductions:
        if intro.requester_id != user_id or not intro.ask_channel or not intro.ask_ts:
            continue
        try:
            client.chat_update(channel=intro.ask_channel, ts=intro.ask_ts, **intro_withdrawn_message())
        except SlackApiError as exc:
            log.warning("withdrawn intro not updated intro=%s error=%s", intro.id, exc.response.get("error"))
