"""rate budgets per caller, one owning source per municipality, receipts know their input

Revision ID: 0011_budgets_and_owners
Revises: 0010_live_it_systems_index
Create Date: 2026-11-22 09:00:00

``rate_budget`` is every caller's token bucket (``store.rate_limits``), in the database so
that all replicas spend from one budget. ``source_owner.municipality_code`` becomes
unique: a municipality's processes come from exactly one source, so a second source for
it (which mirrored every process twice) is refused by the database as well as by
``sourceRegister``. A database where a municipality already has two owners is not
changed: the upgrade stops and names them, to be settled by an admin first. Receipts
store a hash of their call's input, so a reused clientMutationId with another input is
refused instead of answered with the first call's record.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_budgets_and_owners"
down_revision: str | None = "0010_live_it_systems_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rate_budget",
        sa.Column("caller", sa.String(length=64), nullable=False),
        sa.Column("tokens", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("admitted", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("caller", name=op.f("pk_rate_budget")),
    )
    op.create_index(op.f("ix_rate_budget_updated_at"), "rate_budget", ["updated_at"])
    op.add_column("mutation_receipt", sa.Column("input_hash", sa.String(length=64)))
    shared = op.get_bind().execute(
        sa.text(
            "SELECT municipality_code, string_agg(source_code, ', ' ORDER BY source_code)"
            " FROM source_owner GROUP BY municipality_code HAVING count(*) > 1"
            " ORDER BY municipality_code"
        )
    )
    owners = [f"{code} ({sources})" for code, sources in shared]
    if owners:
        raise RuntimeError(
            "Each municipality may have only one owning source, but these have several: "
            + "; ".join(owners)
            + ". Re-register all but one of those sources without that owner"
            " (sourceRegister) and run the migration again."
        )
    op.drop_index(op.f("ix_source_owner_municipality_code"), table_name="source_owner")
    op.create_index(
        op.f("ix_source_owner_municipality_code"),
        "source_owner",
        ["municipality_code"],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_source_owner_municipality_code"), table_name="source_owner")
    op.create_index(
        op.f("ix_source_owner_municipality_code"), "source_owner", ["municipality_code"]
    )
    op.drop_column("mutation_receipt", "input_hash")
    op.drop_index(op.f("ix_rate_budget_updated_at"), table_name="rate_budget")
    op.drop_table("rate_budget")
