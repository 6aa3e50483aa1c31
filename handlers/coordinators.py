"""The workspace's coordinators: /mentor coordinators add | remove | list (coordinators only, audited)."""

from __future__ import annotations

from slack_bolt import App

from bot import coordinators
from bot.services import Services
from handlers.commands import CommandContext, CommandRouter
from handlers.payload import MENTION

USAGE = (
    "Usage: `/mentor coordinators list`, `/mentor coordinators add @person` or `/mentor coordinators remove @person`."
)


def register(app: App, services: Services, router: CommandRouter) -> None:
    """Attach ``/mentor coordinators``."""

    def manage(ctx: CommandContext) -> None:
        verb, _, rest = ctx.args.strip().partition(" ")
        verb = verb.lower() or "list"
        if verb == "list":
            stored, from_env, note = coordinators.list_for(services, ctx.team_id)
            lines = [f"• <@{u}>" for u in stored] + [f"• <@{u}> (from COORDINATOR_IDS)" for u in from_env]
            text = "*Coordinators of this workspace*\n" + ("\n".join(lines) or "_nobody listed yet_")
            if note:
                text += f"\n• {note}"
            ctx.reply(text)
            return
        users = MENTION.findall(rest)
        if verb not in ("add", "remove") or len(users) != 1:
            ctx.reply(USAGE)
            return
        user_id = users[0]
        if verb == "add":
            added = coordinators.add(services, team_id=ctx.team_id, actor=ctx.user_id, user_id=user_id)
            ctx.reply(
                f":key: <@{user_id}> is now a coordinator of this workspace: they can run matching, see stats, "
                "exports and private notes."
                if added
                else f"<@{user_id}> is already a coordinator."
            )
            return
        outcome = coordinators.remove(services, team_id=ctx.team_id, actor=ctx.user_id, user_id=user_id)
        ctx.reply(
            {
                "removed": f"<@{user_id}> is no longer a coordinator of this workspace.",
                "not_stored": f"<@{user_id}> isn't a coordinator here.",
                "from_env": f"<@{user_id}> is a coordinator through COORDINATOR_IDS: remove them there and restart.",
                "last": "That's the last coordinator: add someone else first, so the program always has one.",
            }[outcome]
        )

    router.add(
        "coordinators",
        manage,
        help="list, add or remove this workspace's coordinators",
        usage="/mentor coordinators list|add|remove @person",
        coordinator=True,
    )
