"""A full demo run logged at DEBUG: no token, signing secret, client secret or survey answer text in the logs."""

from __future__ import annotations

import io
import json
import logging

import pytest
from sqlalchemy import create_engine, text

from bot import demo
from bot.config import configure_logging
from bot.sandbox import scenario

NOISY = ("alembic", "apscheduler.executors.default", "urllib3", "slack_sdk", "slack_bolt")


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


def _survey_texts(database_url: str) -> set[str]:
    engine = create_engine(database_url)
    found: set[str] = set()
    with engine.connect() as conn:
        for (answers,) in conn.execute(text("SELECT answers FROM private_answer")):
            values = json.loads(answers) if isinstance(answers, str) else answers
            found.update(v for v in (values or {}).values() if isinstance(v, str) and len(v) >= 12)
        # the thank-you note is delivered to the partner by design; what they achieved and learned is private
        for row in conn.execute(text("SELECT achieved, learned FROM reflection")):
            found.update(v for v in row if v and len(v) >= 12)
    engine.dispose()
    return found


def test_demo_logs_hold_no_secret_and_no_survey_answer(tmp_path: pytest.TempPathFactory) -> None:
    root = logging.getLogger()
    saved = (root.level, list(root.handlers), {n: logging.getLogger(n).level for n in NOISY})
    configure_logging("DEBUG", "text")  # what `mentorbot run` does with LOG_LEVEL=DEBUG
    capture = _Capture()
    capture.setFormatter(root.handlers[0].formatter)
    for kept in root.handlers[0].filters:
        capture.addFilter(kept)
    root.handlers[:] = [capture]
    database_url = f"sqlite:///{tmp_path}/demo.db"  # type: ignore[operator]
    try:
        assert demo.run_demo(people=10, seed=1, days=60, out=io.StringIO(), database_url=database_url) == 0
    finally:
        root.setLevel(saved[0])
        root.handlers[:] = saved[1]
        for name, level in saved[2].items():
            logging.getLogger(name).setLevel(level)
    log = "\n".join(capture.lines)
    assert len(capture.lines) > 100 and "DEBUG" in log  # the run really logged, at DEBUG
    secrets = ["xoxb-scenario-sandbox", scenario.SIGNING_SECRET, "xoxb-", "xapp-", "client_secret"]
    assert [s for s in secrets if s in log] == []
    answers = _survey_texts(database_url)
    assert answers, "the demo wrote no survey answers: the scan below would prove nothing"
    assert [a for a in answers if a in log] == []
