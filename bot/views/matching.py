"""Block Kit for matching: the coordinator's preview, publication notices, cohort choice, mentee-choice messages.

The preview works at any size: one tab at a time (pairs weakest first with filters, unmatched mentees, the
per-mentor load table, the cohort's pins and forbids, people carried over), each paged, so a modal never
exceeds Slack's 100 blocks or a section's 3,000 characters.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot import ids
from bot.views.blocks import (
    actions,
    button,
    context,
    divider,
    escape,
    header,
    modal,
    option,
    plain,
    section,
    static_select,
)
from bot.views.reasons import Reader, reason_lines, unmatched_advice, unmatched_text
from bot.views.words import counted

PAGE_SIZE = 15  # pairs per page (two blocks each)
LINES_PER_PAGE = 40  # unmatched mentees / mentors / carried people per page
RULES_PER_PAGE = 20
SECTION_CHARS = 2900
FACTOR_LABELS = {
    "skills": "skills",
    "goals": "goals",
    "interests": "interests",
    "org": "industry/dept",
    "seniority": "seniority",
    "style": "style",
    "availability": "overlap",
    "format": "format",
    "language": "language",
    # a learned model's factors (their values are contributions to the log-odds of a good outcome)
    "skills_shared": "shared skills",
    "department": "same dept",
    "industry": "same industry",
    "mentee_topics": "mentee's topics",
    "mentor_topics": "mentor's topics",
}
TABS = {
    "pairs": "Pairs, weakest first",
    "unmatched": "Unmatched mentees",
    "mentors": "Mentor load",
    "rules": "Pins and forbids",
    "carried": "Carried over",
}
FILTERS = {
    "all": "All pairs",
    "weak": "Score < 0.4",
    "no_skill": "No shared skill",
    "low_overlap": "Overlap < 2 h/week",
    "carried": "Carried over",
}


def _who(user_id: str) -> str:
    if user_id.startswith("gone:"):
        return "_someone who left the program_"
    return f"<@{user_id}>"


def plural(n: int, one: str, many: str | None = None) -> str:
    """``1 pair``, ``2 pairs``: the one plural helper (``bot.views.words.counted``)."""
    return counted(n, one, many)


def _sections(lines: Sequence[str], *, title: str = "") -> list[dict[str, Any]]:
    """Lines packed into as few sections as fit Slack's 3,000 characters each."""
    blocks: list[dict[str, Any]] = []
    chunk = title
    for line in lines:
        candidate = f"{chunk}\n{line}" if chunk else line
        if len(candidate) > SECTION_CHARS and chunk:
            blocks.append(section(chunk))
            chunk = line
        else:
            chunk = candidate
    if chunk:
        blocks.append(section(chunk[:SECTION_CHARS]))
    return blocks


def build_running_modal(*, people: int | None = None, rerun: bool = False, cohort: str = "") -> dict[str, Any]:
    """Shown at once while the round is computed in the background."""
    what = "Re-running the round" if rerun else "Running the match round"
    detail = f" of *{escape(cohort)}*" if cohort else ""
    detail += f" for {people:,} people" if people else ""
    return modal(
        callback_id=ids.MATCH_PREVIEW_VIEW,
        title="Match preview",
        submit=None,
        close="Close",
        blocks=[
            section(f":hourglass_flowing_sand: {what}{detail}… this view updates when the preview is ready."),
            context("You can close this; the preview also arrives in your DM with the bot, and on App Home."),
        ],
    )


def factor_sum_line(parts: dict[str, float], total: float) -> str:
    """Each factor's contribution, adding up to the score: ``skills 0.20 + overlap 0.15 + … = 0.53``."""
    ordered = sorted(parts.items(), key=lambda kv: -kv[1])
    terms = " + ".join(f"{FACTOR_LABELS.get(name, name)} {value:.2f}" for name, value in ordered)
    return f"{terms or '0.00'} = {total:.2f}"


def _rule_menu(mentee: str, mentor: str, pinned: bool, forbidden: bool) -> dict[str, Any]:
    def opt(text: str, rule: str) -> dict[str, Any]:
        return {"text": plain(text), "value": json.dumps([rule, mentee, mentor], separators=(",", ":"))}

    choices = [opt("Unpin" if pinned else "Pin this pair", "clear" if pinned else "pin")]
    choices.append(opt("Allow again" if forbidden else "Forbid this pair", "clear" if forbidden else "forbid"))
    return {"type": "overflow", "action_id": ids.MATCH_RULE, "options": choices}


@dataclass(frozen=True)
class RuleLine:
    """One of the cohort's pins or forbids, for the preview."""

    rule_id: int
    rule: str  # pin | forbid
    mentee: str
    mentor: str
    created_by: str = ""


@dataclass(frozen=True)
class PreviewState:
    """What the coordinator is looking at (kept in the modal's private_metadata)."""

    tab: str = "pairs"
    filter: str = "all"
    page: int = 0

    @classmethod
    def from_metadata(cls, meta: dict[str, Any]) -> PreviewState:
        tab = str(meta.get("tab") or "pairs")
        flt = str(meta.get("filter") or "all")
        page = meta.get("page")
        return cls(
            tab=tab if tab in TABS else "pairs",
            filter=flt if flt in FILTERS else "all",
            page=page if isinstance(page, int) and page >= 0 else 0,
        )


@dataclass
class PreviewData:
    """A round's preview as plain data (the service reads it from storage)."""

    round_id: int
    revision: int
    cohort: str
    result: dict[str, Any]
    rules: list[RuleLine] = field(default_factory=list)
    rules_pending: bool = False  # a pin changed after this plan (a new plan is on its way)
    carry_over: bool = True


def _pages(count: int, size: int) -> int:
    return max(1, -(-count // size))


def _summary(data: PreviewData) -> str:
    result = data.result
    pairs = result.get("pairs", [])
    unmatched = result.get("unmatched", {})
    load = result.get("mentor_load", {})
    used = sum(v[0] for v in load.values())
    slots = sum(v[1] for v in load.values())
    full = sum(1 for v in load.values() if v[1] and v[0] >= v[1])
    pool = result.get("pool") or {}
    mentees = int(pool.get("mentees", len(pairs) + len(unmatched)))
    lines = [
        f"*{plural(len(pairs), 'pair')}* · mean score *{result.get('mean_score', 0):.2f}* · "
        f"*{len(unmatched):,} unmatched* of {plural(mentees, 'mentee')}",
        f"Mentors' load: {used:,} of {plural(slots, 'free place')} used across {plural(len(load), 'mentor')} "
        f"({full:,} now full)",
    ]
    carried = result.get("carried") or {}
    if carried.get("mentees") or carried.get("mentors"):
        sources = sorted(set((carried.get("from") or {}).values()))
        lines.append(
            f":arrow_right_hook: Carried over from {escape(', '.join(sources))}: "
            f"{plural(len(carried.get('mentees') or []), 'waiting mentee')}, "
            f"{plural(len(carried.get('mentors') or []), 'mentor')} with "
            f"{plural(int(carried.get('free_places') or 0), 'free place')}"
        )
    if result.get("rematch"):
        lines.append(f":arrows_counterclockwise: {plural(len(result['rematch']), 'mentee')} asked for another mentor")
    return "\n".join(lines)


def _changes(result: dict[str, Any]) -> list[dict[str, Any]]:
    changes = result.get("changes") or {}
    if not changes:
        return []
    parts = []
    if changes.get("added"):
        parts.append("new: " + ", ".join(f"{_who(a)}→{_who(b)}" for a, b in changes["added"][:8]))
    if changes.get("removed"):
        parts.append("dropped: " + ", ".join(f"{_who(a)}→{_who(b)}" for a, b in changes["removed"][:8]))
    if changes.get("newly_unmatched"):
        parts.append("now unmatched: " + ", ".join(_who(u) for u in changes["newly_unmatched"][:8]))
    return [section("*What changed since the last run:* " + ("; ".join(parts) or "nothing"))]


def _pin_problems(result: dict[str, Any]) -> list[dict[str, Any]]:
    problems = result.get("pin_problems") or []
    if not problems:
        return []
    lines = [f"• {_who(p['mentee'])} → {_who(p['mentor'])}: {p['reason']}" for p in problems[:10]]
    more = f"\n…and {len(problems) - 10} more (see Pins and forbids)" if len(problems) > 10 else ""
    return [section(":warning: *Pins not applied this round*\n" + "\n".join(lines) + more)]


def _controls(state: PreviewState, round_id: int) -> dict[str, Any]:
    tab = static_select([option(k, v) for k, v in TABS.items()], initial=state.tab, placeholder="Show")
    elements = [{**tab, "action_id": ids.MATCH_TAB}]
    if state.tab == "pairs":
        flt = static_select([option(k, v) for k, v in FILTERS.items()], initial=state.filter, placeholder="Filter")
        elements.append({**flt, "action_id": ids.MATCH_FILTER})
    elements.append(button("Re-run", ids.MATCH_RERUN, value=str(round_id)))
    elements.append(button("Discard", ids.MATCH_DISCARD, value=str(round_id), style="danger"))
    return actions(*elements)


def _pair_blocks(
    pairs: list[dict[str, Any]], pinned: set[tuple[str, str]], forbidden: set[tuple[str, str]]
) -> list[dict[str, Any]]:
    blocks = []
    for pair in pairs:
        mentee, mentor = pair["mentee"], pair["mentor"]
        is_pinned = (mentee, mentor) in pinned
        mark = " :pushpin:" if is_pinned or pair.get("pinned") else ""
        if pair.get("carried"):
            mark += f" _(carried over from {escape(str(pair['carried']))})_"
        if pair.get("rematch"):
            mark += " _(asked for another mentor)_"
        worded = reason_lines(pair.get("reasons"), reader=Reader.COORDINATOR, mentee=_who(mentee), mentor=_who(mentor))
        reasons = "\n".join(f"• {r}" for r in worded) or "• no strong overlap"
        missing = pair.get("missing") or []
        lack = f"\n_Missing: {escape(' · '.join(missing))}_" if missing else ""
        blocks.append(
            section(
                f"*{pair['score']:.2f}* {_who(mentee)} → {_who(mentor)}{mark}\n{reasons}{lack}",
                accessory=_rule_menu(mentee, mentor, is_pinned, (mentee, mentor) in forbidden),
            )
        )
        parts = pair.get("parts") or {k: round(v, 2) for k, v in (pair.get("factors") or {}).items() if v > 0}
        blocks.append(context(factor_sum_line(parts, float(pair["score"]))))
    return blocks


WEAK_SCORE = 0.4
LOW_OVERLAP_HOURS = 2.0


def pair_matches(pair: dict[str, Any], name: str) -> bool:
    """Whether a previewed pair passes one of :data:`FILTERS`."""
    if name == "weak":
        return float(pair.get("score", 0.0)) < WEAK_SCORE
    if name == "no_skill":
        return "no shared skill" in (pair.get("missing") or [])
    if name == "low_overlap":
        return float(pair.get("hours", 99.0)) < LOW_OVERLAP_HOURS
    if name == "carried":
        return bool(pair.get("carried"))
    return True


def filtered_pairs(result: dict[str, Any], name: str) -> list[dict[str, Any]]:
    """The pairs one filter shows, weakest first."""
    pairs = [p for p in result.get("pairs", []) if pair_matches(p, name)]
    return sorted(pairs, key=lambda p: (float(p["score"]), p["mentee"]))


def _tab_blocks(data: PreviewData, state: PreviewState) -> tuple[list[dict[str, Any]], int, int]:
    """The current tab's blocks for one page, the page shown and the page count."""
    result = data.result
    pinned = {(r.mentee, r.mentor) for r in data.rules if r.rule == "pin"}
    forbidden = {(r.mentee, r.mentor) for r in data.rules if r.rule == "forbid"}
    if state.tab == "pairs":
        pairs = filtered_pairs(result, state.filter)
        pages = _pages(len(pairs), PAGE_SIZE)
        page = min(state.page, pages - 1)
        shown = pairs[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
        label = FILTERS[state.filter]
        head = [context(f"{label}: {plural(len(pairs), 'pair')}, weakest first.")]
        if not pairs:
            head = [section(f"No pairs match “{label}”.")]
        return head + _pair_blocks(shown, pinned, forbidden), page, pages
    if state.tab == "unmatched":
        items = sorted(result.get("unmatched", {}).items())
        pages = _pages(len(items), LINES_PER_PAGE)
        page = min(state.page, pages - 1)
        shown = items[page * LINES_PER_PAGE : (page + 1) * LINES_PER_PAGE]
        lines = [
            f"• {_who(u)}: {unmatched_text(reason, reader=Reader.COORDINATOR, who=_who(u))}" for u, reason in shown
        ]
        title = "*Unmatched mentees* (each is told why, and goes first next round)"
        return (
            (_sections(lines, title=title) if lines else [section("Every mentee in the pool has a pair.")]),
            page,
            pages,
        )
    if state.tab == "mentors":
        load = result.get("mentor_load", {})
        current = result.get("mentor_open", {})
        scores: dict[str, list[float]] = {}
        for pair in result.get("pairs", []):
            scores.setdefault(pair["mentor"], []).append(float(pair["score"]))
        rows = sorted(load.items(), key=lambda kv: (-kv[1][0], kv[0]))
        pages = _pages(len(rows), LINES_PER_PAGE)
        page = min(state.page, pages - 1)
        lines = []
        for mentor, (assigned, free) in rows[page * LINES_PER_PAGE : (page + 1) * LINES_PER_PAGE]:
            mean = sum(scores.get(mentor, [])) / len(scores[mentor]) if scores.get(mentor) else None
            open_now = int(current.get(mentor, 0))
            full = " :large_orange_circle: full" if free and assigned >= free else ""
            lines.append(
                f"• {_who(mentor)}: {assigned} new of {plural(free, 'free place')}"
                + (f" (+{open_now} current)" if open_now else "")
                + (f" · mean {mean:.2f}" if mean is not None else "")
                + full
            )
        title = "*Mentor load* (new mentees this round, of the places each mentor has free)"
        return (_sections(lines, title=title) if lines else [section("No mentor has a free place.")]), page, pages
    if state.tab == "rules":
        rules = data.rules
        pages = _pages(len(rules), RULES_PER_PAGE)
        page = min(state.page, pages - 1)
        blocks: list[dict[str, Any]] = [
            context(
                "Pins and forbids belong to the cohort: every round applies them until you remove them, and "
                "publishing checks them again."
            )
        ]
        if not rules:
            blocks.append(section("No pins or forbids yet. Use the ⋯ menu next to a pair to add one."))
        for rule in rules[page * RULES_PER_PAGE : (page + 1) * RULES_PER_PAGE]:
            by = f" (by {_who(rule.created_by)})" if rule.created_by else ""
            if rule.rule == "pin":
                text, label = f":pushpin: {_who(rule.mentee)} always with {_who(rule.mentor)}{by}", "Remove pin"
            else:
                text, label = f":no_entry: {_who(rule.mentee)} never with {_who(rule.mentor)}{by}", "Allow again"
            blocks.append(section(text, accessory=button(label, ids.MATCH_RULE_REMOVE, value=str(rule.rule_id))))
        return blocks, page, pages
    carried = result.get("carried") or {}
    origin = carried.get("from") or {}
    people = [(u, "mentee") for u in carried.get("mentees") or []] + [
        (u, "mentor") for u in carried.get("mentors") or []
    ]
    pages = _pages(len(people), LINES_PER_PAGE)
    page = min(state.page, pages - 1)
    lines = [
        f"• {_who(u)} ({role}, from {origin.get(u, 'an earlier cohort')})"
        for u, role in people[page * LINES_PER_PAGE : (page + 1) * LINES_PER_PAGE]
    ]
    verb = "Stop carrying them over" if data.carry_over else "Carry them over"
    toggle = actions(button(verb, ids.MATCH_CARRY, value="off" if data.carry_over else "on"))
    if not data.carry_over:
        intro = [section("Carry-over is *off* for this cohort: earlier cohorts keep their waiting people.")]
        return intro + [toggle], page, pages
    title = (
        "*Carried over* from earlier cohorts: people left waiting there (unmatched or asking for a rematch) and "
        "mentors with free places"
    )
    body = _sections(lines, title=title) if lines else [section("Nobody is waiting in an earlier cohort.")]
    return body + [toggle], page, pages


def build_preview_modal(*, data: PreviewData, state: PreviewState | None = None) -> dict[str, Any]:
    """The preview: summary, what changed, pins not applied, then one tab, paged."""
    state = state or PreviewState()
    pairs = data.result.get("pairs", [])
    blocks: list[dict[str, Any]] = [
        header(f"Match preview · {data.cohort}"[:150]),
        section(_summary(data)),
        *_changes(data.result),
        *_pin_problems(data.result),
    ]
    if data.rules_pending:
        blocks.append(context(":hourglass_flowing_sand: Applying your latest pin… the preview updates in a moment."))
    blocks += [_controls(state, data.round_id), divider()]
    body, page, pages = _tab_blocks(data, state)
    blocks += body
    nav = []
    if page > 0:
        nav.append(button("◀ Previous", ids.MATCH_PAGE, value=str(page - 1)))
    if page < pages - 1:
        nav.append(button(f"Next ▶ ({page + 2}/{pages})", ids.MATCH_PAGE_NEXT, value=str(page + 1)))
    if nav:
        blocks.append(actions(*nav))
    blocks.append(context(f"Round #{data.round_id} · revision {data.revision} · page {page + 1} of {pages}"))
    meta = {"round": data.round_id, "revision": data.revision, "tab": state.tab, "filter": state.filter, "page": page}
    return modal(
        callback_id=ids.MATCH_PREVIEW_VIEW,
        title="Match preview",
        submit=f"Publish {plural(len(pairs), 'pair')}" if pairs else None,
        close="Close",
        blocks=blocks[:100],
        private_metadata=json.dumps(meta, separators=(",", ":")),
    )


def build_replaced_modal(*, latest_round: int | None, text: str = "") -> dict[str, Any]:
    """What a superseded, discarded or outdated preview's buttons answer: nothing changed."""
    body = text or ":information_source: This preview was replaced by a newer one, so nothing was changed here."
    blocks = [section(body)]
    if latest_round is not None:
        blocks.append(
            actions(button("Open the latest preview", ids.MATCH_OPEN_PREVIEW, value=str(latest_round), style="primary"))
        )
    else:
        blocks.append(context("`/mentor match` starts a new round."))
    return modal(
        callback_id=ids.MATCH_PREVIEW_VIEW, title="Preview replaced", submit=None, close="Close", blocks=blocks
    )


def _pair_lines(items: Sequence[dict[str, Any]], *, with_reason: bool) -> list[str]:
    lines = []
    for item in items:
        line = f"• {_who(item['mentee'])} → {_who(item['mentor'])}"
        if with_reason:
            line += f": {item['reason']}"
        elif "score" in item:
            line += f" ({float(item['score']):.2f})"
        lines.append(line)
    return lines


def build_published_modal(
    *,
    pairs: int,
    unmatched: int,
    cohort: str = "",
    dropped: Sequence[dict[str, Any]] = (),
    resolved: Sequence[dict[str, Any]] = (),
    already: bool = False,
    published_by: str = "",
) -> dict[str, Any]:
    """The publication's outcome: pairs made, pairs dropped with the reason, mentees re-solved."""
    if already:
        by = f" by {_who(published_by)}" if published_by else ""
        text = f"This round was already published{by} ({plural(pairs, 'pair')}); nothing was created twice."
        return modal(
            callback_id=ids.MATCH_PREVIEW_VIEW,
            title="Match published",
            submit=None,
            close="Done",
            blocks=[section(text)],
        )
    where = f" in *{escape(cohort)}*" if cohort else ""
    blocks = [
        section(
            f":tada: Published *{plural(pairs, 'pair')}*{where}. Each pair gets a group DM with their introduction; "
            f"{plural(unmatched, 'unmatched mentee')} {'is' if unmatched == 1 else 'are'} told why and "
            f"{'goes' if unmatched == 1 else 'go'} first next round."
        )
    ]
    if dropped:
        verb = "was" if len(dropped) == 1 else "were"
        title = f"*{plural(len(dropped), 'pair')} no longer held at publication and {verb} dropped:*"
        blocks += _sections(_pair_lines(dropped[:40], with_reason=True), title=title)
        if len(dropped) > 40:
            blocks.append(context(f"…and {len(dropped) - 40} more; the audit log lists them all."))
    if resolved:
        title = f"*Their mentees were matched again with the same solver ({plural(len(resolved), 'new pair')}):*"
        blocks += _sections(_pair_lines(resolved[:40], with_reason=False), title=title)
    return modal(callback_id=ids.MATCH_PREVIEW_VIEW, title="Match published", submit=None, close="Done", blocks=blocks)


def build_publish_failed_modal(*, error: str, round_id: int) -> dict[str, Any]:
    """The database refused the publication: nothing was created, the preview is still open."""
    text = (
        ":x: *Publishing failed, and nothing was created.* The database refused the write"
        + (f" ({error})" if error else "")
        + ". The preview is still open: try again, and if it keeps failing, tell whoever runs mentorbot."
    )
    return modal(
        callback_id=ids.MATCH_PREVIEW_VIEW,
        title="Not published",
        submit=None,
        close="Close",
        blocks=[
            section(text),
            actions(button("Back to the preview", ids.MATCH_OPEN_PREVIEW, value=str(round_id), style="primary")),
        ],
    )


def build_refusal_modal(text: str) -> dict[str, Any]:
    return modal(
        callback_id=ids.MATCH_PREVIEW_VIEW, title="Not allowed", submit=None, close="Close", blocks=[section(text)]
    )


def preview_ready_message(
    *, round_id: int, pairs: int, unmatched: int, mean: float, cohort: str = ""
) -> dict[str, Any]:
    where = f" for {escape(cohort)}" if cohort else ""
    text = f"Match preview{where} ready: {plural(pairs, 'pair')}, {unmatched:,} unmatched, mean score {mean:.2f}."
    return {
        "text": text,
        "blocks": [
            section(f":clipboard: {text}"),
            actions(button("Open preview", ids.MATCH_OPEN_PREVIEW, value=str(round_id), style="primary")),
        ],
    }


def cohort_choice_message(
    *, purpose: str, cohorts: Sequence[tuple[int, str, str]], extra_all: bool = False, comments: bool = False
) -> dict[str, Any]:
    """Several cohorts are open: which one? ``cohorts`` is (id, name, status); ``purpose`` is match | stats | export."""
    verbs = {"match": "Match", "stats": "Stats for", "export": "Export"}
    text = {
        "match": "Several cohorts are open. Which one do you want to match?",
        "stats": "Several cohorts are open. Stats for which one?",
        "export": "Several cohorts are open. Which one do you want to export?",
    }[purpose]
    action_id = ids.MATCH_COHORT if purpose == "match" else ids.COORD_COHORT
    buttons = [
        button(
            f"{verbs[purpose]} {name} ({status})"[:75],
            ids.numbered(action_id, n),
            value=json.dumps({"do": purpose, "cohort": cohort_id, "comments": comments}, separators=(",", ":")),
        )
        for n, (cohort_id, name, status) in enumerate(cohorts[:20])
    ]
    if extra_all:
        buttons.append(
            button(
                "All cohorts",
                ids.numbered(action_id, len(buttons)),
                value=json.dumps({"do": purpose, "cohort": 0, "comments": comments}, separators=(",", ":")),
            )
        )
    blocks = [section(text)]
    for start in range(0, len(buttons), 5):
        blocks.append(actions(*buttons[start : start + 5]))
    blocks.append(context(f"Or name it: `/mentor {purpose} <cohort name>`."))
    return {"text": text, "blocks": blocks}


def unmatched_message(reason: str) -> dict[str, Any]:
    """Why the mentee was not matched this round, and (only when it would help) what they could change."""
    advice = unmatched_advice(reason)
    text = (
        "We ran this round of mentor matching and couldn't find you a good match this time: "
        f"{unmatched_text(reason, reader=Reader.MENTEE)}. You're first in line for the next round, and there's "
        "nothing you need to do." + (f" {advice}" if advice else "")
    )
    return {"text": text, "blocks": [section(f":seedling: {text}")]}


def choice_offer_message(
    options: list[dict[str, Any]], *, days: int, deadline: str, again: bool = False
) -> dict[str, Any]:
    """Mentee-choice mode: the mentee's shortlist (our suggested match first)."""
    intro = (
        "*Here is a new shortlist:* your earlier choices couldn't take you, so these mentors, who have free places, "
        "are next."
        if again
        else "*Pick your mentor.* Here "
        + ("is your match." if len(options) == 1 else f"are your top {len(options)} matches, our suggestion first.")
    )
    blocks: list[dict[str, Any]] = [
        section(
            f"{intro} Please choose by *{deadline}*. The mentor you choose has {plural(days, 'day')} to accept; if "
            "they can't, we ask your next choice automatically."
        )
    ]
    for option_ in options:
        worded = reason_lines(option_["reasons"], reader=Reader.MENTEE, mentor=_who(option_["mentor"]))
        reasons = "\n".join(f"• {r}" for r in worded)
        blocks.append(
            section(
                f"{_who(option_['mentor'])} · match {option_['score']:.2f}\n{reasons}",
                accessory=button("Choose", ids.CHOICE_PICK, value=str(option_["request_id"]), style="primary"),
            )
        )
    return {"text": "Pick your mentor from your top matches", "blocks": blocks}


def choice_request_message(
    *, mentee: str, reasons: Sequence[Mapping[str, Any] | str], request_id: int, days: int, deadline: str
) -> dict[str, Any]:
    """The mentor's request: why the mentee chose them, in the mentor's words."""
    text = f"{_who(mentee)} would like you as their mentor."
    body = "\n".join(f"• {r}" for r in reason_lines(reasons, reader=Reader.MENTOR, mentee=_who(mentee)))
    return {
        "text": text,
        "blocks": [
            section(f":wave: {text}\n{body}"),
            context(
                f"Please answer by {deadline} ({plural(days, 'day')}); if not, they'll be matched with their next "
                "choice."
            ),
            actions(
                button("Accept", ids.CHOICE_ACCEPT, value=str(request_id), style="primary"),
                button("Not this time", ids.CHOICE_DECLINE, value=str(request_id)),
            ),
        ],
    }
