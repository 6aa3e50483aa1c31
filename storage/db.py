"""Engine and session factory for SQLite (WAL) and PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from sqlalchemy import event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DisconnectionError
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
    engine = create_engine(url, pool_size=pool_size, max_overflow=pool_size)
    _ping_after_idle(engine)
    return engine


PING_AFTER_IDLE = 1.0  # seconds


def _ping_after_idle(engine: Engine) -> None:
    """Check a pooled connection before use only when it sat idle for ``PING_AFTER_IDLE`` seconds.

    ``pool_pre_ping`` costs a round trip on every checkout, several per request. A connection in steady use has
    just proven itself; one that sat idle (across a database restart, say) is pinged, and a dead one is replaced
    before anyone sees it (``DisconnectionError`` makes the pool retry with a fresh connection). A connection that
    breaks mid-use is still caught: SQLAlchemy then invalidates the whole pool.
    """

    @event.listens_for(engine, "checkin")
    def _note_checkin(dbapi_connection, record) -> None:  # type: ignore[no-untyped-def]
        record.info[_LAST_USED] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection, record, proxy) -> None:  # type: ignore[no-untyped-def]
        if time.monotonic() - record.info.get(_LAST_USED, 0.0) < PING_AFTER_IDLE:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:
            raise DisconnectionError("stale pooled connection") from exc


_LAST_USED = "mentorbot_last_used"


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
