"""similarity: trigram arrays for title similarity (filled in by the issue 5 work)

Revision ID: 0002_similarity
Revises: 0001_initial
Create Date: 2026-11-20 23:55:00
"""

from collections.abc import Sequence

revision: str = "0002_similarity"
down_revision: str | None = "0001_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
