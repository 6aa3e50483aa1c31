"""Auth methods of the sandbox: ``api.test``, ``auth.test``, ``team.info``."""

from __future__ import annotations

from typing import Any

from bot.sandbox.webapi.base import SandboxBase


class AuthMethods(SandboxBase):
    """Auth methods: ``api.test``, ``auth.test``, ``team.info``."""

    def _api_api_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"args": {k: v for k, v in args.items() if k != "token"}}

    def _api_auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": f"https://{self.team_domain}.slack.com/",
            "team": self.team_name,
            "user": self.bot_name,
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _api_team_info(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "team": {
                "id": self.team_id,
                "name": self.team_name,
                "domain": self.team_domain,
                "email_domain": "",
                "icon": {},
            }
        }
