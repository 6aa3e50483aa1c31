"""Composition root: the one WebClient, the Bolt app, and its middleware."""

from __future__ import annotations

import logging
from http.client import RemoteDisconnected
from urllib.error import URLError
from typing import Any

from slack_bolt import App, BoltResponse
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.config import Settings
from bot.services import Services
from storage import events

log = logging.getLogger(__name__)


def build_client(settings: Settings, *, token: str | None = None, timeout: int = 10) -> WebClient:
    """The WebClient every Slack call goes through: base_url from SLACK_API_URL, retries built in.

    Connection errors and 5xx answers are retried with backoff; a 429 waits for Retry-After.
    """
    return WebClient(
        token=token or settings.bot_token,
        base_url=settings.slack_api_url,
        timeout=timeout,
        retry_handlers=[
            ConnectionErrorRetryHandler(
                max_retry_count=3, error_types=[TimeoutError, URLError, ConnectionResetError, RemoteDisconnected]
            ),
            ServerErrorRetryHandler(max_retry_count=3),
            RateLimitErrorRetryHandler(max_retry_count=5),
        ],
    )


def build_app(services: Services, *, verify_token: bool = True) -> App:
    """The Bolt app with every listener registered."""
    settings = services.settings
    app = App(
        client=services.client,
        signing_secret=settings.signing_secret or "socket-mode-has-no-signing-secret",
        request_verification_enabled=not settings.socket_mode,
        token_verification_enabled=verify_token,
        logger=logging.getLogger("slack_bolt"),
    )

    @app.middleware
    def drop_duplicate_events(body: dict[str, Any], next: Any) -> BoltResponse | None:  # noqa: A002 - Bolt's name
        """Events API retries (and replays) carry the same event_id: handle each once."""
        if body.get("type") == "event_callback" and isinstance(body.get("event_id"), str):
            team_id = str(body.get("team_id") or "")
            event = body.get("event") if isinstance(body.get("event"), dict) else {}
            with services.sessions() as session:
                first = events.claim_event(
                    session=session, team_id=team_id, event_id=body["event_id"], event_type=str(event.get("type", ""))
                )
            if not first:
                log.info("duplicate event ignored event_id=%s", body["event_id"])
                return BoltResponse(status=200, body="")
        return next()

    from handlers import register_handlers  # composition root: the one place bot/ meets handlers/

    register_handlers(app, services)
    return app
