"""the audit log is read under row-level security: admins all, editors their municipality's

Revision ID: 0012_audit_read
Revises: 0011_budgets_and_owners
Create Date: 2026-12-07 11:45:00

``auditLog`` serves the audit log over the API, so the rule for who reads which entry
lives where every other read rule does: in a policy, not in the resolver. Admins
(``reusegraph.admin``, set per transaction from the principal) and the system read every
entry; an editor reads the entries written by their own municipality's people
(``municipality_code`` is the writer's municipality). Every write path records an entry
in its own transaction, whoever writes, so inserting stays open; updating and deleting
stay revoked (migration 0003).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012_audit_read"
down_revision: str | None = "0011_budgets_and_owners"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SYSTEM = "current_setting('reusegraph.system', true) = 'on'"
ADMIN = "current_setting('reusegraph.admin', true) = 'on'"
EDITOR_OF = "NULLIF(current_setting('reusegraph.editor_of', true), '')"


def upgrade() -> None:
    op.execute("ALTER TABLE audit_entry ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE audit_entry FORCE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY audit_entry_read ON audit_entry FOR SELECT"
        f" USING ({SYSTEM} OR {ADMIN} OR municipality_code = {EDITOR_OF})"
    )
    op.execute("CREATE POLICY audit_entry_insert ON audit_entry FOR INSERT WITH CHECK (true)")


def downgrade() -> None:
    op.execute("DROP POLICY IF EXISTS audit_entry_insert ON audit_entry")
    op.execute("DROP POLICY IF EXISTS audit_entry_read ON audit_entry")
    op.execute("ALTER TABLE audit_entry NO FORCE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE audit_entry DISABLE ROW LEVEL SECURITY")
