"""Block Kit for the pair's journey: kickoff, goals, check-ins, meetings, fit, surveys, closure, App Home.

Pure builders: plain data in, Slack dicts out. Button values carry the pair id (and a key when needed).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from bot import ids
from bot.lifecycle.forms import CADENCES, CHANNELS, DURATIONS, MAX_GOALS, PROGRESS
from bot.views.blocks import (
    actions,
    button,
    choice_list,
    context,
    divider,
    escape,
    header,
    input_block,
    link,
    modal,
    option,
    section,
    static_select,
    text_input,
)
from bot.views.reasons import Reader, reason_lines
from bot.views.words import counted, word_for
from storage.vocab import Cadence, GoalProgress, GoalsStatus, PairRole, PairStatus

CADENCE_LABELS = {Cadence.WEEKLY: "Every week", Cadence.BIWEEKLY: "Every two weeks", Cadence.MONTHLY: "Every month"}
CHANNEL_LABELS = {"video": "Video call", "in_person": "In person", "chat": "Chat"}
PROGRESS_LABELS = {GoalProgress.NONE: "Not yet", GoalProgress.SOME: "Some progress", GoalProgress.DONE: "Done"}
PROGRESS_ICONS = {
    GoalProgress.NONE: ":white_circle:",
    GoalProgress.SOME: ":large_yellow_circle:",
    GoalProgress.DONE: ":white_check_mark:",
}
COORDINATORS_ONLY = "Who sees this: the program coordinators only. Your partner never does."


def months_text(days: int) -> str:
    """A program length in words: "6 months", "1 month", "3 weeks"."""
    months = round(days * 12 / 365)
    if months >= 1:
        return f"{months} month{'s' if months != 1 else ''}"
    weeks = max(1, round(days / 7))
    return f"{weeks} week{'s' if weeks != 1 else ''}"


def every_text(days: int) -> str:
    """A cadence in words: "every week", "every 2 weeks", "every 10 days"."""
    if days % 7 == 0:
        weeks = days // 7
        return "every week" if weeks == 1 else f"every {weeks} weeks"
    return f"every {days} days"


def first_agenda(duration_days: int) -> tuple[str, ...]:
    """The suggested agenda of the first meeting, for the program's own length."""
    return (
        "1. Introductions: your roles, your paths so far, what you enjoy outside work.",
        f"2. What the mentee hopes to get out of the next {months_text(duration_days)}.",
        "3. How you like to work: cadence, channel, how to reach each other between meetings.",
        "4. Agree on one to three goals (use *Set our goals* below).",
    )


def _msg(text: str, blocks: list[dict[str, Any]]) -> dict[str, Any]:
    return {"text": text, "blocks": blocks}


def pair_buttons(pair_id: int, *, paused: bool = False) -> dict[str, Any]:
    """The pair DM's everyday buttons."""
    value = str(pair_id)
    pause = button("Resume", ids.PAIR_RESUME, value=value) if paused else button("Pause", ids.PAIR_PAUSE, value=value)
    return actions(
        button("Set our goals", ids.PAIR_SET_GOALS, value=value, style="primary"),
        button("Log a meeting", ids.PAIR_LOG_MEETING, value=value),
        button("Find a time", ids.MEET_FIND, value=value),
        pause,
        button("Something's not right (private)", ids.PAIR_CONCERN, value=value),
    )


def kickoff_message(
    *,
    pair_id: int,
    mentee_id: str,
    mentor_id: str,
    reasons: Sequence[Mapping[str, Any] | str],
    overlap_lines: list[str],
    ends_on: date,
    duration_days: int = 182,
    cadence_days: int = 14,
) -> dict[str, Any]:
    """The introduction in the pair's group DM (the program's length and check-in cadence are the cohort's)."""
    lines = reason_lines(reasons, reader=Reader.PAIR, mentee=f"<@{mentee_id}>", mentor=f"<@{mentor_id}>")
    reason_text = "\n".join(f"• {r}" for r in lines) or "• You both opted in and your profiles fit well."
    overlap = "\n".join(overlap_lines) or "_You share no regular hours: agree on a time that works for both._"
    blocks = [
        header("Meet your mentorship partner"),
        section(
            f":wave: <@{mentee_id}>, meet <@{mentor_id}>, your *mentor*. <@{mentor_id}>, meet <@{mentee_id}>, "
            f"your *mentee*. This is your space for the program, which runs until *{ends_on:%d %B %Y}*."
        ),
        section(f"*Why you were matched*\n{reason_text}"),
        section(f"*Hours you both work* (each in your own time)\n{overlap}"),
        section("*A suggested agenda for your first meeting*\n" + "\n".join(first_agenda(duration_days))),
        pair_buttons(pair_id),
        context(
            f"I'll check in {every_text(cadence_days)} inside your working hours. "
            "*Something's not right* reaches the program coordinators only, never your partner."
        ),
    ]
    return _msg(f"Meet your mentorship partner: <@{mentee_id}> (mentee) and <@{mentor_id}> (mentor)", blocks)


def goals_reminder_message(*, pair_id: int) -> dict[str, Any]:
    text = (
        ":dart: A gentle nudge: you haven't set goals yet. Pairs with one to three clear goals get much more "
        "out of the program, and it takes five minutes."
    )
    return _msg(text, [section(text), actions(button("Set our goals", ids.PAIR_SET_GOALS, value=str(pair_id)))])


def goals_summary_lines(goals: list[dict[str, Any]]) -> list[str]:
    lines = []
    for goal in goals:
        icon = PROGRESS_ICONS.get(goal.get("progress", GoalProgress.NONE), ":white_circle:")
        target = f" (by {escape(goal['target_date'])})" if goal.get("target_date") else ""
        lines.append(f"{icon} *{escape(goal['title'])}*{target}: {escape(goal['measure'])}")
    return lines


def goals_proposal_message(
    *,
    pair_id: int,
    revision: int,
    proposer_id: str,
    confirmer_id: str,
    goals: list[dict[str, Any]],
    cadence: str,
    channel: str,
    growth_areas: str,
    outcomes: str,
    mentor_commits: str,
    mentee_commits: str,
) -> dict[str, Any]:
    """Posted in the pair DM when one person saves goals; only the other person can confirm."""
    details = [
        f"*Meeting:* {CADENCE_LABELS.get(cadence, cadence)} · {CHANNEL_LABELS.get(channel, channel)}",
        f"*Areas for growth:* {escape(growth_areas)}" if growth_areas else "",
        f"*Desired outcomes:* {escape(outcomes)}" if outcomes else "",
        f"*Mentor commits to:* {escape(mentor_commits)}" if mentor_commits else "",
        f"*Mentee commits to:* {escape(mentee_commits)}" if mentee_commits else "",
    ]
    blocks = [
        section(f":dart: <@{proposer_id}> proposed your goals:\n" + "\n".join(goals_summary_lines(goals))),
        section("\n".join(d for d in details if d)),
        actions(
            button("Confirm", ids.GOALS_CONFIRM, value=f"{pair_id}:{revision}", style="primary"),
            button("Edit", ids.PAIR_SET_GOALS, value=str(pair_id)),
        ),
        context(f"Only <@{confirmer_id}> can confirm. Either of you can edit."),
    ]
    return _msg(f"<@{proposer_id}> proposed your goals: <@{confirmer_id}>, please confirm.", blocks)


def goals_modal(
    *, pair_id: int, prefill: dict[str, Any] | None = None, partner_name: str = "your partner"
) -> dict[str, Any]:
    """Set or edit the pair's goals and expectations."""
    p = prefill or {}
    goals = list(p.get("goals") or [])
    blocks: list[dict[str, Any]] = [
        section(f"Agree on these together; {escape(partner_name)} is asked to confirm them in your DM."),
    ]
    for n in range(1, MAX_GOALS + 1):
        goal = goals[n - 1] if n <= len(goals) else {}
        target: dict[str, Any] = {"type": "datepicker"}
        if goal.get("target_date"):
            target["initial_date"] = goal["target_date"]
        blocks += [
            input_block(
                ids.GOAL_TITLE.format(n=n),
                f"Goal {n}",
                text_input(initial=goal.get("title"), max_length=150, placeholder="e.g. Lead a design review"),
                optional=n > 1,
            ),
            input_block(
                ids.GOAL_MEASURE.format(n=n),
                f"Goal {n}: how you'll know it's done",
                text_input(initial=goal.get("measure"), max_length=300),
                optional=True,
            ),
            input_block(ids.GOAL_TARGET.format(n=n), f"Goal {n}: target date", target, optional=True),
        ]
    cadence = [option(c, CADENCE_LABELS[c]) for c in CADENCES]
    channels = [option(c, CHANNEL_LABELS[c]) for c in CHANNELS]
    blocks += [
        divider(),
        input_block(
            ids.GOALS_GROWTH,
            "Areas for growth",
            text_input(initial=p.get("growth_areas"), multiline=True, max_length=1000),
            optional=True,
        ),
        input_block(
            ids.GOALS_OUTCOMES,
            "Desired outcomes",
            text_input(initial=p.get("outcomes"), multiline=True, max_length=1000),
            optional=True,
        ),
        input_block(
            ids.GOALS_CADENCE, "How often you'll meet", choice_list("radio_buttons", cadence, initial=p.get("cadence"))
        ),
        input_block(
            ids.GOALS_CHANNEL, "How you'll meet", choice_list("radio_buttons", channels, initial=p.get("channel"))
        ),
        input_block(
            ids.GOALS_DURATION,
            "How long your meetings last",
            static_select(
                [option(str(d), f"{d} minutes") for d in DURATIONS],
                initial=str(p["duration_minutes"]) if p.get("duration_minutes") in DURATIONS else None,
            ),
            optional=True,
        ),
        input_block(
            ids.GOALS_MENTOR_COMMITS,
            "The mentor commits to",
            text_input(initial=p.get("mentor_commits"), multiline=True, max_length=1000),
            optional=True,
        ),
        input_block(
            ids.GOALS_MENTEE_COMMITS,
            "The mentee commits to",
            text_input(initial=p.get("mentee_commits"), multiline=True, max_length=1000),
            optional=True,
        ),
    ]
    return modal(callback_id=ids.GOALS_VIEW, title="Our goals", blocks=blocks, private_metadata=str(pair_id))


def checkin_message(*, pair_id: int, text: str) -> dict[str, Any]:
    """The check-in nudge in the pair DM."""
    value = str(pair_id)
    blocks = [
        section(text),
        actions(
            button("Yes, log it", ids.CHECKIN_YES, value=value, style="primary"),
            button("Not yet", ids.CHECKIN_NOT_YET, value=value),
            button("Need help (private)", ids.CHECKIN_HELP, value=value),
            button("We've reached our goals", ids.PAIR_GOALS_ACHIEVED, value=value),
        ),
        context("*Need help* goes to the program coordinators only."),
    ]
    return _msg(text, blocks)


def meeting_modal(
    *,
    pair_id: int,
    today: date,
    goals: list[dict[str, Any]],
    prefill_date: date | None = None,
    prefill_duration: int | None = None,
) -> dict[str, Any]:
    """Log a meeting: date, duration, topics, notes, and one-click progress per goal."""
    durations = [option(str(d), f"{d} minutes") for d in DURATIONS]
    blocks: list[dict[str, Any]] = [
        input_block(
            ids.MEETING_DATE,
            "When did you meet?",
            {"type": "datepicker", "initial_date": (prefill_date or today).isoformat()},
        ),
        input_block(
            ids.MEETING_DURATION,
            "How long",
            static_select(durations, initial=str(prefill_duration if prefill_duration in DURATIONS else 30)),
        ),
        input_block(ids.MEETING_TOPICS, "Topics", text_input(max_length=500), optional=True),
        input_block(
            ids.MEETING_NOTES,
            "Notes (your pair can see them)",
            text_input(multiline=True, max_length=3000),
            optional=True,
        ),
    ]
    progress = [option(p, PROGRESS_LABELS[p]) for p in PROGRESS]
    for n, goal in enumerate(goals[:MAX_GOALS]):
        blocks.append(
            input_block(
                ids.MEETING_PROGRESS.format(n=n),
                f"Progress: {goal['title']}"[:150],
                choice_list("radio_buttons", progress, initial=goal.get("progress") or GoalProgress.NONE),
                optional=True,
            )
        )
    return modal(callback_id=ids.MEETING_VIEW, title="Log a meeting", blocks=blocks, private_metadata=str(pair_id))


def pause_modal(*, pair_id: int) -> dict[str, Any]:
    blocks = [
        section("Check-ins stop while you're paused and pick up again when you resume."),
        input_block(ids.PAUSE_UNTIL, "Resume on (optional)", {"type": "datepicker"}, optional=True),
    ]
    return modal(callback_id=ids.PAUSE_VIEW, title="Pause the pair", blocks=blocks, private_metadata=str(pair_id))


def concern_modal(*, pair_id: int) -> dict[str, Any]:
    blocks = [
        section(
            "Tell the program coordinators what's going on. *Your partner is not told.* "
            "You can also ask for a different match."
        ),
        input_block(
            ids.CONCERN_TEXT,
            "What's not working? (optional)",
            text_input(multiline=True, max_length=1000),
            optional=True,
            hint=COORDINATORS_ONLY,
        ),
    ]
    return modal(
        callback_id=ids.CONCERN_VIEW, title="Something's not right", blocks=blocks, private_metadata=str(pair_id)
    )


def rematch_offer_message(*, pair_id: int) -> dict[str, Any]:
    text = (
        ":lock: Thanks for telling us. The coordinators know, and your partner doesn't. "
        "Would you like a confidential rematch? You'll be first in line in the next round."
    )
    return _msg(
        text,
        [
            section(text),
            actions(
                button("Yes, find me someone else", ids.REMATCH_YES, value=str(pair_id), style="primary"),
                button("No, thanks", ids.REMATCH_NO, value=str(pair_id)),
            ),
        ],
    )


def fit_check_message(*, pair_id: int, partner_id: str) -> dict[str, Any]:
    text = f"You've had your first meeting with <@{partner_id}>. Privately: how's the fit so far?"
    value = str(pair_id)
    return _msg(
        text,
        [
            section(text),
            actions(
                button("Good fit", ids.FIT_GOOD, value=value, style="primary"),
                button("Still deciding", ids.FIT_UNSURE, value=value),
                button("Not a fit", ids.FIT_NOT, value=value),
            ),
            context(COORDINATORS_ONLY),
        ],
    )


def continue_check_message(*, pair_id: int, partner_id: str) -> dict[str, Any]:
    text = (
        f"It's been quiet between you and <@{partner_id}> for a while, and that's okay: life gets busy. "
        "Privately, are you still able to continue?"
    )
    value = str(pair_id)
    return _msg(
        text,
        [
            section(text),
            actions(
                button("Yes, let's continue", ids.CONTINUE_YES, value=value, style="primary"),
                button("I need a pause", ids.CONTINUE_PAUSE, value=value),
                button("I'd like to stop", ids.CONTINUE_STOP, value=value),
            ),
            context(COORDINATORS_ONLY),
        ],
    )


def survey_invite_message(*, pair_id: int, survey_key: str, closing: bool, partner_id: str = "") -> dict[str, Any]:
    what = "closing survey" if closing else "pulse survey"
    about = f" about your mentorship with <@{partner_id}>" if partner_id else ""
    text = f":bar_chart: Time for a quick {what}{about}: three questions, one minute."
    return _msg(
        text,
        [
            section(text),
            actions(button("Answer privately", ids.SURVEY_OPEN, value=f"{pair_id}|{survey_key}", style="primary")),
            context(COORDINATORS_ONLY),
        ],
    )


def survey_modal(*, pair_id: int, survey_key: str, closing: bool) -> dict[str, Any]:
    """1-5 satisfaction, 0-10 would-recommend, optional comment; each labelled with who sees it."""
    sat = [option(str(n), f"{n} {label}") for n, label in zip(range(1, 6), ("😞", "🙁", "😐", "🙂", "😀"), strict=True)]
    rec = [option(str(n)) for n in range(11)]
    blocks = [
        section(":lock: " + COORDINATORS_ONLY),
        input_block(
            ids.SURVEY_SATISFACTION,
            "How satisfied are you with your mentorship?",
            choice_list("radio_buttons", sat),
            hint="Coordinators only.",
        ),
        input_block(
            ids.SURVEY_RECOMMEND,
            "How likely are you to recommend the program to a colleague? (0-10)",
            static_select(rec),
            hint="Coordinators only; reported as an aggregate score.",
        ),
        input_block(
            ids.SURVEY_FREE,
            "What would make it better?" if not closing else "Anything the program should change?",
            text_input(multiline=True, max_length=1000),
            optional=True,
            hint="Coordinators only.",
        ),
    ]
    title = "Closing survey" if closing else "Pulse survey"
    return modal(callback_id=ids.SURVEY_VIEW, title=title, blocks=blocks, private_metadata=f"{pair_id}|{survey_key}")


def milestone_message(text: str) -> dict[str, Any]:
    return _msg(text, [section(text)])


def _notes_text(notes: Sequence[tuple[date, str]], limit: int) -> str:
    """Meeting notes for the pair itself (App Home, closing summary): newest first, each cut to fit."""
    lines = [f"• {day:%d %b}: {escape(text[:300])}" for day, text in notes[:limit]]
    more = f"\n_and {len(notes) - limit} earlier_" if len(notes) > limit else ""
    return ("*Your meeting notes* (only you two see them)\n" + "\n".join(lines))[:2900] + more


def closure_message(
    *,
    pair_id: int,
    meetings: int,
    minutes: int,
    goals: list[dict[str, Any]],
    early: bool,
    resources: Sequence[tuple[str, str]] = (),
    notes: Sequence[tuple[date, str]] = (),
    extension_days: int = 91,
) -> dict[str, Any]:
    """The closing summary with the reflection and the close / extend / continue choice.

    ``resources`` are the (title, url) pairs shared in the pair, listed (at most 5) under "Resources shared";
    ``notes`` the (day, notes) of the pair's meetings, newest first (the last 5 are shown, for the pair only).
    """
    why = "You've both marked your goals achieved" if early else "Your mentorship program has reached its end date"
    goal_lines = "\n".join(goals_summary_lines(goals)) or "_No goals were recorded._"
    shared = f"*Resources shared:* {len(resources)}"
    shown = 0
    for title, url in resources[:5]:
        line = f"\n• {link(url, (title or url)[:80])}"
        if len(shared) + len(line) > 2800:  # a section holds 3,000 characters; links may be long
            break
        shared, shown = shared + line, shown + 1
    if shown < len(resources):
        shared += f"\n_and {len(resources) - shown} more_"
    hours = f"{minutes / 60:.1f}".rstrip("0").rstrip(".")
    value = str(pair_id)
    blocks = [
        header("Your mentorship, wrapped up"),
        section(f":tada: {why}. Here's what you did together:"),
        section(f"*Meetings held:* {meetings} ({hours} {word_for(minutes / 60, 'hour')})\n*Goals*\n{goal_lines}"),
        section(shared),
        *([section(_notes_text(notes, 5))] if notes else []),
        actions(button("Reflect and say thanks", ids.REFLECT_OPEN, value=value, style="primary")),
        section("*What next?* Either of you can choose:"),
        actions(
            button("Close the pair", ids.CLOSE_CLOSE, value=value),
            button(f"Extend by {months_text(extension_days)}", ids.CLOSE_EXTEND, value=value),
            button("Continue informally", ids.CLOSE_INFORMAL, value=value),
        ),
    ]
    return _msg(f"{why}: {counted(meetings, 'meeting')} held.", blocks)


def reflection_modal(*, pair_id: int, partner_name: str) -> dict[str, Any]:
    blocks = [
        input_block(
            ids.REFLECT_ACHIEVED,
            "What did you achieve?",
            text_input(multiline=True, max_length=2000),
            hint="Coordinators see this to improve the program.",
        ),
        input_block(
            ids.REFLECT_LEARNED,
            "What did you learn?",
            text_input(multiline=True, max_length=2000),
            optional=True,
            hint="Coordinators see this to improve the program.",
        ),
        input_block(
            ids.REFLECT_THANKS,
            f"A thank-you note for {partner_name}"[:150],
            text_input(multiline=True, max_length=2000),
            optional=True,
            hint=f"Delivered to {partner_name}."[:150],
        ),
    ]
    return modal(callback_id=ids.REFLECTION_VIEW, title="Reflect", blocks=blocks, private_metadata=str(pair_id))


def become_mentor_message() -> dict[str, Any]:
    text = (
        ":seedling: You've grown a lot this program. Would you like to pass it on as a *mentor* in the next cohort? "
        "One click signs you up; you can change it any time with `/mentor profile`."
    )
    return _msg(
        text,
        [
            section(text),
            actions(
                button("Sign me up as a mentor", ids.BECOME_MENTOR, style="primary"),
                button("Mentor and mentee", ids.BECOME_BOTH),
            ),
        ],
    )


def home_pair_section(
    *,
    pair_id: int,
    partner_id: str,
    my_role: str,
    status: str,
    goals: list[dict[str, Any]],
    goals_status: str,
    next_checkin: str,
    meetings: int,
    ends_on: date,
    notes: Sequence[tuple[date, str]] = (),
    next_meeting: str = "",
) -> list[dict[str, Any]]:
    """The App Home blocks for one pair (``notes``: the pair's meeting notes, newest first, for the two of them)."""
    other = PairRole.MENTOR if my_role == PairRole.MENTEE else PairRole.MENTEE
    state = {
        PairStatus.PAUSED: ":double_vertical_bar: paused",
        PairStatus.AT_RISK: ":warning: quiet lately",
        PairStatus.CLOSED: "closed",
    }.get(status, ":large_green_circle: active")
    goal_lines = goals_summary_lines(goals)
    if goal_lines and goals_status != GoalsStatus.CONFIRMED:
        goal_lines.append("_Waiting for confirmation._")
    value = str(pair_id)
    pause = (
        button("Resume", ids.HOME_PAIR_RESUME, value=value)
        if status == PairStatus.PAUSED
        else button("Pause", ids.HOME_PAIR_PAUSE, value=value)
    )
    return [
        header("Your mentorship"),
        section(
            f"Your {other}: <@{partner_id}> · {state} · until {ends_on:%d %b %Y}\n"
            f"*Meetings logged:* {meetings} · *Next check-in:* {next_checkin}"
            + (f"\n:calendar: *Next meeting:* {next_meeting}" if next_meeting else "")
        ),
        section("*Goals*\n" + ("\n".join(goal_lines) if goal_lines else "_No goals yet._")),
        *([section(_notes_text(notes, 3))] if notes else []),
        actions(
            button("Log a meeting", ids.HOME_PAIR_LOG, value=value, style="primary"),
            button("Goals", ids.HOME_PAIR_GOALS, value=value),
            button("Find a time", ids.HOME_PAIR_MEET, value=value),
            pause,
        ),
    ]


def which_pair_message(*, action_id: str, doing: str, options: Sequence[tuple[int, str, str]]) -> dict[str, Any]:
    """Asked when a person in several pairs types a pair command outside any pair's DM: one button per pair.

    ``options`` are (pair id, partner's user id, the person's own role in that pair).
    """
    text = f"You're in {len(options)} mentorships. Which one do you want to {doing} for?"
    blocks: list[dict[str, Any]] = [section(text)]
    for pair_id, partner, role in options[:20]:
        who = "your mentee" if role == PairRole.MENTOR else "your mentor"
        blocks.append(
            section(f"With {who} <@{partner}>", accessory=button(doing.capitalize(), action_id, value=str(pair_id)))
        )
    blocks.append(context("Tip: type the command in the pair's own conversation and I'll know which one you mean."))
    return {"text": text, "blocks": blocks}
