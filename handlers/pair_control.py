"""Coordinators' pair control in Slack: ``/mentor pairs``, the pair card, the action modals, one-click notes,
the freed-place offers and the bulk actions.

Every click and submission is checked against the coordinator list and the workspace; every action names the
pair's version it was shown, and a submission is stored before it is acknowledged (messages follow the ack).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from bot import deferred, ids
from bot import pair_control as control
from bot.dispatch import Dispatcher
from bot.lifecycle import forms as journey_forms
from bot.services import Services
from bot.views import coordinator as coordinator_views
from bot.views import pairs as views
from handlers.commands import NOT_A_COORDINATOR, CommandContext, CommandRouter
from handlers.home import publish_home
from handlers.payload import MENTION
from handlers.payload import team_id as _team_id
from handlers.payload import user_id as _user_id
from handlers.payload import view_metadata as _metadata
from handlers.submission import STORE_SECONDS, failure_response, submission_key
from storage import coordination as coordination_store
from storage import journey as journeys
from storage import pair_control as store
from storage.db import bounded_transaction
from storage.vocab import EndReason, PairStatus

log = logging.getLogger(__name__)
NOT_HERE = "That pair doesn't exist in this workspace, so nothing was changed."
R = TypeVar("R")  # what a submission's write returns
ACTION_IDS = {
    ids.PAIR_DO_END: "end",
    ids.PAIR_DO_REMATCH: "rematch",
    ids.PAIR_DO_REASSIGN: "reassign",
    ids.PAIR_DO_PAUSE: "pause",
    ids.PAIR_DO_RESUME: "resume",
    ids.PAIR_DO_EXTEND: "extend",
    ids.PAIR_DO_MESSAGE: "message",
    ids.PAIR_DO_NUDGE: "nudge",
}
# The App Home's older at-risk buttons (value: the pair id) open the same actions.
LEGACY_IDS = {
    ids.COORD_PAIR_NUDGE: "nudge",
    ids.COORD_PAIR_MESSAGE: "message",
    ids.COORD_PAIR_PAUSE: "pause",
    ids.COORD_PAIR_END: "end",
    ids.COORD_PAIR_REMATCH: "rematch",
}


def parse_token(value: str) -> tuple[int, int | None, str]:
    """``pair_id:version[:extra]`` from a button (version None when the button carries only the id)."""
    head, _, rest = str(value or "").partition(":")
    version, _, extra = rest.partition(":")
    if not head.isdigit():
        return 0, None, ""
    return int(head), int(version) if version.isdigit() else None, extra


def _value(values: dict[str, Any], block_id: str) -> dict[str, Any]:
    return (values.get(block_id) or {}).get(ids.INPUT) or {}


def _text(values: dict[str, Any], block_id: str) -> str:
    return str(_value(values, block_id).get("value") or "").strip()


def _selected(values: dict[str, Any], block_id: str) -> str:
    return str((_value(values, block_id).get("selected_option") or {}).get("value") or "")


def _in_modal(body: dict[str, Any]) -> bool:
    return (body.get("view") or {}).get("type") == "modal"


def filter_for(session: Session, team_id: str, args: str) -> tuple[store.PairFilter, str, dict[str, Any]] | str:
    """What ``/mentor pairs [@person | at-risk | cohort name | all]`` asks for, or why it cannot be read."""
    text = args.strip()
    lowered = text.lower().replace(" ", "-")
    open_statuses = (PairStatus.ACTIVE, PairStatus.PAUSED, PairStatus.AT_RISK)
    if not text:
        return store.PairFilter(statuses=open_statuses), "Open pairs", {"filter": "open"}
    if lowered == "all":
        return store.PairFilter(), "All pairs", {"filter": "all"}
    if lowered in ("at-risk", "risk", "atrisk"):
        return store.PairFilter(statuses=(PairStatus.AT_RISK,)), "Pairs at risk", {"filter": "at_risk"}
    person = MENTION.search(text)
    if person:
        user_id = person.group(1)
        return store.PairFilter(user_id=user_id), f"Pairs of <@{user_id}>", {"filter": "person", "user": user_id}
    cohort = coordination_store.find_cohort_by_name(session=session, team_id=team_id, name=text)
    if cohort is None:
        return (
            f"No cohort is called “{views.escape(text)}”. Try `/mentor pairs`, `/mentor pairs all`, "
            "`/mentor pairs at-risk`, `/mentor pairs @person` or a cohort's name."
        )
    return (
        store.PairFilter(cohort_id=cohort.id),
        f"Pairs of {views.escape(cohort.name)}",
        {"filter": "cohort", "cohort": cohort.id, "name": cohort.name},
    )


def filter_from_meta(meta: dict[str, Any]) -> tuple[store.PairFilter, str, dict[str, Any]]:
    """Rebuild the list's filter from its modal's metadata."""
    kind = meta.get("filter")
    keep = {k: meta[k] for k in ("filter", "user", "cohort", "name") if k in meta}
    if kind == "all":
        return store.PairFilter(), "All pairs", keep
    if kind == "at_risk":
        return store.PairFilter(statuses=(PairStatus.AT_RISK,)), "Pairs at risk", keep
    if kind == "person" and isinstance(meta.get("user"), str):
        return store.PairFilter(user_id=meta["user"]), f"Pairs of <@{meta['user']}>", keep
    if kind == "cohort" and isinstance(meta.get("cohort"), int):
        return store.PairFilter(cohort_id=meta["cohort"]), f"Pairs of {views.escape(str(meta.get('name', '')))}", keep
    return (
        store.PairFilter(statuses=(PairStatus.ACTIVE, PairStatus.PAUSED, PairStatus.AT_RISK)),
        "Open pairs",
        {"filter": "open"},
    )


def register(app: App, services: Services, router: CommandRouter) -> None:  # noqa: C901 - one listener per surface
    """Attach ``/mentor pairs``, the card, the pair actions, notes and bulk actions."""
    control.register_prompt_kinds()

    def is_coordinator(body: dict[str, Any]) -> bool:
        return services.is_coordinator(_user_id(body), _team_id(body))

    def list_view(
        team_id: str, wanted: store.PairFilter, title: str, meta: dict[str, Any], page: int
    ) -> dict[str, Any]:
        with services.sessions() as session:
            rows, total = store.list_pairs(
                session=session, team_id=team_id, wanted=wanted, page=page, per_page=views.PER_PAGE
            )
            facts = store.pair_facts(session=session, pair_ids=[int(p.id or 0) for p in rows])
        return views.list_modal(
            rows=[(p, facts[int(p.id or 0)]) for p in rows],
            title=title,
            page=page,
            total=total,
            filter_meta=meta,
            now=services.now(),
            bulk=meta.get("filter") == "at_risk",
        )

    def show(client: WebClient, body: dict[str, Any], view: dict[str, Any]) -> None:
        """Push over the modal the click came from (in its place when three are stacked already, Slack's limit),
        else open a new one (App Home, a DM)."""
        trigger = str(body.get("trigger_id", ""))
        current_view = body.get("view") or {}
        try:
            if not _in_modal(body):
                client.views_open(trigger_id=trigger, view=view)
            elif current_view.get("previous_view_id") and current_view["previous_view_id"] != current_view.get(
                "root_view_id"
            ):
                client.views_update(view_id=current_view["id"], view=view)
            else:
                client.views_push(trigger_id=trigger, view=view)
        except SlackApiError as exc:
            log.warning("pair control view failed error=%s", exc.response.get("error"))

    def tell(client: WebClient, user_id: str, text: str) -> None:
        client.chat_postMessage(channel=user_id, text=text)

    def card(team_id: str, pair_id: int, notice: str = "") -> dict[str, Any]:
        with services.sessions() as session:
            return control.card_view(
                session=session, team_id=team_id, pair_id=pair_id, now=services.now(), notice=notice
            )

    # ------------------------------------------------------------------ /mentor pairs

    def pairs_command(ctx: CommandContext) -> None:
        with services.sessions() as session:
            found = filter_for(session, ctx.team_id, ctx.args)
        if isinstance(found, str):
            ctx.reply(found)
            return
        ctx.ack()
        wanted, title, meta = found
        ctx.client.views_open(trigger_id=ctx.trigger_id, view=list_view(ctx.team_id, wanted, title, meta, 0))

    router.add(
        "pairs",
        pairs_command,
        help="every pair with its status and history, and actions on any pair",
        usage="/mentor pairs [@person | at-risk | cohort name | all]",
        coordinator=True,
    )

    @app.action(ids.PAIRS_PAGE)
    @app.action(ids.PAIRS_PAGE_NEXT)
    def on_page_clicked(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        if not is_coordinator(body):
            return
        meta = _metadata(body.get("view"))
        wanted, title, keep = filter_from_meta(meta)
        page = int(action["value"]) if str(action.get("value", "")).isdigit() else 0
        client.views_update(view_id=body["view"]["id"], view=list_view(_team_id(body), wanted, title, keep, page))

    @app.action(ids.PAIRS_FIND)
    def on_person_chosen(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        if not is_coordinator(body):
            return
        user_id = str(action.get("selected_user") or "")
        if not user_id:
            return
        meta = {"filter": "person", "user": user_id}
        view = list_view(_team_id(body), store.PairFilter(user_id=user_id), f"Pairs of <@{user_id}>", meta, 0)
        client.views_update(view_id=body["view"]["id"], view=view)

    @app.action(ids.PAIRS_OPEN)
    def on_open_clicked(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        actor = _user_id(body)
        if not is_coordinator(body):
            log.warning("pair card refused user=%s", actor)
            tell(client, actor, NOT_A_COORDINATOR)
            return
        pair_id, _, _ = parse_token(str(action.get("value", "")))
        try:
            view = card(_team_id(body), pair_id)
        except control.PairGone:
            tell(client, actor, NOT_HERE)
            return
        show(client, body, view)

    # ------------------------------------------------------------------ a pair action: open its modal

    def action_modal(team_id: str, kind: str, pair_id: int, version: int | None, extra: str) -> dict[str, Any]:
        now = services.now()
        with services.sessions() as session:
            pair = control.current(session=session, team_id=team_id, pair_id=pair_id)
            if pair.status == PairStatus.CLOSED:
                return control.card_view(
                    session=session,
                    team_id=team_id,
                    pair_id=pair_id,
                    now=now,
                    notice=":information_source: This pair has already ended, so nothing more can be done to it.",
                )
            if version is not None and version != pair.version:
                change = store.last_change(session=session, team_id=team_id, pair_id=pair_id)
                return control.card_view(
                    session=session,
                    team_id=team_id,
                    pair_id=pair_id,
                    now=now,
                    notice=control.changed_notice(change, pair),
                )
            reason = extra if extra in EndReason.__members__.values() else ""
            if kind == "end":
                return views.end_modal(pair, reason=reason or EndReason.COMPLETED)
            if kind == "rematch":
                proposal = control.rematch_proposal(session=session, team_id=team_id, pair_id=pair_id, now=now)
                names = _names(session, team_id, [c.user_id for c in proposal.candidates])
                return views.rematch_modal(pair, proposal, names=names, reason=reason or EndReason.NOT_A_FIT)
            if kind == "reassign":
                return views.reassign_modal(pair)
            if kind == "pause":
                return views.pause_modal(pair) if pair.status != PairStatus.PAUSED else views.resume_modal(pair)
            if kind == "resume":
                return views.resume_modal(pair) if pair.status == PairStatus.PAUSED else views.pause_modal(pair)
            if kind == "extend":
                journey = journeys.get_journey(session=session, pair_id=pair_id)
                return views.extend_modal(pair, journey.ends_at.date() if journey else None)
            if kind == "message":
                return views.message_modal(pair)
            journey = journeys.get_journey(session=session, pair_id=pair_id)
            return views.nudge_modal(pair, control.quiet_side(pair, journey))

    def on_pair_action(kind_of: dict[str, str]) -> Callable[..., None]:
        def listener(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
            ack()
            actor = _user_id(body)
            if not is_coordinator(body):
                log.warning("forged pair action refused user=%s action=%s", actor, action.get("action_id"))
                tell(client, actor, NOT_A_COORDINATOR)
                return
            pair_id, version, extra = parse_token(str(action.get("value", "")))
            try:
                view = action_modal(_team_id(body), kind_of[str(action.get("action_id"))], pair_id, version, extra)
            except control.PairGone:
                log.warning("pair action on a pair of another workspace user=%s pair=%s", actor, pair_id)
                tell(client, actor, NOT_HERE)
                return
            show(client, body, view)

        return listener

    for action_id in ACTION_IDS:
        app.action(action_id)(on_pair_action(ACTION_IDS))
    for action_id in LEGACY_IDS:
        app.action(action_id)(on_pair_action(LEGACY_IDS))

    # ------------------------------------------------------------------ a pair action: the submission

    def store_then_ack(
        ack: Ack,
        body: dict[str, Any],
        write: Callable[[Session], R],
        *,
        answer: Callable[[R], str],
        again: Callable[..., dict] | None = None,
    ) -> R | None:
        """Validate and write in one transaction, then acknowledge with ``answer(done)``.

        The submission is claimed first, in the same transaction: a double click is acknowledged and does nothing
        (claimed after the write, as ``handlers.submission`` does, the second click would find the pair's version
        moved on and be told someone changed it).
        """
        team_id, view = _team_id(body), body.get("view") or {}
        key = submission_key(body)
        meta = _metadata(view)
        try:
            with deferred.hold() as pending, bounded_transaction(services.engine, seconds=STORE_SECONDS) as session:
                if key is not None and not store.claim_submission(session=session, team_id=team_id, key=key):
                    ack()
                    return None
                done = write(session)
                session.commit()  # the session's savepoint: the transaction commits as the block ends
        except control.Refused as exc:
            general = exc.errors.pop("", None)
            if general or not exc.errors:
                ack(response_action="update", view=_problem(team_id, int(meta.get("pair_id") or 0), general or ""))
            else:
                ack(response_action="errors", errors=exc.errors)
            return None
        except control.PairChanged as exc:
            ack(
                response_action="update",
                view=_problem(team_id, int(exc.pair.id or 0), control.changed_notice(exc.change, exc.pair)),
            )
            return None
        except control.PairEnded as exc:
            notice = ":information_source: This pair has already ended, so nothing was changed."
            ack(response_action="update", view=_problem(team_id, int(exc.pair.id or 0), notice))
            return None
        except control.PairGone:
            ack(response_action="update", view=views.problem_view(NOT_HERE))
            return None
        except control.ProposalChanged as exc:
            ack(response_action="update", view=again(exc) if again else views.problem_view(exc.why))
            return None
        except Exception:  # noqa: BLE001 - whatever failed, nothing was stored and the coordinator must hear it
            log.exception("pair action not stored callback=%s", view.get("callback_id"))
            ack(**failure_response(view))  # the modal stays open with what was typed
            return None
        ack(response_action="update", view=views.result_view(answer(done)))
        deferred.run(pending)
        return done

    def _problem(team_id: str, pair_id: int, text: str) -> dict[str, Any]:
        try:
            with services.sessions() as session:
                data = control.card_data(session=session, team_id=team_id, pair_id=pair_id, now=services.now())
        except control.PairGone:
            return views.problem_view(text or NOT_HERE)
        return views.problem_view(text, data)

    def follow_up(client: WebClient, body: dict[str, Any], done: control.Done) -> None:
        """After the ack: messages, new pairs' journeys, the freed places, and the card beneath brought up to date."""
        for work in done.after:
            work()
        team_id = _team_id(body)
        if done.start:
            control.start_pairs(services, done.start)
        elif done.freed:
            Dispatcher(services, owner=f"pairs-{team_id}").tick(services.now())
        try:
            publish_home(services, client, team_id=team_id, user_id=_user_id(body))
        except SlackApiError as exc:
            log.info("home refresh skipped error=%s", exc.response.get("error"))
        previous = (body.get("view") or {}).get("previous_view_id")
        if previous:
            try:
                client.views_update(view_id=previous, view=card(team_id, int(done.pair.id or 0)))
            except (SlackApiError, control.PairGone) as exc:
                log.info("card refresh skipped error=%s", getattr(exc, "response", {}) or type(exc).__name__)

    @app.view(ids.PAIR_CONTROL_VIEW)
    def on_pair_action_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        actor, team_id = _user_id(body), _team_id(body)
        if not is_coordinator(body):
            log.warning("forged pair action submission refused user=%s", actor)
            ack(response_action="update", view=coordinator_views.refusal_view())
            return
        meta = _metadata(view)
        values = (view.get("state") or {}).get("values") or {}
        kind = str(meta.get("action", ""))
        pair_id = meta.get("pair_id") if isinstance(meta.get("pair_id"), int) else 0
        version = meta.get("version") if isinstance(meta.get("version"), int) else -1
        now = services.now()
        common = {
            "services": services,
            "team_id": team_id,
            "actor": actor,
            "pair_id": pair_id,
            "version": version,
            "now": now,
        }
        reason = _selected(values, ids.PAIR_CTL_REASON)
        other = _text(values, ids.PAIR_CTL_OTHER)
        note = _text(values, ids.PAIR_CTL_NOTE)
        errors: dict[str, str] = {}
        if kind in ("end", "rematch", "reassign"):
            if reason not in views.END_CHOICES:
                errors[ids.PAIR_CTL_REASON] = "Choose a reason."
            elif reason == EndReason.OTHER and not other:
                errors[ids.PAIR_CTL_OTHER] = "Say why, in a few words (kept in the audit log only)."
        write: Callable[[Session], control.Done]
        again = None
        if kind == "end":

            def write(session: Session) -> control.Done:
                return control.end_pair(session=session, reason=reason, note=other, **common)

        elif kind == "rematch":
            offered = [str(u) for u in meta.get("offered") or []]
            chosen = _selected(values, ids.PAIR_CTL_CHOICE) or (offered[0] if offered else "")
            if offered and chosen not in offered:
                errors[ids.PAIR_CTL_CHOICE] = "Choose one of the proposed mentors."

            def write(session: Session) -> control.Done:
                return control.rematch_pair(session=session, mentor_id=chosen or None, reason=reason, **common)

            def again(exc: control.ProposalChanged) -> dict[str, Any]:
                with services.sessions() as session:
                    pair = control.current(session=session, team_id=team_id, pair_id=pair_id)
                    names = _names(session, team_id, [c.user_id for c in exc.proposal.candidates])
                notice = f":warning: The proposal changed: {exc.why}. Here is the best available now."
                return views.rematch_modal(pair, exc.proposal, names=names, reason=reason, notice=notice)

        elif kind == "reassign":
            mentor = str(_value(values, ids.PAIR_CTL_MENTOR).get("selected_user") or "")
            if not mentor:
                errors[ids.PAIR_CTL_MENTOR] = "Choose the new mentor."
            override = _text(values, ids.PAIR_CTL_OVERRIDE)

            def write(session: Session) -> control.Done:
                return control.reassign_pair(
                    session=session, mentor_id=mentor, override=override, reason=reason, **common
                )

        elif kind == "pause":
            until = _date(_value(values, ids.PAIR_CTL_UNTIL).get("selected_date"))
            problems = journey_forms.validate_pause(until, today=now.date())
            if problems:
                errors[ids.PAIR_CTL_UNTIL] = next(iter(problems.values()))

            def write(session: Session) -> control.Done:
                return control.pause_pair(session=session, until=until, reason=note, **common)

        elif kind == "resume":

            def write(session: Session) -> control.Done:
                return control.resume_pair(session=session, reason=note, **common)

        elif kind == "extend":
            months = _selected(values, ids.PAIR_CTL_MONTHS)
            if not months.isdigit() or not 1 <= int(months) <= 12:
                errors[ids.PAIR_CTL_MONTHS] = "Choose 1 to 12 months."

            def write(session: Session) -> control.Done:
                return control.extend_pair(session=session, months=int(months), reason=note, **common)

        elif kind == "message":
            message = _text(values, ids.PAIR_CTL_MESSAGE)
            if not message:
                errors[ids.PAIR_CTL_MESSAGE] = "Write the message to send."

            def write(session: Session) -> control.Done:
                return control.message_pair(session=session, message=message, **common)

        elif kind == "nudge":

            def write(session: Session) -> control.Done:
                return control.nudge_pair(session=session, reason=note, **common)

        else:
            ack(response_action="update", view=views.problem_view("That action doesn't exist, so nothing was changed."))
            return
        if errors:
            ack(response_action="errors", errors=errors)
            return

        def write_and_offer(session: Session) -> control.Done:
            done = write(session)
            if done.freed:
                control.schedule_freed_places(session=session, pair=done.pair, freed=done.freed, now=now)
            return done

        done = store_then_ack(ack, body, write_and_offer, answer=lambda done: done.text, again=again)
        if done is not None:
            follow_up(client, body, done)

    # ------------------------------------------------------------------ one-click actions in coordinators' notes

    def replace_note(client: WebClient, body: dict[str, Any], text: str, pair_id: int | None = None) -> None:
        """The note's buttons give way to what was done (and the card, where the pair's current actions are)."""
        channel = str((body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id") or "")
        ts = str((body.get("message") or {}).get("ts") or (body.get("container") or {}).get("message_ts") or "")
        blocks = [views.section(text)]
        if pair_id:
            blocks.append(views.actions(views.button("Open pair card", ids.PAIRS_OPEN, value=str(pair_id))))
        if channel and ts:
            try:
                client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)
                return
            except SlackApiError as exc:
                log.info("note update failed error=%s", exc.response.get("error"))
        tell(client, _user_id(body), text)

    def one_click(act: Callable[[Session, str, str, dict[str, Any]], control.Done]) -> Callable[..., None]:
        def listener(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
            ack()
            actor, team_id = _user_id(body), _team_id(body)
            if not is_coordinator(body):
                log.warning("forged one-click pair action refused user=%s action=%s", actor, action.get("action_id"))
                tell(client, actor, NOT_A_COORDINATOR)
                return
            try:
                with services.sessions() as session:
                    done = act(session, team_id, actor, action)
                    if done.freed:
                        control.schedule_freed_places(
                            session=session, pair=done.pair, freed=done.freed, now=services.now()
                        )
                    session.commit()
            except control.PairChanged as exc:
                tell(
                    client,
                    actor,
                    control.changed_notice(exc.change, exc.pair).replace(
                        "Here is its current state.", "Open its card for its current state."
                    ),
                )
                return
            except control.PairEnded:
                tell(client, actor, "That pair has already ended, so nothing was changed.")
                return
            except control.PairGone:
                tell(client, actor, NOT_HERE)
                return
            except control.Refused as exc:
                tell(client, actor, ":warning: " + " ".join(exc.errors.values()))
                return
            replace_note(client, body, f":white_check_mark: <@{actor}>: {done.text}", int(done.pair.id or 0))
            follow_up(client, {"team": {"id": team_id}, "user": {"id": actor}}, done)

        return listener

    def talk(session: Session, team_id: str, actor: str, action: dict[str, Any]) -> control.Done:
        pair_id, version, raised_by = parse_token(str(action.get("value", "")))
        return control.talk_first(
            session=session,
            services=services,
            team_id=team_id,
            actor=actor,
            pair_id=pair_id,
            version=-1 if version is None else version,
            raised_by=raised_by,
            now=services.now(),
        )

    def undo(session: Session, team_id: str, actor: str, action: dict[str, Any]) -> control.Done:
        parts = str(action.get("value", "")).split(":")
        if len(parts) != 4 or not parts[0].isdigit() or not parts[1].isdigit():
            raise control.PairGone("bad value")
        new_id = int(parts[2]) if parts[2].isdigit() else None
        return control.undo_rematch(
            session=session,
            services=services,
            team_id=team_id,
            actor=actor,
            old_id=int(parts[0]),
            old_version=int(parts[1]),
            new_id=new_id,
            now=services.now(),
        )

    app.action(ids.PAIR_DO_TALK)(one_click(talk))
    app.action(ids.PAIR_DO_UNDO)(one_click(undo))

    # ------------------------------------------------------------------ a freed place: pair them, or not now

    @app.action(ids.PAIR_DO_FILL)
    def on_fill_clicked(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        actor, team_id = _user_id(body), _team_id(body)
        if not is_coordinator(body):
            log.warning("forged fill refused user=%s", actor)
            tell(client, actor, NOT_A_COORDINATOR)
            return
        mentor, mentee, cohort = (str(action.get("value", "")).split("|") + ["", "", ""])[:3]
        try:
            with services.sessions() as session:
                pair = control.fill_place(
                    session=session,
                    team_id=team_id,
                    actor=actor,
                    mentor_id=mentor,
                    mentee_id=mentee,
                    cohort_id=int(cohort) if cohort.isdigit() else None,
                    now=services.now(),
                )
                session.commit()
        except control.Refused as exc:
            replace_note(client, body, ":information_source: " + " ".join(exc.errors.values()))
            return
        replace_note(
            client,
            body,
            f":white_check_mark: <@{actor}> paired <@{mentee}> with <@{mentor}>. Their group DM opens now.",
        )
        control.start_pairs(services, [pair])

    @app.action(ids.PAIR_DO_FILL_SKIP)
    def on_fill_skipped(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        if not is_coordinator(body):
            tell(client, _user_id(body), NOT_A_COORDINATOR)
            return
        mentor = str(action.get("value", "")).split("|")[0]
        replace_note(client, body, f"Left open by <@{_user_id(body)}>: <@{mentor}>'s place waits for the next round.")

    # ------------------------------------------------------------------ bulk

    @app.action(ids.PAIRS_BULK_NUDGE)
    @app.action(ids.PAIRS_BULK_END)
    def on_bulk_clicked(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        actor = _user_id(body)
        if not is_coordinator(body):
            log.warning("forged bulk action refused user=%s", actor)
            tell(client, actor, NOT_A_COORDINATOR)
            return
        if action.get("action_id") == ids.PAIRS_BULK_END:
            show(client, body, views.bulk_end_ask())
            return
        with services.sessions() as session:
            items = control.bulk_candidates(session=session, team_id=_team_id(body), now=services.now())
        show(client, body, views.bulk_nudge_confirm(items))

    @app.view(ids.PAIRS_BULK_VIEW)
    def on_bulk_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        actor, team_id = _user_id(body), _team_id(body)
        if not is_coordinator(body):
            log.warning("forged bulk submission refused user=%s", actor)
            ack(response_action="update", view=coordinator_views.refusal_view())
            return
        meta = _metadata(view)
        now = services.now()
        if meta.get("bulk") == "end_ask":
            raw = _value((view.get("state") or {}).get("values") or {}, ids.PAIR_CTL_WEEKS).get("value")
            weeks = int(raw) if str(raw or "").isdigit() else 0
            if not 1 <= weeks <= 52:
                ack(response_action="errors", errors={ids.PAIR_CTL_WEEKS: "A whole number of weeks from 1 to 52."})
                return
            with services.sessions() as session:
                items = control.bulk_candidates(session=session, team_id=team_id, now=now, min_weeks=weeks)
            ack(response_action="update", view=views.bulk_end_confirm(items, weeks))
            return
        kind = meta.get("bulk")
        items = [(int(i[0]), int(i[1])) for i in meta.get("items") or [] if isinstance(i, list) and len(i) == 2]
        if kind not in ("nudge", "end") or not items:
            ack(response_action="update", view=views.problem_view("Nothing to do, so nothing was changed."))
            return
        weeks = int(meta.get("weeks") or 0)

        def act(session: Session) -> control.BulkDone:
            def one(pair_id: int, version: int) -> control.Done:
                args = {"session": session, "services": services, "team_id": team_id, "actor": actor}
                if kind == "nudge":
                    return control.nudge_pair(**args, pair_id=pair_id, version=version, reason="bulk nudge", now=now)
                done = control.end_pair(
                    **args,
                    pair_id=pair_id,
                    version=version,
                    reason=EndReason.INACTIVE,
                    note=f"bulk: inactive {weeks}+ weeks",
                    now=now,
                )
                control.schedule_freed_places(session=session, pair=done.pair, freed=done.freed, now=now)
                return done

            return control.bulk_apply(session=session, items=items, act=one)

        def summary(result: control.BulkDone) -> str:
            verb = "Nudged" if kind == "nudge" else "Ended"
            text = f"{verb} {views.counted(len(result.done), 'pair')}."
            if result.skipped:
                text += f" Left out {views.counted(len(result.skipped), 'pair')} that changed meanwhile: " + ", ".join(
                    f"#{p}" for p in result.skipped
                )
            return text

        result = store_then_ack(ack, body, act, answer=summary)
        if result is None:
            return
        for done in result.done:
            for work in done.after:
                work()
        if kind == "end" and result.done:
            Dispatcher(services, owner=f"pairs-{team_id}").tick(services.now())


def _names(session: Session, team_id: str, user_ids: list[str]) -> dict[str, str]:
    from bot import people

    found = people.load_profiles(session=session, team_id=team_id, user_ids=user_ids)
    return {uid: (participant.display_name or uid) for uid, (participant, _, _) in found.items()}


def _date(text: Any) -> date | None:
    try:
        return date.fromisoformat(str(text)) if text else None
    except ValueError:
        return None


__all__ = ["json", "parse_token"]
