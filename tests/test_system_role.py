"""The system is a role, not a setting: the API role cannot make itself the system.

Until migration 0016 a statement run as ``reusegraph_api`` could ``set_config`` the
``reusegraph.system`` flag and read every row. These tests try that, as a login that
holds nothing but the API role (what a deployment gives the server for requests) and
through the app's own request transaction, and check that only the viewer's rows come back.
"""

import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest
from sqlalchemy import text

from reusegraph.auth.principal import ANONYMOUS
from reusegraph.store.engine import Database
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
