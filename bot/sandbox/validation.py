"""Whether Slack would accept a Web API call: the method, its arguments, and every Block Kit payload in it.

Three layers, each as Slack applies them:

1. The method and its arguments, from Slack's published Web API spec vendored in ``data/slack_web_api.json``:
   an unknown method is ``unknown_method``; a missing required argument or one the method does not take is
   ``invalid_arguments``.
2. Block Kit through slack_sdk's own models (``Block.parse(...).validate_json()``, ``View(**view).validate_json()``).
3. The limits those models leave out, from ``bot/sandbox/rules.py`` (one rule a line, with its reference).

``check_call`` answers a :class:`Refusal` (Slack's error code and its ``response_metadata.messages``) or None.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block, BlockElement
from slack_sdk.models.views import View

from bot.sandbox.rules import GROUPS, RULES, SELECTS, STATIC_CHOICES, Check, Max, Min, Needs, Rule

SPEC_FILE = Path(__file__).parent / "data" / "slack_web_api.json"
SPEC_REF = "https://docs.slack.dev/reference/methods"

# Arguments slack_sdk and Slack carry as JSON inside a form-encoded body.
JSON_ARGS = frozenset({"blocks", "view", "metadata", "attachments", "files", "unfurls", "user_auth_blocks"})
# Where each method carries a surface to check: (argument, surface kind).
MESSAGE_METHODS = frozenset({"chat.postMessage", "chat.postEphemeral", "chat.update"})
VIEW_METHODS = frozenset({"views.open", "views.push", "views.update", "views.publish"})
# One of these must be given (Slack's method pages; the 2020 spec marks neither as required).
ONE_OF = {
    "views.open": ("trigger_id", "interactivity_pointer"),
    "views.push": ("trigger_id", "interactivity_pointer"),
    "views.update": ("view_id", "external_id"),
    "conversations.open": ("channel", "users"),
    "chat.postMessage": ("text", "blocks", "attachments"),
    "chat.postEphemeral": ("text", "blocks", "attachments"),
}
ALSO_REQUIRED = {"views.update": ("view",), "users.info": ("user",), "conversations.history": ("channel",)}
# What a response_url takes (https://docs.slack.dev/interactivity/handling-user-interaction#message_responses).
RESPONSE_URL_ARGS = frozenset(
    {
        "text",
        "blocks",
        "attachments",
        "response_type",
        "replace_original",
        "delete_original",
        "thread_ts",
        "mrkdwn",
        "unfurl_links",
        "unfurl_media",
        "metadata",
    }
)
# Errors that mean "the app sent what Slack refuses" (as opposed to state: a user not found, a stale hash).
INVALID_ERRORS = frozenset(
    {
        "unknown_method",
        "invalid_arguments",
        "invalid_blocks",
        "invalid_blocks_format",
        "invalid_metadata_format",
        "invalid_metadata_schema",
        "invalid_array_arg",
        "no_text",
        "msg_too_long",
        "users_list_not_supplied",
        "too_many_users",
        "missing_argument",
        "invalid_upload",
        "invalid_options",
    }
)


@dataclass(frozen=True)
class Problem:
    """One thing Slack would refuse, where it is, and the reference that says so."""

    pointer: str
    message: str
    ref: str
    error: str = "invalid_arguments"

    def render(self) -> str:
        return f"[ERROR] {self.message} [json-pointer:{self.pointer}] (see {self.ref})"


@dataclass(frozen=True)
class Refusal:
    """Slack's answer to a call it refuses."""

    error: str
    messages: tuple[str, ...]
    problems: tuple[Problem, ...] = field(default=())

    def answer(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error": self.error,
            "response_metadata": {"messages": list(self.messages)},
        }
        if self.error == "invalid_blocks":
            body["errors"] = list(self.messages)
        return body


def refusal(problems: Iterable[Problem]) -> Refusal | None:
    """The refusal for these problems (the first one's error code), or None when there are none."""
    found = tuple(problems)
    if not found:
        return None
    return Refusal(error=found[0].error, messages=tuple(p.render() for p in found[:20]), problems=found)


# ---------------------------------------------------------------------- the Web API spec


@dataclass(frozen=True)
class MethodSpec:
    """A Web API method's arguments (the token travels in the Authorization header and is left out)."""

    name: str
    required: frozenset[str]
    optional: frozenset[str]
    doc: str

    @property
    def allowed(self) -> frozenset[str]:
        return self.required | self.optional


@cache
def web_api_spec() -> dict[str, MethodSpec]:
    """The methods mentorbot calls or the sandbox answers, from the vendored spec plus Slack's later additions."""
    data = json.loads(SPEC_FILE.read_text(encoding="utf-8"))
    specs: dict[str, MethodSpec] = {}
    for name, entry in data["methods"].items():
        specs[name] = MethodSpec(name, frozenset(entry["required"]), frozenset(entry["optional"]), entry["doc"])
    everywhere = frozenset(data.get("every_method", {}).get("optional", ()))
    for name, spec in list(specs.items()):
        specs[name] = MethodSpec(name, spec.required, spec.optional | everywhere, spec.doc)
    for name, entry in data.get("later", {}).items():
        old = specs.get(name)
        specs[name] = MethodSpec(
            name,
            (old.required if old else frozenset()) | frozenset(entry.get("required", ())),
            (old.optional if old else everywhere) | frozenset(entry.get("optional", ())),
            old.doc if old else entry["source"],
        )
    return specs


def _present(value: Any) -> bool:
    return value not in (None, "", [], {})


def check_arguments(method: str, args: Mapping[str, Any]) -> list[Problem]:
    """Unknown method, missing required and unknown arguments."""
    spec = web_api_spec().get(method)
    if spec is None:
        return [Problem("/", f"unknown method {method!r}", SPEC_REF, "unknown_method")]
    problems = []
    for name in sorted(spec.required | frozenset(ALSO_REQUIRED.get(method, ()))):
        if not _present(args.get(name)):
            problems.append(Problem(f"/{name}", f"missing required argument {name!r}", spec.doc))
    for name in sorted(set(args) - spec.allowed):
        problems.append(Problem(f"/{name}", f"{method} takes no argument {name!r}", spec.doc))
    one_of = ONE_OF.get(method)
    if one_of and not any(_present(args.get(name)) for name in one_of):
        error = {"conversations.open": "users_list_not_supplied", "chat.postMessage": "no_text"}.get(
            method, "no_text" if method.startswith("chat.") else "invalid_arguments"
        )
        problems.append(Problem("/", f"one of {list(one_of)} is required", spec.doc, error))
    for name in (JSON_ARGS - {"metadata"}) & set(args):  # metadata has its own errors (check_metadata)
        value = args[name]
        if isinstance(value, str) and value:
            problems.append(Problem(f"/{name}", f"{name} must be JSON", spec.doc, "invalid_arguments"))
    return problems


# ---------------------------------------------------------------------- Block Kit


def _rules_by_kind() -> dict[str, list[Rule]]:
    table: dict[str, list[Rule]] = {}
    for rule in RULES:
        table.setdefault(rule.kind, []).append(rule)
    return table


_RULES_BY_KIND = _rules_by_kind()


def _get(obj: Mapping[str, Any], path: str) -> Any:
    value: Any = obj
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def _size(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, str | list | tuple):
        return len(value)
    if isinstance(value, int):
        return value
    return None


def _unit(value: Any) -> str:
    return "items" if isinstance(value, list | tuple) else "characters" if isinstance(value, str) else ""


@cache
def _element_types() -> frozenset[str]:
    """Every element type slack_sdk's models know (what ``BlockElement.parse`` accepts)."""
    found: set[str] = set()
    pending = [BlockElement]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        kind = getattr(cls, "type", None)
        if isinstance(kind, str):
            found.add(kind)
    return frozenset(found)


def _apply(kinds: Iterable[str], obj: Mapping[str, Any], pointer: str, error: str, out: list[Problem]) -> None:
    for kind in kinds:
        for rule in _RULES_BY_KIND.get(kind, ()):
            if isinstance(rule, Max) or isinstance(rule, Min):  # noqa: SIM101 - faster than a union per call
                value = _get(obj, rule.path)
                size = _size(value)
                if size is None:
                    continue
                where = f"{pointer}/{rule.path.replace('.', '/')}"
                if isinstance(rule, Max) and size > rule.limit:
                    msg = f"must be at most {rule.limit} {_unit(value)}, has {size}".rstrip()
                    out.append(Problem(where, f"{rule.kind} {rule.path}: {msg}", rule.ref, error))
                elif isinstance(rule, Min) and size < rule.limit:
                    msg = f"must be at least {rule.limit} {_unit(value)}, has {size}".rstrip()
                    out.append(Problem(where, f"{rule.kind} {rule.path}: {msg}", rule.ref, error))
            elif isinstance(rule, Needs):
                if _present(_get(obj, rule.when)) and not _present(_get(obj, rule.path)):
                    where = f"{pointer}/{rule.path.replace('.', '/')}"
                    out.append(
                        Problem(where, f"{rule.kind}: {rule.path} is required with {rule.when}", rule.ref, error)
                    )
            elif isinstance(rule, Check):
                found = rule.test(obj)
                if found:
                    out.append(Problem(pointer, f"{rule.kind}: {found}", rule.ref, error))


def _kinds_of(kind: str) -> list[str]:
    return [kind, *(group for group, members in GROUPS.items() if kind in members)]


def _text(obj: Any, pointer: str, error: str, out: list[Problem]) -> None:
    if isinstance(obj, Mapping) and obj.get("type") in ("plain_text", "mrkdwn"):
        _apply(["text_object"], obj, pointer, error, out)
    elif obj is not None:
        out.append(Problem(pointer, "must be a text object (plain_text or mrkdwn)", f"{SPEC_REF}", error))


def _option(obj: Any, pointer: str, error: str, out: list[Problem]) -> None:
    if not isinstance(obj, Mapping):
        out.append(Problem(pointer, "an option must be an object", RULES[0].ref, error))
        return
    _apply(["option"], obj, pointer, error, out)
    _text(obj.get("text"), f"{pointer}/text", error, out)


def _element(element: Any, pointer: str, error: str, out: list[Problem]) -> None:
    if not isinstance(element, Mapping):
        out.append(Problem(pointer, "an element must be an object", RULES[0].ref, error))
        return
    kind = str(element.get("type", ""))
    if kind in ("plain_text", "mrkdwn"):
        _text(element, pointer, error, out)
        return
    if kind != "image" and kind not in _element_types():
        out.append(Problem(f"{pointer}/type", f"unsupported element type {kind!r}", RULES[0].ref, error))
        return
    kinds = _kinds_of(kind)
    if "action_id" in element or kind in SELECTS or kind in STATIC_CHOICES or kind == "button":
        kinds.append("element")
    _apply(kinds, element, pointer, error, out)
    for key in ("text", "placeholder"):
        if key in element:
            _text(element[key], f"{pointer}/{key}", error, out)
    for i, option in enumerate(element.get("options") or []):
        _option(option, f"{pointer}/options/{i}", error, out)
    for g, group in enumerate(element.get("option_groups") or []):
        if isinstance(group, Mapping):
            _apply(["option_group"], group, f"{pointer}/option_groups/{g}", error, out)
            for i, option in enumerate(group.get("options") or []):
                _option(option, f"{pointer}/option_groups/{g}/options/{i}", error, out)
    if isinstance(element.get("confirm"), Mapping):
        _apply(["confirm"], element["confirm"], f"{pointer}/confirm", error, out)


def _block(block: Any, pointer: str, error: str, out: list[Problem]) -> None:
    if not isinstance(block, Mapping):
        out.append(Problem(pointer, "a block must be an object", RULES[0].ref, error))
        return
    kind = str(block.get("type", ""))
    before = len(out)
    _apply(["block", kind], block, pointer, error, out)
    for key in ("text", "label", "hint", "title"):
        if key in block and not (kind == "image" and key == "title" and block[key] is None):
            _text(block[key], f"{pointer}/{key}", error, out)
    for i, item in enumerate(block.get("fields") or []):
        if isinstance(item, Mapping):
            _apply(["section_field"], item, f"{pointer}/fields/{i}", error, out)
        _text(item, f"{pointer}/fields/{i}", error, out)
    for key in ("accessory", "element"):
        if key in block:
            _element(block[key], f"{pointer}/{key}", error, out)
    if kind in ("actions", "context"):
        for i, element in enumerate(block.get("elements") or []):
            _element(element, f"{pointer}/elements/{i}", error, out)
    if len(out) > before:
        return  # slack_sdk would only repeat what is already reported
    parsed = Block.parse(dict(block))
    if parsed is None:
        out.append(Problem(f"{pointer}/type", f"unsupported block type {kind!r}", RULES[0].ref, error))
        return
    try:
        parsed.validate_json()
    except SlackObjectFormationError as exc:
        out.append(Problem(pointer, f"{kind}: {exc}", RULES[0].ref, error))


def check_blocks(blocks: Any, pointer: str, error: str = "invalid_blocks") -> list[Problem]:
    """Every block of a list (``pointer`` is where the list sits, e.g. ``/blocks`` or ``/view/blocks``)."""
    if blocks is None:
        return []
    if not isinstance(blocks, list):
        return [Problem(pointer, "blocks must be a JSON array", RULES[0].ref, "invalid_blocks_format")]
    out: list[Problem] = []
    for i, block in enumerate(blocks):
        _block(block, f"{pointer}/{i}", error, out)
    return out


def check_message(message: Mapping[str, Any], pointer: str = "") -> list[Problem]:
    """A message's ``text`` and ``blocks`` (chat.*, a response_url post, a file's share message)."""
    out: list[Problem] = []
    _apply(["message", "surface"], message, pointer or "", "invalid_arguments", out)
    out += check_blocks(message.get("blocks"), f"{pointer}/blocks")
    if _present(message.get("metadata")):
        out += check_metadata(message["metadata"], f"{pointer}/metadata")
    return out


def check_metadata(metadata: Any, pointer: str = "/metadata") -> list[Problem]:
    """Message metadata: an object with ``event_type`` (string) and ``event_payload`` (object)."""
    ref = "https://docs.slack.dev/messaging/message-metadata"
    if not isinstance(metadata, Mapping):
        return [Problem(pointer, "metadata must be a JSON object", ref, "invalid_metadata_format")]
    out: list[Problem] = []
    _apply(["metadata"], metadata, pointer, "invalid_metadata_schema", out)
    if not isinstance(metadata.get("event_type"), str):
        out.append(Problem(f"{pointer}/event_type", "event_type must be a string", ref, "invalid_metadata_schema"))
    if not isinstance(metadata.get("event_payload"), Mapping):
        out.append(
            Problem(f"{pointer}/event_payload", "event_payload must be an object", ref, "invalid_metadata_schema")
        )
    return out


def check_view(view: Any, pointer: str = "/view") -> list[Problem]:
    """A modal or Home tab view."""
    ref = f"{RULES[0].ref.split('/block-kit')[0]}/views/modal-views"
    if not isinstance(view, Mapping):
        return [Problem(pointer, "view must be a JSON object", ref)]
    kind = str(view.get("type", ""))
    if kind not in ("modal", "home"):
        return [Problem(f"{pointer}/type", f"unsupported view type {kind!r}", ref)]
    out: list[Problem] = []
    _apply(_kinds_of(kind), view, pointer, "invalid_arguments", out)
    for key in ("title", "submit", "close"):
        if key in view:
            _text(view[key], f"{pointer}/{key}", "invalid_arguments", out)
    out += check_blocks(view.get("blocks"), f"{pointer}/blocks", "invalid_arguments")
    if not out:
        try:
            View(**dict(view)).validate_json()
        except (SlackObjectFormationError, TypeError) as exc:
            out.append(Problem(pointer, f"{kind}: {exc}", ref))
    return out


def check_options_response(body: Any) -> list[Problem]:
    """What an app answers a ``block_suggestion`` with: at most 100 options (or option groups)."""
    ref = "https://docs.slack.dev/reference/block-kit/block-elements/select-menu-element#external_select"
    if not isinstance(body, Mapping) or not ("options" in body or "option_groups" in body):
        return [Problem("/", "an options response needs options or option_groups", ref, "invalid_options")]
    out: list[Problem] = []
    _apply(["options_response"], body, "", "invalid_options", out)
    for i, option in enumerate(body.get("options") or []):
        _option(option, f"/options/{i}", "invalid_options", out)
    for g, group in enumerate(body.get("option_groups") or []):
        _apply(["option_group"], group, f"/option_groups/{g}", "invalid_options", out)
        for i, option in enumerate(group.get("options") or []):
            _option(option, f"/option_groups/{g}/options/{i}", "invalid_options", out)
    return out


# Every refused request of every sandbox in this process, for the test suite's check (tests/conftest.py).
_REFUSED: list[Any] = []
_REFUSED_LOCK = threading.Lock()


def note_invalid(call: Any) -> None:
    """Remember a refused request process-wide."""
    with _REFUSED_LOCK:
        _REFUSED.append(call)


def refused_since(mark: int) -> list[Any]:
    """Refused requests noted since ``mark`` (a value of ``refused_count()``)."""
    with _REFUSED_LOCK:
        return list(_REFUSED[mark:])


def refused_count() -> int:
    """How many refused requests this process has noted so far."""
    with _REFUSED_LOCK:
        return len(_REFUSED)


def check_call(method: str, args: Mapping[str, Any]) -> Refusal | None:
    """Slack's refusal of a Web API call, or None when Slack would take it."""
    problems = check_arguments(method, args)
    if any(p.error == "unknown_method" for p in problems):
        return refusal(problems)
    if method in MESSAGE_METHODS:
        problems += check_message(args)
    elif method in VIEW_METHODS and args.get("view") is not None:
        problems += check_view(args.get("view"))
    elif method == "files.completeUploadExternal":
        problems += check_blocks(args.get("blocks"), "/blocks")
        files = args.get("files")
        if not isinstance(files, list) or not files or not all(isinstance(f, Mapping) and f.get("id") for f in files):
            problems.append(
                Problem("/files", "files must be a JSON array of {id, title}", SPEC_REF, "invalid_arguments")
            )
    elif method == "files.getUploadURLExternal":
        length = str(args.get("length", ""))
        if not length.isdigit() or int(length) < 1:
            problems.append(Problem("/length", "length must be a whole number of bytes above 0", SPEC_REF))
    return refusal(problems)


def check_response_url(payload: Mapping[str, Any]) -> Refusal | None:
    """Slack's refusal of a post to a response_url, or None."""
    ref = "https://docs.slack.dev/interactivity/handling-user-interaction#message_responses"
    problems = [
        Problem(f"/{k}", f"a response_url takes no field {k!r}", ref) for k in sorted(set(payload) - RESPONSE_URL_ARGS)
    ]
    if not payload.get("delete_original"):
        if not any(_present(payload.get(k)) for k in ("text", "blocks", "attachments")):
            problems.append(Problem("/", "one of text, blocks or attachments is required", ref, "no_text"))
        problems += check_message(payload)
    return refusal(problems)
