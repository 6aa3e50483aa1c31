"""Block Kit for coordinators acting on pairs: the paged list, the pair card, the action modals, bulk
confirmations, one-click notes; and the messages the pair's people receive, each worded for its reader.

Pure builders: plain data in, Slack dicts out. Buttons that act on a pair carry ``pair_id:version``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from bot import ids
from bot.views.blocks import (
    actions,
    button,
    choice_list,
    context,
    divider,
    escape,
    input_block,
    modal,
    option,
    quote,
    section,
    static_select,
    text_input,
)
from bot.views.journey import become_mentor_message as _become_mentor
from storage.vocab import ControlSource, EndReason, GoalProgress, PairSource, PairStatus, SurveyKey

PER_PAGE = 15
STATUS_WORDS = {
    PairStatus.ACTIVE: "active",
    PairStatus.PAUSED: "paused",
    PairStatus.AT_RISK: "at risk",
    PairStatus.CLOSED: "ended",
}
STATUS_ICONS = {
    PairStatus.ACTIVE: ":large_green_circle:",
    PairStatus.PAUSED: ":double_vertical_bar:",
    PairStatus.AT_RISK: ":warning:",
    PairStatus.CLOSED: ":white_circle:",
}
REASON_WORDS = {
    EndReason.COMPLETED: "completed",
    EndReason.NOT_A_FIT: "not a fit",
    EndReason.INACTIVE: "inactive",
    EndReason.LEFT_COMPANY: "left the company",
    EndReason.OTHER: "other",
    EndReason.UNDONE: "withdrawn (rematch undone)",
}
END_CHOICES = (EndReason.COMPLETED, EndReason.NOT_A_FIT, EndReason.INACTIVE, EndReason.LEFT_COMPANY, EndReason.OTHER)
REMATCH_CHOICES = (EndReason.NOT_A_FIT, EndReason.INACTIVE, EndReason.LEFT_COMPANY, EndReason.OTHER)
SOURCE_WORDS = {
    PairSource.ALGORITHM: "matched in a round",
    PairSource.MANUAL: "paired by hand",
    PairSource.CHOICE: "chosen by the mentee",
    ControlSource.REMATCH: "a coordinator's rematch",
    ControlSource.REASSIGN: "a coordinator's reassignment",
    ControlSource.AUTO_REMATCH: "an automatic rematch after \u201cnot a fit\u201d",
    ControlSource.WAITING_LIST: "a freed place, from the waiting list",
}
PROGRESS_ICONS = {
    GoalProgress.NONE: ":white_circle:",
    GoalProgress.SOME: ":large_yellow_circle:",
    GoalProgress.DONE: ":white_check_mark:",
}


def counted(count: int, word: str, plural: str | None = None) -> str:
    """'1 meeting', '3 meetings'."""
    return f"{count} {word if count == 1 else (plural or word + 's')}"


def pair_words(pair: Any) -> str:
    """'<@mentee> with mentor <@mentor>'."""
    return f"<@{pair.mentee_user_id}> with mentor <@{pair.mentor_user_id}>"


def token(pair: Any) -> str:
    """What a button acting on a pair carries: its id and the version the coordinator sees."""
    return f"{pair.id}:{pair.version}"


def _age(since: datetime | None, now: datetime) -> str:
    if since is None:
        return "not started"
    days = max(0, (now - since).days)
    if days < 14:
        return counted(days, "day")
    if days < 61:
        return counted(days // 7, "week")
    return counted(days * 12 // 365, "month")


def _flags(pair: Any, facts: Any, now: datetime, rematch_asked: bool = False) -> list[str]:
    flags = []
    if pair.status == PairStatus.AT_RISK and facts.last_activity is not None:
        flags.append(f"inactive {_age(facts.last_activity, now)}")
    for role in facts.not_a_fit:
        flags.append(f"the {role} said not a fit")
    if rematch_asked:
        flags.append("rematch asked for")
    if pair.status == PairStatus.PAUSED:
        flags.append(f"paused until {facts.resume_at:%d %b}" if facts.resume_at else "paused, no resume date")
    return flags


# ---------------------------------------------------------------------- the list


def list_row(pair: Any, facts: Any, now: datetime) -> dict[str, Any]:
    """One pair in the list: who, status, age, meetings, last activity, flags, and Open."""
    status = f"{STATUS_ICONS.get(pair.status, '')} {STATUS_WORDS.get(pair.status, pair.status)}"
    last = facts.last_activity.strftime("%d %b") if facts.last_activity else "none"
    line = (
        f"*#{pair.id}* <@{pair.mentee_user_id}> ← <@{pair.mentor_user_id}>\n"
        f"{status} · {_age(facts.started_at or pair.created_at, now)} · {counted(facts.meetings, 'meeting')} · "
        f"last activity {last}"
    )
    if pair.status == PairStatus.CLOSED and pair.close_reason:
        line += f" · {REASON_WORDS.get(pair.close_reason, pair.close_reason.replace('_', ' '))}"
    flags = _flags(pair, facts, now)
    if flags:
        line += "\n:triangular_flag_on_post: " + "; ".join(flags)
    return section(line, button("Open", ids.PAIRS_OPEN, value=str(pair.id)), block_id=f"pairs_row_{pair.id}")


def list_modal(
    *,
    rows: Sequence[tuple[Any, Any]],
    title: str,
    page: int,
    total: int,
    filter_meta: dict[str, Any],
    now: datetime,
    bulk: bool = False,
) -> dict[str, Any]:
    """``/mentor pairs``: a page of pairs (at risk first), find by person, paging, and bulk actions at risk."""
    pages = max(1, -(-total // PER_PAGE))
    blocks: list[dict[str, Any]] = [
        section(f"*{title}*: {counted(total, 'pair')}" + (f", page {page + 1} of {pages}" if pages > 1 else "")),
        actions(
            {
                "type": "users_select",
                "action_id": ids.PAIRS_FIND,
                "placeholder": {"type": "plain_text", "text": "Find a pair by either person"},
            },
            block_id="pairs_find",
        ),
    ]
    if bulk and total:
        blocks.append(
            actions(
                button("Nudge all", ids.PAIRS_BULK_NUDGE, value="nudge"),
                button("End all inactive over N weeks", ids.PAIRS_BULK_END, value="end", style="danger"),
                block_id="pairs_bulk",
            )
        )
    blocks.append(divider())
    if not rows:
        blocks.append(section("No pairs here."))
    blocks += [list_row(pair, facts, now) for pair, facts in rows]
    nav = []
    if page > 0:
        nav.append(button("Previous", ids.PAIRS_PAGE, value=str(page - 1)))
    if page + 1 < pages:
        nav.append(button("Next", ids.PAIRS_PAGE_NEXT, value=str(page + 1)))
    if nav:
        blocks.append(actions(*nav, block_id="pairs_nav"))
    blocks.append(context("Open a pair for its history and actions. Every action is checked and audited."))
    return modal(
        callback_id=ids.PAIRS_LIST_VIEW,
        title="Pairs",
        blocks=blocks,
        submit=None,
        close="Close",
        private_metadata=json.dumps({**filter_meta, "page": page}),
    )


# ---------------------------------------------------------------------- the card


def _history(card: Any) -> list[str]:
    journey, pair, now = card.journey, card.pair, card.now
    lines = []
    if journey is not None:
        lines.append(
            f"*Kickoff:* {journey.started_at:%d %b %Y} · *ends* {journey.ends_at:%d %b %Y}"
            + (f" (extended {counted(journey.extensions, 'time')})" if journey.extensions else "")
        )
    else:
        lines.append(f"*Made:* {pair.created_at:%d %b %Y} · not started yet")
    if card.goals:
        goals = ", ".join(
            f"{PROGRESS_ICONS.get(g.get('progress', GoalProgress.NONE), '')} {escape(str(g.get('title', '')))}"
            for g in card.goals
        )
        lines.append(f"*Goals* ({card.goals_status or 'proposed'}): {goals}")
    else:
        lines.append("*Goals:* none set yet")
    if card.meetings:
        recent = ", ".join(f"{met:%d %b} ({minutes} min)" for met, minutes in card.meetings[-5:])
        lines.append(f"*Meetings:* {len(card.meetings)}: {recent}" + (" …" if len(card.meetings) > 5 else ""))
    else:
        lines.append("*Meetings:* none logged")
    if journey is not None:
        checkins = f"*Check-ins:* {counted(card.facts.checkins_sent, 'sent')}"
        checkins = checkins.replace(" sents", " sent")
        if journey.unanswered_checkins:
            checkins += f", the last {counted(journey.unanswered_checkins, 'unanswered')}".replace(
                "unanswereds", "unanswered"
            )
        else:
            checkins += ", the last one answered or a meeting logged since"
        last = journey.last_activity_at or journey.started_at
        checkins += f" · last sign of life {last:%d %b} ({_age(last, now)} ago)"
        lines.append(checkins)
    return lines


def card_blocks(card: Any) -> list[dict[str, Any]]:
    """The card's body: who, state, history, flags (no survey answers, no private notes)."""
    pair, now = card.pair, card.now
    state = f"{STATUS_ICONS.get(pair.status, '')} *{STATUS_WORDS.get(pair.status, pair.status).capitalize()}*"
    if pair.status == PairStatus.CLOSED:
        state += f" on {pair.closed_at:%d %b %Y}" if pair.closed_at else ""
        state += (
            f" ({REASON_WORDS.get(pair.close_reason, pair.close_reason.replace('_', ' '))})"
            if pair.close_reason
            else ""
        )
    who = (
        f"*Mentee:* <@{pair.mentee_user_id}>    *Mentor:* <@{pair.mentor_user_id}> "
        f"({card.mentor_load} of {card.mentor_capacity} places used)\n{state}"
        + (f" · cohort *{escape(card.cohort_name)}*" if card.cohort_name else "")
        + f"\n_{SOURCE_WORDS.get(pair.source, pair.source)}"
        + (f", replacing pair #{pair.replaces_pair_id}" if pair.replaces_pair_id else "")
        + (f", score {pair.score:.2f}" if pair.score else "")
        + "_"
    )
    blocks: list[dict[str, Any]] = [section(who)]
    if pair.reasons:
        blocks.append(context("Why they were matched: " + "; ".join(escape(r) for r in pair.reasons[:3])))
    blocks.append(section("\n".join(_history(card))))
    flags = _flags(pair, card.facts, now, card.rematch_asked)
    if flags:
        blocks.append(section(":triangular_flag_on_post: *Flags:* " + "; ".join(flags)))
    if card.replaced_by is not None:
        blocks.append(context(f"Replaced by pair #{card.replaced_by.id} with <@{card.replaced_by.mentor_user_id}>."))
    if card.change is not None:
        blocks.append(
            context(
                f"Last coordinator change: <@{card.change.actor}> · "
                f"{card.change.action.removeprefix('pair.').replace('_', ' ')} "
                f"· {card.change.created_at:%d %b %H:%M} UTC"
            )
        )
    return blocks


def card_actions(pair: Any) -> list[dict[str, Any]]:
    """The card's action buttons (none for an ended pair)."""
    if pair.status == PairStatus.CLOSED:
        return [context("This pair has ended: nothing more can be done to it.")]
    value = token(pair)
    paused = pair.status == PairStatus.PAUSED
    pause = (
        button("Resume", ids.PAIR_DO_RESUME, value=value) if paused else button("Pause", ids.PAIR_DO_PAUSE, value=value)
    )
    extend = [] if paused else [button("Extend", ids.PAIR_DO_EXTEND, value=value)]
    return [
        actions(
            button("Rematch mentee", ids.PAIR_DO_REMATCH, value=value, style="primary"),
            button("Reassign", ids.PAIR_DO_REASSIGN, value=value),
            pause,
            *extend,
            button("Message the pair", ids.PAIR_DO_MESSAGE, value=value),
            button("Nudge", ids.PAIR_DO_NUDGE, value=value),
            button("End", ids.PAIR_DO_END, value=value, style="danger"),
            block_id=f"pair_card_actions_{pair.id}",
        )
    ]


def card_modal(card: Any, *, notice: str = "") -> dict[str, Any]:
    """The pair card: history and actions."""
    blocks: list[dict[str, Any]] = []
    if notice:
        blocks.append(section(notice))
    blocks += [*card_blocks(card), *card_actions(card.pair)]
    return modal(
        callback_id=ids.PAIR_CARD_VIEW,
        title=f"Pair #{card.pair.id}",
        blocks=blocks[:100],
        submit=None,
        close="Close",
        private_metadata=json.dumps({"pair_id": card.pair.id, "version": card.pair.version}),
    )


# ---------------------------------------------------------------------- action modals


def _control(
    title: str, submit: str, action: str, pair: Any, blocks: list[dict[str, Any]], **meta: Any
) -> dict[str, Any]:
    return modal(
        callback_id=ids.PAIR_CONTROL_VIEW,
        title=title,
        blocks=[section(pair_words(pair) + f" · pair #{pair.id}"), *blocks],
        submit=submit,
        close="Back",
        private_metadata=json.dumps({"action": action, "pair_id": pair.id, "version": pair.version, **meta}),
    )


def _reasons(choices: Sequence[EndReason], initial: str) -> dict[str, Any]:
    return input_block(
        ids.PAIR_CTL_REASON,
        "Why is it ending?",
        choice_list("radio_buttons", [option(r, REASON_WORDS[r].capitalize()) for r in choices], initial=initial),
    )


def _other_text(optional: bool = True) -> dict[str, Any]:
    return input_block(
        ids.PAIR_CTL_OTHER,
        "In your words (needed for \u201cother\u201d; audit log only)",
        text_input(max_length=300),
        optional=optional,
    )


def end_modal(pair: Any, *, reason: str = EndReason.COMPLETED) -> dict[str, Any]:
    """End a pair with a reason; both people get a kind message that fits it."""
    blocks = [
        _reasons(END_CHOICES, reason),
        _other_text(),
        context(
            "Both people get a kind message that fits the reason (never who asked for it). Check-ins stop, "
            "the mentor's place is freed, and a closing survey follows where it makes sense."
        ),
    ]
    return _control("End the pair", "End pair", "end", pair, blocks)


def _candidate_line(candidate: Any) -> str:
    reasons = "; ".join(escape(r) for r in candidate.score.reasons[:3]) or "no stand-out reasons"
    places = counted(candidate.free_places, "free place")
    return f"<@{candidate.user_id}> · score {candidate.score.total:.2f} · {places}\n_{reasons}_"


def rematch_modal(
    pair: Any,
    proposal: Any,
    *,
    names: dict[str, str] | None = None,
    reason: str = EndReason.NOT_A_FIT,
    notice: str = "",
) -> dict[str, Any]:
    """Preview a rematch: the pair ends, then the mentee is paired with the best mentor a round would choose."""
    names = names or {}
    blocks: list[dict[str, Any]] = []
    if notice:
        blocks.append(section(notice))
    offered = [c.user_id for c in proposal.candidates]
    if proposal.candidates:
        lines = [f"{n}. {_candidate_line(c)}" for n, c in enumerate(proposal.candidates, start=1)]
        blocks.append(
            section(
                f"*Best available mentors for <@{pair.mentee_user_id}>* (a round's scoring and rules):\n"
                + "\n".join(lines)
            )
        )
        opts = [
            option(c.user_id, f"{n}. {names.get(c.user_id) or c.user_id} (score {c.score.total:.2f})")
            for n, c in enumerate(proposal.candidates, start=1)
        ]
        blocks.append(
            input_block(ids.PAIR_CTL_CHOICE, "New mentor", choice_list("radio_buttons", opts, initial=offered[0]))
        )
    else:
        blocks.append(
            section(
                f":hourglass: No mentor with a free place fits <@{pair.mentee_user_id}> now: "
                f"{escape(proposal.reason)}. Confirming ends the pair and puts them first in line on the waiting list."
            )
        )
    blocks += [_reasons(REMATCH_CHOICES, reason), _other_text()]
    blocks.append(context("The old pair is never proposed again. The new pair starts its journey at once."))
    return _control("Rematch the mentee", "End and rematch", "rematch", pair, blocks, offered=offered)


def reassign_modal(pair: Any) -> dict[str, Any]:
    """Reassign the mentee to a named mentor; the rules are checked as for ``/mentor pair``."""
    blocks = [
        input_block(
            ids.PAIR_CTL_MENTOR,
            "New mentor",
            {"type": "users_select", "placeholder": {"type": "plain_text", "text": "Choose a mentor"}},
        ),
        input_block(
            ids.PAIR_CTL_OVERRIDE,
            "If the new pair breaks a rule, why go ahead anyway?",
            text_input(max_length=300),
            optional=True,
            hint="Rules are checked as for /mentor pair: breaking one needs a reason, kept in the audit log.",
        ),
        _reasons(REMATCH_CHOICES, EndReason.NOT_A_FIT),
        _other_text(),
    ]
    return _control("Reassign the mentee", "Reassign", "reassign", pair, blocks)


def pause_modal(pair: Any) -> dict[str, Any]:
    """Pause the pair, with an optional resume date."""
    blocks = [
        input_block(
            ids.PAIR_CTL_UNTIL,
            "Resume on",
            {"type": "datepicker"},
            optional=True,
            hint="Empty: paused until someone resumes it.",
        ),
        input_block(ids.PAIR_CTL_NOTE, "Why (audit log)", text_input(max_length=300), optional=True),
        context("Check-ins and surveys wait during the pause and continue from the resume."),
    ]
    return _control("Pause the pair", "Pause", "pause", pair, blocks)


def resume_modal(pair: Any) -> dict[str, Any]:
    """Resume a paused pair now."""
    blocks = [
        section("Resume now? Check-ins pick up from today."),
        input_block(ids.PAIR_CTL_NOTE, "Why (audit log)", text_input(max_length=300), optional=True),
    ]
    return _control("Resume the pair", "Resume", "resume", pair, blocks)


def extend_modal(pair: Any, ends: date | None) -> dict[str, Any]:
    """Extend the pair by N months."""
    blocks = [
        section(f"It ends on *{ends:%d %B %Y}*." if ends else "It has not started yet."),
        input_block(
            ids.PAIR_CTL_MONTHS,
            "Extend by",
            static_select([option(str(n), counted(n, "month")) for n in range(1, 13)], initial="3"),
        ),
        input_block(ids.PAIR_CTL_NOTE, "Why (audit log)", text_input(max_length=300), optional=True),
    ]
    return _control("Extend the pair", "Extend", "extend", pair, blocks)


def message_modal(pair: Any) -> dict[str, Any]:
    """Write to the pair."""
    blocks = [
        input_block(ids.PAIR_CTL_MESSAGE, "Your message", text_input(multiline=True, max_length=2000)),
        context("It goes to their group DM, signed with your name."),
    ]
    return _control("Message the pair", "Send", "message", pair, blocks)


def nudge_modal(pair: Any, targets: Sequence[str]) -> dict[str, Any]:
    """Confirm a nudge to whoever went quiet."""
    who = " and ".join(f"<@{u}>" for u in targets)
    blocks = [
        section(f"A friendly reminder goes to {who}, in their own DM."),
        input_block(ids.PAIR_CTL_NOTE, "Why (audit log)", text_input(max_length=300), optional=True),
    ]
    return _control("Nudge", "Nudge", "nudge", pair, blocks)


def result_view(text: str, *, title: str = "Done") -> dict[str, Any]:
    """What the coordinator sees after an action."""
    return modal(callback_id="pair_control_done", title=title, blocks=[section(text)], submit=None, close="Close")


def problem_view(text: str, card: Any | None = None) -> dict[str, Any]:
    """A refusal or a changed pair, with the pair's current state and fresh actions when it is still open."""
    if card is None:
        return modal(
            callback_id="pair_control_refused",
            title="Nothing changed",
            blocks=[section(text)],
            submit=None,
            close="Close",
        )
    view = card_modal(card, notice=text)
    return view


# ---------------------------------------------------------------------- bulk


def _bulk_lines(items: Sequence[Any]) -> list[dict[str, Any]]:
    lines = [f"• #{i.pair_id} <@{i.mentee}> ← <@{i.mentor}> · inactive {counted(i.weeks, 'week')}" for i in items]
    out, chunk = [], []
    for line in lines:
        if sum(len(x) + 1 for x in chunk) + len(line) > 2900:
            out.append(section("\n".join(chunk)))
            chunk = []
        chunk.append(line)
    if chunk:
        out.append(section("\n".join(chunk)))
    return out


def _bulk_meta(kind: str, items: Sequence[Any], **extra: Any) -> str:
    return json.dumps({"bulk": kind, "items": [[i.pair_id, i.version] for i in items], **extra}, separators=(",", ":"))


def bulk_nudge_confirm(items: Sequence[Any]) -> dict[str, Any]:
    """Confirm nudging every at-risk pair, listing who is affected."""
    if not items:
        return result_view("No pair is at risk: nobody to nudge.", title="Nudge all")
    blocks = [
        section(f"*Nudge {counted(len(items), 'pair')}?* Whoever went quiet in each gets a friendly reminder:"),
        *_bulk_lines(items),
    ]
    blocks.append(context("A pair that changes before you confirm is left out."))
    return modal(
        callback_id=ids.PAIRS_BULK_VIEW,
        title="Nudge all",
        blocks=blocks[:100],
        submit="Nudge them",
        close="Back",
        private_metadata=_bulk_meta("nudge", items),
    )


def bulk_end_ask(weeks: int = 6) -> dict[str, Any]:
    """Ask how many weeks of inactivity before listing the pairs to end."""
    blocks = [
        input_block(
            ids.PAIR_CTL_WEEKS,
            "End at-risk pairs inactive for at least (weeks)",
            {
                "type": "number_input",
                "is_decimal_allowed": False,
                "initial_value": str(weeks),
                "min_value": "1",
                "max_value": "52",
            },
        ),
        context("Next you see every pair it would end, and confirm."),
    ]
    return modal(
        callback_id=ids.PAIRS_BULK_VIEW,
        title="End inactive pairs",
        blocks=blocks,
        submit="Show the pairs",
        close="Back",
        private_metadata=json.dumps({"bulk": "end_ask"}),
    )


def bulk_end_confirm(items: Sequence[Any], weeks: int) -> dict[str, Any]:
    """Confirm ending every listed pair (reason: inactive)."""
    if not items:
        return result_view(
            f"No at-risk pair has been inactive for {counted(weeks, 'week')} or more.", title="End inactive pairs"
        )
    blocks = [
        section(
            f"*End {counted(len(items), 'pair')} inactive for {counted(weeks, 'week')} or more?* "
            "Each person gets a kind message; places are freed:"
        ),
        *_bulk_lines(items),
        context("A pair that changes before you confirm is left out."),
    ]
    return modal(
        callback_id=ids.PAIRS_BULK_VIEW,
        title="End inactive pairs",
        blocks=blocks[:100],
        submit="End them",
        close="Back",
        private_metadata=_bulk_meta("end", items, weeks=weeks),
    )


# ---------------------------------------------------------------------- what the pair's people read


def ended_message(
    *,
    reason: str,
    reader_is_mentee: bool,
    partner_id: str,
    new_mentor: str | None = None,
    mentee_next: str = "pool",
    place_free: bool = False,
) -> dict[str, Any]:
    """A person's own message that their pair ended: kind, fitting the reason, the same whoever asked for it."""
    opening = {
        EndReason.COMPLETED: f":tada: Your mentorship with <@{partner_id}> is complete, and the program has closed it. "
        "Thank you for everything you put into it!",
        EndReason.NOT_A_FIT: f"Your mentorship with <@{partner_id}> has ended: the program is changing pairs. "
        "Sometimes a pairing just isn't the right one, and that's nobody's fault. Thank you for the time you gave it.",
        EndReason.INACTIVE: f"Your mentorship with <@{partner_id}> has been closed because it's been quiet for a "
        "while. No hard feelings: schedules get busy. Thank you for taking part.",
        EndReason.LEFT_COMPANY: f"Your mentorship with <@{partner_id}> has been closed because one of you is moving on "
        "from the company. Thank you for the time you spent together, and all the best!",
    }.get(
        reason,
        f"Your mentorship with <@{partner_id}> has been closed by the program. Thank you for the time you put in.",
    )
    if reader_is_mentee:
        follow = {
            "new_mentor": f" We've paired you with a new mentor, <@{new_mentor}>: your group DM with them opens now.",
            "waiting": " No mentor with a free place fits you right now, so you're first in line for the next one.",
            "pool": " You stay in the program: you'll be in the pool for the next match round "
            "(pause any time from App Home).",
        }[mentee_next]
        if reason == EndReason.LEFT_COMPANY:
            follow = ""
    else:
        follow = " Your mentoring place is free again." if place_free else ""
    text = opening + follow
    return {"text": text, "blocks": [section(text)]}


def closing_survey_message(pair_id: int, partner_id: str) -> dict[str, Any]:
    """The closing survey invitation after a coordinator ended the pair."""
    text = (
        f":bar_chart: One last, private question set about your mentorship with <@{partner_id}>: "
        "three questions, one minute."
    )
    return {
        "text": text,
        "blocks": [
            section(text),
            actions(
                button("Answer privately", ids.SURVEY_OPEN, value=f"{pair_id}|{SurveyKey.CLOSING}", style="primary")
            ),
            context("Who sees this: the program coordinators only. Your partner never does."),
        ],
    }


def completed_pair_message(pair_id: int) -> dict[str, Any]:
    """In the pair's DM, for a completed pair: a reflection and a thank-you note."""
    text = ":sparkles: Your mentorship is complete. Take two minutes to note what you achieved and thank each other."
    return {
        "text": text,
        "blocks": [section(text), actions(button("Write a reflection", ids.REFLECT_OPEN, value=str(pair_id)))],
    }


def become_mentor_message() -> dict[str, Any]:
    """The journey's invitation to mentor next time."""
    return _become_mentor()


def extended_message(*, months: int, ends: date) -> dict[str, Any]:
    """In the pair's DM: the program extended the mentorship."""
    text = (
        f":calendar: Good news: the program coordinators extended your mentorship by {counted(months, 'month')}, "
        f"to *{ends:%d %B %Y}*. Check-ins continue as before."
    )
    return {"text": text, "blocks": [section(text)]}


def coordinator_message(actor: str, message: str) -> dict[str, Any]:
    """The coordinator's own words to the pair (escaped)."""
    text = f":speech_balloon: A message from your program coordinator <@{actor}>:\n{quote(message)}"
    return {"text": text, "blocks": [section(text[:3000])]}


def nudge_message(partner_id: str, *, mentee: bool) -> dict[str, Any]:
    """A friendly nudge, worded for the mentee or the mentor."""
    ask = (
        "Could you suggest 30 minutes this week? Your mentor is there to help."
        if mentee
        else "Could you offer 30 minutes this week? A short check-in keeps your mentee going."
    )
    text = (
        ":wave: A friendly nudge from the mentorship program: it's been a while since you and "
        f"<@{partner_id}> caught up. {ask} If it isn't working, you can say so privately from App Home."
    )
    return {"text": text, "blocks": [section(text)]}


def talk_first_message(actor: str) -> dict[str, Any]:
    """To the person who raised a concern: a coordinator will talk with them first."""
    text = (
        f":speech_balloon: Thanks for telling us. <@{actor}> from the mentorship program will reach out to talk it "
        "through before anything changes. Your partner isn't told."
    )
    return {"text": text, "blocks": [section(text)]}


def withdrawn_message(partner_id: str) -> dict[str, Any]:
    """The replacement pair of an undone automatic rematch is withdrawn."""
    text = (
        f"Sorry for the back and forth: the introduction to <@{partner_id}> has been withdrawn by the program "
        "coordinators, so there's nothing you need to do. Thank you for your patience."
    )
    return {"text": text, "blocks": [section(text)]}


def continues_message(partner_id: str) -> dict[str, Any]:
    """The old pair of an undone automatic rematch continues."""
    text = (
        f"Update: your mentorship with <@{partner_id}> continues after all; the program coordinators undid the change. "
        "Check-ins pick up from today."
    )
    return {"text": text, "blocks": [section(text)]}


def inactive_notice_message(*, pair_id: int, partner_id: str, weeks: int, closes: datetime) -> dict[str, Any]:
    """A week before an inactive pair closes (the cohort's setting): log a meeting or keep going."""
    text = (
        f":hourglass: Your mentorship with <@{partner_id}> has been quiet for a while, and this program closes pairs "
        f"after {counted(weeks, 'week')} without a meeting or check-in. It will close on *{closes:%A %d %B}*. "
        "Want to keep going? Log a meeting or click below, and it stays open."
    )
    return {
        "text": text,
        "blocks": [
            section(text),
            actions(
                button("Keep us going", ids.CONTINUE_YES, value=str(pair_id), style="primary"),
                button("Log a meeting", ids.PAIR_LOG_MEETING, value=str(pair_id)),
            ),
        ],
    }


def auto_rematch_reporter_message(pair: Any, reporter: str, new_pair: Any | None) -> dict[str, Any]:
    """To the person who said "not a fit", after the automatic rematch (their partner is not told who said it)."""
    if reporter == pair.mentee_user_id:
        tail = (
            f" You're now paired with <@{new_pair.mentor_user_id}>: your group DM opens now."
            if new_pair is not None
            else " No mentor with a free place fits you right now, so you're first in line for the next one."
        )
    else:
        tail = " Your mentoring place is free again, and we're finding your mentee another mentor."
    text = (
        ":lock: Thanks for telling us. We've closed the pair; your partner got a neutral message and isn't told "
        "who said what." + tail
    )
    return {"text": text, "blocks": [section(text)]}


# ---------------------------------------------------------------------- coordinators' notes with one-click actions


def _card_button(pair: Any) -> dict[str, Any]:
    return button("Open pair card", ids.PAIRS_OPEN, value=str(pair.id))


def concern_note(pair: Any, *, raised_by: str, role: str, what: str, text: str = "") -> dict[str, Any]:
    """'Not a fit' or 'something's not right': rematch, end, talk first."""
    partner = pair.mentor_user_id if raised_by == pair.mentee_user_id else pair.mentee_user_id
    body = (
        f":lock: Private: <@{raised_by}> ({role} in pair #{pair.id} with <@{partner}>) {what}. "
        "Their partner has not been told."
    )
    if text:
        body += "\n" + quote(text)
    value = token(pair)
    return {
        "text": body,
        "blocks": [
            section(body[:3000]),
            actions(
                button("Rematch", ids.PAIR_DO_REMATCH, value=value, style="primary"),
                button("End", ids.PAIR_DO_END, value=f"{value}:{EndReason.NOT_A_FIT}", style="danger"),
                button("Talk first", ids.PAIR_DO_TALK, value=f"{value}:{raised_by}"),
                _card_button(pair),
                block_id=f"concern_{pair.id}",
            ),
        ],
    }


def silent_note(pair: Any, text: str) -> dict[str, Any]:
    """'Inactive for N weeks': end, rematch, nudge again."""
    value = token(pair)
    return {
        "text": text,
        "blocks": [
            section(text),
            actions(
                button("End", ids.PAIR_DO_END, value=f"{value}:{EndReason.INACTIVE}", style="danger"),
                button("Rematch", ids.PAIR_DO_REMATCH, value=f"{value}:{EndReason.INACTIVE}"),
                button("Nudge again", ids.PAIR_DO_NUDGE, value=value),
                _card_button(pair),
                block_id=f"silent_{pair.id}",
            ),
        ],
    }


def auto_rematch_note(
    old: Any, *, new_pair: Any | None, said_role: str, said_by: str, reason: str, until: datetime
) -> dict[str, Any]:
    """Coordinators: the cohort rematched automatically after a "not a fit"; undo within 24 h."""
    if new_pair is not None:
        outcome = f"<@{old.mentee_user_id}> is now paired with <@{new_pair.mentor_user_id}> (pair #{new_pair.id})."
    else:
        outcome = f"No mentor fits <@{old.mentee_user_id}> now ({escape(reason)}): they wait first in line."
    text = (
        f":arrows_counterclockwise: Private: <@{said_by}> ({said_role}) answered *not a fit* in pair #{old.id} "
        f"({pair_words(old)}). This cohort rematches automatically, so the pair is closed and {outcome} "
        f"You can undo this until {until:%a %d %b %H:%M} UTC."
    )
    value = f"{old.id}:{old.version}:" + (f"{new_pair.id}:{new_pair.version}" if new_pair is not None else "-:-")
    return {
        "text": text,
        "blocks": [
            section(text),
            actions(button("Undo", ids.PAIR_DO_UNDO, value=value), _card_button(old), block_id=f"undo_{old.id}"),
        ],
    }


def auto_closed_note(pair: Any, weeks: int) -> dict[str, Any]:
    """Coordinators: the cohort's setting closed an inactive pair."""
    text = (
        f":white_circle: Pair #{pair.id} ({pair_words(pair)}) was closed after {counted(weeks, 'week')} "
        "without activity, as this cohort's settings ask; both were told a week before and again now."
    )
    return {"text": text, "blocks": [section(text)]}


def place_offer_note(
    *, mentor_id: str, mentee_id: str, cohort_id: int | None, since: datetime, score: Any, now: datetime
) -> dict[str, Any]:
    """Coordinators: a freed place and the longest-waiting mentee who fits it, to confirm."""
    reasons = "; ".join(escape(r) for r in score.reasons[:3])
    text = (
        f":seat: <@{mentor_id}> has a free mentoring place again. The longest-waiting mentee who fits is "
        f"<@{mentee_id}>, waiting {_age(since, now)} (score {score.total:.2f}"
        + (f": {reasons}" if reasons else "")
        + ")."
    )
    value = f"{mentor_id}|{mentee_id}|{cohort_id if cohort_id is not None else ''}"
    return {
        "text": text,
        "blocks": [
            section(text),
            actions(
                button("Pair them", ids.PAIR_DO_FILL, value=value, style="primary"),
                button("Not now", ids.PAIR_DO_FILL_SKIP, value=value),
                block_id=f"place_{mentor_id}",
            ),
        ],
    }


def place_filled_note(
    *, mentor_id: str, mentee_id: str, since: datetime, now: datetime, automatic: bool
) -> dict[str, Any]:
    """Coordinators: a freed place went to a waiting mentee."""
    how = "automatically, as this cohort's settings ask" if automatic else "as you confirmed"
    text = (
        f":seat: <@{mentor_id}>'s free place went to <@{mentee_id}>, who had waited {_age(since, now)} ({how}). "
        "Their group DM opens now."
    )
    return {"text": text, "blocks": [section(text)]}
