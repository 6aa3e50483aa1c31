"""HTTP mode (POST /slack/events, GET /healthz) as a WSGI app, and Socket Mode.

The signature is verified on the raw body *before* Bolt parses anything, so an anonymous caller gets
a 401 (or 400 for a body that will not parse) and never reaches a listener or fills the log with
tracebacks. Bolt verifies again; that costs microseconds.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from slack_bolt import App
from slack_bolt.request import BoltRequest
from slack_sdk.signature import SignatureVerifier

from bot.services import Services
from storage.db import ping

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024  # Slack's payloads are far smaller; anything bigger is refused unread
EVENTS_PATH = "/slack/events"

StartResponse = Callable[..., Any]


def _reply(start_response: StartResponse, status: str, body: str | bytes, content_type: str) -> list[bytes]:
    data = body.encode() if isinstance(body, str) else body
    start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(data)))])
    return [data]


def _json(start_response: StartResponse, status: str, payload: dict[str, Any]) -> list[bytes]:
    return _reply(start_response, status, json.dumps(payload), "application/json")


_STATUS_TEXT = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 413: "Payload Too Large"}


class SlackWSGI:
    """The WSGI application serving Slack's requests and health checks."""

    def __init__(self, app: App, services: Services) -> None:
        self.app = app
        self.services = services
        secret = services.settings.signing_secret
        if not secret:
            raise ValueError("HTTP mode needs SLACK_SIGNING_SECRET")
        self.verifier = SignatureVerifier(secret)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path == "/healthz" and method == "GET":
            healthy = ping(self.services.engine)
            status = "200 OK" if healthy else "503 Service Unavailable"
            return _json(start_response, status, {"ok": healthy, "database": "up" if healthy else "down"})
        if path != EVENTS_PATH:
            return _json(start_response, "404 Not Found", {"error": "not_found"})
        if method != "POST":
            return _json(start_response, "405 Method Not Allowed", {"error": "method_not_allowed"})
        return self._slack(environ, start_response)

    def _slack(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return _json(start_response, "400 Bad Request", {"error": "bad_content_length"})
        if length > MAX_BODY:
            return _json(start_response, "413 Payload Too Large", {"error": "too_large"})
        raw = environ["wsgi.input"].read(length) if length > 0 else b""
        headers = {
            key[5:].replace("_", "-").lower(): value for key, value in environ.items() if key.startswith("HTTP_")
        }
        if environ.get("CONTENT_TYPE"):
            headers["content-type"] = environ["CONTENT_TYPE"]
        timestamp = headers.get("x-slack-request-timestamp", "")
        signature = headers.get("x-slack-signature", "")
        if not timestamp or not signature or not self.verifier.is_valid(raw, timestamp, signature):
            return _json(start_response, "401 Unauthorized", {"error": "invalid_request"})
        try:
            body = raw.decode("utf-8")
            request = BoltRequest(body=body, query=environ.get("QUERY_STRING", ""), headers=headers)
            if not isinstance(request.body, dict):
                raise ValueError("body is not an object")
        except (UnicodeDecodeError, ValueError, TypeError, KeyError, AttributeError):
            return _json(start_response, "400 Bad Request", {"error": "malformed_body"})
        started = time.perf_counter()
        response = self.app.dispatch(request)
        log.debug("dispatched status=%s ms=%.1f", response.status, (time.perf_counter() - started) * 1000)
        status = f"{response.status} {_STATUS_TEXT.get(response.status, 'OK')}"
        out_headers = [
            (k, v) for k, values in response.headers.items() for v in values if k.lower() != "content-length"
        ]
        data = (response.body or "").encode()
        out_headers.append(("Content-Length", str(len(data))))
        start_response(status, out_headers)
        return [data]


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        log.debug("http " + format, *args)


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True


class LocalServer:
    """The WSGI app on a background thread (tests and the demo). Production uses gunicorn."""

    def __init__(self, wsgi: SlackWSGI, host: str = "127.0.0.1", port: int = 0) -> None:
        self.httpd = make_server(host, port, wsgi, server_class=_ThreadingWSGIServer, handler_class=_QuietHandler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="mentorbot-http", daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> LocalServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def serve_gunicorn(
    factory: Callable[[], SlackWSGI],
    *,
    port: int,
    workers: int = 1,
    threads: int = 8,
    on_worker_exit: Callable[[], None] | None = None,
) -> None:
    """Serve with gunicorn's threaded workers; ``factory`` runs in each worker after the fork.

    ``on_worker_exit`` runs in the worker when it stops (SIGTERM drains: gunicorn finishes in-flight
    requests, then the hook releases what the worker's dispatcher had leased).
    """
    from gunicorn.app.base import BaseApplication

    class _Gunicorn(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            self.cfg.set("bind", f"0.0.0.0:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("threads", threads)
            self.cfg.set("timeout", 30)
            self.cfg.set("graceful_timeout", 20)
            self.cfg.set("accesslog", None)
            if on_worker_exit is not None:
                self.cfg.set("worker_exit", lambda _server, _worker: on_worker_exit())

        def load(self) -> SlackWSGI:
            return factory()

    _Gunicorn().run()


def serve_socket_mode(app: App, app_token: str) -> None:
    """Socket Mode: Slack pushes requests over a WebSocket; no public URL needed."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    SocketModeHandler(app, app_token).start()
