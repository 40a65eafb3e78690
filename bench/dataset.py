"""The synthetic benchmark database: created, migrated and loaded once, then reused.

The full set is the issue's 100 municipalities x 1 000 processes x 24 months of benefits
(about 2 million benefit records); loading it takes minutes, so the database is named after
its parameters and a run that finds it loaded only checks it. ``VACUUM (ANALYZE)`` after
the load gives every run the same plans and no hint-bit writes on the first reads.

``python -m bench.dataset [--quick]`` builds it without measuring anything.
"""

import argparse
import asyncio
import hashlib
import json
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import asyncpg

import reusegraph.migrations
import reusegraph.store.demo
from bench.postgres import BenchServer, start_server
from reusegraph.observability.progress import Progress
from reusegraph.store.databases import create_database, database_exists, drop_database
from reusegraph.store.demo.filler import iter_generate
from reusegraph.store.demo.loader import load_rows
from reusegraph.store.engine import Database
from reusegraph.store.schema_version import upgrade
from reusegraph.store.urls import asyncpg_dsn

Say = Callable[[str], None]

COUNTED_TABLES = (
    "municipality",
    "process",
    "benefit_record",
    "process_it_system",
    "process_technology",
    "reuse_link",
    "it_system",
    "vendor",
    "framework_agreement",
    "network_meeting",
)


@dataclass(frozen=True)
class DatasetSpec:
    """The filler's arguments; two countries, so municipalities = 2 x per country."""

    seed: int
    municipalities_per_country: int
    processes_per_municipality: int
    months: int
    end_month: date

    @property
    def municipalities(self) -> int:
        return 2 * self.municipalities_per_country

    @property
    def database_name(self) -> str:
        return (
            f"bench_s{self.seed}_{self.municipalities}x{self.processes_per_municipality}"
            f"x{self.months}_{self.end_month:%Y%m}"
        )


FULL = DatasetSpec(2026, 50, 1000, 24, date(2026, 10, 1))
QUICK = DatasetSpec(2026, 5, 100, 24, date(2026, 10, 1))


def generator_fingerprint() -> str:
    """A hash of the code that decides the rows: the generator and the migrations.

    The database is named after the generator's arguments only, so this is how a later
    run notices that the rows it would generate today differ from the loaded ones.
    """
    folders = [
        Path(reusegraph.store.demo.__file__).parent,
        Path(reusegraph.migrations.__file__).parent / "versions",
    ]
    digest = hashlib.sha256()
    for folder in folders:
        for path in sorted(folder.glob("*.py")):
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class DatasetReport:
    database: str
    spec: dict[str, object]
    loaded_now: bool
    """False: an earlier run loaded it; the times below are the ones it recorded."""
    loaded_at: str | None
    load_seconds: float | None
    """Generating and inserting (one transaction)."""
    vacuum_seconds: float | None
    generator: str | None
    """The generator fingerprint the data was loaded with (None: not recorded)."""
    generator_current: bool
    """False: the generator or the migrations changed since; ``--reload`` to rebuild."""
    rows: dict[str, int]


async def ensure_dataset(
    server: BenchServer, spec: DatasetSpec, say: Say, *, reload: bool = False
) -> DatasetReport:
    """Create, migrate and load the database if needed; count its rows either way."""
    name = spec.database_name
    if reload and await database_exists(server.url, name):
        say(f"dropping database {name} (reload)")
        await drop_database(server.url, name)
    if not await database_exists(server.url, name):
        say(f"creating database {name}")
        await create_database(server.url, name)
    url = server.database_url(name)
    db = Database(url, pool_size=2, statement_timeout_ms=30 * 60 * 1000)
    try:
        await upgrade(db.engine)
        loaded_now, load_seconds = False, None
        municipalities = await _count(url, "municipality")
        if municipalities == 0:
            say(
                f"loading {spec.municipalities} municipalities x"
                f" {spec.processes_per_municipality} processes x {spec.months} months ..."
            )
            started = time.monotonic()
            chunks = iter_generate(
                spec.seed,
                spec.municipalities_per_country,
                spec.processes_per_municipality,
                spec.months,
                spec.end_month,
            )
            # A chunk of shared rows, one per municipality, one of the network; then "done".
            chunk_count = spec.municipalities + 2
            with Progress(chunk_count, "chunks loaded (one per municipality)") as progress:
                await load_rows(
                    db,
                    chunks,
                    progress=lambda m: None if m.startswith("done") else progress.advance(),
                )
            load_seconds = round(time.monotonic() - started, 1)
            loaded_now = True
            say(f"loaded in {load_seconds} s")
        elif municipalities != spec.municipalities:
            raise SystemExit(
                f"database {name} has {municipalities} municipalities, expected"
                f" {spec.municipalities}; drop it (DROP DATABASE {name}) and run again"
            )
    finally:
        await db.dispose()
    vacuum_seconds = await _vacuum_if_needed(url, force=loaded_now, say=say)
    record: dict[str, Any]
    if loaded_now:
        record = {
            "loaded_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "load_seconds": load_seconds,
            "vacuum_seconds": vacuum_seconds,
            "generator": generator_fingerprint(),
        }
        await _set_record(url, name, record)
    else:
        record = await _record(url, name)
    current = record.get("generator") == generator_fingerprint()
    if not current:
        say(
            f"WARNING: {name} was loaded by another version of the generator or migrations;"
            " run with --reload to rebuild it"
        )
    rows = {table: await _count(url, table) for table in COUNTED_TABLES}
    return DatasetReport(
        database=name,
        spec={**asdict(spec), "end_month": spec.end_month.isoformat()},
        loaded_now=loaded_now,
        loaded_at=record.get("loaded_at"),
        load_seconds=record.get("load_seconds"),
        vacuum_seconds=record.get("vacuum_seconds"),
        generator=record.get("generator"),
        generator_current=current,
        rows=rows,
    )


async def _set_record(url: str, name: str, record: dict[str, Any]) -> None:
    """How long the load took, kept with the database itself (its comment) for later runs."""
    text = json.dumps(record).replace("'", "''")
    conn = await asyncpg.connect(asyncpg_dsn(url), timeout=10)
    try:
        await conn.execute(f"COMMENT ON DATABASE {name} IS '{text}'")
    finally:
        await conn.close()


async def _record(url: str, name: str) -> dict[str, Any]:
    conn = await asyncpg.connect(asyncpg_dsn(url), timeout=10)
    try:
        raw = await conn.fetchval(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = $1",
            name,
        )
    finally:
        await conn.close()
    try:
        found = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


async def _count(url: str, table: str) -> int:
    assert table.isidentifier(), table
    conn = await asyncpg.connect(asyncpg_dsn(url), timeout=10)
    try:
        return int(await conn.fetchval(f"SELECT count(*) FROM {table}"))
    finally:
        await conn.close()


async def _vacuum_if_needed(url: str, *, force: bool, say: Say) -> float | None:
    """VACUUM ANALYZE after a load, or when an earlier run stopped before it."""
    conn = await asyncpg.connect(asyncpg_dsn(url), timeout=10)
    try:
        done = await conn.fetchval(
            "SELECT last_vacuum IS NOT NULL AND last_analyze IS NOT NULL"
            " FROM pg_stat_user_tables WHERE relname = 'benefit_record'"
        )
        if done and not force:
            return None
        say("VACUUM (ANALYZE) ...")
        started = time.monotonic()
        await conn.execute("SET statement_timeout = 0")
        await conn.execute("VACUUM (ANALYZE)")
        return round(time.monotonic() - started, 1)
    finally:
        await conn.close()


def say_stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10 municipalities x 100 processes")
    parser.add_argument("--reload", action="store_true", help="drop the database and load again")
    args = parser.parse_args()
    server = start_server()
    try:
        spec = QUICK if args.quick else FULL
        report = asyncio.run(ensure_dataset(server, spec, say_stderr, reload=args.reload))
    finally:
        server.stop()
    print(report)


if __name__ == "__main__":
    main()
