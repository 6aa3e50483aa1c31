"""Slack OAuth installs in our database: slack_sdk's SQLAlchemy stores with tokens encrypted at rest.

The tables (``slack_installations``, ``slack_bots``, ``slack_oauth_states``) are created by migration 0007,
not by the stores' ``create_tables()``. Every token column (bot, user, and their refresh tokens) holds
Fernet ciphertext: the encryption is a column type, so each query the store makes encrypts on the way in
and decrypts on the way out, and no code path can write a plaintext token by accident.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import sqlalchemy
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import String, TypeDecorator, and_, desc
from sqlalchemy.engine import Engine

log = logging.getLogger(__name__)

TOKEN_COLUMNS = ("bot_token", "user_token", "bot_refresh_token", "user_refresh_token")
STATE_EXPIRATION_SECONDS = 600


def _fernet(keys: str) -> Any:
    """A MultiFernet over comma-separated keys: the first encrypts, any decrypts (key rotation)."""
    try:
        from cryptography.fernet import Fernet, MultiFernet
    except ImportError as exc:  # pragma: no cover - cryptography is a dependency of OAuth mode
        raise RuntimeError("multi-workspace mode needs the 'cryptography' package: pip install cryptography") from exc
    return MultiFernet([Fernet(key.strip().encode("ascii")) for key in keys.split(",") if key.strip()])


class EncryptedToken(TypeDecorator[str]):
    """A ``String`` column whose values are Fernet-encrypted on write and decrypted on read."""

    impl = String(200)
    cache_ok = True

    def __init__(self, fernet: Any) -> None:
        super().__init__()
        self.fernet = fernet

    def process_bind_param(self, value: str | None, dialect: Any) -> str | None:
        if value is None:
            return None
        return str(self.fernet.encrypt(value.encode("utf-8")).decode("ascii"))

    def process_result_value(self, value: str | None, dialect: Any) -> str | None:
        if value is None:
            return None
        from cryptography.fernet import InvalidToken

        try:
            return str(self.fernet.decrypt(value.encode("ascii")).decode("utf-8"))
        except (InvalidToken, UnicodeEncodeError):
            # never the value itself: it is a secret, and a wrong key must not look like a missing install
            log.error("stored Slack token cannot be decrypted: TOKEN_ENCRYPTION_KEY is not the key it was saved with")
            return None


class EncryptedInstallationStore(SQLAlchemyInstallationStore):
    """slack_sdk's installation store on our tables, with every token column encrypted."""

    def __init__(
        self,
        *,
        client_id: str,
        engine: Engine,
        encryption_key: str,
        on_installed: Callable[[str, str], None] | None = None,
    ) -> None:
        super().__init__(client_id=client_id, engine=engine, logger=logging.getLogger("slack_sdk.oauth"))
        self.on_installed = on_installed
        token_type = EncryptedToken(_fernet(encryption_key))
        for table in (self.installations, self.bots):
            for name in TOKEN_COLUMNS:
                if name in table.c:
                    table.c[name].type = token_type

    def save(self, installation: Installation) -> None:
        """Store an install, then tell ``on_installed(team_id, installer)`` (the installer's first coordinator)."""
        super().save(installation)
        if self.on_installed is not None and installation.team_id and installation.user_id:
            self.on_installed(str(installation.team_id), str(installation.user_id))

    def create_tables(self) -> None:
        raise RuntimeError("the install tables are created by migration 0007: run `mentorbot db upgrade`")

    def find_bot_for_team(self, *, team_id: str) -> Bot | None:
        """The newest bot install for a workspace, whatever its enterprise (background jobs only know the team).

        Args:
            team_id: The workspace id.

        Returns:
            The bot (token decrypted), or None when the workspace has not installed the app or uninstalled it.
        """
        c = self.bots.c
        query = (
            self.bots.select()
            .where(and_(c.client_id == self.client_id, c.team_id == team_id, c.bot_token.is_not(None)))
            .order_by(desc(c.installed_at))
            .limit(1)
        )
        with self.engine.connect() as conn:
            for row in conn.execute(query).mappings():
                return self.build_bot_entity(row)
        return None

    def delete_workspace(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        """Forget every installation and bot of a workspace (``app_uninstalled``)."""
        self.delete_bot(enterprise_id=enterprise_id, team_id=team_id)
        self.delete_installation(enterprise_id=enterprise_id, team_id=team_id)

    def installed_teams(self) -> list[str]:
        """Workspace ids with a bot token, oldest install first."""
        c = self.bots.c
        query = (
            sqlalchemy.select(c.team_id)
            .where(c.client_id == self.client_id, c.bot_token.is_not(None), c.team_id.is_not(None))
            .group_by(c.team_id)
            .order_by(sqlalchemy.func.min(c.installed_at))
        )
        with self.engine.connect() as conn:
            return [str(row[0]) for row in conn.execute(query)]


def build_state_store(engine: Engine) -> SQLAlchemyOAuthStateStore:
    """The OAuth ``state`` store (CSRF protection of the install redirect) on our ``slack_oauth_states`` table."""
    return SQLAlchemyOAuthStateStore(
        expiration_seconds=STATE_EXPIRATION_SECONDS, engine=engine, logger=logging.getLogger("slack_sdk.oauth")
    )


def cancel_pending_prompts(*, session: Any, team_id: str, now: Any) -> int:
    """Stop a workspace's scheduled prompts (it uninstalled the app): pending rows become cancelled (all but the
    deletion of its data after the retention window).

    Args:
        session: An open session (committed here).
        team_id: The workspace.
        now: The time recorded as ``updated_at``.

    Returns:
        How many prompts were cancelled.
    """
    from storage.models.outbox import CANCELLED, PENDING, ScheduledPrompt
    from storage.vocab import PromptKind

    table = ScheduledPrompt.__table__  # type: ignore[attr-defined]
    result = session.execute(
        table.update()
        .where(table.c.team_id == team_id, table.c.status == PENDING, table.c.kind != PromptKind.WORKSPACE_PURGE)
        .values(status=CANCELLED, updated_at=now, last_error="workspace uninstalled the app")
    )
    session.commit()
    return int(result.rowcount or 0)
