"""pledge texts per language

A pledge version names the language of its original text and keeps its translations (each with
its own SHA-256) beside it; a signature names the language of the text that was signed. Every
existing version was written in English and every existing signature signed it, so both columns
start as "en" for the rows already there.

Revision ID: 377d74ffe55c
Revises: b7c8271f1861
Create Date: 2026-12-03 08:09:19.525639+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "377d74ffe55c"
down_revision: str | Sequence[str] | None = "b7c8271f1861"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# SQLite rebuilds a table to drop a column: the rebuilt one must keep AUTOINCREMENT, so ids are
# never reused.
_KEEP_IDS = {"sqlite_autoincrement": True}


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("pledge", schema=None, table_kwargs=_KEEP_IDS) as batch_op:
        batch_op.add_column(
            sa.Column(
                "language", sqlmodel.sql.sqltypes.AutoString(length=35), nullable=False, server_default="en"
            )
        )
        batch_op.add_column(sa.Column("translations", sa.JSON(), nullable=True))

    with op.batch_alter_table("signature", schema=None, table_kwargs=_KEEP_IDS) as batch_op:
        batch_op.add_column(
            sa.Column(
                "pledge_language",
                sqlmodel.sql.sqltypes.AutoString(length=35),
                nullable=False,
                server_default="en",
            )
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("signature", schema=None, table_kwargs=_KEEP_IDS) as batch_op:
        batch_op.drop_column("pledge_language")

    with op.batch_alter_table("pledge", schema=None, table_kwargs=_KEEP_IDS) as batch_op:
        batch_op.drop_column("translations")
        batch_op.drop_column("language")
