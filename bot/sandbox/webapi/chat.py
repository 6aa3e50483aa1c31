"""Chat methods: ``chat.postMessage``, ``.postEphemeral``, ``.update``, ``.delete``, ``.getPermalink``."""

from __future__ import annotations

import json
from typing import Any

from bot.sandbox.webapi.base import SandboxBase
from bot.sandbox.webapi.records import (
    SlackError,
)


class ChatMethods(SandboxBase):
    """Chat methods: ``chat.postMessage``, ``.postEphemeral``, ``.update``, ``.delete``, ``.getPermalink``."""

    def _api_chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        if not args.get("channel"):
            raise SlackError("channel_not_found")
        if not args.get("text") and not args.get("blocks") and not args.get("attachments"):
            raise SlackError("no_text")
        channel = self._resolve_channel(str(args["channel"]))
        ts = self._next_ts()
        message = self._bot_message(args, ts)
        self._messages.setdefault(channel, []).append(message)
        return {"channel": channel, "ts": ts, "message": json.loads(json.dumps(message))}

    def _api_chat_postEphemeral(self, args: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        self._require(args, "channel", "user")
        if not args.get("text") and not args.get("blocks") and not args.get("attachments"):
            raise SlackError("no_text")
        channel = str(args["channel"])
        members = self._channels.get(channel).members if channel in self._channels else None
        if members and args["user"] not in members:
            raise SlackError("user_not_in_channel")
        ts = self._next_ts()
        message = self._bot_message(args, ts)
        message.update({"channel": channel, "user": args["user"], "is_ephemeral": True})
        self._ephemerals.append(message)
        return {"message_ts": ts}

    def _api_chat_update(self, args: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        self._require(args, "channel", "ts")
        channel = self._resolve_channel(str(args["channel"]))
        message = self._find_message(channel, str(args["ts"]))
        for key in ("text", "blocks", "attachments", "metadata"):
            if key in args:
                message[key] = args[key]
        message["edited"] = {"user": self.bot_user_id, "ts": self._next_ts()}
        return {
            "channel": channel,
            "ts": message["ts"],
            "text": message.get("text", ""),
            "message": json.loads(json.dumps(message)),
        }

    def _api_chat_delete(self, args: dict[str, Any]) -> dict[str, Any]:
        self._require(args, "channel", "ts")
        channel = self._resolve_channel(str(args["channel"]))
        message = self._find_message(channel, str(args["ts"]))
        self._messages[channel].remove(message)
        return {"channel": channel, "ts": message["ts"]}

    def _api_chat_getPermalink(self, args: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        self._require(args, "channel", "message_ts")
        channel = self._resolve_channel(str(args["channel"]))
        self._find_message(channel, str(args["message_ts"]))
        ts = str(args["message_ts"]).replace(".", "")
        return {"channel": channel, "permalink": f"https://{self.team_domain}.slack.com/archives/{channel}/p{ts}"}
