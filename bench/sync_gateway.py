"""The gateway side of the sync benchmark: its database, its sources, and what it holds.

A template database is migrated once per benchmark run and given what an operator
would have set up before the first sync: the municipalities, the shared vendor list and
one ``graphql`` source per municipality (page size, timeouts and the CLI's concurrency
as configured by default; a member token read from a file). Every measured repetition
syncs into a fresh copy of it (``CREATE DATABASE ... TEMPLATE``), so each starts empty.
"""

from pathlib import Path
from typing import Any

import asyncpg

from bench.dataset import Say
from bench.sync_remote import municipality_counts
from reusegraph.api import source_admin
from reusegraph.store.databases import create_database, database_exists, drop_database
from reusegraph.store.engine import Database
from reusegraph.store.schema_version import upgrade
from reusegraph.store.source_writes import SourceSpec
from reusegraph.store.urls import asyncpg_dsn, with_database

MUNICIPALITY_COLUMNS = (
    "code, name, country, org_number, region, population_band, fte_hours_per_year, currency"
)
VENDOR_COLUMNS = "id, name, country, org_number"


def source_code(municipality: str) -> str:
    return f"remote-{municipality.lower()}"


def _url(server_url: str, name: str) -> str:
    return with_database(server_url, name).render_as_string(hide_password=False)


async def prepare_template(
    server_url: str,
    name: str,
    remote_url: str,
    codes: list[str],
    endpoint: str,
    tokens: Path,
    say: Say,
) -> None:
    if await database_exists(server_url, name):
        await drop_database(server_url, name)
    await create_database(server_url, name)
    url = _url(server_url, name)
    db = Database(url, pool_size=1)
    try:
        await upgrade(db.engine)
    finally:
        await db.dispose()
    remote = await asyncpg.connect(asyncpg_dsn(remote_url), timeout=10)
    gateway = await asyncpg.connect(asyncpg_dsn(url), timeout=10)
    try:
        municipalities = await remote.fetch(
            f"SELECT {MUNICIPALITY_COLUMNS} FROM municipality WHERE code = ANY($1::text[])", codes
        )
        vendors = await remote.fetch(f"SELECT {VENDOR_COLUMNS} FROM vendor")
        await gateway.executemany(
            f"INSERT INTO municipality ({MUNICIPALITY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6,"
            " $7, $8)",
            [tuple(row) for row in municipalities],
        )
        await gateway.executemany(
            f"INSERT INTO vendor ({VENDOR_COLUMNS}) VALUES ($1, $2, $3, $4)",
            [tuple(row) for row in vendors],
        )
    finally:
        await remote.close()
        await gateway.close()
    for code in codes:
        spec = SourceSpec(
            code=source_code(code),
            name=f"Registry of {code}",
            kind="graphql",
            owners=[code],
            endpoint=endpoint,
            auth="bearer",
            secret_ref=f"file:{tokens / code}",
        )
        await source_admin.add_source(url, spec)
    say(f"gateway template {name}: {len(codes)} municipalities and sources, {len(vendors)} vendors")


async def fresh_copy(server_url: str, template: str, name: str) -> str:
    if await database_exists(server_url, name):
        await drop_database(server_url, name)
    await create_database(server_url, name, template=template)
    return _url(server_url, name)


async def analyze(url: str) -> None:
    """What autovacuum does soon after a big load; done at once so every run plans alike."""
    conn = await asyncpg.connect(asyncpg_dsn(url), timeout=10)
    try:
        await conn.execute("SET statement_timeout = 0")
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


async def mirror_state(url: str, codes: list[str], mark: str | None) -> dict[str, dict[str, Any]]:
    """The same counts as ``sync_remote.expected_state``, over the gateway's copies (all
    of them: a PERSONAL process in a mirror would be a leak, and must show)."""
    conn = await asyncpg.connect(asyncpg_dsn(url), timeout=10)
    try:
        state = await municipality_counts(conn, codes, mark, shared_only=False)
        outcomes = await conn.fetch(
            "SELECT last_outcome, count(*) AS n FROM source GROUP BY last_outcome"
        )
    finally:
        await conn.close()
    state["_outcomes"] = {str(row["last_outcome"]): row["n"] for row in outcomes}
    return state


def differences(
    expected: dict[str, dict[str, Any]], found: dict[str, dict[str, Any]], codes: list[str]
) -> list[str]:
    """Where the mirror is not the remote, municipality by municipality (empty: converged)."""
    problems = []
    for code in codes:
        want, have = expected.get(code), found.get(code)
        if want != have:
            problems.append(f"{code}: remote {want}, mirror {have}")
    return problems


_COUNTED = (
    "process",
    "benefit_record",
    "process_it_system",
    "process_technology",
    "reuse_link",
    "pending_reuse",
    "process_link",
    "audit_entry",
    "process_change",
)


async def sizes(url: str) -> dict[str, int]:
    conn = await asyncpg.connect(asyncpg_dsn(url), timeout=10)
    try:
        rows = await conn.fetch(
            "SELECT relname, n_live_tup FROM pg_stat_user_tables WHERE relname = ANY($1::text[])",
            list(_COUNTED),
        )
        total = await conn.fetchval("SELECT pg_database_size(current_database())")
    finally:
        await conn.close()
    return {**{row["relname"]: row["n_live_tup"] for row in rows}, "database_bytes": int(total)}
