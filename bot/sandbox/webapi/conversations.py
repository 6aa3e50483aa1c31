"""Conversations methods of the sandbox: ``conversations.open``, ``.history``, ``.replies``, ``.members``, ``.info``."""

from __future__ import annotations

import json
import time
from typing import Any

from bot.sandbox.webapi.base import SandboxBase
from bot.sandbox.webapi.records import (
    SlackError,
    _as_int,
    _Channel,
    _stable_id,
    _truthy,
    _ts_float,
)


class ConversationsMethods(SandboxBase):
    """Conversations methods: ``conversations.open``, ``.history``, ``.replies``, ``.members``, ``.info``."""

    def _api_conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        if args.get("channel"):
            channel = self._channels.get(str(args["channel"]))
            if channel is None:
                raise SlackError("channel_not_found")
            return {"no_op": True, "already_open": True, "channel": self._channel_object(channel)}
        users_arg = args.get("users")
        if isinstance(users_arg, list):
            users = [str(u).strip() for u in users_arg]
        else:
            users = [u.strip() for u in str(users_arg or "").split(",")]
        users = sorted({u for u in users if u and u != self.bot_user_id})
        if not users:
            raise SlackError("users_list_not_supplied")
        if len(users) > 8:
            raise SlackError("too_many_users")
        for user_id in users:
            if self._users and user_id not in self._users:
                raise SlackError("user_not_found")
        if len(users) == 1:
            existed = self.dm_channel_id(users[0]) in self._channels
            channel = self._open_im(users[0])
        else:
            channel_id = _stable_id("G", ",".join(users))
            existed = channel_id in self._channels
            if not existed:
                names = [self._users[u].name if u in self._users else u.lower() for u in users]
                self._channels[channel_id] = _Channel(
                    channel_id=channel_id,
                    name="mpdm-" + "--".join([self.bot_name, *names]) + "-1",
                    members=[self.bot_user_id, *users],
                    is_mpim=True,
                    created=int(time.time()),
                )
            channel = self._channels[channel_id]
        body: dict[str, Any] = {"no_op": existed, "already_open": existed}
        if _truthy(args.get("return_im")) or channel.is_mpim:
            body["channel"] = self._channel_object(channel)
        else:
            body["channel"] = {"id": channel.channel_id}
        return body

    def _history(self, channel: str, args: dict[str, Any], messages: list[dict[str, Any]]) -> dict[str, Any]:
        limit = max(1, min(_as_int(args.get("limit"), 100), 1000))
        inclusive = _truthy(args.get("inclusive"))
        oldest = _ts_float(args.get("oldest")) if args.get("oldest") not in (None, "") else None
        latest = _ts_float(args.get("latest")) if args.get("latest") not in (None, "") else None

        def in_range(m: dict[str, Any]) -> bool:
            ts = _ts_float(m["ts"])
            if oldest is not None and (ts < oldest or (ts == oldest and not inclusive)):
                return False
            return not (latest is not None and (ts > latest or (ts == latest and not inclusive)))

        selected = [m for m in messages if in_range(m)]
        start = _as_int(args.get("cursor"), 0)
        page = selected[start : start + limit]
        include_metadata = _truthy(args.get("include_all_metadata"))
        out = []
        for message in page:
            copy = json.loads(json.dumps(message))
            if not include_metadata:
                copy.pop("metadata", None)
            out.append(copy)
        has_more = start + limit < len(selected)
        return {
            "messages": out,
            "has_more": has_more,
            "pin_count": 0,
            "channel_actions_ts": None,
            "channel_actions_count": 0,
            "response_metadata": {"next_cursor": str(start + limit) if has_more else ""},
        }

    def _api_conversations_history(self, args: dict[str, Any]) -> dict[str, Any]:
        self._require(args, "channel")
        channel = self._resolve_channel(str(args["channel"]))
        messages = [
            m
            for m in reversed(self._messages.get(channel, []))
            if not m.get("thread_ts") or m["thread_ts"] == m["ts"] or _truthy(m.get("reply_broadcast"))
        ]
        return self._history(channel, args, messages)

    def _api_conversations_replies(self, args: dict[str, Any]) -> dict[str, Any]:
        self._require(args, "channel", "ts")
        channel = self._resolve_channel(str(args["channel"]))
        parent = self._find_message(channel, str(args["ts"]))
        thread = [parent] + [m for m in self._messages.get(channel, []) if m.get("thread_ts") == parent["ts"]]
        body = self._history(channel, args, [m for i, m in enumerate(thread) if i == 0 or m is not parent])
        body.pop("pin_count", None)
        return body

    def _api_conversations_members(self, args: dict[str, Any]) -> dict[str, Any]:
        self._require(args, "channel")
        channel = self._channels.get(self._resolve_channel(str(args["channel"])))
        if channel is None:
            raise SlackError("channel_not_found")
        limit = max(1, _as_int(args.get("limit"), 100))
        start = _as_int(args.get("cursor"), 0)
        members = channel.members[start : start + limit]
        more = start + limit < len(channel.members)
        return {"members": members, "response_metadata": {"next_cursor": str(start + limit) if more else ""}}

    def _api_conversations_info(self, args: dict[str, Any]) -> dict[str, Any]:
        self._require(args, "channel")
        channel = self._channels.get(self._resolve_channel(str(args["channel"])))
        if channel is None:
            raise SlackError("channel_not_found")
        return {"channel": self._channel_object(channel)}
