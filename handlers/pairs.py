"""The pair's journey in Slack: kickoff buttons, goals, check-ins, meetings, fit checks, surveys, closure, pause.

Every click is checked against the pair (only its two members act on it); coordinator-only surfaces check
``services.is_coordinator`` on each request. Modals are opened right after ack (trigger ids expire in 3 s).
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
from sqlmodel import Session

from bot import ids, people
from bot.dispatch import Dispatcher
from bot.lifecycle import checkins, closure, forms, kickoff, milestones, overview, pause
from bot.lifecycle import pairs as pair_info
from bot.lifecycle.prompts import register_prompt_kinds
from bot.services import Services
from bot.views import journey as views
from handlers.commands import CommandContext, CommandRouter
from handlers.home import publish_home
from handlers.payload import MENTION
from handlers.payload import team_id as _team_id
from handlers.payload import tell_privately as _tell
from handlers.payload import user_id as _user_id
from handlers.submission import Invalid, first_input_block, store_then_ack
from storage import journey as store
from storage.models import Pair
from storage.vocab import ClosureChoice, ContinueAnswer, FitAnswer, PairStatus, Role, SurveyKey

log = logging.getLogger(__name__)
NOT_IN_PAIR = "That button belongs to another pair."
# Buttons that still act once a pair has closed: the ending's own surveys, reflection and closure choices, and a
# private word to the coordinators.
AFTER_CLOSURE = frozenset(
    {
        ids.SURVEY_OPEN,
        ids.REFLECT_OPEN,
        ids.CLOSE_CLOSE,
        ids.CLOSE_EXTEND,
        ids.CLOSE_INFORMAL,
        ids.PAIR_CONCERN,
        ids.REMATCH_YES,
        ids.REMATCH_NO,
    }
)
CLOSED_PAIR = "This mentorship has closed, so there is nothing more to log or change here. Thank you both!"


def _action_value(body: dict[str, Any]) -> str:
    actions = body.get("actions") or [{}]
    return str(actions[0].get("value") or "")


def _pair_id(value: str) -> int | None:
    head = value.split("|", 1)[0].split(":", 1)[0]
    return int(head) if head.isdigit() else None


def _local_today(services: Services, team_id: str, user_id: str) -> date:
    with services.sessions() as session:
        return _local_today_in(session, services, team_id, user_id)


def _local_today_in(session: Session, services: Services, team_id: str, user_id: str) -> date:
    """The person's calendar day, read with an open session (a submission's transaction)."""
    saved = people.load_profile(session=session, team_id=team_id, user_id=user_id)
    tz = saved[1].timezone if saved else "UTC"
    try:
        return services.now().astimezone(ZoneInfo(tz)).date()
    except Exception:  # noqa: BLE001 - a bad stored timezone falls back to UTC
        return services.now().date()


def _replace_buttons(client: WebClient, body: dict[str, Any], text: str) -> None:
    """Swap a private DM message's buttons for what was recorded, so it cannot be clicked twice."""
    channel = str((body.get("channel") or {}).get("id") or "")
    ts = str((body.get("message") or {}).get("ts") or (body.get("container") or {}).get("message_ts") or "")
    if not channel or not ts:
        return
    try:
        client.chat_update(channel=channel, ts=ts, text=text, blocks=[views.section(text)])
    except SlackApiError as exc:
        log.info("chat.update failed error=%s", exc.response.get("error"))


def register(app: App, services: Services, router: CommandRouter) -> None:  # noqa: C901 - one listener per surface
    """Attach the journey's listeners and the /mentor log | goals | schedule subcommands."""
    register_prompt_kinds()

    def load(pair_id: int | None, user_id: str) -> Pair | None:
        if pair_id is None:
            return None
        with services.sessions() as session:
            pair = store.get_pair(session=session, pair_id=pair_id)
        return pair if pair is not None and pair_info.is_member(pair, user_id) else None

    def homes(client: WebClient, pair: Pair) -> None:
        for user_id in (pair.mentee_user_id, pair.mentor_user_id):
            try:
                publish_home(services, client, team_id=pair.team_id, user_id=user_id)
            except SlackApiError as exc:
                log.info("home publish failed error=%s", exc.response.get("error"))

    def open_goals(client: WebClient, pair: Pair, user_id: str, trigger_id: str) -> None:
        with services.sessions() as session:
            goals = store.get_goals(session=session, pair_id=int(pair.id or 0))
            prefill = goals.model_dump() if goals else None
        partner = f"<@{pair_info.partner_of(pair, user_id)}>"
        view = views.goals_modal(pair_id=int(pair.id or 0), prefill=prefill, partner_name=partner)
        client.views_open(trigger_id=trigger_id, view=view)

    def open_meeting(client: WebClient, pair: Pair, user_id: str, trigger_id: str) -> None:
        with services.sessions() as session:
            goals = store.get_goals(session=session, pair_id=int(pair.id or 0))
        today = _local_today(services, pair.team_id, user_id)
        view = views.meeting_modal(pair_id=int(pair.id or 0), today=today, goals=list(goals.goals) if goals else [])
        client.views_open(trigger_id=trigger_id, view=view)

    def pair_action(handler: Callable[[WebClient, dict[str, Any], Pair, str], None]) -> Callable[..., None]:
        """Ack, find the pair the button belongs to, check the clicker is in it, then act.

        A closed pair's old buttons (meetings, goals, check-ins, fit, pause) do nothing but say so; what belongs to
        the ending (surveys, the reflection, the closure choices, a private concern) still works.
        """

        def listener(ack: Ack, body: dict[str, Any], client: WebClient, action: dict[str, Any]) -> None:
            ack()
            user_id = _user_id(body)
            pair = load(_pair_id(_action_value(body)), user_id)
            if pair is None:
                _tell(client, body, user_id, NOT_IN_PAIR)
                return
            if pair.status == PairStatus.CLOSED and action.get("action_id") not in AFTER_CLOSURE:
                _tell(client, body, user_id, CLOSED_PAIR)
                return
            handler(client, body, pair, user_id)

        return listener

    # ------------------------------------------------------------------ buttons that open modals

    def on_set_goals_clicked(client: WebClient, body: dict[str, Any], pair: Pair, user_id: str) -> None:
        open_goals(client, pair, user_id, str(body.get("trigger_id", "")))

    def on_log_meeting_clicked(client: WebClient, body: dict[str, Any], pair: Pair, user_id: str) -> None:
        open_meeting(client, pair, user_id, str(body.get("trigger_id", "")))

    def on_checkin_yes_clicked(client: WebClient, body: dict[str, Any], pair: Pair, user_id: str) -> None:
        open_meeting(client, pair, user_id, str(body.get("trigger_id", "")))
        with services.sessions() as session:
            checkins.answer_met(session=session, pair=pair, user_id=user_id, now=services.now())

    def on_pause_clicked(client: WebClient, body: dict[str, Any], pair: Pair, user_id: str) -> None:
        client.views_open(trigger_id=str(body.get("trigger_id", "")), view=views.pause_modal(pair_id=int(pair.id or 0)))

    def on_concern_clicked(client: WebClient, body: dict[str, Any], pair: Pair, user_id: str) -> None:
        client.views_open(
            trigger_id=str(body.get("trigger_id", "")), view=views.concern_modal(pair_id=int(pair.id or 0))
        )

    def on_survey_clicked(client: WebClient, body: dict[str, Any], pair: Pair, user_id: str) -> None:
        key = _action_value(body).partition("|")[2] or SurveyKey.PULSE
        with services.sessions() as session:
            answered = store.has_answered(session=session, pair_id=int(pair.id or 0), user_id=user_id, survey_key=key)
        if answered:
            _tell(client, body, user_id, "You've already answered this survey. Thank you!")
            return
        view = views.survey_modal(pair_id=int(pair.id or 0), survey_key=key, closing=key.startswith(SurveyKey.CLOSING))
        client.views_open(trigger_id=str(body.get("trigger_id", "")), view=view)

    def on_reflect_clicked(client: WebClient, body: dict[str, Any], pair: Pair, user_id: str) -> None:
        partner = pair_info.partner_of(pair, user_id)
        with services.sessions() as session:
            saved = people.load_profile(session=session, team_id=pair.team_id, user_id=partner)
        name = saved[0].display_name if saved and saved[0].display_name else "your partner"
        view = views.reflection_modal(pair_id=int(pair.id or 0), partner_name=name)
        client.views_open(trigger_id=str(body.get("trigger_id", "")), view=view)

    for action_id, handler in (
        (ids.PAIR_SET_GOALS, on_set_goals_clicked),
        (ids.HOME_PAIR_GOALS, on_set_goals_clicked),
        (ids.PAIR_LOG_MEETING, on_log_meeting_clicked),
        (ids.HOME_PAIR_LOG, on_log_meeting_clicked),
        (ids.CHECKIN_YES, on_checkin_yes_clicked),
        (ids.PAIR_PAUSE, on_pause_clicked),
        (ids.HOME_PAIR_PAUSE, on_pause_clicked),
        (ids.PAIR_CONCERN, on_concern_clicked),
        (ids.SURVEY_OPEN, on_survey_clicked),
        (ids.REFLECT_OPEN, on_reflect_clicked),
    ):
        app.action(action_id)(pair_action(handler))

    # ------------------------------------------------------------------ buttons that act

    def on_goals_confirm_clicked(client: WebClient, body: dict[str, Any], pair: Pair, user_id: str) -> None:
        revision = _action_value(body).partition(":")[2]
        with services.sessions() as session:
            result = kickoff.confirm_goals(
                session=session,
                services=services,
                pair=pair,
                user_id=user_id,
                revision=int(revision) if revision.isdigit() else -1,
                now=services.now(),
            )
        if result == "not_yours":
            _tell(
                client, body, user_id, f"Only <@{pair_info.partner_of(pair, user_id)}> can confirm goals you proposed."
            )
        elif result == "stale":
            _tell(client, body, user_id, "These goals were edited since: confirm the newest version.")
        elif result == "confirmed":
            homes(client, pair)

    def on_resume_clicked(client: WebClient, body: dict[str, Any], pair: Pair, user_id: str) -> None:
        with services.sessions() as session:
            pair = store.get_pair(session=session, pair_id=int(pair.id or 0)) or pair
            done = pause.resume_pair(session=session, services=services, pair=pair, user_id=user_id, now=services.now())
        if not done:
            _tell(client, body, user_id, "Your mentorship isn't paused.")
        homes(client, pair)

    def on_not_yet_clicked(client: WebClient, body: dict[str, Any], pair: Pair, user_id: str) -> None:
        with services.sessions() as session:
            pair = store.get_pair(session=session, pair_id=int(pair.id or 0)) or pair
            checkins.answer_not_yet(session=session, services=services, pair=pair, user_id=user_id, now=services.now())
        Dispatcher(services, owner=f"meet-{pair.team_id}").tick(services.now())  # the times to book, at once

    def on_help_clicked(client: WebClient, body: dict[str, Any], pair: Pair, user_id: str) -> None:
        with services.sessions() as session:
            pair = store.get_pair(session=session, pair_id=int(pair.id or 0)) or pair
            checkins.ask_for_help(session=session, services=services, pair=pair, user_id=user_id, now=services.now())
        _tell(
            client,
            body,
            user_id,
            ":lock: I've let the program coordinators know privately; one of them will reach out to you. "
            "Your partner doesn't see this.",
        )

    def on_goals_achieved_clicked(client: WebClient, body: dict[str, Any], pair: Pair, user_id: str) -> None:
        with services.sessions() as session:
            pair = store.get_pair(session=session, pair_id=int(pair.id or 0)) or pair
            closure.mark_goals_achieved(
                session=session, services=services, pair=pair, user_id=user_id, now=services.now()
            )

    def fit(answer: str, label: str) -> Callable[[WebClient, dict[str, Any], Pair, str], None]:
        def on_fit_clicked(client: WebClient, body: dict[str, Any], pair: Pair, user_id: str) -> None:
            with services.sessions() as session:
                saved = milestones.answer_fit(
                    session=session, services=services, pair=pair, user_id=user_id, answer=answer, now=services.now()
                )
            if saved:
                _replace_buttons(client, body, f"Thanks, noted privately: *{label}*. Only the coordinators see this.")

        return on_fit_clicked

    def rematch(accept: bool) -> Callable[[WebClient, dict[str, Any], Pair, str], None]:
        def on_rematch_clicked(client: WebClient, body: dict[str, Any], pair: Pair, user_id: str) -> None:
            if accept:
                with services.sessions() as session:
                    asked = milestones.accept_rematch(session=session, services=services, pair=pair, user_id=user_id)
                partner = pair_info.partner_of(asked.newer, user_id) if asked.newer is not None else ""
                if asked.queued:
                    text = (
                        ":white_check_mark: You're first in line for the next match round. "
                        "A coordinator will be in touch."
                    )
                elif partner:
                    text = f":white_check_mark: You already have a new partner: <@{partner}>. Nothing else changes."
                else:
                    text = "Nothing changes: you're no longer in the program."
            else:
                text = "Okay, nothing changes. You can ask again any time with *Something's not right*."
            _replace_buttons(client, body, text)

        return on_rematch_clicked

    def keep_going(answer: str) -> Callable[[WebClient, dict[str, Any], Pair, str], None]:
        def on_continue_clicked(client: WebClient, body: dict[str, Any], pair: Pair, user_id: str) -> None:
            with services.sessions() as session:
                pair = store.get_pair(session=session, pair_id=int(pair.id or 0)) or pair
                checkins.answer_continue(
                    session=session, services=services, pair=pair, user_id=user_id, answer=answer, now=services.now()
                )
            reply = {
                ContinueAnswer.YES: "Thanks: the coordinators know you can continue. Your partner isn't told.",
                ContinueAnswer.PAUSE: "Thanks: the coordinators know you need a pause, and check-ins are on hold until "
                "one of you resumes. Nothing is posted in your pair's DM and your partner isn't told why.",
                ContinueAnswer.STOP: "Thanks: the coordinators know you'd like to stop. Your partner isn't told.",
            }[answer]
            _replace_buttons(client, body, reply)

        return on_continue_clicked

    def choose(choice: str) -> Callable[[WebClient, dict[str, Any], Pair, str], None]:
        def on_closure_clicked(client: WebClient, body: dict[str, Any], pair: Pair, user_id: str) -> None:
            with services.sessions() as session:
                pair = store.get_pair(session=session, pair_id=int(pair.id or 0)) or pair
                result = closure.choose_closure(
                    session=session, services=services, pair=pair, user_id=user_id, choice=choice, now=services.now()
                )
            if result == "already_closed":
                _tell(client, body, user_id, "This mentorship is already closed.")
            homes(client, pair)

        return on_closure_clicked

    for action_id, handler in (
        (ids.GOALS_CONFIRM, on_goals_confirm_clicked),
        (ids.PAIR_RESUME, on_resume_clicked),
        (ids.HOME_PAIR_RESUME, on_resume_clicked),
        (ids.CHECKIN_NOT_YET, on_not_yet_clicked),
        (ids.CHECKIN_HELP, on_help_clicked),
        (ids.PAIR_GOALS_ACHIEVED, on_goals_achieved_clicked),
        (ids.FIT_GOOD, fit(FitAnswer.GOOD, "Good fit")),
        (ids.FIT_UNSURE, fit(FitAnswer.UNSURE, "Still deciding")),
        (ids.FIT_NOT, fit(FitAnswer.NOT, "Not a fit")),
        (ids.REMATCH_YES, rematch(True)),
        (ids.REMATCH_NO, rematch(False)),
        (ids.CONTINUE_YES, keep_going(ContinueAnswer.YES)),
        (ids.CONTINUE_PAUSE, keep_going(ContinueAnswer.PAUSE)),
        (ids.CONTINUE_STOP, keep_going(ContinueAnswer.STOP)),
        (ids.CLOSE_CLOSE, choose(ClosureChoice.CLOSE)),
        (ids.CLOSE_EXTEND, choose(ClosureChoice.EXTEND)),
        (ids.CLOSE_INFORMAL, choose(ClosureChoice.INFORMAL)),
    ):
        app.action(action_id)(pair_action(handler))

    def become(role: str) -> Callable[..., None]:
        def on_become_clicked(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
            ack()
            user_id = _user_id(body)
            with services.sessions() as session:
                done = closure.become_mentor(session=session, team_id=_team_id(body), user_id=user_id, role=role)
            text = (
                f":star2: You're signed up as {'a mentor' if role == Role.MENTOR else 'a mentor and mentee'} "
                "for the next round. Thank you for paying it forward!"
                if done
                else "You need a profile first: `/mentor join`."
            )
            _replace_buttons(client, body, text)
            publish_home(services, client, team_id=_team_id(body), user_id=user_id)

        return on_become_clicked

    app.action(ids.BECOME_MENTOR)(become(Role.MENTOR))
    app.action(ids.BECOME_BOTH)(become(Role.BOTH))

    # ------------------------------------------------------------------ modal submissions
    # Each is validated and stored before the ack (handlers.submission); messages follow the ack.

    def submitted_pair(session: Session, body: dict[str, Any], view: dict[str, Any]) -> tuple[Pair | None, str]:
        """The pair a modal belongs to (read in the submission's transaction), when the submitter is in it."""
        user_id = _user_id(body)
        pair_id = _pair_id(str(view.get("private_metadata") or ""))
        pair = store.get_pair(session=session, pair_id=pair_id) if pair_id is not None else None
        return (pair if pair is not None and pair_info.is_member(pair, user_id) else None), user_id

    def still_open(pair: Pair | None, view: dict[str, Any]) -> None:
        """A closed pair's modals store nothing: its meetings and goals belong to the past."""
        if pair is not None and pair.status == PairStatus.CLOSED:
            block_id = first_input_block(view)
            raise Invalid({block_id: CLOSED_PAIR} if block_id else {})

    def values_of(view: dict[str, Any]) -> dict[str, Any]:
        return (view.get("state") or {}).get("values") or {}

    @app.view(ids.GOALS_VIEW)
    def on_goals_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        form = forms.parse_goals(values_of(view))

        def write(session: Session) -> Pair | None:
            pair, user_id = submitted_pair(session, body, view)
            if errors := forms.validate_goals(form, today=_local_today_in(session, services, _team_id(body), user_id)):
                raise Invalid(errors)
            still_open(pair, view)
            if pair is not None:
                kickoff.propose_goals(
                    session=session, services=services, pair=pair, user_id=user_id, form=form, now=services.now()
                )
            return pair

        stored = store_then_ack(services, ack, body, view, write)
        if stored is not None and stored.value is not None:
            stored.announce()
            homes(client, stored.value)

    @app.view(ids.MEETING_VIEW)
    def on_meeting_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        form = forms.parse_meeting(values_of(view))

        def write(session: Session) -> Pair | None:
            pair, user_id = submitted_pair(session, body, view)
            today = _local_today_in(session, services, _team_id(body), user_id)
            started = today
            if pair is not None:
                journey = store.get_journey(session=session, pair_id=int(pair.id or 0))
                started = (journey.started_at if journey else pair.created_at).date()
            if errors := forms.validate_meeting(form, today=today, started=min(started, today)):
                raise Invalid(errors)
            still_open(pair, view)
            if pair is not None:
                checkins.log_meeting(
                    session=session, services=services, pair=pair, user_id=user_id, form=form, now=services.now()
                )
            return pair

        stored = store_then_ack(services, ack, body, view, write)
        if stored is not None and stored.value is not None:
            stored.announce()
            homes(client, stored.value)

    @app.view(ids.PAUSE_VIEW)
    def on_pause_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        until = forms.parse_pause(values_of(view))

        def write(session: Session) -> Pair | None:
            pair, user_id = submitted_pair(session, body, view)
            if errors := forms.validate_pause(until, today=_local_today_in(session, services, _team_id(body), user_id)):
                raise Invalid(errors)
            still_open(pair, view)
            if pair is not None:
                pause.pause_pair(
                    session=session, services=services, pair=pair, user_id=user_id, until=until, now=services.now()
                )
            return pair

        stored = store_then_ack(services, ack, body, view, write)
        if stored is not None and stored.value is not None:
            stored.announce()
            homes(client, stored.value)

    @app.view(ids.CONCERN_VIEW)
    def on_concern_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        text = forms.parse_concern(values_of(view))

        def write(session: Session) -> None:
            pair, user_id = submitted_pair(session, body, view)
            if pair is not None:
                milestones.raise_concern(
                    session=session,
                    services=services,
                    pair=pair,
                    user_id=user_id,
                    text=text,
                    source="concern",
                    now=services.now(),
                )

        stored = store_then_ack(services, ack, body, view, write)
        if stored is not None:
            stored.announce()

    @app.view(ids.SURVEY_VIEW)
    def on_survey_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        form = forms.parse_survey(values_of(view))
        key = str(view.get("private_metadata") or "").partition("|")[2] or SurveyKey.PULSE
        if errors := forms.validate_survey(form):
            ack(response_action="errors", errors=errors)
            return

        def write(session: Session) -> bool:
            pair, user_id = submitted_pair(session, body, view)
            if pair is None:
                return False
            return milestones.submit_survey(
                session=session, pair=pair, user_id=user_id, survey_key=key, form=form, now=services.now()
            )

        stored = store_then_ack(services, ack, body, view, write)
        if stored is not None and stored.value:
            client.chat_postMessage(
                channel=_user_id(body),
                text=":lock: Thanks! Your answers are saved. Only the program coordinators see them.",
            )

    @app.view(ids.REFLECTION_VIEW)
    def on_reflection_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        form = forms.parse_reflection(values_of(view))
        if errors := forms.validate_reflection(form):
            ack(response_action="errors", errors=errors)
            return

        def write(session: Session) -> bool:
            pair, user_id = submitted_pair(session, body, view)
            if pair is None:
                return False
            return closure.submit_reflection(
                session=session, services=services, pair=pair, user_id=user_id, form=form, now=services.now()
            )

        stored = store_then_ack(services, ack, body, view, write)
        if stored is not None and stored.value:
            stored.announce()
            client.chat_postMessage(channel=_user_id(body), text=":sparkles: Thanks for reflecting. It's saved.")

    # ------------------------------------------------------------------ /mentor log | goals | schedule

    def my_pair(ctx: CommandContext, action_id: str, doing: str) -> Pair | None:
        """The pair whose DM the command was typed in; the only pair; else ask which one (a button each)."""
        with services.sessions() as session:
            pairs = overview.pairs_of(session=session, team_id=ctx.team_id, user_id=ctx.user_id)
        if not pairs:
            ctx.reply("You don't have a mentorship pair yet. You'll hear from me when you're matched.")
            return None
        here = [p for p in pairs if p.channel_id and p.channel_id == ctx.channel_id]
        if here or len(pairs) == 1:
            return (here or pairs)[0]
        options = [
            (int(p.id or 0), pair_info.partner_of(p, ctx.user_id), pair_info.role_in(p, ctx.user_id)) for p in pairs
        ]
        ctx.reply(**views.which_pair_message(action_id=action_id, doing=doing, options=options))
        return None

    def log_command(ctx: CommandContext) -> None:
        pair = my_pair(ctx, ids.HOME_PAIR_LOG, "log a meeting")
        if pair is not None:
            ctx.ack()
            open_meeting(ctx.client, pair, ctx.user_id, ctx.trigger_id)

    def goals_command(ctx: CommandContext) -> None:
        pair = my_pair(ctx, ids.HOME_PAIR_GOALS, "set goals")
        if pair is not None:
            ctx.ack()
            open_goals(ctx.client, pair, ctx.user_id, ctx.trigger_id)

    def schedule_command(ctx: CommandContext) -> None:
        match = MENTION.search(ctx.args)
        if match is None:
            ctx.reply("Usage: `/mentor schedule @person`")
            return
        with services.sessions() as session:
            lines = overview.schedule_lines(session=session, team_id=ctx.team_id, user_id=match.group(1))
        if not lines:
            ctx.reply(f"<@{match.group(1)}> has no open mentorship pair.")
            return
        ctx.reply("\n".join([f"*Upcoming prompts for <@{match.group(1)}>*", *lines])[:3000])

    router.add("log", log_command, help="log a meeting with your mentorship partner")
    router.add("goals", goals_command, help="set or edit your pair's goals")
    router.add(
        "schedule",
        schedule_command,
        help="a person's pair's upcoming prompts",
        usage="/mentor schedule @person",
        coordinator=True,
    )
