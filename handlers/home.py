"""The App Home tab."""

from __future__ import annotations

from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot import people
from bot.services import Services
from bot.views.home import build_home
from handlers.commands import CommandRouter


def publish_home(services: Services, client: WebClient, *, team_id: str, user_id: str) -> None:
    """Render and publish a person's App Home."""
    with services.sessions() as session:
        saved = people.load_profile(session=session, team_id=team_id, user_id=user_id)
    view = build_home(profile=saved[1] if saved else None, coordinator=services.is_coordinator(user_id))
    client.views_publish(user_id=user_id, view=view)


def register(app: App, services: Services, router: CommandRouter) -> None:
    """Attach the App Home listener."""

    @app.event("app_home_opened")
    def on_app_home_opened(event: dict[str, Any], body: dict[str, Any], client: WebClient) -> None:
        if event.get("tab", "home") != "home":
            return
        team_id = str(body.get("team_id") or "")
        publish_home(services, client, team_id=team_id, user_id=str(event.get("user", "")))
