"""Database engine and sessions: SQLite by default, PostgreSQL by URL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, SQLModel, create_engine

import models  # noqa: F401  (registers every table on SQLModel.metadata)
from pledgeflow.config import get_settings
from pledgeflow.private_files import private_file

# A database error's message would otherwise carry the statement's parameters (register keys,
# emails, names) into the logs.
HIDE_PARAMETERS = True
# How long a request (or an activity) waits for a PostgreSQL connection, from the pool or anew.
POOL_WAIT_SECONDS = 10


def make_engine(url: str) -> Engine:
    """An engine for the URL; SQLite gets WAL, foreign keys and serialised writers."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            private_file(Path(parsed.database))
        engine = create_engine(
            url,
            hide_parameters=HIDE_PARAMETERS,
            connect_args={"check_same_thread": False, "timeout": 30},
            pool_size=20,
            max_overflow=20,
        )
        _configure_sqlite(engine)
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        url = str(parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False))
    return create_engine(
        url,
        hide_parameters=HIDE_PARAMETERS,
        pool_pre_ping=True,
        pool_size=10,
        max_overflow=20,
        # A request waits at most this long for a connection, then answers 503 with Retry-After,
        # rather than holding the reader until their browser gives up (SQLAlchemy waits 30 s).
        pool_timeout=POOL_WAIT_SECONDS,
        connect_args={"connect_timeout": POOL_WAIT_SECONDS},
    )


def _configure_sqlite(engine: Engine) -> None:
    # pysqlite's own transaction handling is switched off so that every transaction starts
    # with BEGIN IMMEDIATE: two processes that read-then-write (the audit chain's head, an
    # idempotency check) then queue on the lock instead of failing with "database is locked".
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Read-only work (GET requests) may take a deferred transaction and not block writers.
        deferred = connection.get_execution_options().get(READ_ONLY_OPTION)
        connection.exec_driver_sql("BEGIN" if deferred else "BEGIN IMMEDIATE")


READ_ONLY_OPTION = "pledgeflow_read_only"


def read_only(engine: Engine) -> Engine:
    """The same engine for work that only reads: on SQLite it does not queue behind writers."""
    return engine.execution_options(**{READ_ONLY_OPTION: True})


def create_tables(engine: Engine) -> None:
    """Create any missing table (tests and the embedded stack; production uses migrations)."""
    SQLModel.metadata.create_all(engine)


@lru_cache
def get_engine() -> Engine:
    """The process-wide engine for the configured database."""
    return make_engine(get_settings().database_url)


def get_session() -> Iterator[Session]:
    """FastAPI dependency: one session per request."""
    with Session(get_engine(), expire_on_commit=False) as session:
        yield session


_WRITERS: dict[int, threading.RLock] = {}


@contextmanager
def writing(engine: Engine) -> Iterator[None]:
    """Hold this process's SQLite write lock for a transaction (nothing to hold on PostgreSQL).

    SQLite lets one writer in at a time and makes the others poll with growing sleeps (up to
    100 ms). Queueing this process's writers on a lock instead wakes the next one the moment the
    previous one commits: many times the throughput when a worker sends batches in parallel.
    """
    if engine.dialect.name != "sqlite":
        yield
        return
    lock = _WRITERS.setdefault(id(engine.pool), threading.RLock())
    with lock:
        yield


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    with writing(engine), Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
