"""The /mentor router: subcommand -> function, with the coordinator check in one place."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.services import Services
from bot.views.signup import help_message

log = logging.getLogger(__name__)


@dataclass
class CommandContext:
    """What a subcommand needs from the slash command request."""

    ack: Ack
    respond: Respond
    client: WebClient
    services: Services
    body: dict[str, Any]
    args: str
    bot_user_id: str = ""  # the app's own user (Bolt's context), e.g. so it is never introduced as a person

    def reply(self, text: str, blocks: list[dict[str, Any]] | None = None) -> None:
        """Acknowledge with an ephemeral answer only the person who typed the command sees."""
        if blocks:
            self.ack(text=text, blocks=blocks, response_type="ephemeral")
        else:
            self.ack(text=text, response_type="ephemeral")

    @property
    def user_id(self) -> str:
        return str(self.body.get("user_id", ""))

    @property
    def team_id(self) -> str:
        return str(self.body.get("team_id", ""))

    @property
    def channel_id(self) -> str:
        return str(self.body.get("channel_id", ""))

    @property
    def trigger_id(self) -> str:
        return str(self.body.get("trigger_id", ""))


Handler = Callable[[CommandContext], None]


@dataclass(frozen=True)
class Subcommand:
    name: str
    handler: Handler
    help: str
    usage: str
    coordinator: bool = False


NOT_A_COORDINATOR = (
    ":lock: Sorry, only the program's coordinators can do that. If you think you should be one, "
    "ask whoever runs the mentorship program."
)


class CommandRouter:
    """Subcommands registered by each handler module; `/mentor <name> args` dispatches here."""

    def __init__(self) -> None:
        self._commands: dict[str, Subcommand] = {}
        self.default: str = "join"

    def add(
        self, name: str, handler: Handler, *, help: str, usage: str | None = None, coordinator: bool = False
    ) -> None:  # noqa: A002 - "help" reads best at the call sites
        self._commands[name] = Subcommand(name, handler, help, usage or f"/mentor {name}", coordinator)

    def help_lines(self, *, coordinator: bool) -> list[tuple[str, str]]:
        return [(c.usage, c.help) for c in self._commands.values() if coordinator or not c.coordinator]

    def dispatch(self, ctx: CommandContext) -> None:
        if not ctx.user_id or not ctx.trigger_id:
            # Slack always sends both; without them no modal can open and no reply can be addressed
            log.warning("slash command without user_id or trigger_id ignored")
            ctx.ack()
            return
        # any whitespace ends the subcommand: a tab, or the non-breaking space some keyboards and pastes insert
        name, rest = (ctx.args.split(None, 1) + ["", ""])[:2]
        name = name.lower() or self.default
        command = self._commands.get(name)
        if command is None:
            ctx.reply(**help_message(self._lines(ctx), unknown=name))
            return
        if command.coordinator and not ctx.services.is_coordinator(ctx.user_id, ctx.team_id):
            log.warning("coordinator command refused user=%s command=%s", ctx.user_id, name)
            ctx.reply(NOT_A_COORDINATOR)
            return
        command.handler(
            CommandContext(
                ack=ctx.ack,
                respond=ctx.respond,
                client=ctx.client,
                services=ctx.services,
                body=ctx.body,
                args=rest.strip(),
                bot_user_id=ctx.bot_user_id,
            )
        )

    def _lines(self, ctx: CommandContext) -> list[tuple[str, str]]:
        return self.help_lines(coordinator=ctx.services.is_coordinator(ctx.user_id, ctx.team_id))


def register(app: App, services: Services, router: CommandRouter) -> None:
    """Attach /mentor and the built-in help."""

    def show_help(ctx: CommandContext) -> None:
        coordinator = services.is_coordinator(ctx.user_id, ctx.team_id)
        notice = services.coordinator_channel_problem() if coordinator else None
        ctx.reply(**help_message(router.help_lines(coordinator=coordinator), notice=notice))

    router.add("help", show_help, help="every command with one line each")

    @app.command("/mentor")
    def on_mentor_command(
        ack: Ack, respond: Respond, client: WebClient, body: dict[str, Any], context: BoltContext
    ) -> None:
        router.dispatch(
            CommandContext(
                ack=ack,
                respond=respond,
                client=client,
                services=services,
                body=body,
                args=str(body.get("text") or ""),
                bot_user_id=str(context.bot_user_id or ""),
            )
        )
