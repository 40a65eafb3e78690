"""Inserts the demo data set (facts + filler), or any filler data, with Core bulk inserts.

One transaction: a failed load leaves the database empty, not half-filled. Rows go in as
executemany batches of ``BATCH_ROWS`` so a statement never holds more than a few thousand
rows (the benchmark's 2.4 million benefit rows included) and stays far below the
statement timeout. Shared vocabulary rows (source, technologies, IT systems) are inserted
with ``ON CONFLICT DO NOTHING`` because both the facts and every filler batch carry them.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Table, exists, insert, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from reusegraph.store.demo import facts
from reusegraph.store.demo.filler import FillerData, iter_generate
from reusegraph.store.demo.filler_templates import LAEGEERKLAERINGER
from reusegraph.store.demo.rows import TABLES, DemoRows
from reusegraph.store.engine import Database
from reusegraph.store.models import Municipality

BATCH_ROWS = 5000
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
    return await _load(db, demo_chunks(), progress, check_empty=True)


async def load_rows(
    db: Database,
    data: FillerData | Iterable[FillerData],
    *,
    progress: Progress | None = None,
) -> DemoSummary:
    """Bulk-insert generated rows (one object, or ``filler.iter_generate``'s chunks)."""
    chunks = [data] if isinstance(data, DemoRows) else data
    return await _load(db, chunks, progress, check_empty=False)


async def _load(
    db: Database, chunks: Iterable[DemoRows], progress: Progress | None, *, check_empty: bool
) -> DemoSummary:
    report = progress or (lambda _: None)
    summary = DemoSummary()
    async with db.session() as session:
        await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
        if check_empty and await session.scalar(select(exists().select_from(Municipality))):
            raise ValueError("the database already has data: the demo loads into an empty one only")
        for n, chunk in enumerate(chunks, start=1):
            await _insert(session, chunk)
            summary = summary.plus(chunk)
            report(
                f"chunk {n}: {summary.municipalities} municipalities, {summary.processes}"
                f" processes, {summary.benefit_records} benefit records so far"
            )
        await session.execute(
            text(
                "UPDATE source SET record_count ="
                " (SELECT count(*) FROM process WHERE process.source_code = source.code)"
                " WHERE code = :code"
            ),
            {"code": facts.SOURCE_CODE},
        )
    report(f"done: {summary}")
    return summary


async def _insert(session: AsyncSession, rows: DemoRows) -> None:
    for name, table in TABLES.items():
        batch: list[dict[str, Any]] = getattr(rows, name)
        if not batch:
            continue
        statement = _statement(table, shared=name in _SHARED)
        for start in range(0, len(batch), BATCH_ROWS):
            await session.execute(statement, batch[start : start + BATCH_ROWS])


def _statement(table: Table, *, shared: bool) -> Any:
    return pg_insert(table).on_conflict_do_nothing() if shared else insert(table)
