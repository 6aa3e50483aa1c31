"""Warm introductions, "people to meet" opt-outs, and the alumni pool: /mentor intro | suggestions | alumni."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot import ids, networking
from bot.services import Services
from bot.views.knowledge import intro_answered_message, intro_withdrawn_message
from handlers.commands import CommandContext, CommandRouter
from handlers.home import publish_home
from handlers.knowledge import _int, _team_id, _user_id
from storage.vocab import IntroSource

log = logging.getLogger(__name__)


def register(app: App, services: Services, router: CommandRouter) -> None:
    """Attach the networking listeners and subcommands."""
    networking.register_prompt_kinds()

    def intro(ctx: CommandContext) -> None:
        target, why = networking.parse_intro_args(ctx.args)
        if target is None:
            ctx.reply("Usage: `/mentor intro @person [why you'd like to meet]`.")
            return
        ctx.ack()  # asking the person is a Slack call: answer after the ack
        with services.sessions() as session:
            outcome = networking.request_intro(
                session=session,
                client=ctx.client,
                team_id=ctx.team_id,
                requester_id=ctx.user_id,
                target_id=target,
                reason=why,
                channel_id=ctx.channel_id,
                now=services.now(),
                bot_user_id=ctx.bot_user_id,
            )
        ctx.respond(text=outcome.message, response_type="ephemeral")

    def suggestions(ctx: CommandContext) -> None:
        choice = ctx.args.strip().lower()
        if choice not in ("on", "off"):
            ctx.reply("Usage: `/mentor suggestions off` (don't suggest me to mentees) or `/mentor suggestions on`.")
            return
        with services.sessions() as session:
            networking.set_suggest_me(
                session=session, team_id=ctx.team_id, user_id=ctx.user_id, on=choice == "on", now=services.now()
            )
        ctx.reply(
            "You may be suggested to mentees as someone to meet (always asked first)."
            if choice == "on"
            else "Done: you won't be suggested to mentees as someone to meet."
        )

    def alumni(ctx: CommandContext) -> None:
        choice = ctx.args.strip().lower()
        if choice not in ("on", "off"):
            ctx.reply("Usage: `/mentor alumni on` (join the alumni network) or `/mentor alumni off`.")
            return
        now = services.now()
        with services.sessions() as session:
            if choice == "off":
                networking.leave_alumni(session=session, team_id=ctx.team_id, user_id=ctx.user_id, now=now)
                ctx.reply("You've left the alumni network.")
                return
            if not networking.can_join_alumni(session=session, team_id=ctx.team_id, user_id=ctx.user_id):
                ctx.reply("The alumni network is for people whose mentoring pair has wrapped up.")
                return
            networking.join_alumni(session=session, team_id=ctx.team_id, user_id=ctx.user_id, now=now)
        ctx.reply(":mortar_board: Welcome to the alumni network! New mentees may be suggested to meet you.")

    router.add("intro", intro, help="ask for a warm introduction to someone", usage="/mentor intro @person [why]")
    router.add(
        "suggestions",
        suggestions,
        help="whether you're suggested to mentees as someone to meet",
        usage="/mentor suggestions off|on",
    )
    router.add("alumni", alumni, help="join or leave the alumni network", usage="/mentor alumni on|off")

    def tell(client: WebClient, body: dict[str, Any], respond: Respond, text: str) -> None:
        """Answer a click: ephemeral under a message, a DM from App Home."""
        if (body.get("container") or {}).get("type") == "message" and body.get("response_url"):
            respond(text=text, response_type="ephemeral", replace_original=False)
        else:
            client.chat_postMessage(channel=_user_id(body), text=text)

    @app.action(ids.INTRO_ASK)
    def on_ask_for_intro_clicked(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        ack()
        team_id, user_id = _team_id(body), _user_id(body)
        target = networking.parse_intro_args(str(action.get("value") or ""))[0]
        if target is None:
            return
        now = services.now()
        with services.sessions() as session:
            suggested = {
                s.user_id: s
                for s in networking.people_to_meet(session=session, team_id=team_id, user_id=user_id, now=now)
            }
            reason = f"Suggested by the program: {suggested[target].reason}" if target in suggested else ""
            outcome = networking.request_intro(
                session=session,
                client=client,
                team_id=team_id,
                requester_id=user_id,
                target_id=target,
                reason=reason,
                source=IntroSource.SUGGESTION,
                now=now,
            )
        tell(client, body, respond, outcome.message)

    @app.action(ids.INTRO_ACCEPT)
    @app.action(ids.INTRO_DECLINE)
    def on_intro_answered(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        ack()
        team_id, user_id = _team_id(body), _user_id(body)
        intro_id = _int(action.get("value"))
        if intro_id is None:
            return
        accepted = action.get("action_id") == ids.INTRO_ACCEPT
        answer = networking.accept_intro if accepted else networking.decline_intro
        with services.sessions() as session:
            outcome = answer(
                session=session, client=client, team_id=team_id, intro_id=intro_id, user_id=user_id, now=services.now()
            )
        container = body.get("container") or {}
        if outcome.ok and container.get("channel_id") and container.get("message_ts"):
            client.chat_update(
                channel=container["channel_id"], ts=container["message_ts"], **intro_answered_message(accepted=accepted)
            )
        elif not outcome.ok:
            if outcome.message == networking.WITHDRAWN_TEXT and container.get("message_ts"):
                client.chat_update(
                    channel=container["channel_id"], ts=container["message_ts"], **intro_withdrawn_message()
                )
            tell(client, body, respond, outcome.message)

    @app.action(ids.SUGGESTIONS_OFF)
    @app.action(ids.SUGGESTIONS_ON)
    def on_suggestions_toggled(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        team_id, user_id = _team_id(body), _user_id(body)
        with services.sessions() as session:
            networking.set_suggest_me(
                session=session,
                team_id=team_id,
                user_id=user_id,
                on=action.get("action_id") == ids.SUGGESTIONS_ON,
                now=services.now(),
            )
        publish_home(services, client, team_id=team_id, user_id=user_id)

    @app.action(ids.ALUMNI_JOIN)
    @app.action(ids.ALUMNI_JOIN_MENTOR)
    def on_alumni_join_clicked(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        ack()
        team_id, user_id = _team_id(body), _user_id(body)
        as_mentor = action.get("action_id") == ids.ALUMNI_JOIN_MENTOR
        with services.sessions() as session:
            if not networking.can_join_alumni(session=session, team_id=team_id, user_id=user_id):
                tell(client, body, respond, "The alumni network is for people whose mentoring pair has wrapped up.")
                return
            joined = networking.join_alumni(
                session=session, team_id=team_id, user_id=user_id, now=services.now(), as_mentor=as_mentor
            )
        if not joined:
            tell(client, body, respond, "You're no longer in the program, so I can't add you to the alumni network.")
            return
        text = ":mortar_board: Welcome to the alumni network!"
        if as_mentor:
            text += " You're also in the mentor pool for the next cohort, with your current profile."
        tell(client, body, respond, text)
