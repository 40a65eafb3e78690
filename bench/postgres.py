"""The PostgreSQL server a benchmark runs against, and how to find its processes.

Embedded by default (a private server whose CPU nobody else uses, so PostgreSQL CPU per
request means something); ``DATABASE_URL`` when set, e.g. the machine's PostgreSQL 15.
"""

import asyncio
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from reusegraph.store.embedded import EmbeddedPostgres
from reusegraph.store.urls import async_url, asyncpg_dsn, with_database

DEFAULT_DATA_DIR = Path("/tmp/reusegraph-bench")


@dataclass
class BenchServer:
    """``url`` points at the server's ``postgres`` database, rendered with its password."""

    url: str
    embedded: EmbeddedPostgres | None

    @property
    def kind(self) -> str:
        return "embedded (pgserver)" if self.embedded is not None else "DATABASE_URL"

    def database_url(self, name: str) -> str:
        return with_database(self.url, name).render_as_string(hide_password=False)

    def stop(self) -> None:
        if self.embedded is not None:
            self.embedded.stop()
            self.embedded = None


def start_server(data_dir: Path = DEFAULT_DATA_DIR) -> BenchServer:
    """``DATABASE_URL`` if set; otherwise start (or join) the embedded one in ``data_dir``."""
    configured = os.environ.get("DATABASE_URL")
    if configured:
        return BenchServer(async_url(configured).render_as_string(hide_password=False), None)
    embedded = EmbeddedPostgres(data_dir / "postgres")
    url = embedded.start()
    return BenchServer(url.render_as_string(hide_password=False), embedded)


@dataclass(frozen=True)
class ServerFacts:
    version: str
    postmaster_pid: int | None
    """None when the postmaster is not visible from here (another host or container)."""


async def server_facts(database_url: str) -> ServerFacts:
    """The version, and the postmaster: the parent of the backend serving this connection."""
    conn = await asyncpg.connect(asyncpg_dsn(database_url), timeout=10)
    try:
        version = str(await conn.fetchval("SHOW server_version"))
        backend = int(await conn.fetchval("SELECT pg_backend_pid()"))
        postmaster = parent_pid(backend)  # read while the backend is alive
    finally:
        await conn.close()
    return ServerFacts(version, postmaster)


def parent_pid(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


async def settle(database_url: str, say: Callable[[str], None], limit: float = 300.0) -> float:
    """Waits until no autovacuum worker runs on the server; returns the seconds waited.

    A freshly built dataset leaves autovacuum busy for minutes on its millions of new
    rows, and a timed run meanwhile shares the cores with it: the first full sync after
    building the remote took 72.9 s, the next three 52 s each (2026-11-21).
    """
    conn = await asyncpg.connect(asyncpg_dsn(database_url), timeout=10)
    started = time.monotonic()
    try:
        while time.monotonic() - started < limit:
            busy = await conn.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'"
            )
            if not busy:
                break
            if time.monotonic() - started < 1:
                say(f"waiting for {busy} autovacuum worker(s) to finish ...")
            await asyncio.sleep(1)
    finally:
        await conn.close()
    return round(time.monotonic() - started, 1)


async def fresh_database(admin_url: str, target: str, name: str) -> None:
    """Drop and create the bench database ``name`` (reached at ``target``) on the server of
    ``admin_url`` and migrate it to the head revision: a bench run that starts from nothing."""
    from reusegraph.store.engine import Database
    from reusegraph.store.schema_version import upgrade

    admin = await asyncpg.connect(asyncpg_dsn(admin_url))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    db = Database(target, pool_size=2)
    try:
        await upgrade(db.engine)
    finally:
        await db.dispose()
