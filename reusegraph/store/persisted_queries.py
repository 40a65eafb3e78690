"""Documents clients registered by automatic persisted queries (APQ), shared by replicas.

A cache, not a record: any caller may register a valid document, so the table is kept
to ``MAX_STORED`` rows (the oldest go first; a client whose hash went registers it again,
as the protocol expects) and its writes are not audited. The server reads and writes it
as the system: the API role has no privilege on it (migration 0020).
"""

from typing import cast

from sqlalchemy import Table, delete, select
from sqlalchemy.dialects.postgresql import insert

from reusegraph.store.engine import Database
from reusegraph.store.models import PersistedQuery

T = cast(Table, PersistedQuery.__table__)
MAX_STORED = 10_000


async def document_of(db: Database, sha256_hash: str) -> str | None:
    async with db.session(None) as session:
        found = await session.execute(select(T.c.document).where(T.c.sha256_hash == sha256_hash))
        return found.scalar()


async def remember(db: Database, sha256_hash: str, document: str, keep: int = MAX_STORED) -> None:
    """``sha256_hash`` is the document's (the caller checked it)."""
    async with db.session(None) as session:
        added = await session.execute(
            insert(T)
            .values(sha256_hash=sha256_hash, document=document)
            .on_conflict_do_nothing()
            .returning(T.c.sha256_hash)
        )
        if added.first() is None:
            return
        oldest = (
            select(T.c.sha256_hash)
            .order_by(T.c.created_at.desc(), T.c.sha256_hash)
            .offset(keep)
            .scalar_subquery()
        )
        await session.execute(delete(T).where(T.c.sha256_hash.in_(oldest)))
