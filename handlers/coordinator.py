"""Coordinator surfaces: /mentor program | announce | stats | export | audit | import, and the participant's
"Skip this round" button (pair actions live in :mod:`handlers.pair_control`). Every coordinator click and
submission is re-checked."""

from __future__ import annotations

import json
import logging
import re
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from bot import coordination, hr_import, ids
from bot.cohorts import CohortSettings, current_cohort, reporting_choice, settings_of
from bot.services import Services
from bot.stats import post_stats
from bot.views import coordinator as views
from bot.views.blocks import escape
from bot.views.matching import cohort_choice_message
from handlers.commands import NOT_A_COORDINATOR, CommandContext, CommandRouter
from handlers.learning import add_learning_offer
from handlers.payload import MENTION
from handlers.payload import team_id as _team_id
from handlers.payload import user_id as _user_id
from handlers.payload import view_metadata as _metadata
from handlers.submission import Invalid, store_then_ack
from storage import coordination as store
from storage.models import Cohort

log = logging.getLogger(__name__)
IMPORT_MAX_BYTES = hr_import.MAX_BYTES


def _dm(client: WebClient, user_id: str) -> str:
    return str(client.conversations_open(users=user_id)["channel"]["id"])


def _download(client: WebClient, url: str, api_url: str) -> bytes:
    """Fetch a Slack-hosted file with the workspace's bot token (never logged, never sent elsewhere)."""
    host = urllib.parse.urlsplit(url).hostname or ""
    trusted = {"files.slack.com", urllib.parse.urlsplit(api_url).hostname or ""}
    if urllib.parse.urlsplit(url).scheme not in ("https", "http") or host not in trusted:
        raise OSError(f"not a Slack file URL: {host or 'no host'}")
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {client.token}"})
    with urllib.request.urlopen(request, timeout=20) as response:  # noqa: S310 - a Slack file URL from the payload
        return response.read(IMPORT_MAX_BYTES + 1)


def register(app: App, services: Services, router: CommandRouter) -> None:
    """Attach the coordinator commands, actions and views, and the coordinator prompt kinds."""
    coordination.register_prompt_kinds()

    # ------------------------------------------------------------------ slash subcommands

    def program(ctx: CommandContext) -> None:
        ctx.ack()
        with services.sessions() as session:
            view = coordination.open_program_view(session=session, team_id=ctx.team_id, name=ctx.args)
        opened = ctx.client.views_open(trigger_id=ctx.trigger_id, view=view)
        add_learning_offer(view, opened["view"], client=ctx.client, services=services, team_id=ctx.team_id)

    def announce(ctx: CommandContext) -> None:
        with services.sessions() as session:
            cohort = (
                store.find_cohort_by_name(session=session, team_id=ctx.team_id, name=ctx.args)
                if ctx.args
                else current_cohort(session=session, team_id=ctx.team_id, now=services.now())
            )
            if cohort is None:
                ctx.reply(f"No cohort is called {escape(ctx.args)!r}.")
                return
            if not coordination.announce_signup(client=ctx.client, cohort=cohort):
                ctx.reply(
                    f"This cohort has no announcement channel: set one with `/mentor program {escape(cohort.name)}`."
                )
                return
            store.record_audit(
                session=session,
                team_id=ctx.team_id,
                actor=ctx.user_id,
                action="cohort.announce",
                target=f"cohort:{cohort.id}",
                now=services.now(),
            )
        ctx.reply(f"Announced *{escape(cohort.name)}*.")

    def post_stats_of(
        client: WebClient, *, team_id: str, actor: str, channel_id: str, cohort_id: int | None, name: str
    ) -> str | None:
        """Post a cohort's (or every cohort's) figures in a channel, audited; returns an error to show, if any."""
        try:
            hide_small = not _coordinators_only(client, channel_id, team_id)
            with services.sessions() as session:
                post_stats(
                    session=session,
                    client=client,
                    team_id=team_id,
                    channel_id=channel_id,
                    cohort_id=cohort_id,
                    now=services.now(),
                    hide_small=hide_small,
                )
                store.record_audit(
                    session=session,
                    team_id=team_id,
                    actor=actor,
                    action="stats.post",
                    target=f"cohort:{cohort_id}" if cohort_id else "cohort:all",
                    detail={"cohort": name, "channel": channel_id},
                    now=services.now(),
                )
        except SlackApiError as exc:
            error = exc.response.get("error")
            log.warning("stats post failed channel=%s error=%s", channel_id, error)
            return f"I couldn't post in this channel ({error}). Invite me with `/invite @mentorbot` and try again."
        return None

    def _coordinators_only(client: WebClient, channel_id: str, team_id: str) -> bool:
        """Whether only coordinators (and the app) read ``channel_id``: they get exact figures, others small groups
        hidden. A DM with the app is the coordinator's own; a channel we cannot list counts as public."""
        if channel_id.startswith("D"):
            return True
        try:
            me = str(client.auth_test().get("user_id") or "")
            members = client.conversations_members(channel=channel_id, limit=1000).get("members") or []
        except SlackApiError:
            return False
        return all(m == me or services.is_coordinator(m, team_id) for m in members)

    def stats_command(ctx: CommandContext) -> None:
        with services.sessions() as session:
            if ctx.args.lower() == "all":
                cohort_id, name = None, "all cohorts"
            else:
                picked = reporting_choice(session=session, team_id=ctx.team_id, name=ctx.args)
                if picked.error:
                    ctx.reply(picked.error + " `/mentor stats all` covers every cohort.")
                    return
                if picked.cohort is None and picked.choices:
                    choices = [(int(c.id or 0), c.name, c.status) for c in picked.choices]
                    ctx.reply(**cohort_choice_message(purpose="stats", cohorts=choices, extra_all=True))
                    return
                cohort_id = picked.cohort.id if picked.cohort is not None else None
                name = picked.cohort.name if picked.cohort is not None else "all cohorts"
        ctx.reply(f":hourglass_flowing_sand: Crunching the numbers for *{name}*… they'll appear in this channel.")
        error = post_stats_of(
            ctx.client,
            team_id=ctx.team_id,
            actor=ctx.user_id,
            channel_id=ctx.channel_id,
            cohort_id=cohort_id,
            name=name,
        )
        if error:
            ctx.respond(text=error, response_type="ephemeral")

    def send_export(
        client: WebClient, *, team_id: str, user_id: str, cohort_id: int | None, name: str, with_comments: bool
    ) -> None:
        now = services.now()
        note = (
            " Free-text comments are included in a separate section; who wrote them and about which pair is removed."
            if with_comments
            else " No free-text answers are included (`/mentor export with-comments` adds them, without authors)."
        )
        with services.sessions() as session:
            content = coordination.export_csv(
                session=session, team_id=team_id, cohort_id=cohort_id, with_comments=with_comments
            )
            store.record_audit(
                session=session,
                team_id=team_id,
                actor=user_id,
                action="export.csv",
                target=f"cohort:{cohort_id}",
                detail={"with_comments": with_comments, "cohort": name},
                now=now,
            )
        client.files_upload_v2(
            channel=_dm(client, user_id),
            content=content,
            filename=f"mentorship-export-{now:%Y-%m-%d}.csv",
            title=f"Mentorship export: {name}" + (" (with anonymous comments)" if with_comments else ""),
            initial_comment=f"Here is your export of {name}." + note,
            request_file_info=False,
        )

    def reflections(ctx: CommandContext) -> None:
        with services.sessions() as session:
            cohort = current_cohort(session=session, team_id=ctx.team_id, now=services.now())
            rows = coordination.cohort_reflections(session=session, team_id=ctx.team_id, cohort_id=cohort.id)
        ctx.reply(**views.reflections_message(cohort_name=cohort.name, rows=rows))

    def export(ctx: CommandContext) -> None:
        words = ctx.args.split()
        with_comments = bool(words) and words[-1].lower().replace(" ", "-") in ("with-comments", "comments")
        name = " ".join(words[:-1] if with_comments else words)
        with services.sessions() as session:
            picked = reporting_choice(session=session, team_id=ctx.team_id, name=name)
            if picked.error:
                ctx.reply(picked.error)
                return
            if picked.cohort is None and picked.choices:
                choices = [(int(c.id or 0), c.name, c.status) for c in picked.choices]
                message = cohort_choice_message(purpose="export", cohorts=choices)
                if with_comments:
                    message = cohort_choice_message(purpose="export", cohorts=choices, comments=True)
                ctx.reply(**message)
                return
            cohort_id = picked.cohort.id if picked.cohort is not None else None
            cohort_name = picked.cohort.name if picked.cohort is not None else "all cohorts"
        note = (
            " Free-text comments are included in a separate section; who wrote them and about which pair is removed."
            if with_comments
            else " No free-text answers are included (`/mentor export with-comments` adds them, without authors)."
        )
        ctx.reply(f":outbox_tray: Preparing your CSV of *{cohort_name}*; it will arrive in a DM." + note)
        send_export(
            ctx.client,
            team_id=ctx.team_id,
            user_id=ctx.user_id,
            cohort_id=cohort_id,
            name=cohort_name,
            with_comments=with_comments,
        )

    @app.action(ids.any_numbered(ids.COORD_COHORT))
    def on_cohort_chosen(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        actor, team_id = _user_id(body), _team_id(body)
        if not services.is_coordinator(actor, team_id):
            client.chat_postMessage(channel=actor, text=NOT_A_COORDINATOR)
            return
        try:
            choice = json.loads(action.get("value") or "{}")
            cohort_id = int(choice.get("cohort", 0)) or None
        except (ValueError, TypeError, AttributeError):
            return
        with services.sessions() as session:
            cohort = store.get_cohort(session=session, team_id=team_id, cohort_id=cohort_id) if cohort_id else None
        if cohort_id and cohort is None:
            client.chat_postMessage(channel=actor, text="That cohort no longer exists.")
            return
        name = cohort.name if cohort is not None else "all cohorts"
        if choice.get("do") == "stats":
            channel = str((body.get("channel") or {}).get("id") or actor)
            error = post_stats_of(
                client, team_id=team_id, actor=actor, channel_id=channel, cohort_id=cohort_id, name=name
            )
            if error:
                client.chat_postMessage(channel=actor, text=error)
        elif choice.get("do") == "export":
            send_export(
                client,
                team_id=team_id,
                user_id=actor,
                cohort_id=cohort_id,
                name=name,
                with_comments=bool(choice.get("comments")),
            )

    def _audit_filters(args: str) -> tuple[str | None, str | None, bool]:
        mentioned = MENTION.findall(args)
        words = [w for w in re.sub(r"<@[^>]+>", " ", args).split() if w]
        wants_export = any(w.lower() in ("export", "csv") for w in words)
        actions = [w for w in words if w.lower() not in ("export", "csv")]
        return (mentioned[0] if mentioned else None), (actions[0].lower() if actions else None), wants_export

    def audit(ctx: CommandContext) -> None:
        person, action, wants_export = _audit_filters(ctx.args)
        if wants_export:
            ctx.reply(":outbox_tray: Preparing the audit log as CSV; it will arrive in a DM.")
            send_audit_csv(ctx.client, team_id=ctx.team_id, user_id=ctx.user_id, person=person, action=action)
            return
        with services.sessions() as session:
            entries, more = store.list_audit(session=session, team_id=ctx.team_id, page=0, person=person, action=action)
        ctx.reply(**views.audit_message(entries, page=0, more=more, person=person, action=action))

    def send_audit_csv(
        client: WebClient, *, team_id: str, user_id: str, person: str | None, action: str | None
    ) -> None:
        now = services.now()
        with services.sessions() as session:
            content = coordination.audit_csv(session=session, team_id=team_id, person=person, action=action)
            store.record_audit(
                session=session,
                team_id=team_id,
                actor=user_id,
                action="audit.export",
                detail={"person": person or "", "filter": action or ""},
                now=now,
            )
        client.files_upload_v2(
            channel=_dm(client, user_id),
            content=content,
            filename=f"mentorship-audit-{now:%Y-%m-%d}.csv",
            title="Mentorship audit log",
            initial_comment="Here is the audit log"
            + (f" about <@{person}>" if person else "")
            + (f" ({action})" if action else "")
            + ", oldest first.",
            request_file_info=False,
        )

    @app.action(ids.AUDIT_EXPORT)
    def on_audit_export(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        actor = _user_id(body)
        if not services.is_coordinator(actor, _team_id(body)):
            client.chat_postMessage(channel=actor, text=NOT_A_COORDINATOR)
            return
        try:
            filters = json.loads(action.get("value") or "{}")
        except ValueError:
            filters = {}
        send_audit_csv(
            client,
            team_id=_team_id(body),
            user_id=actor,
            person=str(filters.get("person") or "") or None,
            action=str(filters.get("action") or "") or None,
        )

    def import_people(ctx: CommandContext) -> None:
        ctx.ack()
        ctx.client.views_open(trigger_id=ctx.trigger_id, view=views.import_modal())

    router.add(
        "program",
        program,
        help="create a cohort, or edit one: `/mentor program <name>`",
        usage="/mentor program [name]",
        coordinator=True,
    )
    router.add(
        "reflections",
        reflections,
        help="what the cohort's people wrote when their pair closed (achieved, learned); only you see it",
        coordinator=True,
    )
    router.add("announce", announce, help="post a cohort's signup announcement with a Join button", coordinator=True)
    router.add(
        "stats",
        stats_command,
        help="program figures and a chart, posted in this channel",
        usage="/mentor stats [cohort|all]",
        coordinator=True,
    )
    router.add(
        "export",
        export,
        help="a CSV of pairs, meetings, goals and survey aggregates by DM",
        usage="/mentor export [cohort] [with-comments]",
        coordinator=True,
    )
    router.add(
        "audit",
        audit,
        help="coordinator changes, 20 a page; filter by person or action, or export as CSV",
        usage="/mentor audit [@person] [action] [export]",
        coordinator=True,
    )
    router.add(
        "import",
        import_people,
        help="import manager, department and other HR fields from a CSV",
        coordinator=True,
    )

    # ------------------------------------------------------------------ program modal

    @app.view(ids.PROGRAM_VIEW)
    def on_program_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        actor, team_id = _user_id(body), _team_id(body)
        if not services.is_coordinator(actor, _team_id(body)):
            log.warning("forged program submission refused user=%s", actor)
            ack(response_action="update", view=views.refusal_view())
            return
        form = coordination.parse_program((view.get("state") or {}).get("values") or {})
        meta = _metadata(view)
        cohort_id = meta.get("cohort_id") if isinstance(meta.get("cohort_id"), int) else None
        today = services.now().date()

        def write(session: Session) -> tuple[Cohort, bool]:
            same_name = (
                store.find_cohort_by_name(session=session, team_id=team_id, name=form.name) if form.name else None
            )
            taken = same_name is not None and same_name.id != cohort_id
            if errors := coordination.validate_program(form, name_taken=taken):
                raise Invalid(errors)
            existing = session.get(Cohort, cohort_id) if cohort_id is not None else None
            before = settings_of(existing) if existing is not None and existing.team_id == team_id else None
            past = coordination.past_dates(form, today=today, before=before)
            if past and sorted(day.isoformat() for _, _, day in past) != sorted(meta.get("past_ok") or []):
                again = views.program_modal(
                    cohort_id=cohort_id,
                    name=form.name,
                    settings=CohortSettings.from_json(coordination.program_settings(form)),
                    weights_text=form.weights_raw,
                    skills=form.skills,
                    past=[(label, day) for _, label, day in past],
                    today=today,
                )
                raise Invalid(response={"response_action": "update", "view": again})
            return coordination.save_program(
                session=session, team_id=team_id, actor=actor, cohort_id=cohort_id, form=form, now=services.now()
            )

        stored = store_then_ack(services, ack, body, view, write)
        if stored is None:
            return
        cohort, created = stored.value
        announced = created and coordination.announce_signup(client=client, cohort=cohort)
        text = f":white_check_mark: Cohort *{escape(cohort.name)}* {'created' if created else 'saved'}."
        if announced:
            text += " The signup announcement is posted."
        client.chat_postMessage(channel=actor, text=text)

    # ------------------------------------------------------------------ audit paging

    @app.action(ids.COORD_AUDIT_PAGE)
    @app.action(ids.COORD_AUDIT_OLDER)
    def on_audit_page(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        actor = _user_id(body)
        if not services.is_coordinator(actor, _team_id(body)):
            respond(text=NOT_A_COORDINATOR, response_type="ephemeral", replace_original=False)
            return
        raw = str(action.get("value", ""))
        try:
            state = json.loads(raw) if not raw.isdigit() else {"page": int(raw)}
        except ValueError:
            state = {}
        page = state.get("page") if isinstance(state.get("page"), int) else 0
        person = str(state.get("person") or "") or None
        kind = str(state.get("action") or "") or None
        with services.sessions() as session:
            entries, more = store.list_audit(
                session=session, team_id=_team_id(body), page=page, person=person, action=kind
            )
        respond(replace_original=True, **views.audit_message(entries, page=page, more=more, person=person, action=kind))

    # ------------------------------------------------------------------ skip a round (participants)

    @app.action(ids.COORD_SKIP_ROUND)
    def on_skip_round(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        with services.sessions() as session:
            text = coordination.skip_round(
                session=session,
                team_id=_team_id(body),
                user_id=_user_id(body),
                value=str(action.get("value", "")),
                now=services.now(),
            )
        respond(text=text, replace_original=True)

    # ------------------------------------------------------------------ HR import upload

    @app.view(ids.IMPORT_VIEW)
    def on_import_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        actor, team_id = _user_id(body), _team_id(body)
        if not services.is_coordinator(actor, _team_id(body)):
            log.warning("forged import submission refused user=%s", actor)
            ack(response_action="update", view=views.refusal_view())
            return
        state = ((view.get("state") or {}).get("values") or {}).get(ids.IMPORT_FILE) or {}
        files = (state.get(ids.INPUT) or {}).get("files") or []
        url = (files[0].get("url_private_download") or files[0].get("url_private")) if files else None
        if not url:
            ack(response_action="errors", errors={ids.IMPORT_FILE: "Attach the CSV file."})
            return
        source = str(files[0].get("name") or "upload")[:200]

        def write(session: Session) -> int:
            return store.create_hr_import(
                session=session, team_id=team_id, actor=actor, source=source, file_url=str(url), now=services.now()
            )

        stored = store_then_ack(services, ack, body, view, write)
        if stored is None:
            return
        import_id = stored.value
        # After the ack: fetch the file, check every row, then import it or ask about the rows with problems.
        try:
            raw = _download(client, str(url), services.settings.slack_api_url)
        except OSError as exc:
            with services.sessions() as session:
                hr_import.refuse_upload(
                    session=session,
                    import_id=import_id,
                    reason=f"I couldn't download the file ({type(exc).__name__})",
                    now=services.now(),
                )
            client.chat_postMessage(channel=actor, text=f"I couldn't download the file ({type(exc).__name__}).")
            return

        def lookup(email: str) -> str | None:
            try:
                return str(client.users_lookupByEmail(email=email)["user"]["id"])
            except SlackApiError:
                return None

        with services.sessions() as session:
            report, staged = hr_import.check_upload(
                session=session,
                team_id=team_id,
                import_id=import_id,
                raw=raw,
                actor=actor,
                source=source,
                now=services.now(),
                resolve_email=lookup,
            )
        if staged:
            text = report.summary(confirm_hint="Import them now, or cancel and fix the file?")
            message = views.import_report_message(text, import_id=import_id, rows=len(report.plan.updates))
        else:
            message = views.import_report_message(report.summary())
        client.chat_postMessage(channel=actor, **message)

    def decide_import(confirm: bool) -> Callable[..., None]:
        def on_import_decided(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
            ack()
            actor, team_id = _user_id(body), _team_id(body)
            if not services.is_coordinator(actor, team_id):
                log.warning("forged import decision refused user=%s", actor)
                client.chat_postMessage(channel=actor, text=NOT_A_COORDINATOR)
                return
            import_id = int(action["value"]) if str(action.get("value", "")).isdigit() else 0
            with services.sessions() as session:
                if confirm:
                    report = hr_import.confirm_import(
                        session=session, team_id=team_id, import_id=import_id, actor=actor, now=services.now()
                    )
                    text = report.summary() if report is not None else "This import was already decided."
                else:
                    cancelled = hr_import.cancel_import(
                        session=session, team_id=team_id, import_id=import_id, now=services.now()
                    )
                    text = "Cancelled: nothing was imported." if cancelled else "This import was already decided."
            message = views.import_report_message(text)
            channel = str(
                (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id") or ""
            )
            ts = str((body.get("message") or {}).get("ts") or (body.get("container") or {}).get("message_ts") or "")
            if channel and ts:
                client.chat_update(channel=channel, ts=ts, **message)
            else:
                client.chat_postMessage(channel=actor, **message)

        return on_import_decided

    app.action(ids.IMPORT_CONFIRM)(decide_import(True))
    app.action(ids.IMPORT_CANCEL)(decide_import(False))
