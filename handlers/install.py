"""Workspace lifecycle events: the app uninstalled, tokens revoked."""

from __future__ import annotations

from typing import Any

from slack_bolt import App

from bot import installation
from bot.services import Services
from handlers.commands import CommandRouter


def _ids(body: dict[str, Any]) -> tuple[str | None, str]:
    enterprise = body.get("enterprise_id") or None
    return (str(enterprise) if enterprise else None), str(body.get("team_id") or "")


def register(app: App, services: Services, router: CommandRouter) -> None:
    """Attach ``app_uninstalled`` and ``tokens_revoked`` (both need no scope; Bolt skips auth.test for them)."""
    installation.register_prompt_kinds()

    @app.event("app_uninstalled")
    def on_app_uninstalled(body: dict[str, Any]) -> None:
        enterprise_id, team_id = _ids(body)
        if not team_id:
            return
        installation.workspace_uninstalled(
            sessions=services.sessions,
            store=services.installations,
            enterprise_id=enterprise_id,
            team_id=team_id,
            now=services.now(),
            retention_days=services.settings.uninstall_retention_days,
        )
        services.forget_client(team_id)

    @app.event("tokens_revoked")
    def on_tokens_revoked(body: dict[str, Any], event: dict[str, Any]) -> None:
        enterprise_id, team_id = _ids(body)
        tokens = event.get("tokens") if isinstance(event.get("tokens"), dict) else {}
        if not team_id:
            return
        installation.tokens_revoked(
            sessions=services.sessions,
            store=services.installations,
            enterprise_id=enterprise_id,
            team_id=team_id,
            bot_user_ids=[str(u) for u in tokens.get("bot") or []],
            user_ids=[str(u) for u in tokens.get("oauth") or []],
            now=services.now(),
            retention_days=services.settings.uninstall_retention_days,
        )
        services.forget_client(team_id)
