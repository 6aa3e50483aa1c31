"""Operations: JSON logs with a request id, a Prometheus metrics registry, and the Bolt hooks that keep
malformed payloads and failing listeners from turning into 500s or tracebacks.

- ``request_id_var`` holds the id of the Slack request being served; the WSGI app sets it, log records carry it
  (``RequestIdFilter``), and ``ContextExecutor`` carries it into Bolt's listener threads.
- ``metrics`` is the process-wide registry rendered at ``GET /metrics`` (Prometheus text format 0.0.4).
- ``MeteredWebClient`` counts every Web API call and error by method.
- ``install_bolt_hooks(app)`` adds a global middleware that refuses signed payloads missing ``user.id`` /
  ``team.id`` (and the like) with 400 before any listener runs, swaps in a metered per-request client, and a
  global error handler that logs one line and answers with a friendly "please try again".
"""

from __future__ import annotations

import contextvars
import json
import logging
import math
import os
import re
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from slack_bolt import Ack, App, BoltResponse
from slack_bolt.middleware import Middleware
from slack_bolt.request import BoltRequest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

from bot import ids

log = logging.getLogger(__name__)

SORRY = "Sorry, something went wrong on our side, please try again in a minute."

# ---------------------------------------------------------------------------------------------- request ids

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("mentorbot_request_id", default="-")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")


def new_request_id(incoming: str | None = None) -> str:
    """The id for a request: the caller's ``X-Request-Id`` when well-formed (8-64 of ``[A-Za-z0-9._:-]``), else new.

    Args:
        incoming: The ``X-Request-Id`` header a proxy may have set.

    Returns:
        A log-safe id.
    """
    if incoming and _REQUEST_ID.match(incoming):
        return incoming
    return uuid.uuid4().hex


class RequestIdFilter(logging.Filter):
    """Puts the current request id on every record (``record.request_id``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        return True


class ContextExecutor(ThreadPoolExecutor):
    """A thread pool that runs each task in a copy of the submitter's context, so the request id follows.

    It counts the tasks not yet finished, so a simulation can wait for the work that follows each ack
    (``wait_idle``) instead of sleeping a guessed time.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._busy = 0
        self._idle = threading.Condition()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:  # type: ignore[override]
        context = contextvars.copy_context()
        with self._idle:
            self._busy += 1
        future = super().submit(context.run, fn, *args, **kwargs)
        future.add_done_callback(self._finished)
        return future

    def _finished(self, _future: Future[Any]) -> None:
        with self._idle:
            self._busy -= 1
            if self._busy == 0:
                self._idle.notify_all()

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Block until no submitted task is running or queued; False on timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: self._busy == 0, timeout=timeout)


# ---------------------------------------------------------------------------------------------- JSON logs

_STANDARD = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime", "request_id"}
_KEY_VALUE = re.compile(r"(?:^|\s)([a-z_][a-z0-9_]{0,40})=(\"[^\"]*\"|\S*)")
_CORE = frozenset({"ts", "level", "logger", "msg", "request_id", "exc"})


def _jsonable(value: Any) -> Any:
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, msg, request_id, the message's ``key=value`` pairs, and
    any ``extra={...}`` fields."""

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": message,
            "request_id": getattr(record, "request_id", None) or request_id_var.get(),
        }
        for key, value in _KEY_VALUE.findall(message):
            if key not in _CORE:
                entry.setdefault(key, value[1:-1] if value.startswith('"') and len(value) > 1 else value)
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_") and key not in _CORE:
                entry[key] = _jsonable(value)
        if record.exc_info or record.exc_text:
            entry["exc"] = record.exc_text or self.formatException(record.exc_info)  # type: ignore[arg-type]
        return json.dumps(entry, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """``key=value`` lines with the request id."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s level=%(levelname)s logger=%(name)s request_id=%(request_id)s %(message)s")


# ---------------------------------------------------------------------------------------------- metrics

# Seconds: Slack wants an ack within 3 s; most are a few milliseconds.
ACK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 3.0, 5.0)
_LABEL_SAFE = re.compile(r"^[A-Za-z0-9_./:-]{1,64}$")
OVERFLOW = "other"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(names: tuple[str, ...], values: tuple[str, ...], extra: str = "") -> str:
    parts = [f'{name}="{_escape(value)}"' for name, value in zip(names, values, strict=True)]
    if extra:
        parts.append(extra)
    return "{" + ",".join(parts) + "}" if parts else ""


def _number(value: float) -> str:
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if float(value).is_integer():
        return str(int(value))
    return repr(float(value))


class _Family:
    def __init__(self, name: str, kind: str, help_text: str, labels: tuple[str, ...], max_series: int) -> None:
        self.name, self.kind, self.help, self.labels, self.max_series = name, kind, help_text, labels, max_series
        self.series: dict[tuple[str, ...], Any] = {}

    def key(self, values: Mapping[str, str]) -> tuple[str, ...]:
        key = tuple(str(values.get(name, "")) for name in self.labels)
        if key not in self.series and len(self.series) >= self.max_series:
            key = tuple(OVERFLOW for _ in self.labels)  # a flood of odd names cannot grow memory without bound
        return key


class Metrics:
    """A small thread-safe registry of counters and histograms, rendered in Prometheus text format.

    Args:
        max_series: Distinct label sets kept per metric; more collapse into ``other``.
    """

    def __init__(self, max_series: int = 500) -> None:
        self.max_series = max_series
        self._families: dict[str, _Family] = {}
        self._lock = threading.Lock()

    def _family(self, name: str, kind: str, help_text: str, labels: Iterable[str]) -> _Family:
        family = self._families.get(name)
        if family is None:
            family = _Family(name, kind, help_text, tuple(labels), self.max_series)
            self._families[name] = family
        return family

    def inc(self, name: str, help_text: str, amount: float = 1.0, /, **labels: str) -> None:
        """Add ``amount`` to the counter ``name`` with ``labels``."""
        with self._lock:
            family = self._family(name, "counter", help_text, labels)
            key = family.key(labels)
            family.series[key] = family.series.get(key, 0.0) + amount

    def observe(
        self, name: str, help_text: str, value: float, buckets: tuple[float, ...] = ACK_BUCKETS, /, **labels: str
    ) -> None:
        """Record ``value`` in the histogram ``name`` with ``labels``."""
        with self._lock:
            family = self._family(name, "histogram", help_text, labels)
            key = family.key(labels)
            state = family.series.get(key)
            if state is None:
                state = family.series[key] = {"buckets": buckets, "counts": [0] * len(buckets), "sum": 0.0, "n": 0}
            for i, bound in enumerate(state["buckets"]):
                if value <= bound:
                    state["counts"][i] += 1
            state["sum"] += value
            state["n"] += 1

    def value(self, name: str, /, **labels: str) -> float:
        """A counter's value (or a histogram's count) for exactly ``labels``; 0 when never recorded."""
        with self._lock:
            family = self._families.get(name)
            if family is None:
                return 0.0
            state = family.series.get(tuple(str(labels.get(n, "")) for n in family.labels))
            if state is None:
                return 0.0
            return float(state["n"]) if family.kind == "histogram" else float(state)

    def render(self, gauges: Iterable[tuple[str, str, float]] = ()) -> str:
        """The exposition text; ``gauges`` adds ``(name, help, value)`` gauges computed at scrape time."""
        lines: list[str] = []
        with self._lock:
            for family in sorted(self._families.values(), key=lambda f: f.name):
                lines.append(f"# HELP {family.name} {family.help}")
                lines.append(f"# TYPE {family.name} {family.kind}")
                for key, state in sorted(family.series.items()):
                    if family.kind == "counter":
                        lines.append(f"{family.name}{_labels(family.labels, key)} {_number(state)}")
                        continue
                    for bound, count in zip(state["buckets"], state["counts"], strict=True):
                        le = f'le="{_number(bound)}"'
                        lines.append(f"{family.name}_bucket{_labels(family.labels, key, le)} {count}")
                    inf = 'le="+Inf"'
                    lines.append(f"{family.name}_bucket{_labels(family.labels, key, inf)} {state['n']}")
                    lines.append(f"{family.name}_sum{_labels(family.labels, key)} {_number(state['sum'])}")
                    lines.append(f"{family.name}_count{_labels(family.labels, key)} {state['n']}")
        for name, help_text, value in gauges:
            lines += [f"# HELP {name} {help_text}", f"# TYPE {name} gauge", f"{name} {_number(value)}"]
        return "\n".join(lines) + "\n"


metrics = Metrics()

REQUESTS = "mentorbot_slack_requests_total"
ACK_SECONDS = "mentorbot_slack_ack_seconds"
REJECTED = "mentorbot_http_rejected_total"
API_CALLS = "mentorbot_slack_api_calls_total"
API_ERRORS = "mentorbot_slack_api_errors_total"
LISTENER_ERRORS = "mentorbot_listener_errors_total"

_KNOWN_IDS = frozenset(
    value for name, value in vars(ids).items() if name.isupper() and isinstance(value, str) and "{" not in value
)
_KNOWN_ID_PATTERNS = tuple(
    re.compile("^" + re.escape(value).replace(re.escape("{n}"), r"\d{1,3}") + "$")
    for name, value in vars(ids).items()
    if name.isupper() and isinstance(value, str) and "{n}" in value
)


def _known_id(value: Any) -> str:
    if not isinstance(value, str):
        return "unknown"
    if value in _KNOWN_IDS or any(p.match(value) for p in _KNOWN_ID_PATTERNS):
        return value
    return "unknown"


def _safe(value: Any) -> str:
    return value if isinstance(value, str) and _LABEL_SAFE.match(value) else "unknown"


def listener_label(body: Mapping[str, Any]) -> tuple[str, str]:
    """``(kind, name)`` of a request for metrics: command + subcommand, action_id, callback_id or event type.

    Names come from a closed set where one exists (ids in ``bot/ids.py``); anything else is ``unknown``.
    """
    if "command" in body:
        command = _safe(body.get("command"))
        text = body.get("text")
        sub = text.strip().split(" ", 1)[0].lower() if isinstance(text, str) else ""
        sub = sub if re.fullmatch(r"[a-z][a-z0-9-]{0,23}", sub or "-") else ("" if not sub else "unknown")
        return "command", f"{command} {sub}".strip()
    kind = body.get("type")
    if not isinstance(kind, str):
        return "other", "unknown"
    if kind == "block_actions":
        actions = body.get("actions")
        first = actions[0] if isinstance(actions, list) and actions and isinstance(actions[0], dict) else {}
        return "action", _known_id(first.get("action_id"))
    if kind in ("view_submission", "view_closed"):
        view = body.get("view") if isinstance(body.get("view"), dict) else {}
        return str(kind), _known_id(view.get("callback_id"))
    if kind in ("shortcut", "message_action", "block_suggestion"):
        return str(kind), _known_id(body.get("callback_id") or body.get("action_id"))
    if kind == "event_callback":
        event = body.get("event") if isinstance(body.get("event"), dict) else {}
        return "event", _safe(event.get("type"))
    return "other", _safe(kind)


def record_request(kind: str, name: str, status: int, seconds: float) -> None:
    """Count one served Slack request and its ack latency."""
    metrics.inc(REQUESTS, "Slack requests served, by listener and status", kind=kind, name=name, status=str(status))
    metrics.observe(ACK_SECONDS, "Time to acknowledge a Slack request, by listener", seconds, kind=kind, name=name)


def record_rejected(reason: str) -> None:
    """Count a request refused before Bolt (unsigned, malformed, too large...)."""
    metrics.inc(REJECTED, "Requests refused before reaching a listener, by reason", reason=reason)


def dispatch_gauges(snapshot: Mapping[str, Any], due_now: int | None) -> list[tuple[str, str, float]]:
    """Gauges for the outbox dispatcher from ``dispatch_metrics.snapshot()`` and a ``count_due`` query."""
    gauges = [
        ("mentorbot_prompts_claimed", "Prompts claimed by this process's dispatcher since start", snapshot["due"]),
        ("mentorbot_prompts_sent", "Prompts sent since start (including recovered)", snapshot["sent"]),
        ("mentorbot_prompts_failed", "Prompts that gave up since start", snapshot["failed"]),
        ("mentorbot_prompts_retried", "Prompt sends put back for a retry since start", snapshot["retried"]),
        ("mentorbot_prompts_skipped", "Prompts skipped by their renderer since start", snapshot["skipped"]),
        ("mentorbot_prompts_recovered", "Prompts found already posted after a crash", snapshot["recovered"]),
        ("mentorbot_dispatcher_ticks", "Dispatcher ticks since start", snapshot["ticks"]),
        ("mentorbot_dispatcher_lag_seconds", "How late the last prompt went out", snapshot["last_lag_seconds"]),
        ("mentorbot_dispatcher_max_lag_seconds", "The latest any prompt went out", snapshot["max_lag_seconds"]),
    ]
    last = snapshot.get("last_tick_at")
    if last:
        when = datetime.fromisoformat(last).timestamp()
        gauges.append(("mentorbot_dispatcher_last_tick_timestamp_seconds", "Clock time of the last tick", when))
    if due_now is not None:
        gauges.append(("mentorbot_prompts_due", "Pending prompts due now and not yet claimed", float(due_now)))
    gauges.append(("mentorbot_process_start_time_seconds", "Start time of the process", _STARTED))
    return gauges


_STARTED = time.time()

# ---------------------------------------------------------------------------------------------- Web API calls


def _error_code(exc: BaseException) -> str:
    if isinstance(exc, SlackApiError):
        status = getattr(exc.response, "status_code", None)
        try:
            code = str(exc.response.get("error") or "")
        except Exception:  # noqa: BLE001 - an HTML error page has no fields
            code = ""
        return _safe(code) if code and status is not None and status < 500 else f"http_{status}"
    return type(exc).__name__


class MeteredWebClient(WebClient):
    """Our WebClient: every Web API call is counted by method, and errors by method and error code."""

    def api_call(self, api_method: str, **kwargs: Any) -> SlackResponse:  # type: ignore[override]
        method = _safe(api_method)
        metrics.inc(API_CALLS, "Slack Web API calls, by method", method=method)
        try:
            return super().api_call(api_method, **kwargs)
        except Exception as exc:
            metrics.inc(
                API_ERRORS, "Slack Web API calls that failed, by method, error", method=method, error=_error_code(exc)
            )
            raise

    @classmethod
    def copy_of(cls, client: WebClient) -> MeteredWebClient:
        """A metered client with the same token, URL, timeout and retry handlers as ``client``."""
        return cls(
            token=client.token,
            base_url=client.base_url,
            timeout=client.timeout,
            ssl=client.ssl,
            proxy=client.proxy,
            headers=client.headers,
            team_id=getattr(client, "team_id", None),
            logger=client.logger,
            retry_handlers=list(client.retry_handlers or []),
        )


# ---------------------------------------------------------------------------------------------- Bolt hooks

_INTERACTIVE = frozenset({"block_actions", "view_submission", "view_closed", "shortcut", "message_action"})


def _nonempty_str(value: Any) -> bool:
    return isinstance(value, str) and 0 < len(value) <= 255


def _has_id(value: Any) -> bool:
    return isinstance(value, dict) and _nonempty_str(value.get("id"))


def payload_problem(body: Mapping[str, Any]) -> str | None:
    """Why a (signed) payload cannot be served, or None when its fields listeners rely on have the right types.

    Listeners read ``user.id``, ``team.id``, ``actions[0].action_id``, ``view.callback_id``,
    ``view.state.values`` and ``event.type`` without checking them; Slack always sends them, so a payload
    without them is refused here with 400 instead of failing inside a listener.
    """
    if "command" in body:
        for name in ("command", "user_id", "team_id"):
            if not _nonempty_str(body.get(name)):
                return f"{name} missing"
        for name in ("text", "channel_id", "trigger_id", "response_url"):
            if name in body and not isinstance(body[name], str):
                return f"{name} not a string"
        return None
    kind = body.get("type")
    if kind is not None and not isinstance(kind, str):
        return "type not a string"
    if kind in _INTERACTIVE or kind == "block_suggestion":
        if not _has_id(body.get("user")):
            return "user.id missing"
        if not _has_id(body.get("team")):
            return "team.id missing"
        for name in ("trigger_id", "response_url", "callback_id"):
            if name in body and body[name] is not None and not isinstance(body[name], str):
                return f"{name} not a string"
        if kind == "block_actions":
            actions = body.get("actions")
            if not isinstance(actions, list) or not actions:
                return "actions missing"
            for action in actions:
                if not isinstance(action, dict) or not _nonempty_str(action.get("action_id")):
                    return "action_id missing"
                for name in ("value", "block_id"):
                    if name in action and action[name] is not None and not isinstance(action[name], str):
                        return f"action {name} not a string"
        if "view" in body or kind in ("view_submission", "view_closed"):
            view = body.get("view")
            if not isinstance(view, dict) or not isinstance(view.get("callback_id"), str):
                return "view.callback_id missing"
            if not isinstance(view.get("private_metadata", ""), str):
                return "view.private_metadata not a string"
            state = view.get("state", {"values": {}})
            values = state.get("values") if isinstance(state, dict) else None
            if not isinstance(values, dict) or not all(isinstance(v, dict) for v in values.values()):
                return "view.state.values malformed"
            if not all(isinstance(s, dict) for block in values.values() for s in block.values()):
                return "view.state.values malformed"
        for name in ("channel", "container", "message"):
            if name in body and body[name] is not None and not isinstance(body[name], dict):
                return f"{name} not an object"
        return None
    if kind == "event_callback":
        if not _nonempty_str(body.get("team_id")):
            return "team_id missing"
        event = body.get("event")
        if not isinstance(event, dict) or not _nonempty_str(event.get("type")):
            return "event.type missing"
        for name in ("user", "channel", "text", "tab", "ts"):
            if name in event and event[name] is not None and not isinstance(event[name], str):
                return f"event.{name} not a string"
        return None
    return None


def _where(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return "?"
    return f"{os.path.basename(frames[-1].filename)}:{frames[-1].lineno}"


class WakingAck(Ack):
    """Bolt's ``ack``, which wakes the request thread the moment a listener acknowledges.

    Bolt's thread runner waits for the ack by polling ``ack.response`` every 10 ms, so a listener that acks after
    a 2 ms write still answers Slack 10 ms later. Here, the thread that created the ack (the request thread, which
    does that polling) blocks on an event for one poll interval instead; every other thread reads it as usual.
    """

    POLL = 0.01  # Bolt's own polling interval

    def __init__(self) -> None:
        self._acked = threading.Event()
        self._owner = threading.get_ident()
        self._response: BoltResponse | None = None
        super().__init__()

    @property  # type: ignore[override]
    def response(self) -> BoltResponse | None:
        if self._response is None and threading.get_ident() == self._owner:
            self._acked.wait(self.POLL)
        return self._response

    @response.setter
    def response(self, value: BoltResponse | None) -> None:
        self._response = value
        if value is not None:
            self._acked.set()


class PayloadGuard(Middleware):
    """Bolt global middleware: 400 for a payload without ``user.id`` / ``team.id`` (and the like) of the right types,
    and a metered per-request WebClient (Bolt builds a plain one per request).

    A ``Middleware`` subclass rather than a function, because Bolt builds every listener argument for a function
    middleware up front, and that itself fails on some malformed bodies.
    """

    def __init__(self, *, waking_ack: bool = True) -> None:
        self.waking_ack = waking_ack

    def process(self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]) -> BoltResponse | None:  # noqa: A002
        if self.waking_ack and "ack" not in req.context:
            req.context["ack"] = WakingAck()
        body = req.body
        problem = payload_problem(body) if isinstance(body, dict) else "body not an object"
        if problem is not None:
            log.warning("malformed payload refused reason=%s", problem.replace(" ", "_"))
            record_rejected("malformed_payload")
            return BoltResponse(status=400, body=json.dumps({"error": "malformed_payload"}))
        client = req.context.get("client")
        if isinstance(client, WebClient) and not isinstance(client, MeteredWebClient):
            req.context["client"] = MeteredWebClient.copy_of(client)
        return next()


def sorry_response(kind: str) -> BoltResponse:
    """The "please try again" answer for a request not yet acknowledged: ephemeral for a slash command, else a
    plain 200 ack (a modal cannot show a message without an errors dict; a click is acknowledged)."""
    if kind == "command":
        payload = json.dumps({"response_type": "ephemeral", "text": SORRY})
        return BoltResponse(status=200, body=payload, headers={"content-type": "application/json"})
    return BoltResponse(status=200, body="")


def install_bolt_hooks(app: App) -> None:
    """Register the payload guard (with the metered client) and the global error handler on ``app``.

    Call it right after creating the App, before other middleware, so no listener or middleware ever sees a
    payload without the fields it relies on.
    """
    # the waking ack only helps Bolt's threaded runner, which polls; process_before_response runs in the request thread
    app.use(PayloadGuard(waking_ack=not app.process_before_response))

    @app.error
    def answer_sorry(error: Exception, body: dict[str, Any], response: BoltResponse | None, respond: Any) -> Any:
        """One log line (no traceback: a hostile payload must not fill the log), and a friendly answer.

        Not yet acknowledged: ``sorry_response``. Already acknowledged: the "please try again" goes to the
        response_url when the request has one (slash commands, clicks in messages).
        """
        kind, name = listener_label(body) if isinstance(body, dict) else ("other", "unknown")
        log.error(
            "listener failed kind=%s name=%s error=%s at=%s acked=%s",
            kind,
            name,
            type(error).__name__,
            _where(error),
            response is None,
        )
        metrics.inc(LISTENER_ERRORS, "Listeners that raised, by kind and name", kind=kind, name=name)
        if response is not None:
            return sorry_response(kind)
        if isinstance(body, dict) and isinstance(body.get("response_url"), str) and kind in ("command", "action"):
            try:
                respond(text=SORRY, response_type="ephemeral", replace_original=False)
            except Exception as exc:  # noqa: BLE001 - Slack unreachable too: nothing more to do
                log.warning("could not send the sorry message error=%s", type(exc).__name__)
        return None


def fast_listener_matching(app: App) -> int:
    """Let Bolt's built-in listener matchers read the body directly; call once every listener is registered.

    Bolt tries each listener in turn, and each built-in matcher (``app.action(...)``, ``app.event(...)``...) is
    called through ``build_required_kwargs``, which extracts every payload part (action, view, event, message...)
    for every matcher on every request: with this app's ~50 listeners that was about a tenth of the request path.
    The built-in matchers only take ``body``; they are given it directly, with the same result. Matchers of any
    other shape keep Bolt's way. Returns how many matchers were sped up.
    """
    from slack_bolt.listener_matcher.builtins import BuiltinListenerMatcher

    count = 0
    for listener in getattr(app, "_listeners", []):
        for matcher in getattr(listener, "matchers", []):
            func = getattr(matcher, "func", None)
            if type(matcher) is BuiltinListenerMatcher and list(getattr(matcher, "arg_names", [])) == ["body"]:
                matcher.matches = lambda req, resp, func=func: func(body=req.body)  # type: ignore[method-assign]
                count += 1
    return count
