"""Act as Slack towards a running Bolt app: signed, Slack-shaped HTTP requests.

``SlackDriver`` sends slash commands, view submissions, block actions and events the way Slack does
(form-encoded or JSON, with ``X-Slack-Signature``), so tests and ``mentorbot demo`` can act as people.
The ``*_value`` helpers build one element's entry in ``view.state.values`` exactly as Slack sends it.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

from bot.sandbox import validation
from bot.sandbox.slack_api import SlackSandbox

# ---------------------------------------------------------------------- state values, per element type


def _option(value: str, text: str | None = None) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": text if text is not None else value, "emoji": True}, "value": value}


def text_value(value: str | None, *, element_type: str = "plain_text_input") -> dict[str, Any]:
    """State of a ``plain_text_input`` (also ``email_text_input`` / ``url_text_input`` via element_type)."""
    return {"type": element_type, "value": value}


def number_value(value: float | str | None) -> dict[str, Any]:
    """State of a ``number_input``: Slack sends the number as a string."""
    return {"type": "number_input", "value": None if value is None else str(value)}


def select_value(value: str | None, text: str | None = None, *, element_type: str = "static_select") -> dict[str, Any]:
    """State of a ``static_select`` (or ``external_select`` / ``overflow``): ``selected_option`` or null."""
    return {"type": element_type, "selected_option": None if value is None else _option(value, text)}


def multi_select_value(
    values: Iterable[str], texts: Mapping[str, str] | None = None, *, element_type: str = "multi_static_select"
) -> dict[str, Any]:
    """State of a ``multi_static_select`` (or ``multi_external_select``): ``selected_options``."""
    texts = texts or {}
    return {"type": element_type, "selected_options": [_option(v, texts.get(v)) for v in values]}


def checkboxes_value(values: Iterable[str], texts: Mapping[str, str] | None = None) -> dict[str, Any]:
    """State of ``checkboxes``: ``selected_options`` (empty list when none is ticked)."""
    return multi_select_value(values, texts, element_type="checkboxes")


def radio_value(value: str | None, text: str | None = None) -> dict[str, Any]:
    """State of ``radio_buttons``: ``selected_option`` or null."""
    return select_value(value, text, element_type="radio_buttons")


def date_value(selected_date: str | None) -> dict[str, Any]:
    """State of a ``datepicker``: ``selected_date`` as ``YYYY-MM-DD`` or null."""
    return {"type": "datepicker", "selected_date": selected_date}


def time_value(selected_time: str | None, timezone: str | None = None) -> dict[str, Any]:
    """State of a ``timepicker``: ``selected_time`` as ``HH:mm`` (plus ``timezone`` when the element has one)."""
    state: dict[str, Any] = {"type": "timepicker", "selected_time": selected_time}
    if timezone is not None:
        state["timezone"] = timezone
    return state


def datetime_value(epoch_seconds: int | None) -> dict[str, Any]:
    """State of a ``datetimepicker``: ``selected_date_time`` in Unix seconds."""
    return {"type": "datetimepicker", "selected_date_time": epoch_seconds}


def user_value(user_id: str | None) -> dict[str, Any]:
    """State of a ``users_select``: ``selected_user`` or null."""
    return {"type": "users_select", "selected_user": user_id}


def users_value(user_ids: Iterable[str]) -> dict[str, Any]:
    """State of a ``multi_users_select``: ``selected_users``."""
    return {"type": "multi_users_select", "selected_users": list(user_ids)}


def conversation_value(conversation_id: str | None) -> dict[str, Any]:
    """State of a ``conversations_select``: ``selected_conversation`` or null."""
    return {"type": "conversations_select", "selected_conversation": conversation_id}


def conversations_value(conversation_ids: Iterable[str]) -> dict[str, Any]:
    """State of a ``multi_conversations_select``: ``selected_conversations``."""
    return {"type": "multi_conversations_select", "selected_conversations": list(conversation_ids)}


def channel_value(channel_id: str | None) -> dict[str, Any]:
    """State of a ``channels_select``: ``selected_channel`` or null."""
    return {"type": "channels_select", "selected_channel": channel_id}


def _iter_elements(blocks: Iterable[Mapping[str, Any]]) -> Iterable[tuple[str, dict[str, Any]]]:
    """Yield ``(block_id, element)`` for every interactive element in blocks."""
    for block in blocks:
        block_id = block.get("block_id", "")
        if isinstance(block.get("element"), dict):
            yield block_id, block["element"]
        if isinstance(block.get("accessory"), dict):
            yield block_id, block["accessory"]
        for element in block.get("elements") or []:
            if isinstance(element, dict) and "action_id" in element:
                yield block_id, element


def _element_options(element: Mapping[str, Any]) -> list[dict[str, Any]]:
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options.extend(group.get("options") or [])
    return options


def values_for(view: Mapping[str, Any], by_action_id: Mapping[str, dict[str, Any]]) -> dict[str, Any]:
    """Build ``state.values`` for a view from element states keyed by ``action_id``.

    Finds each action's ``block_id`` in the view, checks the element type matches, and for option-based
    elements checks the chosen values exist and fills in the option text the view declares, so a test cannot
    submit something a person could not.

    Args:
        view: The view as the app opened it (``blocks`` with ``block_id`` / ``action_id``).
        by_action_id: ``{action_id: text_value(...) / select_value(...) / ...}``.

    Returns:
        ``{block_id: {action_id: state}}`` as Slack sends it.

    Raises:
        KeyError: An action_id is not in the view.
        ValueError: A type mismatch, or an option value the element does not offer.
    """
    found = {element.get("action_id"): (block_id, element) for block_id, element in _iter_elements(view["blocks"])}
    values: dict[str, Any] = {}
    for action_id, state in by_action_id.items():
        if action_id not in found:
            raise KeyError(f"action_id {action_id!r} not in view; has {sorted(k for k in found if k)}")
        block_id, element = found[action_id]
        state = json.loads(json.dumps(state))
        if element.get("type") != state.get("type"):
            state_type, element_type = state.get("type"), element.get("type")
            compatible = {state_type, element_type} <= {"plain_text_input", "email_text_input", "url_text_input"}
            if not compatible and state_type in {"static_select", "multi_static_select"}:
                state["type"] = element_type  # e.g. select_value() for an external_select
            elif not compatible:
                raise ValueError(f"{action_id!r} is a {element_type}, got state for {state_type}")
            else:
                state["type"] = element_type
        options = {o["value"]: o for o in _element_options(element)}
        if options:
            chosen = [state["selected_option"]] if state.get("selected_option") else []
            chosen += state.get("selected_options") or []
            for option in chosen:
                if option["value"] not in options:
                    raise ValueError(f"{action_id!r} offers {sorted(options)}, not {option['value']!r}")
                option["text"] = options[option["value"]]["text"]
                if "description" in options[option["value"]]:
                    option["description"] = options[option["value"]]["description"]
        values.setdefault(block_id, {})[action_id] = state
    return values


# ---------------------------------------------------------------------- the driver


@dataclass
class Response:
    """What the app answered.

    Attributes:
        status: HTTP status code.
        headers: Response headers (case as sent).
        body: Body text.
        elapsed: Seconds from sending to the end of the body (for the 3-second ack).
        request_body: The body that was sent, for debugging.
    """

    status: int
    headers: dict[str, str]
    body: str
    elapsed: float
    request_body: str = field(default="", repr=False)

    def json(self) -> Any:
        """The body parsed as JSON (None for an empty body)."""
        return json.loads(self.body) if self.body.strip() else None


class SlackDriver:
    """Sends Slack-shaped, signed requests to a Bolt app, as Slack would.

    Every request method accepts these keyword options:

    - ``sign`` (bool, default True): add ``X-Slack-Request-Timestamp`` / ``X-Slack-Signature``.
    - ``timestamp`` (int): the request timestamp to sign with (e.g. a stale one).
    - ``bad_signature`` (bool): send a signature made with the wrong secret.
    - ``headers`` (dict): extra headers, e.g. ``X-Slack-Retry-Num``.
    - ``timeout`` (float): client timeout in seconds.
    """

    def __init__(
        self,
        app_url: str,
        signing_secret: str,
        *,
        team_id: str = "T0MENTOR",
        sandbox: SlackSandbox | None = None,
        api_app_id: str | None = None,
        team_domain: str | None = None,
        timeout: float = 10.0,
    ) -> None:
        """Create a driver.

        Args:
            app_url: The app's events URL, e.g. ``http://127.0.0.1:PORT/slack/events``.
            signing_secret: The app's signing secret.
            team_id: Workspace id put in payloads.
            sandbox: When given, response URLs and trigger ids are registered with it, and user names, DM ids
                and home views come from it.
            api_app_id: App id in payloads (defaults to the sandbox's, else ``A0MENTORBOT``).
            team_domain: Workspace domain in payloads.
            timeout: Default client timeout in seconds.
        """
        self.app_url = app_url
        self.signing_secret = signing_secret
        self.team_id = team_id
        self.sandbox = sandbox
        self.api_app_id = api_app_id or (sandbox.app_id if sandbox else "A0MENTORBOT")
        self.team_domain = team_domain or (sandbox.team_domain if sandbox else "mentor-sandbox")
        self.timeout = timeout
        self._verifier = SignatureVerifier(signing_secret)
        self._counter = itertools.count(1)
        self.last_trigger_id: str | None = None
        self.last_response_url: str | None = None

    # ------------------------------------------------------------------ low level

    def _next(self) -> int:
        return next(self._counter)

    def new_trigger_id(self, user_id: str | None = None) -> str:
        """A fresh trigger id, registered with the sandbox (so it expires after 3 s, as Slack's do)."""
        n = self._next()
        trigger_id = f"{n}.{int(time.time())}.{hashlib.sha1(f'{n}{time.time()}'.encode()).hexdigest()[:32]}"
        if self.sandbox is not None:
            self.sandbox.register_trigger(trigger_id, user_id)
        return trigger_id

    def new_response_url(self, kind: str = "commands") -> str:
        """A response URL: on the sandbox when attached (posts land in ``sandbox.responses``)."""
        key = f"{kind}-{self._next()}"
        if self.sandbox is not None:
            return self.sandbox.response_url_for(key)
        return f"https://hooks.slack.com/{kind}/{self.team_id}/{self._next()}/{key}"

    def _user(self, user_id: str) -> dict[str, Any]:
        name = user_id.lower()
        team_id = self.team_id
        if self.sandbox is not None:
            known = self.sandbox._users.get(user_id)
            if known is not None:
                name, team_id = known.name, known.team_id
        return {"id": user_id, "username": name, "name": name, "team_id": team_id}

    def _team(self) -> dict[str, Any]:
        return {"id": self.team_id, "domain": self.team_domain}

    def post(
        self,
        body: str,
        content_type: str,
        *,
        sign: bool = True,
        timestamp: int | None = None,
        bad_signature: bool = False,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> Response:
        """Send a raw body to the app, signed like Slack.

        Args:
            body: The exact body to send (and sign).
            content_type: ``application/x-www-form-urlencoded`` or ``application/json``.
            sign: Add the signature headers.
            timestamp: Unix seconds to sign with (default now).
            bad_signature: Sign with a wrong secret.
            headers: Extra headers.
            timeout: Client timeout in seconds.

        Returns:
            The app's response (never raises for HTTP error statuses).
        """
        request_headers = {"Content-Type": content_type, "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)"}
        if sign:
            ts = str(timestamp if timestamp is not None else int(time.time()))
            verifier = SignatureVerifier(self.signing_secret + "-wrong") if bad_signature else self._verifier
            signature = verifier.generate_signature(timestamp=ts, body=body)
            request_headers.update({"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature or ""})
        request_headers.update(headers or {})
        request = urllib.request.Request(
            self.app_url, data=body.encode("utf-8"), headers=request_headers, method="POST"
        )
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=timeout or self.timeout) as resp:  # noqa: S310 - local app
                text = resp.read().decode("utf-8", errors="replace")
                status, response_headers = resp.status, dict(resp.headers.items())
        except urllib.error.HTTPError as err:
            text = err.read().decode("utf-8", errors="replace")
            status, response_headers = err.code, dict(err.headers.items())
        return Response(status, response_headers, text, time.perf_counter() - started, body)

    def _check_answer(self, kind: str, response: Response, view: Mapping[str, Any] | None = None) -> None:
        """Hold what the app answers in an HTTP response to Slack's rules, as Slack does.

        A slash command's answer is a message; a view submission's ``response_action`` carries a view (``update``,
        ``push``) or inline ``errors`` keyed by the view's input blocks. What Slack would refuse is kept in the
        sandbox's ``invalid_calls`` (and fails the test).
        """
        if self.sandbox is None or response.status != 200 or not response.body.strip():
            return
        try:
            body = response.json()
        except ValueError:
            return  # a plain-text answer is shown as it is
        if not isinstance(body, dict):
            return
        problems: list[validation.Problem] = []
        if kind == "slash_command":
            problems = validation.check_message(body)
        elif body.get("response_action") in ("update", "push"):
            problems = validation.check_view(body.get("view"))
        elif body.get("response_action") == "errors":
            inputs = {b.get("block_id") for b in (view or {}).get("blocks") or [] if b.get("type") == "input"}
            ref = "https://docs.slack.dev/surfaces/modals#displaying_errors"
            problems = [
                validation.Problem(f"/errors/{key}", f"errors name {key!r}, not an input block of the view", ref)
                for key in (body.get("errors") or {})
                if key not in inputs
            ]
        refused = validation.refusal(problems)
        if refused is not None:
            self.sandbox.note_invalid(kind, refused, body)

    def _post_form(self, fields: Mapping[str, Any], **opts: Any) -> Response:
        return self.post(urlencode(fields), "application/x-www-form-urlencoded", **opts)

    def _post_payload(self, payload: Mapping[str, Any], **opts: Any) -> Response:
        return self._post_form({"payload": json.dumps(payload)}, **opts)

    def _post_json(self, payload: Mapping[str, Any], **opts: Any) -> Response:
        return self.post(json.dumps(payload), "application/json", **opts)

    # ------------------------------------------------------------------ Slack surfaces

    def slash_command(
        self,
        user_id: str,
        text: str = "",
        *,
        command: str = "/mentor",
        channel_id: str = "C0GENERAL",
        channel_name: str = "general",
        trigger_id: str | None = None,
        response_url: str | None = None,
        **opts: Any,
    ) -> Response:
        """Send a slash command as ``user_id`` (form-encoded, like Slack).

        Returns:
            The app's response. The trigger id and response URL sent are in ``last_trigger_id`` /
            ``last_response_url``.
        """
        user = self._user(user_id)
        self.last_trigger_id = trigger_id or self.new_trigger_id(user_id)
        self.last_response_url = response_url or self.new_response_url("commands")
        fields = {
            "token": "verification_token",
            "team_id": user["team_id"],
            "team_domain": self.team_domain,
            "channel_id": channel_id,
            "channel_name": channel_name,
            "user_id": user_id,
            "user_name": user["name"],
            "command": command,
            "text": text,
            "api_app_id": self.api_app_id,
            "is_enterprise_install": "false",
            "response_url": self.last_response_url,
            "trigger_id": self.last_trigger_id,
        }
        response = self._post_form(fields, **opts)
        self._check_answer("slash_command", response)
        return response

    def view_submission(
        self,
        user_id: str,
        view: Mapping[str, Any],
        values: Mapping[str, Any],
        *,
        private_metadata: str | None = None,
        **opts: Any,
    ) -> Response:
        """Submit a modal as ``user_id``.

        Args:
            user_id: Who submits.
            view: The view as the app opened it (e.g. ``sandbox.views_opened()[-1]``).
            values: ``state.values`` (``{block_id: {action_id: state}}``; see ``values_for``).
            private_metadata: Override the view's private_metadata.
            **opts: Request options (see the class docstring).

        Returns:
            The app's response (``response_action`` JSON, or empty).
        """
        submitted = self._complete_view(view)
        submitted["state"] = {"values": json.loads(json.dumps(values))}
        if private_metadata is not None:
            submitted["private_metadata"] = private_metadata
        payload = {
            "type": "view_submission",
            "team": self._team(),
            "user": self._user(user_id),
            "api_app_id": self.api_app_id,
            "token": "verification_token",
            "trigger_id": self.new_trigger_id(user_id),
            "view": submitted,
            "response_urls": [],
            "is_enterprise_install": False,
            "enterprise": None,
        }
        response = self._post_payload(payload, **opts)
        self._check_answer("view_submission", response, submitted)
        return response

    def view_closed(self, user_id: str, view: Mapping[str, Any], *, is_cleared: bool = False, **opts: Any) -> Response:
        """Close a modal as ``user_id`` (sent by Slack only when the view has ``notify_on_close``)."""
        payload = {
            "type": "view_closed",
            "team": self._team(),
            "user": self._user(user_id),
            "api_app_id": self.api_app_id,
            "token": "verification_token",
            "view": self._complete_view(view),
            "is_cleared": is_cleared,
            "is_enterprise_install": False,
        }
        return self._post_payload(payload, **opts)

    def _complete_view(self, view: Mapping[str, Any]) -> dict[str, Any]:
        full = json.loads(json.dumps(dict(view)))
        view_id = full.get("id") or f"V0DRV{self._next():06d}"
        defaults = {
            "id": view_id,
            "team_id": self.team_id,
            "blocks": [],
            "private_metadata": "",
            "callback_id": "",
            "state": {"values": {}},
            "hash": f"{int(time.time())}.drv{self._next()}",
            "clear_on_close": False,
            "notify_on_close": False,
            "previous_view_id": None,
            "root_view_id": view_id,
            "app_id": self.api_app_id,
            "external_id": "",
            "app_installed_team_id": self.team_id,
            "bot_id": self.sandbox.bot_id if self.sandbox else "B0MENTORBOT",
        }
        for key, value in defaults.items():
            full.setdefault(key, value)
        return full

    def block_action(
        self,
        user_id: str,
        action_id: str,
        *,
        value: str | None = None,
        block_id: str | None = None,
        container: Mapping[str, Any] | None = None,
        view: Mapping[str, Any] | None = None,
        channel_id: str | None = None,
        message: Mapping[str, Any] | None = None,
        action_type: str | None = None,
        selected_option: Mapping[str, Any] | None = None,
        action_extra: Mapping[str, Any] | None = None,
        **opts: Any,
    ) -> Response:
        """Click / select an interactive element as ``user_id``.

        When ``message`` or ``view`` is given, the element is looked up there by ``action_id`` so its
        ``block_id``, ``type``, button ``text`` and ``value`` default to what the app rendered.

        Args:
            user_id: Who acts.
            action_id: The element's action_id.
            value: Button value (defaults to the rendered element's).
            block_id: Block id (defaults to the rendered one, else ``b``).
            container: Explicit container; otherwise derived from ``message`` / ``view``.
            view: The view (modal or home) holding the element.
            channel_id: Channel of the message (defaults to ``message["channel"]``).
            message: The message holding the element (e.g. from ``sandbox.messages_to(user)``).
            action_type: Element type (defaults to the rendered one, else ``button``).
            selected_option: For selects / overflow / radio buttons: ``{"text": ..., "value": ...}``.
            action_extra: More fields merged into the action (e.g. ``selected_options``, ``selected_date``).
            **opts: Request options (see the class docstring).

        Returns:
            The app's response.
        """
        blocks: list[dict[str, Any]] = []
        if message is not None:
            blocks = list(message.get("blocks") or [])
        elif view is not None:
            blocks = list(view.get("blocks") or [])
        element: dict[str, Any] = {}
        for found_block_id, candidate in _iter_elements(blocks):
            if candidate.get("action_id") == action_id and (block_id is None or block_id == found_block_id):
                element, block_id = candidate, found_block_id
                break
        if blocks and not element:
            raise KeyError(f"action_id {action_id!r} not found in the given message/view")
        kind = action_type or element.get("type") or "button"
        action: dict[str, Any] = {
            "action_id": action_id,
            "block_id": block_id if block_id is not None else "b",
            "type": kind,
            "action_ts": f"{time.time():.6f}",
        }
        if kind == "button":
            action["text"] = element.get("text") or {"type": "plain_text", "text": "Button", "emoji": True}
        chosen_value = value if value is not None else element.get("value")
        if chosen_value is not None:
            action["value"] = chosen_value
        if element.get("style"):
            action["style"] = element["style"]
        if selected_option is not None:
            action["selected_option"] = dict(selected_option)
        action.update(action_extra or {})

        user = self._user(user_id)
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": user,
            "api_app_id": self.api_app_id,
            "token": "verification_token",
            "trigger_id": self.new_trigger_id(user_id),
            "team": self._team(),
            "enterprise": None,
            "is_enterprise_install": False,
            "actions": [action],
        }
        if message is not None or (container or {}).get("type") == "message" or channel_id is not None:
            channel = channel_id or (message or {}).get("channel") or (container or {}).get("channel_id") or ""
            msg = json.loads(json.dumps(dict(message or {})))
            msg.pop("channel", None)
            is_ephemeral = bool(msg.pop("is_ephemeral", False))
            payload["container"] = dict(container or {}) or {
                "type": "message",
                "message_ts": msg.get("ts", ""),
                "channel_id": channel,
                "is_ephemeral": is_ephemeral,
            }
            payload["channel"] = {"id": channel, "name": channel.lower()}
            if msg and not is_ephemeral:
                payload["message"] = msg
            payload["state"] = {"values": {}}
            payload["response_url"] = self.new_response_url("actions")
        elif view is not None:
            full_view = self._complete_view(view)
            payload["container"] = dict(container or {}) or {"type": "view", "view_id": full_view["id"]}
            payload["view"] = full_view
        elif container is not None:
            payload["container"] = dict(container)
        return self._post_payload(payload, **opts)

    def block_suggestion(
        self,
        user_id: str,
        view: Mapping[str, Any],
        action_id: str,
        value: str,
        *,
        block_id: str | None = None,
        **opts: Any,
    ) -> list[dict[str, Any]]:
        """Type ``value`` into an external select of a modal, as Slack asks the app's options load URL.

        The app's answer is held to Slack's limits for an options response (at most 100 options); an answer
        Slack would refuse is kept in the sandbox's ``invalid_calls`` (as ``block_suggestion``) and fails the test.

        Args:
            user_id: Who types.
            view: The view holding the select (as opened).
            action_id: The select's action_id.
            value: What was typed.
            block_id: The select's block (defaults to the first block holding ``action_id``).
            **opts: Request options (see the class docstring).

        Returns:
            The options the app offered (option groups flattened), best first as the app ranked them.
        """
        for found_block_id, element in _iter_elements(view.get("blocks") or []):
            if element.get("action_id") == action_id and (block_id is None or block_id == found_block_id):
                block_id = found_block_id
                break
        else:
            raise KeyError(f"action_id {action_id!r} not found in the view")
        payload = {
            "type": "block_suggestion",
            "user": self._user(user_id),
            "container": {"type": "view", "view_id": view.get("id", "")},
            "api_app_id": self.api_app_id,
            "token": "verification_token",
            "action_id": action_id,
            "block_id": block_id,
            "value": value,
            "team": self._team(),
            "enterprise": None,
            "is_enterprise_install": False,
            "view": self._complete_view(view),
        }
        response = self._post_payload(payload, **opts)
        body = response.json() if response.status == 200 else None
        refused = validation.refusal(validation.check_options_response(body))
        if refused is not None and self.sandbox is not None:
            self.sandbox.note_invalid("block_suggestion", refused, {"action_id": action_id, "value": value})
        body = body if isinstance(body, dict) else {}
        offered = list(body.get("options") or [])
        for group in body.get("option_groups") or []:
            offered.extend(group.get("options") or [])
        return offered

    def event(
        self,
        event: Mapping[str, Any],
        *,
        event_id: str | None = None,
        retry_num: int | None = None,
        retry_reason: str = "http_timeout",
        **opts: Any,
    ) -> Response:
        """Deliver an Events API event in an ``event_callback`` envelope.

        Args:
            event: The inner event (``type``, ``user``, ...); ``event_ts`` is added when missing.
            event_id: The envelope's ``event_id`` (give the same one with ``retry_num`` to simulate a retry).
            retry_num: Adds ``X-Slack-Retry-Num`` / ``X-Slack-Retry-Reason`` headers.
            retry_reason: The retry reason header value.
            **opts: Request options (see the class docstring).

        Returns:
            The app's response.
        """
        now = time.time()
        inner = {"event_ts": f"{now:.6f}", **dict(event)}
        bot_user_id = self.sandbox.bot_user_id if self.sandbox else "U0MENTORBOT"
        envelope = {
            "token": "verification_token",
            "team_id": self.team_id,
            "api_app_id": self.api_app_id,
            "event": inner,
            "type": "event_callback",
            "event_id": event_id or f"Ev0DRV{self._next():06d}",
            "event_time": int(now),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": self.team_id,
                    "user_id": bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
        }
        headers = dict(opts.pop("headers", None) or {})
        if retry_num is not None:
            headers.update({"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": retry_reason})
        return self._post_json(envelope, headers=headers, **opts)

    def app_home_opened(self, user_id: str, *, tab: str = "home", **opts: Any) -> Response:
        """A person opens the app's Home tab (``view`` included when the sandbox has one published)."""
        channel = self.sandbox.dm_channel_id(user_id) if self.sandbox else f"D{user_id[1:]}"
        event: dict[str, Any] = {"type": "app_home_opened", "user": user_id, "channel": channel, "tab": tab}
        if self.sandbox is not None and tab == "home":
            home = self.sandbox.home_view(user_id)
            if home is not None:
                event["view"] = home
        return self.event(event, **opts)

    def direct_message(self, user_id: str, text: str, **opts: Any) -> Response:
        """A person writes to the app in their IM (``message`` event, ``channel_type: im``)."""
        channel = self.sandbox.dm_channel_id(user_id) if self.sandbox else f"D{user_id[1:]}"
        ts = f"{time.time():.6f}"
        event = {
            "type": "message",
            "channel": channel,
            "user": user_id,
            "text": text,
            "ts": ts,
            "event_ts": ts,
            "channel_type": "im",
            "team": self.team_id,
        }
        return self.event(event, **opts)

    def url_verification(self, challenge: str, **opts: Any) -> Response:
        """Send Slack's ``url_verification`` handshake."""
        return self._post_json(
            {"token": "verification_token", "challenge": challenge, "type": "url_verification"}, **opts
        )


__all__ = [
    "Response",
    "SlackDriver",
    "channel_value",
    "checkboxes_value",
    "conversation_value",
    "conversations_value",
    "date_value",
    "datetime_value",
    "multi_select_value",
    "number_value",
    "radio_value",
    "select_value",
    "text_value",
    "time_value",
    "user_value",
    "users_value",
    "values_for",
]
