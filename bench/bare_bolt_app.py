"""A bare Bolt app, the baseline of ``bench/bench_load.py``: listeners that only ack, nothing else.

One ``/mentor`` command listener, one action listener (any action id) and one ``app_home_opened`` event
listener, served exactly as ``mentorbot run`` serves HTTP mode: ``bot.server.serve_gunicorn`` (gunicorn
gthread, same worker and thread counts, same timeouts), with the app built in each worker after the fork.
The request path is Bolt's own WSGI adapter (no extra signature check in front of it).

    SLACK_BOT_TOKEN=xoxb-... SLACK_SIGNING_SECRET=... SLACK_API_URL=http://127.0.0.1:PORT/api/ \\
        PORT=3100 WEB_CONCURRENCY=2 python bench/bare_bolt_app.py

Like ``mentorbot run``, the app checks its token with ``auth.test`` at start (against ``SLACK_API_URL``).
"""

from __future__ import annotations

import logging
import os
import re
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from slack_bolt import Ack, App  # noqa: E402
from slack_bolt.adapter.wsgi import SlackRequestHandler  # noqa: E402
from slack_sdk import WebClient  # noqa: E402

from bot.server import serve_gunicorn  # noqa: E402


def build_bare_app(*, token: str, signing_secret: str, api_url: str) -> App:
    """The baseline Bolt app: three listeners that ack and return."""
    app = App(
        client=WebClient(token=token, base_url=api_url),
        signing_secret=signing_secret,
        logger=logging.getLogger("slack_bolt"),
    )

    @app.command("/mentor")
    def on_command(ack: Ack) -> None:
        ack()

    @app.action(re.compile(".+"))
    def on_action(ack: Ack) -> None:
        ack()

    @app.event("app_home_opened")
    def on_home_opened(ack: Ack, event: dict[str, Any]) -> None:
        ack()

    return app


def main() -> None:
    """Serve the bare app under gunicorn with the settings ``mentorbot run`` uses."""
    logging.basicConfig(
        level=os.environ.get("LOG_LEVEL", "INFO"), format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    token = os.environ["SLACK_BOT_TOKEN"]
    secret = os.environ["SLACK_SIGNING_SECRET"]
    api_url = os.environ.get("SLACK_API_URL", "https://slack.com/api/")
    port = int(os.environ.get("PORT", "3000"))
    workers = int(os.environ.get("WEB_CONCURRENCY", "2"))

    def factory() -> Any:
        return SlackRequestHandler(build_bare_app(token=token, signing_secret=secret, api_url=api_url))

    serve_gunicorn(factory, port=port, workers=workers)


if __name__ == "__main__":
    main()
