"""HTTP mode (POST /slack/events, GET /healthz, /readyz, /metrics) as a WSGI app, and Socket Mode.

The signature is verified on the raw body *before* Bolt parses anything, so an anonymous caller gets
a 401 (or 400 for a body that will not parse) and never reaches a listener or fills the log with
tracebacks. Bolt verifies again; that costs microseconds. A signed payload missing the fields listeners
rely on (``user.id``, ``team.id``...) gets 400 too, and a request that fails on our side gets a friendly
"please try again" (never a 500 page).

Every response carries ``X-Request-Id`` (the caller's when well-formed); log records of the request carry it.
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from slack_bolt import App
from slack_bolt.request import BoltRequest
from slack_sdk.signature import SignatureVerifier

from bot.dispatch import dispatch_metrics
from bot.installation import oauth_page
from bot.observability import (
    dispatch_gauges,
    listener_label,
    metrics,
    new_request_id,
    payload_problem,
    record_rejected,
    record_request,
    request_id_var,
    sorry_response,
)
from bot.services import Services
from storage.db import ping
from storage.migrate import is_current
from storage.outbox import count_due

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024  # Slack's payloads are far smaller; anything bigger is refused unread
EVENTS_PATH = "/slack/events"

StartResponse = Callable[..., Any]


def _reply(start_response: StartResponse, status: str, body: str | bytes, content_type: str) -> list[bytes]:
    data = body.encode() if isinstance(body, str) else body
    start_response(
        status,
        [("Content-Type", content_type), ("Content-Length", str(len(data))), ("X-Request-Id", request_id_var.get())],
    )
    return [data]


def _where(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    return f"{os.path.basename(frames[-1].filename)}:{frames[-1].lineno}" if frames else "?"


def _json(start_response: StartResponse, status: str, payload: dict[str, Any]) -> list[bytes]:
    return _reply(start_response, status, json.dumps(payload), "application/json")


_STATUS_TEXT = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    413: "Payload Too Large",
    415: "Unsupported Media Type",
}
_CONTENT_TYPES = ("application/x-www-form-urlencoded", "application/json")


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
        token = request_id_var.set(new_request_id(environ.get("HTTP_X_REQUEST_ID")))
        try:
            return self._route(environ, start_response)
        except Exception as exc:  # noqa: BLE001 - last resort: one line in the log, never a 500 page
            log.error("unexpected error in the HTTP layer error=%s at=%s", type(exc).__name__, _where(exc))
            record_rejected("unexpected_error")
            return _json(start_response, "400 Bad Request", {"error": "bad_request"})
        finally:
            request_id_var.reset(token)

    def _route(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path == "/healthz" and method == "GET":
            healthy = ping(self.services.engine)
            status = "200 OK" if healthy else "503 Service Unavailable"
            return _json(start_response, status, {"ok": healthy, "database": "up" if healthy else "down"})
        if path == "/readyz" and method == "GET":
            return self._readyz(start_response)
        metrics_port = self.services.settings.metrics_port
        if metrics_port is not None and str(environ.get("SERVER_PORT", "")) == str(metrics_port):
            return self._metrics_only(environ, start_response)
        if path == "/metrics" and method == "GET":
            if metrics_port is not None:  # served on METRICS_PORT only
                return _json(start_response, "404 Not Found", {"error": "not_found"})
            return self._metrics(environ, start_response)
        if method == "GET" and (page := oauth_page(self.app, environ)) is not None:  # browser: install, redirect
            start_response(page[0], page[1])
            return [page[2]]
        if path != EVENTS_PATH:
            return _json(start_response, "404 Not Found", {"error": "not_found"})
        if method != "POST":
            return _json(start_response, "405 Method Not Allowed", {"error": "method_not_allowed"})
        return self._slack(environ, start_response)

    def _metrics(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        """``GET /metrics``, behind ``Authorization: Bearer <METRICS_TOKEN>`` when that is set."""
        token = self.services.settings.metrics_token
        if token:
            given = str(environ.get("HTTP_AUTHORIZATION", ""))
            if not hmac.compare_digest(given.encode("utf-8"), f"Bearer {token}".encode()):
                record_rejected("metrics_unauthorized")
                start_response(
                    "401 Unauthorized",
                    [
                        ("Content-Type", "application/json"),
                        ("WWW-Authenticate", 'Bearer realm="metrics"'),
                        ("X-Request-Id", request_id_var.get()),
                    ],
                )
                return [b'{"error": "unauthorized"}']
        return _reply(start_response, "200 OK", self.render_metrics(), "text/plain; version=0.0.4; charset=utf-8")

    def _metrics_only(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        """What ``METRICS_PORT`` serves: ``GET /metrics`` (and its token check), nothing else."""
        if environ.get("PATH_INFO") == "/metrics" and environ.get("REQUEST_METHOD", "GET") == "GET":
            return self._metrics(environ, start_response)
        return _json(start_response, "404 Not Found", {"error": "not_found"})

    def metrics_app(self) -> Callable[[dict[str, Any], StartResponse], Iterable[bytes]]:
        """A WSGI app serving only ``/metrics`` (gunicorn binds both ports to this app; tests serve it apart)."""

        def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
            token = request_id_var.set(new_request_id(environ.get("HTTP_X_REQUEST_ID")))
            try:
                return self._metrics_only(environ, start_response)
            finally:
                request_id_var.reset(token)

        return app

    def _readyz(self, start_response: StartResponse) -> Iterable[bytes]:
        """Ready when the database answers and its schema is at the code's migration head."""
        if not ping(self.services.engine):
            return _json(start_response, "503 Service Unavailable", {"ok": False, "reason": "database unreachable"})
        try:
            current = is_current(self.services.engine)
        except Exception as exc:  # noqa: BLE001 - the database went away between the two checks
            log.warning("readiness check failed error=%s", type(exc).__name__)
            return _json(start_response, "503 Service Unavailable", {"ok": False, "reason": "database unreachable"})
        if not current:
            reason = "migrations not current: run mentorbot db upgrade"
            return _json(start_response, "503 Service Unavailable", {"ok": False, "reason": reason})
        return _json(start_response, "200 OK", {"ok": True})

    def render_metrics(self) -> str:
        """The Prometheus exposition: requests, ack latency, Web API calls, and the dispatcher's counters."""
        due: int | None
        try:
            with self.services.sessions() as session:
                due = count_due(session=session, now=self.services.now())
        except Exception as exc:  # noqa: BLE001 - metrics must answer even when the database does not
            log.warning("metrics could not count due prompts error=%s", type(exc).__name__)
            due = None
        return metrics.render(dispatch_gauges(dispatch_metrics.snapshot(), due))

    def _slack(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        started = time.perf_counter()
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            record_rejected("bad_content_length")
            return _json(start_response, "400 Bad Request", {"error": "bad_content_length"})
        if length > MAX_BODY:
            if length <= 4 * MAX_BODY:  # drain (not parse) a moderately big body, so the client reads the 413
                stream, left = environ["wsgi.input"], length
                while left > 0 and (chunk := stream.read(min(left, 65536))):
                    left -= len(chunk)
            record_rejected("too_large")
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
            record_rejected("invalid_signature")
            return _json(start_response, "401 Unauthorized", {"error": "invalid_request"})
        content_type = headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if content_type not in _CONTENT_TYPES:
            record_rejected("unsupported_media_type")
            return _json(start_response, "415 Unsupported Media Type", {"error": "unsupported_media_type"})
        try:
            body = raw.decode("utf-8")
            request = BoltRequest(body=body, query=environ.get("QUERY_STRING", ""), headers=headers)
            if not isinstance(request.body, dict):
                raise ValueError("body is not an object")
        except (UnicodeDecodeError, ValueError, TypeError, KeyError, AttributeError, IndexError, RecursionError):
            record_rejected("malformed_body")
            return _json(start_response, "400 Bad Request", {"error": "malformed_body"})
        problem = payload_problem(request.body)
        if problem is not None:
            log.warning("malformed payload refused reason=%s", problem.replace(" ", "_"))
            record_rejected("malformed_payload")
            return _json(start_response, "400 Bad Request", {"error": "malformed_payload"})
        kind, name = listener_label(request.body)
        try:
            response = self.app.dispatch(request)
        except Exception as exc:  # noqa: BLE001 - the error handler itself failed: still a friendly answer
            log.error("dispatch failed kind=%s name=%s error=%s", kind, name, type(exc).__name__)
            response = sorry_response(kind)
        if response.status >= 500:
            log.error("listener answered with an error kind=%s name=%s status=%s", kind, name, response.status)
            response = sorry_response(kind)
        elapsed = time.perf_counter() - started
        record_request(kind, name, response.status, elapsed)
        log.debug("dispatched kind=%s name=%s status=%s ms=%.1f", kind, name, response.status, elapsed * 1000)
        status = f"{response.status} {_STATUS_TEXT.get(response.status, 'OK')}"
        out_headers = [
            (k, v)
            for k, values in response.headers.items()
            for v in values
            if k.lower() not in ("content-length", "x-request-id")
        ]
        data = (response.body or "").encode()
        out_headers.append(("Content-Length", str(len(data))))
        out_headers.append(("X-Request-Id", request_id_var.get()))
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
    metrics_port: int | None = None,
) -> None:
    """Serve with gunicorn's threaded workers; ``factory`` runs in each worker after the fork.

    ``on_worker_exit`` runs in the worker when it stops (SIGTERM drains: gunicorn finishes in-flight
    requests, then the hook releases what the worker's dispatcher had leased).
    """
    from gunicorn.app.base import BaseApplication

    class _Gunicorn(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            # METRICS_PORT: a second listener; the app serves only /metrics on it (it reads SERVER_PORT)
            self.cfg.set("bind", [f"0.0.0.0:{port}", *([f"0.0.0.0:{metrics_port}"] if metrics_port else [])])
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
