"""Settings read once from the environment (and ``.env`` via python-dotenv), validated up front.

A missing or malformed variable raises :class:`ConfigError` whose message is a single line naming the
variable and saying how to fix it; the CLI prints it and exits with code 2.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from dotenv import dotenv_values

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_DATABASE_URL = "sqlite:///data/mentorbot.db"
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
DEFAULT_RETENTION_DAYS = 30
MIN_PSEUDONYM_KEY = 32
# Domain separation for the pseudonym key derived from the signing secret (when PSEUDONYM_KEY is unset).
_DERIVED_KEY_LABEL = b"mentorbot/pseudonym-key/v1"


class ConfigError(Exception):
    """A configuration problem, described in one line that names the variable."""


@dataclass(frozen=True)
class Settings:
    """The validated configuration of one mentorbot process."""

    bot_token: str | None = None
    app_token: str | None = None
    signing_secret: str | None = None
    slack_api_url: str = DEFAULT_SLACK_API_URL
    database_url: str = DEFAULT_DATABASE_URL
    port: int = 3000
    coordinator_ids: frozenset[str] = field(default_factory=frozenset)
    coordinator_channel: str | None = None
    log_level: str = "INFO"
    client_id: str | None = None
    client_secret: str | None = None
    token_encryption_key: str | None = None
    # keys pseudonyms and confidential lists; see ``pseudonym_key``
    pseudonym_key_value: str | None = field(default=None, repr=False)
    uninstall_retention_days: int = DEFAULT_RETENTION_DAYS
    metrics_token: str | None = field(default=None, repr=False)
    metrics_port: int | None = None

    @property
    def socket_mode(self) -> bool:
        return bool(self.app_token)

    @property
    def multi_workspace(self) -> bool:
        """OAuth distribution: workspaces install the app; each one's bot token lives in the database."""
        return bool(self.client_id)

    @property
    def pseudonym_key(self) -> str:
        """Keys the pseudonyms of departed people and the confidential lists (never stored, never logged).

        ``PSEUDONYM_KEY`` when set; otherwise derived from ``SLACK_SIGNING_SECRET`` (stable for the life of the
        Slack app, and independent of ``TOKEN_ENCRYPTION_KEY``, whose rotation must not change pseudonyms).
        Empty only for commands that never pseudonymise (``db upgrade``, offline ``match``).
        """
        if self.pseudonym_key_value:
            return self.pseudonym_key_value
        if self.signing_secret:
            return hmac.new(self.signing_secret.encode("utf-8"), _DERIVED_KEY_LABEL, hashlib.sha256).hexdigest()
        return ""

    @property
    def pseudonym_key_derived(self) -> bool:
        """True when ``PSEUDONYM_KEY`` is not set and the key comes from the signing secret."""
        return not self.pseudonym_key_value

    def __repr__(self) -> str:  # never print secrets, even by accident
        return (
            f"Settings(socket_mode={self.socket_mode}, multi_workspace={self.multi_workspace}, "
            f"slack_api_url={self.slack_api_url!r}, "
            f"database_url={_redact_url(self.database_url)!r}, port={self.port}, "
            f"coordinators={len(self.coordinator_ids)}, log_level={self.log_level!r})"
        )


def _redact_url(url: str) -> str:
    return re.sub(r"//([^:/@]+):[^@]+@", r"//\1:***@", url)


def load_env(env_file: str | Path | None = ".env", environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """Merge ``.env`` (if present) under the real environment; the environment wins."""
    merged: dict[str, str] = {}
    if env_file and Path(env_file).is_file():
        merged.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    merged.update(os.environ if environ is None else environ)
    return merged


def _get(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name)
    if value is None:
        return None
    value = value.strip()
    return value or None


def load_settings(env: Mapping[str, str], *, require_slack: bool = True) -> Settings:
    """Validate the variables mentorbot reads.

    Args:
        env: the variables (see :func:`load_env`).
        require_slack: when true (``mentorbot run``), Slack credentials must be present.

    Raises:
        ConfigError: one line naming the first bad variable and how to fix it.
    """
    bot_token = _get(env, "SLACK_BOT_TOKEN")
    app_token = _get(env, "SLACK_APP_TOKEN")
    signing_secret = _get(env, "SLACK_SIGNING_SECRET")
    client_id, client_secret, encryption_key = _oauth_settings(env, bot_token=bot_token, app_token=app_token)
    if require_slack:
        if bot_token is None and client_id is None:
            raise ConfigError(
                "SLACK_BOT_TOKEN is not set: copy the Bot User OAuth Token (xoxb-...) from your Slack app's "
                "'OAuth & Permissions' page into .env, or set SLACK_CLIENT_ID and SLACK_CLIENT_SECRET to let "
                "workspaces install the app (see .env.example)"
            )
        if app_token is None and signing_secret is None:
            raise ConfigError(
                "SLACK_SIGNING_SECRET is not set: HTTP mode needs the Signing Secret from your Slack app's "
                "'Basic Information' page (or set SLACK_APP_TOKEN for Socket Mode)"
            )
    if bot_token is not None and not bot_token.startswith("xoxb-"):
        raise ConfigError("SLACK_BOT_TOKEN is malformed: it must be a bot token starting with 'xoxb-'")
    if app_token is not None and not app_token.startswith("xapp-"):
        raise ConfigError("SLACK_APP_TOKEN is malformed: it must be an app-level token starting with 'xapp-'")

    api_url = _get(env, "SLACK_API_URL") or DEFAULT_SLACK_API_URL
    if not re.match(r"^https?://[^/\s]+", api_url):
        raise ConfigError(f"SLACK_API_URL is malformed: expected an http(s) URL such as {DEFAULT_SLACK_API_URL}")
    if not api_url.endswith("/"):
        api_url += "/"

    database_url = _get(env, "DATABASE_URL") or DEFAULT_DATABASE_URL
    if not re.match(r"^(sqlite|postgresql)(\+\w+)?://", database_url):
        raise ConfigError(
            "DATABASE_URL is malformed: use sqlite:///path/to/file.db or postgresql://user@host:5432/dbname"
        )

    port_text = _get(env, "PORT") or "3000"
    if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
        raise ConfigError(f"PORT is malformed: {port_text!r} is not a TCP port number between 1 and 65535")

    coordinators: set[str] = set()
    for item in (_get(env, "COORDINATOR_IDS") or "").split(","):
        item = item.strip()
        if not item:
            continue
        if not _USER_ID.match(item):
            raise ConfigError(
                f"COORDINATOR_IDS is malformed: {item!r} is not a Slack user ID (like U012ABCDEF); "
                "separate several with commas"
            )
        coordinators.add(item)

    channel = _get(env, "COORDINATOR_CHANNEL")
    if channel is not None and not re.match(r"^[CG][A-Z0-9]{2,}$", channel):
        raise ConfigError(f"COORDINATOR_CHANNEL is malformed: {channel!r} is not a Slack channel ID (like C012ABCDEF)")

    level = (_get(env, "LOG_LEVEL") or "INFO").upper()
    if level not in _LOG_LEVELS:
        raise ConfigError(f"LOG_LEVEL is malformed: use one of {', '.join(_LOG_LEVELS)}")

    pseudonym_key = _get(env, "PSEUDONYM_KEY")
    if pseudonym_key is not None and len(pseudonym_key) < MIN_PSEUDONYM_KEY:
        raise ConfigError(
            f"PSEUDONYM_KEY is too short: use at least {MIN_PSEUDONYM_KEY} random characters, e.g. "
            "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`, and never change it"
        )
    if require_slack and pseudonym_key is None and signing_secret is None:
        raise ConfigError(
            "PSEUDONYM_KEY is not set: Socket Mode has no signing secret to derive it from; set it to at least "
            f"{MIN_PSEUDONYM_KEY} random characters (`python -c 'import secrets; print(secrets.token_urlsafe(32))'`)"
        )

    retention_text = _get(env, "UNINSTALL_RETENTION_DAYS") or str(DEFAULT_RETENTION_DAYS)
    if not retention_text.isdigit() or not 0 <= int(retention_text) <= 3650:
        raise ConfigError(
            f"UNINSTALL_RETENTION_DAYS is malformed: {retention_text!r} is not a number of days between 0 and 3650"
        )

    metrics_token = _get(env, "METRICS_TOKEN")
    if metrics_token is not None and (len(metrics_token) < 16 or not re.match(r"^[\x21-\x7e]+$", metrics_token)):
        raise ConfigError("METRICS_TOKEN is malformed: use at least 16 printable characters without spaces")
    metrics_port_text = _get(env, "METRICS_PORT")
    metrics_port: int | None = None
    if metrics_port_text is not None:
        if not metrics_port_text.isdigit() or not 1 <= int(metrics_port_text) <= 65535:
            raise ConfigError(f"METRICS_PORT is malformed: {metrics_port_text!r} is not a TCP port number")
        metrics_port = int(metrics_port_text)
        if metrics_port == int(port_text):
            raise ConfigError("METRICS_PORT is the same as PORT: choose another port for /metrics")

    return Settings(
        bot_token=bot_token,
        app_token=app_token,
        signing_secret=signing_secret,
        slack_api_url=api_url,
        database_url=database_url,
        port=int(port_text),
        coordinator_ids=frozenset(coordinators),
        coordinator_channel=channel,
        log_level=level,
        client_id=client_id,
        client_secret=client_secret,
        token_encryption_key=encryption_key,
        pseudonym_key_value=pseudonym_key,
        uninstall_retention_days=int(retention_text),
        metrics_token=metrics_token,
        metrics_port=metrics_port,
    )


def _oauth_settings(
    env: Mapping[str, str], *, bot_token: str | None, app_token: str | None
) -> tuple[str | None, str | None, str | None]:
    """SLACK_CLIENT_ID, SLACK_CLIENT_SECRET and TOKEN_ENCRYPTION_KEY: all three, or none (single workspace)."""
    client_id = _get(env, "SLACK_CLIENT_ID")
    client_secret = _get(env, "SLACK_CLIENT_SECRET")
    key = _get(env, "TOKEN_ENCRYPTION_KEY")
    if client_id is None and client_secret is None:
        if key is not None:
            _check_fernet_keys(key)
        return None, None, key
    if client_id is None or client_secret is None:
        missing = "SLACK_CLIENT_ID" if client_id is None else "SLACK_CLIENT_SECRET"
        raise ConfigError(
            f"{missing} is not set: installing into several workspaces needs both SLACK_CLIENT_ID and "
            "SLACK_CLIENT_SECRET from your Slack app's 'Basic Information' page"
        )
    if not re.match(r"^[0-9]+\.[0-9]+$", client_id):
        raise ConfigError("SLACK_CLIENT_ID is malformed: copy the Client ID (digits.digits) from 'Basic Information'")
    if bot_token is not None:
        raise ConfigError(
            "SLACK_BOT_TOKEN is set together with SLACK_CLIENT_ID: choose one mode, either one workspace "
            "(SLACK_BOT_TOKEN) or installs through OAuth (SLACK_CLIENT_ID + SLACK_CLIENT_SECRET)"
        )
    if app_token is not None:
        raise ConfigError(
            "SLACK_APP_TOKEN is set together with SLACK_CLIENT_ID: OAuth installs need HTTP mode "
            "(GET /slack/install), so leave SLACK_APP_TOKEN empty"
        )
    if key is None:
        raise ConfigError(
            "TOKEN_ENCRYPTION_KEY is not set: installs store bot tokens encrypted; generate a key with "
            "`python -c 'import base64,os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())'`"
        )
    _check_fernet_keys(key)
    return client_id, client_secret, key


def _check_fernet_keys(value: str) -> None:
    """A Fernet key (or several, comma-separated, newest first, to rotate): 32 bytes in url-safe base64."""
    for item in value.split(","):
        try:
            ok = len(base64.urlsafe_b64decode(item.strip().encode("ascii"))) == 32
        except (ValueError, UnicodeEncodeError):
            ok = False
        if not ok:
            raise ConfigError(
                "TOKEN_ENCRYPTION_KEY is malformed: it must be a Fernet key (32 random bytes in url-safe base64, "
                "44 characters); separate several with commas, newest first"
            )


class RedactingFilter(logging.Filter):
    """Masks Slack tokens and signing secrets in every log record, whatever logged them.

    Args:
        secrets: Exact values to mask as well (the signing secret, the bot token).
    """

    _PATTERN = re.compile(r"xox[abposre]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+")

    def __init__(self, secrets: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.secrets = tuple(s for s in secrets if s and len(s) >= 8)

    def _redact(self, text: str) -> str:
        text = self._PATTERN.sub("xox*-***", text)
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = self._redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self._redact(record.exc_text)
        return True


LOG_FORMATS = ("json", "text")


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is at the time of each record (it may be replaced after setup),
    unless a stream is set explicitly with ``setStream``."""

    def __init__(self) -> None:
        super().__init__()
        self._pinned = None

    @property  # type: ignore[override]
    def stream(self):  # type: ignore[no-untyped-def]
        return self._pinned or sys.stderr

    @stream.setter
    def stream(self, value) -> None:  # type: ignore[no-untyped-def]
        self._pinned = value


def configure_logging(level: str = "INFO", fmt: str | None = None, *, secrets: tuple[str, ...] = ()) -> None:
    """Logging on stderr: one JSON object per line (``json``) or ``key=value`` text, with the request id and
    token redaction on every record.

    Args:
        level: The root level.
        fmt: ``json`` or ``text``; default ``LOG_FORMAT`` from the environment, else ``json``.
        secrets: Exact values never to print (signing secret, tokens), on top of the token patterns.

    Raises:
        ConfigError: ``fmt`` (or ``LOG_FORMAT``) is neither ``json`` nor ``text``.
    """
    from bot.observability import JsonFormatter, RequestIdFilter, TextFormatter

    chosen = (fmt or os.environ.get("LOG_FORMAT") or "json").strip().lower()
    if chosen not in LOG_FORMATS:
        raise ConfigError(f"LOG_FORMAT is malformed: use one of {', '.join(LOG_FORMATS)}")
    handler = _StderrHandler()
    handler.setFormatter(JsonFormatter() if chosen == "json" else TextFormatter())
    handler.addFilter(RequestIdFilter())
    handler.addFilter(RedactingFilter(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # slack_sdk and Bolt log whole request and response bodies at DEBUG (message text, modal values: survey
    # answers included), so they never go below WARNING, whatever LOG_LEVEL says. The WebClient's own logger gets
    # its level set too: slack_sdk decides whether to format those bodies from that logger's level alone (not the
    # effective one), so left unset it builds both bodies as strings on every Web API call, then drops them.
    for noisy in (
        "alembic",
        "apscheduler.executors.default",
        "urllib3",
        "slack_sdk",
        "slack_sdk.web.base_client",
        "slack_sdk.web.slack_response",
        "slack_bolt",
    ):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
