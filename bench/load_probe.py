"""Load the bench's data set into a fresh database: where the time of an import goes.

``[DATABASE_URL=<server url>] python -m bench.load_probe [municipalities-per-country
[processes-per-municipality]]`` (default 5 x 1 000: 10 000 processes, a tenth of the full
set). Without ``DATABASE_URL`` it starts an embedded server in /tmp/reusegraph-load-probe.
Prints the load's progress, the time per kind of statement (as the client waits for it),
the PostgreSQL CPU of the loading connection and each trigger function's time
(``track_functions = all``); drops the database afterwards. Used for bench/sync_notes.md,
"The loader as one statement per batch".
"""

import asyncio
import os
import sys
import time
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import event
from sqlalchemy.engine import make_url

from bench.postgres import start_server
from bench.procstat import TICKS_PER_SECOND, own_ticks
from reusegraph.store.databases import create_database, database_exists, drop_database
from reusegraph.store.demo.filler import iter_generate
from reusegraph.store.demo.loader import load_rows
from reusegraph.store.engine import Database
from reusegraph.store.schema_version import upgrade
from reusegraph.store.urls import asyncpg_dsn

NAME = "load_probe"
DATA_DIR = Path("/tmp/reusegraph-load-probe")


async def _backend_cpu(url: str) -> float:
    """CPU seconds of the load's connections still open (the loader's pool)."""
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        pids = await conn.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
            NAME,
        )
    finally:
        await conn.close()
    return sum(own_ticks(row["pid"]) or 0 for row in pids) / TICKS_PER_SECOND


async def _functions(url: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        rows: list[asyncpg.Record] = await conn.fetch(
            "SELECT funcname, calls, round(total_time::numeric / 1000, 2) AS seconds"
            " FROM pg_stat_user_functions ORDER BY total_time DESC LIMIT 12"
        )
        return rows
    finally:
        await conn.close()


async def main(per_country: int, processes: int) -> None:
    server = start_server(DATA_DIR)
    base = server.url
    try:
        if await database_exists(base, NAME):
            await drop_database(base, NAME)
        await create_database(base, NAME)
        url = make_url(base).set(database=NAME).render_as_string(hide_password=False)
        conn = await asyncpg.connect(asyncpg_dsn(url))
        await conn.execute(f"ALTER DATABASE {NAME} SET track_functions = 'all'")
        print(f"PostgreSQL {await conn.fetchval('SHOW server_version')}", flush=True)
        await conn.close()
        db = Database(url, pool_size=2, statement_timeout_ms=30 * 60 * 1000)
        await upgrade(db.engine)
        totals: dict[str, list[float]] = defaultdict(lambda: [0.0, 0])

        @event.listens_for(db.engine.sync_engine, "before_cursor_execute")
        def _before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            conn.info["started"] = time.monotonic()

        @event.listens_for(db.engine.sync_engine, "after_cursor_execute")
        def _after(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            total = totals[" ".join(statement.split()[:3])[:50]]
            total[0] += time.monotonic() - conn.info["started"]
            total[1] += 1

        started = time.monotonic()
        chunks = iter_generate(1, per_country, processes, 24, date(2026, 10, 1))
        await load_rows(
            db,
            chunks,
            progress=lambda m: print(f"{time.monotonic() - started:.1f} s {m}", flush=True),
        )
        print(f"total {time.monotonic() - started:.1f} s", flush=True)
        print(f"PostgreSQL CPU of the loading connections {await _backend_cpu(url):.2f} s")
        for key, (seconds, count) in sorted(totals.items(), key=lambda kv: -kv[1][0])[:8]:
            print(f"  {seconds:8.2f} s {int(count):6d}  {key}")
        await db.dispose()
        for row in await _functions(url):
            print(f"  trigger {row['funcname']}: {row['calls']} calls, {row['seconds']} s")
        await drop_database(base, NAME)
    finally:
        server.stop()


if __name__ == "__main__":
    numbers = [int(a) for a in sys.argv[1:3]]
    os.environ.setdefault("REUSEGRAPH_LOG_LEVEL", "warning")
    asyncio.run(main(*(numbers + [5, 1000][len(numbers) :])))
