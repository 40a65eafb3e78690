"""What a file import reads and records around the sync's write path.

A file source's records are written by ``sync_writes.apply_page``, as every mirror's are.
Around it a file import needs: the directory to check rows against (municipalities,
sources and their owners), each record as stored before and after a page (to tell
created, updated and unchanged apart, to name what changed, and for the audit log), the
ids a complete file no longer lists, and the import's outcome on the source row, so
``sources`` shows it like a sync run. The caller owns the transaction.
"""

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import String, Table, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from reusegraph.store.enums import RunOutcome
from reusegraph.store.models import (
    BenefitRecord,
    ItSystem,
    Municipality,
    Process,
    ProcessLink,
    ReuseLink,
    Source,
    Technology,
    process_it_system,
    process_technology,
    process_umbrella,
    source_owner,
)
from reusegraph.store.models.sources import PendingReuse
from reusegraph.store.models.umbrellas import PendingUmbrella
from reusegraph.store.snapshots import snapshot

P = cast(Table, Process.__table__)
S = cast(Table, Source.__table__)
_NOT_CONTENT = ("synced_at", "version")
"""Moved by every write of a record, changed or not: not part of what a record says."""


@dataclass(frozen=True)
class Directory:
    municipalities: dict[str, str]
    """Code -> name."""
    sources: dict[str, tuple[str, list[str]]]
    """Code -> (kind, owner municipality codes)."""

    def code_named(self, name: str) -> str | None:
        wanted = name.strip().casefold()
        found = [code for code, known in self.municipalities.items() if known.casefold() == wanted]
        return found[0] if len(found) == 1 else None


@dataclass(frozen=True)
class Stored:
    """One record as it is stored: its identity, its timestamps, and all it says (JSON)."""

    process_id: uuid.UUID
    title: str
    created_at: datetime
    updated_at: datetime
    content: dict[str, Any]


async def directory(session: AsyncSession) -> Directory:
    municipalities = await session.execute(select(Municipality.code, Municipality.name))
    owners: dict[str, list[str]] = defaultdict(list)
    owned = await session.execute(
        select(source_owner.c.source_code, source_owner.c.municipality_code).order_by(
            source_owner.c.municipality_code
        )
    )
    for code, municipality in owned:
        owners[code].append(municipality)
    kinds = await session.execute(select(S.c.code, S.c.kind))
    return Directory(
        municipalities={row.code: row.name for row in municipalities},
        sources={row.code: (row.kind, owners.get(row.code, [])) for row in kinds},
    )


async def stored(
    session: AsyncSession, source_code: str, source_ids: Sequence[str]
) -> dict[str, Stored]:
    """Source id -> the stored record with its IT systems, technologies, links, benefits
    and reuse links, for the records of ``source_ids`` that the source holds."""
    if not source_ids:
        return {}
    rows = (
        (
            await session.execute(
                select(P).where(P.c.source_code == source_code, P.c.source_id.in_(source_ids))
            )
        )
        .mappings()
        .all()
    )
    ids = [row["id"] for row in rows]
    children = await _children(session, ids)
    children["umbrella_ids"] = await _umbrellas(session, source_code, rows)
    found: dict[str, Stored] = {}
    for row in rows:
        content = {k: v for k, v in snapshot(dict(row)).items() if k not in _NOT_CONTENT}
        for name, by_process in children.items():
            content[name] = sorted(by_process.get(row["id"], []), key=repr)
        found[row["source_id"]] = Stored(
            row["id"], row["title"], row["created_at"], row["updated_at"], content
        )
    return found


async def _children(
    session: AsyncSession, ids: Sequence[uuid.UUID]
) -> dict[str, dict[uuid.UUID, list[Any]]]:
    IS, T = cast(Table, ItSystem.__table__), cast(Table, Technology.__table__)
    L, B = cast(Table, ProcessLink.__table__), cast(Table, BenefitRecord.__table__)
    R, PR = cast(Table, ReuseLink.__table__), cast(Table, PendingReuse.__table__)
    origin = P.alias("origin")
    statements = {
        "it_systems": select(process_it_system.c.process_id, IS.c.name).join(
            IS, IS.c.code == process_it_system.c.it_system_code
        ),
        "technologies": select(process_technology.c.process_id, T.c.name).join(
            T, T.c.code == process_technology.c.technology_code
        ),
        "links": select(L.c.process_id, L.c.url, L.c.label, L.c.internal),
        "benefits": select(
            B.c.process_id,
            B.c.period,
            B.c.kind,
            B.c.cases,
            B.c.hours_saved,
            B.c.money_amount,
            B.c.currency,
            B.c.note,
        ),
        "reused_from": select(
            R.c.derived_id,
            func.coalesce(origin.c.source_id, origin.c.id.cast(String)),
            R.c.kind,
            R.c.note,
            R.c.reused_on,
        ).join(origin, origin.c.id == R.c.origin_id),
        "reused_from_pending": select(
            PR.c.derived_id, PR.c.origin_source_id, PR.c.kind, PR.c.note, PR.c.reused_on
        ),
    }
    found: dict[str, dict[uuid.UUID, list[Any]]] = {}
    for name, statement in statements.items():
        key = statement.selected_columns[0]
        grouped: dict[uuid.UUID, list[Any]] = defaultdict(list)
        for row in await session.execute(statement.where(key.in_(ids))):
            values = list(snapshot({str(i): value for i, value in enumerate(row[1:])}).values())
            grouped[row[0]].append(values[0] if len(values) == 1 else values)
        found[name] = grouped
    pending = found.pop("reused_from_pending")
    for process_id, links in pending.items():
        found["reused_from"][process_id].extend(links)
    return found


async def _umbrellas(
    session: AsyncSession, source_code: str, rows: Sequence[Any]
) -> dict[uuid.UUID, list[Any]]:
    """The umbrellas each record names, made or still waiting for the umbrella: a file
    that moves a member to another umbrella changes that member."""
    U, PU = process_umbrella, cast(Table, PendingUmbrella.__table__)
    umbrella = P.alias("umbrella")
    found: dict[uuid.UUID, list[Any]] = defaultdict(list)
    made = select(
        U.c.child_id, func.coalesce(umbrella.c.source_id, umbrella.c.id.cast(String))
    ).join(umbrella, umbrella.c.id == U.c.umbrella_id)
    for child_id, name in await session.execute(
        made.where(U.c.child_id.in_(row["id"] for row in rows))
    ):
        found[child_id].append(name)
    by_source_id = {row["source_id"]: row["id"] for row in rows}
    waiting = select(PU.c.child_source_id, PU.c.umbrella_source_id).where(
        PU.c.source_code == source_code, PU.c.child_source_id.in_(by_source_id)
    )
    for child, name in await session.execute(waiting):
        found[by_source_id[child]].append(name)
    return found


async def stored_titles(session: AsyncSession, source_code: str) -> dict[str, str]:
    """Source id -> title of every record the source holds."""
    rows = await session.execute(
        select(P.c.source_id, P.c.title).where(P.c.source_code == source_code)
    )
    return {row.source_id: row.title for row in rows}


async def touch(session: AsyncSession, process_ids: Sequence[uuid.UUID], moment: datetime) -> None:
    """A row that says nothing of when it changed: it changed now."""
    await session.execute(update(P).where(P.c.id.in_(process_ids)).values(updated_at=moment))


async def record_outcome(
    session: AsyncSession,
    source_code: str,
    *,
    started: datetime,
    upserts: int,
    deletes: int,
    skipped: int,
    problems: str | None,
) -> None:
    """On the source row, as a sync run would be: ``sources`` shows the last import."""
    await session.execute(
        update(S)
        .where(S.c.code == source_code)
        .values(
            last_sync_started_at=started,
            last_sync_finished_at=func.now(),
            last_success_at=func.now(),
            last_outcome=RunOutcome.PARTIAL if problems else RunOutcome.OK,
            last_error=problems[:4000] if problems else None,
            consecutive_failures=0,
            circuit_open_until=None,
            last_run_upserts=upserts,
            last_run_deletes=deletes,
            last_run_skipped=skipped,
        )
    )
