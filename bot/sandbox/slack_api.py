"""A local stand-in for the Slack Web API, for tests and `mentorbot demo`.

The app gets a real ``slack_sdk.WebClient(base_url=sandbox.url)`` and talks HTTP to this server, which answers
the Web API methods mentorbot uses with Slack-shaped responses and records every call. Stdlib only: a
``ThreadingHTTPServer`` in a daemon thread; all state is guarded by one lock.

The stand-in is as strict as Slack: every call is checked against Slack's published Web API (method, required
and unknown arguments) and Block Kit's limits (``bot/sandbox/rules.py``) before it is answered; a call Slack
would refuse gets Slack's error and is kept in ``invalid_calls`` (tests fail on any, see ``tests/conftest.py``).

Paths served:

- ``/api/<method>``: Web API methods (form-encoded, JSON or query-string arguments, as slack_sdk sends them).
- ``/upload/<file_id>``: the upload URL handed out by ``files.getUploadURLExternal`` (raw body or multipart).
- ``/response/<key>``: a ``response_url`` (Bolt's ``respond()`` posts JSON there).
- ``/files/<file_id>/<name>``: downloads an uploaded file (``url_private``).

The methods live in ``bot/sandbox/webapi/``, one module per method family.
"""

from __future__ import annotations

from bot.sandbox.webapi.auth import AuthMethods
from bot.sandbox.webapi.base import SandboxBase
from bot.sandbox.webapi.chat import ChatMethods
from bot.sandbox.webapi.conversations import ConversationsMethods
from bot.sandbox.webapi.files import FilesMethods
from bot.sandbox.webapi.records import Attempt, Call, InvalidCall, ResponseUrlPost, SlackError, UploadedFile
from bot.sandbox.webapi.responses import ResponseUrlMethods
from bot.sandbox.webapi.users import UsersMethods
from bot.sandbox.webapi.views import ViewsMethods


class SlackSandbox(
    AuthMethods,
    UsersMethods,
    ChatMethods,
    ConversationsMethods,
    ViewsMethods,
    FilesMethods,
    ResponseUrlMethods,
    SandboxBase,
):
    """A local Slack Web API server for tests and demos.

    Example:
        >>> with SlackSandbox() as sandbox:
        ...     client = WebClient(base_url=sandbox.url, token="xoxb-test")
        ...     client.chat_postMessage(channel="C1", text="hi")
        ...     sandbox.wait_for("chat.postMessage").args["text"]
        'hi'
    """


__all__ = ["Attempt", "Call", "InvalidCall", "ResponseUrlPost", "SlackError", "SlackSandbox", "UploadedFile"]
