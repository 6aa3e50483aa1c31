"""Multi-workspace install: OAuth through the real app against the sandbox, encrypted tokens, uninstall, and
two workspaces whose data never mix."""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import select

pytest.importorskip("cryptography", reason="multi-workspace mode needs the cryptography package")

from bot import ids  # noqa: E402
from bot.app import build_app, build_client  # noqa: E402
from bot.config import ConfigError, load_settings  # noqa: E402
from bot.installation import DEFAULT_SCOPES, manifest_scopes  # noqa: E402
from bot.sandbox import SlackDriver  # noqa: E402
from bot.sandbox import forms as fill  # noqa: E402
from bot.sandbox.oauth import OAuthSandbox  # noqa: E402
from bot.server import LocalServer, SlackWSGI  # noqa: E402
from bot.services import Services  # noqa: E402
from storage.db import make_engine, session_factory  # noqa: E402
from storage.installations import EncryptedInstallationStore  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.models import Pair, Participant, ScheduledPrompt  # noqa: E402
from storage.models.outbox import CANCELLED, PENDING  # noqa: E402
from storage.vocab import Role
from tests.conftest import COORDINATOR, SIGNING_SECRET, RunningApp  # noqa: E402
from tests.helpers import ALICE, BOB  # noqa: E402

KEY = "ZmDfcTF7_60GrrY167zsiPd67pEvs0aGOv2oasOM1Pg="
CLIENT_ID = "1111.2222"
CLIENT_SECRET = "client-secret-never-logged-42"
ALPHA, BETA = "T0ALPHA001", "T0BETA0002"
SHARED = "U0SHARED01"  # the same user id in both workspaces


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, list[str]], str]:
    opener = urllib.request.build_opener(_NoRedirect)
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with opener.open(request, timeout=10) as response:
            return (
                response.status,
                {k.lower(): response.headers.get_all(k) for k in response.headers},
                response.read().decode(),
            )
    except urllib.error.HTTPError as err:
        return err.code, {k.lower(): err.headers.get_all(k) for k in err.headers}, err.read().decode()


@pytest.fixture
def oauth_sandbox() -> Iterator[OAuthSandbox]:
    box = OAuthSandbox(team_id=ALPHA, client_id=CLIENT_ID)
    box.start()
    yield box
    box.stop()


def _start(database_url: str, box: OAuthSandbox) -> tuple[RunningApp, LocalServer]:
    settings = load_settings(
        {
            "SLACK_CLIENT_ID": CLIENT_ID,
            "SLACK_CLIENT_SECRET": CLIENT_SECRET,
            "TOKEN_ENCRYPTION_KEY": KEY,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": box.url,
            "DATABASE_URL": database_url,
            "COORDINATOR_IDS": COORDINATOR,
        }
    )
    engine = make_engine(settings.database_url)
    upgrade(engine)
    services = Services(
        settings=settings, engine=engine, sessions=session_factory(engine), client=build_client(settings)
    )
    server = LocalServer(SlackWSGI(build_app(services), services)).start()
    driver = SlackDriver(f"{server.url}/slack/events", SIGNING_SECRET, team_id=ALPHA, sandbox=box)
    running = RunningApp(url=server.url, services=services, sandbox=box, driver=driver, settings=settings)
    return running, server


@pytest.fixture
def multi(sqlite_url: str, oauth_sandbox: OAuthSandbox) -> Iterator[RunningApp]:
    running, server = _start(sqlite_url, oauth_sandbox)
    yield running
    server.stop()
    running.services.engine.dispose()


def install(app: RunningApp, team_id: str, installer: str = "U0INSTALL1") -> str:
    """The browser's way through: /slack/install, Slack's consent screen, /slack/oauth_redirect."""
    status, headers, page = _get(f"{app.url}/slack/install")
    assert status == 200, page
    state = re.search(r"state=([0-9a-f-]+)", page).group(1)  # type: ignore[union-attr]
    cookie = next(c for c in headers["set-cookie"] if c.startswith("slack-app-oauth-state="))
    assert "client_id=1111.2222" in page and "scope=commands,chat:write" in page
    code = app.sandbox.approve(team_id, installer=installer)  # type: ignore[attr-defined]
    status, _, page = _get(
        f"{app.url}/slack/oauth_redirect?code={code}&state={state}", {"Cookie": cookie.split(";")[0]}
    )
    assert status == 200 and "slack://app?team=" + team_id in page, page
    return code


def _team(app: RunningApp, team_id: str) -> RunningApp:
    driver = SlackDriver(f"{app.url}/slack/events", SIGNING_SECRET, team_id=team_id, sandbox=app.sandbox)
    return replace(app, driver=driver)


def test_manifest_scopes_are_the_fallback_scopes() -> None:
    assert manifest_scopes() == list(DEFAULT_SCOPES)
    assert manifest_scopes(Path("/nonexistent/manifest.yml")) == list(DEFAULT_SCOPES)


def test_migration_creates_exactly_the_store_tables(engine) -> None:  # type: ignore[no-untyped-def]
    from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
    from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
    from sqlalchemy import inspect

    store = SQLAlchemyInstallationStore(client_id=CLIENT_ID, engine=engine)
    states = SQLAlchemyOAuthStateStore(expiration_seconds=60, engine=engine)
    inspector = inspect(engine)
    for table in (store.installations, store.bots, states.oauth_states):
        live = {c["name"]: c for c in inspector.get_columns(table.name)}
        assert set(live) == {c.name for c in table.columns}, table.name
        for column in table.columns:
            assert live[column.name]["nullable"] == (column.nullable and not column.primary_key), column.name
            length = getattr(column.type, "length", None)
            assert getattr(live[column.name]["type"], "length", None) == length, column.name
    indexes = {i["name"] for t in ("slack_installations", "slack_bots") for i in inspector.get_indexes(t)}
    assert {"slack_installations_idx", "slack_bots_idx"} <= indexes


def test_config_takes_exactly_one_mode() -> None:
    base = {"SLACK_SIGNING_SECRET": "s"}
    oauth = {"SLACK_CLIENT_ID": CLIENT_ID, "SLACK_CLIENT_SECRET": "x", "TOKEN_ENCRYPTION_KEY": KEY}
    assert load_settings({**base, **oauth}).multi_workspace
    assert not load_settings({**base, "SLACK_BOT_TOKEN": "xoxb-1"}).multi_workspace
    cases = [
        ({**base, **oauth, "SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_BOT_TOKEN is set together with SLACK_CLIENT_ID"),
        ({**base, "SLACK_CLIENT_ID": CLIENT_ID, "TOKEN_ENCRYPTION_KEY": KEY}, "SLACK_CLIENT_SECRET is not set"),
        ({**base, "SLACK_CLIENT_SECRET": "x", "TOKEN_ENCRYPTION_KEY": KEY}, "SLACK_CLIENT_ID is not set"),
        ({**base, **oauth, "TOKEN_ENCRYPTION_KEY": ""}, "TOKEN_ENCRYPTION_KEY is not set"),
        ({**base, **oauth, "TOKEN_ENCRYPTION_KEY": "not-a-key"}, "TOKEN_ENCRYPTION_KEY is malformed"),
        ({**base, **oauth, "SLACK_CLIENT_ID": "abc"}, "SLACK_CLIENT_ID is malformed"),
        ({**base, **oauth, "SLACK_APP_TOKEN": "xapp-1"}, "SLACK_APP_TOKEN is set together with SLACK_CLIENT_ID"),
        (base, "SLACK_BOT_TOKEN is not set"),
    ]
    for env, message in cases:
        with pytest.raises(ConfigError) as info:
            load_settings(env)
        assert message in str(info.value) and "\n" not in str(info.value)


def test_install_stores_tokens_encrypted_and_a_forged_state_stores_nothing(multi: RunningApp) -> None:
    app = multi
    status, headers, page = _get(f"{app.url}/slack/install")
    code = app.sandbox.approve(ALPHA, installer="U0INSTALL1")  # type: ignore[attr-defined]
    status, _, page = _get(f"{app.url}/slack/oauth_redirect?code={code}&state=forged")
    assert status == 400 and "slack://app" not in page
    store: EncryptedInstallationStore = app.services.installations
    assert store.find_bot_for_team(team_id=ALPHA) is None

    install(app, ALPHA)
    (token,) = app.sandbox.tokens_of(ALPHA)  # type: ignore[attr-defined]
    bot = store.find_bot_for_team(team_id=ALPHA)
    assert bot is not None and bot.bot_token == token and bot.team_id == ALPHA
    with app.services.engine.connect() as conn:
        raw = [
            *conn.execute(text("SELECT bot_token, user_id, team_id FROM slack_installations")).all(),
            *conn.execute(text("SELECT bot_token, bot_user_id, team_id FROM slack_bots")).all(),
        ]
    assert len(raw) == 2 and all(row[2] == ALPHA for row in raw)
    for stored, *_ in raw:
        assert token not in stored and "xoxb" not in stored and stored.startswith("gAAAA")  # Fernet
    # the client that background jobs use speaks with that workspace's token
    assert app.services.client_for(ALPHA).token == token
    assert app.services.client_for(BETA).token is None  # never another workspace's
    # a store with another key cannot read it (and says so without printing the token)
    other = EncryptedInstallationStore(client_id=CLIENT_ID, engine=app.services.engine, encryption_key="x" * 43 + "=")
    unreadable = other.find_bot_for_team(team_id=ALPHA)
    assert unreadable is not None and unreadable.bot_token is None


def test_uninstall_removes_tokens_and_cancels_pending_prompts(multi: RunningApp) -> None:
    app = multi
    install(app, ALPHA)
    install(app, BETA)
    now = app.services.now()
    with app.sessions() as session:
        for team in (ALPHA, BETA):
            session.add(
                ScheduledPrompt(
                    team_id=team, idempotency_key=f"k:{team}", kind="x", due_at=now, recipient_user_id=SHARED
                )
            )
        session.commit()
    alpha = _team(app, ALPHA)
    app.sandbox.revoke_team(ALPHA)  # type: ignore[attr-defined]
    response = alpha.driver.event({"type": "app_uninstalled"})
    assert response.status == 200

    def statuses() -> dict[str, str]:
        with app.sessions() as session:
            return {p.team_id: p.status for p in session.exec(select(ScheduledPrompt)).all() if p.kind == "x"}

    deadline = time.time() + 10  # the listener's work continues after the ack: tokens first, then prompts
    while (
        app.services.installations.find_bot_for_team(team_id=ALPHA) is not None or statuses()[ALPHA] != CANCELLED
    ) and time.time() < deadline:
        time.sleep(0.05)
    store = app.services.installations
    assert store.find_bot_for_team(team_id=ALPHA) is None
    assert store.find_installation(enterprise_id=None, team_id=ALPHA) is None
    assert store.find_bot_for_team(team_id=BETA) is not None  # the other workspace keeps its install
    assert statuses() == {ALPHA: CANCELLED, BETA: PENDING}
    # a request from the uninstalled workspace is no longer served
    beta_help = _team(app, BETA).driver.slash_command(ALICE.user_id, "help")
    assert "/mentor join" in beta_help.body  # the still-installed workspace is answered
    refused = alpha.driver.slash_command(ALICE.user_id, "help")
    assert "/mentor join" not in refused.body

    beta = _team(app, BETA)
    response = beta.driver.event({"type": "tokens_revoked", "tokens": {"oauth": [], "bot": ["U0MENTORBOT"]}})
    assert response.status == 200
    deadline = time.time() + 10
    while (store.find_bot_for_team(team_id=BETA) is not None or statuses()[BETA] != CANCELLED) and (
        time.time() < deadline
    ):
        time.sleep(0.05)
    assert store.find_bot_for_team(team_id=BETA) is None
    with app.sessions() as session:
        assert {p.status for p in session.exec(select(ScheduledPrompt)).all() if p.kind == "x"} == {CANCELLED}


def sign_up(app: RunningApp, profile, team_id: str) -> None:  # type: ignore[no-untyped-def]
    """tests.helpers.sign_up in a given workspace (the directory entry names the person's workspace)."""
    app.sandbox.add_user(
        profile.user_id,
        name=profile.name.split()[0].lower(),
        real_name=profile.name,
        tz=profile.timezone,
        email=f"{profile.user_id.lower()}@{team_id.lower()}.example.com",
        team_id=team_id,
    )
    before = time.time()
    assert app.driver.slash_command(profile.user_id, "join").status == 200
    app.sandbox.wait_for("views.open", after=before)
    view = app.sandbox.views_opened(profile.user_id)[-1]
    assert view["callback_id"] == ids.SIGNUP_VIEW
    response = app.driver.view_submission(profile.user_id, view, fill.signup_values(view, profile))
    assert response.status == 200 and not response.body.strip(), response.body
    app.sandbox.wait_for("views.publish", lambda c: c.args.get("user_id") == profile.user_id, after=before)


def _person(profile, user_id: str, name: str):  # type: ignore[no-untyped-def]
    return replace(profile, user_id=user_id, name=name)


def test_two_workspaces_never_mix(database_url: str, oauth_sandbox: OAuthSandbox) -> None:
    app, server = _start(database_url, oauth_sandbox)
    try:
        _two_workspaces(app)
    finally:
        server.stop()
        app.services.engine.dispose()


def _two_workspaces(app: RunningApp) -> None:
    box: OAuthSandbox = app.sandbox  # type: ignore[assignment]
    install(app, ALPHA, installer="U0INSTALLA")
    install(app, BETA, installer="U0INSTALLB")
    alpha, beta = _team(app, ALPHA), _team(app, BETA)
    box.add_user(COORDINATOR, name="coord", real_name="Coordinator", tz="Europe/Berlin")
    # ALPHA: Alice (mentee) and the shared id as a mentor; BETA: the shared id as a mentee and Bob (mentor)
    shared_mentor = _person(BOB, SHARED, "Sam Alpha")
    shared_mentee = _person(ALICE, SHARED, "Sam Beta")
    sign_up(alpha, ALICE, ALPHA)
    sign_up(alpha, shared_mentor, ALPHA)
    sign_up(beta, BOB, BETA)
    sign_up(beta, shared_mentee, BETA)

    # each workspace's installer is its first coordinator, and only there
    box.add_user("U0INSTALLA", name="installer-a", real_name="Installer A", tz="Europe/Berlin", team_id=ALPHA)
    box.add_user("U0INSTALLB", name="installer-b", real_name="Installer B", tz="Europe/Berlin", team_id=BETA)
    refused = beta.driver.slash_command(COORDINATOR, f"pair <@{SHARED}> <@{BOB.user_id}> test").json()
    assert "only the program's coordinators" in refused["text"]  # COORDINATOR_IDS applies to no workspace
    answer = alpha.driver.slash_command("U0INSTALLA", f"pair <@{ALICE.user_id}> <@{SHARED}> test").json()
    assert "Paired" in answer["text"], answer
    answer = beta.driver.slash_command("U0INSTALLB", f"pair <@{SHARED}> <@{BOB.user_id}> test").json()
    assert "Paired" in answer["text"], answer

    with app.sessions() as session:
        people = {(p.team_id, p.user_id, p.role) for p in session.exec(select(Participant)).all()}
        pairs = {(p.team_id, p.mentee_user_id, p.mentor_user_id) for p in session.exec(select(Pair)).all()}
    assert people == {
        (ALPHA, ALICE.user_id, Role.MENTEE),
        (ALPHA, SHARED, Role.MENTOR),
        (BETA, BOB.user_id, Role.MENTOR),
        (BETA, SHARED, Role.MENTEE),
    }
    assert pairs == {(ALPHA, ALICE.user_id, SHARED), (BETA, SHARED, BOB.user_id)}

    # every Slack call made for a workspace used that workspace's token, and named only its people
    for team, foreign in ((ALPHA, BOB.user_id), (BETA, ALICE.user_id)):
        calls = box.calls_for_team(team)
        assert {"chat.postMessage", "views.publish", "users.info"} <= {c.method for c in calls}, team
        leaks = [(c.method, json.dumps(c.args)[:200]) for c in calls if foreign in json.dumps(c.args)]
        assert not leaks, leaks

    # the shared id's App Home in each workspace shows that workspace's role only
    def last_home(team: str, *, wait: float = 10) -> str:
        # the home publish follows the ack: wait for one made with this workspace's token
        deadline = time.time() + wait
        while True:
            publishes = [c for c in box.calls_for_team(team, "views.publish") if c.args.get("user_id") == SHARED]
            if publishes or time.time() > deadline:
                break
            time.sleep(0.05)
        assert publishes, team
        return json.dumps(publishes[-1].args["view"], ensure_ascii=False)

    alpha.driver.app_home_opened(SHARED)
    box.wait_for("views.publish", lambda c: c.args.get("user_id") == SHARED, after=time.time() - 0.01)
    home_alpha = last_home(ALPHA)
    assert ALICE.user_id in home_alpha or "mentor" in home_alpha.lower()
    assert BOB.user_id not in home_alpha
    beta.driver.app_home_opened(SHARED)
    deadline = time.time() + 10
    while BOB.user_id not in last_home(BETA) and time.time() < deadline:
        time.sleep(0.05)
    home_beta = last_home(BETA)
    assert ALICE.user_id not in home_beta

    # stats-like queries are per workspace
    from storage import participants

    with app.sessions() as session:
        assert participants.count_by_role(session=session, team_id=ALPHA) == {Role.MENTEE: 1, Role.MENTOR: 1}
        assert participants.count_by_role(session=session, team_id=BETA) == {Role.MENTEE: 1, Role.MENTOR: 1}
        listed = participants.list_participants(session=session, team_id=BETA)
    assert {(p.team_id, p.user_id) for p, _ in listed} == {(BETA, BOB.user_id), (BETA, SHARED)}

    # prompts due for each workspace go out with that workspace's token (the dispatcher uses client_for)
    with app.sessions() as session:
        prompts = session.exec(select(ScheduledPrompt)).all()
    assert {p.team_id for p in prompts} <= {ALPHA, BETA}
    for team, pair in ((ALPHA, (ALICE.user_id, SHARED)), (BETA, (SHARED, BOB.user_id))):
        mine = [p for p in prompts if p.team_id == team and p.recipient_user_id]
        assert all(p.recipient_user_id in pair for p in mine), team
