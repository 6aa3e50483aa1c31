"""Signup and self-service: /mentor join | profile | pause | resume | leave."""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from bot import forms, ids, people, privacy
from bot.cohorts import open_cohort, settings_of, taxonomy_for
from bot.services import Services
from bot.views.blocks import escape
from bot.views.signup import (
    build_leave_modal,
    build_signup_modal,
    leave_confirmation,
    signup_confirmation,
    signup_not_open_modal,
    skills_typeahead,
    timezone_typeahead,
)
from handlers.commands import CommandContext, CommandRouter
from handlers.home import publish_home
from handlers.payload import team_id as _team_id
from handlers.payload import user_id as _user_id
from handlers.payload import view_metadata
from handlers.submission import Invalid, store_then_ack
from storage import participants
from storage.models import Cohort

log = logging.getLogger(__name__)


def open_signup_modal(
    services: Services,
    client: WebClient,
    *,
    team_id: str,
    user_id: str,
    trigger_id: str,
    cohort_id: int | None = None,
) -> None:
    """Open the signup modal for a cohort (its own skills list), prefilled when the person has a profile.

    The trigger expires 3 seconds after the click, so the modal opens first, built from the database alone; a
    newcomer's Slack timezone (``users.info``, which may be slow or rate limited) is looked up afterwards and put
    in the open modal with ``views.update``.
    """
    with services.sessions() as session:
        saved = people.load_profile(session=session, team_id=team_id, user_id=user_id)
        if saved is not None and cohort_id is None:
            cohort_id = saved[0].cohort_id
        cohort = open_cohort(session=session, team_id=team_id, cohort_id=cohort_id, now=services.now())
        locked = participants.imported_values(session=session, team_id=team_id, user_id=user_id) if saved else {}
    taxonomy = taxonomy_for(cohort)
    metadata = json.dumps({"cohort": cohort.id})
    if saved is not None:
        _, profile, bio = saved
        view = build_signup_modal(
            taxonomy=taxonomy, prefill=profile, bio=bio, editing=True, locked=locked, now=services.now()
        )
        client.views_open(trigger_id=trigger_id, view={**view, "private_metadata": metadata})
        return
    view = build_signup_modal(taxonomy=taxonomy, now=services.now())
    opened = client.views_open(trigger_id=trigger_id, view={**view, "private_metadata": metadata}).get("view") or {}
    timezone = people.lookup_user(client, user_id).get("timezone")
    if not timezone or timezone == "UTC" or not opened.get("id"):
        return  # the modal already starts at UTC
    view = build_signup_modal(taxonomy=taxonomy, timezone=timezone, now=services.now())
    update: dict[str, Any] = {"view_id": opened["id"], "view": {**view, "private_metadata": metadata}}
    if opened.get("hash"):
        update["hash"] = opened["hash"]  # the modal has not changed since it opened (else Slack keeps the newer)
    try:
        client.views_update(**update)
    except Exception as exc:  # noqa: BLE001 - the modal is open: a missed hint must not send a "please try again"
        # not_found / hash_conflict: closed, submitted or replaced meanwhile, the person no longer needs the hint
        error = exc.response.get("error") if isinstance(exc, SlackApiError) else type(exc).__name__
        log.info("signup modal not prefilled with the timezone user=%s error=%s", user_id, error)


def _cohort_id(view: dict[str, Any]) -> int | None:
    """The cohort a signup modal was opened for (checked against the workspace when saving)."""
    cohort_id = view_metadata(view).get("cohort")
    return cohort_id if isinstance(cohort_id, int) else None


def register(app: App, services: Services, router: CommandRouter) -> None:
    """Attach the signup listeners and self-service subcommands."""

    def not_open_yet(team_id: str, user_id: str, cohort_id: int | None) -> str:
        """Why a newcomer cannot sign up yet (the cohort's signup window has not opened), else ""."""
        with services.sessions() as session:
            signed_up = participants.get_participant(session=session, team_id=team_id, user_id=user_id)
            cohort = open_cohort(session=session, team_id=team_id, cohort_id=cohort_id, now=services.now())
        opens = settings_of(cohort).signup_opens
        if signed_up is None and opens is not None and services.now().date() < opens:
            return f":calendar: Signups for *{escape(cohort.name)}* open on {opens:%A %d %B}. See you then!"
        return ""

    def join(ctx: CommandContext) -> None:
        if early := not_open_yet(ctx.team_id, ctx.user_id, None):
            ctx.reply(early)
            return
        ctx.ack()
        open_signup_modal(services, ctx.client, team_id=ctx.team_id, user_id=ctx.user_id, trigger_id=ctx.trigger_id)

    def profile(ctx: CommandContext) -> None:
        with services.sessions() as session:
            signed_up = participants.get_participant(session=session, team_id=ctx.team_id, user_id=ctx.user_id)
        if signed_up is None:
            ctx.reply("You haven't joined yet: `/mentor join` opens the signup form.")
            return
        join(ctx)

    def set_paused(ctx: CommandContext, paused: bool) -> None:
        with services.sessions() as session:
            signed_up = people.set_paused(
                session=session,
                services=services,
                team_id=ctx.team_id,
                user_id=ctx.user_id,
                paused=paused,
                now=services.now(),
            )
        if not signed_up:
            ctx.reply("You haven't joined yet: `/mentor join` opens the signup form.")
            return
        if paused:
            ctx.reply(":double_vertical_bar: Paused. You won't be matched or get prompts until `/mentor resume`.")
        else:
            ctx.reply(":arrow_forward: Welcome back! You're active again and will be in the next match round.")
        publish_home(services, ctx.client, team_id=ctx.team_id, user_id=ctx.user_id)

    def leave(ctx: CommandContext) -> None:
        with services.sessions() as session:
            anything = privacy.has_data(session=session, team_id=ctx.team_id, user_id=ctx.user_id)
        if not anything:
            ctx.reply("mentorbot stores nothing about you, so there's nothing to delete.")
            return
        ctx.ack()
        ctx.client.views_open(trigger_id=ctx.trigger_id, view=build_leave_modal())

    router.add("join", join, help="sign up as a mentor, mentee, or both")
    router.add("profile", profile, help="see and edit your mentoring profile")
    router.add("pause", lambda ctx: set_paused(ctx, True), help="take a break: no matching and no prompts")
    router.add("resume", lambda ctx: set_paused(ctx, False), help="come back from a pause")
    router.add("leave", leave, help="leave the program and delete your data")

    @app.view(ids.SIGNUP_VIEW)
    def on_signup_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        form = forms.parse_signup((view.get("state") or {}).get("values") or {})
        team_id, user_id = _team_id(body), _user_id(body)
        slack_name = str((body.get("user") or {}).get("name") or user_id)[:200]

        def write(session: Session) -> tuple[Cohort, bool]:
            cohort = open_cohort(session=session, team_id=team_id, cohort_id=_cohort_id(view), now=services.now())
            locked = participants.imported_values(session=session, team_id=team_id, user_id=user_id)
            if errors := forms.validate_signup(form, taxonomy_for(cohort), locked=locked):
                raise Invalid(errors)
            _, created = people.save_signup(
                session=session,
                team_id=team_id,
                user_id=user_id,
                form=form,
                display_name=slack_name,
                cohort_id=cohort.id,
                person_key=privacy.person_key(team_id=team_id, user_id=user_id, secret=services.settings.pseudonym_key),
                now=services.now(),
            )
            return cohort, created

        stored = store_then_ack(services, ack, body, view, write)
        if stored is None:
            return
        cohort, created = stored.value
        log.info("profile saved team=%s user=%s created=%s role=%s", team_id, user_id, created, form.role)
        with services.sessions() as session:  # after the ack: Slack's name and email for the stored profile
            people.remember_slack_identity(
                session=session, client=client, team_id=team_id, user_id=user_id, now=services.now()
            )
        closes = settings_of(cohort).signup_closes
        late = closes is not None and services.now().date() > closes
        message = signup_confirmation(
            role=form.role,
            created=created,
            skills=form.all_skills_wanted() or form.all_skills_offered(),
            late_for=cohort.name if late else "",
        )
        client.chat_postMessage(channel=user_id, **message)
        publish_home(services, client, team_id=team_id, user_id=user_id)

    @app.options(ids.SKILL_SEARCH)
    def on_skill_search(ack: Ack, body: dict[str, Any]) -> None:
        """Type-ahead over the cohort's skills (the modal names its cohort); at most 100, best matches first."""
        with services.sessions() as session:
            cohort = open_cohort(session=session, team_id=_team_id(body), cohort_id=_cohort_id(body.get("view") or {}))
        ack(**skills_typeahead(str(body.get("value") or ""), taxonomy_for(cohort).skills))

    @app.options(ids.TIMEZONE_SEARCH)
    def on_timezone_search(ack: Ack, body: dict[str, Any]) -> None:
        """Type-ahead over IANA zones by name, city or offset, each shown with its current offset and time."""
        ack(**timezone_typeahead(str(body.get("value") or ""), services.now()))

    @app.view(ids.LEAVE_VIEW)
    def on_leave_confirmed(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        team_id, user_id = _team_id(body), _user_id(body)

        def write(session: Session) -> privacy.Departure:
            return privacy.forget_person(
                session=session,
                team_id=team_id,
                user_id=user_id,
                secret=services.settings.pseudonym_key,
                now=services.now(),
            )

        # leaving twice erases nothing more (and leaves no trace of the click): no double-submit claim needed
        stored = store_then_ack(services, ack, body, view, write, dedupe=False)
        if stored is None:
            return
        departure = stored.value
        if departure.erased:
            log.info("person left team=%s participant=%s", team_id, departure.was_participant)
            privacy.tidy_withdrawn(client, departure, user_id=user_id)
            client.chat_postMessage(channel=user_id, **leave_confirmation(was_participant=departure.was_participant))
        publish_home(services, client, team_id=team_id, user_id=user_id)

    @app.action(ids.HOME_JOIN)
    @app.action(ids.HOME_EDIT)
    def on_join_clicked(ack: Ack, body: dict[str, Any], client: WebClient, action: dict[str, Any]) -> None:
        ack()
        value = str(action.get("value") or "")  # an announcement's Join button names its cohort
        team_id, user_id, trigger_id = _team_id(body), _user_id(body), str(body.get("trigger_id", ""))
        cohort_id = int(value) if value.isdigit() else None
        if early := not_open_yet(team_id, user_id, cohort_id):  # the same window as /mentor join
            client.views_open(trigger_id=trigger_id, view=signup_not_open_modal(early))
            return
        open_signup_modal(
            services, client, team_id=team_id, user_id=user_id, trigger_id=trigger_id, cohort_id=cohort_id
        )

    @app.action(ids.HOME_PAUSE)
    @app.action(ids.HOME_RESUME)
    def on_pause_clicked(ack: Ack, body: dict[str, Any], client: WebClient, action: dict[str, Any]) -> None:
        ack()
        team_id, user_id = _team_id(body), str((body.get("user") or {}).get("id", ""))
        paused = action.get("action_id") == ids.HOME_PAUSE
        with services.sessions() as session:
            people.set_paused(
                session=session, services=services, team_id=team_id, user_id=user_id, paused=paused, now=services.now()
            )
        publish_home(services, client, team_id=team_id, user_id=user_id)
