"""umbrella memberships of mirrors wait in pending_umbrella until both ends arrive

Revision ID: 0013_pending_umbrella
Revises: 0012_audit_read
Create Date: 2026-12-07 12:00:00

Syncs and file imports now carry umbrella memberships, by the source's own ids: on the
member (the feed's ``umbrellaIds``, a file's column) or on the umbrella (OS2autoproces's
``children``). One end may arrive before the other; the pair waits here, like
``pending_reuse``. Only the system (sync, import) reads or writes it.

A membership is part of its member's record in the change feed (``umbrellaIds``), so a
change to ``process_umbrella`` moves the member in the feed, as the other child tables'
changes do (the touch triggers of 0004, as made cheaper by 0008).
"""

import importlib
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_pending_umbrella"
down_revision: str | None = "0012_audit_read"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SYSTEM = "current_setting('reusegraph.system', true) = 'on'"
_VERSIONS = "reusegraph.migrations.versions."
_sync = importlib.import_module(_VERSIONS + "2026_11_21_0004_sync")
_cheaper = importlib.import_module(_VERSIONS + "2026_11_21_0008_cheaper_bulk_triggers")


def upgrade() -> None:
    op.create_table(
        "pending_umbrella",
        sa.Column("source_code", sa.String(length=63), nullable=False),
        sa.Column("umbrella_source_id", sa.String(length=255), nullable=False),
        sa.Column("child_source_id", sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_code"],
            ["source.code"],
            name=op.f("fk_pending_umbrella_source_code_source"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "source_code",
            "umbrella_source_id",
            "child_source_id",
            name=op.f("pk_pending_umbrella"),
        ),
    )
    op.create_index(
        op.f("ix_pending_umbrella_child_source_id"),
        "pending_umbrella",
        ["child_source_id"],
        unique=False,
    )
    op.execute("ALTER TABLE pending_umbrella ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE pending_umbrella FORCE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY pending_umbrella_system ON pending_umbrella FOR ALL"
        f" USING ({SYSTEM}) WITH CHECK ({SYSTEM})"
    )
    op.execute(_cheaper._touch_function("child_id"))
    _sync._triggers("process_umbrella", "process_change_touch_child_id")


def downgrade() -> None:
    for name in _sync.EVENTS:
        op.execute(f"DROP TRIGGER IF EXISTS process_umbrella_change_{name} ON process_umbrella")
    op.execute("DROP FUNCTION IF EXISTS process_change_touch_child_id()")
    op.drop_index(op.f("ix_pending_umbrella_child_source_id"), table_name="pending_umbrella")
    op.drop_table("pending_umbrella")
