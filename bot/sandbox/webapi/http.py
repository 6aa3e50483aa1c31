"""The HTTP side of the sandbox: request parsing, routing to the API methods, uploads, faults."""

from __future__ import annotations

import contextlib
import json
import logging
import select
import socket
import time
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlsplit

from bot.sandbox.webapi.records import (
    _Fault,
)

if TYPE_CHECKING:
    from bot.sandbox.slack_api import SlackSandbox

logger = logging.getLogger("bot.sandbox.slack_api")


_JSON_ARGS = frozenset({"blocks", "view", "metadata", "attachments", "files", "unfurls", "user_auth_blocks"})

_ERROR_PAGE = (
    '<!DOCTYPE html>\n<html lang="en">\n<head><meta charset="utf-8"><title>Server Error | Slack</title></head>\n'
    "<body><h1>Server Error</h1><p>It seems like there's a problem connecting to our servers.</p></body>\n</html>\n"
)


def _decode_args(raw: dict[str, Any]) -> dict[str, Any]:
    args: dict[str, Any] = {}
    for key, value in raw.items():
        if key in _JSON_ARGS and isinstance(value, str) and value[:1] in ("[", "{"):
            with contextlib.suppress(json.JSONDecodeError):
                value = json.loads(value)
        args[key] = value
    return args


def _parse_multipart(content_type: str, body: bytes) -> tuple[dict[str, str], dict[str, tuple[str, bytes]]]:
    """Split a multipart/form-data body into text fields and file parts ``{name: (filename, bytes)}``."""
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    )
    fields: dict[str, str] = {}
    files: dict[str, tuple[str, bytes]] = {}
    if not message.is_multipart():
        return fields, files
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name:
            continue
        payload = part.get_payload(decode=True) or b""
        filename = part.get_filename()
        if filename is not None:
            files[str(name)] = (filename, payload)
        else:
            fields[str(name)] = payload.decode(part.get_content_charset() or "utf-8")
    return fields, files


def make_handler(sandbox: SlackSandbox) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "SlackSandbox/1.0"
        protocol_version = "HTTP/1.0"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
            logger.debug("sandbox %s", format % args)

        def do_GET(self) -> None:  # noqa: N802 - stdlib name
            self._dispatch()

        def do_POST(self) -> None:  # noqa: N802 - stdlib name
            self._dispatch()

        # -------------------------------------------------------------- plumbing

        def _read_body(self) -> bytes:
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length > 0 else b""

        def _send(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                logger.debug("sandbox client went away before the answer")

        def _send_json(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
            self._send(status, json.dumps(body).encode("utf-8"), "application/json; charset=utf-8", headers)

        def _client_gone(self) -> bool:
            try:
                readable, _, _ = select.select([self.connection], [], [], 0)
                if not readable:
                    return False
                return self.connection.recv(1, socket.MSG_PEEK) == b""
            except OSError:
                return True

        def _args_from_request(self, body: bytes) -> dict[str, Any]:
            query = urlsplit(self.path).query
            raw: dict[str, Any] = {k: v[-1] for k, v in parse_qs(query, keep_blank_values=True).items()}
            content_type = self.headers.get("Content-Type") or ""
            if body:
                if content_type.startswith("application/json") or body.lstrip()[:1] == b"{":
                    try:
                        decoded = json.loads(body.decode("utf-8"))
                    except (UnicodeDecodeError, json.JSONDecodeError):
                        decoded = None
                    if isinstance(decoded, dict):
                        raw.update(decoded)
                elif content_type.startswith("multipart/form-data"):
                    fields, _ = _parse_multipart(content_type, body)
                    raw.update(fields)
                else:
                    text = body.decode("utf-8", errors="replace")
                    raw.update({k: v[-1] for k, v in parse_qs(text, keep_blank_values=True).items()})
            return _decode_args(raw)

        def _token(self, args: dict[str, Any]) -> str | None:
            header = self.headers.get("Authorization") or ""
            if header.lower().startswith("bearer "):
                return header[7:].strip() or None
            token = args.get("token")
            return str(token) if token else None

        # -------------------------------------------------------------- routing

        def _dispatch(self) -> None:
            at = time.time()
            path = urlsplit(self.path).path
            body = self._read_body()
            if path.startswith("/api/"):
                method = path.removeprefix("/api/").strip("/")
                kind = "api"
            elif path.startswith("/upload/"):
                method, kind = "upload", "upload"
            elif path.startswith("/response/"):
                method, kind = "response_url", "response"
            elif path.startswith("/files/") and self.command == "GET":
                method, kind = "download", "download"
            else:
                sandbox._note_attempt(path, 404, {"ok": False, "error": "not_found"}, injected=False, args={}, at=at)
                self._send_json(404, {"ok": False, "error": "not_found"})
                return
            try:
                args = self._args_from_request(body) if kind in ("api", "response") else {}
            except Exception:  # a malformed body must not kill the server thread
                logger.exception("sandbox could not parse a request to %s", path)
                args = {}
            recorded_args = {k: v for k, v in args.items() if k != "token"}

            fault = sandbox._take_fault(method)
            if fault is not None and fault.delay > 0:
                time.sleep(fault.delay)
                if self._client_gone() and not fault.process_abandoned:
                    sandbox._note_attempt(
                        method, 0, {"ok": None, "error": "client_timed_out"}, injected=True, args=recorded_args, at=at
                    )
                    return
                fault = None
            if fault is not None:
                self._send_fault(fault, method, recorded_args, at)
                return

            if kind == "api":
                token = self._token(args)
                args.pop("token", None)
                answer = sandbox.handle_api(method, args, token)
                sandbox._note_attempt(method, 200, answer, injected=False, args=recorded_args, at=at)
                self._send_json(200, answer)
            elif kind == "upload":
                self._handle_upload(path, body, at)
            elif kind == "response":
                key = unquote(path.removeprefix("/response/"))
                refused = sandbox._store_response(key, recorded_args)
                if refused is not None:
                    sandbox._note_attempt(method, 400, refused.answer(), injected=False, args=recorded_args, at=at)
                    self._send(400, refused.error.encode(), "text/plain; charset=utf-8")
                    return
                sandbox._note_attempt(method, 200, {"ok": True}, injected=False, args=recorded_args, at=at)
                self._send(200, b"ok", "text/plain; charset=utf-8")
            else:
                file_id = path.removeprefix("/files/").split("/", 1)[0]
                content = sandbox._download(file_id)
                status = 404 if content is None else 200
                sandbox._note_attempt(method, status, {"ok": content is not None}, injected=False, args={}, at=at)
                if content is None:
                    self._send(404, b"file not found", "text/plain")
                else:
                    self._send(200, content, "application/octet-stream")

        def _handle_upload(self, path: str, body: bytes, at: float) -> None:
            file_id = path.removeprefix("/upload/").strip("/")
            content = body
            content_type = self.headers.get("Content-Type") or ""
            if content_type.startswith("multipart/form-data"):
                # Slack also accepts `curl -F file=@...` style uploads.
                _, files = _parse_multipart(content_type, body)
                if files:
                    content = (files.get("file") or files.get("filename") or next(iter(files.values())))[1]
            error = sandbox._store_upload(file_id, content)
            args = {"file_id": file_id, "size": len(content)}
            if error is None:
                sandbox._note_attempt("upload", 200, {"ok": True}, injected=False, args=args, at=at)
                self._send(200, f"OK - {len(content)}".encode(), "text/plain; charset=utf-8")
            elif error == "not_found":
                sandbox._note_attempt("upload", 404, {"ok": False, "error": error}, injected=False, args=args, at=at)
                self._send(404, b"upload url not found", "text/plain; charset=utf-8")
            else:
                sandbox._note_attempt("upload", 400, {"ok": False, "error": error}, injected=False, args=args, at=at)
                self._send(400, error.encode(), "text/plain; charset=utf-8")

        def _send_fault(self, fault: _Fault, method: str, args: dict[str, Any], at: float) -> None:
            status = fault.status
            if status == 429:
                body = {"ok": False, "error": fault.error or "ratelimited"}
                sandbox._note_attempt(method, status, body, injected=True, args=args, at=at)
                self._send_json(429, body, {"Retry-After": str(fault.retry_after)})
            elif status >= 500:
                body = {"ok": False, "error": fault.error or f"http_{status}"}
                sandbox._note_attempt(method, status, body, injected=True, args=args, at=at)
                self._send(status, _ERROR_PAGE.encode("utf-8"), "text/html; charset=utf-8")
            else:
                body = {"ok": False, "error": fault.error or ("fatal_error" if status == 200 else "invalid_request")}
                sandbox._note_attempt(method, status, body, injected=True, args=args, at=at)
                self._send_json(status, body)

    return Handler
