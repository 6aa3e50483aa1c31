"""Coordinators' cohort list: /mentor cohorts, Close (with a confirmation) and Reopen. Checked on every request."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot import cohort_lifecycle, ids
from bot.services import Services
from bot.views.cohorts import close_cohort_modal, cohorts_message
from bot.views.coordinator import refusal_view
from handlers.commands import NOT_A_COORDINATOR, CommandContext, CommandRouter
from handlers.payload import team_id as _team
from handlers.payload import user_id as _actor
from handlers.payload import view_metadata as _metadata

log = logging.getLogger(__name__)


def register(app: App, services: Services, router: CommandRouter) -> None:
    """Attach /mentor cohorts and its buttons."""

    def cohorts(ctx: CommandContext) -> None:
        with services.sessions() as session:
            lines = cohort_lifecycle.overview(session=session, team_id=ctx.team_id)
        ctx.reply(**cohorts_message(lines))

    router.add("cohorts", cohorts, help="every cohort and where it stands; close or reopen one", coordinator=True)

    @app.action(ids.COHORT_CLOSE)
    def on_close_clicked(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        actor, team_id = _actor(body), _team(body)
        if not services.is_coordinator(actor, team_id):
            client.chat_postMessage(channel=actor, text=NOT_A_COORDINATOR)
            return
        cohort_id = int(action["value"]) if str(action.get("value", "")).isdigit() else 0
        with services.sessions() as session:
            line = next(
                (c for c in cohort_lifecycle.overview(session=session, team_id=team_id) if c.cohort_id == cohort_id),
                None,
            )
        if line is None:
            client.chat_postMessage(channel=actor, text="That cohort no longer exists.")
            return
        view = close_cohort_modal(
            cohort_id=line.cohort_id,
            name=line.name,
            waiting=line.waiting,
            free_places=line.free_places,
            open_pairs=line.open_pairs,
        )
        client.views_open(trigger_id=body["trigger_id"], view=view)

    @app.view(ids.COHORT_CLOSE_VIEW)
    def on_close_confirmed(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        actor, team_id = _actor(body), _team(body)
        if not services.is_coordinator(actor, team_id):
            log.warning("forged cohort close refused user=%s", actor)
            ack(response_action="update", view=refusal_view())
            return
        cohort_id = _metadata(view).get("cohort_id")
        values = (view.get("state") or {}).get("values") or {}
        reason = str(((values.get(ids.PAIR_ACTION_REASON) or {}).get(ids.INPUT) or {}).get("value") or "").strip()
        with services.sessions() as session:
            text = cohort_lifecycle.close_cohort(
                session=session,
                team_id=team_id,
                cohort_id=int(cohort_id) if isinstance(cohort_id, int) else 0,
                actor=actor,
                reason=reason,
                now=services.now(),
            )
        ack()
        client.chat_postMessage(channel=actor, text=text)

    @app.action(ids.COHORT_REOPEN)
    def on_reopen_clicked(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        actor, team_id = _actor(body), _team(body)
        if not services.is_coordinator(actor, team_id):
            client.chat_postMessage(channel=actor, text=NOT_A_COORDINATOR)
            return
        cohort_id = int(action["value"]) if str(action.get("value", "")).isdigit() else 0
        with services.sessions() as session:
            text = cohort_lifecycle.reopen_cohort(
                session=session, team_id=team_id, cohort_id=cohort_id, actor=actor, now=services.now()
            )
        client.chat_postMessage(channel=actor, text=text)
