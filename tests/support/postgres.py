"""A PostgreSQL server per test run and a fresh database per test (or module).

With ``DATABASE_URL`` set, its server is used; otherwise a private embedded PostgreSQL is
started in a temporary directory. Databases are cloned from templates (migrated, and
migrated + demo data) because ``CREATE DATABASE ... TEMPLATE`` takes ~100 ms where
migrating and loading take seconds. Every database a test run creates is dropped.
"""

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy.engine import URL

from reusegraph.store.databases import create_database, drop_database
from reusegraph.store.embedded import EmbeddedPostgres
from reusegraph.store.engine import Database
from reusegraph.store.urls import async_url, with_database

PREFIX = "rgtest_"


def unique_name(kind: str) -> str:
    return f"{PREFIX}{kind}_{uuid.uuid4().hex[:12]}"


def server_url(tmp_dir: Path) -> tuple[URL, EmbeddedPostgres | None]:
    configured = os.environ.get("DATABASE_URL")
    if configured:
        return async_url(configured), None
    embedded = EmbeddedPostgres(tmp_dir / "pgdata")
    return embedded.start(), embedded


@asynccontextmanager
async def cloned_database(server: URL, template: str) -> AsyncIterator[Database]:
    name = unique_name("db")
    await create_database(str(server), name, template=template)
    db = Database(with_database(server, name).render_as_string(hide_password=False), pool_size=4)
    try:
        yield db
    finally:
        await db.dispose()
        await drop_database(str(server), name)


def url_of(db: Database) -> str:
    """The URL with its password, for a child app or process that logs in as the owner."""
    return db.url.render_as_string(hide_password=False)
