"""A mirrored process's umbrellas: the ``process_umbrella`` rows where it is the member.

A record names its umbrellas by their ids in the same source (the change feed's
``umbrellaIds``, a file's ``umbrellaIds`` column). Its memberships become exactly those:
ones it no longer names go, an umbrella already here is linked at once, and one that has
not arrived waits in ``pending_umbrella`` until a later page brings it, in whatever order
the remote sends its records. A record that says nothing (``umbrellas is None``: a
source that does not carry them) keeps what it has.
"""

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table, delete, insert, select, text, tuple_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from reusegraph.store.mirror_records import MirrorRecord
from reusegraph.store.models import PendingUmbrella, Process, process_umbrella

P = cast(Table, Process.__table__)
U = process_umbrella
PU = cast(Table, PendingUmbrella.__table__)


async def replace_umbrellas(
    session: AsyncSession,
    source_code: str,
    records: Sequence[MirrorRecord],
    applied: dict[str, Any],
) -> None:
    """``applied``: source id -> our process id, for the records this page wrote."""
    named = [r for r in records if r.umbrellas is not None and r.source_id in applied]
    if named:
        members = [applied[r.source_id] for r in named]
        wanted = {u for r in named for u in r.umbrellas or ()}
        here = await _here(session, source_code, wanted)
        pairs = {
            (here[u], applied[r.source_id])
            for r in named
            for u in r.umbrellas or ()
            if u in here and here[u] != applied[r.source_id]
        }
        keep = [tuple_(U.c.umbrella_id, U.c.child_id).in_(list(pairs))] if pairs else []
        await session.execute(delete(U).where(U.c.child_id.in_(members), *[~k for k in keep]))
        if pairs:
            rows = [{"umbrella_id": u, "child_id": c} for u, c in sorted(pairs)]
            await session.execute(pg_insert(U).values(rows).on_conflict_do_nothing())
        await session.execute(delete(PU).where(PU.c.child_id.in_(members)))
        pending = [
            {"child_id": applied[r.source_id], "umbrella_source_id": u, "source_code": source_code}
            for r in named
            for u in dict.fromkeys(r.umbrellas or ())
            if u not in here and u != r.source_id
        ]
        if pending:
            await session.execute(insert(PU), pending)
    await link_arrived_umbrellas(session, source_code, [r.source_id for r in records])


async def _here(session: AsyncSession, source_code: str, wanted: set[str]) -> dict[str, Any]:
    if not wanted:
        return {}
    rows = await session.execute(
        select(P.c.source_id, P.c.id).where(
            P.c.source_code == source_code, P.c.source_id.in_(wanted)
        )
    )
    return {row.source_id: row.id for row in rows}


async def link_arrived_umbrellas(
    session: AsyncSession, source_code: str, arrived: Sequence[str]
) -> None:
    """Memberships waiting for one of ``arrived`` (source ids just written) are made."""
    if not arrived:
        return
    params = {"code": source_code, "arrived": list(arrived)}
    where = (
        "pu.source_code = :code AND pu.umbrella_source_id = ANY(CAST(:arrived AS text[]))"
        " AND p.source_code = pu.source_code AND p.source_id = pu.umbrella_source_id"
    )
    await session.execute(
        text(
            "INSERT INTO process_umbrella (umbrella_id, child_id)"
            f" SELECT p.id, pu.child_id FROM pending_umbrella pu, process p WHERE {where}"
            " AND p.id <> pu.child_id ON CONFLICT DO NOTHING"
        ),
        params,
    )
    await session.execute(
        text(f"DELETE FROM pending_umbrella pu USING process p WHERE {where}"), params
    )
