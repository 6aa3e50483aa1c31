"""Engine and session factory for SQLite (WAL) and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy import event, text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, create_engine

SessionFactory = Callable[[], Session]


def make_engine(database_url: str, *, pool_size: int = 10) -> Engine:
    """Create the engine for ``database_url``; a SQLite file's folder is created and WAL enabled."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        # Sessions take the write lock at BEGIN so concurrent writers queue instead of failing on upgrade;
        # connections marked with ``reads_alongside`` (short reads that may run while a session of the same
        # thread holds that lock, e.g. the installation store) begin deferred: in WAL mode they never wait.
        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn) -> None:  # type: ignore[no-untyped-def]
            deferred = conn.get_execution_options().get(_DEFERRED, False)
            conn.exec_driver_sql("BEGIN" if deferred else "BEGIN IMMEDIATE")

        @event.listens_for(engine, "connect")
        def _disable_pysqlite_begin(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
            dbapi_connection.isolation_level = None

        return engine
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    return create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)


_DEFERRED = "mentorbot_sqlite_deferred"


def reads_alongside(engine: Engine) -> Engine:
    """The same engine (same pool) whose SQLite transactions begin deferred instead of IMMEDIATE.

    For short, read-mostly work that can run while a session holds the write lock (in WAL mode readers
    never wait for the writer), so it cannot deadlock against that session. No effect on PostgreSQL.
    """
    return engine.execution_options(**{_DEFERRED: True})


def session_factory(engine: Engine) -> SessionFactory:
    """A callable returning a new :class:`Session` bound to ``engine`` (objects stay usable after commit)."""

    def new_session() -> Session:
        return Session(engine, expire_on_commit=False)

    return new_session


def ping(engine: Engine) -> bool:
    """True when the database answers a trivial query."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except Exception:  # noqa: BLE001 - any failure means "not healthy"
        return False
