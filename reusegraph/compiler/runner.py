"""Running a compiled statement: three round trips, on connections of its own.

The executor's path costs 9-11 round trips per request (pool pre-ping, BEGIN, the
settings, one statement per loader, ROLLBACK). Here: the transaction and the viewer's
settings in one simple-protocol message, the statement (prepared once per connection by
asyncpg's statement cache, so PostgreSQL plans it once and then reuses its plan), and
ROLLBACK. A separate asyncpg pool without SQLAlchemy's layers, and without asyncpg's
reset query on release (the transaction's end already resets every setting we make).
"""

from typing import Any

import asyncpg
from sqlalchemy.engine import URL

from reusegraph.auth.principal import Principal
from reusegraph.compiler.plans import CompiledAnswer
from reusegraph.store.errors import DatabaseUnavailable
from reusegraph.store.rls import settings_sql
from reusegraph.store.urls import asyncpg_dsn


class CompiledReads:
    def __init__(self, url: str | URL, *, pool_size: int, statement_timeout_ms: int) -> None:
        self.url = asyncpg_dsn(url)
        self.pool_size = pool_size
        self.statement_timeout_ms = statement_timeout_ms
        self._pool: asyncpg.Pool | None = None
        self.round_trips = 0
        """Counted for tests: a number that does not depend on the machine."""

    async def _connections(self) -> asyncpg.Pool:
        if self._pool is None:
            self._pool = await asyncpg.create_pool(
                self.url,
                min_size=0,
                max_size=self.pool_size,
                reset=_no_reset,
                timeout=5,
                server_settings={
                    "application_name": "reusegraph-compiled",
                    "standard_conforming_strings": "on",
                    "TimeZone": "UTC",
                },
            )
        return self._pool

    def _begin(self, viewer: Principal) -> str:
        settings = settings_sql(viewer, self.statement_timeout_ms, read_only=True)
        return "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; " + settings

    async def run(self, viewer: Principal, answer: CompiledAnswer) -> str | None:
        """``data`` as JSON text; None when the plan's guards refuse (an unknown code)."""
        try:
            pool = await self._connections()
            async with pool.acquire() as connection:
                try:
                    await connection.execute(self._begin(viewer))
                    data: Any = await connection.fetchval(answer.sql, *answer.args)
                finally:
                    if not connection.is_closed():
                        await connection.execute("ROLLBACK")
                self.round_trips += 3
                return None if data is None else str(data)
        except (OSError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError) as error:
            raise DatabaseUnavailable(str(error)) from error

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None


async def _no_reset(connection: asyncpg.Connection) -> None:
    return None
