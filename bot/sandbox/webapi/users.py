"""Users methods of the sandbox: ``users.info``, ``users.lookupByEmail``, ``users.list``."""

from __future__ import annotations

import time
from typing import Any

from bot.sandbox.webapi.base import SandboxBase
from bot.sandbox.webapi.records import (
    SlackError,
)


class UsersMethods(SandboxBase):
    """Users methods: ``users.info``, ``users.lookupByEmail``, ``users.list``."""

    def _api_users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        self._require(args, "user")
        user = self._users.get(args["user"])
        if user is None:
            raise SlackError("user_not_found")
        return {"user": self._user_object(user)}

    def _api_users_lookupByEmail(self, args: dict[str, Any]) -> dict[str, Any]:  # noqa: N802 - Slack's name
        self._require(args, "email")
        for user in self._users.values():
            if user.email and user.email.lower() == str(args["email"]).lower():
                return {"user": self._user_object(user)}
        raise SlackError("users_not_found")

    def _api_users_list(self, args: dict[str, Any]) -> dict[str, Any]:
        members = [self._user_object(u) for u in self._users.values()]
        return {"members": members, "cache_ts": int(time.time()), "response_metadata": {"next_cursor": ""}}
