"""Documents an admin registered for the trusted-documents mode: register, remove, list, find.

A document is keyed by the SHA-256 of its exact text, so a registration never changes:
registering the same text again with the same name is answered with its hash and writes
nothing; a new name for it is removing and registering again. Only admins (and the
system) pass the table's policy (migration 0016); ``require_admin`` says so first, with
a message. ``document_of`` is the server's own lookup for every replica, as the system,
because the caller it runs for may be anonymous.
"""

import hashlib
from typing import Any, Unpack, cast

from sqlalchemy import Table, delete, insert, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from reusegraph.store import audit
from reusegraph.store.audit import Call
from reusegraph.store.engine import Database, Reader
from reusegraph.store.models import TrustedDocument
from reusegraph.store.pagination import Keyset, Page, PageArguments, count_rows
from reusegraph.store.snapshots import snapshot
from reusegraph.store.write_errors import rejected
from reusegraph.store.write_rules import require_admin

T = cast(Table, TrustedDocument.__table__)
ORDER = "TRUSTED_DOCUMENT_CREATED_AT"
KEYSET = Keyset(ORDER, T.c.created_at, T.c.sha256_hash, descending=True)
ENTITY = "TrustedDocument"


def document_hash(document: str) -> str:
    return hashlib.sha256(document.encode("utf-8")).hexdigest()


async def register(
    session: AsyncSession, call: Call, sha256_hash: str, document: str, name: str | None
) -> str:
    """``sha256_hash`` is the document's (the caller computed and checked it)."""
    require_admin(call, "register trusted documents")
    statement = select(T).where(T.c.sha256_hash == sha256_hash).with_for_update()
    existing = (await session.execute(statement)).mappings().first()
    if existing is not None:
        if existing["name"] == name:
            return sha256_hash
        raise rejected(
            "DUPLICATE",
            f"This document is registered already as {sha256_hash}"
            f" (name {existing['name']!r}); remove it first to register it as {name!r}.",
            "document",
        )
    row = (
        (
            await session.execute(
                insert(T).values(sha256_hash=sha256_hash, name=name, document=document).returning(T)
            )
        )
        .mappings()
        .one()
    )
    await audit.record(
        session, call, "trustedDocumentRegister", ENTITY, sha256_hash, None, snapshot(dict(row))
    )
    return sha256_hash


async def remove(session: AsyncSession, call: Call, sha256_hash: str) -> str:
    require_admin(call, "remove trusted documents")
    statement = delete(T).where(T.c.sha256_hash == sha256_hash).returning(T)
    row = (await session.execute(statement)).mappings().first()
    if row is None:
        raise rejected(
            "NOT_FOUND",
            f"No registered document has the hash {sha256_hash}; documents of the"
            " REUSEGRAPH_TRUSTED_DOCUMENTS file cannot be removed here.",
            "hash",
        )
    await audit.record(
        session, call, "trustedDocumentRemove", ENTITY, sha256_hash, snapshot(dict(row)), None
    )
    return sha256_hash


async def document_of(db: Database, sha256_hash: str) -> str | None:
    async with db.session(None) as session:
        found = await session.execute(select(T.c.document).where(T.c.sha256_hash == sha256_hash))
        return found.scalar()


async def registered(reader: Reader, sha256_hash: str) -> Row[Any] | None:
    return (await reader.execute(select(T).where(T.c.sha256_hash == sha256_hash))).first()


async def list_documents(reader: Reader, **arguments: Unpack[PageArguments]) -> Page[Row[Any]]:
    """Newest first."""
    return await KEYSET.page(reader, select(T), **arguments)


async def count_documents(reader: Reader) -> int:
    return await count_rows(reader, T, [])
