"""The outbox dispatcher: claims due prompts, renders and sends them, marks them sent; APScheduler ticks it.

One tick:

1. Claim up to ``batch_size`` due rows in a short transaction (``storage.outbox.claim_due``: ``FOR UPDATE SKIP
   LOCKED`` on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite), leasing them to this dispatcher for ``lease``.
2. The batch goes in waves: a wave holds at most one prompt per pair (or per recipient, for prompts without a
   pair), so a prompt is rendered after the ``after_send`` hook of an earlier prompt of its pair has run. Each
   wave is rendered in one session and one commit (a renderer that raises sends the wave back to one session per
   prompt, to isolate it), then each message is posted with ``chat.postMessage`` carrying ``metadata =
   {"event_type": "mentorbot_prompt", "event_payload": {"key": ...}}``, then the wave's sent rows are marked in one
   transaction (one statement for the rows of kinds without a hook; each ``after_send`` hook in a savepoint).
   The database work per prompt is a fraction of one round trip; what is left is the Slack call itself.
3. A send that still fails after the WebClient's own retries goes back to pending with exponential backoff
   (honouring ``Retry-After``); after ``max_attempts`` it is ``failed`` and logged at ERROR. Errors that can never
   succeed (``channel_not_found``...) fail at once.

Crash safety: a row whose lease ran out (its owner died between Slack and the commit of its wave) or that failed
before is re-sent only after the target channel's recent history shows no message carrying its key; if one is
there, the row is marked sent without posting again.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import time
import traceback
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.outbox import Outgoing, PromptKind, prompt_kind
from bot.services import Services
from storage import outbox as store
from storage.models.outbox import FAILED, SKIPPED, ScheduledPrompt

log = logging.getLogger(__name__)

JOB_ID = "mentorbot-dispatch"
METADATA_EVENT_TYPE = "mentorbot_prompt"
# Slack errors that no retry can fix: the prompt fails at once (still visible to coordinators).
FATAL_ERRORS = frozenset(
    {
        "channel_not_found",
        "user_not_found",
        "users_not_found",
        "not_in_channel",
        "is_archived",
        "account_inactive",
        "cannot_dm_bot",
        "user_disabled",
    }
)


@dataclass
class DispatchReport:
    """What one tick did.

    Attributes:
        sent: Prompts marked sent (including recovered ones found already in Slack).
        failed: Prompts that gave up (fatal error or ``max_attempts``).
        retried: Prompts put back to pending with backoff.
        skipped: Prompts whose renderer returned None.
        recovered: Of ``sent``, those found already posted (a crash between Slack and the commit).
        claimed: Rows this tick leased.
        released: Leased rows given back unsent (a stop, a rate limit, or a lease running short).
    """

    sent: int = 0
    failed: int = 0
    retried: int = 0
    skipped: int = 0
    recovered: int = 0
    claimed: int = 0
    released: int = 0

    def __iadd__(self, other: DispatchReport) -> DispatchReport:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        return self


@dataclass
class DispatchMetrics:
    """Process-wide counters for a /metrics endpoint (thread-safe; read with ``snapshot()``)."""

    ticks: int = 0
    due: int = 0
    sent: int = 0
    failed: int = 0
    retried: int = 0
    skipped: int = 0
    recovered: int = 0
    last_lag_seconds: float = 0.0
    max_lag_seconds: float = 0.0
    last_tick_at: datetime | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def record_tick(self, report: DispatchReport, now: datetime) -> None:
        """Add one tick's report."""
        with self._lock:
            self.ticks += 1
            self.due += report.claimed
            self.sent += report.sent
            self.failed += report.failed
            self.retried += report.retried
            self.skipped += report.skipped
            self.recovered += report.recovered
            self.last_tick_at = now

    def record_lag(self, seconds: float) -> None:
        """Note how late a prompt went out (send time minus due time)."""
        with self._lock:
            self.last_lag_seconds = seconds
            self.max_lag_seconds = max(self.max_lag_seconds, seconds)

    def snapshot(self) -> dict[str, Any]:
        """A consistent copy of the counters."""
        with self._lock:
            return {
                "ticks": self.ticks,
                "due": self.due,
                "sent": self.sent,
                "failed": self.failed,
                "retried": self.retried,
                "skipped": self.skipped,
                "recovered": self.recovered,
                "last_lag_seconds": self.last_lag_seconds,
                "max_lag_seconds": self.max_lag_seconds,
                "last_tick_at": self.last_tick_at.isoformat() if self.last_tick_at else None,
            }


dispatch_metrics = DispatchMetrics()


_FAILED = object()
_DM_CHANNELS_MAX = 200_000  # cached DM channel ids per dispatcher


def _waves(claims: list[store.ClaimedPrompt]) -> list[list[store.ClaimedPrompt]]:
    """Split a batch, in order, into waves holding at most one prompt per pair (or per recipient without a pair)."""
    seen: dict[tuple[str, object], int] = {}
    waves: list[list[store.ClaimedPrompt]] = []
    for claim in claims:
        prompt = claim.prompt
        key = ("pair", prompt.pair_id) if prompt.pair_id is not None else ("to", prompt.recipient_user_id or prompt.id)
        index = seen.get(key, 0)
        seen[key] = index + 1
        if index == len(waves):
            waves.append([])
        waves[index].append(claim)
    return waves


def _is_user_id(channel: str) -> bool:
    return channel[:1] in ("U", "W")


def _where(exc: BaseException) -> str:
    """``file:line`` of the innermost frame: enough to find a bug without logging the message (may hold text)."""
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return "?"
    last = frames[-1]
    return f"{os.path.basename(last.filename)}:{last.lineno}"


def _retry_after(err: SlackApiError) -> float | None:
    headers = getattr(err.response, "headers", None) or {}
    for name, value in headers.items():
        if name.lower() == "retry-after":
            raw = value[0] if isinstance(value, list | tuple) else value
            try:
                return max(0.0, float(raw))
            except (TypeError, ValueError):
                return None
    return None


def _slack_error(err: SlackApiError) -> tuple[str, int | None]:
    """A short error code: Slack's ``error`` field, or ``http_<status>`` for a non-JSON (5xx) answer."""
    response = err.response
    status = getattr(response, "status_code", None)
    code = ""
    try:
        code = str(response.get("error") or "")
    except Exception:  # noqa: BLE001 - a body without fields has no error code
        code = ""
    if not code or " " in code or (status is not None and status >= 500):
        code = f"http_{status}"
    return code[:100], status


class Dispatcher:
    """Sends due scheduled prompts exactly once, even with several dispatchers on one database.

    Args:
        services: Database sessions, the WebClient and the clock.
        owner: Lease owner name; default ``host:pid:random``. A stable owner lets a restarted process resume its
            own leases at once instead of waiting for them to expire.
        batch_size: Rows claimed per tick.
        lease: How long a claim is exclusive; a crashed owner's rows are recovered after it.
        max_attempts: Failed sends before a prompt is ``failed``.
        backoff_base: First retry delay (doubles each attempt, with jitter).
        backoff_cap: Longest retry delay.
        history_limit: Messages of channel history checked for a prompt's key before a re-send.
        metrics: Counters to update (the process-wide ``dispatch_metrics`` by default).
    """

    def __init__(
        self,
        services: Services,
        *,
        owner: str | None = None,
        batch_size: int = 100,
        lease: timedelta = timedelta(minutes=5),
        max_attempts: int = 8,
        backoff_base: timedelta = timedelta(seconds=30),
        backoff_cap: timedelta = timedelta(hours=1),
        history_limit: int = 50,
        metrics: DispatchMetrics | None = None,
    ) -> None:
        self.services = services
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.batch_size = batch_size
        self.lease = lease
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.history_limit = history_limit
        self.metrics = metrics or dispatch_metrics
        self._stopping = threading.Event()
        self._tick_lock = threading.Lock()
        self._dm_channels: dict[str, str] = {}
        self._random = random.Random()

    # ------------------------------------------------------------------ ticking

    def tick(self, now: datetime | None = None) -> DispatchReport:
        """Claim and send one batch of due prompts.

        Args:
            now: The time to dispatch at (tests and the demo pass a clock); default ``services.now()``.

        Returns:
            What was sent, failed, retried and skipped.
        """
        report = DispatchReport()
        if self._stopping.is_set():
            return report
        with self._tick_lock:
            if self._stopping.is_set():
                return report
            now = now or self.services.now()
            with self.services.sessions() as session:
                claims = store.claim_due(
                    session=session, owner=self.owner, now=now, lease=self.lease, limit=self.batch_size
                )
            report.claimed = len(claims)
            started = time.monotonic()
            begun: set[int] = set()  # rows whose send began: never released blindly (they may be in Slack already)
            try:
                for wave in _waves(claims):
                    if not self._go_on(started):
                        break
                    if not self._run_wave(wave, now, report, started, begun):
                        break
            finally:
                # An error escaping a wave (database down) leaves its rows leased: recovered after the lease, with a
                # history check. Rows whose send never began go back to pending for the next tick.
                rest = [c.prompt.id for c in claims if c.prompt.id is not None and c.prompt.id not in begun]
                if rest:
                    try:
                        with self.services.sessions() as session:
                            report.released = store.release_leases(
                                session=session, owner=self.owner, prompt_ids=rest, now=now
                            )
                    except Exception:
                        log.exception("could not release leases owner=%s count=%d", self.owner, len(rest))
            self.metrics.record_tick(report, now)
        if report.claimed:
            log.info(
                "dispatch tick owner=%s claimed=%d sent=%d retried=%d failed=%d skipped=%d recovered=%d",
                self.owner,
                report.claimed,
                report.sent,
                report.retried,
                report.failed,
                report.skipped,
                report.recovered,
            )
        return report

    def run_until_idle(self, now: datetime | None = None, *, max_ticks: int = 10_000) -> DispatchReport:
        """Tick until a tick claims nothing (the demo and tests; production uses ``start_scheduler``)."""
        total = DispatchReport()
        for _ in range(max_ticks):
            report = self.tick(now)
            total += report
            if report.claimed == 0 or self._stopping.is_set():
                break
        return total

    def safe_tick(self) -> None:
        """``tick()`` for the scheduler: an unexpected error (database down) is logged, never raised."""
        try:
            self.tick()
        except Exception:
            log.exception("dispatch tick failed owner=%s", self.owner)

    def stop(self, timeout: float = 30.0) -> None:
        """Stop: let the in-flight send finish, give back the rows not yet sent, refuse later ticks (SIGTERM)."""
        self._stopping.set()
        if not self._tick_lock.acquire(timeout=timeout):
            # A send is still hanging: leave its lease to expire (then it is recovered with a history check).
            log.warning("dispatcher stop timed out waiting for the in-flight send owner=%s", self.owner)
            return
        try:
            with self.services.sessions() as session:
                store.release_leases(session=session, owner=self.owner, now=self.services.now())
        except Exception:
            log.exception("could not release leases on stop owner=%s", self.owner)
        finally:
            self._tick_lock.release()

    @property
    def stopped(self) -> bool:
        """True once ``stop()`` was called."""
        return self._stopping.is_set()

    # ------------------------------------------------------------------ one wave

    def _go_on(self, started: float, *, in_flight: bool = False) -> bool:
        """Whether to begin the next prompt: not after a stop (unless already rendered: in flight), and not once half
        the lease has gone (the rest is released for another tick)."""
        if self._stopping.is_set() and not in_flight:
            return False
        if time.monotonic() - started > self.lease.total_seconds() / 2:
            log.warning("dispatch batch ran long; releasing the rest owner=%s", self.owner)
            return False
        return True

    def _run_wave(
        self, wave: list[store.ClaimedPrompt], now: datetime, report: DispatchReport, started: float, begun: set[int]
    ) -> bool:
        """Render, send and mark one wave; False when the batch must stop (stop, rate limit, lease running short)."""
        rendered = self._render_wave(wave, now, report, started, begun)
        sent: list[tuple[ScheduledPrompt, PromptKind, tuple[str | None, str | None], bool]] = []
        go_on = True
        try:
            for claim, kind, messages in rendered:
                if not self._go_on(started, in_flight=True):
                    go_on = False
                    break
                prompt = claim.prompt
                assert prompt.id is not None
                begun.add(prompt.id)
                try:
                    recovered = claim.recovered or prompt.attempts > 0
                    first, found_all = self._send(prompt, messages, check_history=recovered)
                except SlackApiError as err:
                    code, status = _slack_error(err)
                    if code in FATAL_ERRORS:
                        log.error("prompt failed permanently id=%s kind=%s error=%s", prompt.id, prompt.kind, code)
                        self._final(prompt, FAILED, prompt.attempts + 1, f"slack: {code}", now)
                        report.failed += 1
                        continue
                    self._retry(prompt, now, f"slack: {code}", _retry_after(err), report)
                    if status == 429 or code == "ratelimited":
                        go_on = False
                        break
                    continue
                except Exception as exc:
                    self._retry(prompt, now, f"send failed: {type(exc).__name__}", None, report)
                    continue
                sent.append((prompt, kind, first, found_all))
        finally:
            if sent:
                self._mark_sent(sent, now)
                report.sent += len(sent)
                report.recovered += sum(1 for *_, found_all in sent if found_all)
        return go_on

    def _render_wave(
        self, wave: list[store.ClaimedPrompt], now: datetime, report: DispatchReport, started: float, begun: set[int]
    ) -> list[tuple[store.ClaimedPrompt, PromptKind, list[Outgoing]]]:
        """Render a wave in one session; prompts skipped or put back (no renderer, renderer raised) are handled here.

        Returns the prompts to send with their messages, in order; shorter than the wave if a stop came first.
        """
        kinds: list[tuple[store.ClaimedPrompt, PromptKind]] = []
        for claim in wave:
            prompt = claim.prompt
            kind = prompt_kind(prompt.kind)
            if kind is None:
                assert prompt.id is not None
                begun.add(prompt.id)
                log.warning("no renderer for prompt kind id=%s kind=%s", prompt.id, prompt.kind)
                self._retry(prompt, now, f"no renderer registered for kind {prompt.kind!r}", None, report)
                continue
            kinds.append((claim, kind))
        results: list[tuple[store.ClaimedPrompt, PromptKind, Any]] = []
        try:
            with self.services.sessions() as session:
                for claim, kind in kinds:
                    if not self._go_on(started):
                        break
                    results.append((claim, kind, kind.render(self.services, session, claim.prompt, now)))
                session.commit()
        except Exception:
            # One renderer raised (or the database did): render one prompt per session, so only it is retried.
            results = []
            for claim, kind in kinds:
                if not self._go_on(started):
                    break
                rendered = self._render_alone(claim.prompt, kind, now, report)
                if rendered is _FAILED:
                    assert claim.prompt.id is not None
                    begun.add(claim.prompt.id)  # put back with backoff by _render_alone: not to be released
                else:
                    results.append((claim, kind, rendered))
        out: list[tuple[store.ClaimedPrompt, PromptKind, list[Outgoing]]] = []
        for claim, kind, rendered in results:
            messages = [rendered] if isinstance(rendered, Outgoing) else list(rendered or [])
            if not messages:
                prompt = claim.prompt
                assert prompt.id is not None
                begun.add(prompt.id)
                self._final(prompt, SKIPPED, prompt.attempts, "renderer skipped", now)
                report.skipped += 1
                continue
            out.append((claim, kind, messages))
        return out

    def _render_alone(self, prompt: ScheduledPrompt, kind: PromptKind, now: datetime, report: DispatchReport) -> Any:
        try:
            with self.services.sessions() as session:
                rendered = kind.render(self.services, session, prompt, now)
                session.commit()
                return rendered
        except Exception as exc:
            log.warning(
                "prompt render failed id=%s kind=%s error=%s at=%s",
                prompt.id,
                prompt.kind,
                type(exc).__name__,
                _where(exc),
            )
            self._retry(prompt, now, f"render failed: {type(exc).__name__} at {_where(exc)}", None, report)
            return _FAILED

    def _send(
        self, prompt: ScheduledPrompt, messages: list[Outgoing], *, check_history: bool
    ) -> tuple[tuple[str | None, str | None], bool]:
        """Post each message not already in Slack; returns the first message's (ts, channel) and whether every
        message was found already posted."""
        client = self.services.client_for(prompt.team_id)
        key = prompt.idempotency_key
        first: tuple[str | None, str | None] = (None, None)
        found_all = True
        for part, message in enumerate(messages):
            channel = self._resolve(message.channel, client=client, team_id=prompt.team_id)
            posted = self._find_posted(channel, key, part, client=client) if check_history else None
            if posted is None:
                found_all = False
                event_payload: dict[str, Any] = {"key": key}
                if part:
                    event_payload["part"] = part
                response = client.chat_postMessage(
                    channel=channel,
                    text=message.text,
                    blocks=message.blocks,
                    unfurl_links=message.unfurl,
                    unfurl_media=message.unfurl,
                    metadata={"event_type": METADATA_EVENT_TYPE, "event_payload": event_payload},
                )
                posted = (str(response.get("ts") or ""), str(response.get("channel") or channel))
            if part == 0:
                first = posted
        return first, found_all

    def _resolve(self, channel: str, *, client: WebClient, team_id: str) -> str:
        """A user id becomes the id of its DM with the app (cached), so history can be checked there."""
        if not _is_user_id(channel):
            return channel
        cached = self._dm_channels.get(f"{team_id}:{channel}")  # a user id is only unique within a workspace
        if cached:
            return cached
        response = client.conversations_open(users=channel)
        dm = str((response.get("channel") or {}).get("id") or channel)
        if len(self._dm_channels) >= _DM_CHANNELS_MAX:
            self._dm_channels.clear()
        self._dm_channels[f"{team_id}:{channel}"] = dm
        return dm

    def _find_posted(self, channel: str, key: str, part: int, *, client: WebClient) -> tuple[str, str] | None:
        response = client.conversations_history(channel=channel, limit=self.history_limit, include_all_metadata=True)
        for message in response.get("messages") or []:
            metadata = message.get("metadata") or {}
            payload = metadata.get("event_payload") or {}
            if (
                metadata.get("event_type") == METADATA_EVENT_TYPE
                and payload.get("key") == key
                and int(payload.get("part") or 0) == part
            ):
                return str(message.get("ts") or ""), channel
        return None

    # ------------------------------------------------------------------ state changes

    def _mark_sent(
        self, sent: list[tuple[ScheduledPrompt, PromptKind, tuple[str | None, str | None], bool]], now: datetime
    ) -> None:
        """Mark a wave's sent rows in one transaction: one statement for kinds without a hook, each hook in a
        savepoint after its own row's update."""
        plain = [(p.id, first[0], first[1]) for p, kind, first, _ in sent if kind.after_send is None]
        with self.services.sessions() as session:
            store.mark_sent_many(session=session, sent=plain, now=now)  # type: ignore[arg-type]
            for prompt, kind, first, _ in sent:
                if kind.after_send is None:
                    continue
                assert prompt.id is not None
                changed = store.mark_sent(
                    session=session, prompt_id=prompt.id, sent_ts=first[0], sent_channel=first[1], now=now
                )
                if not changed:
                    continue
                fresh = store.get_prompt(session=session, prompt_id=prompt.id) or prompt
                try:
                    with session.begin_nested():
                        kind.after_send(self.services, session, fresh, now)
                except Exception as exc:
                    log.error(
                        "after_send hook failed id=%s kind=%s error=%s at=%s",
                        prompt.id,
                        prompt.kind,
                        type(exc).__name__,
                        _where(exc),
                    )
            session.commit()
        for prompt, *_ in sent:
            self.metrics.record_lag(max(0.0, (now - prompt.due_at).total_seconds()))

    def _backoff(self, attempts: int, retry_after: float | None) -> timedelta:
        base = self.backoff_base.total_seconds() * (2 ** max(0, attempts - 1))
        delay = min(self.backoff_cap.total_seconds(), base) * (0.5 + self._random.random() / 2)
        if retry_after is not None:
            delay = max(delay, retry_after)
        return timedelta(seconds=delay)

    def _retry(
        self, prompt: ScheduledPrompt, now: datetime, error: str, retry_after: float | None, report: DispatchReport
    ) -> None:
        assert prompt.id is not None
        attempts = prompt.attempts + 1
        if attempts >= self.max_attempts:
            log.error(
                "prompt failed after retries id=%s kind=%s attempts=%d error=%s",
                prompt.id,
                prompt.kind,
                attempts,
                error,
            )
            self._final(prompt, FAILED, attempts, error, now)
            report.failed += 1
            return
        next_at = now + self._backoff(attempts, retry_after)
        log.warning(
            "prompt send retried id=%s kind=%s attempts=%d next_attempt_at=%s error=%s",
            prompt.id,
            prompt.kind,
            attempts,
            next_at.isoformat(),
            error,
        )
        with self.services.sessions() as session:
            store.mark_retry(
                session=session,
                prompt_id=prompt.id,
                owner=self.owner,
                attempts=attempts,
                next_attempt_at=next_at,
                error=error,
                now=now,
            )
            session.commit()
        report.retried += 1

    def _final(self, prompt: ScheduledPrompt, status: str, attempts: int, error: str, now: datetime) -> None:
        assert prompt.id is not None
        with self.services.sessions() as session:
            store.mark_final(
                session=session,
                prompt_id=prompt.id,
                owner=self.owner,
                status=status,
                attempts=attempts,
                error=error,
                now=now,
            )
            session.commit()


def start_scheduler(dispatcher: Dispatcher, *, interval_seconds: float = 15) -> BackgroundScheduler:
    """Start an APScheduler ``BackgroundScheduler`` that ticks ``dispatcher`` every ``interval_seconds``.

    One job with the stable id ``mentorbot-dispatch`` (``replace_existing``), never two at once
    (``max_instances=1``), missed runs merged (``coalesce``).

    Returns:
        The running scheduler; stop with ``shutdown(scheduler, dispatcher)``.
    """
    scheduler = BackgroundScheduler(timezone=UTC)
    scheduler.add_job(
        dispatcher.safe_tick,
        "interval",
        seconds=interval_seconds,
        id=JOB_ID,
        name="dispatch scheduled prompts",
        replace_existing=True,
        max_instances=1,
        coalesce=True,
        misfire_grace_time=max(1, int(interval_seconds * 2)),
        next_run_time=datetime.now(UTC),
    )
    scheduler.start()
    return scheduler


def shutdown(scheduler: BackgroundScheduler | None, dispatcher: Dispatcher, *, timeout: float = 30.0) -> None:
    """Graceful stop (SIGTERM): finish the in-flight send, release unsent leases, stop the scheduler."""
    dispatcher.stop(timeout=timeout)
    if scheduler is not None and scheduler.running:
        scheduler.shutdown(wait=False)
