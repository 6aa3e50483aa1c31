"""Composition root: the one WebClient, the Bolt app, and its middleware."""

from __future__ import annotations

import logging
from http.client import RemoteDisconnected
from typing import Any
from urllib.error import URLError

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.config import Settings
from bot.observability import ContextExecutor, MeteredWebClient, fast_listener_matching, install_bolt_hooks
from bot.services import Services
from storage import events
from storage.db import reads_alongside

log = logging.getLogger(__name__)

# Methods whose effect is not idempotent: a read timeout may mean Slack did it, so the WebClient must not
# silently send it again (the dispatcher retries them itself, after checking the channel's history).
_NOT_IDEMPOTENT = ("chat.postMessage", "chat.postEphemeral", "chat.scheduleMessage")


class _SafeConnectionErrorRetryHandler(ConnectionErrorRetryHandler):
    """Retries connection errors, but not a timeout or a dropped answer of a post that may have gone through."""

    def _can_retry(self, *, state: Any, request: Any, response: Any = None, error: Exception | None = None) -> bool:
        may_have_arrived = error is not None and not isinstance(error, URLError)
        if may_have_arrived and str(getattr(request, "url", "")).endswith(_NOT_IDEMPOTENT):
            return False
        return super()._can_retry(state=state, request=request, response=response, error=error)


def build_client(settings: Settings, *, token: str | None = None, timeout: int = 10) -> WebClient:
    """The WebClient every Slack call goes through: base_url from SLACK_API_URL, retries built in.

    Connection errors and 5xx answers are retried with backoff; a 429 waits for Retry-After. Calls and errors
    are counted by method for /metrics (``MeteredWebClient``).
    """
    return MeteredWebClient(
        token=token or settings.bot_token,
        base_url=settings.slack_api_url,
        timeout=timeout,
        retry_handlers=[
            _SafeConnectionErrorRetryHandler(
                max_retry_count=3, error_types=[TimeoutError, URLError, ConnectionResetError, RemoteDisconnected]
            ),
            ServerErrorRetryHandler(max_retry_count=3),
            RateLimitErrorRetryHandler(max_retry_count=5),
        ],
    )


def build_app(
    services: Services, *, verify_token: bool = True, listener_executor: ContextExecutor | None = None
) -> App:
    """The Bolt app with every listener registered (``listener_executor``: the pool running work after acks)."""
    settings = services.settings
    oauth: dict[str, Any] = {}
    if settings.multi_workspace:  # OAuth installs: each request is authorized from the installation store
        from bot.installation import build_authorize, build_installation_store, build_oauth_settings

        if services.installations is None:
            services.installations = build_installation_store(settings, reads_alongside(services.engine))
        oauth = {
            "oauth_settings": build_oauth_settings(settings, services.installations, reads_alongside(services.engine)),
            "authorize": build_authorize(services.installations),
        }
    app = App(
        client=services.client,
        signing_secret=settings.signing_secret or "socket-mode-has-no-signing-secret",
        request_verification_enabled=not settings.socket_mode,
        token_verification_enabled=verify_token,
        logger=logging.getLogger("slack_bolt"),
        **oauth,
        # carries the request id into the work that follows each ack
        listener_executor=listener_executor or ContextExecutor(max_workers=12, thread_name_prefix="listener"),
    )
    install_bolt_hooks(app)  # first: payload guard, metered client, friendly error handler

    from handlers import register_handlers  # composition root: the one place bot/ meets handlers/

    register_handlers(app, services)
    fast_listener_matching(app)
    drop_duplicate_events(app, services)
    return app


def drop_duplicate_events(app: App, services: Services) -> None:
    """Events API retries (and replays) carry the same event_id: each is handled once.

    The claim (an insert the unique constraint decides) runs in the listener thread, after Bolt has acknowledged
    the event, so a retry is still answered 200 at once and the database round trip is off the request path; a
    duplicate then skips the listener. Call once every listener is registered.
    """
    for listener in getattr(app, "_listeners", []):
        listener.run_ack_function = _claiming(listener.run_ack_function, services)  # type: ignore[method-assign]


def _claiming(run: Any, services: Services) -> Any:
    def run_ack_function(*, request: Any, response: Any) -> Any:
        body = request.body
        if body.get("type") == "event_callback" and isinstance(body.get("event_id"), str):
            event = body.get("event") if isinstance(body.get("event"), dict) else {}
            with services.sessions() as session:
                first = events.claim_event(
                    session=session,
                    team_id=str(body.get("team_id") or ""),
                    event_id=body["event_id"],
                    event_type=str(event.get("type", "")),
                )
            if not first:
                log.info("duplicate event ignored event_id=%s", body["event_id"])
                return None
        return run(request=request, response=response)

    return run_ack_function
