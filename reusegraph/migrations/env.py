"""Alembic environment. Called with a connection by ``store.schema_version.upgrade``, or
by the ``alembic`` command line with ``-x url=...`` / ``DATABASE_URL`` for authoring revisions."""

import asyncio
import os

from alembic import context
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from reusegraph.store import models  # noqa: F401 - registers every table
from reusegraph.store.base import Base
from reusegraph.store.urls import async_url

target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        transaction_per_migration=False,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_online() -> None:
    url = context.get_x_argument(as_dictionary=True).get("url") or os.environ["DATABASE_URL"]
    engine = create_async_engine(async_url(url))
    async with engine.begin() as conn:
        await conn.run_sync(_run)
    await engine.dispose()


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    asyncio.run(_run_online())
