"""The limits Slack holds every payload to, one rule a line, each beside the Slack reference it comes from.

The sandbox (``bot/sandbox/validation.py``) applies these on top of slack_sdk's own Block Kit models, which
check only some of them. A rule names the kind of object it applies to (a surface, a block type, an element
type, or a group below), a dotted path inside that object, and a limit: ``Max`` on a string's characters or a
list's items, ``Min`` likewise, ``Needs`` for a field that must be there when another one is, and ``Check`` for
anything else (a function returning the problem, or None). Adding a rule is adding one line to ``RULES``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

REF = "https://docs.slack.dev/reference"
BLOCKS = f"{REF}/block-kit/blocks"
ELEMENTS = f"{REF}/block-kit/block-elements"
OBJECTS = f"{REF}/block-kit/composition-objects"

SELECTS = frozenset(
    {
        "static_select",
        "multi_static_select",
        "external_select",
        "multi_external_select",
        "users_select",
        "multi_users_select",
        "conversations_select",
        "multi_conversations_select",
        "channels_select",
        "multi_channels_select",
    }
)
STATIC_CHOICES = frozenset({"static_select", "multi_static_select", "checkboxes", "radio_buttons", "overflow"})
# Groups a rule can name instead of one type. "block" and "element" mean every block / every interactive element;
# "text_object" every plain_text / mrkdwn object; "option" every option object; "surface" messages and views.
GROUPS: dict[str, frozenset[str]] = {
    "select": SELECTS,
    "static_choices": STATIC_CHOICES,
    "view": frozenset({"modal", "home"}),
    "surface": frozenset({"message", "modal", "home"}),
}


@dataclass(frozen=True)
class Max:
    """At most ``limit`` characters (a string) or items (a list) at ``path``."""

    kind: str
    path: str
    limit: int
    ref: str


@dataclass(frozen=True)
class Min:
    """At least ``limit`` characters (a string) or items (a list) at ``path``, when it is present."""

    kind: str
    path: str
    limit: int
    ref: str


@dataclass(frozen=True)
class Needs:
    """``path`` must be present and non-empty whenever ``when`` is."""

    kind: str
    path: str
    when: str
    ref: str


@dataclass(frozen=True)
class Check:
    """``test(obj)`` returns what is wrong with the object, or None."""

    kind: str
    test: Callable[[Mapping[str, Any]], str | None]
    ref: str


Rule = Max | Min | Needs | Check


def _option_values(element: Mapping[str, Any]) -> set[str]:
    values = {o.get("value") for o in element.get("options") or [] if isinstance(o, Mapping)}
    for group in element.get("option_groups") or []:
        if isinstance(group, Mapping):
            values |= {o.get("value") for o in group.get("options") or [] if isinstance(o, Mapping)}
    return values


def _initial_options_offered(element: Mapping[str, Any]) -> str | None:
    offered = _option_values(element)
    initial = list(element.get("initial_options") or [])
    if isinstance(element.get("initial_option"), Mapping):
        initial.append(element["initial_option"])
    stray = [o.get("value") for o in initial if isinstance(o, Mapping) and o.get("value") not in offered]
    return f"initial option(s) {stray[:3]} are not among the element's options" if stray else None


def _options_xor_groups(element: Mapping[str, Any]) -> str | None:
    has_options, has_groups = bool(element.get("options")), bool(element.get("option_groups"))
    if has_options and has_groups:
        return "give either options or option_groups, not both"
    if element.get("type") in {"static_select", "multi_static_select"} and not (has_options or has_groups):
        return "a static select needs options or option_groups"
    return None


def _submit_with_inputs(view: Mapping[str, Any]) -> str | None:
    blocks = view.get("blocks") or []
    has_input = any(isinstance(b, Mapping) and b.get("type") == "input" for b in blocks)
    return "a modal with input blocks needs a submit button" if has_input and not view.get("submit") else None


def _unique_block_ids(surface: Mapping[str, Any]) -> str | None:
    seen: set[str] = set()
    for block in surface.get("blocks") or []:
        block_id = block.get("block_id") if isinstance(block, Mapping) else None
        if block_id is not None:
            if block_id in seen:
                return f"block_id {block_id!r} is used twice"
            seen.add(block_id)
    return None


def _unique_action_ids(block: Mapping[str, Any]) -> str | None:
    ids = [e.get("action_id") for e in block.get("elements") or [] if isinstance(e, Mapping) and e.get("action_id")]
    twice = {i for i in ids if ids.count(i) > 1}
    return f"action_id(s) {sorted(twice)} used twice in one block" if twice else None


def _plain_text(kind_path: str) -> Callable[[Mapping[str, Any]], str | None]:
    def test(obj: Mapping[str, Any]) -> str | None:
        value = obj.get(kind_path)
        if isinstance(value, Mapping) and value.get("type") != "plain_text":
            return f"{kind_path} must be a plain_text object"
        return None

    return test


RULES: tuple[Rule, ...] = (
    # surfaces
    Max("message", "blocks", 50, f"{BLOCKS}#limits"),
    Needs("message", "text", "blocks", f"{REF}/methods/chat.postMessage#text-blocks-attachments"),
    Max("message", "text", 40_000, f"{REF}/methods/chat.postMessage#truncating"),
    Check("message", _unique_block_ids, f"{BLOCKS}#limits"),
    Max("modal", "blocks", 100, f"{REF}/views/modal-views#modal-fields"),
    Max("home", "blocks", 100, f"{REF}/views/home-tab-views#home-fields"),
    Max("modal", "title.text", 24, f"{REF}/views/modal-views#modal-fields"),
    Min("modal", "title.text", 1, f"{REF}/views/modal-views#modal-fields"),
    Max("modal", "submit.text", 24, f"{REF}/views/modal-views#modal-fields"),
    Max("modal", "close.text", 24, f"{REF}/views/modal-views#modal-fields"),
    Check("modal", _submit_with_inputs, f"{REF}/views/modal-views#modal-fields"),
    Max("view", "private_metadata", 3000, f"{REF}/views/modal-views#modal-fields"),
    Max("view", "callback_id", 255, f"{REF}/views/modal-views#modal-fields"),
    Max("view", "external_id", 255, f"{REF}/views/modal-views#modal-fields"),
    Check("view", _unique_block_ids, f"{BLOCKS}#limits"),
    # blocks
    Max("block", "block_id", 255, f"{BLOCKS}#limits"),
    Max("section", "text.text", 3000, f"{BLOCKS}/section-block"),
    Max("section", "fields", 10, f"{BLOCKS}/section-block"),
    Max("section_field", "text", 2000, f"{BLOCKS}/section-block"),
    Max("header", "text.text", 150, f"{BLOCKS}/header-block"),
    Check("header", _plain_text("text"), f"{BLOCKS}/header-block"),
    Max("context", "elements", 10, f"{BLOCKS}/context-block"),
    Min("context", "elements", 1, f"{BLOCKS}/context-block"),
    Max("actions", "elements", 25, f"{BLOCKS}/actions-block"),
    Min("actions", "elements", 1, f"{BLOCKS}/actions-block"),
    Check("actions", _unique_action_ids, f"{BLOCKS}/actions-block"),
    Max("input", "label.text", 2000, f"{BLOCKS}/input-block"),
    Max("input", "hint.text", 2000, f"{BLOCKS}/input-block"),
    Check("input", _plain_text("label"), f"{BLOCKS}/input-block"),
    Max("image", "alt_text", 2000, f"{BLOCKS}/image-block"),
    # elements
    Max("element", "action_id", 255, f"{ELEMENTS}#limits"),
    Max("button", "text.text", 75, f"{ELEMENTS}/button-element"),
    Max("button", "value", 2000, f"{ELEMENTS}/button-element"),
    Max("button", "url", 3000, f"{ELEMENTS}/button-element"),
    Check("button", _plain_text("text"), f"{ELEMENTS}/button-element"),
    Max("select", "options", 100, f"{ELEMENTS}/select-menu-element"),
    Max("select", "option_groups", 100, f"{ELEMENTS}/select-menu-element"),
    Max("select", "placeholder.text", 150, f"{ELEMENTS}/select-menu-element"),
    Max("select", "initial_options", 100, f"{ELEMENTS}/multi-select-menu-element"),
    Min("select", "max_selected_items", 1, f"{ELEMENTS}/multi-select-menu-element"),
    Check("static_choices", _options_xor_groups, f"{ELEMENTS}/select-menu-element"),
    Check("static_choices", _initial_options_offered, f"{ELEMENTS}/select-menu-element"),
    Max("checkboxes", "options", 10, f"{ELEMENTS}/checkboxes-element"),
    Min("checkboxes", "options", 1, f"{ELEMENTS}/checkboxes-element"),
    Max("radio_buttons", "options", 10, f"{ELEMENTS}/radio-button-group-element"),
    Min("radio_buttons", "options", 1, f"{ELEMENTS}/radio-button-group-element"),
    Max("overflow", "options", 5, f"{ELEMENTS}/overflow-menu-element"),
    Min("overflow", "options", 1, f"{ELEMENTS}/overflow-menu-element"),
    Max("plain_text_input", "placeholder.text", 150, f"{ELEMENTS}/plain-text-input-element"),
    Max("plain_text_input", "initial_value", 3000, f"{ELEMENTS}/plain-text-input-element"),
    Max("plain_text_input", "max_length", 3000, f"{ELEMENTS}/plain-text-input-element"),
    # composition objects
    Max("option_group", "options", 100, f"{OBJECTS}/option-group-object"),
    Min("option_group", "options", 1, f"{OBJECTS}/option-group-object"),
    Max("option_group", "label.text", 75, f"{OBJECTS}/option-group-object"),
    Max("option", "text.text", 75, f"{OBJECTS}/option-object"),
    Max("option", "value", 150, f"{OBJECTS}/option-object"),
    Max("option", "description.text", 75, f"{OBJECTS}/option-object"),
    Min("text_object", "text", 1, f"{OBJECTS}/text-object"),
    Max("confirm", "title.text", 100, f"{OBJECTS}/confirmation-dialog-object"),
    Max("confirm", "text.text", 300, f"{OBJECTS}/confirmation-dialog-object"),
    # message metadata
    Needs("metadata", "event_type", "event_payload", "https://docs.slack.dev/messaging/message-metadata"),
    Needs("metadata", "event_payload", "event_type", "https://docs.slack.dev/messaging/message-metadata"),
    Max("metadata", "event_type", 255, "https://docs.slack.dev/messaging/message-metadata"),
    # what an options load URL answers (block_suggestion)
    Max("options_response", "options", 100, f"{ELEMENTS}/select-menu-element#external_select"),
    Max("options_response", "option_groups", 100, f"{ELEMENTS}/select-menu-element#external_select"),
)
