"""The request login's password, as a deployment with password authentication sees it.

A private PostgreSQL whose ``pg_hba.conf`` demands a SCRAM password of
``reusegraph_api_login`` (and trusts the owner): with one ``DATABASE_URL`` carrying the
owner's password, the server derives the login's password, sets it on the first refusal
and logs in; every later start derives the same one and sets nothing.
"""

from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import URL

from reusegraph.store.embedded import EmbeddedPostgres
from reusegraph.store.engine import Database
from reusegraph.store.request_login import LOGIN, RequestLoginError, derived_password
from reusegraph.store.urls import asyncpg_dsn

ROLES = f"""
CREATE ROLE reusegraph_api NOLOGIN;
CREATE ROLE reusegraph_system NOLOGIN;
CREATE ROLE {LOGIN} LOGIN NOINHERIT;
GRANT reusegraph_api TO {LOGIN};
"""


@pytest.fixture
async def password_server(server_dir: Path) -> AsyncIterator[URL]:
    """The owner's URL (with a password the server ignores: the owner is trusted)."""
    embedded = EmbeddedPostgres(server_dir / "pgdata")
    url = embedded.start()
    try:
        hba = embedded.data_dir / "pg_hba.conf"
        hba.write_text(f"local all {LOGIN} scram-sha-256\n" + hba.read_text())
        owner = await asyncpg.connect(asyncpg_dsn(url))
        try:
            await owner.execute(ROLES)
            await owner.execute("SELECT pg_reload_conf()")
        finally:
            await owner.close()
        yield url.set(password="owner-secret")
    finally:
        embedded.stop()


async def stored_password(url: URL) -> str | None:
    owner = await asyncpg.connect(asyncpg_dsn(url))
    try:
        value = await owner.fetchval("SELECT rolpassword FROM pg_authid WHERE rolname = $1", LOGIN)
        return None if value is None else str(value)
    finally:
        await owner.close()


async def test_the_server_sets_the_derived_password_once_and_logs_in_with_it(
    password_server: URL,
) -> None:
    owner_url = password_server.render_as_string(hide_password=False)
    assert await stored_password(password_server) is None
    db = Database(owner_url, pool_size=1)
    try:
        assert db.request_login.url.password == derived_password("owner-secret")
        await db.prepare_request_login()
        async with db.request_engine.connect() as connection:
            login = (await connection.execute(text("SELECT session_user"))).scalar_one()
        assert login == LOGIN
    finally:
        await db.dispose()
    verifier = await stored_password(password_server)
    assert verifier is not None
    assert verifier.startswith("SCRAM-SHA-256$4096:")

    again = Database(owner_url, pool_size=1)  # another replica, or the next start
    try:
        await again.prepare_request_login()
    finally:
        await again.dispose()
    assert await stored_password(password_server) == verifier, "nothing set the second time"


async def test_a_wrong_password_in_the_api_url_stops_the_server_with_its_reason(
    password_server: URL,
) -> None:
    owner_url = password_server.render_as_string(hide_password=False)
    wrong = password_server.set(username=LOGIN, password="wrong").render_as_string(
        hide_password=False
    )
    db = Database(owner_url, api_url=wrong, pool_size=1)
    try:
        with pytest.raises(RequestLoginError, match="refused the login 'reusegraph_api_login'"):
            await db.prepare_request_login()
    finally:
        await db.dispose()
    assert await stored_password(password_server) is None, "an operator's login is left alone"
