"""The objects every listener and job needs, built once per process."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.config import Settings
from bot.taxonomy import Taxonomy, default_taxonomy
from storage import coordinators
from storage.db import SessionFactory
from storage.types import utcnow

Clock = Callable[[], datetime]
log = logging.getLogger(__name__)


@dataclass
class Services:
    """Configuration, database, the one WebClient, and the clock."""

    settings: Settings
    engine: Engine
    sessions: SessionFactory
    client: WebClient
    clock: Clock = utcnow
    taxonomy: Taxonomy = field(default_factory=default_taxonomy)
    # members of COORDINATOR_CHANNEL are cached this long (seconds), so a check is not an API call each time
    coordinator_cache_seconds: float = 30.0
    _channel_cache: tuple[float, frozenset[str]] | None = field(default=None, init=False, repr=False)
    _channel_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    _channel_problem: str | None = field(default=None, init=False, repr=False)
    # multi-workspace mode: the installation store (storage.installations.EncryptedInstallationStore)
    installations: Any = None
    # a workspace's bot token is read from the store at most this often (seconds)
    token_cache_seconds: float = 60.0
    # labelled pairs (in all, and of each outcome) before "Learn from past cohorts" is offered
    learn_minimum: tuple[int, int] = (200, 30)
    _clients: dict[str, tuple[float, WebClient]] = field(default_factory=dict, init=False, repr=False)
    _clients_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def now(self) -> datetime:
        return self.clock()

    def client_for(self, team_id: str) -> WebClient:
        """The WebClient that speaks for a workspace.

        Single-workspace mode: the one client. Multi-workspace mode: a client carrying that workspace's bot
        token from the installation store (cached ``token_cache_seconds``); a workspace without an install
        gets a client without a token, whose calls fail with ``not_authed`` instead of using another's.
        """
        if self.installations is None:
            return self.client
        with self._clients_lock:
            cached = self._clients.get(team_id)
            if cached is not None and time.monotonic() - cached[0] < self.token_cache_seconds:
                return cached[1]
        bot = self.installations.find_bot_for_team(team_id=team_id) if team_id else None
        client = type(self.client)(  # same class as the main client (metered), another workspace's token
            token=bot.bot_token if bot is not None else None,
            base_url=self.client.base_url,
            timeout=self.client.timeout,
            retry_handlers=list(self.client.retry_handlers),
            logger=self.client.logger,
        )
        with self._clients_lock:
            self._clients[team_id] = (time.monotonic(), client)
        return client

    def forget_client(self, team_id: str) -> None:
        """Drop a workspace's cached client (it uninstalled the app or its tokens were revoked)."""
        with self._clients_lock:
            self._clients.pop(team_id, None)

    def is_coordinator(self, user_id: str, team_id: str, session: Session | None = None) -> bool:
        """Checked on every coordinator request (never only hidden in the UI), for one workspace.

        A workspace's coordinators are those stored for it (the installer first, then ``/mentor coordinators
        add``). In single-workspace mode ``COORDINATOR_IDS`` and the members of ``COORDINATOR_CHANNEL`` count
        too, the channel only when it is private (``conversations.info``): anyone can join a public channel.
        Channel members are cached for ``coordinator_cache_seconds``. ``session``: an open one to read with.
        """
        if not user_id or not team_id:
            return False
        single = not self.settings.multi_workspace
        if single and user_id in self.settings.coordinator_ids:
            return True
        if session is not None:
            listed = coordinators.is_listed(session=session, team_id=team_id, user_id=user_id)
        else:
            with self.sessions() as own:
                listed = coordinators.is_listed(session=own, team_id=team_id, user_id=user_id)
        if listed:
            return True
        if not single or not self.settings.coordinator_channel:
            return False
        return user_id in self._coordinator_channel_members()

    def coordinator_channel_problem(self) -> str | None:
        """Why ``COORDINATOR_CHANNEL`` grants nobody coordinator rights (public, unreadable), or None."""
        if not self.settings.coordinator_channel:
            return None
        if self.settings.multi_workspace:
            return (
                f"COORDINATOR_CHANNEL ({self.settings.coordinator_channel}) is ignored when workspaces install "
                "through OAuth: add coordinators with `/mentor coordinators add @person`."
            )
        self._coordinator_channel_members()
        return self._channel_problem

    def _coordinator_channel_members(self) -> frozenset[str]:
        with self._channel_lock:
            cached = self._channel_cache
            if cached is not None and time.monotonic() - cached[0] < self.coordinator_cache_seconds:
                return cached[1]
            channel = self.settings.coordinator_channel
            members: set[str] = set()
            problem: str | None = None
            try:
                info = self.client.conversations_info(channel=channel).get("channel") or {}
                if not info.get("is_private"):
                    problem = (
                        f"COORDINATOR_CHANNEL <#{channel}> is a public channel: anyone can join it, so its members "
                        "are not coordinators. Use a private channel."
                    )
                else:
                    cursor: str | None = None
                    while True:
                        page = self.client.conversations_members(channel=channel, limit=200, cursor=cursor)
                        members.update(page.get("members") or [])
                        cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
                        if not cursor:
                            break
            except SlackApiError as exc:  # an unreadable channel means no extra coordinators, not an outage
                members.clear()
                problem = (
                    f"COORDINATOR_CHANNEL <#{channel}> cannot be read ({exc.response.get('error')}): invite the app "
                    "to that private channel."
                )
            if problem:
                log.warning("coordinator channel refused channel=%s reason=%s", channel, problem.split(":")[0])
            self._channel_problem = problem
            self._channel_cache = (time.monotonic(), frozenset(members))
            return self._channel_cache[1]
