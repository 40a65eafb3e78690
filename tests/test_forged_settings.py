"""The API role cannot forge a viewer: ``reusegraph.*`` settings count only when signed.

A request's statements run as ``reusegraph_api``, which may ``set_config`` any setting.
Migration 0021 makes the policies read the viewer's settings through
``reusegraph_viewer(name)``, which checks ``reusegraph.viewer_mac`` with a key the API
role cannot read. These tests set every setting the role can, as a bare API login and
inside the app's own request transaction, and check that the rows seen are the
anonymous viewer's (or the real viewer's) and no more.
"""

import hashlib
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from sqlalchemy import text

from reusegraph.auth.principal import ANONYMOUS, Principal, Role
from reusegraph.compiler.runner import CompiledReads
from reusegraph.store.engine import Database
from reusegraph.store.rls import session_settings
from reusegraph.store.urls import asyncpg_dsn
from tests.support.postgres import url_of
from tests.support.viewers import member

PUBLIC = "SELECT count(*) FROM process WHERE visibility = 'PUBLIC' OR type = 'GLOBAL_PARENT'"
HIDDEN = (
    "SELECT municipality_code, min(reporter) FROM process"
    " WHERE visibility <> 'PUBLIC' AND type <> 'GLOBAL_PARENT'"
    " GROUP BY municipality_code ORDER BY count(*) DESC, municipality_code LIMIT 1"
)
FORGE = (
    "SELECT set_config('reusegraph.' || name, value, $1) FROM (VALUES"
    " ('member_of', $2), ('editor_of', $2), ('subject', $3), ('issuer', 'test'),"
    " ('admin', 'on'), ('system', 'on'), ('viewer_mac', $4)) AS forged (name, value)"
)
SEEN = {
    "process": "SELECT count(*) FROM process",
    "internal fields": "SELECT count(*) FROM process"
    " WHERE municipality_code = (SELECT reusegraph_viewer('member_of'))",
    "audit entries": "SELECT count(*) FROM audit_entry",
    "trusted documents": "SELECT count(*) FROM trusted_document",
    "webhook subscriptions": "SELECT count(*) FROM webhook_subscription",
}


async def as_system(db: Database, sql: str) -> tuple[Any, ...]:
    async with db.session(None) as session:
        return tuple((await session.execute(text(sql))).one())


@pytest.fixture
async def api_login(demo_db: Database) -> AsyncIterator[asyncpg.Connection]:
    """A login that is a member of ``reusegraph_api`` and nothing else, as the API role."""
    name = f"rgtest_api_{uuid.uuid4().hex[:12]}"
    owner = await asyncpg.connect(asyncpg_dsn(demo_db.url))
    try:
        await owner.execute(f"CREATE ROLE {name} LOGIN IN ROLE reusegraph_api")
        connection = await asyncpg.connect(
            asyncpg_dsn(demo_db.url.set(username=name, password=None))
        )
        try:
            await connection.execute("SET ROLE reusegraph_api")
            yield connection
        finally:
            await connection.close()
    finally:
        await owner.execute(f"DROP ROLE IF EXISTS {name}")
        await owner.close()


@pytest.fixture
async def trusted(demo_db: Database) -> AsyncIterator[None]:
    """One trusted document: rows an admin reads and nobody else."""
    document = "{ __typename }"
    digest = hashlib.sha256(document.encode()).hexdigest()
    async with demo_db.session(None) as session:
        await session.execute(
            text("INSERT INTO trusted_document (sha256_hash, document) VALUES (:h, :d)"),
            {"h": digest, "d": document},
        )
    try:
        yield
    finally:
        async with demo_db.session(None) as session:
            await session.execute(
                text("DELETE FROM trusted_document WHERE sha256_hash = :h"), {"h": digest}
            )


async def admin_sees(db: Database) -> int:
    admin = Principal(issuer="test", subject="admin", roles=frozenset({Role.ADMIN}))
    async with db.read(admin) as reader:
        return int((await reader.execute(text(SEEN["trusted documents"]))).scalar_one())


async def seen(connection: asyncpg.Connection) -> dict[str, int]:
    return {what: await connection.fetchval(sql) for what, sql in SEEN.items()}


async def test_every_setting_forged_by_the_api_role_leaves_it_anonymous(
    demo_db: Database, api_login: asyncpg.Connection, trusted: None
) -> None:
    (public,) = await as_system(demo_db, PUBLIC)
    municipality, reporter = await as_system(demo_db, HIDDEN)
    assert await admin_sees(demo_db) == 1
    anonymous = await seen(api_login)
    assert anonymous["process"] == public

    for mac in ("", "0" * 64, "not hex at all"):
        await api_login.fetchrow(FORGE, False, municipality, reporter, mac)
        assert await seen(api_login) == anonymous
        assert await api_login.fetchval("SELECT reusegraph_viewer('admin')") is None
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await api_login.fetchval("SELECT key FROM reusegraph_viewer_key")
    with pytest.raises(asyncpg.RaiseError, match="not a signed viewer setting"):
        await api_login.fetchval("SELECT reusegraph_viewer('system')")


async def test_a_member_keeps_their_rows_and_gains_none_by_forging_more(
    demo_db: Database, trusted: None
) -> None:
    """The app's own request transaction: its MAC is real, so the member sees their rows;
    changing any signed value (even keeping that MAC) falls back to the anonymous view."""
    (public,) = await as_system(demo_db, PUBLIC)
    municipality, _ = await as_system(demo_db, HIDDEN)
    viewer = member(str(municipality))
    async with demo_db.read(viewer) as reader:

        async def count(sql: str) -> int:
            return int((await reader.execute(text(sql))).scalar_one())

        own = await count(SEEN["process"])
        assert own > public
        assert await count(SEEN["internal fields"]) > 0
        assert await count(SEEN["audit entries"]) == 0  # neither an admin nor an editor
        mac = (
            await reader.execute(text("SELECT current_setting('reusegraph.viewer_mac')"))
        ).scalar_one()
        await reader.execute(text("SELECT set_config('reusegraph.admin', 'on', true)"))
        assert await count(SEEN["audit entries"]) == 0
        assert await count(SEEN["trusted documents"]) == 0
        assert await count(SEEN["process"]) == public
        await reader.execute(text("SELECT set_config('reusegraph.admin', '', true)"))
        assert await count(SEEN["process"]) == own, "the same values and MAC hold again"
        other = "0000" if municipality != "0000" else "0001"
        await reader.execute(
            text("SELECT set_config('reusegraph.member_of', :other, true)"), {"other": other}
        )
        assert await count(SEEN["process"]) == public
        assert (
            await reader.execute(text("SELECT current_setting('reusegraph.viewer_mac')"))
        ).scalar_one() == mac


async def test_an_anonymous_request_that_forges_a_member_sees_only_public_rows(
    demo_db: Database,
) -> None:
    (public,) = await as_system(demo_db, PUBLIC)
    municipality, reporter = await as_system(demo_db, HIDDEN)
    async with demo_db.read(ANONYMOUS) as reader:
        await reader.execute(
            text(
                "SELECT set_config('reusegraph.member_of', :m, true),"
                " set_config('reusegraph.subject', :s, true),"
                " set_config('reusegraph.viewer_mac', repeat('a', 64), true)"
            ),
            {"m": municipality, "s": reporter},
        )
        assert (await reader.execute(text(SEEN["process"]))).scalar_one() == public
        assert (await reader.execute(text(SEEN["internal fields"]))).scalar_one() == 0


async def test_no_policy_reads_a_viewer_setting_unsigned(demo_db: Database) -> None:
    """A policy added later that reads ``current_setting('reusegraph.…')`` itself would be
    forgeable again: every one must go through ``reusegraph_viewer``."""
    (unsigned,) = await as_system(
        demo_db,
        "SELECT count(*) FROM pg_policies WHERE coalesce(qual, '') || coalesce(with_check, '')"
        " ~ 'current_setting\\(''reusegraph\\.'",
    )
    (signed,) = await as_system(
        demo_db,
        "SELECT count(*) FROM pg_policies WHERE coalesce(qual, '') || coalesce(with_check, '')"
        " LIKE '%reusegraph_viewer(%'",
    )
    assert (unsigned, signed > 20) == (0, True)


async def test_the_compiled_path_never_shows_a_mac_in_query_text(demo_db: Database) -> None:
    """``pg_stat_activity`` shows every session's last query to any session of the same
    login, so a signed value sent as literal text could be read and replayed elsewhere."""
    municipality, _ = await as_system(demo_db, HIDDEN)
    key = await demo_db.viewer_key.get()
    settings = session_settings(member(str(municipality)), 15000, key)
    reads = CompiledReads(
        url_of(demo_db), pool_size=1, statement_timeout_ms=15000, viewer_key=demo_db.viewer_key
    )
    try:
        pool = await reads._connections()
        async with pool.acquire() as connection:
            assert await connection.hold(settings)
            pid = connection.get_server_pid()
            owner = await asyncpg.connect(asyncpg_dsn(demo_db.url))
            try:
                shown = await owner.fetchval(
                    "SELECT query FROM pg_stat_activity WHERE pid = $1", pid
                )
            finally:
                await owner.close()
    finally:
        await reads.close()
    mac = settings[1][-1]
    assert "reusegraph.viewer_mac" in shown
    assert mac not in shown
    assert str(municipality) not in shown
