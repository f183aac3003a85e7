"""invitation status undeliverable (an invitation email refused for good)

Revision ID: 5f1a2c9d7e31
Revises: 6fcabd44dd69
Create Date: 2026-12-01 20:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5f1a2c9d7e31"
down_revision: str | None = "6fcabd44dd69"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BEFORE = (
    "pending",
    "sent",
    "signed",
    "declined",
    "delegated",
    "expired",
    "unresponsive",
    "withdrawn",
    "cancelled",
)
AFTER = (*BEFORE, "undeliverable")


def _status_type(values: tuple[str, ...]) -> None:
    # SQLite keeps the enum as a VARCHAR as long as its longest value: the table is rebuilt
    # (keeping AUTOINCREMENT, so ids are never reused).
    with op.batch_alter_table("invitation", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.alter_column(
            "status",
            existing_type=sa.Enum(*(BEFORE if values == AFTER else AFTER), name="invitationstatus"),
            type_=sa.Enum(*values, name="invitationstatus"),
            existing_nullable=False,
        )


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # A native enum: the value is added in place.
        op.execute("ALTER TYPE invitationstatus ADD VALUE IF NOT EXISTS 'undeliverable'")
        return
    _status_type(AFTER)


def downgrade() -> None:
    op.execute("UPDATE invitation SET status = 'pending' WHERE status = 'undeliverable'")
    if op.get_bind().dialect.name == "postgresql":
        return  # PostgreSQL cannot drop an enum value; it stays, unused
    _status_type(BEFORE)
