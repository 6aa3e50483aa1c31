"""Engine and session factory for SQLite (WAL) and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
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
        # A transaction may bound how long it waits for the lock (``bounded_transaction``); every other one
        # waits up to 30 s, so the pooled connection's busy timeout is set again at each BEGIN.
        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn) -> None:  # type: ignore[no-untyped-def]
            options = conn.get_execution_options()
            wait_ms = int(options.get(_WAIT_MS, _SQLITE_WAIT_MS))
            bounded = _bounded_wait.get()
            if bounded is not None:  # any session opened while a submission is stored waits no longer than it
                wait_ms = min(wait_ms, bounded)
            conn.exec_driver_sql(f"PRAGMA busy_timeout={wait_ms}")
            conn.exec_driver_sql("BEGIN" if options.get(_DEFERRED, False) else "BEGIN IMMEDIATE")

        @event.listens_for(engine, "connect")
        def _disable_pysqlite_begin(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
            dbapi_connection.isolation_level = None

        return engine
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    return create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)


_DEFERRED = "mentorbot_sqlite_deferred"
_WAIT_MS = "mentorbot_wait_ms"
_bounded_wait: ContextVar[int | None] = ContextVar("mentorbot_bounded_wait", default=None)
_SQLITE_WAIT_MS = 30_000


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


@contextmanager
def bounded_transaction(engine: Engine, *, seconds: float = 2.0) -> Iterator[Session]:
    """One real transaction for a person's submission: all of it is written, or none of it.

    The session's own ``commit()`` calls inside the block only release savepoints; the transaction commits
    when the block ends and rolls back if it raises. Waiting for a lock is bounded by ``seconds`` (SQLite's
    busy timeout; PostgreSQL's ``lock_timeout`` and ``statement_timeout``), so a locked or stalled database
    fails fast enough to answer Slack within its 3-second window instead of timing out.
    """
    wait_ms = max(1, int(seconds * 1000))
    token = _bounded_wait.set(wait_ms)
    try:
        with _transaction(engine, wait_ms) as session:
            yield session
    finally:
        _bounded_wait.reset(token)


@contextmanager
def _transaction(engine: Engine, wait_ms: int) -> Iterator[Session]:
    with engine.execution_options(**{_WAIT_MS: wait_ms}).connect() as connection:
        transaction = connection.begin()
        try:
            if connection.dialect.name == "postgresql":
                connection.exec_driver_sql(f"SET LOCAL lock_timeout = {wait_ms}")
                connection.exec_driver_sql(f"SET LOCAL statement_timeout = {wait_ms}")
            with Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False) as session:
                yield session
            transaction.commit()
        except BaseException:
            if transaction.is_active:
                transaction.rollback()
            raise
