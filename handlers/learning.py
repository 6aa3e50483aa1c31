"""Coordinator surface for learning from past cohorts: the program modal's offer, learn, apply, revert.

Every click and submission is re-checked against the coordinator list. Learning runs after the ack (it
fits a model and plans the next round twice) and reports by updating the pushed modal; the chart of each
factor's learned effect goes to the coordinator's DM.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from bot import ids, learning
from bot.cohorts import current_cohort
from bot.learning_chart import effects_chart
from bot.matching.learn import NotEnoughOutcomes
from bot.matching.model import PairModel
from bot.services import Services
from bot.views.coordinator import refusal_view
from bot.views.learning import message_modal, offer_blocks, running_modal
from handlers.commands import CommandRouter
from handlers.payload import first_submission
from handlers.payload import team_id as _team_id
from handlers.payload import user_id as _user_id
from handlers.payload import view_metadata as _metadata
from storage import coordination
from storage.models import Cohort

log = logging.getLogger(__name__)


def add_learning_offer(
    view: dict[str, Any], opened: dict[str, Any], *, client: WebClient, services: Services, team_id: str
) -> None:
    """Append the learning section to a program modal already open (labelling every closed pair takes a moment,
    and the modal must open within the trigger's 3 seconds).

    The update keeps every input block as it was, so what the coordinator typed meanwhile stays; ``hash``
    makes Slack refuse it if the view changed in between, and then the section is left out.
    """
    cohort_id = _metadata(view).get("cohort_id")
    with services.sessions() as session:
        if isinstance(cohort_id, int):
            cohort: Cohort | None = coordination.get_cohort(session=session, team_id=team_id, cohort_id=cohort_id)
        else:  # a new cohort's form: speak of the open cohort the next round would use, without creating one
            cohort = (coordination.list_cohorts(session=session, team_id=team_id) or [None])[-1]
        data = learning.offer_data(
            session=session,
            team_id=team_id,
            cohort_id=cohort.id if cohort is not None else None,
            cohort_name=cohort.name if cohort is not None else "the current cohort",
            minimum=services.learn_minimum,
        )
    updated = {**view, "blocks": [*view["blocks"], *offer_blocks(data)][:100]}
    try:
        client.views_update(view_id=opened["id"], hash=opened.get("hash"), view=updated)
    except SlackApiError as exc:  # the coordinator already moved on (hash_conflict) or closed it
        log.info("learning offer not added view=%s error=%s", opened.get("id"), exc.response.get("error"))


def _cohort_for(session: Session, team_id: str, value: str, services: Services) -> Cohort:
    if value.isdigit():
        cohort = session.get(Cohort, int(value))
        if cohort is not None and cohort.team_id == team_id:
            return cohort
    return current_cohort(session=session, team_id=team_id, now=services.now())


def register(app: App, services: Services, router: CommandRouter) -> None:
    """Attach the learning actions and the results modal's submission."""

    @app.action(ids.LEARN_OPEN)
    def on_learn_clicked(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        actor, team_id = _user_id(body), _team_id(body)
        if not services.is_coordinator(actor, team_id):
            log.warning("forged learn click refused user=%s", actor)
            client.views_push(trigger_id=body["trigger_id"], view=refusal_view())
            return
        pushed = client.views_push(trigger_id=body["trigger_id"], view=running_modal())
        view_id = pushed["view"]["id"]
        model: PairModel | None = None
        try:
            with services.sessions() as session:
                cohort = _cohort_for(session, team_id, str(action.get("value") or ""), services)
                row = learning.learn_for_cohort(
                    session=session,
                    team_id=team_id,
                    cohort_id=int(cohort.id or 0),
                    actor=actor,
                    now=services.now(),
                    minimum=services.learn_minimum,
                )
                view = learning.results_view(row, cohort_name=cohort.name)
                model = PairModel.from_json(row.model)
        except NotEnoughOutcomes as exc:
            view = message_modal(f":hourglass_flowing_sand: Not yet: {exc}.")
        except Exception:
            log.exception("learning from past cohorts failed team=%s", team_id)
            view = message_modal(":warning: Sorry, learning failed; see the logs. Nothing was changed.")
        client.views_update(view_id=view_id, view=view)
        if model is not None:
            channel = str(client.conversations_open(users=actor)["channel"]["id"])
            client.files_upload_v2(
                channel=channel,
                content=effects_chart(model, title="What made pairs work in your program"),
                filename="learned-effects.png",
                title="Each factor's learned effect",
                initial_comment="What made pairs work, factor by factor: the odds of a good outcome against an "
                "average pair, across the values your past pairs had. Nothing is applied until you choose to.",
                request_file_info=False,
            )

    @app.view(ids.LEARN_VIEW)
    def on_learn_applied(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        actor, team_id = _user_id(body), _team_id(body)
        if not services.is_coordinator(actor, team_id):
            log.warning("forged model apply refused user=%s", actor)
            ack(response_action="update", view=refusal_view())
            return
        model_id = _metadata(view).get("model_id")
        if not isinstance(model_id, int):
            ack(response_action="update", view=message_modal("That preview has expired; learn again to apply."))
            return
        if not first_submission(services, body):
            ack(response_action="update", view=message_modal("Already applied."))
            return
        with services.sessions() as session:
            change = learning.apply_model(
                session=session, team_id=team_id, model_id=model_id, actor=actor, now=services.now()
            )
        text = (
            f":white_check_mark: {change.text} Its next round uses it; every pair still gets its reasons. "
            f"You can revert from `/mentor program {change.cohort_name}`."
            if change.done
            else change.text
        )
        ack(response_action="update", view=message_modal(text))

    @app.action(ids.LEARN_REVERT)
    def on_revert_clicked(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        actor, team_id = _user_id(body), _team_id(body)
        if not services.is_coordinator(actor, team_id):
            log.warning("forged model revert refused user=%s", actor)
            client.views_push(trigger_id=body["trigger_id"], view=refusal_view())
            return
        with services.sessions() as session:
            cohort = _cohort_for(session, team_id, str(action.get("value") or ""), services)
            change = learning.revert_model(
                session=session, team_id=team_id, cohort_id=int(cohort.id or 0), actor=actor, now=services.now()
            )
        text = f":leftwards_arrow_with_hook: {change.text}" if change.done else change.text
        client.views_push(trigger_id=body["trigger_id"], view=message_modal(text))
