"""the candidates' IT-system index covers only processes in operation or implementation

Revision ID: 0010_live_it_systems_index
Revises: 0009_stored_scoring
Create Date: 2026-11-21 09:30:00

reuseCandidates finds the processes whose IT systems a municipality has through the GIN
index on ``process_rollup.it_systems`` and then drops every one that is not in OPERATION
or IMPLEMENTATION: at 100 000 processes, about 7 600 of the 19 500 rows the index gave
were read from the heap only to be dropped. Only reuseCandidates uses the index, and it
asks only for those two phases, so the index now holds only them; it is smaller and
cheaper to keep up as well. The query names the phases as literals so that the planner
can prove the index's condition even in a generic plan.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010_live_it_systems_index"
down_revision: str | None = "0009_stored_scoring"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE = "phase IN ('OPERATION', 'IMPLEMENTATION')"


def upgrade() -> None:
    op.drop_index("ix_process_rollup_it_systems", table_name="process_rollup")
    op.execute(
        "CREATE INDEX ix_process_rollup_live_it_systems ON process_rollup"
        f" USING gin (it_systems) WHERE {LIVE}"
    )


def downgrade() -> None:
    op.drop_index("ix_process_rollup_live_it_systems", table_name="process_rollup")
    op.create_index(
        "ix_process_rollup_it_systems", "process_rollup", ["it_systems"], postgresql_using="gin"
    )
