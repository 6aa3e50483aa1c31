"""Small helpers for Block Kit elements, so builders read like the form they build."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from bot import ids


def escape(text: str) -> str:
    """Text a person typed, made safe for mrkdwn: the one escaping helper every builder uses.

    Slack reads ``<...>`` as a control sequence (``<!channel>``, ``<@U123>``, ``<https://x|label>``); escaping
    ``&``, ``<`` and ``>`` (Slack's own rule) shows it as typed instead. Plain-text objects need no escaping.
    """
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def quote(text: str) -> str:
    """A person's words as a mrkdwn block quote, escaped, every line quoted (a typed line can't pass as ours)."""
    return "\n".join(f">{escape(line)}" for line in str(text).splitlines() or [""])


def link(url: str, title: str) -> str:
    """A mrkdwn link whose URL and title came from a person: neither can close the link or open another."""
    safe_url = url.replace("<", "%3C").replace(">", "%3E").replace("|", "%7C").replace(" ", "%20")
    return f"<{safe_url}|{escape(title).replace('|', '-')}>"


def plain(text: str, *, emoji: bool = True) -> dict[str, Any]:
    return {"type": "plain_text", "text": text[:150] if len(text) > 150 else text, "emoji": emoji}


def mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text[:3000]}


def label(tag: str) -> str:
    """Display form of a normalised tag: 'data platforms' -> 'Data platforms'."""
    return tag[:1].upper() + tag[1:].replace("_", " ")


SECTION_CHARS = 3000  # Slack's limit for a section's text


def fit_lines(lines: Sequence[str], *, limit: int = SECTION_CHARS, most: int | None = None, head: str = "") -> str:
    """Lines joined for one section: whole lines only, then "…and N more" for what did not fit.

    Args:
        lines: The lines, most important first.
        limit: Characters the joined text (with ``head``) may take.
        most: Show at most this many lines.
        head: A first line always shown (a title).
    """
    shown: list[str] = [head] if head else []
    size = len(head)
    room = len(lines) if most is None else min(most, len(lines))
    for n, line in enumerate(lines[:room]):
        left = len(lines) - n - 1
        tail = len(f"\n…and {left} more") if left else 0
        if size + len(line) + 1 + tail > limit:
            break
        shown.append(line)
        size += len(line) + 1
    hidden = len(lines) - (len(shown) - (1 if head else 0))
    if hidden:
        shown.append(f"…and {hidden} more")
    return "\n".join(shown)


def option(value: str, text: str | None = None) -> dict[str, Any]:
    return {"text": plain((text or label(value))[:75]), "value": value[:150]}


def options(values: Iterable[str], labels: dict[str, str] | None = None) -> list[dict[str, Any]]:
    return [option(v, (labels or {}).get(v)) for v in values]


def section(text: str, accessory: dict[str, Any] | None = None, *, block_id: str | None = None) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "section", "text": mrkdwn(text)}
    if accessory:
        block["accessory"] = accessory
    if block_id:
        block["block_id"] = block_id
    return block


def header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": plain(text)}


def context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [mrkdwn(text)]}


def divider() -> dict[str, Any]:
    return {"type": "divider"}


def button(text: str, action_id: str, *, value: str | None = None, style: str | None = None) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "button", "text": plain(text), "action_id": action_id}
    if value is not None:
        element["value"] = value[:2000]
    if style:
        element["style"] = style
    return element


def actions(*elements: dict[str, Any], block_id: str | None = None) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "actions", "elements": list(elements)}
    if block_id:
        block["block_id"] = block_id
    return block


def input_block(
    block_id: str,
    text: str,
    element: dict[str, Any],
    *,
    optional: bool = False,
    hint: str | None = None,
    action_id: str = ids.INPUT,
) -> dict[str, Any]:
    element = {**element, "action_id": action_id}
    block: dict[str, Any] = {
        "type": "input",
        "block_id": block_id,
        "label": plain(text),
        "element": element,
        "optional": optional,
    }
    if hint:
        block["hint"] = plain(hint)
    return block


def text_input(
    *,
    initial: str | None = None,
    multiline: bool = False,
    max_length: int | None = None,
    placeholder: str | None = None,
) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "plain_text_input", "multiline": multiline}
    if initial:
        element["initial_value"] = initial
    if max_length:
        element["max_length"] = max_length
    if placeholder:
        element["placeholder"] = plain(placeholder)
    return element


def static_select(choices: Sequence[dict[str, Any]], *, initial: str | None = None, placeholder: str = "Choose"):
    element: dict[str, Any] = {"type": "static_select", "options": list(choices), "placeholder": plain(placeholder)}
    chosen = [o for o in choices if o["value"] == initial]
    if chosen:
        element["initial_option"] = chosen[0]
    return element


def multi_select(
    choices: Sequence[dict[str, Any]] | None = None,
    *,
    groups: Sequence[dict[str, Any]] | None = None,
    initial: Iterable[str] = (),
    placeholder: str = "Choose",
    max_selected: int | None = None,
) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "multi_static_select", "placeholder": plain(placeholder)}
    all_options = list(choices or [])
    if groups:
        element["option_groups"] = list(groups)
        all_options = [o for g in groups for o in g["options"]]
    else:
        element["options"] = all_options
    wanted = set(initial)
    chosen = [o for o in all_options if o["value"] in wanted]
    if chosen:
        element["initial_options"] = chosen
    if max_selected:
        element["max_selected_items"] = max_selected
    return element


def external_select(
    action_id: str,
    *,
    multi: bool = False,
    initial: Sequence[dict[str, Any]] = (),
    placeholder: str = "Type to search",
    max_selected: int | None = None,
    min_query_length: int = 1,
) -> dict[str, Any]:
    """A type-ahead select whose options an options listener serves (for lists that can pass 100 options)."""
    element: dict[str, Any] = {
        "type": "multi_external_select" if multi else "external_select",
        "action_id": action_id,
        "placeholder": plain(placeholder),
        "min_query_length": min_query_length,
    }
    if multi and initial:
        element["initial_options"] = list(initial)[:100]
    elif initial:
        element["initial_option"] = initial[0]
    if multi and max_selected:
        element["max_selected_items"] = max_selected
    return element


def choice_list(kind: str, choices: Sequence[dict[str, Any]], *, initial: Iterable[str] | str | None = None):
    """checkboxes (several) or radio_buttons (one)."""
    element: dict[str, Any] = {"type": kind, "options": list(choices)}
    if kind == "radio_buttons":
        chosen = [o for o in choices if o["value"] == initial]
        if chosen:
            element["initial_option"] = chosen[0]
    else:
        wanted = set(initial or ())
        chosen = [o for o in choices if o["value"] in wanted]
        if chosen:
            element["initial_options"] = chosen
    return element


def modal(
    *,
    callback_id: str,
    title: str,
    blocks: list[dict[str, Any]],
    submit: str | None = "Submit",
    close: str = "Cancel",
    private_metadata: str = "",
) -> dict[str, Any]:
    view: dict[str, Any] = {
        "type": "modal",
        "callback_id": callback_id,
        "title": plain(title[:24]),
        "close": plain(close),
        "blocks": blocks,
    }
    if submit:
        view["submit"] = plain(submit)
    if private_metadata:
        view["private_metadata"] = private_metadata[:3000]
    return view
