"""access: trusted issuers, mutation receipts, versions, row-level security

Revision ID: 0003_access
Revises: 0002_similarity
Create Date: 2026-11-21 00:10:00

Row-level security: requests run as ``reusegraph_api`` (NOLOGIN, no BYPASSRLS) with the
caller in transaction-local settings (``reusegraph.member_of``, ``reusegraph.editor_of``,
``reusegraph.subject``; ``reusegraph.system`` for the demo loader and sync). FORCE makes
the policies hold for the tables' owner too. The role is cluster-wide and may already
exist (another database of the same server), so it is created only when missing and is
not dropped on downgrade.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003_access"
down_revision: str | None = "0002_similarity"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLE = "reusegraph_api"
VERSIONED = ("vendor", "framework_agreement", "network_meeting", "municipality")

SYSTEM = "current_setting('reusegraph.system', true) = 'on'"
MEMBER_OF = "NULLIF(current_setting('reusegraph.member_of', true), '')"
EDITOR_OF = "NULLIF(current_setting('reusegraph.editor_of', true), '')"
SUBJECT = "NULLIF(current_setting('reusegraph.subject', true), '')"

PROCESS_READABLE = f"""
    {SYSTEM}
    OR visibility = 'PUBLIC'
    OR type = 'GLOBAL_PARENT'
    OR (municipality_code = {MEMBER_OF}
        AND (visibility = 'MUNICIPALITY'
             OR (visibility = 'PERSONAL'
                 AND (reporter = {SUBJECT} OR {SUBJECT} = ANY (co_editors)))))
"""
PROCESS_WRITABLE = f"{SYSTEM} OR municipality_code = {EDITOR_OF}"


def _process_readable(column: str) -> str:
    # The policy on process applies inside this subquery too: a child row is readable
    # exactly when its process is. Uncorrelated IN, so PostgreSQL builds the set of
    # readable ids once per statement (a hashed SubPlan) instead of probing per row.
    return f"{SYSTEM} OR {column} IN (SELECT p.id FROM process p)"


def _process_writable(column: str) -> str:
    return (
        f"{SYSTEM} OR {column} IN"
        f" (SELECT p.id FROM process p WHERE p.municipality_code = {EDITOR_OF})"
    )


def _own_or_shared(flag: str) -> str:
    """Rows of readable processes that are shared, or any row for the owner's members."""
    return (
        f"{SYSTEM} OR (process_id IN (SELECT p.id FROM process p) AND ({flag}"
        f" OR process_id IN (SELECT p.id FROM process p WHERE p.municipality_code = {MEMBER_OF})))"
    )


# table -> (who may read a row, who may write it)
POLICIES: dict[str, tuple[str, str]] = {
    "process": (PROCESS_READABLE, PROCESS_WRITABLE),
    "benefit_record": (_process_readable("process_id"), _process_writable("process_id")),
    "process_it_system": (_process_readable("process_id"), _process_writable("process_id")),
    "process_technology": (_process_readable("process_id"), _process_writable("process_id")),
    "process_link": (_own_or_shared("NOT internal"), _process_writable("process_id")),
    "process_attachment": (_own_or_shared("shared"), _process_writable("process_id")),
    "process_umbrella": (_process_readable("child_id"), _process_writable("child_id")),
    "reuse_link": (
        f"{SYSTEM} OR (derived_id IN (SELECT p.id FROM process p)"
        " AND origin_id IN (SELECT p.id FROM process p))",
        _process_writable("derived_id"),
    ),
    "meeting_process": (_process_readable("process_id"), f"{SYSTEM} OR {EDITOR_OF} IS NOT NULL"),
}


# Under row-level security PostgreSQL only uses an index for operators marked LEAKPROOF;
# without this, full-text search, trigram similarity and array filters (all GIN) scan the
# whole table. These functions read their arguments and raise no data-dependent errors.
# Marking them needs a superuser: elsewhere a notice says what the DBA may run instead.
LEAKPROOF = (
    "ts_match_vq(tsvector, tsquery)",
    "arrayoverlap(anyarray, anyarray)",
    "arraycontains(anyarray, anyarray)",
    "arraycontained(anyarray, anyarray)",
)


def upgrade() -> None:
    op.create_table(
        "mutation_receipt",
        sa.Column("issuer", sa.String(length=1024), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("client_mutation_id", sa.String(length=255), nullable=False),
        sa.Column("mutation", sa.String(length=128), nullable=False),
        sa.Column("result", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint(
            "issuer", "subject", "client_mutation_id", name=op.f("pk_mutation_receipt")
        ),
    )
    op.create_index(
        op.f("ix_mutation_receipt_created_at"), "mutation_receipt", ["created_at"], unique=False
    )
    op.create_table(
        "browser_session",
        sa.Column("id_hash", sa.String(length=64), nullable=False),
        sa.Column("issuer", sa.String(length=1024), nullable=False),
        sa.Column("sealed_token", sa.Text(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id_hash", name=op.f("pk_browser_session")),
    )
    op.create_index(
        op.f("ix_browser_session_expires_at"), "browser_session", ["expires_at"], unique=False
    )
    op.create_table(
        "trusted_issuer",
        sa.Column("name", sa.String(length=63), nullable=False),
        sa.Column("issuer", sa.String(length=1024), nullable=False),
        sa.Column("config", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.CheckConstraint(
            "name ~ '^[a-z0-9][a-z0-9-]{0,62}$'", name=op.f("ck_trusted_issuer_name_format")
        ),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_trusted_issuer")),
        sa.UniqueConstraint("issuer", name=op.f("uq_trusted_issuer_issuer")),
    )
    for table in VERSIONED:
        op.add_column(
            table, sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False)
        )

    op.execute(
        f"""
        DO $$
        BEGIN
          IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{ROLE}') THEN
            CREATE ROLE {ROLE} NOLOGIN NOBYPASSRLS;
          END IF;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
          NULL;  -- created meanwhile by a migration of another database
        END
        $$;
        """
    )
    op.execute(f"GRANT {ROLE} TO CURRENT_USER")
    op.execute(f"GRANT USAGE ON SCHEMA public TO {ROLE}")
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {ROLE}")
    op.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {ROLE}")
    op.execute(
        "ALTER DEFAULT PRIVILEGES IN SCHEMA public"
        f" GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {ROLE}"
    )
    op.execute(
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {ROLE}"
    )
    op.execute(f"REVOKE UPDATE, DELETE ON audit_entry FROM {ROLE}")

    statements = "; ".join(f"ALTER FUNCTION pg_catalog.{f} LEAKPROOF" for f in LEAKPROOF)
    op.execute(
        f"""
        DO $$
        BEGIN
          IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
            EXECUTE '{statements}';
          ELSE
            RAISE NOTICE 'search under row-level security scans without indexes; a superuser'
              ' may run in this database: {statements}';
          END IF;
        END
        $$;
        """
    )
    for table, (readable, writable) in POLICIES.items():
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(f"CREATE POLICY {table}_read ON {table} FOR SELECT USING ({readable})")
        op.execute(f"CREATE POLICY {table}_insert ON {table} FOR INSERT WITH CHECK ({writable})")
        op.execute(
            f"CREATE POLICY {table}_update ON {table} FOR UPDATE"
            f" USING ({writable}) WITH CHECK ({writable})"
        )
        op.execute(f"CREATE POLICY {table}_delete ON {table} FOR DELETE USING ({writable})")


def downgrade() -> None:
    for table in POLICIES:
        for action in ("read", "insert", "update", "delete"):
            op.execute(f"DROP POLICY IF EXISTS {table}_{action} ON {table}")
        op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON TABLES FROM {ROLE}")
    op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON SEQUENCES FROM {ROLE}")
    op.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {ROLE}")
    op.execute(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {ROLE}")
    op.execute(f"REVOKE USAGE ON SCHEMA public FROM {ROLE}")
    for table in VERSIONED:
        op.drop_column(table, "version")
    op.drop_table("trusted_issuer")
    op.drop_index(op.f("ix_browser_session_expires_at"), table_name="browser_session")
    op.drop_table("browser_session")
    op.drop_index(op.f("ix_mutation_receipt_created_at"), table_name="mutation_receipt")
    op.drop_table("mutation_receipt")
