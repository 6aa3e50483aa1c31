"""Views methods of the sandbox: ``views.open``, ``views.push``, ``views.update``, ``views.publish``."""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any

from bot.sandbox.webapi.base import SandboxBase
from bot.sandbox.webapi.records import (
    SlackError,
    _ViewRecord,
)


class ViewsMethods(SandboxBase):
    """Views methods: ``views.open``, ``views.push``, ``views.update``, ``views.publish``."""

    def _view_response(self, view_in: Any, *, view_id: str, previous: dict[str, Any] | None) -> dict[str, Any]:
        if not isinstance(view_in, dict) or not view_in.get("type"):
            raise SlackError("invalid_arguments", response_metadata={"messages": ["view: missing or invalid"]})
        root = (previous or {}).get("root_view_id") or view_id
        return {
            "id": view_id,
            "team_id": self.team_id,
            "type": view_in["type"],
            "blocks": view_in.get("blocks", []),
            "private_metadata": view_in.get("private_metadata", ""),
            "callback_id": view_in.get("callback_id", ""),
            "state": {"values": {}},
            "hash": f"{int(time.time())}.{hashlib.sha1(view_id.encode() + self._next_ts().encode()).hexdigest()[:8]}",
            "title": view_in.get("title"),
            "clear_on_close": bool(view_in.get("clear_on_close", False)),
            "notify_on_close": bool(view_in.get("notify_on_close", False)),
            "close": view_in.get("close"),
            "submit": view_in.get("submit"),
            "previous_view_id": (previous or {}).get("id"),
            "root_view_id": root,
            "app_id": self.app_id,
            "external_id": view_in.get("external_id", ""),
            "app_installed_team_id": self.team_id,
            "bot_id": self.bot_id,
        }

    def _check_trigger(self, args: dict[str, Any]) -> str | None:
        trigger_id = args.get("trigger_id")
        if not trigger_id and not args.get("interactivity_pointer"):
            raise SlackError("invalid_arguments", response_metadata={"messages": ["missing trigger_id"]})
        trigger_id = trigger_id or args.get("interactivity_pointer")
        if trigger_id in self.expired_triggers:
            raise SlackError("expired_trigger_id")
        issued = self._triggers.get(trigger_id)
        if issued is None:
            return None
        user_id, at = issued
        if self.trigger_ttl is not None and time.monotonic() - at > self.trigger_ttl:
            raise SlackError("expired_trigger_id")
        return user_id

    def _external_id_taken(self, external_id: str) -> bool:
        return bool(external_id) and any(r.view.get("external_id") == external_id for r in self._views.values())

    def _api_views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        user_id = self._check_trigger(args)
        view_in = args.get("view")
        if isinstance(view_in, dict) and self._external_id_taken(view_in.get("external_id", "")):
            raise SlackError("duplicate_external_id")
        view_id = self._new_id("V")
        view = self._view_response(view_in, view_id=view_id, previous=None)
        self._views[view_id] = _ViewRecord(view=view, user_id=user_id, opened_by="views.open")
        self._views_opened.append(view_id)
        return {"view": json.loads(json.dumps(view)), "response_metadata": {"messages": []}}

    def _api_views_push(self, args: dict[str, Any]) -> dict[str, Any]:
        user_id = self._check_trigger(args)
        previous = None
        for view_id in reversed(self._views_opened):
            record = self._views[view_id]
            if user_id is None or record.user_id == user_id:
                previous = record.view
                break
        view_id = self._new_id("V")
        view = self._view_response(args.get("view"), view_id=view_id, previous=previous)
        self._views[view_id] = _ViewRecord(view=view, user_id=user_id, opened_by="views.push")
        self._views_opened.append(view_id)
        return {"view": json.loads(json.dumps(view)), "response_metadata": {"messages": []}}

    def _api_views_update(self, args: dict[str, Any]) -> dict[str, Any]:
        record: _ViewRecord | None = None
        if args.get("view_id"):
            record = self._views.get(str(args["view_id"]))
        elif args.get("external_id"):
            record = next((r for r in self._views.values() if r.view.get("external_id") == args["external_id"]), None)
        else:
            raise SlackError("invalid_arguments", response_metadata={"messages": ["view_id or external_id"]})
        if record is None:
            raise SlackError("not_found")
        if args.get("hash") and args["hash"] != record.view["hash"]:
            raise SlackError("hash_conflict")
        old = record.view
        view = self._view_response(args.get("view"), view_id=old["id"], previous=None)
        view.update(previous_view_id=old["previous_view_id"], root_view_id=old["root_view_id"])
        if not view["external_id"]:
            view["external_id"] = old.get("external_id", "")
        record.view = view
        return {"view": json.loads(json.dumps(view)), "response_metadata": {"messages": []}}

    def _api_views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        self._require(args, "user_id", "view")
        user_id = str(args["user_id"])
        if self._users and user_id not in self._users:
            raise SlackError("user_not_found")
        if args.get("hash") and user_id in self._home_views:
            current = self._views[self._home_views[user_id]].view
            if args["hash"] != current["hash"]:
                raise SlackError("hash_conflict")
        view_id = self._home_views.get(user_id) or self._new_id("V")
        view = self._view_response(args["view"], view_id=view_id, previous=None)
        self._views[view_id] = _ViewRecord(view=view, user_id=user_id, opened_by="views.publish")
        self._home_views[user_id] = view_id
        return {"view": json.loads(json.dumps(view)), "response_metadata": {"messages": []}}
