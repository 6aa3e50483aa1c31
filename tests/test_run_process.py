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


class _MinimalSlack:
    """Not the project's sandbox: a bare stand-in answering every Web API method with a minimal 'ok'."""

    def __init__(self) -> None:
        import http.server
        import threading
        import urllib.parse

        calls: list[tuple[str, dict]] = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *_args: object) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 - stdlib name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                if "json" in (self.headers.get("Content-Type") or ""):
                    args = json.loads(body or "{}")
                else:
                    args = {k: v[0] for k, v in urllib.parse.parse_qs(body).items()}
                method = self.path.rsplit("/", 1)[-1]
                calls.append((method, args))
                answer: dict = {"ok": True}
                if method == "auth.test":
                    answer |= {"team_id": TEAM_ID, "user_id": "U0BOT", "bot_id": "B0BOT", "team": "t", "url": "x"}
                elif method == "users.info":
                    answer |= {"user": {"id": args.get("user"), "tz": "Asia/Kolkata", "real_name": "Priya"}}
                elif method in ("views.open", "views.update", "views.publish"):
                    answer |= {
                        "view": {
                            "id": "V0MIN",
                            **(
                                json.loads(args["view"])
                                if isinstance(args.get("view"), str)
                                else args.get("view") or {}
                            ),
                        }
                    }
                elif method == "chat.postMessage":
                    answer |= {"channel": args.get("channel"), "ts": "1700000000.000100"}
                data = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.calls = calls
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def views(self, method: str) -> list[dict]:
        return [
            json.loads(a["view"]) if isinstance(a.get("view"), str) else a["view"] for m, a in self.calls if m == method
        ]


def test_run_against_a_foreign_stand_in_signs_someone_up_and_prefills_their_profile(tmp_path: Path) -> None:
    from bot import ids
    from bot.profiles import Profile, Role
    from bot.sandbox import forms as fill

    slack = _MinimalSlack()
    port = _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL", "COORDINATOR"))},
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.url,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'run.db'}",
        "PORT": str(port),
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
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).close()
                break
            except OSError:
                assert process.poll() is None and time.time() < deadline, "server did not come up"
                time.sleep(0.2)
        driver = SlackDriver(f"http://127.0.0.1:{port}/slack/events", SIGNING_SECRET, team_id=TEAM_ID)
        answer = driver.slash_command("U0PRIYA001", "")
        assert answer.status == 200 and answer.elapsed < 3
        deadline = time.time() + 10
        while not slack.views("views.open") and time.time() < deadline:
            time.sleep(0.05)
        view = slack.views("views.open")[-1]
        assert view["callback_id"] == ids.SIGNUP_VIEW
        assert "Asia/Kolkata" in json.dumps(view)  # the timezone came from users.info
        priya = Profile(
            user_id="U0PRIYA001",
            role=Role.MENTOR,
            skills_offered=("python",),
            department="engineering",
            industry="software",
            seniority="staff",
            timezone="Asia/Kolkata",
            capacity=2,
            languages=("english", "hindi"),
        )
        too_long = fill.signup_values(view, priya) | fill.text(view, ids.BIO, "x" * 5000)
        refused = driver.view_submission("U0PRIYA001", {**view, "id": "V0MIN", "hash": "h1"}, too_long)
        assert refused.json()["response_action"] == "errors" and ids.BIO in refused.json()["errors"]
        saved = driver.view_submission(
            "U0PRIYA001", {**view, "id": "V0MIN", "hash": "h2"}, fill.signup_values(view, priya)
        )
        assert saved.status == 200 and not saved.body.strip()
        deadline = time.time() + 10  # the profile is stored after the ack; the confirmation DM follows it
        while not any(m == "chat.postMessage" for m, _ in slack.calls) and time.time() < deadline:
            time.sleep(0.05)
        opened = len(slack.views("views.open"))
        assert driver.slash_command("U0PRIYA001", "profile").status == 200
        deadline = time.time() + 10
        while len(slack.views("views.open")) == opened and time.time() < deadline:
            time.sleep(0.05)
        prefilled = slack.views("views.open")[-1]
        blocks = {b.get("block_id"): b for b in prefilled["blocks"]}
        assert blocks[ids.ROLE]["element"]["initial_option"]["value"] == Role.MENTOR
        assert blocks[ids.CAPACITY]["element"]["initial_value"] == "2"
        assert driver.slash_command("U0PRIYA001", "join", sign=False).status == 401
        stale = driver.slash_command("U0PRIYA001", "join", timestamp=int(time.time()) - 600)
        assert stale.status == 401
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
        slack.server.shutdown()
    assert "Traceback" not in output
