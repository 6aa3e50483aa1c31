"""Scheduling in Slack: "Find a time", slot buttons, Confirm, Suggest other times, Reschedule, Cancel, "Did you
meet?", and the ``/mentor meet`` and ``/mentor away`` subcommands.

Each listener acks first, checks the clicker is one of the pair, acts through ``bot.scheduling`` (which commits
and queues messages in the outbox), then ticks the dispatcher so the pair sees the result at once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import ids, people
from bot.dispatch import Dispatcher
from bot.lifecycle import overview
from bot.lifecycle import pairs as pair_info
from bot.scheduling import away, booking
from bot.services import Services
from bot.views import journey as journey_views
from bot.views import meet as views
from handlers.commands import CommandContext, CommandRouter
from handlers.home import publish_home
from handlers.payload import team_id as _team_id
from handlers.payload import tell_privately as _tell
from handlers.payload import user_id as _user_id
from storage import journey as store
from storage import scheduling as schedule_store
from storage.models import Pair
from storage.vocab import MeetOutcome, PairStatus

log = logging.getLogger(__name__)
NOT_IN_PAIR = "That button belongs to another pair."
NOT_OPEN = "This mentorship isn't active right now, so there is nothing to book."


def _value(body: dict[str, Any]) -> str:
    return str(((body.get("actions") or [{}])[0]).get("value") or "")


def _split(value: str) -> tuple[int | None, int | None, int | None]:
    """'pair|item:index' -> (pair, item, index); missing parts are None."""
    head, _, rest = value.partition("|")
    item, _, index = rest.partition(":")
    return _as_int(head), _as_int(item), _as_int(index)


def _as_int(text: str) -> int | None:
    return int(text) if text.isdigit() else None


def _update(client: WebClient, body: dict[str, Any], message: dict[str, Any] | None) -> None:
    """Replace the clicked message (the proposal, the follow-up) so its buttons say what happened."""
    channel = str((body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id") or "")
    ts = str((body.get("message") or {}).get("ts") or (body.get("container") or {}).get("message_ts") or "")
    if not message or not channel or not ts:
        return
    try:
        client.chat_update(channel=channel, ts=ts, **message)
    except SlackApiError as exc:
        log.info("chat.update failed error=%s", exc.response.get("error"))


def register(app: App, services: Services, router: CommandRouter) -> None:  # noqa: C901 - one listener per surface
    """Attach the scheduling listeners and ``/mentor meet`` / ``/mentor away``."""
    booking.register_scheduling_kinds()

    def deliver(team_id: str) -> None:
        """Send what was just queued (proposals, invites) now rather than at the next scheduler tick."""
        Dispatcher(services, owner=f"meet-{team_id}").tick(services.now())

    def homes(client: WebClient, pair: Pair) -> None:
        for user_id in (pair.mentee_user_id, pair.mentor_user_id):
            try:
                publish_home(services, client, team_id=pair.team_id, user_id=user_id)
            except SlackApiError as exc:
                log.info("home publish failed error=%s", exc.response.get("error"))

    Handler = Callable[[WebClient, dict[str, Any], Pair, str, int | None, int | None], None]

    def pair_action(handler: Handler) -> Callable[..., None]:
        def listener(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
            ack()
            user_id = _user_id(body)
            pair_id, item, index = _split(_value(body))
            pair = None
            if pair_id is not None:
                with services.sessions() as session:
                    pair = store.get_pair(session=session, pair_id=pair_id)
            if pair is None or not pair_info.is_member(pair, user_id):
                _tell(client, body, user_id, NOT_IN_PAIR)
                return
            if pair.status not in pair_info.OPEN:
                _tell(client, body, user_id, NOT_OPEN)
                return
            handler(client, body, pair, user_id, item, index)

        return listener

    # ------------------------------------------------------------------ offering times

    def on_find_time_clicked(
        client: WebClient, body: dict[str, Any], pair: Pair, user_id: str, _item: int | None, _index: int | None
    ) -> None:
        with services.sessions() as session:
            booking.offer_times(session=session, pair=pair, user_id=user_id, now=services.now())
        deliver(pair.team_id)
        if not (body.get("channel") or {}).get("id"):  # clicked on App Home: say where the times are
            _tell(client, body, user_id, f"I've posted three times in your pair's conversation: <#{pair.channel_id}>.")

    def on_slot_clicked(
        client: WebClient, body: dict[str, Any], pair: Pair, user_id: str, item: int | None, index: int | None
    ) -> None:
        if item is None or index is None:
            return
        with services.sessions() as session:
            choice = booking.choose(
                session=session, pair=pair, proposal_id=item, index=index, user_id=user_id, now=services.now()
            )
            current = schedule_store.get_proposal(session=session, proposal_id=item)
        partner = pair_info.partner_of(pair, user_id)
        if choice.outcome in (booking.Outcome.PICKED, booking.Outcome.BOOKED, booking.Outcome.REFUSED):
            _update(client, body, choice.message)
        if choice.outcome == booking.Outcome.BOOKED:
            deliver(pair.team_id)
            homes(client, pair)
        elif choice.outcome == booking.Outcome.REFUSED:
            deliver(pair.team_id)
            _tell(client, body, user_id, "That time no longer fits one of you, so I've posted fresh times.")
        elif choice.outcome == booking.Outcome.OWN:
            _tell(client, body, user_id, f"You picked this one: waiting for <@{partner}> to confirm.")
        elif choice.outcome == booking.Outcome.LOST:
            who = current.picked_by if current is not None and current.picked_by else partner
            _tell(
                client,
                body,
                user_id,
                f"<@{who}> answered at the same moment, so your click didn't count. "
                "Have a look at the latest message in your pair's conversation.",
            )
        elif choice.outcome == booking.Outcome.STALE:
            _tell(client, body, user_id, "These times are no longer open: they were booked or replaced by newer ones.")

    def on_other_times_clicked(
        client: WebClient, body: dict[str, Any], pair: Pair, user_id: str, item: int | None, _index: int | None
    ) -> None:
        if item is None:
            return
        with services.sessions() as session:
            choice = booking.suggest_other(
                session=session, pair=pair, proposal_id=item, user_id=user_id, now=services.now()
            )
        if choice.outcome == booking.Outcome.STALE:
            _tell(client, body, user_id, "These times are no longer open: they were booked or replaced by newer ones.")
            return
        _update(client, body, choice.message)
        deliver(pair.team_id)

    # ------------------------------------------------------------------ the booking

    def on_reschedule_clicked(
        client: WebClient, body: dict[str, Any], pair: Pair, user_id: str, item: int | None, _index: int | None
    ) -> None:
        with services.sessions() as session:
            done = item is not None and booking.reschedule(
                session=session, pair=pair, booking_id=item, user_id=user_id, now=services.now()
            )
        if not done:
            _tell(client, body, user_id, "This meeting was cancelled or moved already.")
            return
        deliver(pair.team_id)

    def on_cancel_clicked(
        client: WebClient, body: dict[str, Any], pair: Pair, user_id: str, item: int | None, _index: int | None
    ) -> None:
        with services.sessions() as session:
            done = item is not None and booking.cancel(
                session=session, pair=pair, booking_id=item, user_id=user_id, now=services.now()
            )
        if not done:
            _tell(client, body, user_id, "This meeting was already cancelled.")
            return
        deliver(pair.team_id)
        homes(client, pair)

    # ------------------------------------------------------------------ "Did you meet?"

    def on_did_meet_clicked(
        client: WebClient, body: dict[str, Any], pair: Pair, user_id: str, item: int | None, _index: int | None
    ) -> None:
        if item is None:
            return
        with services.sessions() as session:
            found = schedule_store.get_booking(session=session, booking_id=item)
            goals = store.get_goals(session=session, pair_id=int(pair.id or 0))
            saved = people.load_profile(session=session, team_id=pair.team_id, user_id=user_id)
        if found is None or found.pair_id != pair.id:
            return
        zone = ZoneInfo(saved[1].timezone if saved else "UTC")
        met_on = found.starts_at.astimezone(zone).date()
        today = services.now().astimezone(zone).date()
        view = journey_views.meeting_modal(
            pair_id=int(pair.id or 0),
            today=today,
            goals=list(goals.goals) if goals else [],
            prefill_date=min(met_on, today),
            prefill_duration=found.duration_minutes,
        )
        client.views_open(trigger_id=str(body.get("trigger_id", "")), view=view)  # first: the trigger expires
        answered(client, body, pair, user_id, item, MeetOutcome.MET)

    def answered(
        client: WebClient, body: dict[str, Any], pair: Pair, user_id: str, booking_id: int, outcome: MeetOutcome
    ) -> None:
        with services.sessions() as session:
            recorded = booking.answer_followup(
                session=session, pair=pair, booking_id=booking_id, user_id=user_id, outcome=outcome, now=services.now()
            )
        if recorded is None:
            if outcome != MeetOutcome.MET:
                _tell(client, body, user_id, "Someone already answered this one. Thanks!")
            return
        words = {
            MeetOutcome.MET: "you met. :tada: Log what you talked about in the form.",
            MeetOutcome.RESCHEDULED: "it was moved: here are new times.",
            MeetOutcome.SKIPPED: "you skipped this one. No problem: *Find a time* books the next.",
        }[outcome]
        _update(client, body, views.settled_message(f"<@{user_id}> answered that {words}"))
        if outcome == MeetOutcome.RESCHEDULED:
            deliver(pair.team_id)

    def did(outcome: MeetOutcome) -> Handler:
        def on_did_clicked(
            client: WebClient, body: dict[str, Any], pair: Pair, user_id: str, item: int | None, _index: int | None
        ) -> None:
            if item is not None:
                answered(client, body, pair, user_id, item, outcome)

        return on_did_clicked

    for action_id, handler in (
        (ids.MEET_FIND, on_find_time_clicked),
        (ids.HOME_PAIR_MEET, on_find_time_clicked),
        (ids.MEET_SLOT, on_slot_clicked),
        (ids.MEET_CONFIRM, on_slot_clicked),
        (ids.MEET_OTHER, on_other_times_clicked),
        (ids.MEET_RESCHEDULE, on_reschedule_clicked),
        (ids.MEET_CANCEL, on_cancel_clicked),
        (ids.MEET_DID_MEET, on_did_meet_clicked),
        (ids.MEET_DID_RESCHEDULE, did(MeetOutcome.RESCHEDULED)),
        (ids.MEET_DID_SKIP, did(MeetOutcome.SKIPPED)),
    ):
        app.action(action_id)(pair_action(handler))

    def on_calendar_link_clicked(ack: Ack) -> None:
        ack()  # the link opens in the browser; Slack still tells the app about the click

    app.action(ids.MEET_GOOGLE)(on_calendar_link_clicked)
    app.action(ids.MEET_OUTLOOK)(on_calendar_link_clicked)

    def on_away_clear_clicked(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        value = _value(body)
        user_id = _user_id(body)
        with services.sessions() as session:
            away.clear_away(
                session=session,
                team_id=_team_id(body),
                user_id=user_id,
                period_id=int(value) if value.isdigit() else None,
            )
            left = away.list_away(
                session=session, team_id=_team_id(body), user_id=user_id, today=local_today(user_id, _team_id(body))
            )
        _tell(client, body, user_id, views.away_list_message(left)["text"] if left else "Your away dates are cleared.")

    app.action(ids.AWAY_CLEAR)(on_away_clear_clicked)

    # ------------------------------------------------------------------ /mentor meet | away

    def local_today(user_id: str, team_id: str) -> date:
        with services.sessions() as session:
            saved = people.load_profile(session=session, team_id=team_id, user_id=user_id)
        return services.now().astimezone(ZoneInfo(saved[1].timezone if saved else "UTC")).date()

    def meet_command(ctx: CommandContext) -> None:
        with services.sessions() as session:
            pairs = overview.pairs_of(session=session, team_id=ctx.team_id, user_id=ctx.user_id)
        if not pairs:
            ctx.reply("You don't have a mentorship pair yet. You'll hear from me when you're matched.")
            return
        here = [p for p in pairs if p.channel_id and p.channel_id == ctx.channel_id]
        if not here and len(pairs) > 1:
            options = [
                (int(p.id or 0), pair_info.partner_of(p, ctx.user_id), pair_info.role_in(p, ctx.user_id)) for p in pairs
            ]
            ctx.reply(
                **journey_views.which_pair_message(action_id=ids.HOME_PAIR_MEET, doing="find a time", options=options)
            )
            return
        pair = (here or pairs)[0]
        if pair.status == PairStatus.PAUSED:
            ctx.reply("Your mentorship is paused: resume it first, then find a time.")
            return
        with services.sessions() as session:
            booking.offer_times(session=session, pair=pair, user_id=ctx.user_id, now=services.now())
        ctx.reply(f"I've posted three times in <#{pair.channel_id}>: either of you picks, the other confirms.")
        deliver(pair.team_id)

    def away_command(ctx: CommandContext) -> None:
        today = local_today(ctx.user_id, ctx.team_id)
        request = away.parse_away(ctx.args, today=today)
        if isinstance(request, str):
            ctx.reply(request)
            return
        with services.sessions() as session:
            if request.action == "add" and request.first and request.last:
                away.add_away(
                    session=session,
                    team_id=ctx.team_id,
                    user_id=ctx.user_id,
                    first=request.first,
                    last=request.last,
                    now=services.now(),
                )
                span = (
                    f"{request.first:%a %d %b %Y}"
                    if request.first == request.last
                    else f"{request.first:%a %d %b %Y} to {request.last:%a %d %b %Y}"
                )
                ctx.reply(
                    f":palm_tree: Noted: you're away {span}. No proposed times or prompts will reach you then; "
                    "your mentorship isn't paused."
                )
                return
            if request.action == "clear":
                gone = away.clear_away(session=session, team_id=ctx.team_id, user_id=ctx.user_id)
                ctx.reply("Your away dates are cleared." if gone else "You had no away dates.")
                return
            periods = away.list_away(session=session, team_id=ctx.team_id, user_id=ctx.user_id, today=today)
        ctx.reply(**views.away_list_message(periods))

    router.add("meet", meet_command, help="three times you and your partner both work, to book in two clicks")
    router.add(
        "away",
        away_command,
        help="days you're not available: no proposed times or prompts then (no pause)",
        usage="/mentor away 2027-03-01 2027-03-14",
    )
