"""The system is a role, not a setting: the API role cannot make itself the system.

Until migration 0016 a statement run as ``reusegraph_api`` could ``set_config`` the
``reusegraph.system`` flag and read every row. These tests try that, as a login that
holds nothing but the API role (what a deployment gives the server for requests) and
through the app's own request transaction, and check that only the viewer's rows come back.
"""

import base64
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest
from sqlalchemy import text

from reusegraph.auth.principal import ANONYMOUS
from reusegraph.store.engine import Database
from reusegraph.store.request_login import LOGIN, RequestLoginError, scram_verifier
from reusegraph.store.urls import asyncpg_dsn

PUBLIC = "SELECT count(*) FROM process WHERE visibility = 'PUBLIC' OR type = 'GLOBAL_PARENT'"
EVERY_SETTING = (
    "SELECT set_config('reusegraph.system', 'on', false),"
    " set_config('reusegraph.admin', 'on', false),"
    " set_config('reusegraph.subject', (SELECT min(reporter) FROM process), false),"
    " set_config('reusegraph.editor_of', '', false),"
    " set_config('reusegraph.member_of', '', false)"
)


async def counts(db: Database) -> tuple[int, int]:
    """(every process, the public ones), counted as the system."""
    async with db.session(None) as session:
        every = (await session.execute(text("SELECT count(*) FROM process"))).scalar_one()
        public = (await session.execute(text(PUBLIC))).scalar_one()
    return every, public


@pytest.fixture
async def api_login(demo_db: Database) -> AsyncIterator[asyncpg.Connection]:
    """A connection of a login role that is a member of ``reusegraph_api`` and nothing else."""
    name = f"rgtest_api_{uuid.uuid4().hex[:12]}"
    owner = await asyncpg.connect(asyncpg_dsn(demo_db.url))
    try:
        await owner.execute(f"CREATE ROLE {name} LOGIN IN ROLE reusegraph_api")
        url = demo_db.url.set(username=name, password=None)
        connection = await asyncpg.connect(asyncpg_dsn(url))
        try:
            yield connection
        finally:
            await connection.close()
    finally:
        await owner.execute(f"DROP ROLE IF EXISTS {name}")
        await owner.close()


async def test_the_api_role_with_every_setting_on_still_sees_only_public_rows(
    demo_db: Database, api_login: asyncpg.Connection
) -> None:
    every, public = await counts(demo_db)
    assert public < every, "the demo needs rows an anonymous viewer may not read"
    await api_login.execute("SET ROLE reusegraph_api")
    await api_login.fetchrow(EVERY_SETTING)
    assert await api_login.fetchval("SELECT count(*) FROM process") == public
    assert await api_login.fetchval("SELECT count(*) FROM pending_umbrella") == 0
    assert await api_login.execute("UPDATE process SET title = title") == "UPDATE 0"
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await api_login.execute("SET ROLE reusegraph_system")
    await api_login.execute("RESET ROLE")
    assert await api_login.fetchval("SELECT count(*) FROM process") == public


async def test_a_request_that_sets_the_old_system_flag_gains_nothing(demo_db: Database) -> None:
    """The app's own request transaction: the login may be the owner, the role is the API's."""
    _, public = await counts(demo_db)
    async with demo_db.read(ANONYMOUS) as reader:
        await reader.execute(text(EVERY_SETTING.replace("false", "true")))
        seen = (await reader.execute(text("SELECT count(*) FROM process"))).scalar_one()
        role = (await reader.execute(text("SELECT current_user"))).scalar_one()
    assert (seen, role) == (public, "reusegraph_api")


async def test_system_work_runs_as_the_system_role_and_sees_every_row(demo_db: Database) -> None:
    every, _ = await counts(demo_db)
    async with demo_db.session(None) as session:
        role = (await session.execute(text("SELECT current_user"))).scalar_one()
        seen = (await session.execute(text("SELECT count(*) FROM process"))).scalar_one()
    assert (role, seen) == ("reusegraph_system", every)
    async with demo_db.session(None) as session:
        no_policy_reads_the_flag = await session.execute(
            text(
                "SELECT count(*) FROM pg_policies WHERE coalesce(qual, '') || coalesce("
                "with_check, '') LIKE '%reusegraph.system%'"
            )
        )
    assert no_policy_reads_the_flag.scalar_one() == 0


async def test_requests_log_in_as_a_role_that_cannot_become_the_system(demo_db: Database) -> None:
    """The request pool's own login (no extra setting): whatever a request's statements do,
    it cannot take the system role or the owner's, and sees what the viewer may."""
    _, public = await counts(demo_db)
    owner = demo_db.url.username
    async with demo_db.request_engine.connect() as connection:
        raw = await connection.get_raw_connection()
        login: asyncpg.Connection = raw.driver_connection  # type: ignore[assignment]
        assert await login.fetchval("SELECT session_user") == LOGIN
        for role in ("reusegraph_system", owner):
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await login.execute(f'SET ROLE "{role}"')
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await login.execute(f'SET SESSION AUTHORIZATION "{owner}"')
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await login.fetchval("SELECT count(*) FROM process")  # NOINHERIT: nothing of its own
        await login.execute("SET ROLE reusegraph_api")
        await login.fetchrow(EVERY_SETTING)
        assert await login.fetchval("SELECT count(*) FROM process") == public
        assert await login.fetchval("SELECT count(*) FROM trusted_document") == 0
        assert await login.execute("UPDATE process SET title = title") == "UPDATE 0"
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await login.execute("GRANT reusegraph_system TO reusegraph_api")
        await connection.invalidate()  # its session settings must not go back to the pool


async def test_a_request_transaction_cannot_switch_to_the_system_role(demo_db: Database) -> None:
    _, public = await counts(demo_db)
    async with demo_db.read(ANONYMOUS) as reader:
        login = (await reader.execute(text("SELECT session_user"))).scalar_one()
        with pytest.raises(Exception, match="permission denied to set role"):
            await reader.execute(text("SET LOCAL ROLE reusegraph_system"))
    async with demo_db.read(ANONYMOUS) as reader:
        await reader.execute(text(EVERY_SETTING.replace("false", "true")))
        seen = (await reader.execute(text("SELECT count(*) FROM process"))).scalar_one()
    assert (login, seen) == (LOGIN, public)


async def test_the_server_refuses_a_request_login_that_could_become_the_system(
    demo_db: Database,
) -> None:
    """REUSEGRAPH_API_DATABASE_URL set to the owner's URL: stopped before any request."""
    owner_url = demo_db.url.render_as_string(hide_password=False)
    db = Database(owner_url, api_url=owner_url, pool_size=1)
    try:
        with pytest.raises(RequestLoginError, match="can become reusegraph_system"):
            await db.prepare_request_login()
        with pytest.raises(RequestLoginError):
            async with db.read(ANONYMOUS) as reader:
                await reader.execute(text("SELECT 1"))
    finally:
        await db.dispose()


async def test_the_password_verifier_is_the_one_postgresql_computes(demo_db: Database) -> None:
    """The derived password is sent as a SCRAM verifier; PostgreSQL's own for the same
    password and salt must be byte for byte the same, or the login would be refused."""
    name = f"rgtest_scram_{uuid.uuid4().hex[:12]}"
    owner = await asyncpg.connect(asyncpg_dsn(demo_db.url))
    try:
        if not await owner.fetchval("SELECT rolsuper FROM pg_roles WHERE rolname = current_user"):
            pytest.skip("reading pg_authid needs a superuser")
        await owner.execute("SET password_encryption = 'scram-sha-256'")
        await owner.execute(f"CREATE ROLE {name} LOGIN PASSWORD 'correct horse battery'")
        stored = await owner.fetchval("SELECT rolpassword FROM pg_authid WHERE rolname = $1", name)
        iterations, salt = stored.split("$")[1].split(":")
        assert (
            scram_verifier("correct horse battery", base64.b64decode(salt), int(iterations))
            == stored
        )
    finally:
        await owner.execute(f"DROP ROLE IF EXISTS {name}")
        await owner.close()
