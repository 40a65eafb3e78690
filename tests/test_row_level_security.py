"""Row-level security holds on its own: raw SQL with no visibility predicate at all.

The store adds ``readable_processes`` to every query; these tests leave it out, as a
forgotten predicate would, and read and write through ``Database.read``/``session`` (the
role and transaction-local settings of a request). PostgreSQL alone must then keep every
row the caller may not see out of the answer, refuse writes to other municipalities, and
forget the caller when the transaction ends, so the next user of a pooled connection
starts from nothing.
"""

import uuid
from collections.abc import AsyncIterator
from datetime import date
from typing import Any, cast

import pytest
from sqlalchemy import FromClause, Table, insert, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError

from reusegraph.auth.principal import ANONYMOUS, Principal, Role
from reusegraph.store import models
from reusegraph.store.engine import Database
from tests.support import builders as b
from tests.support.postgres import cloned_database

A, B = "NO-5001", "NO-0301"

# name -> (municipality, visibility, type, reporter, co-editors)
PROCESSES: dict[str, tuple[str, str, str, str | None, list[str]]] = {
    "a-public": (A, "PUBLIC", "CHILD", "erik", []),
    "a-municipality": (A, "MUNICIPALITY", "CHILD", "erik", []),
    "a-personal": (A, "PERSONAL", "CHILD", "alice", ["carol"]),
    "a-umbrella": (A, "PERSONAL", "GLOBAL_PARENT", "bob", []),
    "b-public": (B, "PUBLIC", "CHILD", None, []),
    "b-municipality": (B, "MUNICIPALITY", "CHILD", None, []),
    "b-personal": (B, "PERSONAL", "CHILD", "alice", []),
}
IDS = {name: uuid.uuid5(uuid.NAMESPACE_URL, f"rls/{name}") for name in PROCESSES}
NAMES = {process_id: name for name, process_id in IDS.items()}
# derived <- origin
LINKS = [
    ("b-municipality", "a-public"),
    ("a-personal", "b-public"),
    ("b-public", "a-public"),
    ("a-municipality", "a-umbrella"),
    ("b-personal", "a-municipality"),
]
PUBLIC = {"a-public", "a-umbrella", "b-public"}


def principal(municipality: str, role: Role, subject: str = "dave") -> Principal:
    return Principal(
        issuer="test", subject=subject, municipality=municipality, roles=frozenset({role})
    )


# principal, what it may read, and whether it is inside A or B (internal rows)
CALLERS: dict[str, tuple[Principal, set[str], str | None]] = {
    "anonymous": (ANONYMOUS, PUBLIC, None),
    "reader of A, a reporter there": (principal(A, Role.READER, "alice"), PUBLIC, None),
    "member of A": (principal(A, Role.MEMBER), PUBLIC | {"a-municipality"}, A),
    "editor of A": (principal(A, Role.EDITOR), PUBLIC | {"a-municipality"}, A),
    "admin of A": (principal(A, Role.ADMIN), PUBLIC | {"a-municipality"}, A),
    "member of A, PERSONAL reporter": (
        principal(A, Role.MEMBER, "alice"),
        PUBLIC | {"a-municipality", "a-personal"},
        A,
    ),
    "editor of A, PERSONAL co-editor": (
        principal(A, Role.EDITOR, "carol"),
        PUBLIC | {"a-municipality", "a-personal"},
        A,
    ),
    "member of B, reporter of a PERSONAL one in A": (
        principal(B, Role.MEMBER, "alice"),
        PUBLIC | {"b-municipality", "b-personal"},
        B,
    ),
}


async def seed(db: Database) -> None:
    """The world above, with a row of every process-owned table for each process."""
    rows = []
    for name, (code, visibility, type_, reporter, co_editors) in PROCESSES.items():
        rows.append(
            b.process(
                code,
                id=IDS[name],
                title=name,
                visibility=visibility,
                type=type_,
                reporter=reporter,
                co_editors=co_editors,
                internal_notes=f"internal note of {name}",
            )
        )
    await b.insert_rows(
        db,
        municipality=[b.municipality(A), b.municipality(B)],
        it_system=[{"code": "sofie", "name": "SOFIE"}],
        technology=[{"code": "rpa", "name": "RPA"}],
        process=rows,
        process_it_system=[{"process_id": i, "it_system_code": "sofie"} for i in IDS.values()],
        process_technology=[{"process_id": i, "technology_code": "rpa"} for i in IDS.values()],
        reuse_link=[b.reuse(IDS[derived], IDS[origin]) for derived, origin in LINKS],
        benefit_record=[b.benefit(i, date(2025, 1, 1), 10.0) for i in IDS.values()],
    )
    meeting = uuid.uuid4()
    tables: list[tuple[FromClause, list[dict[str, Any]]]] = [
        (
            models.ProcessLink.__table__,
            [
                {"process_id": i, "url": f"https://x.example/{n}/{internal}", "internal": internal}
                for n, i in IDS.items()
                for internal in (False, True)
            ],
        ),
        (
            models.ProcessAttachment.__table__,
            [
                {
                    "process_id": i,
                    "file_name": f"{n}-{shared}",
                    "url": "https://x.example/f",
                    "shared": shared,
                }
                for n, i in IDS.items()
                for shared in (False, True)
            ],
        ),
        (
            models.NetworkMeeting.__table__,
            [{"id": meeting, "title": "network", "topics": [], "external_participants": []}],
        ),
        (models.meeting_process, [{"meeting_id": meeting, "process_id": i} for i in IDS.values()]),
        (
            models.process_umbrella,
            [
                {"umbrella_id": IDS["a-umbrella"], "child_id": i}
                for n, i in IDS.items()
                if n != "a-umbrella"
            ],
        ),
    ]
    async with db.session(None) as session:
        for table, values in tables:
            await session.execute(insert(cast(Table, table)), values)


@pytest.fixture(scope="module")
async def world_db(pg_server: URL, migrated_template: str) -> AsyncIterator[Database]:
    """Read-only tests share one seeded database."""
    async with cloned_database(pg_server, migrated_template) as db:
        await seed(db)
        yield db


@pytest.fixture
async def write_db(empty_db: Database) -> Database:
    await seed(empty_db)
    return empty_db


async def names(db: Database, viewer: Principal, sql: str) -> list[Any]:
    """Rows of ``sql`` as ``viewer``, with process ids turned into their names."""
    async with db.read(viewer) as reader:
        rows = (await reader.execute(text(sql))).all()
    return sorted(tuple(NAMES.get(v, v) for v in row) for row in rows)


callers = pytest.mark.parametrize("caller", list(CALLERS))


@callers
async def test_raw_select_returns_only_the_processes_the_caller_may_read(
    world_db: Database, caller: str
) -> None:
    viewer, readable, _ = CALLERS[caller]
    assert await names(world_db, viewer, "SELECT id FROM process") == sorted((n,) for n in readable)
    count = await names(world_db, viewer, "SELECT count(*) FROM process")
    assert count == [(len(readable),)]


@callers
@pytest.mark.parametrize(
    "table",
    ["benefit_record", "process_it_system", "process_technology", "meeting_process"],
)
async def test_rows_of_a_process_are_readable_exactly_when_the_process_is(
    world_db: Database, caller: str, table: str
) -> None:
    viewer, readable, _ = CALLERS[caller]
    got = await names(world_db, viewer, f"SELECT process_id FROM {table}")
    assert got == sorted((n,) for n in readable)
    if table == "benefit_record":
        total = await names(world_db, viewer, "SELECT sum(hours_saved) FROM benefit_record")
        assert float(total[0][0]) == 10.0 * len(readable)


@callers
async def test_umbrella_membership_shows_only_readable_children(
    world_db: Database, caller: str
) -> None:
    viewer, readable, _ = CALLERS[caller]
    got = await names(world_db, viewer, "SELECT child_id FROM process_umbrella")
    assert got == sorted((n,) for n in readable - {"a-umbrella"})


@callers
async def test_a_reuse_link_needs_both_ends_readable(world_db: Database, caller: str) -> None:
    viewer, readable, _ = CALLERS[caller]
    got = await names(world_db, viewer, "SELECT derived_id, origin_id FROM reuse_link")
    assert got == sorted(link for link in LINKS if set(link) <= readable)


@callers
async def test_unshared_attachments_and_internal_links_stay_inside_the_owner(
    world_db: Database, caller: str
) -> None:
    viewer, readable, inside = CALLERS[caller]

    def owned(name: str) -> bool:
        return PROCESSES[name][0] == inside

    attachments = await names(world_db, viewer, "SELECT file_name FROM process_attachment")
    expected = [f"{n}-True" for n in readable] + [f"{n}-False" for n in readable if owned(n)]
    assert attachments == sorted((f,) for f in expected)
    links = await names(world_db, viewer, "SELECT url FROM process_link WHERE internal")
    assert links == sorted((f"https://x.example/{n}/True",) for n in readable if owned(n))


SETTINGS = (
    "SELECT current_user, pg_backend_pid(),"
    " coalesce(current_setting('reusegraph.member_of', true), ''),"
    " coalesce(current_setting('reusegraph.editor_of', true), ''),"
    " coalesce(current_setting('reusegraph.subject', true), ''),"
    " coalesce(current_setting('reusegraph.system', true), '')"
)


async def backend_and_settings(db: Database) -> tuple[Any, ...]:
    """What a connection taken from the request pool without a caller carries."""
    async with db.request_engine.connect() as conn:
        return tuple((await conn.execute(text(SETTINGS))).one())


@pytest.fixture
async def one_connection(world_db: Database) -> AsyncIterator[Database]:
    db = Database(world_db.url.render_as_string(hide_password=False), pool_size=1)
    try:
        yield db
    finally:
        await db.dispose()


async def test_the_next_user_of_a_pooled_connection_does_not_inherit_the_caller(
    one_connection: Database,
) -> None:
    db = one_connection
    member = principal(A, Role.EDITOR, "alice")
    async with db.read(member) as reader:
        role, member_pid, member_of, editor_of, subject, _ = (
            await reader.execute(text(SETTINGS))
        ).one()
        assert (role, member_of, editor_of, subject) == ("reusegraph_api", A, A, "alice")
        assert len((await reader.execute(text("SELECT id FROM process"))).all()) == 5

    async with db.read(ANONYMOUS) as reader:
        _, anonymous_pid, *settings = (await reader.execute(text(SETTINGS))).one()
        rows = (await reader.execute(text("SELECT id FROM process"))).scalars().all()
    assert anonymous_pid == member_pid, "the test needs the same pooled connection twice"
    assert settings == ["", "", "", ""]
    assert sorted(NAMES[i] for i in rows) == sorted(PUBLIC)

    user, pid, *left = await backend_and_settings(db)
    assert pid == member_pid
    assert user == "reusegraph_api_login", "the role ended with the transaction"
    assert left == ["", "", "", ""]


async def test_a_failed_read_or_a_write_leaves_nothing_behind(one_connection: Database) -> None:
    db = one_connection
    async with db.read(principal(A, Role.MEMBER, "alice")) as reader:
        await reader.execute(text("SELECT id FROM process"))
        with pytest.raises(DBAPIError):
            await reader.execute(text("SELECT no_such_column FROM process"))
    async with db.session(principal(A, Role.EDITOR, "alice")) as session:
        await session.execute(text("SELECT id FROM process"))
    async with db.read(ANONYMOUS) as reader:
        rows = (await reader.execute(text("SELECT id FROM process"))).scalars().all()
        links = (await reader.execute(text("SELECT url FROM process_link WHERE internal"))).all()
    assert sorted(NAMES[i] for i in rows) == sorted(PUBLIC)
    assert links == []
    _, _, *left = await backend_and_settings(db)
    assert left == ["", "", "", ""]


async def test_a_read_transaction_cannot_write(world_db: Database) -> None:
    with pytest.raises(DBAPIError, match="read-only transaction"):
        async with world_db.read(principal(A, Role.EDITOR)) as reader:
            await reader.execute(
                text("UPDATE process SET title = 'changed' WHERE id = :id"), {"id": IDS["a-public"]}
            )


async def title_of(db: Database, name: str) -> str:
    """As the tables' owner, past row-level security: what is really stored."""
    async with db.engine.connect() as conn:
        row = (
            await conn.execute(text("SELECT title FROM process WHERE id = :id"), {"id": IDS[name]})
        ).one()
    return str(row.title)


async def rowcount(db: Database, viewer: Principal, sql: str, **params: Any) -> int:
    async with db.session(viewer) as session:
        result: Any = await session.execute(text(sql), params)
        return int(result.rowcount)


UPDATE = "UPDATE process SET title = 'changed' WHERE id = :id"
DELETE = "DELETE FROM process WHERE id = :id"


async def test_an_editor_writes_own_rows_but_others_are_untouchable(write_db: Database) -> None:
    editor = principal(A, Role.EDITOR)
    # Rows the write policy excludes are not there for UPDATE or DELETE: nothing happens.
    for name in ("b-public", "b-municipality", "b-personal"):
        assert await rowcount(write_db, editor, UPDATE, id=IDS[name]) == 0
        assert await rowcount(write_db, editor, DELETE, id=IDS[name]) == 0
        assert await title_of(write_db, name) == name
    sql = "UPDATE benefit_record SET hours_saved = 0 WHERE process_id = :id"
    assert await rowcount(write_db, editor, sql, id=IDS["b-public"]) == 0
    # Positive control: the same statements work on A's own process.
    assert await rowcount(write_db, editor, UPDATE, id=IDS["a-public"]) == 1
    assert await title_of(write_db, "a-public") == "changed"


@pytest.mark.parametrize(
    ("statement", "params"),
    [
        ("UPDATE process SET municipality_code = :b WHERE id = :id", {"id": "a-public"}),
        (
            "INSERT INTO process (id, municipality_code, title, phase, visibility)"
            " VALUES (gen_random_uuid(), :b, 'planted', 'IDEA', 'PUBLIC')",
            {},
        ),
        (
            "INSERT INTO benefit_record (id, process_id, period, kind, hours_saved)"
            " VALUES (gen_random_uuid(), :id, '2025-02-01', 'MEASURED', 1)",
            {"id": "b-public"},
        ),
        (
            "INSERT INTO reuse_link (id, derived_id, origin_id, kind)"
            " VALUES (gen_random_uuid(), :id, :origin, 'INSPIRATION')",
            {"id": "b-public", "origin": "a-municipality"},
        ),
        (
            "INSERT INTO process_attachment (id, process_id, file_name, url, shared)"
            " VALUES (gen_random_uuid(), :id, 'planted', 'https://x.example', true)",
            {"id": "b-public"},
        ),
    ],
    ids=["re-parent own process", "create", "benefits", "reuse link", "attachment"],
)
async def test_postgresql_refuses_rows_for_another_municipality(
    write_db: Database, statement: str, params: dict[str, str]
) -> None:
    values: dict[str, Any] = {key: IDS[name] for key, name in params.items()}
    if ":b" in statement:
        values["b"] = B
    with pytest.raises(DBAPIError, match="row-level security"):
        await rowcount(write_db, principal(A, Role.EDITOR), statement, **values)
    async with write_db.engine.connect() as conn:
        planted = "SELECT count(*) FROM process WHERE title = 'planted' OR municipality_code = :b"
        assert (await conn.execute(text(planted), {"b": B})).scalar_one() == 3


async def test_members_and_readers_write_nothing_even_in_their_own_municipality(
    write_db: Database,
) -> None:
    for role in (Role.MEMBER, Role.READER):
        viewer = principal(A, role, "alice")
        assert await rowcount(write_db, viewer, UPDATE, id=IDS["a-personal"]) == 0
        with pytest.raises(DBAPIError, match="row-level security"):
            await rowcount(
                write_db,
                viewer,
                "INSERT INTO process (id, municipality_code, title, phase, visibility)"
                " VALUES (gen_random_uuid(), :a, 'planted', 'IDEA', 'PUBLIC')",
                a=A,
            )
    assert await title_of(write_db, "a-personal") == "a-personal"
