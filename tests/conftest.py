"""Fixtures shared by every test: a PostgreSQL server, template databases, fresh clones,
the two-municipality app (``t``) and a remote reusegraph to mirror (``remote``).

``t`` and ``remote`` ask for ``local_issuer``: a module that uses them loads
``tests.support.identity_fixtures``. A module that needs more in ``t`` overrides it with a
fixture of the same name that asks for ``t`` and adds what it needs.
"""

import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import URL

from reusegraph.store.databases import create_database, drop_database
from reusegraph.store.engine import Database
from reusegraph.store.schema_version import upgrade
from reusegraph.store.urls import with_database
from tests.support.http import GraphQLClient, running_api
from tests.support.issuer import LocalIssuer
from tests.support.postgres import cloned_database, server_url, unique_name, url_of
from tests.support.remotes import RemoteRegistry, remote_registry
from tests.support.tenants import Tenants, tenants


@pytest.fixture
def server_dir() -> Iterator[Path]:
    """A directory for a PostgreSQL data directory, outside pytest's basetemp.

    Not tmp_path: a pytest session that starts meanwhile prunes old basetemp directories
    and resets ``/tmp/pytest-of-<user>`` to mode 0700, and when tests run as root the
    embedded server runs as another user, who then cannot reach its own files.
    """
    directory = Path(tempfile.mkdtemp(prefix="reusegraph-test-pg-"))
    try:
        yield directory
    finally:
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[URL]:
    directory = Path(tempfile.mkdtemp(prefix="reusegraph-test-pg-"))  # see server_dir
    try:
        url, embedded = server_url(directory)
        yield url
        if embedded is not None:
            embedded.stop()
    finally:
        shutil.rmtree(directory, ignore_errors=True)


async def _template(server: URL, build: "object | None" = None) -> str:
    name = unique_name("tmpl")
    await create_database(str(server), name)
    db = Database(with_database(server, name).render_as_string(hide_password=False), pool_size=2)
    try:
        await upgrade(db.engine)
    finally:
        await db.dispose()
    return name


@pytest.fixture(scope="session")
async def migrated_template(pg_server: URL) -> AsyncIterator[str]:
    name = await _template(pg_server)
    yield name
    await drop_database(str(pg_server), name)


@pytest.fixture(scope="session")
async def demo_template(pg_server: URL, migrated_template: str) -> AsyncIterator[str]:
    from reusegraph.store.demo.loader import load_demo

    name = unique_name("demo")
    await create_database(str(pg_server), name, template=migrated_template)
    db = Database(with_database(pg_server, name).render_as_string(hide_password=False), pool_size=2)
    try:
        await load_demo(db)
    finally:
        await db.dispose()
    yield name
    await drop_database(str(pg_server), name)


@pytest.fixture
async def empty_db(pg_server: URL, migrated_template: str) -> AsyncIterator[Database]:
    """A migrated database with no rows, private to one test."""
    async with cloned_database(pg_server, migrated_template) as db:
        yield db


@pytest.fixture(scope="module")
async def demo_db(pg_server: URL, demo_template: str) -> AsyncIterator[Database]:
    """The demo data set, shared by the tests of one module: they must only read."""
    async with cloned_database(pg_server, demo_template) as db:
        yield db


@pytest.fixture
async def api(empty_db: Database) -> AsyncIterator[GraphQLClient]:
    """The app over this test's own empty database."""
    async with running_api(url_of(empty_db)) as client:
        yield client


@pytest.fixture(scope="module")
async def demo_api(demo_db: Database) -> AsyncIterator[GraphQLClient]:
    """The app over the module's demo database (read-only tests)."""
    async with running_api(url_of(demo_db)) as client:
        yield client


@pytest.fixture
def tenant_settings() -> dict[str, Any]:
    """More of the app's ``Settings`` for ``t``; a module overrides this to change them."""
    return {}


@pytest.fixture
async def t(
    empty_db: Database, local_issuer: LocalIssuer, tenant_settings: dict[str, Any]
) -> AsyncIterator[Tenants]:
    """Two municipalities over this test's empty database; the broker may grant admin."""
    async with tenants(empty_db, local_issuer, admin=True, **tenant_settings) as value:
        yield value


@pytest.fixture
async def remote(
    pg_server: URL, migrated_template: str, local_issuer: LocalIssuer
) -> AsyncIterator[RemoteRegistry]:
    """Another reusegraph on its own database (municipalities A and B, the catalog), served."""
    async with remote_registry(pg_server, migrated_template, local_issuer) as registry:
        yield registry
