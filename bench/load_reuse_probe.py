"""Load the bench's data set into a fresh database and time each ``INSERT INTO reuse_link``.

``BASE_URL=<server url> python -m bench.load_reuse_probe [municipalities-per-country
[processes-per-municipality]]`` (default 10 x 1 000; the full set is 50 x 1 000). ``TARGET``
migrates to another revision (e.g. ``0010_live_it_systems_index``, before migration 0011)
for a before/after comparison. Prints the load's progress, each reuse-link statement's time
and the totals (bench/sync_notes.md, "A reuse recount that does not need statistics").
"""

import asyncio
import os
import sys
import time
from datetime import date
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url

from reusegraph.store.databases import create_database, database_exists, drop_database
from reusegraph.store.demo.filler import iter_generate
from reusegraph.store.demo.loader import load_rows
from reusegraph.store.engine import Database
from reusegraph.store.schema_version import upgrade

NAME = "reuse_probe"


async def main(per_country: int, processes: int) -> None:
    base = os.environ["BASE_URL"]
    if await database_exists(base, NAME):
        await drop_database(base, NAME)
    await create_database(base, NAME)
    url = make_url(base).set(database=NAME).render_as_string(hide_password=False)
    db = Database(url, pool_size=2, statement_timeout_ms=30 * 60 * 1000)
    await upgrade(db.engine, os.environ.get("TARGET", "head"))
    times: list[float] = []

    @event.listens_for(db.engine.sync_engine, "before_cursor_execute")
    def _before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        conn.info["started"] = time.monotonic()

    @event.listens_for(db.engine.sync_engine, "after_cursor_execute")
    def _after(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.startswith("INSERT INTO reuse_link"):
            times.append(time.monotonic() - conn.info["started"])
            print(f"INSERT INTO reuse_link: {times[-1]:.2f} s", flush=True)

    started = time.monotonic()
    chunks = iter_generate(1, per_country, processes, 24, date(2026, 10, 1))
    await load_rows(
        db, chunks, progress=lambda m: print(f"{time.monotonic() - started:.1f} s {m}", flush=True)
    )
    print(f"total {time.monotonic() - started:.1f} s; reuse_link {sum(times):.1f} s", flush=True)
    await db.dispose()
    await drop_database(base, NAME)


if __name__ == "__main__":
    numbers = [int(a) for a in sys.argv[1:3]]
    asyncio.run(main(*(numbers + [10, 1000][len(numbers) :])))
