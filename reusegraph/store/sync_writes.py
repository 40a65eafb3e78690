"""Writing a sync page: idempotent upserts by (source, source id), tombstones, provenance.

The caller owns the transaction (one per page) and runs it as the system, which may
write any municipality's rows; the ownership rule is enforced here instead: a source
writes only its owners' records. Applying the same page twice leaves the same rows, and
an older version of a record never overwrites a newer one (``updated_at`` decides), so
duplicates, out-of-order pages and re-sent pages all converge to the remote's data.
"""

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    Table,
    Text,
    bindparam,
    case,
    delete,
    func,
    literal,
    literal_column,
    or_,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.dialects.postgresql import JSON
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from reusegraph.store.mirror_children import json_parameter, replace_children
from reusegraph.store.mirror_records import (
    WRITABLE,
    MirrorRecord,
    Tombstone,
    check,
    complete,
    mirror_id,
)
from reusegraph.store.mirror_umbrellas import replace_umbrellas
from reusegraph.store.models import Process, Source, Vendor

P = cast(Table, Process.__table__)
S = cast(Table, Source.__table__)
_CONTENT = (*(n for n in WRITABLE if n not in ("created_at", "updated_at")), "source_url")


_COLUMNS = ("id", *WRITABLE, "source_code", "source_id", "source_url", "synced_at")


def _upsert_statement() -> Any:
    """Insert, or update when the incoming copy is not older; the version moves on a change.

    The page travels as one JSON parameter that PostgreSQL unpacks into ``process`` rows
    (``json_populate_recordset``): a multi-row VALUES of 500 rows x 67 columns took
    longer to parse and bind than to execute, and as much Python time again. ``json``,
    not ``jsonb``: read in one pass, a page cost PostgreSQL 20 ms of CPU against 30-40.
    """
    incoming = (
        func.json_populate_recordset(
            literal_column("NULL::process"), sql_cast(bindparam("rows", type_=Text), JSON)
        )
        .table_valued(*_COLUMNS)
        .alias("incoming")
    )
    inserting = pg_insert(P).from_select(
        [*_COLUMNS, "version"],
        select(*(incoming.c[n] for n in _COLUMNS), literal(1)),
        include_defaults=False,
    )
    new = inserting.excluded
    changed = tuple_(*(P.c[n] for n in _CONTENT)).is_distinct_from(
        tuple_(*(new[n] for n in _CONTENT))
    )
    return inserting.on_conflict_do_update(
        index_elements=[P.c.source_code, P.c.source_id],
        set_={
            **{n: new[n] for n in (*WRITABLE, "source_url", "synced_at")},
            "version": P.c.version + case((changed, 1), else_=0),
        },
        where=P.c.updated_at <= new.updated_at,
    ).returning(P.c.source_id, P.c.id)


_UPSERT = _upsert_statement()


@dataclass
class PageOutcome:
    upserted: int = 0
    deleted: int = 0
    older: int = 0
    """Records older than the copy already here (out of order): kept as they were."""
    skipped: list[tuple[str, str]] = field(default_factory=list)
    """(source id, why) of records that cannot be stored."""
    foreign: int = 0
    """Records of municipalities this source does not own (a shared listing): not ours."""
    dropped: list[tuple[str, str]] = field(default_factory=list)
    """(source id, why) of the records not ours, when the caller said why (``why_not_ours``)."""


_PAGE_SETTINGS = text("SELECT set_config('jit', 'off', true)")
"""``SET LOCAL jit = off``: a page's statements run for milliseconds, but the row-security
filters make their cost estimates large enough for JIT, which then spent 100 ms
compiling each comparison of an incremental page.

Hash and merge joins were off here too for a while: the rollup triggers then hash-joined
a page's transition table (no statistics) to a full scan of ``process``, and a first
sync of 100 000 processes took 89 s with them, 64 s without. The triggers probe by key
themselves now (migration 0006), and turning them off no longer made a difference
(64 and 66 s); see bench/results/2026-11-21-sync.md.
"""


async def apply_page(
    session: AsyncSession,
    source_code: str,
    owners: Collection[str],
    records: Sequence[MirrorRecord],
    tombstones: Sequence[Tombstone],
    *,
    synced_at: datetime,
    why_not_ours: Mapping[str, str] | None = None,
) -> PageOutcome:
    """``why_not_ours``: municipality code -> why its records are not this source's
    (``sync_owners.bring_owners``); those records are reported in ``dropped``."""
    await session.execute(_PAGE_SETTINGS)
    outcome = PageOutcome()
    newest = _newest(records)
    gone = {t.source_id: t for t in tombstones}
    for source_id, tombstone in list(gone.items()):
        record = newest.get(source_id)
        if record is None:
            continue
        if _deleted_after(tombstone, record):
            del newest[source_id]
        else:
            del gone[source_id]
    storable: list[tuple[MirrorRecord, dict[str, Any]]] = []
    for record in newest.values():
        if record.municipality is not None and record.municipality not in owners:
            # Not ours; if it was (it moved to another municipality), our copy goes.
            outcome.foreign += 1
            gone[record.source_id] = Tombstone(record.source_id)
            if why_not_ours and record.municipality in why_not_ours:
                outcome.dropped.append((record.source_id, why_not_ours[record.municipality]))
            continue
        values = complete(record)
        reason = check(record, values)
        if reason is not None:
            outcome.skipped.append((record.source_id, reason))
        else:
            storable.append((record, values))
    if storable:
        applied, fresh = await _upsert(session, source_code, storable, synced_at)
        outcome.upserted = len(applied)
        outcome.older = len(storable) - len(applied)
        written = [r for r, _ in storable if r.source_id in applied]
        await replace_children(session, source_code, written, applied, fresh)
        await replace_umbrellas(session, source_code, written, applied)
    if gone:
        outcome.deleted = await _delete(session, source_code, list(gone.values()))
    await session.execute(
        update(S)
        .where(S.c.code == source_code)
        .values(
            record_count=select(func.count())
            .select_from(P)
            .where(P.c.source_code == source_code)
            .scalar_subquery()
        )
    )
    return outcome


def _newest(records: Iterable[MirrorRecord]) -> dict[str, MirrorRecord]:
    """One record per source id: the newest; on a tie the later one (the remote's order)."""
    chosen: dict[str, MirrorRecord] = {}
    for record in records:
        previous = chosen.get(record.source_id)
        if previous is None or not _older(record.updated_at, previous.updated_at):
            chosen[record.source_id] = record
    return chosen


def _older(a: datetime | None, b: datetime | None) -> bool:
    return a is not None and b is not None and a < b


def _deleted_after(tombstone: Tombstone, record: MirrorRecord) -> bool:
    return not _older(tombstone.deleted_at, record.updated_at)


async def _upsert(
    session: AsyncSession,
    source_code: str,
    storable: Sequence[tuple[MirrorRecord, dict[str, Any]]],
    synced_at: datetime,
) -> tuple[dict[str, Any], set[Any]]:
    """Source id -> process id of the records written (newer or equal to ours), and the
    ids of the processes that were not here before (so they have no child rows yet).
    ``storable``: each record with its ``complete`` column values."""
    records = [record for record, _ in storable]
    vendors = await _vendor_ids(session, records)
    held = await session.execute(
        select(P.c.id).where(
            P.c.source_code == source_code,
            P.c.source_id.in_([record.source_id for record in records]),
        )
    )
    existing = set(held.scalars())
    rows = []
    for record, values in storable:
        values["created_at"] = values["created_at"] or synced_at
        values["updated_at"] = values["updated_at"] or synced_at
        if record.vendor is not None:
            vendor_id = vendors.get(record.vendor.name.casefold())
            values["vendor_id"] = vendor_id
            if vendor_id is None:
                values["extras"] = {**values["extras"], "vendor": _vendor_extra(record)}
        values["id"] = mirror_id(source_code, record.source_id)
        values["source_code"] = source_code
        values["source_id"] = record.source_id
        values["source_url"] = record.source_url
        values["synced_at"] = synced_at
        rows.append(values)
    page = json_parameter(rows)
    applied = {row.source_id: row.id for row in await session.execute(_UPSERT, {"rows": page})}
    older = [r.source_id for r in records if r.source_id not in applied]
    if older:
        # Still there at the remote: confirmed, though this copy was newer.
        await session.execute(
            update(P)
            .where(P.c.source_code == source_code, P.c.source_id.in_(older))
            .values(synced_at=synced_at)
        )
    return applied, set(applied.values()) - existing


async def _vendor_ids(session: AsyncSession, records: Sequence[MirrorRecord]) -> dict[str, Any]:
    """Vendors are shared, not owned by a source: matched by org number or name, never made."""
    refs = [r.vendor for r in records if r.vendor is not None]
    if not refs:
        return {}
    V = cast(Table, Vendor.__table__)
    names = {ref.name.casefold() for ref in refs}
    numbers = {ref.org_number for ref in refs if ref.org_number}
    found = (
        await session.execute(
            select(V.c.id, V.c.name, V.c.org_number).where(
                or_(func.lower(V.c.name).in_(names), V.c.org_number.in_(numbers))
            )
        )
    ).all()
    by_number = {row.org_number: row.id for row in found if row.org_number}
    by_name = {row.name.casefold(): row.id for row in found}
    return {
        ref.name.casefold(): by_number.get(ref.org_number or "") or by_name.get(ref.name.casefold())
        for ref in refs
    }


def _vendor_extra(record: MirrorRecord) -> dict[str, Any]:
    assert record.vendor is not None
    vendor = record.vendor
    return {"name": vendor.name, "country": vendor.country, "orgNumber": vendor.org_number}


async def _delete(session: AsyncSession, source_code: str, tombstones: Sequence[Tombstone]) -> int:
    statement = text(
        "DELETE FROM process p USING unnest(CAST(:ids AS text[]), CAST(:times AS timestamptz[]))"
        " AS t(source_id, deleted_at) WHERE p.source_code = :code AND p.source_id = t.source_id"
        " AND (t.deleted_at IS NULL OR p.updated_at <= t.deleted_at)"
    )
    result = await session.execute(
        statement,
        {
            "code": source_code,
            "ids": [t.source_id for t in tombstones],
            "times": [t.deleted_at for t in tombstones],
        },
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def delete_unseen(session: AsyncSession, source_code: str, scan_started: datetime) -> int:
    """After a complete listing (OS2autoproces has no feed): what it no longer lists is gone."""
    result = await session.execute(
        delete(P).where(P.c.source_code == source_code, P.c.synced_at < scan_started)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def purge_mirror(session: AsyncSession, source_code: str) -> int:
    """Drops a mirror's copies (the remote keeps the originals); hosted data is never purged."""
    kind = (await session.execute(select(S.c.kind).where(S.c.code == source_code))).scalar()
    if kind is None or kind == "hosted":
        return 0
    result = await session.execute(delete(P).where(P.c.source_code == source_code))
    return int(getattr(result, "rowcount", 0) or 0)


async def seen_since(session: AsyncSession, source_code: str, moment: datetime) -> int:
    statement = (
        select(func.count())
        .select_from(P)
        .where(P.c.source_code == source_code, P.c.synced_at >= moment)
    )
    return int((await session.execute(statement)).scalar_one())


async def count_records(session: AsyncSession, source_code: str) -> int:
    statement = select(func.count()).select_from(P).where(P.c.source_code == source_code)
    return int((await session.execute(statement)).scalar_one())


# Whose statistics the plans of a sync page's statements and triggers depend on: the
# foreign-key checks (process), the change log and the rollup triggers (the benefit
# rollups' own tables too), the reuse links.
# The big child tables are only ever reached by index, so sampling them is not worth it.
PLANNED_TABLES = (
    "process",
    "process_change",
    "process_rollup",
    "reuse_link",
    "pending_reuse",
    "process_benefit_months",
    "benefit_month_total",
    "benefit_month_set",
)


async def statistics_stale(connection: AsyncConnection) -> bool:
    """True once ``process`` has more changed rows than the planner believes it holds.

    Plans are cached per connection for as long as it lives, and a plan made while
    the table looked empty stays: the foreign-key check of every benefit row then
    scanned a whole index of ``process`` (``ix_process_updated_at_id``, chosen on a tie
    at zero rows), which made the first sync into an empty gateway quadratic. Measured
    in bench/results/2026-11-21-sync.md.
    """
    found = (
        await connection.execute(
            text(
                "SELECT c.reltuples, s.n_mod_since_analyze FROM pg_class c"
                " JOIN pg_stat_user_tables s ON s.relid = c.oid"
                " WHERE c.oid = to_regclass('process')"
            )
        )
    ).first()
    return found is not None and found.n_mod_since_analyze > max(found.reltuples, 0)


async def refresh_statistics(connection: AsyncConnection) -> None:
    """``ANALYZE`` those tables, which also makes every connection plan anew.

    Needs the tables' owner (the login that ran the migrations); for anyone else
    PostgreSQL skips them with a warning and autovacuum catches up later.
    """
    present = await connection.execute(
        text("SELECT t FROM unnest(CAST(:names AS text[])) AS t WHERE to_regclass(t) IS NOT NULL"),
        {"names": list(PLANNED_TABLES)},
    )
    names = [name for name in present.scalars() if name in PLANNED_TABLES]
    if names:
        # A tenth of the usual sample (3 000 rows): the plans of a page need row counts
        # and key spreads, not fine histograms, and the sample of ``process`` (a dozen
        # text, array and tsvector columns) was most of the ANALYZE's several seconds.
        # Autovacuum analyzes again at the full target once the sync has moved on.
        await connection.execute(text("SELECT set_config('default_statistics_target', '10', true)"))
        await connection.execute(text(f"ANALYZE {', '.join(names)}"))
