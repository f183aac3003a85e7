"""Schema migrations (Alembic): apply them on start, compare the models with the database.

`python -m pledgeflow.migrations` brings the configured database (PLEDGEFLOW_DATABASE_URL) to the
latest revision; the container entrypoint runs it before the API or a worker starts.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.pool import NullPool
from sqlalchemy.types import TypeDecorator
from sqlmodel import SQLModel

import models  # noqa: F401  (registers every table on SQLModel.metadata)
from pledgeflow.config import PROJECT_ROOT
from pledgeflow.private_files import private_file

log = logging.getLogger(__name__)

ALEMBIC_INI = PROJECT_ROOT / "alembic.ini"
# Any constant works; every pledgeflow process that migrates takes the same lock.
ADVISORY_LOCK_KEY = 0x706C6564676566  # "pledgef"


class MigrationError(RuntimeError):
    """The database cannot be brought to the latest revision safely."""


def migration_engine(database_url: str) -> Engine:
    """An engine for migrations: no pool, no application pragmas (batch mode rebuilds tables)."""
    url = make_url(database_url)
    if url.get_backend_name() == "postgresql" and url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        private_file(Path(url.database))
    return create_engine(url, poolclass=NullPool)


def alembic_config(connection: Connection | None = None) -> Config:
    """The project's Alembic configuration; a given connection is used instead of the settings."""
    config = Config(str(ALEMBIC_INI))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    """Render application column types as their database type, so revisions never import models."""
    if type_ == "type" and isinstance(obj, TypeDecorator) and obj.__module__.startswith("models."):
        impl = obj.impl_instance
        autogen_context.imports.add("import sqlalchemy as sa")
        return f"sa.{impl!r}"
    return False


def comparison_options(connection: Connection) -> dict[str, Any]:
    """The options that autogenerate, `alembic check` and the tests all compare with."""
    return {
        "compare_type": True,
        "render_as_batch": connection.dialect.name == "sqlite",
        "render_item": render_item,
    }


def pending_changes(connection: Connection) -> list[Any]:
    """What autogenerate would still write: empty when the database matches the models."""
    context = MigrationContext.configure(connection, opts=comparison_options(connection))
    return list(compare_metadata(context, SQLModel.metadata))


def drop_unused_enum_types(connection: Connection) -> None:
    """Drop PostgreSQL ENUM types that no column uses any more.

    `op.drop_table` leaves a table's ENUM types behind, and the `CREATE TYPE` of a later
    `create_table` (downgrade then upgrade, or a table dropped and re-added) would then fail.
    """
    if connection.dialect.name != "postgresql":
        return
    unused = connection.execute(
        text(
            "SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
            "WHERE t.typtype = 'e' AND n.nspname = current_schema() "
            "AND NOT EXISTS (SELECT 1 FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
            "WHERE a.atttypid IN (t.oid, t.typarray) AND NOT a.attisdropped AND c.relkind IN ('r', 'p'))"
        )
    ).scalars()
    for name in list(unused):
        connection.execute(text(f'DROP TYPE "{name}"'))


@contextmanager
def _migration_lock(connection: Connection) -> Iterator[None]:
    # Every container migrates on start; on PostgreSQL the first takes the lock and the others
    # wait, then find the database at head. (SQLite deployments are single-process.)
    if connection.dialect.name != "postgresql":
        yield
        return
    connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
    connection.commit()
    try:
        yield
    finally:
        connection.rollback()
        connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_LOCK_KEY})
        connection.commit()


def _adopt_unversioned(connection: Connection, config: Config) -> None:
    """Stamp a database made by `create_tables` (no alembic_version) when it matches the models."""
    tables = set(inspect(connection).get_table_names())
    if "alembic_version" in tables or not tables & set(SQLModel.metadata.tables):
        return
    differences = pending_changes(connection)
    connection.commit()
    if differences:
        raise MigrationError(
            "the database has tables that were not created by migrations and differ from the "
            f"models ({len(differences)} differences, first: {differences[0]!r}); back it up and "
            "migrate it by hand, or start from an empty database"
        )
    log.info("database created without migrations matches the models: stamping it at head")
    command.stamp(config, "head")


def upgrade_to_head(database_url: str) -> None:
    """Run `alembic upgrade head` on the database; safe to call from several processes at once."""
    engine = migration_engine(database_url)
    try:
        with engine.connect() as connection, _migration_lock(connection):
            config = alembic_config(connection)
            _adopt_unversioned(connection, config)
            command.upgrade(config, "head")
            connection.commit()
    finally:
        engine.dispose()


def main() -> None:
    """`python -m pledgeflow.migrations`: migrate the configured database to head."""
    from pledgeflow.config import get_settings

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = get_settings()
    upgrade_to_head(settings.database_url)
    log.info("database at the latest revision")


if __name__ == "__main__":
    main()
