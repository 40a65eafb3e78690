"""an editor's own file import may keep umbrella memberships pending

Revision ID: 0022_pending_umbrella_editors
Revises: 0020_data_version
Create Date: 2026-12-08 02:00:00

``POST /import`` writes as the editor (row-level security decides, as for
``processCreate``). A member whose umbrella is in a later file waits in
``pending_umbrella``, which only the system could write: the editor's upload failed.
An editor now reads and writes the pairs of the sources their municipality owns, the
same sources the import lets them write into.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0022_pending_umbrella_editors"
down_revision: str | None = "0020_data_version"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SYSTEM = "(SELECT pg_has_role(CURRENT_USER, 'reusegraph_system', 'MEMBER'))"
EDITOR_OF = "NULLIF(current_setting('reusegraph.editor_of', true), '')"
OWN_SOURCE = (
    f"source_code IN (SELECT so.source_code FROM source_owner so"
    f" WHERE so.municipality_code = {EDITOR_OF})"
)


def upgrade() -> None:
    op.execute(
        "CREATE POLICY pending_umbrella_editor ON pending_umbrella FOR ALL"
        f" USING ({OWN_SOURCE}) WITH CHECK ({OWN_SOURCE})"
    )


def downgrade() -> None:
    op.execute("DROP POLICY IF EXISTS pending_umbrella_editor ON pending_umbrella")
