"""Posts to a ``response_url`` (what Bolt's ``respond()`` sends)."""

from __future__ import annotations

import time
from typing import Any

from bot.sandbox.webapi.base import SandboxBase
from bot.sandbox.webapi.records import (
    ResponseUrlPost,
)


class ResponseUrlMethods(SandboxBase):
    """Posts to a ``response_url`` (what Bolt's ``respond()`` sends)."""

    def _store_response(self, key: str, payload: dict[str, Any]) -> None:
        with self._lock:
            self._responses.append(ResponseUrlPost(key=key, payload=payload, at=time.time()))
            self._record_call("response_url", {**payload, "response_url_key": key})
