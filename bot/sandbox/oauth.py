"""The sandbox with several workspaces installing the app through OAuth (``oauth.v2.access``).

An extension of :class:`SlackSandbox` that leaves its methods alone: a workspace "clicks Allow" with
:meth:`OAuthSandbox.approve` (Slack's consent screen), which hands out a one-time ``code``; the app trades it
at ``oauth.v2.access`` for a bot token bound to that workspace. ``auth.test`` answers for the workspace of
the token it is called with, and every successful call made with a workspace's token is recorded under that
workspace (:meth:`calls_for_team`), so a test can prove which workspace's token carried each message.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from bot.sandbox import validation
from bot.sandbox.slack_api import SlackSandbox


@dataclass(frozen=True)
class TeamCall:
    """A successful Web API call made with a workspace's bot token."""

    team_id: str
    method: str
    args: dict[str, Any]


@dataclass(frozen=True)
class _Grant:
    team_id: str
    team_name: str
    enterprise_id: str | None
    installer: str


class OAuthSandbox(SlackSandbox):
    """A :class:`SlackSandbox` that several workspaces install the app into."""

    def __init__(self, *args: Any, client_id: str = "1111.2222", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.client_id = client_id
        self._grants: dict[str, _Grant] = {}
        self._token_team: dict[str, str] = {}
        self._team_calls: list[TeamCall] = []

    def approve(
        self, team_id: str, *, installer: str, team_name: str | None = None, enterprise_id: str | None = None
    ) -> str:
        """A person of ``team_id`` approves the install on Slack's consent screen.

        Returns:
            The one-time code Slack appends to the redirect URL.
        """
        code = f"code-{team_id}-{secrets.token_hex(8)}"
        with self._lock:
            self._grants[code] = _Grant(team_id, team_name or f"Workspace {team_id}", enterprise_id, installer)
        return code

    def tokens_of(self, team_id: str) -> list[str]:
        """The bot tokens issued to a workspace (tests compare them with what is stored)."""
        with self._lock:
            return [token for token, team in self._token_team.items() if team == team_id]

    def revoke_team(self, team_id: str) -> None:
        """The workspace uninstalled the app: its tokens stop working."""
        with self._lock:
            self.revoked_tokens.update(self.tokens_of(team_id))

    def calls_for_team(self, team_id: str, method: str | None = None) -> list[TeamCall]:
        """Successful calls made with one workspace's tokens, oldest first."""
        with self._lock:
            return [c for c in self._team_calls if c.team_id == team_id and (method is None or c.method == method)]

    def handle_api(self, method: str, args: dict[str, Any], token: str | None) -> dict[str, Any]:
        """Answer ``oauth.v2.access`` (client credentials, no token) and workspace-aware ``auth.test``."""
        if method == "oauth.v2.access":
            refused = validation.check_call(method, args)
            if refused is not None:
                self.note_invalid(method, refused, {k: v for k, v in args.items() if k != "client_secret"})
                return refused.answer()
            return self._oauth_v2_access(args)
        with self._lock:
            team = self._token_team.get(token or "")
        if team is not None and token not in self.revoked_tokens and method == "auth.test":
            with self._lock:
                self._record_call(method, dict(args))
                self._team_calls.append(TeamCall(team, method, dict(args)))
            return {
                "ok": True,
                "url": f"https://{team.lower()}.slack.com/",
                "team": f"Workspace {team}",
                "user": self.bot_name,
                "team_id": team,
                "user_id": self.bot_user_id,
                "bot_id": self.bot_id,
                "is_enterprise_install": False,
            }
        answer = super().handle_api(method, args, token)
        if team is not None and answer.get("ok"):
            with self._lock:
                self._team_calls.append(TeamCall(team, method, dict(args)))
                view = answer.get("view")
                if isinstance(view, dict) and view.get("id") in self._views:
                    # a view belongs to the workspace whose token opened it (Bolt routes submissions by it)
                    for target in (view, self._views[view["id"]].view):
                        target["team_id"] = target["app_installed_team_id"] = team
        return answer

    def _oauth_v2_access(self, args: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            grant = self._grants.pop(str(args.get("code") or ""), None)
            if grant is None:
                return {"ok": False, "error": "invalid_code"}
            token = f"xoxb-{grant.team_id.lower()}-{secrets.token_hex(12)}"
            self._token_team[token] = grant.team_id
            self._record_call("oauth.v2.access", {"team_id": grant.team_id})
        enterprise = {"id": grant.enterprise_id, "name": f"Org {grant.enterprise_id}"} if grant.enterprise_id else None
        return {
            "ok": True,
            "access_token": token,
            "token_type": "bot",
            "scope": "commands,chat:write",
            "bot_user_id": self.bot_user_id,
            "app_id": self.app_id,
            "team": {"id": grant.team_id, "name": grant.team_name},
            "enterprise": enterprise,
            "is_enterprise_install": False,
            "authed_user": {"id": grant.installer},
        }
