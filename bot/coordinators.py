"""Who the coordinators of a workspace are, and telling them something privately.

A workspace's coordinators are stored per workspace (``coordinator`` table): in OAuth installs the installer is
the first, and coordinators add or remove others with ``/mentor coordinators add|remove @person`` (audited).
``COORDINATOR_IDS`` and a *private* ``COORDINATOR_CHANNEL`` are the single-workspace default on top of that;
with OAuth installs they apply nowhere, since one list cannot belong to every workspace.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from bot import deferred
from bot.views.blocks import section
from storage import coordinators as store
from storage.coordination import record_audit

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)


def coordinator_targets(services: Services, team_id: str, session: Session | None = None) -> list[str]:
    """Where a workspace's private coordinator notes go: each coordinator's DM, else the private channel.

    ``session``: the caller's, when it holds a write transaction (SQLite has one writer at a time).
    """
    if session is None:
        with services.sessions() as own:
            return coordinator_targets(services, team_id, own)
    stored = store.list_coordinators(session=session, team_id=team_id)
    single = not services.settings.multi_workspace
    people = list(dict.fromkeys([*stored, *(sorted(services.settings.coordinator_ids) if single else [])]))
    if people:
        return people
    channel = services.settings.coordinator_channel
    if single and channel and services.coordinator_channel_problem() is None:
        return [channel]
    return []


def tell_coordinators(services: Services, team_id: str, text: str) -> None:
    """A private note to the coordinators of the pair's workspace, sent with that workspace's token.

    ``text`` is the caller's mrkdwn: any text a participant typed in it must already be escaped.
    """

    def send() -> None:
        client = services.client_for(team_id)
        for target in coordinator_targets(services, team_id):
            try:
                client.chat_postMessage(channel=target, text=text, blocks=[section(text)], unfurl_links=False)
            except SlackApiError as exc:
                log.warning("coordinator note failed team=%s error=%s", team_id, exc.response.get("error"))

    # While a submission is stored the note waits for the acknowledgement (and reads the coordinators in a
    # session of its own only then: SQLite has one writer at a time).
    deferred.later(send)


def list_for(services: Services, team_id: str) -> tuple[list[str], list[str], str | None]:
    """``(stored coordinators, COORDINATOR_IDS that apply here, channel note)`` for ``/mentor coordinators``."""
    with services.sessions() as session:
        stored = store.list_coordinators(session=session, team_id=team_id)
    single = not services.settings.multi_workspace
    from_env = sorted(services.settings.coordinator_ids) if single else []
    channel = services.settings.coordinator_channel
    problem = services.coordinator_channel_problem()
    note = problem or (f"members of the private channel <#{channel}>" if channel and single else None)
    return stored, from_env, note


def add(services: Services, *, team_id: str, actor: str, user_id: str) -> bool:
    """Make someone a coordinator of the workspace (audited). False when they already were."""
    with services.sessions() as session:
        added = store.add_coordinator(session=session, team_id=team_id, user_id=user_id, added_by=actor)
        if added:
            record_audit(
                session=session, team_id=team_id, actor=actor, action="coordinator.add", target=f"user:{user_id}"
            )
    return added


def remove(services: Services, *, team_id: str, actor: str, user_id: str) -> str:
    """Remove a stored coordinator (audited). Returns ``removed``, ``not_stored``, ``from_env`` or ``last``."""
    with services.sessions() as session:
        stored = store.list_coordinators(session=session, team_id=team_id)
        single = not services.settings.multi_workspace
        if user_id not in stored:
            return "from_env" if single and user_id in services.settings.coordinator_ids else "not_stored"
        others = [u for u in stored if u != user_id] + (sorted(services.settings.coordinator_ids) if single else [])
        if not others:
            return "last"
        store.remove_coordinator(session=session, team_id=team_id, user_id=user_id)
        record_audit(
            session=session, team_id=team_id, actor=actor, action="coordinator.remove", target=f"user:{user_id}"
        )
    return "removed"


def check_channel_at_startup(services: Services) -> None:
    """Say at startup when ``COORDINATOR_CHANNEL`` grants nothing (a public or unreadable channel)."""
    if not services.settings.coordinator_channel:
        return
    problem = services.coordinator_channel_problem()
    if problem:
        log.error("coordinator channel refused: %s", problem)
    else:
        log.info("coordinator channel is private channel=%s", services.settings.coordinator_channel)
