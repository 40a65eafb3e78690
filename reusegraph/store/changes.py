"""Reading the change feed: what changed in a municipality's processes since a position.

Positions are ``(xid, seq)`` of ``process_change`` (kept by triggers, migration 0004).
A plain sequence is not enough: transactions commit out of order, so a reader could see
seq 11 while seq 10 is still uncommitted, move past it, and never see it. The feed
therefore only hands out positions whose transaction is older than every transaction
still running (the snapshot's ``xmin``): nothing can appear behind them any more.

Visibility is the viewer's: for members of the owning municipality (the usual reader
of a feed: the owner's own sync client), a process they may not read (deleted, or made
PERSONAL) comes out as a tombstone, so a mirror drops what it should no longer show.
A process that moved to another municipality is a tombstone in its old municipality's
feed (migration 0007), and an upsert naming its new municipality in an unfiltered one.
Other callers get tombstones only for records that were public at some time (a mirror
may hold those); of a record they never could read they learn nothing.
"""

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Text, case, cast, func, or_, select, tuple_
from sqlalchemy.engine import Row

from reusegraph.auth.principal import Principal
from reusegraph.store.engine import Reader
from reusegraph.store.enums import SourceKind
from reusegraph.store.models import (
    BenefitRecord,
    ItSystem,
    Process,
    ProcessLink,
    ReuseLink,
    Technology,
    Vendor,
    process_it_system,
    process_technology,
)
from reusegraph.store.models.processes import ProcessChange
from reusegraph.store.models.sources import Source
from reusegraph.store.processes import process_columns
from reusegraph.store.umbrellas import umbrellas_by_member
from reusegraph.store.visibility import readable_processes

C = ProcessChange.__table__
P = Process.__table__
MAX_FIRST = 1000


@dataclass(frozen=True, order=True)
class Position:
    xid: int
    seq: int


START = Position(0, 0)


@dataclass
class FeedProcess:
    row: Row[Any]
    vendor: Row[Any] | None = None
    it_systems: list[Row[Any]] = field(default_factory=list)
    technologies: list[Row[Any]] = field(default_factory=list)
    benefits: list[Row[Any]] = field(default_factory=list)
    reused_from: list[Row[Any]] = field(default_factory=list)
    links: list[Row[Any]] = field(default_factory=list)
    umbrellas: list[uuid.UUID] = field(default_factory=list)
    """Ids of the readable umbrellas it belongs to."""


@dataclass(frozen=True)
class FeedTombstone:
    process_id: uuid.UUID
    municipality_code: str
    deleted_at: Any


@dataclass
class FeedPage:
    upserts: list[FeedProcess]
    tombstones: list[FeedTombstone]
    position: Position
    """Where the next page starts: the last entry handed out (``since`` if none)."""
    has_more: bool


def _horizon() -> Any:
    """The oldest transaction still running: positions at or after it may still fill in."""
    return cast(cast(func.pg_snapshot_xmin(func.pg_current_snapshot()), Text), BigInteger)


async def changes(
    reader: Reader,
    viewer: Principal,
    *,
    since: Position,
    first: int,
    municipality: str | None = None,
) -> FeedPage:
    statement = (
        select(
            C.c.process_id,
            C.c.municipality_code,
            C.c.xid,
            C.c.seq,
            C.c.deleted,
            C.c.was_public,
            C.c.changed_at,
        )
        .where(tuple_(C.c.xid, C.c.seq) > tuple_(since.xid, since.seq), C.c.xid < _horizon())
        .order_by(C.c.xid, C.c.seq)
        .limit(first + 1)
    )
    if municipality is not None:
        statement = statement.where(C.c.municipality_code == municipality)
    entries = list((await reader.execute(statement)).all())
    has_more = len(entries) > first
    entries = entries[:first]
    if not entries:
        # With ``first`` 0 nothing is handed out, but what is there still is: has_more.
        return FeedPage([], [], since, has_more)
    live = {e.process_id for e in entries if not e.deleted}
    found = await _processes(reader, viewer, list(live))
    upserts: list[FeedProcess] = []
    tombstones: list[FeedTombstone] = []
    for entry in entries:
        if entry.deleted and entry.process_id in live:
            # It left another municipality for this page's live entry: that one says it all.
            continue
        record = None if entry.deleted else found.get(entry.process_id)
        if record is None:
            if not (entry.was_public or viewer.is_member_of(entry.municipality_code)):
                # Outsiders learn nothing of a record they never could read, not even
                # that it exists; one that was public once is withdrawn from them too.
                continue
            tombstones.append(
                FeedTombstone(entry.process_id, entry.municipality_code, entry.changed_at)
            )
        else:
            upserts.append(record)
    last = entries[-1]
    return FeedPage(upserts, tombstones, Position(last.xid, last.seq), has_more)


async def _processes(
    reader: Reader, viewer: Principal, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, FeedProcess]:
    if not ids:
        return {}
    statement = select(*process_columns(viewer)).where(P.c.id.in_(ids), readable_processes(viewer))
    found = {row.id: FeedProcess(row) for row in (await reader.execute(statement)).all()}
    if not found:
        return found
    keys = list(found)
    vendor_ids = {r.row.vendor_id for r in found.values() if r.row.vendor_id is not None}
    vendors = await _vendors(reader, vendor_ids)
    for record in found.values():
        record.vendor = vendors.get(record.row.vendor_id)
    for name, rows in (
        ("it_systems", await _catalog(reader, process_it_system, ItSystem, keys)),
        ("technologies", await _catalog(reader, process_technology, Technology, keys)),
        ("benefits", await _benefits(reader, keys)),
        ("reused_from", await _reused_from(reader, viewer, keys)),
        ("links", await _links(reader, viewer, keys)),
        ("umbrellas", await umbrellas_by_member(reader, viewer, keys)),
    ):
        for process_id, items in rows.items():
            setattr(found[process_id], name, items)
    return found


def _grouped(rows: Sequence[Row[Any]], key: str) -> dict[uuid.UUID, list[Row[Any]]]:
    grouped: dict[uuid.UUID, list[Row[Any]]] = defaultdict(list)
    for row in rows:
        grouped[row._mapping[key]].append(row)
    return grouped


async def _vendors(reader: Reader, ids: set[uuid.UUID]) -> dict[uuid.UUID, Row[Any]]:
    if not ids:
        return {}
    V = Vendor.__table__
    statement = select(V.c.id, V.c.name, V.c.country, V.c.org_number).where(V.c.id.in_(ids))
    return {row.id: row for row in (await reader.execute(statement)).all()}


async def _catalog(
    reader: Reader, link: Any, vocabulary: Any, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Row[Any]]]:
    code_column = next(c for c in link.c if c.name != "process_id")
    V = vocabulary.__table__
    statement = (
        select(link.c.process_id, V.c.code, V.c.name)
        .join(V, V.c.code == code_column)
        .where(link.c.process_id.in_(ids))
        .order_by(link.c.process_id, V.c.code)
    )
    return _grouped((await reader.execute(statement)).all(), "process_id")


async def _benefits(reader: Reader, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[Row[Any]]]:
    B = BenefitRecord.__table__
    statement = select(B).where(B.c.process_id.in_(ids)).order_by(B.c.period, B.c.kind)
    return _grouped((await reader.execute(statement)).all(), "process_id")


async def _reused_from(
    reader: Reader, viewer: Principal, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Row[Any]]]:
    R = ReuseLink.__table__
    origin = P.alias("origin")
    home = Source.__table__.alias("home")
    statement = (
        select(
            R.c.derived_id,
            canonical_id(origin, home).label("origin_id"),
            R.c.kind,
            R.c.note,
            R.c.reused_on,
            origin.c.municipality_code.label("origin_municipality"),
        )
        .join(origin, origin.c.id == R.c.origin_id)
        .outerjoin(home, home.c.code == origin.c.source_code)
        .where(R.c.derived_id.in_(ids), readable_processes(viewer, origin))
        .order_by(R.c.derived_id, R.c.origin_id)
    )
    return _grouped((await reader.execute(statement)).all(), "derived_id")


def canonical_id(process: Any, source: Any) -> ColumnElement[str]:
    """A process's id where it lives: a copy mirrored from another reusegraph names the
    original (its source id there), anything else its id here. A gateway that mirrors
    both registries can then link a reuse to an origin that arrived through another
    source (``mirror_children``), which a copy's local id would not let it find."""
    return case(
        (source.c.kind == SourceKind.GRAPHQL.value, process.c.source_id),
        else_=cast(process.c.id, Text),
    )


async def _links(
    reader: Reader, viewer: Principal, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Row[Any]]]:
    L = ProcessLink.__table__
    shown: ColumnElement[bool] = L.c.internal.is_(False)
    if viewer.municipality is not None and viewer.is_member_of(viewer.municipality):
        own = select(P.c.id).where(P.c.municipality_code == viewer.municipality)
        shown = or_(shown, L.c.process_id.in_(own))
    statement = (
        select(L.c.process_id, L.c.url, L.c.label, L.c.internal)
        .where(L.c.process_id.in_(ids), shown)
        .order_by(L.c.process_id, L.c.url)
    )
    return _grouped((await reader.execute(statement)).all(), "process_id")
