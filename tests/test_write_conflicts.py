"""Two transactions that deadlock (as two sources' sync pages can, once their reuse links
cross): PostgreSQL ends one, it runs again, and both writes land."""

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from reusegraph.store import write_conflicts
from reusegraph.store.engine import Database


async def test_both_transactions_of_a_deadlock_commit(empty_db: Database) -> None:
    async with empty_db.engine.begin() as conn:
        await conn.execute(text("CREATE TABLE tally (id int PRIMARY KEY, n int NOT NULL)"))
        await conn.execute(text("INSERT INTO tally VALUES (1, 0), (2, 0)"))
    holding = [asyncio.Event(), asyncio.Event()]
    attempts = [0, 0]

    async def page(me: int) -> None:
        async def transaction() -> None:
            attempts[me] += 1
            async with empty_db.engine.begin() as conn:
                bump = text("UPDATE tally SET n = n + 1 WHERE id = :id")
                await conn.execute(bump, {"id": 1 + me})
                if attempts[me] == 1:  # each holds its row and wants the other's
                    holding[me].set()
                    await holding[1 - me].wait()
                await conn.execute(bump, {"id": 2 - me})

        await write_conflicts.retried(transaction, what=f"page {me}")

    await asyncio.gather(page(0), page(1))

    async with empty_db.engine.connect() as conn:
        tallies = (await conn.execute(text("SELECT id, n FROM tally ORDER BY id"))).all()
    assert [tuple(row) for row in tallies] == [(1, 2), (2, 2)]
    assert sorted(attempts) == [1, 2]


async def test_other_errors_are_not_tried_again(empty_db: Database) -> None:
    attempts = 0

    async def transaction() -> None:
        nonlocal attempts
        attempts += 1
        async with empty_db.engine.begin() as conn:
            await conn.execute(text("SELECT 1 / 0"))

    with pytest.raises(DBAPIError, match="division by zero"):
        await write_conflicts.retried(transaction, what="a page")
    assert attempts == 1
