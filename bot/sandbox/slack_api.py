"""A local stand-in for the Slack Web API, for tests and `mentorbot demo`.

The app gets a real ``slack_sdk.WebClient(base_url=sandbox.url)`` and talks HTTP to this server, which answers
the Web API methods mentorbot uses with Slack-shaped responses and records every call. Stdlib only: a
``ThreadingHTTPServer`` in a daemon thread; all state is guarded by one lock.

Paths served:

- ``/api/<method>``: Web API methods (form-encoded, JSON or query-string arguments, as slack_sdk sends them).
- ``/upload/<file_id>``: the upload URL handed out by ``files.getUploadURLExternal`` (raw body or multipart).
- ``/response/<key>``: a ``response_url`` (Bolt's ``respond()`` posts JSON there).
- ``/files/<file_id>/<name>``: downloads an uploaded file (``url_private``).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import mimetypes
import select
import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO, Any
from urllib.parse import parse_qs, quote, unquote, urlsplit
from zoneinfo import ZoneInfo

logger = logging.getLogger(__name__)

# Form-encoded arguments that slack_sdk (and Slack) carry as JSON strings.
_JSON_ARGS = frozenset({"blocks", "view", "metadata", "attachments", "files", "unfurls", "user_auth_blocks"})

_ERROR_PAGE = (
    '<!DOCTYPE html>\n<html lang="en">\n<head><meta charset="utf-8"><title>Server Error | Slack</title></head>\n'
    "<body><h1>Server Error</h1><p>It seems like there's a problem connecting to our servers.</p></body>\n</html>\n"
)


@dataclass(frozen=True)
class Call:
    """A Web API call the sandbox answered successfully (``ok: true``).

    Attributes:
        method: The API method, e.g. ``chat.postMessage`` (``response_url`` for posts to a response URL).
        args: The decoded arguments, without the token.
        at: ``time.time()`` when the call was answered.
    """

    method: str
    args: dict[str, Any]
    at: float


@dataclass(frozen=True)
class Attempt:
    """Any request the sandbox received, including failed and injected ones.

    Attributes:
        method: API method, or ``upload`` / ``response_url`` / ``download`` for the non-API paths.
        status: The HTTP status sent (0 when the client had gone before a delayed answer).
        ok: The ``ok`` field of the JSON answer, when there was one.
        error: The Slack error code, or a short reason for injected failures.
        injected: True when the outcome came from ``fail_next`` / ``delay_next``.
        args: The decoded arguments, without the token.
        at: ``time.time()`` when the request arrived.
    """

    method: str
    status: int
    ok: bool | None
    error: str | None
    injected: bool
    args: dict[str, Any]
    at: float


@dataclass(frozen=True)
class UploadedFile:
    """A file uploaded through ``files.getUploadURLExternal`` + upload + ``files.completeUploadExternal``."""

    file_id: str
    filename: str
    title: str
    channel_id: str | None
    content: bytes
    initial_comment: str | None
    thread_ts: str | None = None


@dataclass(frozen=True)
class ResponseUrlPost:
    """A JSON body posted to a ``response_url`` handed out by ``response_url_for``."""

    key: str
    payload: dict[str, Any]
    at: float


@dataclass
class _Fault:
    method: str
    count: int
    status: int = 200
    retry_after: int = 1
    error: str | None = None
    delay: float = 0.0
    process_abandoned: bool = False

    def matches(self, method: str) -> bool:
        return self.count > 0 and self.method in ("*", method)


@dataclass
class _User:
    user_id: str
    name: str
    real_name: str
    tz: str
    email: str | None
    is_bot: bool
    team_id: str


@dataclass
class _Channel:
    channel_id: str
    name: str
    members: list[str] = field(default_factory=list)
    is_im: bool = False
    is_mpim: bool = False
    is_private: bool = False
    user: str | None = None  # the other party of an IM
    created: int = 0


@dataclass
class _ViewRecord:
    view: dict[str, Any]
    user_id: str | None
    opened_by: str  # views.open / views.push / views.publish


@dataclass
class _PendingUpload:
    file_id: str
    filename: str
    length: int
    content: bytes | None = None


class SlackError(Exception):
    """Raised inside a method handler to answer ``{"ok": false, "error": code}``."""

    def __init__(self, code: str, **extra: Any) -> None:
        super().__init__(code)
        self.code = code
        self.extra = extra


def _truthy(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


def _as_int(value: Any, default: int) -> int:
    if value in (None, ""):
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise SlackError("invalid_arguments") from None


def _stable_id(prefix: str, key: str) -> str:
    digest = hashlib.sha1(key.encode("utf-8")).hexdigest().upper()
    return f"{prefix}0{digest[:9]}"


def _ts_float(ts: Any) -> float:
    try:
        return float(ts)
    except (TypeError, ValueError):
        return 0.0


class SlackSandbox:
    """A local Slack Web API server for tests and demos.

    Example:
        >>> with SlackSandbox() as sandbox:
        ...     client = WebClient(base_url=sandbox.url, token="xoxb-test")
        ...     client.chat_postMessage(channel="C1", text="hi")
        ...     sandbox.wait_for("chat.postMessage").args["text"]
        'hi'
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        team_id: str = "T0MENTOR",
        bot_user_id: str = "U0MENTORBOT",
        bot_id: str = "B0MENTORBOT",
        app_id: str = "A0MENTORBOT",
        team_name: str = "Mentor Sandbox",
        team_domain: str = "mentor-sandbox",
        bot_name: str = "mentorbot",
        ts_start: float = 1_700_000_000.0,
        trigger_ttl: float | None = 3.0,
    ) -> None:
        """Create a sandbox (not yet listening; call ``start()`` or use it as a context manager).

        Args:
            host: Interface to bind.
            port: Port to bind; 0 picks a free one.
            team_id: The workspace id used wherever a caller does not give one.
            bot_user_id: The app's bot user id (``auth.test`` ``user_id``, author of posted messages).
            bot_id: The app's bot id (``B...``).
            app_id: The app id (``A...``).
            team_name: Workspace name returned by ``auth.test``.
            team_domain: Workspace domain, used in URLs.
            bot_name: The bot user's name.
            ts_start: First message ``ts``; later ones grow by one microsecond each (deterministic).
            trigger_ttl: Seconds a trigger id registered with ``register_trigger`` stays valid (Slack: 3);
                None disables expiry.
        """
        self.host = host
        self._requested_port = port
        self.team_id = team_id
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.app_id = app_id
        self.team_name = team_name
        self.team_domain = team_domain
        self.bot_name = bot_name
        self.trigger_ttl = trigger_ttl
        self.revoked_tokens: set[str] = set()
        self.expired_triggers: set[str] = set()

        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._ts_start_us = int(round(ts_start * 1_000_000))
        self._ts_counter = 99
        self._id_counter = 0
        self._calls: list[Call] = []
        self._attempts: list[Attempt] = []
        self._faults: list[_Fault] = []
        self._record_file: IO[str] | None = None
        self._users: dict[str, _User] = {}
        self._channels: dict[str, _Channel] = {}
        self._messages: dict[str, list[dict[str, Any]]] = {}
        self._ephemerals: list[dict[str, Any]] = []
        self._views: dict[str, _ViewRecord] = {}
        self._views_opened: list[str] = []
        self._home_views: dict[str, str] = {}
        self._triggers: dict[str, tuple[str | None, float]] = {}
        self._uploads: dict[str, _PendingUpload] = {}
        self._uploaded_files: list[UploadedFile] = []
        self._responses: list[ResponseUrlPost] = []
        self._handlers: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            name.removeprefix("_api_").replace("_", "."): getattr(self, name)
            for name in dir(self)
            if name.startswith("_api_")
        }

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> SlackSandbox:
        """Start listening in a daemon thread.

        Returns:
            The sandbox itself, so ``sandbox = SlackSandbox().start()`` works.
        """
        if self._server is not None:
            return self
        server = ThreadingHTTPServer((self.host, self._requested_port), _make_handler(self))
        server.daemon_threads = True
        server.block_on_close = False
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="slack-sandbox", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop the server and close a recording file, if any."""
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        with self._lock:
            if self._record_file is not None:
                self._record_file.close()
                self._record_file = None

    def __enter__(self) -> SlackSandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The port the server listens on (after ``start()``)."""
        if self._server is None:
            raise RuntimeError("SlackSandbox is not started")
        return int(self._server.server_address[1])

    @property
    def base(self) -> str:
        """``http://HOST:PORT`` of the running server."""
        return f"http://{self.host}:{self.port}"

    @property
    def url(self) -> str:
        """The ``base_url`` to give ``slack_sdk.WebClient`` (ends with ``/api/``)."""
        return f"{self.base}/api/"

    # ------------------------------------------------------------------ recording

    @property
    def calls(self) -> list[Call]:
        """Every successful call so far, oldest first (a copy)."""
        with self._lock:
            return list(self._calls)

    @property
    def attempts(self) -> list[Attempt]:
        """Every request received so far, including failed and injected ones (a copy)."""
        with self._lock:
            return list(self._attempts)

    def calls_for(self, method: str) -> list[Call]:
        """Successful calls of one method, oldest first."""
        with self._lock:
            return [c for c in self._calls if c.method == method]

    def wait_for(
        self,
        method: str,
        predicate: Callable[[Call], bool] = lambda call: True,
        timeout: float = 15.0,
        *,
        after: float | None = None,
    ) -> Call:
        """Wait until a matching call has arrived and return the first one.

        App work often continues after the HTTP ack, so tests poll rather than assert at once.

        Args:
            method: The API method, e.g. ``chat.postMessage``.
            predicate: Extra condition on the call.
            timeout: Seconds to wait.
            after: Only consider calls answered after this ``time.time()`` value.

        Returns:
            The first matching call.

        Raises:
            AssertionError: On timeout, listing the calls that did arrive.
        """
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                for call in self._calls:
                    if call.method == method and (after is None or call.at > after) and predicate(call):
                        return call
            if time.monotonic() >= deadline:
                break
            time.sleep(0.01)
        raise AssertionError(self._describe_timeout(method, timeout))

    def _describe_timeout(self, method: str, timeout: float) -> str:
        with self._lock:
            calls = list(self._calls)
            failed = [a for a in self._attempts if a.ok is not True]
        lines = [f"no matching {method!r} call within {timeout}s; {len(calls)} call(s) arrived:"]
        for call in calls[-30:]:
            summary = json.dumps(call.args, default=str, sort_keys=True)
            lines.append(f"  {call.method} {summary[:300]}")
        if failed:
            lines.append("failed or injected attempts:")
            lines.extend(f"  {a.method} status={a.status} error={a.error}" for a in failed[-15:])
        return "\n".join(lines)

    def clear(self) -> None:
        """Forget recorded calls, attempts and responses (the workspace state stays)."""
        with self._lock:
            self._calls.clear()
            self._attempts.clear()
            self._responses.clear()

    def record_to(self, path: str | Path) -> None:
        """Write each later successful call to ``path`` as a JSON line ``{"method", "args"}``, flushed as it goes.

        Args:
            path: The file to create (truncated if it exists).
        """
        with self._lock:
            if self._record_file is not None:
                self._record_file.close()
            self._record_file = Path(path).open("w", encoding="utf-8")  # noqa: SIM115 - closed in stop()

    def _record_call(self, method: str, args: dict[str, Any]) -> None:
        call = Call(method=method, args=args, at=time.time())
        self._calls.append(call)
        if self._record_file is not None:
            line = json.dumps({"method": method, "args": args}, default=str, ensure_ascii=False)
            self._record_file.write(line + "\n")
            self._record_file.flush()

    # ------------------------------------------------------------------ fault injection

    def fail_next(
        self,
        method: str,
        *,
        status: int = 429,
        retry_after: int = 1,
        count: int = 1,
        error: str | None = None,
    ) -> None:
        """Make the next ``count`` requests for ``method`` fail.

        Args:
            method: API method, ``upload``, ``response_url``, or ``*`` for any.
            status: 429 sends ``Retry-After`` and ``{"ok": false, "error": "ratelimited"}``; 500/502/503/504 send
                an HTML error page; 200 sends ``{"ok": false, "error": error}``; other codes a JSON error.
            retry_after: Seconds for the ``Retry-After`` header on 429.
            count: How many requests fail.
            error: The Slack error code (defaults: ``ratelimited`` for 429, ``fatal_error`` for 200).
        """
        with self._lock:
            self._faults.append(_Fault(method=method, count=count, status=status, retry_after=retry_after, error=error))

    def delay_next(self, method: str, seconds: float, count: int = 1, *, process_abandoned: bool = False) -> None:
        """Delay the answer to the next ``count`` requests for ``method`` (for client timeouts).

        After the delay the request is handled normally if the client is still waiting. If the client has
        gone (timed out), the request is dropped unless ``process_abandoned`` is True, in which case it is
        carried out anyway, as Slack may do, so idempotency can be tested.

        Args:
            method: API method, ``upload``, ``response_url``, or ``*`` for any.
            seconds: How long to wait before answering.
            count: How many requests are delayed.
            process_abandoned: Carry out requests whose client went away during the delay.
        """
        with self._lock:
            self._faults.append(_Fault(method=method, count=count, delay=seconds, process_abandoned=process_abandoned))

    def _take_fault(self, method: str) -> _Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.matches(method):
                    fault.count -= 1
                    taken = _Fault(**{**fault.__dict__, "count": 1})
                    self._faults = [f for f in self._faults if f.count > 0]
                    return taken
        return None

    # ------------------------------------------------------------------ workspace setup

    def add_user(
        self,
        user_id: str,
        *,
        name: str,
        real_name: str,
        tz: str = "UTC",
        email: str | None = None,
        is_bot: bool = False,
        team_id: str | None = None,
    ) -> None:
        """Add (or replace) a person in the directory answered by ``users.info`` / ``users.lookupByEmail``.

        Args:
            user_id: ``U...`` id.
            name: Handle (``name``, ``profile.display_name``).
            real_name: Full name.
            tz: IANA timezone, e.g. ``Europe/Berlin``.
            email: Email for ``users.lookupByEmail`` and ``profile.email``.
            is_bot: Whether the user is a bot.
            team_id: Workspace; defaults to the sandbox's.
        """
        ZoneInfo(tz)  # fail early on a bad timezone
        with self._lock:
            self._users[user_id] = _User(user_id, name, real_name, tz, email, is_bot, team_id or self.team_id)

    def add_channel(self, channel_id: str, *, name: str, members: Iterable[str] = (), is_private: bool = False) -> None:
        """Add (or replace) a channel for ``conversations.info`` / ``conversations.members``."""
        with self._lock:
            self._channels[channel_id] = _Channel(
                channel_id=channel_id,
                name=name,
                members=list(members),
                is_private=is_private,
                created=int(time.time()),
            )

    def set_channel_members(self, channel: str, users: Iterable[str]) -> None:
        """Set the members of a channel (creating it, named after its id, if unknown)."""
        with self._lock:
            existing = self._channels.get(channel)
            if existing is None:
                self.add_channel(channel, name=channel.lower(), members=users)
            else:
                existing.members = list(users)

    def register_trigger(self, trigger_id: str, user_id: str | None = None) -> None:
        """Remember a trigger id handed to the app (the driver does this), so views know their user.

        A registered trigger expires ``trigger_ttl`` seconds after registration, as Slack's do.
        """
        with self._lock:
            self._triggers[trigger_id] = (user_id, time.monotonic())

    def response_url_for(self, key: str) -> str:
        """A ``response_url`` pointing at this sandbox; posts to it land in ``responses``."""
        return f"{self.base}/response/{quote(key, safe='')}"

    # ------------------------------------------------------------------ accessors

    @property
    def uploaded_files(self) -> list[UploadedFile]:
        """Files completed with ``files.completeUploadExternal``, oldest first."""
        with self._lock:
            return list(self._uploaded_files)

    @property
    def responses(self) -> list[ResponseUrlPost]:
        """JSON bodies posted to response URLs, oldest first."""
        with self._lock:
            return list(self._responses)

    def responses_for(self, key: str) -> list[dict[str, Any]]:
        """Payloads posted to ``response_url_for(key)``, oldest first."""
        with self._lock:
            return [r.payload for r in self._responses if r.key == key]

    def messages_in(self, channel: str) -> list[dict[str, Any]]:
        """Messages (including thread replies) currently in a channel, oldest first, each with ``channel``."""
        with self._lock:
            channel = self._resolve_channel(channel)
            return [json.loads(json.dumps({**m, "channel": channel})) for m in self._messages.get(channel, [])]

    def members_of(self, channel: str) -> list[str]:
        """The people in a channel or conversation (the app's bot user left out); empty when it does not exist."""
        with self._lock:
            found = self._channels.get(self._resolve_channel(channel))
            return [u for u in found.members if u != self.bot_user_id] if found else []

    def dm_channel_id(self, user_id: str) -> str:
        """The IM channel id ``conversations.open(users=user_id)`` returns."""
        return _stable_id("D", user_id)

    def messages_to(self, user_id: str) -> list[dict[str, Any]]:
        """What a person was sent: messages in their IM with the app plus ephemerals for them, oldest first."""
        messages = self.messages_in(self.dm_channel_id(user_id)) + self.ephemerals_for(user_id)
        return sorted(messages, key=lambda m: _ts_float(m.get("ts")))

    def ephemerals_for(self, user_id: str) -> list[dict[str, Any]]:
        """Ephemeral messages posted for a person, oldest first (each has ``channel``, ``user``, ``is_ephemeral``)."""
        with self._lock:
            return [dict(m) for m in self._ephemerals if m["user"] == user_id]

    def views_opened(self, user_id: str | None = None) -> list[dict[str, Any]]:
        """Modals opened or pushed, oldest first, in their current state (with ``id``, ``hash``, ``state``).

        Args:
            user_id: Only views opened with a trigger registered for this person.
        """
        with self._lock:
            records = [self._views[v] for v in self._views_opened]
            return [json.loads(json.dumps(r.view)) for r in records if user_id is None or r.user_id == user_id]

    def view(self, view_id: str) -> dict[str, Any] | None:
        """The current state of a view by id, or None."""
        with self._lock:
            record = self._views.get(view_id)
            return json.loads(json.dumps(record.view)) if record else None

    def home_view(self, user_id: str) -> dict[str, Any] | None:
        """The latest view published to a person's App Home, or None."""
        with self._lock:
            view_id = self._home_views.get(user_id)
            return self.view(view_id) if view_id else None

    # ------------------------------------------------------------------ ids

    def _next_ts(self) -> str:
        with self._lock:
            self._ts_counter += 1
            us = self._ts_start_us + self._ts_counter
        return f"{us // 1_000_000}.{us % 1_000_000:06d}"

    def _new_id(self, prefix: str) -> str:
        with self._lock:
            self._id_counter += 1
            return f"{prefix}0SB{self._id_counter:06d}"

    # ------------------------------------------------------------------ request handling

    def handle_api(self, method: str, args: dict[str, Any], token: str | None) -> dict[str, Any]:
        """Answer one Web API call (also usable without HTTP). Records it when it succeeds."""
        if not token:
            return {"ok": False, "error": "not_authed"}
        if token in self.revoked_tokens or not token.startswith(("xoxb-", "xoxp-")):
            return {"ok": False, "error": "invalid_auth"}
        handler = self._handlers.get(method)
        if handler is None:
            return {"ok": False, "error": "unknown_method"}
        with self._lock:
            try:
                body = handler(args)
            except SlackError as err:
                return {"ok": False, "error": err.code, **err.extra}
            self._record_call(method, args)
        return {"ok": True, **body}

    def _note_attempt(
        self, method: str, status: int, body: dict[str, Any] | None, *, injected: bool, args: dict[str, Any], at: float
    ) -> None:
        ok = body.get("ok") if isinstance(body, dict) else None
        error = body.get("error") if isinstance(body, dict) else None
        with self._lock:
            self._attempts.append(Attempt(method, status, ok, error, injected, args, at))

    # ------------------------------------------------------------------ helpers for methods

    def _resolve_channel(self, channel: str) -> str:
        # Posting to a user id posts to the IM with the app, as Slack does.
        if channel[:1] in ("U", "W") and channel != self.bot_user_id:
            return self._open_im(channel).channel_id
        return channel

    def _open_im(self, user_id: str) -> _Channel:
        channel_id = self.dm_channel_id(user_id)
        channel = self._channels.get(channel_id)
        if channel is None:
            channel = _Channel(
                channel_id=channel_id,
                name=channel_id,
                members=[user_id, self.bot_user_id],
                is_im=True,
                user=user_id,
                created=int(time.time()),
            )
            self._channels[channel_id] = channel
        return channel

    def _require(self, args: dict[str, Any], *names: str) -> None:
        missing = [n for n in names if args.get(n) in (None, "", [])]
        if missing:
            raise SlackError("invalid_arguments", response_metadata={"messages": [f"missing: {missing}"]})

    def _channel_object(self, channel: _Channel) -> dict[str, Any]:
        if channel.is_im:
            return {
                "id": channel.channel_id,
                "created": channel.created,
                "is_im": True,
                "is_org_shared": False,
                "user": channel.user,
                "last_read": "0000000000.000000",
                "latest": None,
                "unread_count": 0,
                "unread_count_display": 0,
                "is_open": True,
                "priority": 0,
                "context_team_id": self.team_id,
            }
        return {
            "id": channel.channel_id,
            "name": channel.name,
            "name_normalized": channel.name,
            "created": channel.created,
            "creator": self.bot_user_id,
            "is_channel": not channel.is_mpim and not channel.is_private,
            "is_group": channel.is_private and not channel.is_mpim,
            "is_im": False,
            "is_mpim": channel.is_mpim,
            "is_private": channel.is_private or channel.is_mpim,
            "is_archived": False,
            "is_general": False,
            "is_shared": False,
            "is_org_shared": False,
            "is_ext_shared": False,
            "is_member": self.bot_user_id in channel.members or channel.is_mpim,
            "context_team_id": self.team_id,
            "shared_team_ids": [self.team_id],
            "num_members": len(channel.members),
            "topic": {"value": "", "creator": "", "last_set": 0},
            "purpose": {"value": "", "creator": "", "last_set": 0},
        }

    def _bot_message(self, args: dict[str, Any], ts: str) -> dict[str, Any]:
        message: dict[str, Any] = {
            "type": "message",
            "user": self.bot_user_id,
            "bot_id": self.bot_id,
            "app_id": self.app_id,
            "text": args.get("text") or "",
            "ts": ts,
            "team": self.team_id,
            "bot_profile": {
                "id": self.bot_id,
                "app_id": self.app_id,
                "name": self.bot_name,
                "deleted": False,
                "team_id": self.team_id,
            },
        }
        for key in ("blocks", "attachments", "metadata", "thread_ts", "reply_broadcast"):
            if args.get(key) not in (None, ""):
                message[key] = args[key]
        if "blocks" not in message and "attachments" not in message:
            message["blocks"] = []
        return message

    def _find_message(self, channel: str, ts: str) -> dict[str, Any]:
        for message in self._messages.get(channel, []):
            if message["ts"] == ts:
                return message
        raise SlackError("message_not_found")

    def _view_response(self, view_in: Any, *, view_id: str, previous: dict[str, Any] | None) -> dict[str, Any]:
        if not isinstance(view_in, dict) or not view_in.get("type"):
            raise SlackError("invalid_arguments", response_metadata={"messages": ["view: missing or invalid"]})
        root = (previous or {}).get("root_view_id") or view_id
        return {
            "id": view_id,
            "team_id": self.team_id,
            "type": view_in["type"],
            "blocks": view_in.get("blocks", []),
            "private_metadata": view_in.get("private_metadata", ""),
            "callback_id": view_in.get("callback_id", ""),
            "state": {"values": {}},
            "hash": f"{int(time.time())}.{hashlib.sha1(view_id.encode() + self._next_ts().encode()).hexdigest()[:8]}",
            "title": view_in.get("title"),
            "clear_on_close": bool(view_in.get("clear_on_close", False)),
            "notify_on_close": bool(view_in.get("notify_on_close", False)),
            "close": view_in.get("close"),
            "submit": view_in.get("submit"),
            "previous_view_id": (previous or {}).get("id"),
            "root_view_id": root,
            "app_id": self.app_id,
            "external_id": view_in.get("external_id", ""),
            "app_installed_team_id": self.team_id,
            "bot_id": self.bot_id,
        }

    def _check_trigger(self, args: dict[str, Any]) -> str | None:
        trigger_id = args.get("trigger_id")
        if not trigger_id and not args.get("interactivity_pointer"):
            raise SlackError("invalid_arguments", response_metadata={"messages": ["missing trigger_id"]})
        trigger_id = trigger_id or args.get("interactivity_pointer")
        if trigger_id in self.expired_triggers:
            raise SlackError("expired_trigger_id")
        issued = self._triggers.get(trigger_id)
        if issued is None:
            return None
        user_id, at = issued
        if self.trigger_ttl is not None and time.monotonic() - at > self.trigger_ttl:
            raise SlackError("expired_trigger_id")
        return user_id

    def _external_id_taken(self, external_id: str) -> bool:
        return bool(external_id) and any(r.view.get("external_id") == external_id for r in self._views.values())

    def _user_object(self, user: _User) -> dict[str, Any]:
        now = datetime.now(UTC).astimezone(ZoneInfo(user.tz))
        offset = now.utcoffset()
        return {
            "id": user.user_id,
            "team_id": user.team_id,
            "name": user.name,
            "deleted": False,
            "real_name": user.real_name,
            "tz": user.tz,
            "tz_label": now.tzname() or user.tz,
            "tz_offset": int(offset.total_seconds()) if offset else 0,
            "profile": {
                "real_name": user.real_name,
                "real_name_normalized": user.real_name,
                "display_name": user.name,
                "display_name_normalized": user.name,
                "email": user.email,
                "team": user.team_id,
            },
            "is_admin": False,
            "is_owner": False,
            "is_bot": user.is_bot,
            "is_app_user": False,
            "updated": int(time.time()),
        }

    # ------------------------------------------------------------------ methods: auth, users

    def _api_api_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"args": {k: v for k, v in args.items() if k != "token"}}

    def _api_auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": f"https://{self.team_domain}.slack.com/",
            "team": self.team_name,
            "user": self.bot_name,
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _api_team_info(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "team": {
                "id": self.team_id,
                "name": self.team_name,
                "domain": self.team_domain,
                "email_domain": "",
                "icon": {},
            }
        }

    def _api_users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        self._require(args, "user")
        user = self._users.get(args["user"])
        if user is None:
            raise SlackError("user_not_found")
        return {"user": self._user_object(user)}

    def _api_users_lookupByEmail(self, args: dict[str, Any]) -> dict[str, Any]:  # noqa: N802 - Slack's name
        self._require(args, "email")
        for user in self._users.values():
            if user.email and user.email.lower() == str(args["email"]).lower():
                return {"user": self._user_object(user)}
        raise SlackError("users_not_found")

    def _api_users_list(self, args: dict[str, Any]) -> dict[str, Any]:
        members = [self._user_object(u) for u in self._users.values()]
        return {"members": members, "cache_ts": int(time.time()), "response_metadata": {"next_cursor": ""}}

    # ------------------------------------------------------------------ methods: chat

    def _api_chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        if not args.get("channel"):
            raise SlackError("channel_not_found")
        if not args.get("text") and not args.get("blocks") and not args.get("attachments"):
            raise SlackError("no_text")
        channel = self._resolve_channel(str(args["channel"]))
        ts = self._next_ts()
        message = self._bot_message(args, ts)
        self._messages.setdefault(channel, []).append(message)
        return {"channel": channel, "ts": ts, "message": json.loads(json.dumps(message))}

    def _api_chat_postEphemeral(self, args: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        self._require(args, "channel", "user")
        if not args.get("text") and not args.get("blocks") and not args.get("attachments"):
            raise SlackError("no_text")
        channel = str(args["channel"])
        members = self._channels.get(channel).members if channel in self._channels else None
        if members and args["user"] not in members:
            raise SlackError("user_not_in_channel")
        ts = self._next_ts()
        message = self._bot_message(args, ts)
        message.update({"channel": channel, "user": args["user"], "is_ephemeral": True})
        self._ephemerals.append(message)
        return {"message_ts": ts}

    def _api_chat_update(self, args: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        self._require(args, "channel", "ts")
        channel = self._resolve_channel(str(args["channel"]))
        message = self._find_message(channel, str(args["ts"]))
        for key in ("text", "blocks", "attachments", "metadata"):
            if key in args:
                message[key] = args[key]
        message["edited"] = {"user": self.bot_user_id, "ts": self._next_ts()}
        return {
            "channel": channel,
            "ts": message["ts"],
            "text": message.get("text", ""),
            "message": json.loads(json.dumps(message)),
        }

    def _api_chat_delete(self, args: dict[str, Any]) -> dict[str, Any]:
        self._require(args, "channel", "ts")
        channel = self._resolve_channel(str(args["channel"]))
        message = self._find_message(channel, str(args["ts"]))
        self._messages[channel].remove(message)
        return {"channel": channel, "ts": message["ts"]}

    def _api_chat_getPermalink(self, args: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        self._require(args, "channel", "message_ts")
        channel = self._resolve_channel(str(args["channel"]))
        self._find_message(channel, str(args["message_ts"]))
        ts = str(args["message_ts"]).replace(".", "")
        return {"channel": channel, "permalink": f"https://{self.team_domain}.slack.com/archives/{channel}/p{ts}"}

    # ------------------------------------------------------------------ methods: conversations

    def _api_conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        if args.get("channel"):
            channel = self._channels.get(str(args["channel"]))
            if channel is None:
                raise SlackError("channel_not_found")
            return {"no_op": True, "already_open": True, "channel": self._channel_object(channel)}
        users_arg = args.get("users")
        if isinstance(users_arg, list):
            users = [str(u).strip() for u in users_arg]
        else:
            users = [u.strip() for u in str(users_arg or "").split(",")]
        users = sorted({u for u in users if u and u != self.bot_user_id})
        if not users:
            raise SlackError("users_list_not_supplied")
        if len(users) > 8:
            raise SlackError("too_many_users")
        for user_id in users:
            if self._users and user_id not in self._users:
                raise SlackError("user_not_found")
        if len(users) == 1:
            existed = self.dm_channel_id(users[0]) in self._channels
            channel = self._open_im(users[0])
        else:
            channel_id = _stable_id("G", ",".join(users))
            existed = channel_id in self._channels
            if not existed:
                names = [self._users[u].name if u in self._users else u.lower() for u in users]
                self._channels[channel_id] = _Channel(
                    channel_id=channel_id,
                    name="mpdm-" + "--".join([self.bot_name, *names]) + "-1",
                    members=[self.bot_user_id, *users],
                    is_mpim=True,
                    created=int(time.time()),
                )
            channel = self._channels[channel_id]
        body: dict[str, Any] = {"no_op": existed, "already_open": existed}
        if _truthy(args.get("return_im")) or channel.is_mpim:
            body["channel"] = self._channel_object(channel)
        else:
            body["channel"] = {"id": channel.channel_id}
        return body

    def _history(self, channel: str, args: dict[str, Any], messages: list[dict[str, Any]]) -> dict[str, Any]:
        limit = max(1, min(_as_int(args.get("limit"), 100), 1000))
        inclusive = _truthy(args.get("inclusive"))
        oldest = _ts_float(args.get("oldest")) if args.get("oldest") not in (None, "") else None
        latest = _ts_float(args.get("latest")) if args.get("latest") not in (None, "") else None

        def in_range(m: dict[str, Any]) -> bool:
            ts = _ts_float(m["ts"])
            if oldest is not None and (ts < oldest or (ts == oldest and not inclusive)):
                return False
            return not (latest is not None and (ts > latest or (ts == latest and not inclusive)))

        selected = [m for m in messages if in_range(m)]
        start = _as_int(args.get("cursor"), 0)
        page = selected[start : start + limit]
        include_metadata = _truthy(args.get("include_all_metadata"))
        out = []
        for message in page:
            copy = json.loads(json.dumps(message))
            if not include_metadata:
                copy.pop("metadata", None)
            out.append(copy)
        has_more = start + limit < len(selected)
        return {
            "messages": out,
            "has_more": has_more,
            "pin_count": 0,
            "channel_actions_ts": None,
            "channel_actions_count": 0,
            "response_metadata": {"next_cursor": str(start + limit) if has_more else ""},
        }

    def _api_conversations_history(self, args: dict[str, Any]) -> dict[str, Any]:
        self._require(args, "channel")
        channel = self._resolve_channel(str(args["channel"]))
        messages = [
            m
            for m in reversed(self._messages.get(channel, []))
            if not m.get("thread_ts") or m["thread_ts"] == m["ts"] or _truthy(m.get("reply_broadcast"))
        ]
        return self._history(channel, args, messages)

    def _api_conversations_replies(self, args: dict[str, Any]) -> dict[str, Any]:
        self._require(args, "channel", "ts")
        channel = self._resolve_channel(str(args["channel"]))
        parent = self._find_message(channel, str(args["ts"]))
        thread = [parent] + [m for m in self._messages.get(channel, []) if m.get("thread_ts") == parent["ts"]]
        body = self._history(channel, args, [m for i, m in enumerate(thread) if i == 0 or m is not parent])
        body.pop("pin_count", None)
        return body

    def _api_conversations_members(self, args: dict[str, Any]) -> dict[str, Any]:
        self._require(args, "channel")
        channel = self._channels.get(self._resolve_channel(str(args["channel"])))
        if channel is None:
            raise SlackError("channel_not_found")
        limit = max(1, _as_int(args.get("limit"), 100))
        start = _as_int(args.get("cursor"), 0)
        members = channel.members[start : start + limit]
        more = start + limit < len(channel.members)
        return {"members": members, "response_metadata": {"next_cursor": str(start + limit) if more else ""}}

    def _api_conversations_info(self, args: dict[str, Any]) -> dict[str, Any]:
        self._require(args, "channel")
        channel = self._channels.get(self._resolve_channel(str(args["channel"])))
        if channel is None:
            raise SlackError("channel_not_found")
        return {"channel": self._channel_object(channel)}

    # ------------------------------------------------------------------ methods: views

    def _api_views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        user_id = self._check_trigger(args)
        view_in = args.get("view")
        if isinstance(view_in, dict) and self._external_id_taken(view_in.get("external_id", "")):
            raise SlackError("duplicate_external_id")
        view_id = self._new_id("V")
        view = self._view_response(view_in, view_id=view_id, previous=None)
        self._views[view_id] = _ViewRecord(view=view, user_id=user_id, opened_by="views.open")
        self._views_opened.append(view_id)
        return {"view": json.loads(json.dumps(view)), "response_metadata": {"messages": []}}

    def _api_views_push(self, args: dict[str, Any]) -> dict[str, Any]:
        user_id = self._check_trigger(args)
        previous = None
        for view_id in reversed(self._views_opened):
            record = self._views[view_id]
            if user_id is None or record.user_id == user_id:
                previous = record.view
                break
        view_id = self._new_id("V")
        view = self._view_response(args.get("view"), view_id=view_id, previous=previous)
        self._views[view_id] = _ViewRecord(view=view, user_id=user_id, opened_by="views.push")
        self._views_opened.append(view_id)
        return {"view": json.loads(json.dumps(view)), "response_metadata": {"messages": []}}

    def _api_views_update(self, args: dict[str, Any]) -> dict[str, Any]:
        record: _ViewRecord | None = None
        if args.get("view_id"):
            record = self._views.get(str(args["view_id"]))
        elif args.get("external_id"):
            record = next((r for r in self._views.values() if r.view.get("external_id") == args["external_id"]), None)
        else:
            raise SlackError("invalid_arguments", response_metadata={"messages": ["view_id or external_id"]})
        if record is None:
            raise SlackError("not_found")
        if args.get("hash") and args["hash"] != record.view["hash"]:
            raise SlackError("hash_conflict")
        old = record.view
        view = self._view_response(args.get("view"), view_id=old["id"], previous=None)
        view.update(previous_view_id=old["previous_view_id"], root_view_id=old["root_view_id"])
        if not view["external_id"]:
            view["external_id"] = old.get("external_id", "")
        record.view = view
        return {"view": json.loads(json.dumps(view)), "response_metadata": {"messages": []}}

    def _api_views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        self._require(args, "user_id", "view")
        user_id = str(args["user_id"])
        if self._users and user_id not in self._users:
            raise SlackError("user_not_found")
        if args.get("hash") and user_id in self._home_views:
            current = self._views[self._home_views[user_id]].view
            if args["hash"] != current["hash"]:
                raise SlackError("hash_conflict")
        view_id = self._home_views.get(user_id) or self._new_id("V")
        view = self._view_response(args["view"], view_id=view_id, previous=None)
        self._views[view_id] = _ViewRecord(view=view, user_id=user_id, opened_by="views.publish")
        self._home_views[user_id] = view_id
        return {"view": json.loads(json.dumps(view)), "response_metadata": {"messages": []}}

    # ------------------------------------------------------------------ methods: files

    def _api_files_getUploadURLExternal(self, args: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        self._require(args, "filename", "length")
        length = _as_int(args.get("length"), 0)
        file_id = self._new_id("F")
        self._uploads[file_id] = _PendingUpload(file_id=file_id, filename=str(args["filename"]), length=length)
        return {"upload_url": f"{self.base}/upload/{file_id}", "file_id": file_id}

    def _api_files_completeUploadExternal(self, args: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        self._require(args, "files")
        files = args["files"]
        if not isinstance(files, list) or not all(isinstance(f, dict) and f.get("id") for f in files):
            raise SlackError("invalid_arguments", response_metadata={"messages": ["files: list of {id, title}"]})
        pending = []
        for entry in files:
            upload = self._uploads.get(str(entry["id"]))
            if upload is None or upload.content is None:
                raise SlackError("file_not_found")
            pending.append((entry, upload))
        channel_id = args.get("channel_id") or None
        if channel_id is None and args.get("channels"):
            channel_id = str(args["channels"]).split(",")[0]
        if channel_id:
            channel_id = self._resolve_channel(str(channel_id))
        initial_comment = args.get("initial_comment") or None
        thread_ts = args.get("thread_ts") or None
        objects = []
        for entry, upload in pending:
            title = entry.get("title") or upload.filename
            self._uploads.pop(upload.file_id)
            self._uploaded_files.append(
                UploadedFile(
                    file_id=upload.file_id,
                    filename=upload.filename,
                    title=title,
                    channel_id=channel_id,
                    content=upload.content or b"",
                    initial_comment=initial_comment,
                    thread_ts=thread_ts,
                )
            )
            objects.append(self._file_object(upload, title, channel_id))
        if channel_id:
            message_args = {"text": initial_comment or "", "thread_ts": thread_ts}
            message = self._bot_message(message_args, self._next_ts())
            message.update(files=objects, upload=True, display_as_bot=False)
            self._messages.setdefault(channel_id, []).append(message)
        return {"files": objects}

    def _file_object(self, upload: _PendingUpload, title: str, channel_id: str | None) -> dict[str, Any]:
        name = upload.filename
        ext = name.rsplit(".", 1)[-1].lower() if "." in name else "binary"
        url = f"{self.base}/files/{upload.file_id}/{quote(name)}"
        now = int(time.time())
        return {
            "id": upload.file_id,
            "created": now,
            "timestamp": now,
            "name": name,
            "title": title,
            "mimetype": _guess_mimetype(name),
            "filetype": ext,
            "pretty_type": ext.upper(),
            "user": self.bot_user_id,
            "user_team": self.team_id,
            "editable": False,
            "size": len(upload.content or b""),
            "mode": "hosted",
            "is_external": False,
            "external_type": "",
            "is_public": bool(channel_id and channel_id.startswith("C")),
            "public_url_shared": False,
            "display_as_bot": False,
            "username": "",
            "url_private": url,
            "url_private_download": url + "?download=1",
            "permalink": f"https://{self.team_domain}.slack.com/files/{self.bot_user_id}/{upload.file_id}/{name}",
            "comments_count": 0,
            "shares": {},
            "channels": [],
            "groups": [],
            "ims": [],
            "has_rich_preview": False,
        }

    # ------------------------------------------------------------------ non-API paths

    def _store_upload(self, file_id: str, content: bytes) -> bool:
        with self._lock:
            upload = self._uploads.get(file_id)
            if upload is None:
                return False
            upload.content = content
            return True

    def _download(self, file_id: str) -> bytes | None:
        with self._lock:
            for uploaded in self._uploaded_files:
                if uploaded.file_id == file_id:
                    return uploaded.content
        return None

    def _store_response(self, key: str, payload: dict[str, Any]) -> None:
        with self._lock:
            self._responses.append(ResponseUrlPost(key=key, payload=payload, at=time.time()))
            self._record_call("response_url", {**payload, "response_url_key": key})


def _guess_mimetype(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


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


def _make_handler(sandbox: SlackSandbox) -> type[BaseHTTPRequestHandler]:
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
                sandbox._store_response(key, recorded_args)
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
            if sandbox._store_upload(file_id, content):
                sandbox._note_attempt(
                    "upload", 200, {"ok": True}, injected=False, args={"file_id": file_id, "size": len(content)}, at=at
                )
                self._send(200, f"OK - {len(content)}".encode(), "text/plain; charset=utf-8")
            else:
                sandbox._note_attempt(
                    "upload", 404, {"ok": False, "error": "not_found"}, injected=False, args={"file_id": file_id}, at=at
                )
                self._send(404, b"upload url not found", "text/plain; charset=utf-8")

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


__all__ = ["Attempt", "Call", "ResponseUrlPost", "SlackError", "SlackSandbox", "UploadedFile"]
