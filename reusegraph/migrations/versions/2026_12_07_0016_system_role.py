"""the system is a role the API role cannot take; trusted documents registered by admins

Revision ID: 0016_system_role
Revises: 0014_fenced_reuse_recount
Create Date: 2026-12-07 14:00:00

Until now every policy let a transaction through when ``reusegraph.system`` was 'on', a
setting the API role may set like any other: one injected ``set_config`` read every row.
The system is now a role, ``reusegraph_system`` (NOLOGIN, no BYPASSRLS): a policy lets
it through when the current role is a member of it. ``reusegraph_api`` is not and cannot
become one (it has no ADMIN option on it and no CREATEROLE). Members are the login that
ran the migrations (so its system work can ``SET ROLE reusegraph_system``) and with it the
owner's SECURITY DEFINER triggers, which run as the owner. The check is a scalar
subquery, so PostgreSQL evaluates it once per statement (an InitPlan), not per row.

Every policy that reads the setting is rewritten in place (from ``pg_policies``), so
this holds for policies of any earlier migration. New policies name the role
(``SYSTEM`` below).

``trusted_document``: documents an admin registered for the trusted-documents mode
(``api/trusted.py``), read by every replica.
"""

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_system_role"
down_revision: str | None = "0014_fenced_reuse_recount"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

API_ROLE = "reusegraph_api"
SYSTEM_ROLE = "reusegraph_system"
SYSTEM = f"(SELECT pg_has_role(CURRENT_USER, '{SYSTEM_ROLE}', 'MEMBER'))"
ADMIN = "current_setting('reusegraph.admin', true) = 'on'"

# As PostgreSQL prints the old and the new test in pg_policies.
_SETTING = r"current_setting\('reusegraph\.system'::text, true\) = 'on'::text"
_OLD = re.compile(rf"\({_SETTING}\)|{_SETTING}")
_OLD_TEXT = "(current_setting('reusegraph.system', true) = 'on')"
_NEW = re.compile(
    r"\(\s*SELECT pg_has_role\(CURRENT_USER, 'reusegraph_system'::name, 'MEMBER'::text\)"
    r" AS pg_has_role\)"
)


def _rewrite(pattern: re.Pattern[str], replacement: str) -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT tablename, policyname, qual, with_check FROM pg_policies"
            " WHERE schemaname = current_schema()"
        )
    ).all()
    for table, name, qual, with_check in rows:
        clauses = []
        if qual is not None and pattern.search(qual):
            clauses.append(f"USING ({pattern.sub(lambda _: replacement, qual)})")
        if with_check is not None and pattern.search(with_check):
            clauses.append(f"WITH CHECK ({pattern.sub(lambda _: replacement, with_check)})")
        if clauses:
            op.execute(f'ALTER POLICY "{name}" ON "{table}" ' + " ".join(clauses))


def upgrade() -> None:
    op.execute(
        f"""
        DO $$
        BEGIN
          IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{SYSTEM_ROLE}') THEN
            CREATE ROLE {SYSTEM_ROLE} NOLOGIN NOBYPASSRLS;
          END IF;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
          NULL;  -- created meanwhile by a migration of another database
        END
        $$;
        """
    )
    op.execute(f"GRANT {SYSTEM_ROLE} TO CURRENT_USER")
    op.execute(
        f"""
        DO $$
        BEGIN
          IF pg_has_role('{API_ROLE}', '{SYSTEM_ROLE}', 'MEMBER') THEN
            EXECUTE 'REVOKE {SYSTEM_ROLE} FROM {API_ROLE}';
          END IF;
        END
        $$;
        """
    )
    op.execute(f"GRANT USAGE ON SCHEMA public TO {SYSTEM_ROLE}")
    op.execute(
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {SYSTEM_ROLE}"
    )
    op.execute(f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {SYSTEM_ROLE}")
    op.execute(
        "ALTER DEFAULT PRIVILEGES IN SCHEMA public"
        f" GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {SYSTEM_ROLE}"
    )
    op.execute(
        "ALTER DEFAULT PRIVILEGES IN SCHEMA public"
        f" GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO {SYSTEM_ROLE}"
    )
    op.execute(f"REVOKE UPDATE, DELETE ON audit_entry FROM {SYSTEM_ROLE}")
    _rewrite(_OLD, SYSTEM)

    op.create_table(
        "trusted_document",
        sa.Column("sha256_hash", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "sha256_hash ~ '^[0-9a-f]{64}$'", name=op.f("ck_trusted_document_hash_format")
        ),
        sa.PrimaryKeyConstraint("sha256_hash", name=op.f("pk_trusted_document")),
    )
    op.execute("ALTER TABLE trusted_document ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE trusted_document FORCE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY trusted_document_admin ON trusted_document FOR ALL"
        f" USING ({SYSTEM} OR {ADMIN}) WITH CHECK ({SYSTEM} OR {ADMIN})"
    )


def downgrade() -> None:
    op.drop_table("trusted_document")
    _rewrite(_NEW, _OLD_TEXT)
    op.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {SYSTEM_ROLE}")
    op.execute(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {SYSTEM_ROLE}")
    op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON TABLES FROM {SYSTEM_ROLE}")
    op.execute(
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON SEQUENCES FROM {SYSTEM_ROLE}"
    )
    op.execute(f"REVOKE USAGE ON SCHEMA public FROM {SYSTEM_ROLE}")
