"""Writing processes: create, update (optimistic, by version), delete, reuse, benefits.

Each function runs inside the caller's transaction, as the caller: row-level security
refuses what the checks here might miss. The checks come first anyway, so the caller
learns *why* (FORBIDDEN, NOT_FOUND, VERSION_CONFLICT, SOURCE_READ_ONLY) instead of
seeing a write that silently touched nothing.
"""

import uuid
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, cast

from sqlalchemy import Table, delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from reusegraph.store import audit
from reusegraph.store.audit import Call
from reusegraph.store.enums import SourceKind
from reusegraph.store.models import (
    BenefitRecord,
    ItSystem,
    Municipality,
    Process,
    ReuseLink,
    Source,
    Technology,
    process_it_system,
    process_technology,
)
from reusegraph.store.snapshots import snapshot
from reusegraph.store.write_errors import rejected
from reusegraph.store.write_rules import require_editor

P = cast(Table, Process.__table__)
# Never copied into another municipality's process: they belong to the origin's owners.
_NOT_COPIED = {
    "id",
    "municipality_code",
    "internal_notes",
    "esdh_reference",
    "reporter",
    "owner",
    "co_editors",
    "source_code",
    "source_id",
    "source_url",
    "synced_at",
    "created_at",
    "updated_at",
    "version",
    "search",
    "visibility",
    "phase",
    "status",
    "put_into_operation",
    "decommissioned",
}


async def create_process(
    session: AsyncSession,
    call: Call,
    values: dict[str, Any],
    it_systems: Sequence[str] = (),
    technologies: Sequence[str] = (),
) -> uuid.UUID:
    require_editor(call, values["municipality_code"])
    await _check_municipality(session, values["municipality_code"])
    values = {
        **values,
        "id": uuid.uuid4(),
        "reporter": values.get("reporter") or call.viewer.subject,
    }
    await session.execute(insert(P).values(**values))
    await _set_codes(session, values["id"], it_systems, technologies)
    await audit.record(
        session, call, "processCreate", "Process", str(values["id"]), None, snapshot(values)
    )
    return values["id"]  # type: ignore[no-any-return]


async def update_process(
    session: AsyncSession,
    call: Call,
    process_id: uuid.UUID,
    version: int,
    patch: Mapping[str, Any],
    it_systems: Sequence[str] | None = None,
    technologies: Sequence[str] | None = None,
) -> uuid.UUID:
    before = await _writable(session, call, process_id, version)
    if patch:
        await session.execute(
            update(P)
            .where(P.c.id == process_id)
            .values(**patch, version=P.c.version + 1, updated_at=func.now())
        )
    elif it_systems is not None or technologies is not None:
        await session.execute(
            update(P)
            .where(P.c.id == process_id)
            .values(version=P.c.version + 1, updated_at=func.now())
        )
    if it_systems is not None or technologies is not None:
        await _set_codes(session, process_id, it_systems, technologies, replace=True)
    after = dict((await session.execute(select(P).where(P.c.id == process_id))).mappings().one())
    await audit.record(
        session,
        call,
        "processUpdate",
        "Process",
        str(process_id),
        snapshot(before),
        snapshot(after),
    )
    return process_id


async def delete_process(
    session: AsyncSession, call: Call, process_id: uuid.UUID, version: int
) -> None:
    before = await _writable(session, call, process_id, version)
    await session.execute(delete(P).where(P.c.id == process_id))
    await audit.record(
        session, call, "processDelete", "Process", str(process_id), snapshot(before), None
    )


async def reuse_process(
    session: AsyncSession,
    call: Call,
    origin_id: uuid.UUID,
    kind: str,
    overrides: Mapping[str, Any],
    note: str | None = None,
) -> uuid.UUID:
    """Copies what is shareable into the caller's municipality and keeps the lineage link."""
    municipality = call.viewer.municipality or ""
    require_editor(call, municipality)
    origin = await _visible(session, origin_id, "originId")
    if origin["municipality_code"] == municipality:
        raise rejected("INVALID", "This process is already your municipality's own.", "originId")
    values = {k: v for k, v in origin.items() if k not in _NOT_COPIED and P.c[k].computed is None}
    values.update(
        municipality_code=municipality,
        phase="IDEA",
        visibility="MUNICIPALITY",
        type="CHILD",
        **overrides,
    )
    systems = await _codes(session, process_it_system, "it_system_code", origin_id)
    techs = await _codes(session, process_technology, "technology_code", origin_id)
    new_id = await create_process(session, call, values, systems, techs)
    await session.execute(
        insert(ReuseLink).values(
            id=uuid.uuid4(),
            derived_id=new_id,
            origin_id=origin_id,
            kind=kind,
            note=note,
            reused_on=date.today(),
        )
    )
    return new_id


async def link_reuse(
    session: AsyncSession,
    call: Call,
    derived_id: uuid.UUID,
    origin_id: uuid.UUID,
    kind: str,
    note: str | None,
) -> uuid.UUID:
    derived = await _visible(session, derived_id, "derivedId")
    require_editor(call, derived["municipality_code"])
    _not_mirrored(await _source_kind(session, derived), derived)
    await _visible(session, origin_id, "originId")
    if derived_id == origin_id:
        raise rejected("INVALID", "A process cannot be reused from itself.", "originId")
    statement = (
        pg_insert(ReuseLink)
        .values(id=uuid.uuid4(), derived_id=derived_id, origin_id=origin_id, kind=kind, note=note)
        .on_conflict_do_nothing()
        .returning(ReuseLink.id)
    )
    link_id = (await session.execute(statement)).scalar()
    if link_id is None:
        raise rejected("DUPLICATE", "This reuse link exists already.", "originId")
    after = {"derived_id": derived_id, "origin_id": origin_id, "kind": kind, "note": note}
    await audit.record(
        session, call, "reuseLinkCreate", "ReuseLink", str(link_id), None, snapshot(after)
    )
    return derived_id


async def unlink_reuse(
    session: AsyncSession, call: Call, derived_id: uuid.UUID, origin_id: uuid.UUID
) -> uuid.UUID:
    derived = await _visible(session, derived_id, "derivedId")
    require_editor(call, derived["municipality_code"])
    removed = (
        await session.execute(
            delete(ReuseLink)
            .where(ReuseLink.derived_id == derived_id, ReuseLink.origin_id == origin_id)
            .returning(ReuseLink.id, ReuseLink.kind)
        )
    ).first()
    if removed is None:
        raise rejected("NOT_FOUND", "There is no such reuse link.", "originId")
    before = {"derived_id": derived_id, "origin_id": origin_id, "kind": removed.kind}
    await audit.record(
        session, call, "reuseLinkDelete", "ReuseLink", str(removed.id), snapshot(before), None
    )
    return derived_id


async def record_benefits(
    session: AsyncSession,
    call: Call,
    process_id: uuid.UUID,
    period: date,
    records: Sequence[Mapping[str, Any]],
) -> uuid.UUID:
    """Upsert: recording a month again replaces that month's figures of the same kind."""
    process = await _visible(session, process_id, "processId")
    require_editor(call, process["municipality_code"])
    _not_mirrored(await _source_kind(session, process), process)
    B = cast(Table, BenefitRecord.__table__)
    kinds = [r["kind"] for r in records]
    before = (
        (await session.execute(select(B).where(B.c.process_id == process_id, B.c.period == period)))
        .mappings()
        .all()
    )
    for record in records:
        values = {"process_id": process_id, "period": period, **record}
        statement = pg_insert(B).values(id=uuid.uuid4(), **values)
        statement = statement.on_conflict_do_update(
            index_elements=["process_id", "period", "kind"],
            set_={k: statement.excluded[k] for k in record if k != "kind"},
        )
        await session.execute(statement)
    await audit.record(
        session,
        call,
        "benefitsRecord",
        "Process",
        str(process_id),
        {"benefits": [snapshot(dict(b)) for b in before if b["kind"] in kinds]},
        {"benefits": [snapshot({"period": period, **r}) for r in records]},
    )
    return process_id


async def _writable(
    session: AsyncSession, call: Call, process_id: uuid.UUID, version: int
) -> Mapping[str, Any]:
    # Ownership first: FOR UPDATE only sees rows the caller may update (RLS), and a
    # foreign process must be FORBIDDEN, not NOT_FOUND.
    require_editor(call, (await _visible(session, process_id, "id"))["municipality_code"])
    row = await _visible(session, process_id, "id", lock=True)
    _not_mirrored(await _source_kind(session, row), row)
    if row["version"] != version:
        raise rejected(
            "VERSION_CONFLICT",
            f"The process was changed meanwhile (now version {row['version']}, you sent "
            f"{version}); reload it and apply your change again.",
            "version",
        )
    return row


async def _visible(
    session: AsyncSession, process_id: uuid.UUID, field: str, *, lock: bool = False
) -> Mapping[str, Any]:
    """The caller's view of the process: absent and not visible look the same."""
    statement = select(P).where(P.c.id == process_id)
    if lock:
        statement = statement.with_for_update()
    row = (await session.execute(statement)).mappings().first()
    if row is None:
        raise rejected("NOT_FOUND", f"No process {process_id} that you can see.", field)
    return dict(row)


async def _source_kind(session: AsyncSession, row: Mapping[str, Any]) -> str | None:
    if row["source_code"] is None:
        return None
    return (
        await session.execute(select(Source.kind).where(Source.code == row["source_code"]))
    ).scalar()


def _not_mirrored(kind: str | None, row: Mapping[str, Any]) -> None:
    if kind not in (None, SourceKind.HOSTED):
        raise rejected(
            "SOURCE_READ_ONLY",
            f"This process is mirrored from the source {row['source_code']!r} of "
            f"{row['municipality_code']}; change it there, and the next sync brings it here.",
            "id",
        )


async def _check_municipality(session: AsyncSession, code: str) -> None:
    found = await session.execute(select(Municipality.code).where(Municipality.code == code))
    if found.scalar() is None:
        raise rejected("NOT_FOUND", f"Unknown municipality {code!r}.", "municipality")


async def _codes(
    session: AsyncSession, table: Any, column: str, process_id: uuid.UUID
) -> list[str]:
    rows = await session.execute(select(table.c[column]).where(table.c.process_id == process_id))
    return list(rows.scalars())


async def _set_codes(
    session: AsyncSession,
    process_id: uuid.UUID,
    it_systems: Sequence[str] | None,
    technologies: Sequence[str] | None,
    *,
    replace: bool = False,
) -> None:
    for codes, table, column, vocabulary, field in (
        (it_systems, process_it_system, "it_system_code", ItSystem, "itSystems"),
        (technologies, process_technology, "technology_code", Technology, "technologies"),
    ):
        if codes is None:
            continue
        wanted = sorted(set(codes))
        known = set(
            (await session.execute(select(vocabulary.code).where(vocabulary.code.in_(wanted))))
            .scalars()
            .all()
        )
        unknown = [c for c in wanted if c not in known]
        if unknown:
            raise rejected(
                "NOT_FOUND",
                f"Unknown {field} code(s): {', '.join(unknown)}; see the {field} query for "
                "the known ones.",
                field,
            )
        if replace:
            await session.execute(delete(table).where(table.c.process_id == process_id))
        if wanted:
            await session.execute(
                insert(table), [{"process_id": process_id, column: code} for code in wanted]
            )
