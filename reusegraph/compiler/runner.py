"""Running a compiled statement: one or two round trips, on connections of its own.

The executor's path costs 9-11 round trips per request (pool pre-ping, BEGIN, the
settings, one statement per loader, ROLLBACK). Each round trip costs 0.1-0.15 ms of
CPU on the two sides of a loopback socket, as much as a small answer's whole statement,
so here there are at most two: the viewer's settings at session level (one prepared
statement, its values and MAC as parameters), then the statement (prepared once per
connection by asyncpg's statement cache, so PostgreSQL plans it once and then reuses
its plan) in its own implicit transaction. One statement sees one snapshot, so it needs no explicit
transaction, and the connection is read-only by ``default_transaction_read_only``. A
connection remembers the settings it holds (``ViewerConnection``), so a run of requests
by one viewer (the anonymous public, above all) sends them once: one round trip each.

Each statement runs on its generic plan (``plan_cache_mode``), planned once per
connection. By default PostgreSQL plans a prepared statement afresh for its first five
runs and keeps doing so whenever the generic plan's estimate looks worse, which it does
for these statements (row-level security, a LIMIT parameter): measured on the demo data,
a page of 10 then costs 0.48 ms of PostgreSQL CPU against 0.17 ms on the generic plan,
and the one-process reuse shape 0.67 against 0.52 ms (``bench/results/2026-12-08-plans.md``).
The statements' order is an index's and their filters are equalities, so one plan suits
every value.

A new backend's first statements cost 4-8 ms more than later ones (catalog caches for
the tables and their policies, then the plan); ``open`` makes a few connections at
start-up and runs the GraphiQL examples' statements on them as the anonymous viewer,
so the first requests find them warm, and idle connections are kept rather than closed
after five minutes (asyncpg's default), which would make them cold again.

A separate asyncpg pool without SQLAlchemy's layers, and without asyncpg's reset query
on release: the settings (``session_settings``) name every value each time, so a
connection's next viewer replaces all of its previous viewer's before their statement.
"""

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

import asyncpg
from sqlalchemy.engine import URL

from reusegraph.auth.principal import ANONYMOUS, Principal
from reusegraph.compiler.plans import CompiledAnswer
from reusegraph.observability.tracing import statement_span
from reusegraph.store.errors import DatabaseUnavailable
from reusegraph.store.rls import session_settings
from reusegraph.store.urls import asyncpg_dsn
from reusegraph.store.viewer_mac import ViewerKey

log = logging.getLogger("reusegraph.compiler")

WARM_CONNECTIONS = 2
SETTINGS_KEPT = 4096
"""Viewers whose settings text is kept; past that the dict starts again."""


class ViewerConnection(asyncpg.Connection):  # type: ignore[misc]
    """A connection that knows which viewer's settings it holds."""

    __slots__ = ("_settings",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._settings: tuple[str, tuple[str, ...]] | None = None

    async def hold(self, settings: tuple[str, tuple[str, ...]]) -> bool:
        """Make ``settings`` (``rls.session_settings``) the session's; True when that took
        a round trip."""
        if settings == self._settings:
            return False
        self._settings = None
        await self.execute(settings[0], *settings[1])
        self._settings = settings
        return True


class CompiledReads:
    def __init__(
        self, url: str | URL, *, pool_size: int, statement_timeout_ms: int, viewer_key: ViewerKey
    ) -> None:
        self.url = asyncpg_dsn(url)
        self.viewer_key = viewer_key
        self.pool_size = pool_size
        self.statement_timeout_ms = statement_timeout_ms
        self._pool: asyncpg.Pool | None = None
        self._settings: dict[Principal, tuple[str, tuple[str, ...]]] = {}
        """Each viewer's settings text, written once: a viewer's next request costs a dict
        lookup, not the string building and the MAC (about 30 µs)."""
        self.round_trips = 0
        """Counted for tests: a number that does not depend on the machine."""

    async def open(self, warm_up: Sequence[CompiledAnswer]) -> None:
        """Connect ``WARM_CONNECTIONS`` ahead of the first request, each with ``warm_up``'s
        statements planned. A statement that fails is logged, never fatal: the warm-up
        only saves the first requests some milliseconds."""
        count = min(WARM_CONNECTIONS, self.pool_size)
        try:
            pool = await self._connections(min_size=count)
            held = [await pool.acquire() for _ in range(count)]
            try:
                await asyncio.gather(*(self._warm(connection, warm_up) for connection in held))
            finally:
                for connection in held:
                    await pool.release(connection)
        except (OSError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError) as error:
            raise DatabaseUnavailable(str(error)) from error

    async def _warm(self, connection: Any, warm_up: Sequence[CompiledAnswer]) -> None:
        key = await self.viewer_key.get()
        await connection.hold(session_settings(ANONYMOUS, self.statement_timeout_ms, key))
        for answer in warm_up:
            try:
                await connection.fetchval(answer.sql, *answer.args)
            except asyncpg.PostgresError as error:
                log.warning("a warm-up statement failed: %s", error)

    async def _connections(self, min_size: int = 0) -> asyncpg.Pool:
        if self._pool is None:
            self._pool = await asyncpg.create_pool(
                self.url,
                min_size=min_size,
                max_size=self.pool_size,
                max_inactive_connection_lifetime=0,
                reset=_no_reset,
                connection_class=ViewerConnection,
                timeout=5,
                server_settings={
                    "application_name": "reusegraph-compiled",
                    "default_transaction_read_only": "on",
                    "plan_cache_mode": "force_generic_plan",
                    "standard_conforming_strings": "on",
                    "TimeZone": "UTC",
                },
            )
        return self._pool

    async def run(self, viewer: Principal, answer: CompiledAnswer) -> str | None:
        """``data`` as JSON text; None when the plan's guards refuse (an unknown code)."""
        try:
            settings = self._settings.get(viewer)
            if settings is None:
                if len(self._settings) >= SETTINGS_KEPT:
                    self._settings.clear()
                key = await self.viewer_key.get()
                settings = session_settings(viewer, self.statement_timeout_ms, key)
                self._settings[viewer] = settings
            pool = await self._connections()
            async with pool.acquire() as connection:
                with statement_span(None, "SET"):  # literal settings: their text stays out
                    held = await connection.hold(settings)
                if held:
                    self.round_trips += 1
                with statement_span(answer.sql):
                    data: Any = await connection.fetchval(answer.sql, *answer.args)
                self.round_trips += 1
                return None if data is None else str(data)
        except (OSError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError) as error:
            raise DatabaseUnavailable(str(error)) from error

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None


async def _no_reset(connection: asyncpg.Connection) -> None:
    return None
