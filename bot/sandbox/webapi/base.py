"""The sandbox's core: lifecycle, recording, fault injection, workspace setup and the shared helpers."""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import IO, Any, Self
from urllib.parse import quote
from zoneinfo import ZoneInfo

from bot.sandbox import validation
from bot.sandbox.webapi.records import (
    Attempt,
    Call,
    InvalidCall,
    ResponseUrlPost,
    SlackError,
    UploadedFile,
    _Channel,
    _Fault,
    _PendingUpload,
    _stable_id,
    _ts_float,
    _User,
    _ViewRecord,
)

logger = logging.getLogger("bot.sandbox.slack_api")


class SandboxBase:
    """State, recording, fault injection and helpers shared by the method families (see ``SlackSandbox``)."""

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
        self._invalid: list[InvalidCall] = []
        self._expecting = 0
        self._handlers: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            name.removeprefix("_api_").replace("_", "."): getattr(self, name)
            for name in dir(self)
            if name.startswith("_api_")
        }

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> Self:
        """Start listening in a daemon thread.

        Returns:
            The sandbox itself, so ``sandbox = SlackSandbox().start()`` works.
        """
        if self._server is not None:
            return self
        from bot.sandbox.webapi.http import make_handler

        server = ThreadingHTTPServer((self.host, self._requested_port), make_handler(self))
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

    def __enter__(self) -> Self:
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
        refused = validation.check_call(method, args)
        if refused is None and handler is None:
            refused = validation.refusal([validation.Problem("/", f"unknown method {method!r}", "", "unknown_method")])
        if refused is not None:
            self.note_invalid(method, refused, args)
            return refused.answer()
        assert handler is not None
        with self._lock:
            try:
                body = handler(args)
            except SlackError as err:
                answer = {"ok": False, "error": err.code, **err.extra}
                if err.code in validation.INVALID_ERRORS:
                    messages = tuple((err.extra.get("response_metadata") or {}).get("messages") or (err.code,))
                    self.note_invalid(method, validation.Refusal(err.code, messages), args)
                return answer
            self._record_call(method, args)
        return {"ok": True, **body}

    # ------------------------------------------------------------------ strictness

    @property
    def invalid_calls(self) -> list[InvalidCall]:
        """Every request Slack would have refused (bad method, arguments or Block Kit), oldest first."""
        with self._lock:
            return list(self._invalid)

    def unexpected_invalid_calls(self) -> list[InvalidCall]:
        """Invalid requests no test announced with ``expect_invalid()``."""
        return [c for c in self.invalid_calls if not c.expected]

    @contextlib.contextmanager
    def expect_invalid(self) -> Iterator[None]:
        """Within this block, invalid requests are expected (a test of the stand-in itself) and fail no test."""
        with self._lock:
            self._expecting += 1
        try:
            yield
        finally:
            with self._lock:
                self._expecting -= 1

    def note_invalid(self, method: str, refused: validation.Refusal, args: dict[str, Any]) -> InvalidCall:
        """Keep a refused request (here and in the process-wide list the test suite checks), and log it."""
        with self._lock:
            call = InvalidCall(method, refused.error, refused.messages, dict(args), self._expecting > 0, time.time())
            self._invalid.append(call)
        validation.note_invalid(call)
        if not call.expected:
            logger.warning("sandbox refused %s: %s %s", method, refused.error, "; ".join(refused.messages[:3]))
        return call

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
