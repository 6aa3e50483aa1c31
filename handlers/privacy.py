"""Privacy self-service: /mentor my-data."""

from __future__ import annotations

import logging

from slack_bolt import App
from slack_sdk.errors import SlackApiError

from bot import privacy
from bot.services import Services
from handlers.commands import CommandContext, CommandRouter

log = logging.getLogger(__name__)


def register(app: App, services: Services, router: CommandRouter) -> None:
    """Attach ``/mentor my-data``."""

    def my_data(ctx: CommandContext) -> None:
        ctx.reply(":file_folder: Gathering everything mentorbot stores about you: it arrives as a file in our DM.")
        with services.sessions() as session:  # after the ack: the export may take a moment
            document = privacy.export_person(
                session=session, team_id=ctx.team_id, user_id=ctx.user_id, now=services.now()
            )
        try:
            privacy.send_export(ctx.client, user_id=ctx.user_id, document=document)
        except SlackApiError as exc:
            log.warning("my-data upload failed team=%s error=%s", ctx.team_id, exc.response.get("error"))
            ctx.respond(text="Sorry, I couldn't send your data file just now. Please try `/mentor my-data` again.")
            return
        log.info("my-data sent team=%s tables=%d", ctx.team_id, len(document["tables"]))

    router.add("my-data", my_data, help="get everything mentorbot stores about you, as a file in a DM")
