"""A mirrored process's child rows: IT systems, technologies, benefits, links, reuse links.

Each set is compared with what is stored and rewritten only when it differs, so a page
that re-sends unchanged records writes no child rows (and the change feed of this
gateway does not move for them). Reuse links name their origin by the remote's id: one of
the same source's records, or (a reusegraph remote names a copy it mirrored by the
original's id, ``changes.canonical_id``) a record another reusegraph source brought, or
one hosted here. An origin that has not arrived yet waits in ``pending_reuse`` (shown as
``Process.pendingReuse``) and is linked when it does, through whichever source, in any
order of syncs.

A page's rows of one table go to PostgreSQL as one JSON array per column, which it
compares with the stored rows and writes the difference in two statements. Row by row, a page of
12 000 benefit records fired the change-log triggers (per statement) 12 000 times, and
comparing in Python cost the sync more CPU than PostgreSQL spent writing; see
bench/results/2026-11-21-sync.md. Processes the page has just created hold no children
yet, so theirs are inserted without a comparison.
"""

import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import Any, cast

import orjson
from sqlalchemy import Table, TextClause, delete, insert, or_, select, text
from sqlalchemy.dialects import registry
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from reusegraph.store.enums import SourceKind
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
from reusegraph.store.models.sources import PendingReuse, Source

_DIALECT = registry.load("postgresql.asyncpg")()
P = cast(Table, Process.__table__)
B = cast(Table, BenefitRecord.__table__)
L = cast(Table, ProcessLink.__table__)
R = cast(Table, ReuseLink.__table__)
PR = cast(Table, PendingReuse.__table__)


def json_parameter(value: Any) -> str:
    """``value`` as the text of one JSON parameter (dates ISO, decimals exact)."""
    return orjson.dumps(value, default=_json_value, option=orjson.OPT_NAIVE_UTC).decode()


def _json_value(value: Any) -> Any:
    """What orjson leaves to us: exact decimals, and asyncpg's own UUID class."""
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    raise TypeError(f"cannot send {type(value).__name__} as JSON")


_PARAMETER = "column_"


@dataclass(frozen=True)
class _ChildTable:
    table: Table
    key: str
    columns: tuple[str, ...]
    with_id: bool = False
    defaults: dict[str, str] = field(default_factory=dict)
    """SQL for a column the incoming row leaves out."""

    @cached_property
    def _incoming(self) -> str:
        """The page's rows, typed as the table's columns (so compared as stored).

        One JSON array per column (``:parents`` names each row's process), zipped by
        ``ROWS FROM`` and read with each type's own input function. As one ``jsonb`` page
        of objects, parsing cost PostgreSQL 60 ms more per page of 12 000 benefit records
        (``json`` objects were no better overall); as ``text[]`` parameters, asyncpg's
        check of every element cost the sync as much CPU again.
        """
        values = ", ".join(
            (
                f"coalesce(CAST(i.{n} AS {self._type(n)}), {self.defaults[n]}) AS {n}"
                if n in self.defaults
                else f"CAST(i.{n} AS {self._type(n)}) AS {n}"
            )
            for n in self.columns
        )
        arrays = ", ".join(
            f"json_array_elements_text(CAST(:{p} AS json))"
            for p in ("parents", *(_PARAMETER + n for n in self.columns))
        )
        return (
            f"SELECT CAST(i.parent AS uuid) AS parent, {values}"
            f" FROM ROWS FROM ({arrays}) AS i(parent, {', '.join(self.columns)})"
        )

    def _type(self, name: str) -> str:
        return str(self.table.c[name].type.compile(dialect=_DIALECT))

    def parameters(self, page: list[dict[str, Any]], keys: Iterable[Any]) -> dict[str, str]:
        """The arrays of ``_incoming``: the rows of ``page`` (``{"key", "rows"}``) of ``keys``."""
        wanted = set(keys)
        page = [entry for entry in page if entry["key"] in wanted]
        rows = [row for entry in page for row in entry["rows"]]
        found = {"parents": json_parameter([entry["key"] for entry in page for _ in entry["rows"]])}
        for n in self.columns:
            found[_PARAMETER + n] = json_parameter([row.get(n) for row in rows])
        return found

    @cached_property
    def changed(self) -> TextClause:
        """Deletes the rows of the ``:keys`` whose incoming set differs; returns those keys.

        The incoming rows are those of the ``:keys`` only (``parameters`` picks them): a
        filter on the rows here would compare each with every key."""
        columns = ", ".join(self.columns)
        return text(
            f"WITH incoming AS ({self._incoming}),"
            f" stored AS (SELECT {self.key} AS parent, {columns} FROM {self.table.name}"
            f" WHERE {self.key} = ANY(CAST(:keys AS uuid[]))),"
            " changed AS (SELECT DISTINCT parent FROM ("
            "(SELECT * FROM incoming EXCEPT SELECT * FROM stored)"
            " UNION ALL (SELECT * FROM stored EXCEPT SELECT * FROM incoming)) AS difference),"
            f" gone AS (DELETE FROM {self.table.name} AS t USING changed"
            f" WHERE t.{self.key} = changed.parent)"
            " SELECT parent FROM changed"
        )

    @cached_property
    def insert(self) -> TextClause:
        """Every incoming row, in one statement (the triggers fire once)."""
        columns = ", ".join(self.columns)
        if not self.with_id:
            return text(
                f"INSERT INTO {self.table.name} ({self.key}, {columns})"
                f" SELECT parent, {columns} FROM ({self._incoming}) AS incoming"
            )
        return text(
            f"WITH seed AS MATERIALIZED ({_ID_SEED})"
            f" INSERT INTO {self.table.name} (id, {self.key}, {columns})"
            f" SELECT {_TIME_ORDERED_ID}, parent, {columns}"
            f" FROM ({self._incoming}) AS incoming CROSS JOIN seed"
        )


_SYSTEMS = _ChildTable(process_it_system, "process_id", ("it_system_code",))
_TECHNOLOGIES = _ChildTable(process_technology, "process_id", ("technology_code",))
_BENEFITS = _ChildTable(
    B,
    "process_id",
    ("period", "kind", "cases", "hours_saved", "money_amount", "currency", "note"),
    with_id=True,
    defaults={"kind": "'MEASURED'"},
)
_LINKS = _ChildTable(L, "process_id", ("url", "label", "internal"), with_id=True)
_REUSE = _ChildTable(R, "derived_id", ("origin_id", "kind", "note", "reused_on"), with_id=True)

# UUIDv7 (RFC 9562: milliseconds since 1970, version 7, then random bits). New rows then
# go to the right edge of the primary-key index instead of a random leaf each: inserting
# a page of benefit records into 2.4 million took a fifth less time than with random
# ids. The random bits are drawn once per statement and its rows count up from them
# (as RFC 9562's counter methods do): ``gen_random_uuid()`` per row cost 2.9 us, 7 s of
# PostgreSQL CPU over a first sync's 2.4 million benefit records; this costs 0.5 us.
_ID_SEED = (
    "SELECT (floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint << 16)"
    " | 28672 | floor(random() * 4096)::bigint AS high,"  # 28672: 0x7000, the version
    " floor(random() * 4611686018427387904)::bigint AS low"  # 62 random bits
)
_TIME_ORDERED_ID = (
    "CAST(encode(int8send(seed.high) || int8send(((seed.low + row_number() OVER ())"
    " & 4611686018427387903) | -9223372036854775808), 'hex') AS uuid)"  # variant 0b10
)

Rows = Callable[[MirrorRecord], Sequence[dict[str, Any]]]


async def replace_children(
    session: AsyncSession,
    source_code: str,
    records: Sequence[MirrorRecord],
    applied: dict[str, Any],
    fresh: Iterable[Any] = (),
) -> None:
    """``fresh``: ids of processes this transaction created (they have no children yet)."""
    if not records:
        return
    created = set(fresh)
    systems = await catalog_codes(session, ItSystem, {i for r in records for i in r.it_systems})
    techs = await catalog_codes(session, Technology, {i for r in records for i in r.technologies})
    origins = await _origins(session, source_code, records)

    async def write(child: _ChildTable, rows: Rows) -> None:
        page = [{"key": applied[r.source_id], "rows": rows(r)} for r in records]
        await _write(session, child, page, created)

    await write(
        _SYSTEMS, lambda r: _unique({"it_system_code": systems[i.code]} for i in r.it_systems)
    )
    await write(
        _TECHNOLOGIES, lambda r: _unique({"technology_code": techs[i.code]} for i in r.technologies)
    )
    await write(_BENEFITS, lambda r: r.benefits)
    await write(
        _LINKS,
        lambda r: _unique(
            {"url": k.url, "label": k.label, "internal": k.internal} for k in r.links
        ),
    )
    await write(
        _REUSE,
        lambda r: _unique(
            {
                "origin_id": origins[ref.origin_id],
                "kind": ref.kind,
                "note": ref.note,
                "reused_on": ref.reused_on,
            }
            for ref in r.reused_from
            if ref.origin_id in origins and origins[ref.origin_id] != applied[r.source_id]
        ),
    )
    ids = [applied[r.source_id] for r in records]
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
    await link_arrived_origins(session, source_code, [r.source_id for r in records])


def _unique(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """A set, as before: the same row twice is one row."""
    return list({tuple(row.items()): row for row in rows}.values())


async def _write(
    session: AsyncSession, child: _ChildTable, page: list[dict[str, Any]], fresh: set[Any]
) -> None:
    held = [entry["key"] for entry in page if entry["key"] not in fresh]
    filled = [entry["key"] for entry in page if entry["key"] in fresh and entry["rows"]]
    if held:
        arrays = child.parameters(page, held)
        changed = await session.execute(child.changed, {**arrays, "keys": held})
        filled += list(changed.scalars())
    if filled:
        await session.execute(child.insert, child.parameters(page, filled))


async def link_arrived_origins(
    session: AsyncSession, source_code: str, arrived: Sequence[str] | None = None
) -> None:
    """Pending reuse links whose origin is now here become real links.

    ``arrived``: the source ids just written. Only they can be newly arrived origins (a
    link to an origin already here is made at once, never left pending), so the pending
    rows are narrowed to them before the join: a page's lookups stay as small as the
    page, whatever plan PostgreSQL picks for a table it has no statistics of yet.
    """
    # Pending links of this source, or of any source when this one is a reusegraph
    # remote (its ids are the originals', which other remotes name their origins by).
    where = (
        "p.source_code = :code AND (pr.source_code = :code OR EXISTS (SELECT FROM source s"
        f" WHERE s.code = :code AND s.kind = '{SourceKind.GRAPHQL.value}'))"
    )
    params: dict[str, Any] = {"code": source_code}
    if arrived is not None:
        where += " AND pr.origin_source_id = ANY(CAST(:arrived AS text[]))"
        params["arrived"] = list(arrived)
    join = (
        f" FROM pending_reuse pr JOIN process p ON p.source_id = pr.origin_source_id WHERE {where}"
    )
    await session.execute(
        text(
            "INSERT INTO reuse_link (id, derived_id, origin_id, kind, note, reused_on)"
            " SELECT gen_random_uuid(), pr.derived_id, p.id, pr.kind, pr.note, pr.reused_on"
            + join
            + " AND p.id <> pr.derived_id ON CONFLICT DO NOTHING"
        ),
        params,
    )
    await session.execute(
        text(
            "DELETE FROM pending_reuse pr USING process p WHERE"
            f" p.source_id = pr.origin_source_id AND {where}"
        ),
        params,
    )


async def catalog_codes(
    session: AsyncSession, vocabulary: type[ItSystem] | type[Technology], items: set[CatalogItem]
) -> dict[str, str]:
    """Remote code -> our code; unknown entries join the shared catalog (it only grows).

    Looked up before inserting: an ``ON CONFLICT DO NOTHING`` of codes that another
    source's page is inserting at the same moment waits for that page to commit, and
    every page names the same few codes.
    """
    if not items:
        return {}
    table = cast(Table, vocabulary.__table__)
    codes, names = {i.code for i in items}, {i.name for i in items}
    lookup = select(table.c.code, table.c.name).where(
        or_(table.c.code.in_(codes), table.c.name.in_(names))
    )
    found = (await session.execute(lookup)).all()
    known, known_names = {row.code for row in found}, {row.name for row in found}
    missing = [i for i in items if i.code not in known and i.name not in known_names]
    if missing:
        by_code_item = {i.code: i for i in sorted(missing, key=lambda i: (i.code, i.name))}
        rows: list[dict[str, Any]] = [
            {"code": i.code, "name": i.name} for i in by_code_item.values()
        ]
        if "supplier" in table.c:
            rows = [{**row, "supplier": by_code_item[row["code"]].supplier} for row in rows]
        await session.execute(pg_insert(table).values(rows).on_conflict_do_nothing())
        found = (await session.execute(lookup)).all()
        known = {row.code for row in found}
    by_name = {row.name: row.code for row in found}
    return {i.code: i.code if i.code in known else by_name[i.name] for i in items}


async def _origins(
    session: AsyncSession, source_code: str, records: Sequence[MirrorRecord]
) -> dict[str, Any]:
    """Remote origin id -> our process id: an origin this source has already brought, else
    one another reusegraph source brought (by the original's id), else one hosted here."""
    wanted = {ref.origin_id for r in records for ref in r.reused_from}
    if not wanted:
        return {}
    rows = await session.execute(
        select(P.c.source_id, P.c.id).where(
            P.c.source_code == source_code, P.c.source_id.in_(wanted)
        )
    )
    found = {row.source_id: row.id for row in rows}
    elsewhere = wanted - set(found)
    if elsewhere:
        S = cast(Table, Source.__table__)
        mirrored = select(P.c.source_id.label("key"), P.c.id).where(
            P.c.source_id.in_(elsewhere),
            P.c.source_code.in_(select(S.c.code).where(S.c.kind == SourceKind.GRAPHQL.value)),
        )
        for row in await session.execute(mirrored):
            found.setdefault(row.key, row.id)
        hosted = _uuids(elsewhere - set(found))
        if hosted:
            for process_id in await session.scalars(select(P.c.id).where(P.c.id.in_(hosted))):
                found.setdefault(str(process_id), process_id)
    return found


def _uuids(keys: Iterable[str]) -> list[uuid.UUID]:
    """The keys that are ids of this registry's own form (a hosted process's)."""
    found = []
    for key in keys:
        try:
            found.append(uuid.UUID(key))
        except ValueError:
            continue
    return found
