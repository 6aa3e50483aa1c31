"""Block Kit for coordinators: the program modal, stats, audit log, home section, digest, pair actions."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from bot import ids
from bot.stats import HIDDEN, MIN_GROUP, ProgramStats, count_text, visible
from bot.views.blocks import (
    actions,
    button,
    choice_list,
    context,
    divider,
    escape,
    fit_lines,
    header,
    input_block,
    modal,
    option,
    plain,
    section,
    static_select,
    text_input,
)
from bot.views.words import counted, how_long, word_for
from storage.vocab import CheckinOutcome, CloseReason, EndReason, Flag, MeetOutcome, PairSource, PairStatus, Role

ROLE_LABELS = {Role.MENTOR: "Mentors", Role.MENTEE: "Mentees", Role.BOTH: "Both"}
STATUS_LABELS = {
    PairStatus.ACTIVE: "Active",
    PairStatus.PAUSED: "Paused",
    PairStatus.AT_RISK: "At risk",
    PairStatus.CLOSED: "Closed",
}
CADENCES = (7, 14, 21, 28)


def _pct(value: float | None) -> str:
    return HIDDEN if value is None else f"{value * 100:.0f}%"


def _num(value: float | None, digits: int = 1) -> str:
    return HIDDEN if value is None else f"{value:.{digits}f}"


def _delta(now: float | None, before: float | None, *, scale: float = 1.0, unit: str = "") -> str:
    if now is None or before is None:
        return "n/a"
    diff = (now - before) * scale
    arrow = ":arrow_up:" if diff > 0 else ":arrow_down:" if diff < 0 else ":left_right_arrow:"
    return f"{arrow} {diff:+.1f}{unit}"


def _n(count: int, word: str, plural: str = "") -> str:
    return f"{count} {word if count == 1 else plural or word + 's'}"


FIGURE_NOTES = (
    "*How each figure is counted* (details in the README, section Figures):",
    "*Pairs*: every pair made in the cohort, by how it was made and where it is now. *Closed pairs*: by what "
    "happened; *completed* never counts a pair that said \u201cnot a fit\u201d; *inactive* reached its end date "
    "after going quiet.",
    "*Match rate*: mentees ever paired in the cohort \u00f7 mentees who signed up (people who left are not counted).",
    "*Waiting list*: active people with no open pair on a side they signed up for, never paired on that side or "
    "asking for a new partner; people who finished are not waiting.",
    "*Check-ins*: each one sent to a pair; *answered* means Yes or Not yet, or a meeting logged before the next "
    "one; *ignored* means the next one came (or the pair closed) first; *response rate* = answered \u00f7 "
    "(answered + ignored); open ones are not in the rate yet.",
    "*Surveys*: pulse and closing answers. *Satisfaction* and *NPS* count people, not answers: each person's "
    "latest answer; NPS = % promoters (9-10) \u2212 % detractors (0-6).",
    "*Booked meetings*: times proposed in the pair's conversation and confirmed by both (a move is the same "
    "meeting), and each \u201cDid you meet?\u201d answer; cancelled ones apart.",
    "*Flags*: fit checks answered \u201cnot a fit\u201d and \u201cneed help\u201d from check-ins.",
)


def stats_message(current: ProgramStats, previous: ProgramStats | None, *, hide_small: bool = False) -> dict[str, Any]:
    """The stats message. Coordinators get exact figures; ``hide_small`` (the message is posted where people who
    are not coordinators read it) replaces any figure resting on fewer than 5 people with a note."""

    def count(n: int) -> str:
        return count_text(n) if hide_small else str(n)

    def voices(kind: str) -> str:
        n = int(surveys.get(f"{kind}s", 0))
        return f"{count(n)} {word_for(n, kind)}"

    def rate(value: float | None, base: int) -> str:
        if hide_small and not visible(base):
            return HIDDEN
        return "n/a" if value is None else _pct(value)

    def number(value: float | None, base: int, digits: int = 1) -> str:
        if hide_small and not visible(base):
            return HIDDEN
        return "n/a" if value is None else _num(value, digits)

    roles = ", ".join(f"{ROLE_LABELS.get(r, r)}: {count(n)}" for r, n in sorted(current.roles.items())) or "none"
    cap = current.capacity
    free = count(cap.get("free", 0)) if not hide_small or cap.get("mentors", 0) >= MIN_GROUP else HIDDEN
    sources = current.sources
    statuses = current.pairs
    closures = dict(current.closures)
    # a coordinator's "left the company" is someone leaving; their other ends (other, undone) count as theirs
    closures[CloseReason.LEFT_PROGRAM] = closures.get(CloseReason.LEFT_PROGRAM, 0) + closures.pop(
        EndReason.LEFT_COMPANY, 0
    )
    named = (CloseReason.COMPLETED, CloseReason.INFORMAL, CloseReason.NOT_A_FIT, CloseReason.INACTIVE)
    closed_line = (
        " \u00b7 ".join(
            f"{count(closures.get(r, 0))} {label}"
            for r, label in (
                (CloseReason.COMPLETED, "completed"),
                (CloseReason.INFORMAL, "continued informally"),
                (CloseReason.NOT_A_FIT, "not a fit"),
                (CloseReason.INACTIVE, "inactive"),
                (CloseReason.LEFT_PROGRAM, "left the program"),
            )
        )
        + f" \u00b7 {count(sum(n for r, n in closures.items() if r not in (*named, CloseReason.LEFT_PROGRAM)))} "
        "ended by a coordinator"
    )
    outcomes = current.checkin_outcomes
    booked = current.bookings
    met, not_yet = outcomes.get(CheckinOutcome.MET, 0), outcomes.get(CheckinOutcome.NOT_YET, 0)
    ignored, still_open = outcomes.get(CheckinOutcome.IGNORED, 0), outcomes.get("open", 0)
    surveys = current.surveys
    people = int(surveys.get("people", 0))
    nps = current.nps
    voters = int(surveys.get("promoters", 0) + surveys.get("passives", 0) + surveys.get("detractors", 0))
    nps_text = HIDDEN if hide_small and not visible(voters) else "n/a" if nps is None else f"{nps:+.0f}"
    mean = current.satisfaction
    goals = (
        f"{current.goals.get('set', 0)} set by {_n(current.goals.get('pairs', 0), 'pair')}, "
        f"{current.goals.get('done', 0)} done"
        if current.goals_visible or not hide_small
        else HIDDEN
    )
    waiting = current.waiting
    mentees = current.mentees
    lines = [
        f"*Participants:* {roles}",
        f"*Pairs:* {count(current.total_pairs)} made ({count(sources.get(PairSource.ALGORITHM, 0))} by a round, "
        f"{count(sources.get(PairSource.MANUAL, 0))} by hand, {count(sources.get(PairSource.CHOICE, 0))} by mentee "
        f"choice) \u00b7 {count(statuses.get(PairStatus.ACTIVE, 0))} active \u00b7 "
        f"{count(statuses.get(PairStatus.PAUSED, 0))} paused \u00b7 {count(statuses.get(PairStatus.AT_RISK, 0))} at "
        f"risk \u00b7 {count(statuses.get(PairStatus.CLOSED, 0))} closed",
        f"*Closed pairs:* {closed_line}",
        f"*Match rate:* {rate(current.match_rate, mentees.get('mentees', 0))} ({count(mentees.get('matched', 0))} "
        f"of {_n(mentees.get('mentees', 0), 'mentee')} paired)",
        f"*Waiting list:* {count(len(waiting.get('mentees', [])))} "
        f"{'mentee' if len(waiting.get('mentees', [])) == 1 else 'mentees'} without a mentor \u00b7 "
        f"{count(len(waiting.get('mentors', [])))} "
        f"{'mentor' if len(waiting.get('mentors', [])) == 1 else 'mentors'} without a mentee",
        f"*Mentors' free capacity:* {free} {word_for(int(cap.get('free', 0)), 'place')}",
        f"*Meetings:* {current.meetings.get('meetings', 0):.0f} logged \u00b7 "
        f"{number(current.meetings_per_pair_month, current.total_pairs, 2)} per pair per month \u00b7 median "
        f"{number(current.median_days, current.met_pairs)} days to the first",
        f"*Check-ins:* {current.checkins_sent} sent \u00b7 {current.checkins_answered} answered ({met} met, "
        f"{not_yet} not yet) \u00b7 {ignored} ignored \u00b7 {still_open} open \u00b7 response rate "
        f"{rate(current.checkin_rate, current.total_pairs)}",
        f"*Booked meetings:* {count(booked.get('booked', 0))} booked from proposed times \u00b7 "
        f"{count(booked.get(MeetOutcome.MET, 0))} met \u00b7 {count(booked.get(MeetOutcome.RESCHEDULED, 0))} "
        f"rescheduled \u00b7 {count(booked.get(MeetOutcome.SKIPPED, 0))} skipped \u00b7 "
        f"{count(booked.get('unanswered', 0))} unanswered \u00b7 {count(booked.get('cancelled', 0))} cancelled",
        f"*Goals:* {goals}",
        f"*Surveys:* {_n(int(surveys.get('answers', 0)), 'answer')} from {count(people)} "
        f"{'person' if people == 1 else 'people'} \u00b7 satisfaction "
        f"{number(mean, int(surveys.get('rated_people', 0)), 2)}{' / 5' if mean is not None else ''} \u00b7 "
        f"NPS {nps_text} ({voices('promoter')}, {voices('passive')}, {voices('detractor')})",
        f"*Flags:* {count(current.flags.get(Flag.NOT_A_FIT, 0))} not a fit \u00b7 "
        f"{count(current.flags.get(Flag.NEED_HELP, 0))} need help",
    ]
    blocks = [header(f"Mentorship stats: {current.cohort_name}"[:150]), section("\n".join(lines))]
    if previous is not None:
        trend = [
            f"*Match rate:* {_delta(current.match_rate, previous.match_rate, scale=100, unit=' pts')}",
            "*Meetings per pair per month:* "
            + _delta(current.meetings_per_pair_month, previous.meetings_per_pair_month),
            f"*Satisfaction:* {_delta(current.satisfaction, previous.satisfaction)}",
            f"*NPS:* {_delta(current.nps, previous.nps)}",
        ]
        blocks += [divider(), section(f"*Trend against {escape(previous.cohort_name)}*\n" + "\n".join(trend))]
    blocks.append(context("\n".join(FIGURE_NOTES)))
    audience = (
        f"Posted where people who are not coordinators read it: any group smaller than {MIN_GROUP} people is "
        f"shown as \u201c{HIDDEN}\u201d."
        if hide_small
        else "Exact figures, for coordinators."
    )
    blocks.append(context(f"{audience} As of {current.now:%Y-%m-%d %H:%M} UTC."))
    text = f"Mentorship stats for {escape(current.cohort_name)}: match rate {_pct(current.match_rate)}"
    return {"text": text, "blocks": blocks}


def reflections_message(*, cohort_name: str, rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The cohort's closing reflections for a coordinator (what people achieved and learned; the form tells them
    coordinators read it). The newest 30 are shown; ``/mentor export`` has them all."""
    if not rows:
        text = f"No closing reflections in {escape(cohort_name)} yet."
        return {"text": text, "blocks": [section(text)]}
    text = f"Closing reflections in {escape(cohort_name)}: {len(rows)}"
    blocks: list[dict[str, Any]] = [header(f"Closing reflections: {cohort_name}"[:150])]
    for row in list(rows)[-30:]:
        learned = f"\n_Learned:_ {_clip(str(row['learned']))}" if row.get("learned") else ""
        blocks.append(
            section(f"*Pair #{row['pair_id']}, the {row['role']}*\n_Achieved:_ {_clip(str(row['achieved']))}{learned}")
        )
    blocks.append(context(f"{len(rows)} in all; every one is in `/mentor export`. Only you see this message."))
    return {"text": text, "blocks": blocks[:50]}


def _clip(text: str, limit: int = 1200) -> str:
    text = escape(text)
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _who(user_id: Any) -> str:
    text = str(user_id or "")
    if text.startswith("gone:"):
        return "someone who left"
    return f"<@{text}>" if text.startswith(("U", "W")) else text


def _pairs_text(items: Sequence[Any], limit: int = 3) -> str:
    shown = [
        f"{_who(i.get('mentee'))}→{_who(i.get('mentor'))}" + (f" ({i['reason']})" if i.get("reason") else "")
        for i in items[:limit]
        if isinstance(i, dict)
    ]
    more = f" and {len(items) - limit} more" if len(items) > limit else ""
    return ", ".join(shown) + more


def describe_audit(action: str, target: str, detail: dict[str, Any] | None) -> str:
    """One audit entry in words: the people it names, the rules it overrode, the counts."""
    d = detail or {}
    cohort = f" of *{escape(str(d['cohort']))}*" if d.get("cohort") else ""
    if action == "match.publish":
        text = (
            f"published {target.replace('round:', 'round #')}{cohort}: {d.get('pairs', 0)} pairs, "
            f"{d.get('unmatched', 0)} unmatched"
        )
        if d.get("dropped_count"):
            text += f", {d['dropped_count']} dropped ({_pairs_text(d.get('dropped') or [])})"
        if d.get("resolved"):
            text += f", {d['resolved']} re-solved"
        if d.get("carried_in"):
            text += f", {d['carried_in']} carried over"
        return text
    if action == "match.run":
        replaced = d.get("superseded") or []
        return f"ran {target.replace('round:', 'round #')}{cohort}" + (
            f" (replacing round #{', #'.join(str(r) for r in replaced)})" if replaced else ""
        )
    if action in ("match.pin", "match.forbid", "match.unpin", "match.allow", "match.unrule"):
        verb = {
            "match.pin": "pinned",
            "match.forbid": "forbade",
            "match.unpin": "removed the pin",
            "match.allow": "allowed again",
            "match.unrule": "cleared the rule",
        }[action]
        return f"{verb} {_who(d.get('mentee'))} → {_who(d.get('mentor'))}"
    if action == "pair.manual":
        text = f"paired {_who(d.get('mentee'))} with {_who(d.get('mentor'))} by hand{cohort.replace(' of ', ' in ')}"
        if d.get("overrode") or d.get("violations"):
            text += "; overrode: " + "; ".join(d.get("overrode") or d.get("violations") or [])
        return text
    if action.startswith("pair."):
        return f"{target.replace('pair:', 'pair #')} of {_who(d.get('mentee'))} and {_who(d.get('mentor'))}"
    if action in ("cohort.create", "cohort.update"):
        parts = [f"{'created' if action == 'cohort.create' else 'changed'} cohort *{escape(str(d.get('name', '')))}*"]
        weights = d.get("weights") or {}
        if weights:
            parts.append("weights " + ", ".join(f"{k} {v[0]:g}→{v[1]:g}" for k, v in weights.items()))
        taxonomy = d.get("taxonomy") or {}
        if taxonomy:
            parts.append(
                f"taxonomy +{len(taxonomy.get('added') or [])} −{len(taxonomy.get('removed') or [])} "
                f"({taxonomy.get('skills', 0)} skills)"
            )
        settings = d.get("settings") or {}
        if settings:
            parts.append(", ".join(f"{k} {v[0]}→{v[1]}" for k, v in list(settings.items())[:4]))
        return "; ".join(parts)
    if action == "stats.post":
        return f"posted the stats of *{escape(str(d.get('cohort', 'all cohorts')))}* in <#{d.get('channel', '')}>"
    if action == "match.shortlists":
        return f"sent shortlists{cohort}: {d.get('mentees', 0)} mentees, {d.get('nobody_fits', 0)} with no fit"
    if action in ("cohort.close", "cohort.reopen", "cohort.carry_over"):
        extra = ""
        if action == "cohort.close":
            extra = f": {d.get('waiting_mentees', 0)} waiting mentees, {d.get('mentors_with_free_places', 0)} mentors"
            extra += " with free places carry over"
        if action == "cohort.carry_over":
            extra = f": carry-over {'on' if d.get('carry_over') else 'off'}"
        return f"{action.split('.', 1)[1].replace('_', '-')} *{escape(str(d.get('cohort', '')))}*{extra}"
    facts = ", ".join(f"{k} {v}" for k, v in list(d.items())[:4] if isinstance(v, str | int | float | bool))
    return escape(f"{action} {target}" + (f" ({facts})" if facts else ""))


def audit_message(
    entries: Sequence[Any], *, page: int, more: bool, person: str | None = None, action: str | None = None
) -> dict[str, Any]:
    """The latest audit entries (20 a page), in words, with Older / Newer and a CSV export of the same filter."""
    scope = []
    if person:
        scope.append(f"about {_who(person)}")
    if action:
        scope.append(f"action {action}")
    title = "Coordinator audit log" + (" · " + ", ".join(scope) if scope else "")
    if not entries:
        text = "Nothing in the audit log matches that filter." if scope else "The audit log is empty."
        return {"text": text, "blocks": [section(text)]}
    lines = []
    for e in entries:
        line = (
            f"`{e.created_at:%Y-%m-%d %H:%M}` <@{e.actor}> *{e.action}*: {describe_audit(e.action, e.target, e.detail)}"
        )
        if e.reason:
            line += f" _(reason: {escape(e.reason[:200])})_"
        lines.append(line[:600])
    blocks: list[dict[str, Any]] = [header(title[:150])]
    chunk = ""
    for line in lines:
        if len(chunk) + len(line) + 1 > 2900:
            blocks.append(section(chunk))
            chunk = ""
        chunk = f"{chunk}\n{line}" if chunk else line
    if chunk:
        blocks.append(section(chunk))
    filters = {"person": person or "", "action": action or ""}
    buttons = []
    if page > 0:
        buttons.append(button("Newer", ids.COORD_AUDIT_PAGE, value=json.dumps({**filters, "page": page - 1})))
    if more:
        buttons.append(button("Older", ids.COORD_AUDIT_OLDER, value=json.dumps({**filters, "page": page + 1})))
    buttons.append(button("Export CSV", ids.AUDIT_EXPORT, value=json.dumps(filters)))
    blocks.append(actions(*buttons))
    blocks.append(
        context(
            f"Page {page + 1}, newest first. Filter: `/mentor audit @person`, `/mentor audit match.publish` "
            "(or a family: `match`, `pair`, `cohort`); `/mentor audit export` sends a CSV."
        )
    )
    return {"text": f"Audit log, page {page + 1}", "blocks": blocks}


def _date_picker(block_id: str, text: str, initial: date | None, hint: str | None = None) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "datepicker"}
    if initial is not None:
        element["initial_date"] = initial.isoformat()
    return input_block(block_id, text, element, optional=True, hint=hint)


def _channel_select(block_id: str, text: str, initial: str, hint: str) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "conversations_select", "filter": {"include": ["public", "private"]}}
    if initial:
        element["initial_conversation"] = initial
    return input_block(block_id, text, element, optional=True, hint=hint)


SKILLS_BOX_CHARS = 3000  # Slack's limit for a plain_text_input
SKILLS_BOXES = 7  # 300 skills of up to 60 characters, one a line, need 7 boxes of 3,000 characters


def skills_boxes(skills: Sequence[str]) -> list[str]:
    """A skills list split into text boxes of at most 3,000 characters, one skill a line."""
    boxes: list[str] = []
    current = ""
    for skill in skills:
        candidate = f"{current}\n{skill}" if current else skill
        if len(candidate) > SKILLS_BOX_CHARS:
            boxes.append(current)
            candidate = skill
        current = candidate
    if current:
        boxes.append(current)
    return boxes


def _skills_inputs(skills: Sequence[str]) -> list[dict[str, Any]]:
    """The skills taxonomy as one box, or several when it is long (plus an empty one to add more)."""
    boxes = [*skills_boxes(skills), ""]  # always room to add more
    boxes = (boxes + [""] * (2 - len(boxes)))[:SKILLS_BOXES]
    blocks = [
        input_block(
            ids.PROGRAM_SKILLS,
            "Skills taxonomy",
            text_input(
                initial=boxes[0],
                multiline=True,
                max_length=SKILLS_BOX_CHARS,
                placeholder="Leave empty to keep the default list",
            ),
            optional=True,
            hint="One skill per line, up to 300. Empty keeps the default taxonomy."
            + (" Long lists continue in the boxes below." if len(boxes) > 1 else ""),
        )
    ]
    for n, box in enumerate(boxes[1:], start=2):
        blocks.append(
            input_block(
                f"{ids.PROGRAM_SKILLS_MORE}_{n}",
                f"Skills taxonomy, continued ({n} of {len(boxes)})",
                text_input(initial=box, multiline=True, max_length=SKILLS_BOX_CHARS),
                optional=True,
            )
        )
    return blocks


def program_modal(
    *,
    cohort_id: int | None,
    name: str,
    settings: Any,
    weights_text: str,
    skills: Sequence[str] = (),
    past: Sequence[tuple[str, date]] = (),
    today: date | None = None,
) -> dict[str, Any]:
    """Create or edit a cohort. ``settings`` is a :class:`bot.cohorts.CohortSettings`.

    ``past``: (label, date) of dates long gone, asked about once on top of the modal (Save again keeps them).
    """
    months = max(1, min(24, round(settings.duration_days * 12 / 365)))
    options = [
        option("same_team_excluded", "Never pair people from the same team/department"),
        option("digest_enabled", "Weekly digest to the coordinators"),
        option("mentee_choice", "Mentee choice: each mentee picks from their top 3 mentors"),
        option("choice_auto_match", "Mentee choice: match people whose choices ran out automatically"),
        option("carry_over", "Carry over earlier cohorts' waiting people and mentors with free places"),
    ]
    chosen = [
        n
        for n, on in (
            ("same_team_excluded", settings.same_department_excluded),
            ("digest_enabled", settings.digest_enabled),
            ("mentee_choice", settings.mentee_choice),
            ("choice_auto_match", settings.choice_auto_match),
            ("carry_over", settings.carry_over),
        )
        if on
    ]
    blocks = [
        input_block(ids.PROGRAM_NAME, "Cohort name", text_input(initial=name, max_length=120)),
        _date_picker(ids.PROGRAM_SIGNUP_OPENS, "Signup opens", settings.signup_opens),
        _date_picker(ids.PROGRAM_SIGNUP_CLOSES, "Signup closes", settings.signup_closes),
        _date_picker(ids.PROGRAM_MATCH_DATE, "Match date", settings.match_date, "The pool is told 24 hours before."),
        _date_picker(ids.PROGRAM_START_DATE, "Start date", settings.start_date),
        input_block(
            ids.PROGRAM_DURATION,
            "Duration (months)",
            static_select([option(str(m), counted(m, "month")) for m in range(1, 13)], initial=str(months)),
        ),
        input_block(
            ids.PROGRAM_CADENCE,
            "Check-in cadence default",
            static_select(
                [option(str(d), f"every {d} days") for d in CADENCES], initial=str(settings.checkin_cadence_days)
            ),
        ),
        input_block(
            ids.PROGRAM_FIRST_SURVEY,
            "First pulse survey after (days)",
            {
                "type": "number_input",
                "is_decimal_allowed": False,
                "initial_value": str(settings.first_survey_days),
                "min_value": "7",
                "max_value": "365",
            },
        ),
        input_block(
            ids.PROGRAM_SURVEY_EVERY,
            "Then a pulse survey every (days)",
            {
                "type": "number_input",
                "is_decimal_allowed": False,
                "initial_value": str(settings.survey_every_days),
                "min_value": "14",
                "max_value": "365",
            },
        ),
        input_block(
            ids.PROGRAM_WEIGHTS,
            "Matching weights",
            text_input(initial=weights_text, multiline=True, max_length=1000),
            hint="One per line as name = number (0 to 10). These are the defaults; change any you like.",
        ),
        *_skills_inputs(skills),
        input_block(
            ids.PROGRAM_MIN_HOURS,
            "Minimum shared working hours per week",
            {
                "type": "number_input",
                "is_decimal_allowed": True,
                "initial_value": f"{settings.min_shared_hours:g}",
                "min_value": "0",
                "max_value": "40",
            },
        ),
        input_block(ids.PROGRAM_OPTIONS, "Options", choice_list("checkboxes", options, initial=chosen), optional=True),
        input_block(
            ids.PROGRAM_CHOICE_DAYS,
            "Mentee choice: days a mentor has to answer",
            {
                "type": "number_input",
                "is_decimal_allowed": False,
                "initial_value": str(settings.choice_response_days),
                "min_value": "1",
                "max_value": "30",
            },
            hint="After that the request moves to the mentee's next choice.",
        ),
        input_block(
            ids.PROGRAM_CHOICE_PICK_DAYS,
            "Mentee choice: days a mentee has to pick",
            {
                "type": "number_input",
                "is_decimal_allowed": False,
                "initial_value": str(settings.choice_pick_days),
                "min_value": "1",
                "max_value": "30",
            },
            hint="They are reminded half-way; then the shortlist expires.",
        ),
        _channel_select(
            ids.PROGRAM_ANNOUNCE_CHANNEL,
            "Announce signups in",
            settings.announce_channel,
            "A message with a Join button is posted there.",
        ),
        _channel_select(
            ids.PROGRAM_DIGEST_CHANNEL,
            "Weekly digest channel",
            settings.digest_channel,
            "Where the weekly digest goes (when enabled).",
        ),
        input_block(
            ids.PROGRAM_PAIR_OPTIONS,
            "Pairs",
            choice_list(
                "checkboxes",
                [
                    option("auto_rematch", "Rematch automatically after a \u201cnot a fit\u201d (undo within 24 h)"),
                    option("fill_freed_places", "Give a freed mentor place to the longest-waiting mentee at once"),
                ],
                initial=[
                    n
                    for n, on in (
                        ("auto_rematch", settings.auto_rematch),
                        ("fill_freed_places", settings.fill_freed_places),
                    )
                    if on
                ],
            ),
            optional=True,
            hint="Off: coordinators are asked first, with one-click actions.",
        ),
        input_block(
            ids.PROGRAM_CLOSE_INACTIVE,
            "Close inactive pairs after (weeks)",
            {
                "type": "number_input",
                "is_decimal_allowed": False,
                "min_value": "2",
                "max_value": "52",
                **(
                    {"initial_value": str(settings.close_inactive_after_weeks)}
                    if settings.close_inactive_after_weeks
                    else {}
                ),
            },
            optional=True,
            hint="Empty: never (pairs are only flagged). Both people are told a week before.",
        ),
    ]
    title = "Edit cohort" if cohort_id else "New cohort"
    metadata: dict[str, Any] = {"cohort_id": cohort_id}
    if past:
        lines = [
            f"• {label}: *{day:%d %B %Y}*" + (f", {how_long(today - day)} ago" if today else "") for label, day in past
        ]
        blocks.insert(
            0,
            section(
                f":warning: *{'This date is' if len(past) == 1 else 'These dates are'} long in the past.*\n"
                + "\n".join(lines)
                + "\nCorrect the year if it's a typo; if the dates are right, press *Save* again to keep them."
            ),
        )
        metadata["past_ok"] = [day.isoformat() for _, day in past]
    return modal(
        callback_id=ids.PROGRAM_VIEW,
        title=title,
        blocks=blocks,
        submit="Save",
        private_metadata=json.dumps(metadata),
    )


def signup_announcement(*, cohort_name: str, cohort_id: int, closes: date | None) -> dict[str, Any]:
    """The channel post that invites people to join a cohort."""
    when = f" Signup closes on {closes:%A %d %B}." if closes else ""
    text = f":seedling: *{escape(cohort_name)}* is open for signups! Grow with a mentor, or help someone grow.{when}"
    return {
        "text": f"{escape(cohort_name)} is open for signups",
        "blocks": [
            section(text),
            actions(button("Join", ids.HOME_JOIN, value=str(cohort_id), style="primary")),
            context("Signing up takes about two minutes. You can pause or leave any time."),
        ],
    }


def prematch_notice(*, cohort_name: str, cohort_id: int, match_date: date) -> dict[str, Any]:
    """The DM sent to everyone in the pool 24 hours before a match run."""
    value = f"{cohort_id}:{match_date.isoformat()}"
    text = (
        f"Heads-up: *{escape(cohort_name)}* matches people on {match_date:%A %d %B}, and you're in the pool. "
        "Busy right now? You can sit this round out and stay in the program for the next one."
    )
    return {
        "text": f"{escape(cohort_name)} matches on {match_date.isoformat()}: you're in the pool",
        "blocks": [section(text), actions(button("Skip this round", ids.COORD_SKIP_ROUND, value=value))],
    }


def pair_line(pair: Any, quiet: str = "") -> str:
    line = f"<@{pair.mentee_user_id}> with mentor <@{pair.mentor_user_id}> (since {pair.created_at:%d %b %Y})"
    return line + (f": {escape(quiet)}" if quiet else "")


def at_risk_blocks(items: Sequence[tuple[Any, str]], *, limit: int = 10) -> list[dict[str, Any]]:
    """The at-risk list with one row of actions per pair (each names the pair's version: see /mentor pairs)."""
    if not items:
        return [section(":white_check_mark: No pairs at risk.")]
    blocks: list[dict[str, Any]] = []
    for pair, quiet in items[:limit]:
        value = f"{pair.id}:{pair.version}"
        blocks.append(section(":warning: " + pair_line(pair, quiet)))
        blocks.append(
            actions(
                button("Open", ids.PAIRS_OPEN, value=str(pair.id)),
                button("Nudge", ids.PAIR_DO_NUDGE, value=value),
                button("Message both", ids.PAIR_DO_MESSAGE, value=value),
                button("Pause", ids.PAIR_DO_PAUSE, value=value),
                button("Rematch", ids.PAIR_DO_REMATCH, value=f"{value}:inactive"),
                button("End", ids.PAIR_DO_END, value=f"{value}:inactive", style="danger"),
                block_id=f"coord_pair_{pair.id}",
            )
        )
    if len(items) > limit:
        more = len(items) - limit
        blocks.append(context(f"... and {more} more at-risk pairs: `/mentor pairs at-risk` lists them all."))
    return blocks


def _exact(value: float | None, form: str, empty: str) -> str:
    """A figure for a coordinator's own eyes: exact, or what is missing (never "hidden": nothing is)."""
    return empty if value is None else form.format(value)


def home_section(
    figures: ProgramStats,
    at_risk: Sequence[tuple[Any, str]],
    previews: Sequence[Any],
    *,
    cohort_names: dict[int, str] | None = None,
    other_cohorts: Sequence[str] = (),
) -> list[dict[str, Any]]:
    """The coordinator's part of App Home: figures at a glance (named cohort), at-risk pairs with actions, and each
    pending match preview one click away.

    App Home is seen by the coordinator alone, who already sees each pair by name: figures here are exact.
    Hiding groups under 5 is for aggregates posted where others may read them (``stats_message``).
    """
    glance = [
        f"*Cohort:* {escape(figures.cohort_name)}",
        "*Pairs:* " + ", ".join(f"{STATUS_LABELS[s]} {figures.pairs.get(s, 0)}" for s in STATUS_LABELS),
        f"*Match rate:* {_exact(figures.match_rate, '{:.0%}', 'no mentees yet')}    "
        f"*Waiting:* {counted(len(figures.waiting.get('mentees', [])), 'mentee')}, "
        f"{counted(len(figures.waiting.get('mentors', [])), 'mentor')}",
        f"*Meetings per pair per month:* {_exact(figures.meetings_per_pair_month, '{:.2f}', 'no pairs yet')}    "
        f"*Satisfaction:* {_exact(figures.satisfaction, '{:.2f}', 'no answers yet')}",
    ]
    blocks = [divider(), header("Coordinator: at a glance"), section("\n".join(glance))]
    if other_cohorts:
        blocks.append(
            context(f"Also open: {', '.join(other_cohorts)}. `/mentor stats <cohort>` posts any cohort's figures.")
        )
    blocks += [section(f"*Pairs at risk* ({len(at_risk)})"), *at_risk_blocks(at_risk)]
    if previews:
        blocks.append(section("*Match preview waiting to be published*"))
        for r in previews[:3]:
            result = r.result or {}
            cohort = escape((cohort_names or {}).get(r.cohort_id) or (result.get("cohort") or {}).get("name", ""))
            if r.status == "running":
                line = f"Round #{r.id} of *{cohort}*: still planning (by <@{r.requested_by}>)"
            else:
                pairs = len(result.get("pairs") or [])
                unmatched = len(result.get("unmatched") or {})
                score = result.get("mean_score")
                score_text = f", mean score {score:.2f}" if isinstance(score, int | float) else ""
                line = (
                    f"Round #{r.id} of *{cohort}*: {counted(pairs, 'pair')} proposed, {unmatched} unmatched"
                    f"{score_text} (by <@{r.requested_by}>)"
                )
            blocks.append(
                section(
                    line, accessory=button("Open preview", ids.MATCH_OPEN_PREVIEW, value=str(r.id), style="primary")
                )
            )
    else:
        blocks.append(context("No match preview is waiting. `/mentor stats` posts the full figures in a channel."))
    return blocks


def import_modal() -> dict[str, Any]:
    """Upload an HR CSV (file_input)."""
    return modal(
        callback_id=ids.IMPORT_VIEW,
        title="Import HR fields",
        blocks=[
            section(
                "Upload a CSV (UTF-8, comma- or semicolon-separated) with a header row: `user_id` or `email`, and "
                "any of `manager` (or `manager_id` / `manager_email`), `department`, `industry`, `seniority`. "
                "Other columns are ignored. Rows with problems are listed by line, and the other rows are imported "
                "only when you confirm. From a terminal: `mentorbot import people.csv`."
            ),
            input_block(
                ids.IMPORT_FILE,
                "People file (CSV)",
                {"type": "file_input", "filetypes": ["csv", "txt"], "max_files": 1},
            ),
        ],
        submit="Import",
    )


def import_report_message(report: str, *, import_id: int | None = None, rows: int = 0) -> dict[str, Any]:
    """The HR import's report by DM; a staged import carries Import / Cancel buttons."""
    lines = report.split("\n")
    head, rest = lines[0], "\n".join(lines[1:])
    blocks = [section(f":inbox_tray: {head}")]
    if rest:
        blocks.append(section(f"```{escape(rest)[:2900]}```"))
    if import_id is not None:
        blocks.append(
            actions(
                button(f"Import {counted(rows, 'row')}", ids.IMPORT_CONFIRM, value=str(import_id), style="primary"),
                button("Cancel", ids.IMPORT_CANCEL, value=str(import_id)),
            )
        )
    return {"text": head, "blocks": blocks}


def digest_message(
    *,
    cohort_name: str,
    signups: dict[str, int],
    matches: int,
    at_risk: Sequence[tuple[Any, str]],
    flags: Sequence[tuple[int, str, str]],
    closures: Sequence[tuple[Any, datetime]],
) -> dict[str, Any]:
    """The weekly digest for the coordinators' channel."""
    total = sum(signups.values())
    by_role = ", ".join(f"{ROLE_LABELS.get(r, r).lower()} {n}" for r, n in sorted(signups.items()))
    lines = [
        f"*New signups:* {total}" + (f" ({by_role})" if total and all(visible(n) for n in signups.values()) else ""),
        f"*Matches made:* {matches}",
    ]
    blocks = [header(f"Weekly digest: {cohort_name}"[:150]), section("\n".join(lines))]
    risk = [f"• {pair_line(p, quiet)}" for p, quiet in at_risk] or ["none"]
    blocks.append(section(fit_lines(risk, most=15, head="*Pairs at risk*")))
    flag_labels = {Flag.NOT_A_FIT: "\u201cnot a fit\u201d", Flag.NEED_HELP: "\u201cneed help\u201d"}
    flag_lines = [f"• pair #{pid}: the {role} said {flag_labels.get(m, escape(m))}" for pid, role, m in flags] or [
        "none"
    ]
    blocks.append(section(fit_lines(flag_lines, most=15, head="*Flags from surveys*")))
    closing = [f"• {pair_line(p)} ends {end:%a %d %b}" for p, end in closures] or ["none in the next two weeks"]
    blocks.append(section(fit_lines(closing, most=15, head="*Upcoming closures*")))
    blocks.append(context("Open App Home for actions on at-risk pairs."))
    return {"text": f"Weekly mentorship digest for {escape(cohort_name)}", "blocks": blocks}


def refusal_view() -> dict[str, Any]:
    """What a non-coordinator sees instead of a coordinator modal."""
    return modal(
        callback_id="coord_refused",
        title="Coordinators only",
        blocks=[section(":lock: Sorry, only the program's coordinators can do that.")],
        submit=None,
        close="Close",
    )


__all__ = ["plain"]
