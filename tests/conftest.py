"""Fixtures: a SQLite file or PostgreSQL database, the Slack sandbox, and the real app over HTTP."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url

from bot.app import build_app, build_client
from bot.config import Settings, load_settings
from bot.sandbox import SlackDriver, SlackSandbox, validation
from bot.server import LocalServer, SlackWSGI
from bot.services import Services
from storage.db import make_engine, session_factory
from storage.migrate import upgrade

SIGNING_SECRET = "test-signing-secret-0123456789abcdef"
BOT_TOKEN = "xoxb-test-0000-token"
TEAM_ID = "T0MENTOR"
COORDINATOR = "U0COORD001"
PG_ADMIN_URL = os.environ.get("MENTORBOT_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


def _postgres_unreachable_reason() -> str | None:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL.replace("postgresql://", "postgresql://", 1), connect_timeout=3):
            return None
    except Exception as exc:  # noqa: BLE001 - any failure means "skip with the reason"
        return f"PostgreSQL at {make_url(PG_ADMIN_URL).render_as_string(hide_password=True)} unreachable: {exc}"


@pytest.fixture(autouse=True)
def no_invalid_slack_calls() -> Iterator[None]:
    """Fail any test during which the app sent the Slack stand-in something real Slack would refuse.

    The stand-in answers such calls as Slack does (``ok: false``, ``invalid_arguments`` / ``invalid_blocks`` ...);
    this makes the test fail too, even when the app swallowed the error. A test of the stand-in itself that sends
    invalid payloads on purpose wraps them in ``sandbox.expect_invalid()``.
    """
    mark = validation.refused_count()
    yield
    refused = [call for call in validation.refused_since(mark) if not call.expected]
    if refused:
        lines = [f"{c.method}: {c.error}: " + " | ".join(c.messages[:3]) for c in refused[:10]]
        pytest.fail(f"{len(refused)} Web API call(s) that Slack would refuse:\n" + "\n".join(lines), pytrace=False)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A private PostgreSQL database for this test session, dropped afterwards."""
    reason = _postgres_unreachable_reason()
    if reason:
        pytest.skip(reason)
    import psycopg

    name = f"mentorbot_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    yield url
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _reset_postgres(url: str) -> None:
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each storage test runs on a SQLite file and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'mentorbot.db'}"
    url = request.getfixturevalue("postgres_url")
    _reset_postgres(url)
    return url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'mentorbot.db'}"


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def sandbox() -> Iterator[SlackSandbox]:
    box = SlackSandbox(team_id=TEAM_ID)
    box.start()
    yield box
    box.stop()


@dataclass
class RunningApp:
    """The real app served over HTTP, its sandbox, and a driver that acts as Slack users."""

    url: str
    services: Services
    sandbox: SlackSandbox
    driver: SlackDriver
    settings: Settings

    def sessions(self):  # type: ignore[no-untyped-def]
        return self.services.sessions()


def start_app(database_url: str, box: SlackSandbox, **env: str) -> tuple[RunningApp, LocalServer]:
    settings = load_settings(
        {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": box.url,
            "DATABASE_URL": database_url,
            "COORDINATOR_IDS": COORDINATOR,
            **env,
        }
    )
    engine = make_engine(settings.database_url)
    upgrade(engine)
    services = Services(
        settings=settings, engine=engine, sessions=session_factory(engine), client=build_client(settings)
    )
    server = LocalServer(SlackWSGI(build_app(services), services)).start()
    driver = SlackDriver(f"{server.url}/slack/events", SIGNING_SECRET, team_id=TEAM_ID, sandbox=box)
    return RunningApp(url=server.url, services=services, sandbox=box, driver=driver, settings=settings), server


@pytest.fixture
def app(sqlite_url: str, sandbox: SlackSandbox) -> Iterator[RunningApp]:
    """The app on a SQLite file (scenario tests)."""
    running, server = start_app(sqlite_url, sandbox)
    yield running
    server.stop()
    running.services.engine.dispose()


@pytest.fixture
def app_any_db(database_url: str, sandbox: SlackSandbox) -> Iterator[RunningApp]:
    """The app on SQLite and on PostgreSQL."""
    running, server = start_app(database_url, sandbox)
    yield running
    server.stop()
    running.services.engine.dispose()
