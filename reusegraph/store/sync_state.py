"""A source's sync state: who runs it (a PostgreSQL lock), where it is, how it went.

Claiming uses a session-level advisory lock on a connection held for the whole run:
another replica's ``pg_try_advisory_lock`` fails at once and it moves on, and if the
holder dies its connection closes and the lock goes with it, so a crash never leaves a
source locked. Everything else a run needs to survive a restart is in the source row.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Table,
    column,
    exists,
    func,
    select,
    table,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import OID
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from reusegraph.auth.principal import Principal
from reusegraph.store import audit
from reusegraph.store.audit import Call
from reusegraph.store.engine import Database
from reusegraph.store.enums import RunOutcome, SourceKind
from reusegraph.store.models import Source, source_owner
from reusegraph.store.sync_writes import PageOutcome

S = cast(Table, Source.__table__)
LOCK_SPACE = 0x52470001
"""First key of the two-key advisory lock; the second is a hash of the source code."""
MIRRORED = (SourceKind.GRAPHQL.value, SourceKind.OS2AUTOPROCES.value)
SYSTEM = Principal(issuer="reusegraph", subject="sync")
PG_LOCKS = table(
    "pg_locks",
    column("locktype"),
    column("database"),
    column("classid"),
    column("objid"),
    column("objsubid"),
    column("granted"),
)
PG_DATABASE = table("pg_database", column("oid"), column("datname"))


def is_running(code: ColumnElement[str]) -> ColumnElement[bool]:
    """Whether some replica holds the source's sync lock right now.

    Timestamps cannot tell: a run that crashed never writes its finish. The lock dies with
    the connection of the process that held it, so this is true exactly while a run lives.
    """
    this_database = select(PG_DATABASE.c.oid).where(
        PG_DATABASE.c.datname == func.current_database()
    )
    return exists().where(
        PG_LOCKS.c.locktype == "advisory",
        PG_LOCKS.c.database == this_database.scalar_subquery(),
        PG_LOCKS.c.classid == LOCK_SPACE,
        PG_LOCKS.c.objid == func.hashtext(code).cast(OID),
        PG_LOCKS.c.objsubid == 2,
        PG_LOCKS.c.granted.is_(True),
    )


@asynccontextmanager
async def claimed(db: Database, code: str) -> AsyncIterator[bool]:
    """True inside the block if this process holds the source's sync lock."""
    key = {"space": LOCK_SPACE, "code": code}
    async with db.engine.connect() as connection:
        taken = await connection.scalar(
            text("SELECT pg_try_advisory_lock(:space, hashtext(:code))"), key
        )
        await connection.commit()
        try:
            yield bool(taken)
        finally:
            if taken:
                await connection.execute(
                    text("SELECT pg_advisory_unlock(:space, hashtext(:code))"), key
                )
                await connection.commit()


async def load(db: Database, code: str) -> tuple[Row[Any] | None, list[str]]:
    """The source row and its owner municipalities."""
    async with db.session(None) as session:
        row = (await session.execute(select(S).where(S.c.code == code))).first()
        owners = await session.execute(
            select(source_owner.c.municipality_code)
            .where(source_owner.c.source_code == code)
            .order_by(source_owner.c.municipality_code)
        )
        return row, list(owners.scalars())


async def all_sources(db: Database) -> list[tuple[Row[Any], list[str]]]:
    """Every source with its owners, by code (for operators)."""
    async with db.session(None) as session:
        rows = (await session.execute(select(S).order_by(S.c.code))).all()
        owned = await session.execute(
            select(source_owner.c.source_code, source_owner.c.municipality_code).order_by(
                source_owner.c.municipality_code
            )
        )
        owners: dict[str, list[str]] = {}
        for code, municipality in owned:
            owners.setdefault(code, []).append(municipality)
    return [(row, owners.get(row.code, [])) for row in rows]


async def mirrored_sources(db: Database) -> list[Row[Any]]:
    async with db.session(None) as session:
        statement = select(S).where(S.c.kind.in_(MIRRORED)).order_by(S.c.code)
        return list((await session.execute(statement)).all())


async def mark_started(db: Database, code: str) -> None:
    async with db.session(None) as session:
        await session.execute(
            update(S)
            .where(S.c.code == code)
            .values(
                last_sync_started_at=func.now(),
                last_run_upserts=0,
                last_run_deletes=0,
                last_run_skipped=0,
            )
        )


async def save_page(
    session: AsyncSession, code: str, cursor: str | None, outcome: PageOutcome
) -> None:
    """In the page's own transaction: the cursor moves exactly when the page's rows land."""
    await session.execute(
        update(S)
        .where(S.c.code == code)
        .values(
            cursor=cursor,
            last_run_upserts=S.c.last_run_upserts + outcome.upserted,
            last_run_deletes=S.c.last_run_deletes + outcome.deleted,
            last_run_skipped=S.c.last_run_skipped + len(outcome.skipped) + len(outcome.dropped),
        )
    )
    if outcome.upserted or outcome.deleted or outcome.skipped or outcome.dropped:
        after = {
            "upserted": outcome.upserted,
            "deleted": outcome.deleted,
            "older_kept": outcome.older,
            "skipped": [{"sourceId": s, "why": why} for s, why in outcome.skipped[:20]],
            "dropped": [{"sourceId": s, "why": why} for s, why in outcome.dropped[:20]],
        }
        await audit.record(session, Call(SYSTEM), "sourceSync", "Source", code, None, after)


async def mark_succeeded(db: Database, code: str, *, problems: str | None) -> None:
    """The run reached the remote's present; ``problems`` lists records that were skipped
    or dropped."""
    async with db.session(None) as session:
        await session.execute(
            update(S)
            .where(S.c.code == code)
            .values(
                last_sync_finished_at=func.now(),
                last_success_at=func.now(),
                last_outcome=RunOutcome.PARTIAL if problems else RunOutcome.OK,
                last_error=problems,
                consecutive_failures=0,
                circuit_open_until=None,
            )
        )


async def mark_failed(db: Database, code: str, message: str, open_until: datetime | None) -> None:
    async with db.session(None) as session:
        await session.execute(
            update(S)
            .where(S.c.code == code)
            .values(
                last_sync_finished_at=func.now(),
                last_outcome=RunOutcome.FAILED,
                last_error=message[:4000],
                consecutive_failures=S.c.consecutive_failures + 1,
                circuit_open_until=open_until,
            )
        )


async def failures(db: Database, code: str) -> int:
    async with db.session(None) as session:
        found = await session.execute(select(S.c.consecutive_failures).where(S.c.code == code))
        return int(found.scalar() or 0)
