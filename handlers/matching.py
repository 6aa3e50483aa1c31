"""Coordinator matching: /mentor match (preview, pin, forbid, re-run, publish) and /mentor pair."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from sqlmodel import Session

from bot import choice, ids, matchmaking
from bot.cohorts import current_cohort, settings_of
from bot.dispatch import Dispatcher
from bot.lifecycle.plan import start_pair
from bot.networking import schedule_people_to_meet
from bot.outbox import Outgoing, register_prompt_kind, schedule_prompt
from bot.privacy import is_pseudonym, person_key
from bot.services import Services
from bot.views.matching import (
    build_preview_modal,
    build_published_modal,
    build_refusal_modal,
    build_running_modal,
    choice_offer_message,
    choice_request_message,
    preview_ready_message,
    unmatched_message,
)
from bot.views.words import counted
from handlers.commands import NOT_A_COORDINATOR, CommandContext, CommandRouter
from handlers.payload import team_id as _team
from handlers.payload import user_id as _actor
from handlers.payload import view_metadata as _metadata
from handlers.submission import store_then_ack
from storage.coordination import record_audit
from storage.models import MatchRequest, MatchRound, Pair
from storage.vocab import MatchRequestStatus, PromptKind, RoundStatus

log = logging.getLogger(__name__)
CHOICE_DEADLINE = PromptKind.CHOICE_DEADLINE
MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")


def _preview_view(match_round: MatchRound, page: int = 0) -> dict[str, Any]:
    assert match_round.id is not None
    return build_preview_modal(
        round_id=match_round.id,
        revision=match_round.revision,
        result=match_round.result,
        pinned=match_round.pinned,
        forbidden=match_round.forbidden,
        page=page,
    )


def run_round(services: Services, client: WebClient, *, round_id: int, view_id: str | None, actor: str) -> None:
    """Plan the round (after the ack) and show the preview in the modal and the coordinator's DM."""
    try:
        with services.sessions() as session:
            match_round = matchmaking.compute_round(session=session, round_id=round_id, now=services.now())
    except Exception:
        log.exception("match round failed round=%s", round_id)
        with services.sessions() as session:
            failed = session.get(MatchRound, round_id)
            if failed is not None:
                failed.status, failed.error = RoundStatus.FAILED, "the matcher hit an error; see the logs"
                session.add(failed)
                session.commit()
        client.chat_postMessage(channel=actor, text="Sorry, the match round failed. Please try `/mentor match` again.")
        return
    result = match_round.result
    if view_id:
        client.views_update(view_id=view_id, view=_preview_view(match_round))
    client.chat_postMessage(
        channel=actor,
        **preview_ready_message(
            round_id=round_id,
            pairs=len(result.get("pairs", [])),
            unmatched=len(result.get("unmatched", {})),
            mean=float(result.get("mean_score", 0.0)),
        ),
    )


def announce_publication(
    services: Services, client: WebClient, pairs: list[Pair], unmatched: dict[str, str] | None = None
) -> None:
    """Start every new pair's journey and tell each unmatched mentee why, privately."""
    for pair in pairs:
        with services.sessions() as session:
            start_pair(session=session, services=services, pair=pair, now=services.now())
    for user_id, reason in (unmatched or {}).items():
        client.chat_postMessage(channel=user_id, **unmatched_message(reason))
    if pairs:
        with services.sessions() as session:
            schedule_people_to_meet(session=session, team_id=pairs[0].team_id, now=services.now())
        # introduce the new pairs now rather than at the scheduler's next tick (claims are exclusive)
        Dispatcher(services, owner=f"publish-{pairs[0].team_id}").tick(services.now())


def offer_shortlists(services: Services, client: WebClient, *, team_id: str, actor: str, days: int) -> None:
    """Mentee-choice mode: DM every waiting mentee their top mentors."""
    with services.sessions() as session:
        shortlists = choice.make_shortlists(session=session, team_id=team_id, now=services.now())
        record_audit(
            session=session,
            team_id=team_id,
            actor=actor,
            action="match.shortlists",
            detail={"mentees": len(shortlists)},
        )
    for shortlist in shortlists:
        options = [
            {"mentor": r.mentor_user_id, "score": r.score, "reasons": r.reasons, "request_id": r.id}
            for r in shortlist.requests
        ]
        client.chat_postMessage(channel=shortlist.mentee, **choice_offer_message(options, days=days))
    client.chat_postMessage(
        channel=actor,
        text=f"Sent shortlists to {counted(len(shortlists), 'mentee')}; mentors have {counted(days, 'day')} to answer "
        "each request.",
    )


def _request_mentor(services: Services, session: Session, request: MatchRequest, days: int) -> Outgoing:
    """Ask the mentor, and schedule the deadline that moves the request on if they don't answer."""
    assert request.id is not None and request.respond_by is not None
    schedule_prompt(
        session=session,
        team_id=request.team_id,
        key=choice.deadline_key(request.id),
        kind=CHOICE_DEADLINE,
        due_at=request.respond_by,
        recipient_user_id=request.mentee_user_id,
        payload={"request": request.id},
    )
    session.commit()
    message = choice_request_message(
        mentee=request.mentee_user_id, reasons=request.reasons, request_id=request.id, days=days
    )
    return Outgoing(channel=request.mentor_user_id, text=message["text"], blocks=message["blocks"])


def _after_answer(services: Services, session: Session, result: choice.Answer, days: int) -> list[Outgoing]:
    """Messages that follow a mentor's answer or a missed deadline (the pair's journey starts on accept)."""
    mentee = result.request.mentee_user_id
    if result.pair is not None:
        return [
            Outgoing(
                channel=mentee,
                text=f":tada: <@{result.request.mentor_user_id}> accepted: you're a pair! Your group DM opens now.",
            )
        ]
    messages = []
    mentor = result.request.mentor_user_id
    who = "The mentor you chose" if is_pseudonym(mentor) else f"<@{mentor}>"
    if result.next_request is not None:
        messages.append(
            Outgoing(
                channel=mentee,
                text=f"{who} is not available right now, so we've asked your next choice, "
                f"<@{result.next_request.mentor_user_id}>.",
            )
        )
        messages.append(_request_mentor(services, session, result.next_request, days))
    elif result.exhausted:
        messages.append(
            Outgoing(
                channel=mentee,
                text=f"{who} is not available right now, and your shortlist is used up. "
                "You're first in line for the next round.",
            )
        )
    return messages


def _send(client: WebClient, messages: list[Outgoing]) -> None:
    for message in messages:
        client.chat_postMessage(channel=message.channel, text=message.text, blocks=message.blocks)


def register(app: App, services: Services, router: CommandRouter) -> None:
    """Attach the coordinator's matching surfaces."""

    def days_for(team_id: str, session: Session | None = None) -> int:
        if session is not None:
            return settings_of(current_cohort(session=session, team_id=team_id)).choice_response_days
        with services.sessions() as own:
            return days_for(team_id, own)

    def on_deadline(svc: Services, session: Session, prompt: Any, now: Any) -> list[Outgoing] | None:
        days = days_for(prompt.team_id, session)
        result = choice.answer(
            session=session,
            team_id=prompt.team_id,
            request_id=int(prompt.payload["request"]),
            actor=None,
            accept=False,
            now=now,
            days=days,
        )
        return _after_answer(svc, session, result, days) if result else None

    register_prompt_kind(CHOICE_DEADLINE, on_deadline)

    @app.action(ids.CHOICE_PICK)
    def on_choice_picked(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        actor, team_id = _actor(body), _team(body)
        days = days_for(team_id)
        with services.sessions() as session:
            request = choice.choose(
                session=session,
                team_id=team_id,
                request_id=int(action.get("value") or 0),
                actor=actor,
                days=days,
                now=services.now(),
            )
            if request is None:
                client.chat_postMessage(
                    channel=actor,
                    text="That choice is no longer open (you may have picked already; we'll keep you posted here).",
                )
                return
            _send(client, [_request_mentor(services, session, request, days)])
        client.chat_postMessage(
            channel=actor,
            text=f"We've asked <@{request.mentor_user_id}>. They have {days} "
            "days to answer; if they can't, we ask your next choice.",
        )

    @app.action(ids.CHOICE_ACCEPT)
    @app.action(ids.CHOICE_DECLINE)
    def on_choice_answered(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        actor, team_id = _actor(body), _team(body)
        days = days_for(team_id)
        accept = action.get("action_id") == ids.CHOICE_ACCEPT
        with services.sessions() as session:
            result = choice.answer(
                session=session,
                team_id=team_id,
                request_id=int(action.get("value") or 0),
                actor=actor,
                accept=accept,
                now=services.now(),
                days=days,
            )
            if result is None:
                client.chat_postMessage(channel=actor, text="That request is no longer open.")
                return
            messages = _after_answer(services, session, result, days)
        _send(client, messages)
        if result.pair is not None:
            client.chat_postMessage(
                channel=actor,
                text=f"Thanks! You and <@{result.request.mentee_user_id}> are now a pair; your group DM opens now.",
            )
            announce_publication(services, client, [result.pair])
        elif not accept:
            client.chat_postMessage(
                channel=actor,
                text="Thanks for letting us know. When the answer window closes they'll hear you're not available "
                "right now, exactly as if it had run out: nobody is told you declined.",
            )
        elif result.request.status == MatchRequestStatus.DECLINED:
            client.chat_postMessage(channel=actor, text="Thanks! You're full already, so we've moved the request on.")

    def match(ctx: CommandContext) -> None:
        with services.sessions() as session:
            cohort_settings = settings_of(current_cohort(session=session, team_id=ctx.team_id, now=services.now()))
        if cohort_settings.mentee_choice:
            ctx.reply(":busybee: Mentee-choice round: sending each waiting mentee their shortlist…")
            offer_shortlists(
                services, ctx.client, team_id=ctx.team_id, actor=ctx.user_id, days=cohort_settings.choice_response_days
            )
            return
        ctx.ack()
        opened = ctx.client.views_open(trigger_id=ctx.trigger_id, view=build_running_modal())
        with services.sessions() as session:
            match_round = matchmaking.start_round(
                session=session,
                team_id=ctx.team_id,
                requested_by=ctx.user_id,
                channel_id=ctx.channel_id,
                now=services.now(),
            )
            record_audit(
                session=session,
                team_id=ctx.team_id,
                actor=ctx.user_id,
                action="match.run",
                target=f"round:{match_round.id}",
            )
        assert match_round.id is not None
        run_round(services, ctx.client, round_id=match_round.id, view_id=opened["view"]["id"], actor=ctx.user_id)

    def pair(ctx: CommandContext) -> None:
        users = MENTION.findall(ctx.args)
        if len(users) != 2:
            ctx.reply("Usage: `/mentor pair @mentee @mentor [reason]` (mention both people).")
            return
        reason = MENTION.sub("", ctx.args).strip()
        mentee_id, mentor_id = users
        with services.sessions() as session:
            check = matchmaking.check_manual_pair(
                session=session, team_id=ctx.team_id, mentee_id=mentee_id, mentor_id=mentor_id, now=services.now()
            )
            if check.blocking:
                ctx.reply(f":warning: Can't pair them: {check.blocking}.")
                return
            if check.problems and not reason:
                problems = "\n".join(f"• {p}" for p in check.problems)
                ctx.reply(
                    f":warning: This pair breaks the program's rules:\n{problems}\n"
                    f"To pair them anyway, give a reason: `/mentor pair <@{mentee_id}> <@{mentor_id}> because …` "
                    "(it is recorded in the audit log)."
                )
                return
            created = matchmaking.create_manual_pair(
                session=session,
                team_id=ctx.team_id,
                check=check,
                actor=ctx.user_id,
                reason=reason,
                now=services.now(),
            )
            record_audit(
                session=session,
                team_id=ctx.team_id,
                actor=ctx.user_id,
                action="pair.manual",
                target=f"pair:{created.id}",
                detail={"mentee": mentee_id, "mentor": mentor_id, "violations": check.problems},
                reason=reason,
            )
        assert check.score is not None
        ctx.reply(
            f":handshake: Paired <@{mentee_id}> with <@{mentor_id}> (score {check.score.total:.2f}). "
            "Their group DM opens now."
        )
        announce_publication(services, ctx.client, [created])

    def avoid(ctx: CommandContext) -> None:
        users = MENTION.findall(ctx.args)
        remove = ctx.args.split(" ", 1)[0].lower() == "remove"
        if len(users) != 1 or users[0] == ctx.user_id:
            ctx.reply("Usage: `/mentor avoid @person` (or `/mentor avoid remove @person`). Only you see this.")
            return
        with services.sessions() as session:
            changed = matchmaking.set_do_not_pair(
                session=session,
                team_id=ctx.team_id,
                user_id=ctx.user_id,
                other_user_id=users[0],
                blocked=not remove,
                other_key=person_key(team_id=ctx.team_id, user_id=users[0], secret=services.settings.pseudonym_key),
            )
        if remove:
            text = f"<@{users[0]}> can be matched with you again." if changed else "They weren't on your list."
        else:
            text = f":lock: Noted: you won't be matched with <@{users[0]}>. This stays confidential; they aren't told."
        ctx.reply(text)

    router.add(
        "avoid",
        avoid,
        help="privately never be matched with someone (confidential; they aren't told)",
        usage="/mentor avoid [remove] @person",
    )
    router.add("match", match, help="run a match round and preview it before publishing", coordinator=True)
    router.add(
        "pair", pair, help="pair two people by hand", usage="/mentor pair @mentee @mentor [reason]", coordinator=True
    )

    def refuse_view(ack: Ack) -> None:
        ack(response_action="update", view=build_refusal_modal(NOT_A_COORDINATOR))

    @app.view(ids.MATCH_PREVIEW_VIEW)
    def on_publish_submitted(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        actor = _actor(body)
        if not services.is_coordinator(actor, _team(body)):
            log.warning("publish refused user=%s", actor)
            refuse_view(ack)
            return
        round_id = _metadata(body.get("view")).get("round")
        if not isinstance(round_id, int):
            ack(response_action="update", view=build_refusal_modal("That preview is no longer available."))
            return

        def write(session: Session) -> Any:
            publication = matchmaking.publish_round(session=session, round_id=round_id, actor=actor, now=services.now())
            if not publication.already_published:
                record_audit(
                    session=session,
                    team_id=_team(body),
                    actor=actor,
                    action="match.publish",
                    target=f"round:{round_id}",
                    detail={"pairs": len(publication.pairs), "unmatched": len(publication.unmatched)},
                )
            return publication

        def published(publication: Any) -> dict[str, Any]:
            view = build_published_modal(
                pairs=len(publication.pairs),
                unmatched=len(publication.unmatched),
                already=publication.already_published,
            )
            return {"response_action": "update", "view": view}

        stored = store_then_ack(services, ack, body, body.get("view") or {}, write, ack_with=published, dedupe=False)
        if stored is not None and not stored.value.already_published:
            stored.announce()
            announce_publication(services, client, stored.value.pairs, stored.value.unmatched)

    @app.action(ids.MATCH_RULE)
    def on_rule_chosen(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        actor = _actor(body)
        if not services.is_coordinator(actor, _team(body)):
            log.warning("match rule refused user=%s", actor)
            client.chat_postMessage(channel=actor, text=NOT_A_COORDINATOR)
            return
        try:
            rule, mentee, mentor = json.loads((action.get("selected_option") or {}).get("value", ""))
        except (ValueError, TypeError):
            return
        meta = _metadata(body.get("view"))
        if rule not in ("pin", "forbid", "clear") or not isinstance(meta.get("round"), int):
            return
        with services.sessions() as session:
            try:
                match_round = matchmaking.set_pair_rule(
                    session=session, round_id=meta["round"], mentee=mentee, mentor=mentor, rule=rule, now=services.now()
                )
            except LookupError:
                return
            record_audit(
                session=session,
                team_id=_team(body),
                actor=actor,
                action=f"match.{rule}",
                target=f"round:{meta['round']}",
                detail={"mentee": mentee, "mentor": mentor},
            )
        client.views_update(view_id=body["view"]["id"], view=_preview_view(match_round, int(meta.get("page", 0))))

    @app.action(ids.MATCH_RERUN)
    def on_rerun_clicked(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        actor = _actor(body)
        if not services.is_coordinator(actor, _team(body)):
            client.chat_postMessage(channel=actor, text=NOT_A_COORDINATOR)
            return
        meta = _metadata(body.get("view"))
        if not isinstance(meta.get("round"), int):
            return
        view_id = body["view"]["id"]
        client.views_update(view_id=view_id, view=build_running_modal(rerun=True))
        run_round(services, client, round_id=meta["round"], view_id=view_id, actor=actor)

    @app.action(ids.MATCH_PAGE)
    @app.action(ids.MATCH_PAGE_NEXT)
    def on_page_clicked(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        if not services.is_coordinator(_actor(body), _team(body)):
            return
        meta = _metadata(body.get("view"))
        with services.sessions() as session:
            match_round = session.get(MatchRound, meta.get("round", -1))
        if match_round is None or not str(action.get("value", "")).isdigit():
            return
        client.views_update(view_id=body["view"]["id"], view=_preview_view(match_round, int(action["value"])))

    @app.action(ids.MATCH_OPEN_PREVIEW)
    def on_open_preview_clicked(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        actor = _actor(body)
        if not services.is_coordinator(actor, _team(body)):
            client.chat_postMessage(channel=actor, text=NOT_A_COORDINATOR)
            return
        with services.sessions() as session:
            match_round = session.get(MatchRound, int(action.get("value") or 0))
        if match_round is None or match_round.status != RoundStatus.PREVIEW:
            client.chat_postMessage(channel=actor, text="That preview was published or replaced by a newer round.")
            return
        client.views_open(trigger_id=body["trigger_id"], view=_preview_view(match_round))
