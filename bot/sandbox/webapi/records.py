"""What the sandbox records and keeps: calls, attempts, files, responses, and its workspace's objects."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any


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
class InvalidCall:
    """A request Slack would refuse: an unknown method or argument, a missing one, or a broken Block Kit limit.

    Attributes:
        method: The API method (``upload`` / ``response_url`` for those paths).
        error: The Slack error code answered, e.g. ``invalid_arguments`` or ``invalid_blocks``.
        messages: What is wrong, as in Slack's ``response_metadata.messages``.
        args: The decoded arguments, without the token.
        expected: True when a test announced it with ``expect_invalid()``.
        at: ``time.time()`` when the request arrived.
    """

    method: str
    error: str
    messages: tuple[str, ...]
    args: dict[str, Any]
    expected: bool
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
