"""manifest.yml validates against Slack's manifest schema and matches what the app listens to."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "tests" / "fixtures" / "slack_manifest.schema.json"  # Slack's app-manifest JSON schema


@pytest.fixture(scope="module")
def manifest() -> dict:
    return yaml.safe_load((ROOT / "manifest.yml").read_text())


def test_manifest_validates_against_slack_schema(manifest: dict) -> None:
    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft7Validator(schema).validate(manifest)


def test_manifest_declares_what_the_app_needs(manifest: dict) -> None:
    features = manifest["features"]
    assert features["app_home"]["home_tab_enabled"] is True
    command = features["slash_commands"][0]
    assert command["command"] == "/mentor" and command["usage_hint"]
    settings = manifest["settings"]
    assert settings["interactivity"]["is_enabled"] is True
    assert settings["socket_mode_enabled"] is True
    assert "app_home_opened" in settings["event_subscriptions"]["bot_events"]
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert {"commands", "chat:write", "users:read", "im:write", "mpim:write", "files:write"} <= scopes


def test_manifest_declares_the_options_load_url_for_type_ahead_selects(manifest: dict) -> None:
    """Slack asks the options load URL for an external select's options; without it the select stays empty."""
    interactivity = manifest["settings"]["interactivity"]
    assert interactivity["message_menu_options_url"] == interactivity["request_url"]
    assert interactivity["message_menu_options_url"].endswith("/slack/events")  # where Bolt serves block_suggestion
