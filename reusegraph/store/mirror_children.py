"""A mirrored process's child rows: IT systems, technologies, benefits, links, reuse links.

Each set is compared with what is stored and rewritten only when it differs, so a page
that re-sends unchanged records writes no child rows (and the change feed of this
gateway does not move for them). Reuse links name their origin by the remote's id; an
origin that has not arrived yet waits in ``pending_reuse`` and is linked when it does.
"""

import uuid
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Table, delete, insert, or_, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from reusegraph.store.mirror_records import CatalogItem, MirrorRecord
from reusegraph.store.models import (
    BenefitRecord,
    ItSystem,
    Process,
    ProcessLink,
    ReuseLink,
    Technology,
    process_it_system,
    process_technology,
)
from reusegraph.store.models.sources import PendingReuse

P = cast(Table, Process.__table__)
B = cast(Table, BenefitRecord.__table__)
L = cast(Table, ProcessLink.__table__)
R = cast(Table, ReuseLink.__table__)
PR = cast(Table, PendingReuse.__table__)
CENT = Decimal("0.01")


@dataclass(frozen=True)
class _ChildTable:
    table: Table
    key: str
    columns: tuple[str, ...]
    with_id: bool = False


_SYSTEMS = _ChildTable(process_it_system, "process_id", ("it_system_code",))
_TECHNOLOGIES = _ChildTable(process_technology, "process_id", ("technology_code",))
_BENEFITS = _ChildTable(
    B,
    "process_id",
    ("period", "kind", "cases", "hours_saved", "money_amount", "currency", "note"),
    with_id=True,
)
_LINKS = _ChildTable(L, "process_id", ("url", "label", "internal"), with_id=True)
_REUSE = _ChildTable(R, "derived_id", ("origin_id", "kind", "note", "reused_on"), with_id=True)

Wanted = dict[Any, frozenset[tuple[Hashable, ...]]]


async def replace_children(
    session: AsyncSession,
    source_code: str,
    records: Sequence[MirrorRecord],
    applied: dict[str, Any],
) -> None:
    if not records:
        return
    ids = [applied[r.source_id] for r in records]
    systems = await catalog_codes(session, ItSystem, {i for r in records for i in r.it_systems})
    techs = await catalog_codes(session, Technology, {i for r in records for i in r.technologies})
    origins = await _origins(session, source_code, records)

    def wanted(build: Callable[[MirrorRecord], Sequence[tuple[Hashable, ...]]]) -> Wanted:
        return {applied[r.source_id]: frozenset(build(r)) for r in records}

    await _sync(
        session, _SYSTEMS, ids, wanted(lambda r: [(systems[i.code],) for i in r.it_systems])
    )
    await _sync(
        session, _TECHNOLOGIES, ids, wanted(lambda r: [(techs[i.code],) for i in r.technologies])
    )
    await _sync(session, _BENEFITS, ids, wanted(lambda r: [_benefit(b) for b in r.benefits]))
    await _sync(
        session, _LINKS, ids, wanted(lambda r: [(k.url, k.label, k.internal) for k in r.links])
    )
    await _sync(
        session,
        _REUSE,
        ids,
        wanted(
            lambda r: [
                (origins[ref.origin_id], ref.kind, ref.note, ref.reused_on)
                for ref in r.reused_from
                if ref.origin_id in origins and origins[ref.origin_id] != applied[r.source_id]
            ]
        ),
    )
    await session.execute(delete(PR).where(PR.c.derived_id.in_(ids)))
    pending = [
        {
            "derived_id": applied[r.source_id],
            "origin_source_id": ref.origin_id,
            "source_code": source_code,
            "kind": ref.kind,
            "note": ref.note,
            "reused_on": ref.reused_on,
        }
        for r in records
        for ref in {ref.origin_id: ref for ref in r.reused_from}.values()
        if ref.origin_id not in origins and ref.origin_id != r.source_id
    ]
    if pending:
        await session.execute(insert(PR), pending)
    await link_arrived_origins(session, source_code)


async def link_arrived_origins(session: AsyncSession, source_code: str) -> None:
    """Pending reuse links whose origin is now here become real links."""
    join = (
        " FROM pending_reuse pr JOIN process p ON p.source_code = pr.source_code"
        " AND p.source_id = pr.origin_source_id AND p.id <> pr.derived_id"
        " WHERE pr.source_code = :code"
    )
    await session.execute(
        text(
            "INSERT INTO reuse_link (id, derived_id, origin_id, kind, note, reused_on)"
            " SELECT gen_random_uuid(), pr.derived_id, p.id, pr.kind, pr.note, pr.reused_on"
            + join
            + " ON CONFLICT DO NOTHING"
        ),
        {"code": source_code},
    )
    await session.execute(
        text(
            "DELETE FROM pending_reuse pr USING process p WHERE p.source_code = pr.source_code"
            " AND p.source_id = pr.origin_source_id AND pr.source_code = :code"
        ),
        {"code": source_code},
    )


async def catalog_codes(
    session: AsyncSession, vocabulary: type[ItSystem] | type[Technology], items: set[CatalogItem]
) -> dict[str, str]:
    """Remote code -> our code; unknown entries join the shared catalog (it only grows)."""
    if not items:
        return {}
    table = cast(Table, vocabulary.__table__)
    by_code_item = {i.code: i for i in sorted(items, key=lambda i: (i.code, i.name))}
    rows: list[dict[str, Any]] = [{"code": i.code, "name": i.name} for i in by_code_item.values()]
    if "supplier" in table.c:
        rows = [{**row, "supplier": by_code_item[row["code"]].supplier} for row in rows]
    await session.execute(pg_insert(table).values(rows).on_conflict_do_nothing())
    codes, names = {i.code for i in items}, {i.name for i in items}
    found = (
        await session.execute(
            select(table.c.code, table.c.name).where(
                or_(table.c.code.in_(codes), table.c.name.in_(names))
            )
        )
    ).all()
    known = {row.code for row in found}
    by_name = {row.name: row.code for row in found}
    return {i.code: i.code if i.code in known else by_name[i.name] for i in items}


async def _origins(
    session: AsyncSession, source_code: str, records: Sequence[MirrorRecord]
) -> dict[str, Any]:
    """Remote origin id -> our process id, for origins this source has already brought."""
    wanted = {ref.origin_id for r in records for ref in r.reused_from}
    if not wanted:
        return {}
    rows = await session.execute(
        select(P.c.source_id, P.c.id).where(
            P.c.source_code == source_code, P.c.source_id.in_(wanted)
        )
    )
    return {row.source_id: row.id for row in rows}


async def _sync(session: AsyncSession, child: _ChildTable, ids: list[Any], wanted: Wanted) -> None:
    key = child.table.c[child.key]
    current: dict[Any, set[tuple[Hashable, ...]]] = {pid: set() for pid in ids}
    rows = await session.execute(
        select(key, *(child.table.c[c] for c in child.columns)).where(key.in_(ids))
    )
    for row in rows:
        current[row[0]].add(_normal(child, tuple(row[1:])))
    stale = [pid for pid in ids if frozenset(current[pid]) != wanted[pid]]
    if not stale:
        return
    await session.execute(delete(child.table).where(key.in_(stale)))
    new_rows = [
        {
            child.key: pid,
            **dict(zip(child.columns, values, strict=True)),
            **({"id": uuid.uuid4()} if child.with_id else {}),
        }
        for pid in stale
        for values in sorted(wanted[pid], key=repr)
    ]
    if new_rows:
        await session.execute(insert(child.table), new_rows)


def _normal(child: _ChildTable, values: tuple[Any, ...]) -> tuple[Hashable, ...]:
    if child is _BENEFITS:
        period, kind, cases, hours, money, currency, note = values
        return (period, kind, cases, _cents(hours), _cents(money), currency, note)
    return values


def _benefit(benefit: dict[str, Any]) -> tuple[Hashable, ...]:
    return (
        benefit["period"],
        benefit.get("kind") or "MEASURED",
        benefit.get("cases"),
        _cents(benefit["hours_saved"]),
        _cents(benefit.get("money_amount")),
        benefit.get("currency"),
        benefit.get("note"),
    )


def _cents(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(CENT)
