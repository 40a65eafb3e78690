"""Inserts the demo data set (facts + filler), or any filler data, with Core bulk inserts.

The demo goes in as one transaction: a failed load leaves the database empty, not
half-filled. Rows go in as one statement per batch of ``BATCH_ROWS``, so a statement never
holds more than a few thousand rows and stays far below the statement timeout. Shared
vocabulary rows (source, technologies, IT systems) are inserted with ``ON CONFLICT DO
NOTHING`` because both the facts and every filler data set carry them.
"""

import asyncio
import decimal
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import orjson
from sqlalchemy import Table, Text, bindparam, exists, func, literal_column, select, text
from sqlalchemy import cast as sql_cast
from sqlalchemy.dialects.postgresql import JSON
from sqlalchemy.dialects.postgresql import insert as pg_insert

from reusegraph.store import sync_writes
from reusegraph.store.demo import facts
from reusegraph.store.demo.filler import FillerData, iter_generate
from reusegraph.store.demo.filler_templates import LAEGEERKLAERINGER
from reusegraph.store.demo.rows import TABLES, DemoRows
from reusegraph.store.engine import Database
from reusegraph.store.models import Municipality

BATCH_ROWS = 5000
ROWS_PER_TRANSACTION = 50_000
# The filler of the shipped demo: 2 x 18 fictional municipalities (45 with the real ones),
# 22 processes each (about 830 in all), benefits for the 24 months up to October 2026.
DEMO_SEED = 2019
DEMO_MUNICIPALITIES_PER_COUNTRY = 18
DEMO_PROCESSES_PER_MUNICIPALITY = 22
DEMO_MONTHS = 24
DEMO_END_MONTH = date(2026, 10, 1)

_SHARED = {"sources", "technologies", "it_systems"}
_LOCK_KEY = 0x72657573  # pg advisory lock: two replicas starting at once load the demo once

Progress = Callable[[str], None]


@dataclass(frozen=True)
class DemoSummary:
    municipalities: int = 0
    processes: int = 0
    reuse_links: int = 0
    benefit_records: int = 0
    vendors: int = 0
    agreements: int = 0
    meetings: int = 0

    def plus(self, rows: DemoRows) -> "DemoSummary":
        return DemoSummary(
            municipalities=self.municipalities + len(rows.municipalities),
            processes=self.processes + len(rows.processes),
            reuse_links=self.reuse_links + len(rows.reuse_links),
            benefit_records=self.benefit_records + len(rows.benefit_records),
            vendors=self.vendors + len(rows.vendors),
            agreements=self.agreements + len(rows.agreements),
            meetings=self.meetings + len(rows.meetings),
        )


async def has_data(db: Database) -> bool:
    """True if any municipality row exists: the demo only ever goes into an empty database."""
    async with db.engine.connect() as conn:
        return bool(await conn.scalar(select(exists().select_from(Municipality))))


def demo_chunks() -> Iterable[DemoRows]:
    """The demo data set in insertion order: the facts first, then the filler."""
    yield facts.build()
    yield from iter_generate(
        DEMO_SEED,
        DEMO_MUNICIPALITIES_PER_COUNTRY,
        DEMO_PROCESSES_PER_MUNICIPALITY,
        DEMO_MONTHS,
        DEMO_END_MONTH,
        origins={LAEGEERKLAERINGER: (facts.SKANDERBORG_PROCESS_ID, "Skanderborg Kommune")},
    )


async def load_demo(db: Database, *, progress: Progress | None = None) -> DemoSummary:
    """Load facts + filler into an empty database; ValueError if it already has data."""
    if await has_data(db):
        raise ValueError("the database already has data: the demo loads into an empty one only")
    summary = await _load(db, demo_chunks(), progress, atomic=True)
    # Until autovacuum gets to them the planner guesses the sizes of the tables just filled
    # (measured: the reuse leaderboard's plan 16x slower without statistics).
    async with db.engine.begin() as conn:
        await conn.execute(text("ANALYZE"))
    return summary


async def load_rows(
    db: Database,
    data: FillerData | Iterable[FillerData],
    *,
    progress: Progress | None = None,
) -> DemoSummary:
    """Bulk-insert generated rows (one object, or ``filler.iter_generate``'s chunks).

    Commits every ``ROWS_PER_TRANSACTION`` rows: foreign-key checks against rows that the
    same transaction inserted got slower as the transaction grew (measured: the 100 x 1 000
    x 24 load took 6-7 minutes in one transaction, about a third of that with commits).
    So a failed load leaves the rows of the transactions that committed.
    """
    chunks = [data] if isinstance(data, DemoRows) else data
    return await _load(db, chunks, progress, atomic=False)


async def _load(
    db: Database, chunks: Iterable[DemoRows], progress: Progress | None, *, atomic: bool
) -> DemoSummary:
    report = progress or (lambda _: None)
    totals = [DemoSummary()]

    def batches() -> Iterator[tuple[Any, dict[str, str], int]]:
        for n, chunk in enumerate(chunks, start=1):
            for name in TABLES:
                rows: list[dict[str, Any]] = getattr(chunk, name)
                for start in range(0, len(rows), BATCH_ROWS):
                    part = rows[start : start + BATCH_ROWS]
                    statement = _statement(TABLES[name], tuple(part[0]), shared=name in _SHARED)
                    yield statement, {"rows": _json(part)}, len(part)
            totals[0] = summary = totals[0].plus(chunk)
            report(
                f"chunk {n}: {summary.municipalities} municipalities, {summary.processes}"
                f" processes, {summary.benefit_records} benefit records so far"
            )

    pending = batches()
    batch = next(pending, None)
    first = True
    while batch is not None:
        async with db.session(None) as session:
            if first and atomic:
                await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
                if await session.scalar(select(exists().select_from(Municipality))):
                    raise ValueError(
                        "the database already has data: the demo loads into an empty one only"
                    )
            first = False
            written = 0
            while batch is not None and (atomic or written < ROWS_PER_TRANSACTION):
                statement, parameters, count = batch
                # The next batch is made (generated, encoded) while PostgreSQL writes this
                # one: both took about as long (bench/sync_notes.md).
                upcoming = asyncio.create_task(asyncio.to_thread(next, pending, None))
                try:
                    await session.execute(statement, parameters)
                finally:
                    batch = await upcoming
                written += count
            if batch is None:
                await session.execute(
                    text(
                        "UPDATE source SET record_count = (SELECT count(*) FROM process"
                        " WHERE process.source_code = source.code) WHERE code = :code"
                    ),
                    {"code": facts.SOURCE_CODE},
                )
        if not atomic:
            await _keep_statistics(db)
    report(f"done: {totals[0]}")
    return totals[0]


async def _keep_statistics(db: Database) -> None:
    """ANALYZE once ``process`` has outgrown what the planner knows, as the sync does.

    Without statistics (a fresh database, autovacuum off or behind) the planner probes
    ``process`` through ``ix_process_updated_at_id`` on a tie: every foreign-key check of a
    benefit record or reuse link then scanned that whole index, so each transaction of the
    100 000-process load took longer than the last (bench/sync_notes.md).
    """
    async with db.engine.connect() as connection:
        if await sync_writes.statistics_stale(connection):
            await sync_writes.refresh_statistics(connection)
        await connection.commit()


def _json(rows: list[dict[str, Any]]) -> str:
    """Naive datetimes as UTC, as asyncpg binds them."""
    return orjson.dumps(rows, default=_decimal, option=orjson.OPT_NAIVE_UTC).decode()


def _decimal(value: object) -> str:
    if isinstance(value, decimal.Decimal):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def _statement(table: Table, columns: tuple[str, ...], *, shared: bool) -> Any:
    """One statement per batch, its rows in one JSON parameter unpacked by PostgreSQL.

    As a page of the sync is written (``sync_writes``): the statement-level change-log and
    rollup triggers run once per batch instead of once per 1 000-row ``insertmanyvalues``
    statement, and the rows skip SQLAlchemy's and asyncpg's per-value binding (measured,
    10 000 processes: bench/sync_notes.md, "The loader as one statement per batch").
    """
    incoming = (
        func.json_populate_recordset(
            literal_column(f"NULL::{table.name}"), sql_cast(bindparam("rows", type_=Text), JSON)
        )
        .table_valued(*columns)
        .alias("incoming")
    )
    statement = pg_insert(table).from_select(
        list(columns), select(*(incoming.c[n] for n in columns)), include_defaults=False
    )
    return statement.on_conflict_do_nothing() if shared else statement
