"""Connections: one per request, acquired lazily, one transaction, statements serialised.

Two engines: ``request_engine`` logs in as the request login (``store/request_login``),
which cannot become the system, and serves every transaction with a viewer;
``engine`` logs in with ``DATABASE_URL`` (the owner) for system work: ``session(None)``,
migrations, the rate budget, sync bookkeeping.

Strawberry resolves sibling fields concurrently and asyncpg runs one statement at a time
per connection, so ``Reader`` puts a lock around each statement instead of taking a
pooled connection per statement (which costs more and breaks per-transaction settings).
"""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import Executable, Result, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from reusegraph.auth.principal import Principal
from reusegraph.store.errors import DatabaseUnavailable
from reusegraph.store.request_login import prepare_request_login, request_login
from reusegraph.store.rls import transaction_settings
from reusegraph.store.urls import async_url
from reusegraph.store.viewer_mac import ViewerKey

_UNAVAILABLE = (OSError, OperationalError, InterfaceError, ConnectionError, asyncio.TimeoutError)


def _is_unavailable(error: BaseException) -> bool:
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    if isinstance(error, _UNAVAILABLE):
        return True
    name = type(error).__name__
    return name in {"CannotConnectNowError", "ConnectionDoesNotExistError", "AdminShutdownError"}


def _engine(url: URL, pool_size: int, echo: bool, application: str) -> AsyncEngine:
    return create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        pool_timeout=5,
        echo=echo,
        connect_args={"timeout": 5, "server_settings": {"application_name": application}},
    )


class Database:
    """The engines and their pools. ``pool_pre_ping`` lets them recover when PostgreSQL returns.

    ``api_url`` is ``REUSEGRAPH_API_DATABASE_URL``; None: derived from ``url``.
    """

    def __init__(
        self,
        url: str,
        *,
        api_url: str | None = None,
        pool_size: int = 10,
        statement_timeout_ms: int = 15000,
        echo: bool = False,
    ) -> None:
        self.url = async_url(url)
        self.statement_timeout_ms = statement_timeout_ms
        self.request_login = request_login(self.url, api_url)
        self.engine: AsyncEngine = _engine(self.url, pool_size, echo, "reusegraph-system")
        self.request_engine: AsyncEngine = _engine(
            self.request_login.url, pool_size, echo, "reusegraph"
        )
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self.request_sessions = async_sessionmaker(self.request_engine, expire_on_commit=False)
        self._login_ready = False
        self._login_lock = asyncio.Lock()
        self.viewer_key = ViewerKey(self.engine)

    async def prepare_request_login(self) -> None:
        """Checks the request login once (``store.request_login``); the app's start calls it
        so that a misconfigured login stops the server instead of failing requests."""
        if self._login_ready:
            return
        async with self._login_lock:
            if not self._login_ready:
                await prepare_request_login(self.request_login, self.engine)
                self._login_ready = True

    @asynccontextmanager
    async def read(self, viewer: Principal) -> AsyncIterator["Reader"]:
        """A read-only transaction for one request; the connection is taken on first use."""
        reader = Reader(self, viewer)
        try:
            yield reader
        finally:
            await reader.close()

    @asynccontextmanager
    async def session(self, viewer: Principal | None) -> AsyncIterator[AsyncSession]:
        """One read-write transaction (ORM), committed on success, rolled back on error.

        ``viewer`` is whom row-level security checks the writes against; ``None`` is the
        system itself (demo data, sync), which may write any municipality's rows.
        """
        try:
            # The system passes the policies by its role; its settings are all empty.
            key = b"" if viewer is None else await self.viewer_key.get()
            statement, params = transaction_settings(
                viewer, self.statement_timeout_ms, key, read_only=False
            )
            sessions = self.sessions
            if viewer is not None:
                await self.prepare_request_login()
                sessions = self.request_sessions
            async with sessions() as session, session.begin():
                await session.execute(statement, params)
                yield session
        except Exception as error:
            if _is_unavailable(error):
                raise DatabaseUnavailable(str(error)) from error
            raise

    async def ping(self) -> bool:
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            return True
        except Exception as error:
            if _is_unavailable(error):
                return False
            raise

    async def dispose(self) -> None:
        await self.request_engine.dispose()
        await self.engine.dispose()


class Reader:
    """Executes Core statements for one request inside one read-only transaction."""

    def __init__(self, database: Database, viewer: Principal) -> None:
        self._database = database
        self._viewer = viewer
        self._connection: AsyncConnection | None = None
        self._lock = asyncio.Lock()

    async def _connect(self) -> AsyncConnection:
        if self._connection is None:
            await self._database.prepare_request_login()
            connection = await self._database.request_engine.connect()
            try:
                # One snapshot for all of a request's statements: loaders see one state.
                await connection.execution_options(isolation_level="REPEATABLE READ")
                await connection.begin()
                statement, params = transaction_settings(
                    self._viewer,
                    self._database.statement_timeout_ms,
                    await self._database.viewer_key.get(),
                    read_only=True,
                )
                await connection.execute(statement, params)
            except BaseException:
                await connection.close()
                raise
            self._connection = connection
        return self._connection

    async def execute(
        self, statement: Executable, params: dict[str, Any] | None = None
    ) -> Result[*tuple[Any, ...]]:
        async with self._lock:
            try:
                connection = await self._connect()
                return await connection.execute(statement, params)
            except Exception as error:
                if _is_unavailable(error):
                    await self._discard()
                    raise DatabaseUnavailable(str(error)) from error
                raise

    async def _discard(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                await connection.invalidate()
                await connection.close()
            except Exception:
                pass

    async def close(self) -> None:
        """Ends the read; a connection broken meanwhile (e.g. a statement cancelled when a
        sibling field failed) is discarded instead of failing the response."""
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            await connection.rollback()
            await connection.close()
        except Exception:
            self._connection = connection
            await self._discard()
