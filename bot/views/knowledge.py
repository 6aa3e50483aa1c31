"""Block Kit for the resource library, feedback on work, introductions, people to meet and alumni."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from bot import ids
from bot.knowledge import MAX_NOTE, MAX_REPLY, MAX_TITLE, MAX_URL, ResourceItem
from bot.taxonomy import Taxonomy
from bot.views.blocks import (
    actions,
    button,
    context,
    escape,
    fit_lines,
    header,
    input_block,
    label,
    link,
    modal,
    options,
    quote,
    section,
    static_select,
    text_input,
)
from bot.views.signup import skills_select, uses_typeahead
from bot.views.words import counted as counted_words

if TYPE_CHECKING:
    from bot.networking import PersonSuggestion
    from storage.models import FeedbackRequest, Introduction


def _link(item: ResourceItem) -> str:
    return link(item.url, item.title or item.url)


def _tags(tags: Sequence[str]) -> str:
    return escape(", ".join(label(t) for t in tags)) if tags else "no tags"


# ------------------------------------------------------------------ resources


def share_button(pair_id: int | None = None) -> dict[str, Any]:
    """The "Share a resource" button (value = the pair id, or empty outside a pair)."""
    return button("Share a resource", ids.SHARE_OPEN, value=str(pair_id or ""))


def build_share_modal(
    *, taxonomy: Taxonomy, pair_id: int | None = None, goals: Sequence[str] = (), url: str = ""
) -> dict[str, Any]:
    """The "Share a resource" modal: url, title, note, skill tags, and (in a pair) which goal it serves."""
    blocks: list[dict[str, Any]] = [
        input_block(
            ids.SHARE_URL,
            "Link",
            text_input(initial=url, max_length=MAX_URL, placeholder="https://..."),
            hint="http:// or https:// only. The same link shared twice becomes one library entry.",
        ),
        input_block(ids.SHARE_TITLE, "Title", text_input(max_length=MAX_TITLE), optional=True),
        input_block(
            ids.SHARE_NOTE,
            "Why it's worth a look",
            text_input(multiline=True, max_length=MAX_NOTE),
            optional=True,
        ),
        input_block(
            ids.SHARE_TAGS,
            "Skills it helps with",
            skills_select(taxonomy, max_selected=10),
            optional=True,
            action_id=ids.SKILL_SEARCH if uses_typeahead(taxonomy) else ids.INPUT,
        ),
    ]
    if goals:
        blocks.append(
            input_block(ids.SHARE_GOAL, "For which goal", static_select(options(list(goals)[:100])), optional=True)
        )
    blocks.append(context("Everyone in the program can find shared resources with `/mentor resources`."))
    return modal(
        callback_id=ids.SHARE_VIEW,
        title="Share a resource",
        blocks=blocks,
        submit="Share",
        private_metadata=str(pair_id or ""),
    )


def resource_shared_message(item: ResourceItem, *, sharer: str, note: str = "") -> dict[str, Any]:
    """Posted in the pair DM when someone shares a resource there."""
    text = f":books: <@{sharer}> shared {_link(item)}"
    lines = [text]
    if note:
        lines.append(quote(note))
    lines.append(f"_Tags: {_tags(item.tags)}_")
    return {"text": f"{text}", "blocks": [section("\n".join(lines))]}


def share_outcome_text(item: ResourceItem, *, created: bool, counted: bool) -> str:
    """What the sharer is told: saved, counted as a recommendation, or already shared by them (nothing counted)."""
    if created:
        return f":books: Saved *{escape(item.title)}* to the library (tags: {escape(', '.join(item.tags)) or 'none'})."
    so_far = counted_words(item.recommend_count, "recommendation")
    if counted:
        return f":books: *{escape(item.title)}* was already in the library: I counted your recommendation ({so_far})."
    return (
        f":books: You've already shared *{escape(item.title)}*, so nothing new was counted. "
        f"It's in the library with {so_far}."
    )


def resource_list_message(
    items: Sequence[ResourceItem], *, skill: str, viewer: str, coordinator: bool, pair_id: int | None = None
) -> dict[str, Any]:
    """The ephemeral answer to ``/mentor resources [skill]``: most recommended first."""
    scope = f" for *{escape(label(skill))}*" if skill else ""
    if not items:
        text = f"No resources{scope} yet. Be the first to share one!"
        return {"text": text, "blocks": [section(text), actions(share_button(pair_id))]}
    blocks: list[dict[str, Any]] = [section(f":books: *Resources{scope}*, most recommended first")]
    for item in items[:15]:
        recs = counted_words(item.recommend_count, "recommendation")
        buttons = [button("Recommend", ids.RESOURCE_UPVOTE, value=str(item.id))]
        if item.shared_by == viewer or coordinator:
            buttons.append(button("Remove", ids.RESOURCE_REMOVE, value=str(item.id), style="danger"))
        blocks.append(section(f"{_link(item)}\n_{_tags(item.tags)} · {recs} · shared by <@{item.shared_by}>_"))
        blocks.append(actions(*buttons, block_id=f"resource_{item.id}"))
    if len(items) > 15:
        blocks.append(context(f"…and {len(items) - 15} more. `/mentor resources <skill>` narrows the list."))
    blocks.append(actions(share_button(pair_id)))
    return {"text": f"Resources{scope.replace('*', '')}: {len(items)}", "blocks": blocks}


def resource_suggestion_blocks(resources: Sequence[ResourceItem]) -> list[dict[str, Any]]:
    """A compact list of suggested resources for the kickoff and check-in messages (empty when none)."""
    if not resources:
        return []
    lines = [f"• {_link(r)} _({_tags(r.tags)})_" for r in resources]
    return [
        section(fit_lines(lines, head=":books: *From the program's library, matching your goals:*")),
        context("Found something useful yourselves? `/mentor share <link>` adds it to the library."),
    ]


# ------------------------------------------------------------------ feedback on work


def feedback_request_message(request: FeedbackRequest) -> dict[str, Any]:
    """Posted in the pair DM: the mentee's question with a reply button for the mentor."""
    text = f":memo: <@{request.mentee_user_id}> would like feedback from <@{request.mentor_user_id}>"
    return {
        "text": text,
        "blocks": [
            section(f"{text} on {link(request.link, 'this piece of work')}:\n{quote(request.question)}"),
            actions(button("Reply with feedback", ids.FEEDBACK_REPLY_OPEN, value=str(request.id), style="primary")),
        ],
    }


def feedback_answered_message(request: FeedbackRequest) -> dict[str, Any]:
    """The request message once answered (the button is gone)."""
    text = f":memo: <@{request.mentee_user_id}> asked for feedback on {link(request.link, 'this piece of work')}"
    return {
        "text": text,
        "blocks": [
            section(f"{text}:\n{quote(request.question)}"),
            context(f":white_check_mark: <@{request.mentor_user_id}> replied in the thread."),
        ],
    }


def feedback_reply_modal(request: FeedbackRequest) -> dict[str, Any]:
    """The mentor's reply form."""
    return modal(
        callback_id=ids.FEEDBACK_REPLY_VIEW,
        title="Reply with feedback",
        blocks=[
            section(f"*Question:* {escape(request.question)}\n*Work:* {link(request.link, 'link')}"),
            input_block(ids.FEEDBACK_REPLY_TEXT, "Your feedback", text_input(multiline=True, max_length=MAX_REPLY)),
            context("Your reply is posted in your pair's DM."),
        ],
        submit="Send",
        private_metadata=str(request.id),
    )


def feedback_reply_message(request: FeedbackRequest, reply: str) -> dict[str, Any]:
    """The mentor's reply, posted in the request's thread."""
    text = f":speech_balloon: Feedback from <@{request.mentor_user_id}>:"
    return {"text": f"{text} {escape(reply[:200])}", "blocks": [section(f"{text}\n{escape(reply)}")]}


# ------------------------------------------------------------------ introductions


def intro_ask_message(intro: Introduction) -> dict[str, Any]:
    """Sent privately to the person asked: Accept / Not now. Nobody else sees it."""
    others = f"<@{intro.requester_id}>" + (f" and <@{intro.partner_id}>" if intro.partner_id else "")
    why = f"\n{quote(intro.reason)}" if intro.reason else ""
    text = f":wave: {others} would like to be introduced to you through the mentorship program."
    return {
        "text": text,
        "blocks": [
            section(text + why),
            actions(
                button("Accept", ids.INTRO_ACCEPT, value=str(intro.id), style="primary"),
                button("Not now", ids.INTRO_DECLINE, value=str(intro.id)),
            ),
            context("If you choose *Not now*, they only hear that you're not available right now."),
        ],
    }


def intro_answered_message(*, accepted: bool) -> dict[str, Any]:
    """The ask once answered (buttons removed)."""
    text = (
        ":white_check_mark: You accepted this introduction: see the new group DM."
        if accepted
        else "Got it, not now. They'll only hear that you're not available right now."
    )
    return {"text": text, "blocks": [section(text)]}


def intro_withdrawn_message() -> dict[str, Any]:
    """The ask once the person who asked left the program (buttons removed)."""
    text = "This introduction request was withdrawn: the person who asked left the program. Nothing to do."
    return {"text": text, "blocks": [section(text)]}


def intro_group_message(intro: Introduction, overlap: Sequence[str]) -> dict[str, Any]:
    """The introduction itself, posted in the group DM of the three."""
    who = f"<@{intro.requester_id}>" + (f" and <@{intro.partner_id}>" if intro.partner_id else "")
    lines = [f":handshake: Meet <@{intro.target_id}>! {who} asked for this introduction."]
    if intro.reason:
        lines.append(f"*Why:* {escape(intro.reason)}")
    if overlap:
        lines.append(f"*What you have in common:* {escape(', '.join(label(s) for s in overlap[:6]))}")
    lines.append("A short call or a few messages here is a great start.")
    return {"text": lines[0], "blocks": [section("\n".join(lines))]}


# ------------------------------------------------------------------ people to meet, alumni


def _person_line(s: PersonSuggestion) -> str:
    return f"*<@{s.user_id}>*" + (f": {escape(s.reason)}" if s.reason else "")


MAX_PEOPLE = 10  # suggestions shown at once (each a section with a button)


def people_to_meet_blocks(suggestions: Sequence[PersonSuggestion], *, suggest_me: bool = True) -> list[dict[str, Any]]:
    """The "People to meet" section of App Home, each with an "Ask for an intro" button."""
    blocks: list[dict[str, Any]] = [header("People to meet")]
    if suggestions:
        for s in suggestions[:MAX_PEOPLE]:
            blocks.append(
                section(_person_line(s), accessory=button("Ask for an intro", ids.INTRO_ASK, value=s.user_id))
            )
        if len(suggestions) > MAX_PEOPLE:
            blocks.append(context(f"…and {len(suggestions) - MAX_PEOPLE} more next month."))
    else:
        blocks.append(section("No suggestions yet: they appear once you're in a pair and others share your skills."))
    toggle = (
        button("Don't suggest me to others", ids.SUGGESTIONS_OFF)
        if suggest_me
        else button("Suggest me to others again", ids.SUGGESTIONS_ON)
    )
    blocks.append(actions(toggle))
    return blocks


def people_to_meet_message(suggestions: Sequence[PersonSuggestion], *, has_mentor: bool = True) -> dict[str, Any]:
    """The monthly nudge: a few people worth meeting (beyond their mentor, when they have one)."""
    text = ":busts_in_silhouette: A few people worth meeting this month" + (
        ", beyond your mentor" if has_mentor else ""
    )
    blocks: list[dict[str, Any]] = [section(f"{text}:")]
    for s in suggestions[:MAX_PEOPLE]:
        blocks.append(section(_person_line(s), accessory=button("Ask for an intro", ids.INTRO_ASK, value=s.user_id)))
    if len(suggestions) > MAX_PEOPLE:
        blocks.append(context(f"…and {len(suggestions) - MAX_PEOPLE} more next month."))
    blocks.append(context("I'll ask them privately first and only connect you if they're up for it."))
    return {"text": text, "blocks": blocks}


def alumni_invite_blocks(pair_id: int | None = None) -> list[dict[str, Any]]:
    """For the closure message: join the alumni network (and optionally mentor the next cohort)."""
    value = str(pair_id or "")
    return [
        section(
            ":mortar_board: *Stay in the network.* Alumni are suggested to new mentees as people to meet "
            "(always with an Accept / Not now first). You can leave any time with `/mentor alumni off`."
        ),
        actions(
            button("Join the alumni network", ids.ALUMNI_JOIN, value=value, style="primary"),
            button("Join and mentor next cohort", ids.ALUMNI_JOIN_MENTOR, value=value),
        ),
    ]
