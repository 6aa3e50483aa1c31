"""The Slack sandbox and driver, exercised through a real slack_sdk WebClient and real HTTP."""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any
from urllib.error import URLError
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator
from slack_sdk.signature import SignatureVerifier
from slack_sdk.webhook import WebhookClient

from bot.sandbox import SlackDriver, SlackSandbox
from bot.sandbox.driver import (
    checkboxes_value,
    date_value,
    number_value,
    select_value,
    text_value,
    time_value,
    users_value,
    values_for,
)

PAYLOADS = Path("/work/shared/slack/payloads")
FAST = FixedValueRetryIntervalCalculator(0.01)


@pytest.fixture
def sandbox() -> Iterator[SlackSandbox]:
    with SlackSandbox() as sb:
        sb.add_user("U1", name="ada", real_name="Ada Lovelace", tz="Europe/Berlin", email="ada@example.com")
        sb.add_user("U2", name="alan", real_name="Alan Turing", tz="America/New_York")
        sb.add_user("U3", name="grace", real_name="Grace Hopper", tz="UTC")
        yield sb


@pytest.fixture
def client(sandbox: SlackSandbox) -> WebClient:
    return WebClient(base_url=sandbox.url, token="xoxb-test", timeout=5)


# ---------------------------------------------------------------------- auth and recording


def test_auth_is_required(sandbox: SlackSandbox) -> None:
    with pytest.raises(SlackApiError) as err:
        WebClient(base_url=sandbox.url).auth_test()
    assert err.value.response["error"] == "not_authed"

    sandbox.revoked_tokens.add("xoxb-revoked")
    with pytest.raises(SlackApiError) as err:
        WebClient(base_url=sandbox.url, token="xoxb-revoked").auth_test()
    assert err.value.response["error"] == "invalid_auth"

    # a token in the body is accepted, and never recorded
    answer = WebClient(base_url=sandbox.url).api_call("auth.test", params={"token": "xoxb-in-body"})
    assert answer["ok"] is True
    assert [c.method for c in sandbox.calls] == ["auth.test"]
    assert all("token" not in a.args for a in sandbox.attempts)
    assert [a.error for a in sandbox.attempts] == ["not_authed", "invalid_auth", None]


def test_auth_test_shape(sandbox: SlackSandbox, client: WebClient) -> None:
    answer = client.auth_test()
    assert answer["user_id"] == "U0MENTORBOT"
    assert answer["team_id"] == "T0MENTOR"
    assert answer["bot_id"].startswith("B")
    assert answer["url"].startswith("https://")


def test_unknown_method_is_an_error_and_an_attempt(sandbox: SlackSandbox, client: WebClient) -> None:
    with sandbox.expect_invalid(), pytest.raises(SlackApiError) as err:
        client.api_call("reactions.explode")
    assert err.value.response["error"] == "unknown_method"
    assert [c.method for c in sandbox.invalid_calls] == ["reactions.explode"]
    assert sandbox.calls == []
    assert [(a.method, a.status, a.ok) for a in sandbox.attempts] == [("reactions.explode", 200, False)]


def test_wait_for_polls_and_explains_a_timeout(sandbox: SlackSandbox, client: WebClient) -> None:
    threading.Timer(0.1, lambda: client.chat_postMessage(channel="C1", text="later")).start()
    call = sandbox.wait_for("chat.postMessage", lambda c: c.args["text"] == "later", timeout=3)
    assert call.args["channel"] == "C1"
    with pytest.raises(AssertionError, match=r"(?s)no matching 'views.open' call.*chat.postMessage"):
        sandbox.wait_for("views.open", timeout=0.05)
    assert sandbox.wait_for("chat.postMessage", after=call.at - 1).args["text"] == "later"
    with pytest.raises(AssertionError):
        sandbox.wait_for("chat.postMessage", after=call.at, timeout=0.05)


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
def test_record_to_writes_jsonl_without_tokens(sandbox: SlackSandbox, client: WebClient, tmp_path: Path) -> None:
    path = tmp_path / "demo.jsonl"
    sandbox.record_to(path)
    client.chat_postMessage(channel="C1", text="one", blocks=[{"type": "divider"}])
    client.api_call("users.info", params={"user": "U1", "token": "xoxb-secret"})
    with sandbox.expect_invalid(), pytest.raises(SlackApiError):
        client.chat_postMessage(channel="C1", text="")  # failures are not recorded
    lines = [json.loads(line) for line in path.read_text().splitlines()]  # flushed without stop()
    assert [line["method"] for line in lines] == ["chat.postMessage", "users.info"]
    assert lines[0]["args"]["blocks"] == [{"type": "divider"}]
    assert "xoxb" not in path.read_text()


def test_concurrent_calls_are_all_recorded_with_unique_ts(sandbox: SlackSandbox, client: WebClient) -> None:
    results: list[str] = []

    def post(n: int) -> None:
        for i in range(5):
            results.append(client.chat_postMessage(channel="C1", text=f"{n}-{i}")["ts"])

    threads = [threading.Thread(target=post, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(results)) == 40
    assert len(sandbox.calls_for("chat.postMessage")) == 40
    assert len(sandbox.messages_in("C1")) == 40


# ---------------------------------------------------------------------- chat and conversations


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
def test_post_message_shape_and_history(sandbox: SlackSandbox, client: WebClient) -> None:
    metadata = {"event_type": "pair_created", "event_payload": {"pair_id": 7}}
    first = client.chat_postMessage(channel="C1", text="hello", metadata=metadata)
    second = client.chat_postMessage(channel="C1", text="fallback", blocks=[{"type": "divider"}])
    assert first["channel"] == "C1"
    assert first["ts"] == "1700000000.000100"
    assert float(second["ts"]) > float(first["ts"])
    message = first["message"]
    assert message["text"] == "hello"
    assert message["user"] == "U0MENTORBOT"
    assert message["bot_id"] == "B0MENTORBOT"
    assert message["team"] == "T0MENTOR"
    assert message["metadata"] == metadata
    assert second["message"]["blocks"] == [{"type": "divider"}]

    with sandbox.expect_invalid(), pytest.raises(SlackApiError) as err:
        client.chat_postMessage(channel="C1", text="")
    assert err.value.response["error"] == "no_text"

    history = client.conversations_history(channel="C1")
    assert [m["text"] for m in history["messages"]] == ["fallback", "hello"]
    assert "metadata" not in history["messages"][1]
    with_meta = client.conversations_history(channel="C1", include_all_metadata=True, limit=1, oldest=first["ts"])
    assert [m["text"] for m in with_meta["messages"]] == ["fallback"]
    assert client.conversations_history(channel="C1", include_all_metadata=True)["messages"][1]["metadata"] == metadata
    page = client.conversations_history(channel="C1", limit=1)
    assert page["has_more"] is True
    rest = client.conversations_history(channel="C1", limit=1, cursor=page["response_metadata"]["next_cursor"])
    assert [m["text"] for m in rest["messages"]] == ["hello"]


def test_ephemeral_update_delete(sandbox: SlackSandbox, client: WebClient) -> None:
    sandbox.set_channel_members("C1", ["U1", "U2"])
    eph = client.chat_postEphemeral(channel="C1", user="U1", text="only you")
    assert eph["message_ts"]
    with pytest.raises(SlackApiError) as err:
        client.chat_postEphemeral(channel="C1", user="U3", text="not a member")
    assert err.value.response["error"] == "user_not_in_channel"
    assert [m["text"] for m in sandbox.ephemerals_for("U1")] == ["only you"]
    assert sandbox.messages_in("C1") == []

    posted = client.chat_postMessage(channel="C1", text="v1")
    updated = client.chat_update(channel="C1", ts=posted["ts"], text="v2", blocks=[{"type": "divider"}])
    assert updated["ts"] == posted["ts"]
    assert updated["message"]["text"] == "v2"
    assert sandbox.messages_in("C1")[0]["blocks"] == [{"type": "divider"}]
    with pytest.raises(SlackApiError) as err:
        client.chat_update(channel="C1", ts="1.2", text="x")
    assert err.value.response["error"] == "message_not_found"

    assert client.chat_delete(channel="C1", ts=posted["ts"])["ts"] == posted["ts"]
    assert sandbox.messages_in("C1") == []


def test_conversations_open_is_stable(sandbox: SlackSandbox, client: WebClient) -> None:
    im = client.conversations_open(users="U1")["channel"]["id"]
    assert im.startswith("D")
    assert client.conversations_open(users=["U1"])["channel"]["id"] == im
    assert client.conversations_open(users="U2")["channel"]["id"] != im
    full = client.conversations_open(users="U1", return_im=True)["channel"]
    assert full["is_im"] is True
    assert full["user"] == "U1"

    group = client.conversations_open(users="U1,U2,U3")["channel"]
    assert group["id"].startswith("G")
    assert group["is_mpim"] is True
    assert client.conversations_open(users=["U3", "U1", "U2"])["channel"]["id"] == group["id"]
    assert client.conversations_open(users="U1,U2")["channel"]["id"] != group["id"]
    # the same ids in a fresh sandbox, so recordings are reproducible
    with SlackSandbox() as other:
        assert WebClient(base_url=other.url, token="xoxb-x").conversations_open(users="U1")["channel"]["id"] == im

    with pytest.raises(SlackApiError) as err:
        client.conversations_open(users="U404")
    assert err.value.response["error"] == "user_not_found"

    # posting to a user id lands in their IM, which is what messages_to reads
    client.chat_postMessage(channel="U1", text="welcome")
    client.chat_postEphemeral(channel="C9", user="U1", text="psst")
    assert [m["text"] for m in sandbox.messages_to("U1")] == ["welcome", "psst"]
    assert sandbox.messages_to("U1")[0]["channel"] == im


def test_members_and_info(sandbox: SlackSandbox, client: WebClient) -> None:
    sandbox.add_channel("C0MENTORS", name="mentors", members=["U1", "U2", "U3"])
    members = client.conversations_members(channel="C0MENTORS", limit=2)
    assert members["members"] == ["U1", "U2"]
    assert client.conversations_members(channel="C0MENTORS", cursor=members["response_metadata"]["next_cursor"])[
        "members"
    ] == ["U3"]
    info = client.conversations_info(channel="C0MENTORS")["channel"]
    assert (info["id"], info["name"], info["is_channel"], info["num_members"]) == ("C0MENTORS", "mentors", True, 3)
    with pytest.raises(SlackApiError) as err:
        client.conversations_info(channel="C404")
    assert err.value.response["error"] == "channel_not_found"


def test_users(sandbox: SlackSandbox, client: WebClient) -> None:
    user = client.users_info(user="U1")["user"]
    assert user["id"] == "U1"
    assert user["team_id"] == "T0MENTOR"
    assert user["real_name"] == "Ada Lovelace"
    assert user["tz"] == "Europe/Berlin"
    assert user["tz_offset"] in (3600, 7200)
    assert user["tz_label"] in ("CET", "CEST")
    assert user["profile"] == {
        "real_name": "Ada Lovelace",
        "real_name_normalized": "Ada Lovelace",
        "display_name": "ada",
        "display_name_normalized": "ada",
        "email": "ada@example.com",
        "team": "T0MENTOR",
    }
    assert user["is_bot"] is False
    assert client.users_info(user="U2")["user"]["tz_offset"] in (-18000, -14400)
    assert client.users_lookupByEmail(email="ADA@example.com")["user"]["id"] == "U1"
    with pytest.raises(SlackApiError) as err:
        client.users_info(user="U404")
    assert err.value.response["error"] == "user_not_found"


# ---------------------------------------------------------------------- views

MODAL = {
    "type": "modal",
    "callback_id": "signup",
    "private_metadata": "cohort=1",
    "title": {"type": "plain_text", "text": "Sign up"},
    "submit": {"type": "plain_text", "text": "Save"},
    "blocks": [
        {
            "type": "input",
            "block_id": "goals",
            "label": {"type": "plain_text", "text": "Goals"},
            "element": {"type": "plain_text_input", "action_id": "goals_input"},
        },
        {
            "type": "input",
            "block_id": "role",
            "label": {"type": "plain_text", "text": "Role"},
            "element": {
                "type": "static_select",
                "action_id": "role_select",
                "options": [
                    {"text": {"type": "plain_text", "text": "Mentor"}, "value": "mentor"},
                    {"text": {"type": "plain_text", "text": "Mentee"}, "value": "mentee"},
                ],
            },
        },
    ],
}


def test_views_open_update_push(sandbox: SlackSandbox, client: WebClient) -> None:
    opened = client.views_open(trigger_id="1.2.abc", view=MODAL)["view"]
    assert opened["id"].startswith("V")
    assert opened["hash"]
    assert opened["state"] == {"values": {}}
    assert (opened["callback_id"], opened["private_metadata"], opened["root_view_id"]) == (
        "signup",
        "cohort=1",
        opened["id"],
    )
    assert sandbox.views_opened() == [opened]

    updated = client.views_update(view_id=opened["id"], hash=opened["hash"], view={**MODAL, "callback_id": "v2"})
    assert updated["view"]["id"] == opened["id"]
    assert updated["view"]["hash"] != opened["hash"]
    assert sandbox.views_opened()[0]["callback_id"] == "v2"
    with pytest.raises(SlackApiError) as err:
        client.views_update(view_id=opened["id"], hash=opened["hash"], view=MODAL)
    assert err.value.response["error"] == "hash_conflict"
    with pytest.raises(SlackApiError) as err:
        client.views_update(view_id="V404", view=MODAL)
    assert err.value.response["error"] == "not_found"

    pushed = client.views_push(trigger_id="1.3.def", view={**MODAL, "external_id": "ext-1"})["view"]
    assert pushed["previous_view_id"] == opened["id"]
    assert pushed["root_view_id"] == opened["id"]
    by_external = client.views_update(external_id="ext-1", view={**MODAL, "callback_id": "ext"})["view"]
    assert by_external["id"] == pushed["id"]

    with sandbox.expect_invalid(), pytest.raises(SlackApiError) as err:
        client.views_open(view=MODAL, trigger_id="")
    assert err.value.response["error"] == "invalid_arguments"


def test_expired_triggers(sandbox: SlackSandbox, client: WebClient) -> None:
    sandbox.expired_triggers.add("old.trigger")
    with pytest.raises(SlackApiError) as err:
        client.views_open(trigger_id="old.trigger", view=MODAL)
    assert err.value.response["error"] == "expired_trigger_id"

    sandbox.trigger_ttl = 0.05
    sandbox.register_trigger("fresh", "U1")
    assert client.views_open(trigger_id="fresh", view=MODAL)["ok"]
    assert len(sandbox.views_opened(user_id="U1")) == 1
    sandbox.register_trigger("slow", "U1")
    time.sleep(0.1)
    with pytest.raises(SlackApiError) as err:
        client.views_open(trigger_id="slow", view=MODAL)
    assert err.value.response["error"] == "expired_trigger_id"


def test_views_publish_home(sandbox: SlackSandbox, client: WebClient) -> None:
    home = {"type": "home", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "v1"}}]}
    first = client.views_publish(user_id="U1", view=home)["view"]
    second = client.views_publish(user_id="U1", view={**home, "blocks": [{"type": "divider"}]})["view"]
    assert first["type"] == "home"
    assert second["id"] == first["id"]
    assert sandbox.home_view("U1") == second
    assert sandbox.home_view("U2") is None
    assert sandbox.views_opened() == []


# ---------------------------------------------------------------------- files and response URLs


def test_files_upload_v2_end_to_end(sandbox: SlackSandbox, client: WebClient, tmp_path: Path) -> None:
    sandbox.add_channel("C0REPORTS", name="reports")
    png = bytes(range(256)) * 4
    answer = client.files_upload_v2(
        channel="C0REPORTS", content=png, filename="chart.png", title="Chart", initial_comment="Q3 numbers"
    )
    assert answer["file"]["id"].startswith("F")
    assert answer["file"]["name"] == "chart.png"
    assert answer["file"]["mimetype"] == "image/png"
    assert answer["file"]["size"] == len(png)
    uploaded = sandbox.uploaded_files[-1]
    assert (uploaded.filename, uploaded.title, uploaded.channel_id) == ("chart.png", "Chart", "C0REPORTS")
    assert uploaded.content == png
    assert uploaded.initial_comment == "Q3 numbers"
    assert sandbox.messages_in("C0REPORTS")[-1]["files"][0]["id"] == uploaded.file_id
    with urllib.request.urlopen(answer["file"]["url_private"]) as resp:
        assert resp.read() == png

    path = tmp_path / "notes.txt"
    path.write_text("mentoring notes")
    client.files_upload_v2(channel="C0REPORTS", file=str(path), title="Notes")
    assert sandbox.uploaded_files[-1].content == b"mentoring notes"
    assert sandbox.uploaded_files[-1].filename == "notes.txt"
    assert [c.method for c in sandbox.calls][-2:] == ["files.getUploadURLExternal", "files.completeUploadExternal"]
    assert [a.method for a in sandbox.attempts].count("upload") == 2


def test_upload_url_accepts_multipart(sandbox: SlackSandbox, client: WebClient) -> None:
    url = client.files_getUploadURLExternal(filename="a.csv", length=5)
    assert url["upload_url"].startswith(sandbox.base + "/upload/")
    boundary = "xyz"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n'
        f"Content-Type: text/csv\r\n\r\na,b\r\n\r\n--{boundary}--\r\n"
    ).encode()
    request = urllib.request.Request(
        url["upload_url"], data=body, headers={"Content-Type": f"multipart/form-data; boundary={boundary}"}
    )
    with urllib.request.urlopen(request) as resp:
        assert resp.status == 200
    client.files_completeUploadExternal(files=[{"id": url["file_id"], "title": "A"}], channel_id="C1")
    assert sandbox.uploaded_files[-1].content == b"a,b\r\n"

    with pytest.raises(SlackApiError) as err:
        client.files_completeUploadExternal(files=[{"id": "F404", "title": "nope"}])
    assert err.value.response["error"] == "file_not_found"


def test_response_url(sandbox: SlackSandbox) -> None:
    url = sandbox.response_url_for("cmd-1")
    answer = WebhookClient(url).send(text="done", response_type="ephemeral", replace_original=False)
    assert answer.status_code == 200
    assert sandbox.responses_for("cmd-1") == [{"text": "done", "response_type": "ephemeral", "replace_original": False}]
    assert sandbox.wait_for("response_url").args["response_url_key"] == "cmd-1"


# ---------------------------------------------------------------------- fault injection and slack_sdk retries


def test_rate_limit_is_retried_after_retry_after(sandbox: SlackSandbox) -> None:
    sandbox.fail_next("chat.postMessage", status=429, retry_after=0)
    client = WebClient(base_url=sandbox.url, token="xoxb-test", retry_handlers=[RateLimitErrorRetryHandler(1)])
    assert client.chat_postMessage(channel="C1", text="hi")["ok"]
    assert [(a.method, a.status, a.injected) for a in sandbox.attempts] == [
        ("chat.postMessage", 429, True),
        ("chat.postMessage", 200, False),
    ]
    assert len(sandbox.calls) == 1

    sandbox.fail_next("*", status=429, retry_after=7)
    with pytest.raises(SlackApiError) as err:
        WebClient(base_url=sandbox.url, token="xoxb-test").auth_test()
    assert err.value.response.status_code == 429
    assert err.value.response["error"] == "ratelimited"
    assert err.value.response.headers["Retry-After"] == "7"


def test_server_errors_are_retried(sandbox: SlackSandbox) -> None:
    sandbox.fail_next("views.publish", status=503, count=2)
    client = WebClient(base_url=sandbox.url, token="xoxb-test", retry_handlers=[ServerErrorRetryHandler(2, FAST)])
    assert client.views_publish(user_id="U1", view={"type": "home", "blocks": [{"type": "divider"}]})["ok"]
    assert [a.status for a in sandbox.attempts] == [503, 503, 200]

    sandbox.fail_next("chat.postMessage", status=500)
    with pytest.raises(SlackApiError) as err:
        WebClient(base_url=sandbox.url, token="xoxb-test").chat_postMessage(channel="C1", text="x")
    assert err.value.response.status_code == 500

    sandbox.fail_next("chat.postMessage", status=200, error="channel_is_archived")
    with pytest.raises(SlackApiError) as err:
        client.chat_postMessage(channel="C1", text="x")
    assert err.value.response["error"] == "channel_is_archived"


def test_timeouts_are_retried_and_abandoned_requests_dropped(sandbox: SlackSandbox) -> None:
    sandbox.delay_next("chat.postMessage", 0.5)
    retry = ConnectionErrorRetryHandler(1, FAST, error_types=[TimeoutError, URLError])
    client = WebClient(base_url=sandbox.url, token="xoxb-test", timeout=0.2, retry_handlers=[retry])
    assert client.chat_postMessage(channel="C1", text="once")["ok"]
    deadline = time.monotonic() + 2
    while not any(a.status == 0 for a in sandbox.attempts) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert [(a.status, a.error) for a in sandbox.attempts if a.injected] == [(0, "client_timed_out")]
    assert [m["text"] for m in sandbox.messages_in("C1")] == ["once"]


def test_delayed_answer_within_timeout_and_abandoned_but_processed(sandbox: SlackSandbox) -> None:
    sandbox.delay_next("auth.test", 0.1)
    client = WebClient(base_url=sandbox.url, token="xoxb-test", timeout=2)
    started = time.monotonic()
    assert client.auth_test()["ok"]
    assert time.monotonic() - started >= 0.1

    sandbox.delay_next("chat.postMessage", 0.4, process_abandoned=True)
    impatient = WebClient(base_url=sandbox.url, token="xoxb-test", timeout=0.1)
    with pytest.raises(TimeoutError):
        impatient.chat_postMessage(channel="C1", text="maybe")
    # Slack may still carry out a request whose client gave up: the app must be idempotent.
    sandbox.wait_for("chat.postMessage", timeout=2)


# ---------------------------------------------------------------------- driver


class _Receiver(BaseHTTPRequestHandler):
    received: list[tuple[dict[str, str], str]] = []

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        _Receiver.received.append((dict(self.headers.items()), body))
        answer = b'{"response_action": "clear"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


@pytest.fixture
def receiver() -> Iterator[str]:
    _Receiver.received = []
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/slack/events"
    server.shutdown()
    server.server_close()


def _last() -> tuple[dict[str, str], str]:
    return _Receiver.received[-1]


def test_driver_signs_like_slack(receiver: str, sandbox: SlackSandbox) -> None:
    verifier = SignatureVerifier("s3cret")
    driver = SlackDriver(receiver, "s3cret", sandbox=sandbox)

    response = driver.slash_command("U1", "signup")
    assert response.status == 200
    assert response.json() == {"response_action": "clear"}
    assert 0 < response.elapsed < 3
    headers, body = _last()
    assert verifier.is_valid_request(body, headers)

    driver.slash_command("U1", bad_signature=True)
    assert not verifier.is_valid_request(*reversed(_last()))
    driver.slash_command("U1", timestamp=int(time.time()) - 600)
    assert not verifier.is_valid_request(*reversed(_last()))
    driver.slash_command("U1", sign=False)
    assert "X-Slack-Signature" not in _last()[0]

    driver.event({"type": "app_mention", "user": "U1", "text": "hi"}, event_id="Ev1", retry_num=1)
    headers, body = _last()
    assert verifier.is_valid_request(body, headers)
    assert (headers["X-Slack-Retry-Num"], headers["X-Slack-Retry-Reason"]) == ("1", "http_timeout")


def test_slash_command_is_shaped_like_the_real_sample(receiver: str, sandbox: SlackSandbox) -> None:
    driver = SlackDriver(receiver, "s3cret", sandbox=sandbox)
    driver.slash_command("U1", "pair list", channel_id="C0GENERAL")
    fields = {k: v[0] for k, v in parse_qs(_last()[1], keep_blank_values=True).items()}
    sample = parse_qs((PAYLOADS / "slash_command.bolt_tests.form.txt").read_text().strip())
    assert set(sample) - {"enterprise_id", "enterprise_name"} <= set(fields)
    assert (fields["command"], fields["text"], fields["user_name"], fields["team_id"]) == (
        "/mentor",
        "pair list",
        "ada",
        "T0MENTOR",
    )
    assert fields["response_url"] == driver.last_response_url
    assert fields["response_url"].startswith(sandbox.base + "/response/")
    assert fields["trigger_id"] == driver.last_trigger_id


def test_view_submission_is_shaped_like_the_real_sample(
    receiver: str, sandbox: SlackSandbox, client: WebClient
) -> None:
    driver = SlackDriver(receiver, "s3cret", sandbox=sandbox)
    opened = client.views_open(trigger_id="t", view=MODAL)["view"]
    values = values_for(opened, {"goals_input": text_value("grow"), "role_select": select_value("mentee")})
    driver.view_submission("U1", opened, values)
    payload = json.loads(parse_qs(_last()[1])["payload"][0])
    sample = json.loads((PAYLOADS / "view_submission.bolt_tests.json").read_text())
    assert set(sample) <= set(payload)
    assert set(sample["view"]) <= set(payload["view"])
    assert payload["view"]["id"] == opened["id"]
    assert payload["view"]["callback_id"] == "signup"
    assert payload["view"]["private_metadata"] == "cohort=1"
    assert payload["user"] == {"id": "U1", "username": "ada", "name": "ada", "team_id": "T0MENTOR"}
    assert payload["view"]["state"]["values"] == {
        "goals": {"goals_input": {"type": "plain_text_input", "value": "grow"}},
        "role": {
            "role_select": {
                "type": "static_select",
                "selected_option": {"text": {"type": "plain_text", "text": "Mentee"}, "value": "mentee"},
            }
        },
    }


def test_state_value_helpers() -> None:
    assert number_value(3) == {"type": "number_input", "value": "3"}
    assert date_value("2024-05-01") == {"type": "datepicker", "selected_date": "2024-05-01"}
    assert time_value("09:30") == {"type": "timepicker", "selected_time": "09:30"}
    assert users_value(["U1"]) == {"type": "multi_users_select", "selected_users": ["U1"]}
    assert checkboxes_value([])["selected_options"] == []
    assert select_value(None) == {"type": "static_select", "selected_option": None}
    with pytest.raises(ValueError, match="offers"):
        values_for(MODAL, {"role_select": select_value("boss")})
    with pytest.raises(ValueError, match="is a static_select"):
        values_for(MODAL, {"role_select": date_value("2024-01-01")})
    with pytest.raises(KeyError):
        values_for(MODAL, {"nope": text_value("x")})


def test_block_action_from_a_message_and_a_view(receiver: str, sandbox: SlackSandbox, client: WebClient) -> None:
    driver = SlackDriver(receiver, "s3cret", sandbox=sandbox)
    button = {
        "type": "button",
        "action_id": "checkin_done",
        "value": "pair-7",
        "text": {"type": "plain_text", "text": "Done"},
    }
    client.chat_postMessage(
        channel="U1", text="check in", blocks=[{"type": "actions", "block_id": "ci", "elements": [button]}]
    )
    message = sandbox.messages_to("U1")[-1]
    driver.block_action("U1", "checkin_done", message=message)
    payload = json.loads(parse_qs(_last()[1])["payload"][0])
    sample = json.loads((PAYLOADS / "block_actions.bolt_tests.json").read_text())
    assert set(sample) <= set(payload)
    assert payload["container"] == {
        "type": "message",
        "message_ts": message["ts"],
        "channel_id": sandbox.dm_channel_id("U1"),
        "is_ephemeral": False,
    }
    action = payload["actions"][0]
    assert (action["action_id"], action["block_id"], action["value"], action["type"]) == (
        "checkin_done",
        "ci",
        "pair-7",
        "button",
    )
    assert action["text"]["text"] == "Done"
    assert payload["message"]["ts"] == message["ts"]

    home = client.views_publish(
        user_id="U1", view={"type": "home", "blocks": [{"type": "actions", "elements": [button]}]}
    )
    driver.block_action("U1", "checkin_done", view=home["view"], value="other")
    payload = json.loads(parse_qs(_last()[1])["payload"][0])
    assert payload["container"] == {"type": "view", "view_id": home["view"]["id"]}
    assert payload["view"]["type"] == "home"
    assert payload["actions"][0]["value"] == "other"
    assert "response_url" not in payload

    with pytest.raises(KeyError):
        driver.block_action("U1", "missing", message=message)


def test_events_and_url_verification(receiver: str, sandbox: SlackSandbox, client: WebClient) -> None:
    driver = SlackDriver(receiver, "s3cret", sandbox=sandbox)
    client.views_publish(user_id="U1", view={"type": "home", "blocks": [{"type": "divider"}]})
    driver.app_home_opened("U1")
    envelope = json.loads(_last()[1])
    sample = json.loads((PAYLOADS / "app_home_opened.bolt_tests_org_app.json").read_text())
    assert set(sample) - {"enterprise_id"} <= set(envelope)
    assert envelope["team_id"] == "T0MENTOR"
    assert envelope["event"]["type"] == "app_home_opened"
    assert envelope["event"]["channel"] == sandbox.dm_channel_id("U1")
    assert envelope["event"]["view"]["id"] == sandbox.home_view("U1")["id"]
    assert envelope["authorizations"][0]["user_id"] == "U0MENTORBOT"

    driver.url_verification("abc")
    assert json.loads(_last()[1]) == {"token": "verification_token", "challenge": "abc", "type": "url_verification"}


# ---------------------------------------------------------------------- the pieces together: a real Bolt app


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


def test_a_bolt_app_round_trip(sandbox: SlackSandbox) -> None:
    app = App(client=WebClient(base_url=sandbox.url, token="xoxb-test"), signing_secret="s3cret")

    @app.command("/mentor")
    def open_modal(ack: Any, body: dict[str, Any], client: WebClient, respond: Any) -> None:
        ack()
        client.views_open(trigger_id=body["trigger_id"], view=MODAL)
        respond("opening")

    @app.view("signup")
    def on_submit(ack: Any, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        ack()
        goals = view["state"]["values"]["goals"]["goals_input"]["value"]
        client.chat_postMessage(channel=body["user"]["id"], text=f"saved: {goals}")

    server = make_server("127.0.0.1", 0, SlackRequestHandler(app), handler_class=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        driver = SlackDriver(f"http://127.0.0.1:{server.server_port}/slack/events", "s3cret", sandbox=sandbox)
        assert driver.slash_command("U1", "signup").status == 200
        assert driver.slash_command("U1", "signup", bad_signature=True).status == 401
        # Bolt runs the listener after the ack, so wait for its calls
        sandbox.wait_for("views.open")
        assert sandbox.wait_for("response_url").args["text"] == "opening"
        opened = sandbox.views_opened(user_id="U1")[-1]
        values = values_for(opened, {"goals_input": text_value("ship it"), "role_select": select_value("mentor")})
        assert driver.view_submission("U1", opened, values).status == 200
        sandbox.wait_for("chat.postMessage", lambda c: c.args["text"] == "saved: ship it")
        assert [m["text"] for m in sandbox.messages_to("U1")] == ["saved: ship it"]
    finally:
        server.shutdown()
        server.server_close()
