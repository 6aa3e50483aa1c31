"""Local Slack stand-in: a Web API server (`SlackSandbox`) and a signed-request driver (`SlackDriver`)."""

from bot.sandbox.driver import Response, SlackDriver
from bot.sandbox.slack_api import Attempt, Call, ResponseUrlPost, SlackSandbox, UploadedFile

__all__ = ["Attempt", "Call", "Response", "ResponseUrlPost", "SlackDriver", "SlackSandbox", "UploadedFile"]
