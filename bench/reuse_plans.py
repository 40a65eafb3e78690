"""The SQL plans of one GraphQL request, as PostgreSQL runs them for the app's caller.

The request is served in process (the same ``create_app`` as uvicorn runs, driven through
httpx's ASGI transport), and every statement the app sends is recorded with its
parameters and its connection. The connection that serves the request's reads begins with
the app's own transaction settings (``store.rls``: ``SET ROLE reusegraph_api``, the
caller in ``reusegraph.*``, read only); that sequence is replayed in one REPEATABLE READ
transaction, once to warm the caches and once under ``EXPLAIN (ANALYZE, BUFFERS)``. So
the plans are the ones row-level security and the app's settings produce, not a
superuser's.
"""

import asyncio
import json
import logging
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy import event
from sqlalchemy.engine import Engine

from reusegraph.api.app import create_app
from reusegraph.api.settings import Settings
from reusegraph.store.urls import asyncpg_dsn

SETTINGS_MARK = "set_config('role'"
DECLARE_PREFIX = "DECLARE "
CURSOR_FOR = " CURSOR FOR "


@dataclass(frozen=True)
class Statement:
    connection: int
    sql: str
    parameters: tuple[Any, ...]


@dataclass(frozen=True)
class Plan:
    sql: str
    milliseconds: float
    """Execution time EXPLAIN ANALYZE reported."""
    text: str


async def capture(
    environ: Mapping[str, str],
    database_url: str,
    method: str,
    path: str,
    *,
    body: bytes | None,
    headers: Mapping[str, str],
) -> list[Statement]:
    """Serve one request in process; the statements sent on the read connection, in order."""
    settings = Settings.from_environ(environ)
    app = create_app(settings, database_url)
    seen: list[Statement] = []

    def record(
        conn: Any, cursor: Any, sql: str, parameters: Any, context: Any, executemany: bool
    ) -> None:
        seen.append(Statement(id(conn.connection.dbapi_connection), sql, tuple(parameters or ())))

    event.listen(Engine, "before_cursor_execute", record)
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            answer = await client.request(method, path, content=body, headers=dict(headers))
            if answer.status_code != 200 or b'"errors"' in answer.content[:200]:
                raise RuntimeError(f"{path}: {answer.status_code} {answer.content[:500]!r}")
    finally:
        event.remove(Engine, "before_cursor_execute", record)
    return _read_connection(seen)


def _read_connection(seen: Sequence[Statement]) -> list[Statement]:
    for i, statement in enumerate(seen):
        if SETTINGS_MARK in statement.sql and "transaction_read_only" in statement.sql:
            return [s for s in seen[i:] if s.connection == statement.connection]
    raise RuntimeError("no read transaction with the app's settings was recorded")


def _explainable(sql: str) -> str | None:
    """The SELECT a statement runs (a DECLARE's query), or None for FETCH, CLOSE, settings."""
    text = sql.lstrip()
    if text.startswith(DECLARE_PREFIX) and CURSOR_FOR in text:
        return text.split(CURSOR_FOR, 1)[1]
    if text.startswith(("SELECT", "WITH", "(SELECT")) and SETTINGS_MARK not in text:
        return text
    return None


async def explain(database_url: str, statements: Sequence[Statement]) -> list[Plan]:
    """Replay the read transaction twice (warm, then EXPLAIN ANALYZE); plans slowest first."""
    conn = await asyncpg.connect(asyncpg_dsn(database_url), timeout=10)
    try:
        for analyse in (False, True):
            plans: list[Plan] = []
            async with conn.transaction(isolation="repeatable_read", readonly=True):
                for statement in statements:
                    sql = _explainable(statement.sql)
                    if sql is None:
                        if SETTINGS_MARK in statement.sql:
                            await conn.execute(statement.sql, *statement.parameters)
                        continue
                    if not analyse:
                        await conn.fetch(sql, *statement.parameters)
                        continue
                    rows = await conn.fetch(
                        f"EXPLAIN (ANALYZE, BUFFERS) {sql}", *statement.parameters
                    )
                    text = "\n".join(row[0] for row in rows)
                    plans.append(Plan(sql, _execution_ms(text), text))
        return sorted(plans, key=lambda p: -p.milliseconds)
    finally:
        await conn.close()


def _execution_ms(plan: str) -> float:
    for line in reversed(plan.splitlines()):
        if line.startswith("Execution Time:"):
            return float(line.split(":", 1)[1].split()[0])
    return 0.0


async def _plans_of(job: dict[str, Any]) -> list[dict[str, Any]]:
    statements = await capture(
        job["environ"],
        job["database_url"],
        job["method"],
        job["path"],
        body=job["body"].encode() if job.get("body") is not None else None,
        headers=job["headers"],
    )
    plans = await explain(job["database_url"], statements)
    return [
        {"sql": p.sql, "execution_ms": p.milliseconds, "plan": p.text, "statements": len(plans)}
        for p in plans[: job.get("keep", 1)]
    ]


def main() -> None:
    """``python -m bench.reuse_plans JOB.json``: the plans as JSON on stdout (see bench.reuse)."""
    job = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    logging.disable(logging.WARNING)
    print(json.dumps(asyncio.run(_plans_of(job))))


if __name__ == "__main__":
    main()
