"""webhooks of things that are not row changes: agreements expiring, sources going stale

Revision ID: 0025_webhook_watches
Revises: 0024_change_notify
Create Date: 2026-12-08 03:00:00

An event of the outbox is now about a process, an agreement or a source (exactly one).
A periodic scan writes the other two (``events/watches.py``): ``webhook_scan`` is the
one row replicas claim (``FOR UPDATE SKIP LOCKED``, at most once per period), and what
was announced is remembered so a restart does not announce it again: an agreement once
per threshold and end date (``webhook_agreement_notice``), a source once per stale
episode (``webhook_source_episode``). All of it belongs to the system alone.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0025_webhook_watches"
down_revision: str | None = "0024_change_notify"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

API_ROLE = "reusegraph_api"
SYSTEM = "(SELECT pg_has_role(CURRENT_USER, 'reusegraph_system', 'MEMBER'))"
TABLES = ("webhook_scan", "webhook_agreement_notice", "webhook_source_episode")


def upgrade() -> None:
    op.alter_column("webhook_event", "process_id", nullable=True)
    op.alter_column("webhook_event", "municipality_code", nullable=True)
    op.add_column("webhook_event", sa.Column("agreement_id", sa.Uuid(), nullable=True))
    op.add_column("webhook_event", sa.Column("source_code", sa.String(length=63), nullable=True))
    op.add_column("webhook_event", sa.Column("within_days", sa.Integer(), nullable=True))
    op.add_column(
        "webhook_event",
        sa.Column(
            "parties",
            postgresql.ARRAY(sa.String(length=7)),
            server_default=sa.text("'{}'::varchar[]"),
            nullable=False,
        ),
    )
    op.add_column(
        "webhook_event", sa.Column("facts", postgresql.JSONB(astext_type=sa.Text()), nullable=True)
    )
    op.create_check_constraint(
        op.f("ck_webhook_event_one_subject"),
        "webhook_event",
        "num_nonnulls(process_id, agreement_id, source_code) = 1",
    )
    op.alter_column("webhook_delivery", "process_id", nullable=True)
    op.add_column("webhook_delivery", sa.Column("agreement_id", sa.Uuid(), nullable=True))
    op.add_column("webhook_delivery", sa.Column("source_code", sa.String(length=63), nullable=True))

    op.create_table(
        "webhook_scan",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("scanned_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_webhook_scan")),
    )
    op.execute("INSERT INTO webhook_scan (name, scanned_at) VALUES ('watches', '-infinity')")
    op.create_table(
        "webhook_agreement_notice",
        sa.Column("agreement_id", sa.Uuid(), nullable=False),
        sa.Column("within_days", sa.Integer(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column(
            "announced_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["framework_agreement.id"],
            name=op.f("fk_webhook_agreement_notice_agreement_id_framework_agreement"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "agreement_id", "within_days", "ends_on", name=op.f("pk_webhook_agreement_notice")
        ),
    )
    op.create_table(
        "webhook_source_episode",
        sa.Column("source_code", sa.String(length=63), nullable=False),
        sa.Column("episode", sa.Integer(), nullable=False),
        sa.Column("stale_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("recovered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["source_code"],
            ["source.code"],
            name=op.f("fk_webhook_source_episode_source_code_source"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("source_code", name=op.f("pk_webhook_source_episode")),
    )
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(f"REVOKE ALL ON {table} FROM {API_ROLE}")
        op.execute(f"CREATE POLICY {table}_system ON {table} FOR ALL USING ({SYSTEM})")


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table)
    op.execute("DELETE FROM webhook_delivery WHERE process_id IS NULL")
    op.execute("DELETE FROM webhook_event WHERE process_id IS NULL")
    op.drop_column("webhook_delivery", "source_code")
    op.drop_column("webhook_delivery", "agreement_id")
    op.alter_column("webhook_delivery", "process_id", nullable=False)
    op.drop_constraint("ck_webhook_event_one_subject", "webhook_event", type_="check")
    for column in ("facts", "parties", "within_days", "source_code", "agreement_id"):
        op.drop_column("webhook_event", column)
    op.alter_column("webhook_event", "municipality_code", nullable=False)
    op.alter_column("webhook_event", "process_id", nullable=False)
