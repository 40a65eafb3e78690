"""Records an input refers to (systems, municipalities, vendors, processes), and link tables.

Every check names the input field and lists what was not found, so the caller fixes all
of them at once. Processes are looked up as the caller sees them: one the caller may not
read is "not found", exactly like one that does not exist.
"""

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Table, delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from reusegraph.store.audit import Call
from reusegraph.store.models import ItSystem, Municipality, Process, Technology, Vendor
from reusegraph.store.visibility import readable_processes
from reusegraph.store.write_errors import rejected

P = Process.__table__


async def known_codes(
    session: AsyncSession,
    vocabulary: type[ItSystem] | type[Technology],
    codes: Iterable[str],
    *field: str,
) -> list[str]:
    wanted = sorted(set(codes))
    found = await session.execute(select(vocabulary.code).where(vocabulary.code.in_(wanted)))
    missing = sorted(set(wanted) - set(found.scalars()))
    if missing:
        listing = "itSystems" if vocabulary is ItSystem else "technologies"
        raise rejected(
            "NOT_FOUND",
            f"Unknown code(s) {', '.join(missing)}; the {listing} query lists the known ones.",
            *field,
        )
    return wanted


async def known_municipalities(
    session: AsyncSession, codes: Iterable[str], *field: str
) -> list[str]:
    wanted = sorted(set(codes))
    found = await session.execute(select(Municipality.code).where(Municipality.code.in_(wanted)))
    missing = sorted(set(wanted) - set(found.scalars()))
    if missing:
        raise rejected(
            "NOT_FOUND",
            f"Unknown municipality code(s) {', '.join(missing)}; codes look like NO-5001.",
            *field,
        )
    return wanted


async def known_vendors(
    session: AsyncSession, ids: Iterable[uuid.UUID], *field: str
) -> list[uuid.UUID]:
    wanted = sorted(set(ids))
    found = await session.execute(select(Vendor.id).where(Vendor.id.in_(wanted)))
    missing = sorted(set(wanted) - set(found.scalars()))
    if missing:
        raise rejected(
            "NOT_FOUND",
            f"No vendor {', '.join(map(str, missing))}; create it with vendorCreate first.",
            *field,
        )
    return wanted


async def readable_process_ids(
    session: AsyncSession, call: Call, ids: Iterable[uuid.UUID], *field: str
) -> list[uuid.UUID]:
    wanted = sorted(set(ids))
    found = await session.execute(
        select(P.c.id).where(P.c.id.in_(wanted), readable_processes(call.viewer, P))
    )
    missing = sorted(set(wanted) - set(found.scalars()))
    if missing:
        raise rejected(
            "NOT_FOUND",
            f"No process {', '.join(map(str, missing))} that you can see.",
            *field,
        )
    return wanted


async def linked(
    session: AsyncSession, table: Table, owner: str, owner_id: Any, value: str
) -> list[Any]:
    rows = await session.execute(
        select(table.c[value]).where(table.c[owner] == owner_id).order_by(table.c[value])
    )
    return list(rows.scalars())


async def replace_links(
    session: AsyncSession,
    table: Table,
    owner: str,
    owner_id: Any,
    value: str,
    wanted: Sequence[Any],
) -> None:
    """Make the owner's links exactly ``wanted``; links the caller cannot see stay as they are."""
    await session.execute(
        delete(table).where(table.c[owner] == owner_id, table.c[value].not_in(wanted))
    )
    if wanted:
        await session.execute(
            insert(table).on_conflict_do_nothing(),
            [{owner: owner_id, value: v} for v in wanted],
        )
