"""Alembic environment: the database from PLEDGEFLOW_DATABASE_URL, the tables from `models`."""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

import models  # noqa: F401  (registers every table on SQLModel.metadata)
from pledgeflow.config import Settings
from pledgeflow.migrations import comparison_options, drop_unused_enum_types, migration_engine

config = context.config
target_metadata = SQLModel.metadata

# A connection handed over by pledgeflow.migrations.upgrade_to_head means "called from the
# application": its logging stays as the application configured it.
given_connection: Connection | None = config.attributes.get("connection")
if given_connection is None and config.config_file_name is not None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection, target_metadata=target_metadata, **comparison_options(connection)
    )
    with context.begin_transaction():
        context.run_migrations()
        drop_unused_enum_types(connection)


def run_migrations_offline() -> None:
    """`alembic upgrade --sql`: print the SQL for the configured database's dialect."""
    url = Settings().database_url
    dialect = migration_engine(url).dialect
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        compare_type=True,
        render_as_batch=dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Apply the migrations over the given connection, or one to PLEDGEFLOW_DATABASE_URL."""
    if given_connection is not None:
        _run(given_connection)
        return
    engine = migration_engine(Settings().database_url)
    try:
        with engine.connect() as connection:
            _run(connection)
            connection.commit()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
