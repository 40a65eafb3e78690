"""data version: one counter bumped at the commit of every write; persisted queries (APQ)

Revision ID: 0020_data_version
Revises: 0019_webhooks
Create Date: 2026-12-08 02:00:00

Public GET answers carry an ETag made from ``data_version.version`` (``api/etag.py``), so
the counter must change with every committed write a read can show, on every replica.

A statement trigger on each readable table marks its transaction (one ``data_change``
row, keyed by the top-level xid; later statements find it and do nothing). A deferred
constraint trigger on that row bumps the counter at commit and sends
``pg_notify('reusegraph_data_version', version)``, which PostgreSQL delivers after the
commit. Bumping at commit, not in the statement, holds the counter's row lock for the
commit alone: writers do not queue behind each other's whole transactions, and since it
is every transaction's last lock it adds no deadlock. A reader can never hold a version
newer than the data it read: the bump commits with the data.

The functions are SECURITY DEFINER (as ``webhook_outbox`` in 0019); the API role has no
privilege on the new tables, so it cannot set the counter, mark or unmark a transaction.
``persisted_query`` is written by the server as the system (``store/persisted_queries``).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020_data_version"
down_revision: str | None = "0019_webhooks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

API_ROLE = "reusegraph_api"
CHANNEL = "reusegraph_data_version"
WATCHED = (
    "agreement_document",
    "agreement_party",
    "agreement_vendor",
    "audit_entry",
    "benefit_month_set",
    "benefit_month_total",
    "benefit_record",
    "framework_agreement",
    "it_system",
    "meeting_it_system",
    "meeting_participant",
    "meeting_presentation",
    "meeting_process",
    "municipality",
    "municipality_it_system",
    "municipality_technology",
    "network_meeting",
    "pending_reuse",
    "pending_umbrella",
    "process",
    "process_attachment",
    "process_benefit_months",
    "process_change",
    "process_it_system",
    "process_link",
    "process_rollup",
    "process_technology",
    "process_umbrella",
    "reuse_link",
    "source",
    "source_owner",
    "technology",
    "trusted_document",
    "trusted_issuer",
    "vendor",
)
"""Every table a read can show. Not: sessions, receipts, the rate budget (no read shows
them) and the webhook tables (only their subscribers read them, never anonymously, and the
delivery worker writes them all the time)."""

MARK = """
CREATE FUNCTION data_version_mark() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  INSERT INTO data_change (xid) VALUES (pg_current_xact_id()::text::bigint)
  ON CONFLICT DO NOTHING;
  RETURN NULL;
END
$$
"""

BUMP = f"""
CREATE FUNCTION data_version_bump() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  bumped bigint;
BEGIN
  DELETE FROM data_change WHERE xid = NEW.xid;
  UPDATE data_version SET version = version + 1 RETURNING version INTO bumped;
  PERFORM pg_notify('{CHANNEL}', bumped::text);
  RETURN NULL;
END
$$
"""


def upgrade() -> None:
    op.create_table(
        "data_version",
        sa.Column("one", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("version", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.CheckConstraint("one", name=op.f("ck_data_version_one_row")),
        sa.PrimaryKeyConstraint("one", name=op.f("pk_data_version")),
    )
    # Milliseconds since 1970: a database made again later starts above any counter an
    # earlier one reached, so an old ETag does not match new data by chance.
    op.execute(
        "INSERT INTO data_version (one, version)"
        " VALUES (true, (extract(epoch FROM clock_timestamp()) * 1000)::bigint)"
    )
    op.create_table(
        "data_change",
        sa.Column("xid", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint("xid", name=op.f("pk_data_change")),
    )
    op.create_table(
        "persisted_query",
        sa.Column("sha256_hash", sa.String(length=64), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "sha256_hash ~ '^[0-9a-f]{64}$'", name=op.f("ck_persisted_query_hash_format")
        ),
        sa.PrimaryKeyConstraint("sha256_hash", name=op.f("pk_persisted_query")),
    )
    op.create_index(op.f("ix_persisted_query_created_at"), "persisted_query", ["created_at"])
    for table in ("data_version", "data_change", "persisted_query"):
        op.execute(f"REVOKE ALL ON {table} FROM {API_ROLE}")

    op.execute(MARK)
    op.execute(BUMP)
    op.execute(
        "CREATE CONSTRAINT TRIGGER data_version_bump AFTER INSERT ON data_change"
        " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION data_version_bump()"
    )
    for table in WATCHED:
        op.execute(
            f"CREATE TRIGGER data_version_mark AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE"
            f" ON {table} FOR EACH STATEMENT EXECUTE FUNCTION data_version_mark()"
        )


def downgrade() -> None:
    for table in WATCHED:
        op.execute(f"DROP TRIGGER IF EXISTS data_version_mark ON {table}")
    op.execute("DROP TRIGGER IF EXISTS data_version_bump ON data_change")
    op.execute("DROP FUNCTION IF EXISTS data_version_bump()")
    op.execute("DROP FUNCTION IF EXISTS data_version_mark()")
    op.drop_index(op.f("ix_persisted_query_created_at"), table_name="persisted_query")
    op.drop_table("persisted_query")
    op.drop_table("data_change")
    op.drop_table("data_version")
