"""The data version (migration 0020) as this replica knows it, without a query per request.

One asyncpg connection LISTENs on ``reusegraph_data_version``: PostgreSQL sends the new
version after each writing transaction commits, on every replica. A poll every few seconds
reads the counter again in case a notification was lost (a dropped connection loses the
ones sent meanwhile), and with it whether any source is stale.

``current`` is None whenever the version is not known to be fresh (not started, the
listening connection lost, the poll failing): then no ETag is given and no 304 answered,
so a lost notification can never make a client keep an old answer.
"""

import asyncio
import contextlib
import logging
import time

import asyncpg
from sqlalchemy import URL, exists
from sqlalchemy.dialects import postgresql

from reusegraph.store.sources import is_stale_sql
from reusegraph.store.urls import asyncpg_dsn

log = logging.getLogger("reusegraph.data_version")

CHANNEL = "reusegraph_data_version"
POLL_SECONDS = 3.0
_FRESH = (~exists().where(is_stale_sql())).compile(
    dialect=postgresql.dialect(),  # type: ignore[no-untyped-call]
    compile_kwargs={"literal_binds": True},
)
READ = f"SELECT version, {_FRESH} AS fresh FROM data_version"


class DataVersionListener:
    def __init__(self, url: str | URL, poll_seconds: float = POLL_SECONDS) -> None:
        self._dsn = asyncpg_dsn(url)
        self.poll_seconds = poll_seconds
        self._version: int | None = None
        self._fresh = False
        self._connection: asyncpg.Connection | None = None
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()
        self.reads = 0
        """How many times the counter was read (a test's and the bench's check)."""

    @property
    def current(self) -> int | None:
        """The version to put in an ETag; None: give none (unknown, or a source is stale:
        a stale answer's ``extensions.sources`` changes as time passes, not with writes)."""
        return self._version if self._fresh else None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="data-version")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._disconnect()

    async def refresh(self) -> None:
        """Read the counter now: after this replica's own write, so its next answer is new."""
        try:
            await self._read()
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
            log.warning("could not read the data version: %s", error)
            self._forget()

    async def _run(self) -> None:
        while True:
            started = time.monotonic()
            try:
                if self._connection is None or self._connection.is_closed():
                    await self._connect()
                await self._read()
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
                log.warning("the data version is unknown (no ETags meanwhile): %s", error)
                self._forget()
                await self._disconnect()
            self._wake.clear()
            wait = max(0.0, self.poll_seconds - (time.monotonic() - started))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), wait)

    async def _connect(self) -> None:
        connection = await asyncpg.connect(
            self._dsn, timeout=5, server_settings={"application_name": "reusegraph-listen"}
        )
        connection.add_termination_listener(self._terminated)
        await connection.add_listener(CHANNEL, self._notified)
        self._connection = connection

    async def _read(self) -> None:
        async with self._lock:
            connection = self._connection
            if connection is None or connection.is_closed():
                raise asyncpg.InterfaceError("the listening connection is not open")
            row = await connection.fetchrow(READ)
        self.reads += 1
        if row is not None:
            self._advance(int(row["version"]))
            self._fresh = bool(row["fresh"])

    def _advance(self, version: int) -> None:
        if self._version is None or version > self._version:
            self._version = version

    def _notified(self, connection: object, pid: int, channel: str, payload: str) -> None:
        try:
            self._advance(int(payload))
        except ValueError:
            self._wake.set()

    def _terminated(self, connection: object) -> None:
        self._forget()
        self._wake.set()

    def _forget(self) -> None:
        self._version = None
        self._fresh = False

    async def _disconnect(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None and not connection.is_closed():
            try:
                await connection.close(timeout=2)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                connection.terminate()
