"""`mentorbot run` as a real process: gunicorn in HTTP mode, against the sandbox, stopped with SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from bot.sandbox import SlackDriver, SlackSandbox
from tests.conftest import BOT_TOKEN, SIGNING_SECRET, TEAM_ID


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_run_serves_http_mode_under_gunicorn_and_drains_on_sigterm(tmp_path: Path, sandbox: SlackSandbox) -> None:
    port = _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL", "COORDINATOR"))},
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": sandbox.url,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'run.db'}",
        "PORT": str(port),
        "LOG_LEVEL": "INFO",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "run"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.time() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as response:
                    assert response.status == 200
                    break
            except OSError:
                assert process.poll() is None, process.stdout.read() if process.stdout else ""
                assert time.time() < deadline, "server did not come up"
                time.sleep(0.2)
        driver = SlackDriver(f"http://127.0.0.1:{port}/slack/events", SIGNING_SECRET, team_id=TEAM_ID, sandbox=sandbox)
        answer = driver.slash_command("U0SOMEONE1", "help")
        assert answer.status == 200 and "/mentor join" in json.loads(answer.body)["text"]
        assert answer.elapsed < 3
        assert driver.slash_command("U0SOMEONE1", "help", sign=False).status == 401
        assert sandbox.calls_for("auth.test")  # the token was checked against SLACK_API_URL
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output
    assert "Traceback" not in output
    assert BOT_TOKEN not in output and SIGNING_SECRET not in output
