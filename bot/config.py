"""Settings read once from the environment (and ``.env`` via python-dotenv), validated up front.

A missing or malformed variable raises :class:`ConfigError` whose message is a single line naming the
variable and saying how to fix it; the CLI prints it and exits with code 2.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from dotenv import dotenv_values

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_DATABASE_URL = "sqlite:///data/mentorbot.db"
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


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

    @property
    def socket_mode(self) -> bool:
        return bool(self.app_token)

    def __repr__(self) -> str:  # never print secrets, even by accident
        return (
            f"Settings(socket_mode={self.socket_mode}, slack_api_url={self.slack_api_url!r}, "
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
    if require_slack:
        if bot_token is None:
            raise ConfigError(
                "SLACK_BOT_TOKEN is not set: copy the Bot User OAuth Token (xoxb-...) from your Slack app's "
                "'OAuth & Permissions' page into .env (see .env.example)"
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
    )


class RedactingFilter(logging.Filter):
    """Masks Slack tokens and signing secrets in every log record, whatever logged them."""

    _PATTERN = re.compile(r"xox[abposr]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+")

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = self._PATTERN.sub("xox*-***", message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def configure_logging(level: str = "INFO") -> None:
    """key=value logging on stderr with token redaction on every handler."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s level=%(levelname)s logger=%(name)s %(message)s"))
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("alembic", "apscheduler.executors.default", "urllib3"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
