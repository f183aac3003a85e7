"""Migrations: the revisions build exactly the models' schema, on PostgreSQL and on SQLite."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

from pledgeflow.config import PROJECT_ROOT
from pledgeflow.db import create_tables, make_engine
from pledgeflow.migrations import MigrationError, migration_engine, pending_changes, upgrade_to_head

ALEMBIC = str(Path(sys.executable).parent / "alembic")


def postgres_admin_url() -> str:
    """The PostgreSQL server of the test run (the suite's own, or the local one), as libpq URL."""
    configured = os.environ.get("PLEDGEFLOW_TEST_DATABASE_URL", "")
    if configured.startswith("postgresql"):
        url = make_url(configured).set(drivername="postgresql", database="postgres")
        return url.render_as_string(hide_password=False)
    return "postgresql://postgres@127.0.0.1:5432/postgres"


@contextmanager
def temporary_postgres_database(prefix: str = "pf_test") -> Iterator[str]:
    """A fresh, empty database on the test PostgreSQL server, dropped afterwards; its SQLAlchemy URL.

    PostgreSQL runs wherever the suite runs (make test, CI): an unreachable server fails the test.
    """
    admin = postgres_admin_url()
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        pytest.fail(f"PostgreSQL at {admin} is needed for this test and is unreachable: {exc}")
    url = make_url(admin).set(drivername="postgresql+psycopg", database=name)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["postgresql", "sqlite"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of each kind the application supports."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.db'}"
        return
    with temporary_postgres_database("pf_migrations") as url:
        yield url


def _pending(url: str) -> list[object]:
    engine = migration_engine(url)
    try:
        with engine.connect() as connection:
            return pending_changes(connection)
    finally:
        engine.dispose()


def _tables(url: str) -> set[str]:
    engine = migration_engine(url)
    try:
        with engine.connect() as connection:
            return set(inspect(connection).get_table_names())
    finally:
        engine.dispose()


def _alembic(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PLEDGEFLOW_DATABASE_URL": url, "PLEDGEFLOW_ENV": "development"}
    return subprocess.run(
        [ALEMBIC, *args], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_upgrade_to_head_builds_exactly_the_models_schema(empty_database):
    upgrade_to_head(empty_database)

    assert _pending(empty_database) == []
    assert set(SQLModel.metadata.tables) <= _tables(empty_database)
    check = _alembic(empty_database, "check")
    assert check.returncode == 0, check.stdout + check.stderr


def test_downgrade_to_base_then_upgrade_to_head_again(empty_database):
    upgrade_to_head(empty_database)

    down = _alembic(empty_database, "downgrade", "base")
    assert down.returncode == 0, down.stdout + down.stderr
    assert _tables(empty_database) <= {"alembic_version"}
    upgrade_to_head(empty_database)
    assert _pending(empty_database) == []


def test_upgrade_twice_changes_nothing(empty_database):
    upgrade_to_head(empty_database)
    upgrade_to_head(empty_database)

    current = _alembic(empty_database, "current")
    assert "(head)" in current.stdout, current.stdout + current.stderr


def test_sqlite_ids_are_never_reused_after_migrating(tmp_path):
    url = f"sqlite:///{tmp_path / 'ids.db'}"
    upgrade_to_head(url)

    engine = migration_engine(url)
    with engine.connect() as connection:
        ddl = dict(connection.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'table'")).all())
    engine.dispose()
    without = [name for name in SQLModel.metadata.tables if "AUTOINCREMENT" not in ddl[name]]
    assert without == [], f"tables whose ids SQLite may reuse: {without}"


@pytest.mark.postgres
def test_containers_starting_together_migrate_once():
    with temporary_postgres_database("pf_migrations") as url:
        errors: list[BaseException] = []

        def migrate() -> None:
            try:
                upgrade_to_head(url)
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=migrate) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert errors == []
        assert _pending(url) == []


def test_a_database_made_by_create_tables_is_adopted_at_head(tmp_path):
    url = f"sqlite:///{tmp_path / 'dev.db'}"
    engine = make_engine(url)
    create_tables(engine)
    engine.dispose()

    upgrade_to_head(url)

    assert "alembic_version" in _tables(url)
    assert "(head)" in _alembic(url, "current").stdout


def test_a_database_that_differs_from_the_models_is_refused(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text('CREATE TABLE "user" (id INTEGER PRIMARY KEY, name VARCHAR(10))'))
    engine.dispose()

    with pytest.raises(MigrationError, match="not created by migrations"):
        upgrade_to_head(url)
