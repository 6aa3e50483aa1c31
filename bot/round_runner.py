"""Running a cohort's round with Slack: plan after the ack, show the preview, announce a publication.

:func:`begin_round` is the one entry point that starts a round, whoever asks: ``/mentor match`` (after its
ack, with the modal to update) and the cohort's match date (no modal; the preview lands in the coordinators'
DMs and on App Home). In a mentee-choice cohort it sends the shortlists instead.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from bot import choice, matchmaking
from bot.cohorts import get_cohort, settings_of
from bot.coordinators import coordinator_targets
from bot.outbox import Outgoing
from bot.views.blocks import escape, section
from bot.views.matching import (
    PreviewData,
    PreviewState,
    RuleLine,
    build_preview_modal,
    build_replaced_modal,
    build_running_modal,
    plural,
    preview_ready_message,
    unmatched_message,
)
from storage import rounds as store
from storage.coordination import record_audit
from storage.models import MatchRound, Pair
from storage.vocab import LIVE_ROUND_STATUSES, PairRuleKind

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)
SCHEDULE = "schedule"  # the actor of a round that ran by itself on its cohort's match date


def preview_data(session: Session, match_round: MatchRound) -> PreviewData:
    """A round's preview with the cohort's current pins and forbids, as plain data for the builder."""
    assert match_round.id is not None
    cohort = get_cohort(session=session, team_id=match_round.team_id, cohort_id=match_round.cohort_id)
    rules: list[RuleLine] = []
    pending = False
    if cohort is not None and cohort.id is not None:
        current = matchmaking.load_rules(session=session, team_id=match_round.team_id, cohort_id=cohort.id)
        rules = [
            RuleLine(int(r.id or 0), r.rule, r.mentee_user_id, r.mentor_user_id, r.created_by) for r in current.rows
        ]
        pending = matchmaking.rules_changed_since_plan(match_round, current) or (
            current.forbidden_pairs != sorted(match_round.forbidden or [])
            or current.pinned_pairs != sorted(match_round.pinned or [])
        )
    return PreviewData(
        round_id=match_round.id,
        revision=match_round.revision,
        cohort=cohort.name if cohort is not None else "",
        result=match_round.result or {},
        rules=rules,
        rules_pending=pending and match_round.status in LIVE_ROUND_STATUSES,
        carry_over=settings_of(cohort).carry_over,
    )


def preview_view(session: Session, match_round: MatchRound, state: PreviewState | None = None) -> dict[str, Any]:
    """The preview modal of a round (or what a replaced one answers)."""
    if match_round.status not in LIVE_ROUND_STATUSES:
        return replaced_view(session, match_round)
    return build_preview_modal(data=preview_data(session, match_round), state=state)


def replaced_view(session: Session, match_round: MatchRound) -> dict[str, Any]:
    """What a preview that is no longer live answers: nothing changed, and where the live one is."""
    latest = (
        store.live_round(session=session, team_id=match_round.team_id, cohort_id=match_round.cohort_id)
        if match_round.cohort_id is not None
        else None
    )
    texts = {
        "published": ":white_check_mark: This round was already published, so nothing was changed here.",
        "discarded": ":wastebasket: This preview was discarded, so nothing was changed here.",
        "failed": ":x: This round failed to plan, so nothing was changed here.",
    }
    text = texts.get(str(match_round.status), "")
    return build_replaced_modal(latest_round=latest.id if latest is not None else None, text=text)


@dataclass
class Started:
    """What :func:`begin_round` did."""

    round_id: int | None = None
    cohort: str = ""
    shortlists: int = 0
    choice_mode: bool = False


def begin_round(
    services: Services,
    client: WebClient,
    *,
    team_id: str,
    cohort_id: int,
    actor: str,
    channel_id: str = "",
    view_id: str | None = None,
) -> Started:
    """Start a round of a cohort and plan it (call after the ack; it takes as long as matching takes).

    Args:
        services: Settings, sessions, clock.
        client: The WebClient that speaks for the workspace.
        team_id: The workspace.
        cohort_id: The cohort to match.
        actor: Who asked (a coordinator's user id, or ``"schedule"`` for the cohort's match date).
        channel_id: Where the command was typed.
        view_id: The running modal to turn into the preview (None: the preview goes by DM only).

    Returns:
        The round started (or, in a mentee-choice cohort, how many shortlists went out).
    """
    now = services.now()
    with services.sessions() as session:
        cohort = get_cohort(session=session, team_id=team_id, cohort_id=cohort_id)
        if cohort is None:
            raise LookupError(f"no cohort {cohort_id}")
        if settings_of(cohort).mentee_choice:
            count = send_shortlists(
                services, client, session=session, team_id=team_id, cohort_id=cohort_id, actor=actor
            )
            return Started(cohort=cohort.name, shortlists=count, choice_mode=True)
        started = matchmaking.start_round(
            session=session, team_id=team_id, cohort_id=cohort_id, requested_by=actor, channel_id=channel_id, now=now
        )
        assert started.round.id is not None
        replaced = [store.get_round(session=session, team_id=team_id, round_id=i) for i in started.superseded]
        record_audit(
            session=session,
            team_id=team_id,
            actor=actor,
            action="match.run",
            target=f"round:{started.round.id}",
            detail={"cohort": cohort.name, "superseded": started.superseded},
            now=now,
        )
    for old in replaced:
        if old is not None and old.requested_by and old.requested_by != actor and old.requested_by != SCHEDULE:
            _safe_post(
                client,
                old.requested_by,
                f"Your match preview of {cohort.name} (round #{old.id}) was replaced by a newer one that "
                f"{'the schedule' if actor == SCHEDULE else f'<@{actor}>'} started. Its buttons no longer change "
                "anything; the new preview is on App Home.",
            )
    plan_and_show(services, client, round_id=started.round.id, view_id=view_id, actor=actor)
    return Started(round_id=started.round.id, cohort=cohort.name)


def plan_and_show(
    services: Services,
    client: WebClient,
    *,
    round_id: int,
    view_id: str | None,
    actor: str,
    state: PreviewState | None = None,
    notify: bool = True,
) -> MatchRound | None:
    """Plan a live round, then show the preview in the modal and announce it by DM.

    Returns None (and shows "replaced") when the round stopped being live while it was planned.
    """
    try:
        with services.sessions() as session:
            match_round = matchmaking.compute_round(session=session, round_id=round_id, now=services.now())
    except Exception:
        log.exception("match round failed round=%s", round_id)
        with services.sessions() as session:
            store.fail_round(
                session=session, round_id=round_id, error="the matcher hit an error; see the logs", now=services.now()
            )
        if actor != SCHEDULE:
            _safe_post(client, actor, "Sorry, the match round failed. Please try `/mentor match` again.")
        if view_id:
            _safe_update(
                client, view_id, build_replaced_modal(latest_round=None, text=":x: Sorry, the match round failed.")
            )
        return None
    with services.sessions() as session:
        if match_round is None:
            gone = store.get_round(session=session, team_id=_team_of(session, round_id), round_id=round_id)
            if view_id and gone is not None:
                _safe_update(client, view_id, replaced_view(session, gone))
            return None
        view = preview_view(session, match_round, state)
        cohort = (match_round.result.get("cohort") or {}).get("name", "")
    if view_id:
        _safe_update(client, view_id, view)
    if notify:
        result = match_round.result
        message = preview_ready_message(
            round_id=round_id,
            pairs=len(result.get("pairs", [])),
            unmatched=len(result.get("unmatched", {})),
            mean=float(result.get("mean_score", 0.0)),
            cohort=cohort,
        )
        text, blocks = message["text"], message["blocks"]
        if actor == SCHEDULE:
            lead = (
                f":calendar: Today is the match date of *{escape(cohort)}*, so I ran the round. "
                "Nothing is published yet."
            )
            text, blocks = f"{lead} {text}", [section(lead), *blocks]
        for person in _coordinators_to_tell(services, actor, match_round.team_id):
            _safe_post(client, person, text, blocks)
    return match_round


def _team_of(session: Session, round_id: int) -> str:
    row = session.get(MatchRound, round_id)
    return row.team_id if row is not None else ""


def _coordinators_to_tell(services: Services, actor: str, team_id: str) -> list[str]:
    """The person who asked; for a scheduled round, every coordinator of the workspace."""
    if actor != SCHEDULE:
        return [actor]
    return coordinator_targets(services, team_id)


def _safe_post(client: WebClient, channel: str, text: str, blocks: list[dict[str, Any]] | None = None) -> None:
    try:
        client.chat_postMessage(channel=channel, text=text, blocks=blocks)
    except SlackApiError as exc:
        log.warning("round notice failed channel=%s error=%s", channel, exc.response.get("error"))


def _safe_update(client: WebClient, view_id: str, view: dict[str, Any]) -> None:
    try:
        client.views_update(view_id=view_id, view=view)
    except SlackApiError as exc:  # the coordinator closed the modal: the DM still has the preview
        log.info("preview modal not updated view=%s error=%s", view_id, exc.response.get("error"))


def running_view(*, cohort: str, rerun: bool = False) -> dict[str, Any]:
    """The modal shown while a round is planned."""
    return build_running_modal(rerun=rerun, cohort=cohort)


# ---------------------------------------------------------------------- publication


def announce_publication(services: Services, client: WebClient, publication: matchmaking.Publication) -> None:
    """After a publication: start every new pair's journey, tell each unmatched mentee why, and tell the former
    partner of a mentee who asked for another mentor that their pair ended."""
    start_pairs(services, client, publication.pairs)
    for user_id, reason in publication.unmatched.items():
        message = unmatched_message(reason)
        _safe_post(client, user_id, message["text"], message["blocks"])
    for old in publication.rematched:
        _safe_post(
            client,
            old.mentor_user_id,
            f"Your mentoring pair with <@{old.mentee_user_id}> has ended. Thank you for the time you put in!",
        )


def start_pairs(services: Services, client: WebClient, pairs: list[Pair]) -> None:
    """Open each new pair's group DM and plan its journey; introduce them now rather than at the next tick."""
    from bot.dispatch import Dispatcher
    from bot.lifecycle.plan import start_pair
    from bot.networking import schedule_people_to_meet

    for pair in pairs:
        with services.sessions() as session:
            start_pair(session=session, services=services, pair=pair, now=services.now())
    if pairs:
        with services.sessions() as session:
            schedule_people_to_meet(session=session, team_id=pairs[0].team_id, now=services.now())
        Dispatcher(services, owner=f"publish-{pairs[0].team_id}").tick(services.now())


# ---------------------------------------------------------------------- mentee choice


def send_shortlists(
    services: Services, client: WebClient, *, session: Session, team_id: str, cohort_id: int, actor: str
) -> int:
    """Mentee-choice cohort: DM every waiting mentee a capacity-aware shortlist; tell those nobody fits."""
    offering = choice.offer_shortlists(session=session, team_id=team_id, cohort_id=cohort_id, now=services.now())
    cfg = settings_of(offering.cohort)
    record_audit(
        session=session,
        team_id=team_id,
        actor=actor,
        action="match.shortlists",
        target=f"cohort:{cohort_id}",
        detail={
            "cohort": offering.cohort.name,
            "mentees": len(offering.shortlists),
            "nobody_fits": len(offering.nobody_fits),
            "already_waiting": offering.already_waiting,
        },
        now=services.now(),
    )
    messages = [choice.shortlist_message(session, s, cfg.choice_response_days) for s in offering.shortlists]
    for user_id, reason in offering.nobody_fits.items():
        told = unmatched_message(reason)
        messages.append(Outgoing(channel=user_id, text=told["text"], blocks=told["blocks"]))
    send(client, messages)
    summary = (
        f"Sent shortlists to {plural(len(offering.shortlists), 'mentee')} in {offering.cohort.name}: each lists up "
        f"to {choice.SHORTLIST} mentors, drawn so that the requests each mentor can expect fit their free places. "
        f"Mentees have {plural(cfg.choice_pick_days, 'day')} to pick (reminded half-way); mentors have "
        f"{plural(cfg.choice_response_days, 'day')} to answer each request."
    )
    if offering.nobody_fits:
        summary += f" {plural(len(offering.nobody_fits), 'mentee')} had no mentor who fits: they were told why."
    if offering.already_waiting:
        summary += f" {plural(offering.already_waiting, 'mentee')} still had an open shortlist and kept it."
    for person in _coordinators_to_tell(services, actor):
        _safe_post(client, person, summary)
    return len(offering.shortlists)


def send(client: WebClient, messages: list[Outgoing]) -> None:
    """Send messages in order (a failure of one does not stop the others)."""
    for message in messages:
        _safe_post(client, message.channel, message.text, message.blocks)


def after_step(services: Services, client: WebClient, step: choice.Step) -> None:
    """Send what a choice action led to, and start the journeys of the pairs it made."""
    send(client, step.messages)
    if step.pairs:
        start_pairs(services, client, step.pairs)


__all__ = [
    "PairRuleKind",
    "Started",
    "after_step",
    "announce_publication",
    "begin_round",
    "plan_and_show",
    "preview_data",
    "preview_view",
    "replaced_view",
    "running_view",
    "send",
    "send_shortlists",
    "start_pairs",
]


def _start_journeys(services: Services, session: Session, pairs: list[Pair]) -> None:
    from bot.lifecycle.plan import start_pair

    for pair in pairs:
        start_pair(session=session, services=services, pair=pair, now=services.now())


def _render_answer_deadline(services: Services, session: Session, prompt: Any, now: Any) -> list[Outgoing] | None:
    step = choice.answer(
        session=session,
        team_id=prompt.team_id,
        request_id=int(prompt.payload["request"]),
        actor=None,
        accept=False,
        now=now,
    )
    _start_journeys(services, session, step.pairs)
    return step.messages or None


def _render_answer_reminder(services: Services, session: Session, prompt: Any, now: Any) -> Outgoing | None:
    return choice.answer_reminder(session=session, team_id=prompt.team_id, request_id=int(prompt.payload["request"]))


def _render_pick_reminder(services: Services, session: Session, prompt: Any, now: Any) -> Outgoing | None:
    payload = prompt.payload or {}
    return choice.pick_reminder(
        session=session, team_id=prompt.team_id, mentee=str(payload["mentee"]), batch=int(payload["batch"])
    )


def _render_pick_deadline(services: Services, session: Session, prompt: Any, now: Any) -> list[Outgoing] | None:
    payload = prompt.payload or {}
    step = choice.pick_deadline(
        session=session, team_id=prompt.team_id, mentee=str(payload["mentee"]), batch=int(payload["batch"]), now=now
    )
    _start_journeys(services, session, step.pairs)
    return step.messages or None


def register_prompt_kinds() -> None:
    """The mentee-choice window's prompts: reminders half-way, and what happens at each deadline."""
    from bot.outbox import register_prompt_kind
    from storage.vocab import PromptKind

    register_prompt_kind(PromptKind.CHOICE_DEADLINE, _render_answer_deadline)
    register_prompt_kind(PromptKind.CHOICE_ANSWER_REMINDER, _render_answer_reminder)
    register_prompt_kind(PromptKind.CHOICE_PICK_REMINDER, _render_pick_reminder)
    register_prompt_kind(PromptKind.CHOICE_PICK_DEADLINE, _render_pick_deadline)
