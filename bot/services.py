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

from bot.config import Settings
from bot.taxonomy import Taxonomy, default_taxonomy
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

    def is_coordinator(self, user_id: str) -> bool:
        """Checked on every coordinator request (never only hidden in the UI).

        Coordinators are ``COORDINATOR_IDS`` plus the members of ``COORDINATOR_CHANNEL`` (if set), read
        with ``conversations.members`` and cached for ``coordinator_cache_seconds``.
        """
        if not user_id:
            return False
        if user_id in self.settings.coordinator_ids:
            return True
        if not self.settings.coordinator_channel:
            return False
        return user_id in self._coordinator_channel_members()

    def _coordinator_channel_members(self) -> frozenset[str]:
        with self._channel_lock:
            cached = self._channel_cache
            if cached is not None and time.monotonic() - cached[0] < self.coordinator_cache_seconds:
                return cached[1]
            members: set[str] = set()
            cursor: str | None = None
            try:
                while True:
                    page = self.client.conversations_members(
                        channel=self.settings.coordinator_channel, limit=200, cursor=cursor
                    )
                    members.update(page.get("members") or [])
                    cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
                    if not cursor:
                        break
            except SlackApiError as exc:  # an unreadable channel means no extra coordinators, not an outage
                log.warning(
                    "coordinator channel unreadable channel=%s error=%s",
                    self.settings.coordinator_channel,
                    exc.response.get("error"),
                )
            self._channel_cache = (time.monotonic(), frozenset(members))
            return self._channel_cache[1]
