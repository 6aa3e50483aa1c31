"""The resource library and feedback on work: /mentor share | resources | feedback-request, and their buttons."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from sqlmodel import Session

from bot import ids, knowledge, people
from bot.services import Services
from bot.views.blocks import escape
from bot.views.knowledge import (
    build_share_modal,
    feedback_answered_message,
    feedback_reply_message,
    feedback_reply_modal,
    feedback_request_message,
    resource_list_message,
    resource_shared_message,
    share_outcome_text,
)
from handlers.commands import CommandContext, CommandRouter
from handlers.payload import team_id as _team_id
from handlers.payload import user_id as _user_id
from handlers.submission import Invalid, store_then_ack
from storage import knowledge as store
from storage.models import FeedbackRequest, Pair
from storage.vocab import FeedbackStatus

log = logging.getLogger(__name__)

NOT_IN_PROGRAM = "Sharing is for people in the mentorship program: `/mentor join` first."


def _int(value: Any) -> int | None:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


def register(app: App, services: Services, router: CommandRouter) -> None:
    """Attach the library and feedback listeners and subcommands."""

    def can_share(team_id: str, user_id: str) -> bool:
        if services.is_coordinator(user_id, team_id):
            return True
        with services.sessions() as session:
            return people.load_profile(session=session, team_id=team_id, user_id=user_id) is not None

    def open_share_modal(
        client: WebClient, *, team_id: str, user_id: str, trigger_id: str, pair_id: int | None, url: str = ""
    ) -> None:
        goals: list[str] = []
        with services.sessions() as session:
            pair = store.get_pair(session=session, team_id=team_id, pair_id=pair_id) if pair_id else None
            if pair is not None and user_id in (pair.mentee_user_id, pair.mentor_user_id):
                goals = knowledge.pair_goals(session=session, pair=pair)
            else:
                pair = None
        view = build_share_modal(taxonomy=services.taxonomy, pair_id=pair.id if pair else None, goals=goals, url=url)
        client.views_open(trigger_id=trigger_id, view=view)

    def share(ctx: CommandContext) -> None:
        if not can_share(ctx.team_id, ctx.user_id):
            ctx.reply(NOT_IN_PROGRAM)
            return
        with services.sessions() as session:
            pair = knowledge.pair_for(
                session=session, team_id=ctx.team_id, user_id=ctx.user_id, channel_id=ctx.channel_id
            )
        if not ctx.args:
            ctx.ack()
            open_share_modal(
                ctx.client,
                team_id=ctx.team_id,
                user_id=ctx.user_id,
                trigger_id=ctx.trigger_id,
                pair_id=pair.id if pair else None,
            )
            return
        url, note = knowledge.parse_share_args(ctx.args)
        _, problem = knowledge.check_url(url)
        if problem:
            ctx.reply(f":warning: {problem} Usage: `/mentor share <url> [note]`.")
            return
        if len(note) > knowledge.MAX_NOTE:
            ctx.reply(f":warning: Keep the note to {knowledge.MAX_NOTE} characters or fewer (it has {len(note):,}).")
            return
        with services.sessions() as session:
            result = knowledge.share_resource(
                session=session,
                team_id=ctx.team_id,
                user_id=ctx.user_id,
                url=url,
                note=note,
                pair=pair,
                taxonomy=services.taxonomy,
                now=services.now(),
            )
        item = result.resource
        ctx.reply(share_outcome_text(item, created=result.created, counted=result.counted))
        if pair is not None and pair.channel_id:
            ctx.client.chat_postMessage(
                channel=pair.channel_id, **resource_shared_message(item, sharer=ctx.user_id, note=note)
            )

    def resources(ctx: CommandContext) -> None:
        skill = ctx.args.strip()
        with services.sessions() as session:
            items = knowledge.list_library(session=session, team_id=ctx.team_id, skill=skill)
            pair = knowledge.pair_for(
                session=session, team_id=ctx.team_id, user_id=ctx.user_id, channel_id=ctx.channel_id
            )
        message = resource_list_message(
            items,
            skill=skill,
            viewer=ctx.user_id,
            coordinator=services.is_coordinator(ctx.user_id, ctx.team_id),
            pair_id=pair.id if pair else None,
        )
        ctx.reply(**message)

    def feedback_request(ctx: CommandContext) -> None:
        link, question = knowledge.parse_feedback_args(ctx.args)
        with services.sessions() as session:
            try:
                request = knowledge.request_feedback(
                    session=session,
                    team_id=ctx.team_id,
                    user_id=ctx.user_id,
                    channel_id=ctx.channel_id,
                    link=link,
                    question=question,
                    now=services.now(),
                )
            except ValueError as exc:  # FeedbackError and UrlError carry a message for the person
                ctx.reply(f":warning: {exc}")
                return
            pair = store.get_pair(session=session, team_id=ctx.team_id, pair_id=request.pair_id)
        ctx.reply(f":memo: Sent to <@{request.mentor_user_id}> in your pair's DM.")
        channel = (pair.channel_id if pair else "") or request.mentor_user_id
        posted = ctx.client.chat_postMessage(channel=channel, **feedback_request_message(request))
        with services.sessions() as session:
            store.set_feedback_message(
                session=session,
                request_id=request.id or 0,
                channel_id=str(posted.get("channel", "")),
                message_ts=str(posted.get("ts", "")),
            )

    router.add(
        "share", share, help="share a useful link with your pair and the library", usage="/mentor share <url> [note]"
    )
    router.add(
        "resources", resources, help="the program's library, most recommended first", usage="/mentor resources [skill]"
    )
    router.add(
        "feedback-request",
        feedback_request,
        help="ask your mentor for feedback on a piece of work",
        usage="/mentor feedback-request <link> <question>",
    )

    @app.action(ids.SHARE_OPEN)
    def on_share_clicked(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        ack()
        team_id, user_id = _team_id(body), _user_id(body)
        if not can_share(team_id, user_id):
            respond(text=NOT_IN_PROGRAM, response_type="ephemeral", replace_original=False)
            return
        open_share_modal(
            client,
            team_id=team_id,
            user_id=user_id,
            trigger_id=str(body.get("trigger_id", "")),
            pair_id=_int(action.get("value")),
        )

    @app.view(ids.SHARE_VIEW)
    def on_share_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        team_id, user_id = _team_id(body), _user_id(body)
        form = knowledge.parse_share_form((view.get("state") or {}).get("values") or {})
        pair_id = _int(view.get("private_metadata"))
        coordinator = services.is_coordinator(user_id, team_id)

        def write(session: Session) -> tuple[knowledge.ShareResult, Pair | None]:
            pair = store.get_pair(session=session, team_id=team_id, pair_id=pair_id) if pair_id else None
            if pair is not None and user_id not in (pair.mentee_user_id, pair.mentor_user_id):
                pair = None  # metadata is not trusted: only a member shares for a pair
            goals = knowledge.pair_goals(session=session, pair=pair) if pair else []
            if errors := knowledge.validate_share_form(form, services.taxonomy, goals=goals):
                raise Invalid(errors)
            if not coordinator and people.load_profile(session=session, team_id=team_id, user_id=user_id) is None:
                raise Invalid({ids.SHARE_URL: NOT_IN_PROGRAM})
            result = knowledge.share_resource(
                session=session,
                team_id=team_id,
                user_id=user_id,
                url=form.url,
                title=form.title,
                note=form.note,
                tags=form.tags,
                goal=form.goal,
                pair=pair,
                taxonomy=services.taxonomy,
                now=services.now(),
            )
            return result, pair

        stored = store_then_ack(services, ack, body, view, write)
        if stored is None:
            return
        result, pair = stored.value
        item = result.resource
        client.chat_postMessage(
            channel=user_id, text=share_outcome_text(item, created=result.created, counted=result.counted)
        )
        if pair is not None and pair.channel_id:
            client.chat_postMessage(
                channel=pair.channel_id, **resource_shared_message(item, sharer=user_id, note=form.note)
            )

    @app.action(ids.RESOURCE_UPVOTE)
    def on_upvote_clicked(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        team_id, user_id = _team_id(body), _user_id(body)
        resource_id = _int(action.get("value"))
        if resource_id is None or not can_share(team_id, user_id):
            return
        with services.sessions() as session:
            counted = knowledge.upvote_resource(
                session=session, team_id=team_id, user_id=user_id, resource_id=resource_id, now=services.now()
            )
        text = ":+1: Thanks, recommendation counted." if counted else "You've already recommended this one."
        respond(text=text, response_type="ephemeral", replace_original=False)

    @app.action(ids.RESOURCE_REMOVE)
    def on_remove_clicked(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        team_id, user_id = _team_id(body), _user_id(body)
        resource_id = _int(action.get("value"))
        if resource_id is None:
            return
        with services.sessions() as session:
            outcome, item = knowledge.remove_resource(
                session=session,
                team_id=team_id,
                resource_id=resource_id,
                user_id=user_id,
                is_coordinator=services.is_coordinator(user_id, team_id),
            )
        if outcome == "removed" and item is not None:
            log.info("resource removed team=%s resource=%s by=%s", team_id, resource_id, user_id)
            text = f":wastebasket: Removed *{escape(item.title)}* from the library."
        elif outcome == "forbidden":
            log.warning("resource removal refused team=%s resource=%s by=%s", team_id, resource_id, user_id)
            text = ":lock: Only the person who shared it or a coordinator can remove it."
        else:
            text = "That resource was already removed."
        respond(text=text, response_type="ephemeral", replace_original=False)

    @app.action(ids.FEEDBACK_REPLY_OPEN)
    def on_feedback_reply_clicked(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        ack()
        team_id, user_id = _team_id(body), _user_id(body)
        request_id = _int(action.get("value"))
        with services.sessions() as session:
            request = store.get_feedback_request(session=session, team_id=team_id, request_id=request_id or 0)
        if request is None:
            return
        if request.mentor_user_id != user_id:
            respond(
                text=f"Only <@{request.mentor_user_id}>, the mentor of this pair, can reply to this request.",
                response_type="ephemeral",
                replace_original=False,
            )
            return
        if request.status != FeedbackStatus.OPEN:
            respond(
                text="You've already replied to this one. Thank you!", response_type="ephemeral", replace_original=False
            )
            return
        client.views_open(trigger_id=str(body.get("trigger_id", "")), view=feedback_reply_modal(request))

    @app.view(ids.FEEDBACK_REPLY_VIEW)
    def on_feedback_reply_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        team_id, user_id = _team_id(body), _user_id(body)
        values = (view.get("state") or {}).get("values") or {}
        reply = str(((values.get(ids.FEEDBACK_REPLY_TEXT) or {}).get(ids.INPUT) or {}).get("value") or "").strip()
        if problem := knowledge.validate_reply(reply):
            ack(response_action="errors", errors={ids.FEEDBACK_REPLY_TEXT: problem})
            return

        def write(session: Session) -> FeedbackRequest | None:
            request = store.get_feedback_request(
                session=session, team_id=team_id, request_id=_int(view.get("private_metadata")) or 0
            )
            if request is None or request.id is None or request.mentor_user_id != user_id:
                raise Invalid({ids.FEEDBACK_REPLY_TEXT: "Only the pair's mentor can reply."})
            if not store.answer_feedback(session=session, request_id=request.id, reply=reply, now=services.now()):
                log.info("duplicate feedback reply ignored request=%s", request.id)
                return None
            return request

        stored = store_then_ack(services, ack, body, view, write)
        if stored is None or stored.value is None:
            return
        request = stored.value
        channel = request.channel_id or request.mentee_user_id
        client.chat_postMessage(
            channel=channel, thread_ts=request.message_ts or None, **feedback_reply_message(request, reply)
        )
        if request.channel_id and request.message_ts:
            client.chat_update(channel=request.channel_id, ts=request.message_ts, **feedback_answered_message(request))
