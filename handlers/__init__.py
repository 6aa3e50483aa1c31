"""Slack glue: listeners that parse a payload, call bot/, ack, and render."""

from __future__ import annotations

from slack_bolt import App

from bot.services import Services
from handlers import (
    cohorts,
    commands,
    coordinator,
    coordinators,
    home,
    install,
    knowledge,
    learning,
    matching,
    meet,
    networking,
    pair_control,
    pairs,
    privacy,
    signup,
)


def register_handlers(app: App, services: Services) -> None:
    """The one place listeners are attached."""
    router = commands.CommandRouter()
    signup.register(app, services, router)
    home.register(app, services, router)
    matching.register(app, services, router)
    coordinator.register(app, services, router)
    coordinators.register(app, services, router)
    cohorts.register(app, services, router)
    pairs.register(app, services, router)
    meet.register(app, services, router)
    pair_control.register(app, services, router)
    knowledge.register(app, services, router)
    networking.register(app, services, router)
    install.register(app, services, router)
    privacy.register(app, services, router)
    learning.register(app, services, router)
    commands.register(app, services, router)
