"""Exactly-once mutations: a retried call with the same clientMutationId is not applied twice.

A key stands for one call: the receipt keeps a hash of the call's input, and the same key
with another input is refused (``ReceiptMismatch``) instead of answered with the first
call's record.

The receipt row is inserted first in the mutation's own transaction. A concurrent retry
blocks on its primary key until the first call commits (then it reads the stored result)
or rolls back (then it goes ahead itself), so two calls never both apply.
"""

from typing import Any, cast

from sqlalchemy import Table, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from reusegraph.store.audit import Call
from reusegraph.store.models import MutationReceipt

R = cast(Table, MutationReceipt.__table__)


class ReceiptConflict(Exception):
    """The clientMutationId was already used for a different mutation."""

    def __init__(self, mutation: str) -> None:
        super().__init__(mutation)
        self.mutation = mutation


class ReceiptMismatch(Exception):
    """The clientMutationId was already used for this mutation with a different input."""

    def __init__(self, mutation: str) -> None:
        super().__init__(mutation)
        self.mutation = mutation


async def claim(
    session: AsyncSession, call: Call, mutation: str, input_hash: str | None = None
) -> dict[str, Any] | None:
    """None: go ahead. Otherwise: the result the first call stored."""
    assert call.client_mutation_id is not None
    key = {
        "issuer": call.viewer.issuer or "",
        "subject": call.viewer.subject or "",
        "client_mutation_id": call.client_mutation_id,
    }
    inserted = await session.execute(
        insert(R)
        .values(**key, mutation=mutation, input_hash=input_hash)
        .on_conflict_do_nothing()
        .returning(R.c.client_mutation_id)
    )
    if inserted.first() is not None:
        return None
    row = (
        await session.execute(
            select(R.c.mutation, R.c.input_hash, R.c.result).where(
                *(R.c[k] == v for k, v in key.items())
            )
        )
    ).one()
    if row.mutation != mutation:
        raise ReceiptConflict(row.mutation)
    if row.input_hash is not None and input_hash is not None and row.input_hash != input_hash:
        raise ReceiptMismatch(row.mutation)
    return dict(row.result or {})


async def complete(session: AsyncSession, call: Call, result: dict[str, Any]) -> None:
    await session.execute(
        update(R)
        .where(
            R.c.issuer == (call.viewer.issuer or ""),
            R.c.subject == (call.viewer.subject or ""),
            R.c.client_mutation_id == call.client_mutation_id,
        )
        .values(result=result)
    )
