"""Mirrored umbrella memberships: ``process_umbrella`` rows written by syncs and imports.

A source names memberships by its own ids, on either end: a member lists its umbrellas
(the change feed's ``umbrellaIds``, a file's ``umbrellaIds`` column) or an umbrella its
members (OS2autoproces's ``children``). What a record names is then exactly its
memberships on that end: pairs it no longer names go. A pair waits in
``pending_umbrella`` until both of its ends are stored, so the order in which a remote
sends its records does not matter. A record that names nothing (``None``: the source does
not carry that end) keeps what it has.
"""

from collections.abc import Iterable, Sequence
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, and_, delete, or_, select, text, tuple_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from reusegraph.store.mirror_records import MirrorRecord
from reusegraph.store.models import PendingUmbrella, Process, process_umbrella

P = cast(Table, Process.__table__)
U = process_umbrella
PU = cast(Table, PendingUmbrella.__table__)

Pair = tuple[str, str]
"""(umbrella source id, member source id)."""


async def replace_umbrellas(
    session: AsyncSession,
    source_code: str,
    records: Sequence[MirrorRecord],
    applied: dict[str, Any],
) -> None:
    """``applied``: source id -> our process id, for the records this page wrote."""
    written = [r for r in records if r.source_id in applied]
    as_member = [r for r in written if r.umbrellas is not None]
    as_umbrella = [r for r in written if r.umbrella_members is not None]
    wanted: set[Pair] = {(u, r.source_id) for r in as_member for u in r.umbrellas or ()}
    wanted |= {(r.source_id, m) for r in as_umbrella for m in r.umbrella_members or ()}
    wanted = {(u, m) for u, m in wanted if u != m}
    if as_member or as_umbrella:
        ids = await _ids(session, source_code, {s for pair in wanted for s in pair})
        ids.update(applied)
        keep = [(ids[u], ids[m]) for u, m in wanted if u in ids and m in ids]
        stale: list[ColumnElement[bool]] = []
        if as_member:
            stale.append(U.c.child_id.in_([applied[r.source_id] for r in as_member]))
        if as_umbrella:
            stale.append(U.c.umbrella_id.in_([applied[r.source_id] for r in as_umbrella]))
        kept = [~tuple_(U.c.umbrella_id, U.c.child_id).in_(keep)] if keep else []
        await session.execute(delete(U).where(or_(*stale), *kept))
        await session.execute(
            delete(PU).where(
                PU.c.source_code == source_code,
                or_(
                    PU.c.child_source_id.in_([r.source_id for r in as_member]),
                    PU.c.umbrella_source_id.in_([r.source_id for r in as_umbrella]),
                ),
            )
        )
        if wanted:
            rows = [
                {"source_code": source_code, "umbrella_source_id": u, "child_source_id": m}
                for u, m in sorted(wanted)
            ]
            await session.execute(pg_insert(PU).values(rows).on_conflict_do_nothing())
    await link_arrived(session, source_code, [r.source_id for r in written])


async def _ids(
    session: AsyncSession, source_code: str, source_ids: Iterable[str]
) -> dict[str, Any]:
    wanted = sorted(set(source_ids))
    if not wanted:
        return {}
    rows = await session.execute(
        select(P.c.source_id, P.c.id).where(
            and_(P.c.source_code == source_code, P.c.source_id.in_(wanted))
        )
    )
    return {row.source_id: row.id for row in rows}


_BOTH_ENDS = (
    " FROM pending_umbrella pu"
    " JOIN process u ON u.source_code = pu.source_code AND u.source_id = pu.umbrella_source_id"
    " JOIN process c ON c.source_code = pu.source_code AND c.source_id = pu.child_source_id"
    " WHERE pu.source_code = :code AND u.id <> c.id"
    " AND (pu.umbrella_source_id = ANY(CAST(:arrived AS text[]))"
    " OR pu.child_source_id = ANY(CAST(:arrived AS text[])))"
)


async def link_arrived(session: AsyncSession, source_code: str, arrived: Sequence[str]) -> None:
    """Pairs with an end among ``arrived`` (source ids just written) and both ends here."""
    if not arrived:
        return
    params = {"code": source_code, "arrived": list(arrived)}
    await session.execute(
        text(
            "INSERT INTO process_umbrella (umbrella_id, child_id) SELECT u.id, c.id"
            + _BOTH_ENDS
            + " ON CONFLICT DO NOTHING"
        ),
        params,
    )
    await session.execute(
        text(
            "DELETE FROM pending_umbrella p USING (SELECT pu.umbrella_source_id,"
            " pu.child_source_id" + _BOTH_ENDS + ") done WHERE p.source_code = :code"
            " AND p.umbrella_source_id = done.umbrella_source_id"
            " AND p.child_source_id = done.child_source_id"
        ),
        params,
    )
