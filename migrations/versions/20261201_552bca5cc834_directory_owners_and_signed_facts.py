"""directory owners and signed facts

Organisations get an owner (the coordinator whose directory holds them), and names become unique
per owner. Existing organisations invited to a campaign go to the owner of the first campaign
that invited them; the others stay unowned, which only admins (and auditors, to read) reach.

Signatures keep the organisation's name, kind and country and the signer's address as they were
when signing. Existing signatures are given today's values: from this revision on, renaming an
organisation no longer rewrites them (the application still falls back for a row left empty).

Revision ID: 552bca5cc834
Revises: 08800200aaeb
Create Date: 2026-12-01 20:10:14.787564+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "552bca5cc834"
down_revision: str | Sequence[str] | None = "08800200aaeb"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# SQLite rebuilds a table to change its constraints: the rebuilt one must keep AUTOINCREMENT,
# so ids are never reused.
_KEEP_IDS = {"sqlite_autoincrement": True}

_OWNER_FROM_FIRST_CAMPAIGN = """
UPDATE organisation SET owner_id = (
    SELECT campaign.owner_id FROM invitation
    JOIN campaign ON campaign.id = invitation.campaign_id
    WHERE invitation.organisation_id = organisation.id AND campaign.owner_id IS NOT NULL
    ORDER BY invitation.id LIMIT 1
)
"""

_FACTS_AS_TODAY = """
UPDATE signature SET
    organisation_name = (SELECT o.name FROM organisation o WHERE o.id = signature.organisation_id),
    organisation_kind = (
        SELECT CAST(o.kind AS VARCHAR(40)) FROM organisation o WHERE o.id = signature.organisation_id
    ),
    organisation_country = (SELECT o.country FROM organisation o WHERE o.id = signature.organisation_id),
    signer_email = (SELECT c.email FROM contact c WHERE c.id = signature.contact_id)
"""


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("organisation", schema=None, table_kwargs=_KEEP_IDS) as batch_op:
        batch_op.add_column(sa.Column("owner_id", sa.Integer(), nullable=True))
        batch_op.drop_constraint(batch_op.f("uq_organisation_name_country"), type_="unique")
        batch_op.create_index(batch_op.f("ix_organisation_owner_id"), ["owner_id"], unique=False)
        batch_op.create_unique_constraint(
            "uq_organisation_owner_name_country", ["owner_id", "name", "country"]
        )
        batch_op.create_foreign_key("fk_organisation_owner_id_user", "user", ["owner_id"], ["id"])

    with op.batch_alter_table("signature", schema=None, table_kwargs=_KEEP_IDS) as batch_op:
        batch_op.add_column(
            sa.Column("signer_email", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=True)
        )
        batch_op.add_column(
            sa.Column("organisation_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True)
        )
        batch_op.add_column(
            sa.Column("organisation_kind", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True)
        )
        batch_op.add_column(
            sa.Column("organisation_country", sqlmodel.sql.sqltypes.AutoString(length=2), nullable=True)
        )

    op.execute(_OWNER_FROM_FIRST_CAMPAIGN)
    op.execute(_FACTS_AS_TODAY)


def downgrade() -> None:
    """Downgrade schema (fails if two directories now hold the same name in one country)."""
    with op.batch_alter_table("signature", schema=None, table_kwargs=_KEEP_IDS) as batch_op:
        batch_op.drop_column("organisation_country")
        batch_op.drop_column("organisation_kind")
        batch_op.drop_column("organisation_name")
        batch_op.drop_column("signer_email")

    with op.batch_alter_table("organisation", schema=None, table_kwargs=_KEEP_IDS) as batch_op:
        batch_op.drop_constraint("fk_organisation_owner_id_user", type_="foreignkey")
        batch_op.drop_constraint("uq_organisation_owner_name_country", type_="unique")
        batch_op.drop_index(batch_op.f("ix_organisation_owner_id"))
        batch_op.create_unique_constraint(batch_op.f("uq_organisation_name_country"), ["name", "country"])
        batch_op.drop_column("owner_id")
