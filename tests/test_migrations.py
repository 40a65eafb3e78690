"""The schema is owned by Alembic: one head, and the models match what migrations build."""

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, text

from reusegraph.store.base import Base
from reusegraph.store.engine import Database
from reusegraph.store.schema_version import current_revision, head_revision


async def test_migrated_database_is_at_head(empty_db: Database) -> None:
    assert await current_revision(empty_db.engine) == head_revision()


def _diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def test_models_and_migrations_agree(empty_db: Database) -> None:
    async with empty_db.engine.connect() as conn:
        diff = await conn.run_sync(_diff)
    assert diff == [], f"models differ from migrations; write a revision: {diff}"


async def test_constraints_live_in_the_database(empty_db: Database) -> None:
    """A bad row is refused by PostgreSQL itself, not only by Python code."""
    async with empty_db.engine.connect() as conn:
        names = set(
            (
                await conn.execute(
                    text("SELECT conname FROM pg_constraint WHERE conrelid = 'process'::regclass")
                )
            ).scalars()
        )
    assert {
        "ck_process_kle_format",
        "ck_process_phase_valid",
        "ck_process_visibility_valid",
    } <= names
