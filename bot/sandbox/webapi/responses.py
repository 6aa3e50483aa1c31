"""Posts to a ``response_url`` (what Bolt's ``respond()`` sends)."""

from __future__ import annotations

import time
from typing import Any

from bot.sandbox import validation
from bot.sandbox.webapi.base import SandboxBase
from bot.sandbox.webapi.records import (
    ResponseUrlPost,
)


class ResponseUrlMethods(SandboxBase):
    """Posts to a ``response_url`` (what Bolt's ``respond()`` sends)."""

    def _store_response(self, key: str, payload: dict[str, Any]) -> validation.Refusal | None:
        """Keep a post to a response URL, or refuse it as Slack would (HTTP 400 with the error)."""
        refused = validation.check_response_url(payload)
        if refused is not None:
            self.note_invalid("response_url", refused, {**payload, "response_url_key": key})
            return refused
        with self._lock:
            self._responses.append(ResponseUrlPost(key=key, payload=payload, at=time.time()))
            self._record_call("response_url", {**payload, "response_url_key": key})
        return None
