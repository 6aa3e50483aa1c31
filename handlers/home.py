"""The App Home tab."""

from __future__ import annotations

from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot import networking, people
from bot.lifecycle import overview
from bot.services import Services
from bot.views.home import build_home
from handlers.commands import CommandRouter


def publish_home(services: Services, client: WebClient, *, team_id: str, user_id: str) -> None:
    """Render and publish a person's App Home (every read in one session)."""
    if not user_id:
        return  # an event without a user has no Home to publish to
    with services.sessions() as session:
        coordinator = services.is_coordinator(user_id, team_id, session)
        saved = people.load_profile(session=session, team_id=team_id, user_id=user_id)
        pairs = overview.home_blocks(
            session=session,
            team_id=team_id,
            user_id=user_id,
            tz=saved[1].timezone if saved else "UTC",
            now=services.now(),
        )
        pairs = pairs + networking.home_blocks(
            session=session,
            team_id=team_id,
            user_id=user_id,
            now=services.now(),
            taxonomy=services.taxonomy,
            saved=saved,
        )
        extra: list[dict[str, Any]] = []
        if coordinator:  # their at-a-glance section, at-risk pairs with actions, pending match preview
            from bot.coordination import coordinator_home_blocks

            extra = coordinator_home_blocks(session=session, team_id=team_id, now=services.now())
    view = build_home(profile=saved[1] if saved else None, extra_blocks=pairs or None, coordinator=coordinator)
    if coordinator:
        view["blocks"] = (view["blocks"] + extra)[:100]
    client.views_publish(user_id=user_id, view=view)


def register(app: App, services: Services, router: CommandRouter) -> None:
    """Attach the App Home listener."""

    @app.event("app_home_opened")
    def on_app_home_opened(event: dict[str, Any], body: dict[str, Any], client: WebClient) -> None:
        if event.get("tab", "home") != "home":
            return
        team_id = str(body.get("team_id") or "")
        publish_home(services, client, team_id=team_id, user_id=str(event.get("user", "")))
