"""Multi-workspace install: Bolt's OAuth flow on our database, and what happens when a workspace leaves.

Mode is chosen by configuration (``bot/config.py``): ``SLACK_BOT_TOKEN`` serves one workspace;
``SLACK_CLIENT_ID`` + ``SLACK_CLIENT_SECRET`` + ``TOKEN_ENCRYPTION_KEY`` let any workspace install the app
at ``GET /slack/install`` (Slack redirects back to ``GET /slack/oauth_redirect``), each workspace's bot token
stored encrypted in ``slack_bots`` / ``slack_installations``.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from slack_bolt.authorization.authorize import InstallationStoreAuthorize
from slack_bolt.oauth.oauth_settings import OAuthSettings

from bot.config import Settings
from storage import coordinators
from storage.db import session_factory
from storage.installations import EncryptedInstallationStore, build_state_store, cancel_pending_prompts
from storage.vocab import PromptKind

log = logging.getLogger(__name__)

INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
MANIFEST = Path(__file__).resolve().parent.parent / "manifest.yml"
# The bot scopes of manifest.yml, for installs where the manifest file is not shipped (a test keeps them equal).
DEFAULT_SCOPES = (
    "commands",
    "chat:write",
    "im:write",
    "mpim:write",
    "im:history",
    "mpim:history",
    "users:read",
    "users:read.email",
    "files:write",
    "channels:read",
    "groups:read",
)


def manifest_scopes(path: Path = MANIFEST) -> list[str]:
    """The bot scopes the app asks for at install: those of ``manifest.yml``.

    Args:
        path: The manifest; when missing (a wheel install), :data:`DEFAULT_SCOPES`.
    """
    if not path.is_file():
        return list(DEFAULT_SCOPES)
    manifest = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [str(scope) for scope in manifest["oauth_config"]["scopes"]["bot"]]


def build_installation_store(settings: Settings, engine: object) -> EncryptedInstallationStore:
    """The encrypted installation store for a multi-workspace configuration."""
    if not settings.client_id or not settings.token_encryption_key:
        raise ValueError("multi-workspace mode needs SLACK_CLIENT_ID and TOKEN_ENCRYPTION_KEY")
    sessions = session_factory(engine)  # type: ignore[arg-type]

    def first_coordinator(team_id: str, installer: str) -> None:
        with sessions() as session:
            if coordinators.add_first_coordinator(session=session, team_id=team_id, user_id=installer):
                log.info("installer is the first coordinator team=%s", team_id)

    return EncryptedInstallationStore(
        client_id=settings.client_id,
        engine=engine,  # type: ignore[arg-type]
        encryption_key=settings.token_encryption_key,
        on_installed=first_coordinator,
    )


def build_oauth_settings(settings: Settings, store: EncryptedInstallationStore, engine: object) -> OAuthSettings:
    """Bolt's OAuth settings: our scopes, our stores, our two paths.

    Args:
        settings: A multi-workspace configuration.
        store: The installation store (shared with ``Services.client_for``).
        engine: The database engine (for the OAuth state store).
    """
    return OAuthSettings(
        client_id=settings.client_id,
        client_secret=settings.client_secret,
        scopes=manifest_scopes(),
        installation_store=store,
        state_store=build_state_store(engine),  # type: ignore[arg-type]
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
    )


def build_authorize(store: EncryptedInstallationStore) -> InstallationStoreAuthorize:
    """Per-request authorization from the store; ``auth.test`` is cached per token (a revoked token is gone
    from the store first, so the cache never serves an uninstalled workspace)."""
    return InstallationStoreAuthorize(
        logger=logging.getLogger("slack_bolt.authorize"),
        installation_store=store,
        client_id=store.client_id,
        cache_enabled=True,
        bot_only=True,
    )


def workspace_uninstalled(
    *,
    sessions: object,
    store: EncryptedInstallationStore | None,
    enterprise_id: str | None,
    team_id: str,
    now: datetime,
    retention_days: int = 30,
) -> int:
    """``app_uninstalled``: forget the workspace's tokens, stop its scheduled prompts, and schedule the deletion
    of its data after ``retention_days`` (``UNINSTALL_RETENTION_DAYS``; a reinstall before then keeps it).

    Args:
        sessions: The session factory.
        store: The installation store (None in single-workspace mode: only the prompts are stopped).
        enterprise_id: The Enterprise Grid org, if any.
        team_id: The workspace.
        now: The current time.
        retention_days: Days the data is kept in case the workspace reinstalls.

    Returns:
        How many scheduled prompts were cancelled.
    """
    if store is not None:
        store.delete_workspace(enterprise_id=enterprise_id, team_id=team_id)
    with sessions() as session:  # type: ignore[operator]
        cancelled = cancel_pending_prompts(session=session, team_id=team_id, now=now)
        schedule_purge(session=session, team_id=team_id, now=now, retention_days=retention_days)
    log.info("workspace uninstalled team=%s enterprise=%s prompts_cancelled=%d", team_id, enterprise_id, cancelled)
    return cancelled


def schedule_purge(*, session: Any, team_id: str, now: datetime, retention_days: int) -> None:
    """Queue the deletion of a workspace's data in ``retention_days`` on the outbox (any replica runs it). Commits."""
    from bot.outbox import schedule_prompt

    schedule_prompt(
        session=session,
        team_id=team_id,
        key=f"workspace-purge:{now:%Y%m%dT%H%M%S}",
        kind=PromptKind.WORKSPACE_PURGE,
        due_at=now + timedelta(days=retention_days),
        payload={"uninstalled_at": now.isoformat()},
    )
    session.commit()


_NOT_INSTALLED = ("invalid_auth", "not_authed", "account_inactive", "token_revoked", "team_not_found")


def is_installed(client: Any, team_id: str) -> bool:
    """Whether the app is installed in the workspace now: its token works for that workspace.

    Raises:
        SlackApiError: Slack answered something that says nothing about the install (retry later).
    """
    from slack_sdk.errors import SlackApiError

    try:
        answer = client.auth_test()
    except SlackApiError as exc:
        if exc.response.get("error") in _NOT_INSTALLED:
            return False
        raise
    return str(answer.get("team_id") or "") == team_id


def render_workspace_purge(services: Any, session: Any, prompt: Any, now: datetime) -> None:
    """Outbox renderer for ``workspace_purge``: the retention window after an uninstall is over. A workspace
    that reinstalled meanwhile keeps everything; otherwise every row of it is deleted. Sends nothing."""
    from storage.privacy import purge_workspace

    services.forget_client(prompt.team_id)
    if is_installed(services.client_for(prompt.team_id), prompt.team_id):
        log.info("workspace reinstalled within the retention window: data kept team=%s", prompt.team_id)
        return None
    deleted = purge_workspace(session=session, team_id=prompt.team_id, keep_prompt_id=prompt.id)
    log.info("workspace data deleted after the retention window team=%s rows=%d", prompt.team_id, deleted)
    return None


def register_prompt_kinds() -> None:
    """Register the workspace purge with the outbox (idempotent)."""
    from bot.outbox import register_prompt_kind

    register_prompt_kind(PromptKind.WORKSPACE_PURGE, render_workspace_purge)


def tokens_revoked(
    *,
    sessions: object,
    store: EncryptedInstallationStore | None,
    enterprise_id: str | None,
    team_id: str,
    bot_user_ids: list[str],
    user_ids: list[str],
    now: datetime,
    retention_days: int = 30,
) -> int:
    """``tokens_revoked``: delete the revoked tokens; without a bot token the workspace's prompts stop.

    Returns:
        How many scheduled prompts were cancelled (0 when only user tokens were revoked).
    """
    if store is not None:
        for user_id in user_ids:
            store.delete_installation(enterprise_id=enterprise_id, team_id=team_id, user_id=user_id)
        if bot_user_ids:
            store.delete_bot(enterprise_id=enterprise_id, team_id=team_id)
    if not bot_user_ids:
        return 0
    with sessions() as session:  # type: ignore[operator]
        cancelled = cancel_pending_prompts(session=session, team_id=team_id, now=now)
        schedule_purge(session=session, team_id=team_id, now=now, retention_days=retention_days)
    log.info("bot token revoked team=%s prompts_cancelled=%d", team_id, cancelled)
    return cancelled


_REASONS = {200: "OK", 302: "Found", 400: "Bad Request", 404: "Not Found", 500: "Internal Server Error"}


def oauth_page(app: object, environ: dict[str, object]) -> tuple[str, list[tuple[str, str]], bytes] | None:
    """Serve ``GET /slack/install`` and ``GET /slack/oauth_redirect`` (browser requests, not signed by Slack).

    Args:
        app: The Bolt app.
        environ: The WSGI environ of a GET request.

    Returns:
        ``(status line, headers, body)`` for the WSGI server, or None when the path is not an OAuth path
        (or the app runs in single-workspace mode).
    """
    from slack_bolt.request import BoltRequest

    flow = getattr(app, "oauth_flow", None)
    path = str(environ.get("PATH_INFO") or "")
    if flow is None or path not in (flow.install_path, flow.redirect_uri_path):
        return None
    headers = {k[5:].replace("_", "-").lower(): str(v) for k, v in environ.items() if k.startswith("HTTP_")}
    request = BoltRequest(body="", query=str(environ.get("QUERY_STRING") or ""), headers=headers)
    response = flow.handle_installation(request) if path == flow.install_path else flow.handle_callback(request)
    body = (response.body or "").encode("utf-8")
    out = [(k, v) for k, values in response.headers.items() for v in values if k.lower() != "content-length"]
    out.append(("Content-Length", str(len(body))))
    return f"{response.status} {_REASONS.get(response.status, 'OK')}", out, body
