"""Configuration: every variable validated, one clear line on failure, exit code 2 from the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import DEFAULT_DATABASE_URL, ConfigError, load_settings

GOOD = {"SLACK_BOT_TOKEN": "xoxb-1-2-abc", "SLACK_SIGNING_SECRET": "s3cret"}


def test_defaults() -> None:
    settings = load_settings(GOOD)
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert settings.port == 3000
    assert settings.slack_api_url == "https://slack.com/api/"
    assert not settings.socket_mode
    assert "xoxb" not in repr(settings) and "s3cret" not in repr(settings)


def test_socket_mode_needs_no_signing_secret() -> None:
    settings = load_settings(
        {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1-A-1-abc", "PSEUDONYM_KEY": "k" * 32}
    )
    assert settings.socket_mode


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({}, "SLACK_BOT_TOKEN"),
        ({"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET"),
        ({**GOOD, "SLACK_BOT_TOKEN": "xoxp-user-token"}, "SLACK_BOT_TOKEN"),
        ({**GOOD, "SLACK_APP_TOKEN": "bogus"}, "SLACK_APP_TOKEN"),
        ({**GOOD, "PORT": "http"}, "PORT"),
        ({**GOOD, "PORT": "70000"}, "PORT"),
        ({**GOOD, "DATABASE_URL": "mysql://x"}, "DATABASE_URL"),
        ({**GOOD, "SLACK_API_URL": "slack.com"}, "SLACK_API_URL"),
        ({**GOOD, "COORDINATOR_IDS": "U012ABC, alice"}, "COORDINATOR_IDS"),
        ({**GOOD, "COORDINATOR_CHANNEL": "#coordinators"}, "COORDINATOR_CHANNEL"),
        ({**GOOD, "LOG_LEVEL": "LOUD"}, "LOG_LEVEL"),
    ],
)
def test_bad_variable_is_named_in_one_line(env: dict[str, str], variable: str) -> None:
    with pytest.raises(ConfigError) as error:
        load_settings(env)
    message = str(error.value)
    assert message.startswith(variable)
    assert "\n" not in message


def test_coordinator_ids_parsed() -> None:
    settings = load_settings({**GOOD, "COORDINATOR_IDS": " U012ABC ,W0XYZ12,"})
    assert settings.coordinator_ids == {"U012ABC", "W0XYZ12"}


def _run_cli(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL", "COORDINATOR"))}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=cwd,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_run_without_slack_variables_exits_2_with_one_line(tmp_path: Path) -> None:
    result = _run_cli(["run"], tmp_path)
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "SLACK_BOT_TOKEN" in lines[0]
    assert "Traceback" not in result.stderr


def test_run_reads_dotenv_file(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("SLACK_BOT_TOKEN=xoxb-from-dotenv\nPORT=not-a-port\n")
    result = _run_cli(["run"], tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith("mentorbot: PORT is malformed")


def test_db_upgrade_creates_sqlite_file(tmp_path: Path) -> None:
    result = _run_cli(["db", "upgrade"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "data" / "mentorbot.db").is_file()


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({**GOOD, "PSEUDONYM_KEY": "short"}, "PSEUDONYM_KEY"),
        ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1-A-1-abc"}, "PSEUDONYM_KEY"),
        ({**GOOD, "UNINSTALL_RETENTION_DAYS": "a month"}, "UNINSTALL_RETENTION_DAYS"),
        ({**GOOD, "UNINSTALL_RETENTION_DAYS": "-1"}, "UNINSTALL_RETENTION_DAYS"),
        ({**GOOD, "METRICS_TOKEN": "tiny"}, "METRICS_TOKEN"),
        ({**GOOD, "METRICS_PORT": "nine"}, "METRICS_PORT"),
        ({**GOOD, "METRICS_PORT": "3000"}, "METRICS_PORT"),
    ],
)
def test_privacy_variables_are_validated_in_one_line(env: dict[str, str], variable: str) -> None:
    with pytest.raises(ConfigError) as error:
        load_settings(env)
    assert str(error.value).startswith(variable) and "\n" not in str(error.value)


def test_the_pseudonym_key_is_dedicated_and_survives_token_key_rotation() -> None:
    key_a = "ZmDfcTF7_60GrrY167zsiPd67pEvs0aGOv2oasOM1Pg="
    key_b = "q8Z0fCq1vYl3bJm2n9y4Xk7tA6wR5sE0uI3oP2lK1jH="
    before = load_settings({**GOOD, "TOKEN_ENCRYPTION_KEY": key_a})
    rotated = load_settings({**GOOD, "TOKEN_ENCRYPTION_KEY": f"{key_b},{key_a}"})
    assert before.pseudonym_key == rotated.pseudonym_key != ""  # rotation of the token key changes nothing
    assert before.pseudonym_key_derived
    explicit = load_settings({**GOOD, "PSEUDONYM_KEY": "p" * 40})
    assert explicit.pseudonym_key == "p" * 40 and not explicit.pseudonym_key_derived
    assert "p" * 40 not in repr(explicit)
    socket = load_settings(
        {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1-A-1-abc", "PSEUDONYM_KEY": "k" * 32}
    )
    assert socket.pseudonym_key == "k" * 32
    defaults = load_settings(GOOD)
    assert defaults.uninstall_retention_days == 30 and defaults.metrics_token is None and defaults.metrics_port is None
