"""GraphiQL logins, shared by every worker and replica through the database.

Only a hash of the session id is stored, so a copy of this table cannot be replayed as
cookies; the token itself is stored sealed by the caller (``api/login.py``).
"""

import hashlib
from datetime import UTC, datetime, timedelta
from typing import cast

from sqlalchemy import Table, delete, insert, select

from reusegraph.store.engine import Database
from reusegraph.store.models import BrowserSession

S = cast(Table, BrowserSession.__table__)


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


async def save(
    db: Database, session_id: str, issuer: str, sealed_token: str, lifetime: timedelta
) -> None:
    now = datetime.now(UTC)
    async with db.session(None) as session:
        await session.execute(delete(S).where(S.c.expires_at < now))
        await session.execute(
            insert(S).values(
                id_hash=_hash(session_id),
                issuer=issuer,
                sealed_token=sealed_token,
                expires_at=now + lifetime,
            )
        )


async def sealed_token(db: Database, session_id: str) -> str | None:
    async with db.session(None) as session:
        found = await session.execute(
            select(S.c.sealed_token).where(
                S.c.id_hash == _hash(session_id), S.c.expires_at > datetime.now(UTC)
            )
        )
        return found.scalar()


async def remove(db: Database, session_id: str) -> None:
    async with db.session(None) as session:
        await session.execute(delete(S).where(S.c.id_hash == _hash(session_id)))
