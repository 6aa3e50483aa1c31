"""Coordinator matching: /mentor match (preview, pin, forbid, re-run, discard, publish), /mentor pair, and the
mentee-choice buttons. Every coordinator click and submission is checked again; a preview that is no longer live
answers that it was replaced and changes nothing."""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot import choice, hand_pairs, ids, matchmaking, round_runner
from bot.cohorts import get_cohort, resolve_cohort, settings_of
from bot.privacy import person_key
from bot.services import Services
from bot.views.matching import (
    PreviewState,
    build_publish_failed_modal,
    build_published_modal,
    build_refusal_modal,
    build_replaced_modal,
    build_running_modal,
    cohort_choice_message,
)
from handlers.commands import NOT_A_COORDINATOR, CommandContext, CommandRouter
from handlers.payload import MENTION
from handlers.payload import team_id as _team
from handlers.payload import user_id as _actor
from handlers.payload import view_metadata as _metadata
from storage import rounds as store
from storage.coordination import record_audit, save_cohort
from storage.models import MatchRound
from storage.vocab import LIVE_ROUND_STATUSES, PairRuleKind

log = logging.getLogger(__name__)


def register(app: App, services: Services, router: CommandRouter) -> None:
    """Attach the coordinator's matching surfaces and the mentee-choice buttons."""
    round_runner.register_prompt_kinds()

    # ------------------------------------------------------------------ /mentor match [cohort]

    def start(client: WebClient, *, team_id: str, cohort_id: int, actor: str, channel_id: str, trigger_id: str) -> None:
        with services.sessions() as session:
            cohort = get_cohort(session=session, team_id=team_id, cohort_id=cohort_id)
            choice_mode = cohort is not None and settings_of(cohort).mentee_choice
            name = cohort.name if cohort is not None else ""
        view_id = None
        if not choice_mode:
            opened = client.views_open(trigger_id=trigger_id, view=build_running_modal(cohort=name))
            view_id = opened["view"]["id"]
        round_runner.begin_round(
            services, client, team_id=team_id, cohort_id=cohort_id, actor=actor, channel_id=channel_id, view_id=view_id
        )

    def match(ctx: CommandContext) -> None:
        with services.sessions() as session:
            picked = resolve_cohort(session=session, team_id=ctx.team_id, name=ctx.args, now=services.now())
            choices = [(int(c.id or 0), c.name, c.status) for c in picked.choices]
            cohort = picked.cohort
            choice_mode = cohort is not None and settings_of(cohort).mentee_choice
        if picked.error:
            ctx.reply(picked.error)
            return
        if cohort is None:
            ctx.reply(**cohort_choice_message(purpose="match", cohorts=choices))
            return
        assert cohort.id is not None
        if choice_mode:
            ctx.reply(f":busybee: Mentee-choice round of *{cohort.name}*: sending each waiting mentee their shortlist…")
        else:
            ctx.ack()
        start(
            ctx.client,
            team_id=ctx.team_id,
            cohort_id=cohort.id,
            actor=ctx.user_id,
            channel_id=ctx.channel_id,
            trigger_id=ctx.trigger_id,
        )

    @app.action(ids.any_numbered(ids.MATCH_COHORT))
    def on_cohort_chosen(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        actor, team_id = _actor(body), _team(body)
        if not services.is_coordinator(actor, team_id):
            client.chat_postMessage(channel=actor, text=NOT_A_COORDINATOR)
            return
        try:
            cohort_id = int(json.loads(action.get("value") or "{}").get("cohort", 0))
        except (ValueError, TypeError, AttributeError):
            return
        with services.sessions() as session:
            cohort = get_cohort(session=session, team_id=team_id, cohort_id=cohort_id)
        if cohort is None or cohort.status == "closed" or cohort.id is None:
            client.chat_postMessage(channel=actor, text="That cohort is closed or no longer exists.")
            return
        if settings_of(cohort).mentee_choice:
            client.chat_postMessage(channel=actor, text=f":busybee: Sending {cohort.name}'s shortlists…")
        channel = str((body.get("channel") or {}).get("id") or "")
        start(
            client, team_id=team_id, cohort_id=cohort.id, actor=actor, channel_id=channel, trigger_id=body["trigger_id"]
        )

    # ------------------------------------------------------------------ /mentor pair

    def pair(ctx: CommandContext) -> None:
        users = MENTION.findall(ctx.args)
        if len(users) != 2:
            ctx.reply("Usage: `/mentor pair @mentee @mentor [reason]` (mention both people).")
            return
        reason = MENTION.sub("", ctx.args).strip()
        mentee_id, mentor_id = users
        with services.sessions() as session:
            made = hand_pairs.create_manual_pair(
                session=session,
                team_id=ctx.team_id,
                mentee_id=mentee_id,
                mentor_id=mentor_id,
                actor=ctx.user_id,
                reason=reason,
                now=services.now(),
            )
        check = made.check
        if check.blocking:
            ctx.reply(f":warning: Can't pair them: {check.blocking}.")
            return
        problems = "\n".join(f"• {p}" for p in check.problems)
        where = f" in *{check.cohort_name}*" if check.cohort_name else ""
        if made.pair is None:
            ctx.reply(
                f":warning: Pairing <@{mentee_id}> with <@{mentor_id}>{where} would break the program's rules:\n"
                f"{problems}\nTo pair them anyway, give a reason: `/mentor pair <@{mentee_id}> <@{mentor_id}> "
                "because …` (the rules you override and your reason go into the audit log)."
            )
            return
        assert check.score is not None
        text = (
            f":handshake: Paired <@{mentee_id}> with <@{mentor_id}>{where} (score {check.score.total:.2f}). "
            "Their group DM opens now."
        )
        if check.problems:
            text += f"\nYou overrode:\n{problems}\nYour reason, in the audit log: _{reason[:300]}_"
        ctx.reply(text)
        round_runner.start_pairs(services, ctx.client, [made.pair])

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
    router.add(
        "match",
        match,
        help="run a cohort's match round and preview it before publishing",
        usage="/mentor match [cohort]",
        coordinator=True,
    )
    router.add(
        "pair", pair, help="pair two people by hand", usage="/mentor pair @mentee @mentor [reason]", coordinator=True
    )

    # ------------------------------------------------------------------ the preview modal

    def live_or_replaced(team_id: str, meta: dict[str, Any]) -> tuple[MatchRound | None, dict[str, Any] | None]:
        """The modal's round when it is live; else the view that says it was replaced (and changes nothing)."""
        round_id = meta.get("round")
        if not isinstance(round_id, int):
            return None, build_replaced_modal(latest_round=None, text="That preview is no longer available.")
        with services.sessions() as session:
            match_round = store.get_round(session=session, team_id=team_id, round_id=round_id)
            if match_round is None:
                return None, build_replaced_modal(latest_round=None, text="That preview is no longer available.")
            if match_round.status not in LIVE_ROUND_STATUSES:
                return None, round_runner.replaced_view(session, match_round)
        return match_round, None

    def show(client: WebClient, view_id: str, match_round: MatchRound, state: PreviewState) -> None:
        with services.sessions() as session:
            view = round_runner.preview_view(session, match_round, state)
        client.views_update(view_id=view_id, view=view)

    def replan(client: WebClient, *, view_id: str, match_round: MatchRound, actor: str, state: PreviewState) -> None:
        assert match_round.id is not None
        round_runner.plan_and_show(
            services, client, round_id=match_round.id, view_id=view_id, actor=actor, state=state, notify=False
        )

    @app.view(ids.MATCH_PREVIEW_VIEW)
    def on_publish_submitted(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        actor, team_id = _actor(body), _team(body)
        if not services.is_coordinator(actor, team_id):
            log.warning("publish refused user=%s", actor)
            ack(response_action="update", view=build_refusal_modal(NOT_A_COORDINATOR))
            return
        meta = _metadata(body.get("view"))
        round_id, revision = meta.get("round"), meta.get("revision")
        if not isinstance(round_id, int):
            ack(response_action="update", view=build_refusal_modal("That preview is no longer available."))
            return
        with services.sessions() as session:
            if store.get_round(session=session, team_id=team_id, round_id=round_id) is None:
                ack(response_action="update", view=build_refusal_modal("That preview is no longer available."))
                return
            publication = matchmaking.publish_round(
                session=session,
                round_id=round_id,
                actor=actor,
                now=services.now(),
                revision=revision if isinstance(revision, int) else None,
            )
            status = publication.status
            if status in ("replaced", "planning"):
                view = round_runner.replaced_view(session, publication.round)
                if status == "planning":
                    view = build_replaced_modal(
                        latest_round=round_id, text="This round is still being planned; nothing was published yet."
                    )
            elif status == "outdated":
                current = store.get_round(session=session, team_id=team_id, round_id=round_id)
                text = (
                    ":information_source: This preview was replaced by a newer revision (the cohort's pins or the "
                    "people changed since), so nothing was published. Review the latest preview, then publish."
                )
                view = build_replaced_modal(latest_round=current.id if current else None, text=text)
            elif status == "failed":
                view = build_publish_failed_modal(error=publication.error, round_id=round_id)
            else:
                view = build_published_modal(
                    pairs=len(publication.pairs),
                    unmatched=len(publication.unmatched),
                    cohort=publication.cohort_name,
                    dropped=publication.dropped,
                    resolved=publication.resolved,
                    already=publication.already_published,
                    published_by=publication.round.published_by,
                )
        ack(response_action="update", view=view)
        if status == "outdated":
            match_round, _ = live_or_replaced(team_id, meta)
            if match_round is not None and match_round.revision == revision:  # pins changed: plan again
                assert match_round.id is not None
                round_runner.plan_and_show(services, client, round_id=match_round.id, view_id=None, actor=actor)
        if status == "published":
            round_runner.announce_publication(services, client, publication)

    @app.action(ids.MATCH_RULE)
    def on_rule_chosen(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        actor, team_id = _actor(body), _team(body)
        if not services.is_coordinator(actor, team_id):
            log.warning("match rule refused user=%s", actor)
            client.chat_postMessage(channel=actor, text=NOT_A_COORDINATOR)
            return
        try:
            rule, mentee, mentor = json.loads((action.get("selected_option") or {}).get("value", ""))
        except (ValueError, TypeError):
            return
        if rule not in ("pin", "forbid", "clear") or not all(isinstance(x, str) for x in (mentee, mentor)):
            return
        meta = _metadata(body.get("view"))
        view_id = body["view"]["id"]
        match_round, refusal = live_or_replaced(team_id, meta)
        if match_round is None or match_round.cohort_id is None:
            client.views_update(view_id=view_id, view=refusal)
            return
        now = services.now()
        with services.sessions() as session:
            if rule == "clear":
                rules = matchmaking.load_rules(session=session, team_id=team_id, cohort_id=match_round.cohort_id)
                for row in rules.rows:
                    if (row.mentee_user_id, row.mentor_user_id) == (mentee, mentor) and row.id is not None:
                        matchmaking.remove_pair_rule(session=session, team_id=team_id, rule_id=row.id)
            else:
                matchmaking.set_pair_rule(
                    session=session,
                    team_id=team_id,
                    cohort_id=match_round.cohort_id,
                    mentee=mentee,
                    mentor=mentor,
                    rule=PairRuleKind(rule),
                    actor=actor,
                    now=now,
                )
            record_audit(
                session=session,
                team_id=team_id,
                actor=actor,
                action=f"match.{'unrule' if rule == 'clear' else rule}",
                target=f"cohort:{match_round.cohort_id}",
                detail={"mentee": mentee, "mentor": mentor, "round": match_round.id},
                now=now,
            )
        state = PreviewState.from_metadata(meta)
        show(client, view_id, match_round, state)  # the rule shows at once; the new plan follows
        replan(client, view_id=view_id, match_round=match_round, actor=actor, state=state)

    @app.action(ids.MATCH_RULE_REMOVE)
    def on_rule_removed(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        actor, team_id = _actor(body), _team(body)
        if not services.is_coordinator(actor, team_id):
            client.chat_postMessage(channel=actor, text=NOT_A_COORDINATOR)
            return
        meta = _metadata(body.get("view"))
        view_id = body["view"]["id"]
        match_round, refusal = live_or_replaced(team_id, meta)
        if match_round is None:
            client.views_update(view_id=view_id, view=refusal)
            return
        rule_id = int(action["value"]) if str(action.get("value", "")).isdigit() else 0
        with services.sessions() as session:
            removed = matchmaking.remove_pair_rule(session=session, team_id=team_id, rule_id=rule_id)
            if removed is not None:
                record_audit(
                    session=session,
                    team_id=team_id,
                    actor=actor,
                    action="match.unpin" if removed.rule == PairRuleKind.PIN else "match.allow",
                    target=f"cohort:{removed.cohort_id}",
                    detail={"mentee": removed.mentee_user_id, "mentor": removed.mentor_user_id},
                    now=services.now(),
                )
        state = PreviewState.from_metadata(meta)
        show(client, view_id, match_round, state)
        if removed is not None:
            replan(client, view_id=view_id, match_round=match_round, actor=actor, state=state)

    @app.action(ids.MATCH_RERUN)
    def on_rerun_clicked(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        actor, team_id = _actor(body), _team(body)
        if not services.is_coordinator(actor, team_id):
            client.chat_postMessage(channel=actor, text=NOT_A_COORDINATOR)
            return
        meta = _metadata(body.get("view"))
        view_id = body["view"]["id"]
        match_round, refusal = live_or_replaced(team_id, meta)
        if match_round is None:
            client.views_update(view_id=view_id, view=refusal)
            return
        cohort = (match_round.result.get("cohort") or {}).get("name", "")
        client.views_update(view_id=view_id, view=build_running_modal(rerun=True, cohort=cohort))
        replan(client, view_id=view_id, match_round=match_round, actor=actor, state=PreviewState.from_metadata(meta))

    @app.action(ids.MATCH_DISCARD)
    def on_discard_clicked(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        actor, team_id = _actor(body), _team(body)
        if not services.is_coordinator(actor, team_id):
            client.chat_postMessage(channel=actor, text=NOT_A_COORDINATOR)
            return
        view_id = body["view"]["id"]
        match_round, refusal = live_or_replaced(team_id, _metadata(body.get("view")))
        if match_round is None or match_round.id is None:
            client.views_update(view_id=view_id, view=refusal)
            return
        with services.sessions() as session:
            discarded = matchmaking.discard_round(session=session, round_id=match_round.id, now=services.now())
            if discarded:
                record_audit(
                    session=session,
                    team_id=team_id,
                    actor=actor,
                    action="match.discard",
                    target=f"round:{match_round.id}",
                    detail={"cohort": (match_round.result.get("cohort") or {}).get("name", "")},
                    now=services.now(),
                )
            gone = store.get_round(session=session, team_id=team_id, round_id=match_round.id)
            view = round_runner.replaced_view(session, gone) if gone is not None else refusal
        client.views_update(view_id=view_id, view=view or build_replaced_modal(latest_round=None))

    def on_view_state(body: dict[str, Any], client: WebClient, **changes: Any) -> None:
        actor, team_id = _actor(body), _team(body)
        if not services.is_coordinator(actor, team_id):
            return
        meta = _metadata(body.get("view"))
        view_id = body["view"]["id"]
        match_round, refusal = live_or_replaced(team_id, meta)
        if match_round is None:
            client.views_update(view_id=view_id, view=refusal)
            return
        state = PreviewState.from_metadata({**meta, **changes})
        show(client, view_id, match_round, state)

    @app.action(ids.MATCH_PAGE)
    @app.action(ids.MATCH_PAGE_NEXT)
    def on_page_clicked(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        value = str(action.get("value", ""))
        if value.isdigit():
            on_view_state(body, client, page=int(value))

    @app.action(ids.MATCH_TAB)
    def on_tab_chosen(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        tab = str((action.get("selected_option") or {}).get("value") or "pairs")
        on_view_state(body, client, tab=tab, page=0)

    @app.action(ids.MATCH_FILTER)
    def on_filter_chosen(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        flt = str((action.get("selected_option") or {}).get("value") or "all")
        on_view_state(body, client, filter=flt, page=0)

    @app.action(ids.MATCH_CARRY)
    def on_carry_toggled(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        actor, team_id = _actor(body), _team(body)
        if not services.is_coordinator(actor, team_id):
            client.chat_postMessage(channel=actor, text=NOT_A_COORDINATOR)
            return
        meta = _metadata(body.get("view"))
        view_id = body["view"]["id"]
        match_round, refusal = live_or_replaced(team_id, meta)
        if match_round is None or match_round.cohort_id is None:
            client.views_update(view_id=view_id, view=refusal)
            return
        carry = action.get("value") == "on"
        with services.sessions() as session:
            cohort = get_cohort(session=session, team_id=team_id, cohort_id=match_round.cohort_id)
            if cohort is None:
                return
            save_cohort(
                session=session,
                team_id=team_id,
                cohort_id=cohort.id,
                name=cohort.name,
                settings={"carry_over": carry},
                now=services.now(),
            )
            record_audit(
                session=session,
                team_id=team_id,
                actor=actor,
                action="cohort.carry_over",
                target=f"cohort:{cohort.id}",
                detail={"cohort": cohort.name, "carry_over": carry},
                now=services.now(),
            )
        cohort_name = (match_round.result.get("cohort") or {}).get("name", "")
        client.views_update(view_id=view_id, view=build_running_modal(rerun=True, cohort=cohort_name))
        replan(client, view_id=view_id, match_round=match_round, actor=actor, state=PreviewState.from_metadata(meta))

    @app.action(ids.MATCH_OPEN_PREVIEW)
    def on_open_preview_clicked(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        actor, team_id = _actor(body), _team(body)
        if not services.is_coordinator(actor, team_id):
            client.chat_postMessage(channel=actor, text=NOT_A_COORDINATOR)
            return
        round_id = int(action["value"]) if str(action.get("value", "")).isdigit() else 0
        with services.sessions() as session:
            match_round = store.get_round(session=session, team_id=team_id, round_id=round_id)
            if match_round is not None and match_round.status not in LIVE_ROUND_STATUSES and match_round.cohort_id:
                match_round = (
                    store.live_round(session=session, team_id=team_id, cohort_id=match_round.cohort_id) or match_round
                )
            view = round_runner.preview_view(session, match_round) if match_round is not None else None
        if view is None:
            client.chat_postMessage(
                channel=actor, text="That preview no longer exists. `/mentor match` starts a round."
            )
            return
        if body.get("view") and (body["view"].get("type") == "modal"):
            client.views_update(view_id=body["view"]["id"], view=view)
        else:
            client.views_open(trigger_id=body["trigger_id"], view=view)

    # ------------------------------------------------------------------ mentee choice: pick, accept, decline

    @app.action(ids.CHOICE_PICK)
    def on_choice_picked(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        actor, team_id = _actor(body), _team(body)
        value = str(action.get("value") or "")
        with services.sessions() as session:
            step = choice.choose(
                session=session,
                team_id=team_id,
                request_id=int(value) if value.isdigit() else 0,
                actor=actor,
                now=services.now(),
            )
        if step.refused:
            client.chat_postMessage(channel=actor, text=step.refused)
            return
        round_runner.after_step(services, client, step)

    @app.action(ids.CHOICE_ACCEPT)
    @app.action(ids.CHOICE_DECLINE)
    def on_choice_answered(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        actor, team_id = _actor(body), _team(body)
        value = str(action.get("value") or "")
        with services.sessions() as session:
            step = choice.answer(
                session=session,
                team_id=team_id,
                request_id=int(value) if value.isdigit() else 0,
                actor=actor,
                accept=action.get("action_id") == ids.CHOICE_ACCEPT,
                now=services.now(),
            )
        if step.refused:
            client.chat_postMessage(channel=actor, text=step.refused)
            return
        round_runner.after_step(services, client, step)
