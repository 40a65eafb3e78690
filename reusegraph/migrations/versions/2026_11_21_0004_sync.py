"""sync: source registry columns, the process change log behind the ``changes`` feed

Revision ID: 0004_sync
Revises: 0003_access
Create Date: 2026-11-21 09:00:00

The change log: statement-level triggers with transition tables (one statement per
written statement, not per row, so bulk loads stay fast) move a process's row in
``process_change`` to a new position whenever the process or one of its child rows
changes. The trigger functions are SECURITY DEFINER with a fixed search_path and
``reusegraph.system`` on: they work the same for a request under row-level security
(``reusegraph_api`` cannot write the log itself) and for the system.
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0004_sync"
down_revision: str | None = "0003_access"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLE = "reusegraph_api"
POSITION = "pg_current_xact_id()::text::bigint, nextval('process_change_seq')"
DEFINER = (
    "LANGUAGE plpgsql SECURITY DEFINER"
    " SET search_path = public, pg_temp SET reusegraph.system = 'on'"
)

# Readable by everyone at some time: outsiders may then learn that it was withdrawn.
PUBLIC = "({r}.visibility = 'PUBLIC' OR {r}.type = 'GLOBAL_PARENT')"

# An update that only re-confirms a mirrored record (synced_at) is not a change.
PROCESS_LOG = f"""
CREATE FUNCTION process_change_log() RETURNS trigger {DEFINER} AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO process_change AS c
      (process_id, municipality_code, xid, seq, deleted, was_public, changed_at)
    SELECT n.id, n.municipality_code, {POSITION}, false, {PUBLIC.format(r="n")}, now()
    FROM new_rows n
    ON CONFLICT (process_id) DO UPDATE SET municipality_code = EXCLUDED.municipality_code,
      xid = EXCLUDED.xid, seq = EXCLUDED.seq, deleted = false,
      was_public = c.was_public OR EXCLUDED.was_public, changed_at = EXCLUDED.changed_at;
  ELSIF TG_OP = 'UPDATE' THEN
    INSERT INTO process_change AS c
      (process_id, municipality_code, xid, seq, deleted, was_public, changed_at)
    SELECT n.id, n.municipality_code, {POSITION}, false,
      {PUBLIC.format(r="n")} OR {PUBLIC.format(r="o")}, now()
    FROM new_rows n JOIN old_rows o ON o.id = n.id
    WHERE to_jsonb(n) - 'synced_at' IS DISTINCT FROM to_jsonb(o) - 'synced_at'
    ON CONFLICT (process_id) DO UPDATE SET municipality_code = EXCLUDED.municipality_code,
      xid = EXCLUDED.xid, seq = EXCLUDED.seq, deleted = false,
      was_public = c.was_public OR EXCLUDED.was_public, changed_at = EXCLUDED.changed_at;
  ELSE
    INSERT INTO process_change AS c
      (process_id, municipality_code, xid, seq, deleted, was_public, changed_at)
    SELECT o.id, o.municipality_code, {POSITION}, true, {PUBLIC.format(r="o")}, now()
    FROM old_rows o
    ON CONFLICT (process_id) DO UPDATE SET xid = EXCLUDED.xid, seq = EXCLUDED.seq,
      deleted = true, was_public = c.was_public OR EXCLUDED.was_public,
      changed_at = EXCLUDED.changed_at;
  END IF;
  RETURN NULL;
END
$$
"""


def _touch_function(column: str) -> str:
    """A child row changed: its process moves (a deleted process stays a tombstone)."""
    touched = {
        "INSERT": f"SELECT {column} FROM new_rows",
        "UPDATE": f"SELECT {column} FROM new_rows UNION SELECT {column} FROM old_rows",
        "DELETE": f"SELECT {column} FROM old_rows",
    }
    branches = "\n  ELS".join(
        f"""IF TG_OP = '{op_name}' THEN
    UPDATE process_change c SET xid = pg_current_xact_id()::text::bigint,
      seq = nextval('process_change_seq'), changed_at = now()
    WHERE c.process_id IN ({select}) AND NOT c.deleted;"""
        for op_name, select in touched.items()
    )
    return f"""
CREATE FUNCTION process_change_touch_{column}() RETURNS trigger {DEFINER} AS $$
BEGIN
  {branches}
  END IF;
  RETURN NULL;
END
$$
"""


# child table -> the column naming its process
CHILDREN = {
    "benefit_record": "process_id",
    "process_it_system": "process_id",
    "process_technology": "process_id",
    "process_link": "process_id",
    "reuse_link": "derived_id",
}
EVENTS = {
    "insert": ("INSERT", "NEW TABLE AS new_rows"),
    "update": ("UPDATE", "NEW TABLE AS new_rows OLD TABLE AS old_rows"),
    "delete": ("DELETE", "OLD TABLE AS old_rows"),
}


def _triggers(table: str, function: str) -> None:
    for name, (event, referencing) in EVENTS.items():
        op.execute(
            f"CREATE TRIGGER {table}_change_{name} AFTER {event} ON {table}"
            f" REFERENCING {referencing} FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
        )


SOURCE_COLUMNS: list[sa.Column[Any]] = [
    sa.Column("auth", sa.String(length=7), server_default="none", nullable=False),
    sa.Column("secret_ref", sa.String(length=1024), nullable=True),
    sa.Column("token_url", sa.String(length=2048), nullable=True),
    sa.Column("client_id", sa.String(length=255), nullable=True),
    sa.Column("scope", sa.String(length=1024), nullable=True),
    sa.Column("timeout_seconds", sa.Integer(), server_default=sa.text("30"), nullable=False),
    sa.Column("max_run_seconds", sa.Integer(), server_default=sa.text("900"), nullable=False),
    sa.Column("page_size", sa.Integer(), server_default=sa.text("500"), nullable=False),
    sa.Column("last_success_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("consecutive_failures", sa.Integer(), server_default=sa.text("0"), nullable=False),
    sa.Column("circuit_open_until", sa.DateTime(timezone=True), nullable=True),
    sa.Column("last_run_upserts", sa.Integer(), server_default=sa.text("0"), nullable=False),
    sa.Column("last_run_deletes", sa.Integer(), server_default=sa.text("0"), nullable=False),
    sa.Column("last_run_skipped", sa.Integer(), server_default=sa.text("0"), nullable=False),
]
SOURCE_CHECKS = {
    "auth_valid": "auth IN ('none', 'bearer', 'oauth2', 'api_key')",
    "secret_ref_format": "secret_ref ~ '^(env:[A-Za-z_][A-Za-z0-9_]*|file:/.+)$'",
    "timeout_positive": "timeout_seconds > 0",
    "max_run_positive": "max_run_seconds > 0",
    "page_size_range": "page_size BETWEEN 1 AND 10000",
}


def upgrade() -> None:
    for added in SOURCE_COLUMNS:
        op.add_column("source", added)
    for name, condition in SOURCE_CHECKS.items():
        op.create_check_constraint(op.f(f"ck_source_{name}"), "source", condition)

    op.create_table(
        "process_change",
        sa.Column("process_id", sa.Uuid(), nullable=False),
        sa.Column("municipality_code", sa.String(length=7), nullable=False),
        sa.Column("xid", sa.BigInteger(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("deleted", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("was_public", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column(
            "changed_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("process_id", name=op.f("pk_process_change")),
    )
    op.create_index("ix_process_change_position", "process_change", ["xid", "seq"])
    op.create_index(
        "ix_process_change_municipality_position",
        "process_change",
        ["municipality_code", "xid", "seq"],
    )
    op.create_table(
        "pending_reuse",
        sa.Column("derived_id", sa.Uuid(), nullable=False),
        sa.Column("origin_source_id", sa.String(length=255), nullable=False),
        sa.Column("source_code", sa.String(length=63), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("note", sa.String(length=2000), nullable=True),
        sa.Column("reused_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["derived_id"],
            ["process.id"],
            name=op.f("fk_pending_reuse_derived_id_process"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["source_code"],
            ["source.code"],
            name=op.f("fk_pending_reuse_source_code_source"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("derived_id", "origin_source_id", name=op.f("pk_pending_reuse")),
    )
    op.create_index(op.f("ix_pending_reuse_source_code"), "pending_reuse", ["source_code"])
    op.execute("CREATE SEQUENCE process_change_seq")
    # Readable by requests (ids and positions only); written only by the triggers.
    op.execute(f"REVOKE INSERT, UPDATE, DELETE ON process_change FROM {ROLE}")
    op.execute(f"REVOKE ALL ON SEQUENCE process_change_seq FROM {ROLE}")

    op.execute(PROCESS_LOG)
    _triggers("process", "process_change_log")
    for column in sorted(set(CHILDREN.values())):
        op.execute(_touch_function(column))
    for table, column in CHILDREN.items():
        _triggers(table, f"process_change_touch_{column}")

    # Existing processes start in the log, so a consumer's first sync sees them all.
    op.execute("SELECT set_config('reusegraph.system', 'on', true)")
    op.execute(
        "INSERT INTO process_change (process_id, municipality_code, xid, seq, was_public)"
        f" SELECT id, municipality_code, {POSITION}, {PUBLIC.format(r='process')}"
        " FROM process ORDER BY updated_at, id"
    )


def downgrade() -> None:
    for table in ("process", *CHILDREN):
        for name in EVENTS:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_change_{name} ON {table}")
    op.execute("DROP FUNCTION IF EXISTS process_change_log()")
    for column in sorted(set(CHILDREN.values())):
        op.execute(f"DROP FUNCTION IF EXISTS process_change_touch_{column}()")
    op.execute("DROP SEQUENCE IF EXISTS process_change_seq")
    op.drop_index(op.f("ix_pending_reuse_source_code"), table_name="pending_reuse")
    op.drop_table("pending_reuse")
    op.drop_index("ix_process_change_municipality_position", table_name="process_change")
    op.drop_index("ix_process_change_position", table_name="process_change")
    op.drop_table("process_change")
    for name in SOURCE_CHECKS:
        op.drop_constraint(op.f(f"ck_source_{name}"), "source", type_="check")
    for added in reversed(SOURCE_COLUMNS):
        op.drop_column("source", added.name)
