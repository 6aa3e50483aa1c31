"""The objects every listener and job needs, built once per process."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from slack_sdk import WebClient
from sqlalchemy.engine import Engine

from bot.config import Settings
from bot.taxonomy import Taxonomy, default_taxonomy
from storage.db import SessionFactory
from storage.types import utcnow

Clock = Callable[[], datetime]


@dataclass
class Services:
    """Configuration, database, the one WebClient, and the clock."""

    settings: Settings
    engine: Engine
    sessions: SessionFactory
    client: WebClient
    clock: Clock = utcnow
    taxonomy: Taxonomy = field(default_factory=default_taxonomy)

    def now(self) -> datetime:
        return self.clock()

    def is_coordinator(self, user_id: str) -> bool:
        """Checked on every coordinator request (never only hidden in the UI)."""
        return user_id in self.settings.coordinator_ids
