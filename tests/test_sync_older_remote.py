"""A remote reusegraph of an earlier version, whose change feed has no ``umbrellaIds``.

The gateway asks once, is refused by the remote's validation, and asks every page of the
run again without the field; the run says so, every record still arrives, and the
memberships the gateway holds are kept rather than emptied. After the remote's upgrade
the memberships come with each record's next change.
"""

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.engine import URL

from reusegraph.federation.backoff import Backoff
from reusegraph.federation.sources_graphql import _graphql_error
from reusegraph.federation.sync import RunResult, SyncEngine, SyncOptions
from reusegraph.store.engine import Database
from tests.support import builders as b
from tests.support.http import serving
from tests.support.issuer import LocalIssuer
from tests.support.older_remote import OlderRemote
from tests.support.remotes import (
    RemoteRegistry,
    mirrored,
    prepare_gateway,
    published,
    register,
    remote_registry,
)
from tests.support.tenants import A

pytest_plugins = ("tests.support.identity_fixtures",)

FAST = SyncOptions(backoff=Backoff(attempts=2, base=0.01, cap=0.05))


@pytest.fixture
async def remote(
    pg_server: URL, migrated_template: str, local_issuer: LocalIssuer
) -> AsyncIterator[RemoteRegistry]:
    async with remote_registry(pg_server, migrated_template, local_issuer) as registry:
        yield registry


async def sync(db: Database) -> RunResult:
    engine = SyncEngine(db, options=FAST)
    try:
        return await engine.sync("remote-a")
    finally:
        await engine.aclose()


async def memberships(db: Database) -> set[tuple[str, str]]:
    async with db.engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT u.title, c.title FROM process_umbrella pu"
                " JOIN process u ON u.id = pu.umbrella_id JOIN process c ON c.id = pu.child_id"
            )
        )
        return {(row[0], row[1]) for row in rows}


async def test_an_older_remote_is_asked_without_umbrella_ids_and_memberships_stay(
    remote: RemoteRegistry,
    empty_db: Database,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    umbrella = b.process(A, title="Paraply", type="PARENT")
    members = [b.process(A, title=f"Medlem {n}") for n in (1, 2)]
    others = [b.process(A, title=f"Proces {n}") for n in range(3)]
    await remote.add(
        umbrella,
        *members,
        *others,
        process_umbrella=[{"umbrella_id": umbrella["id"], "child_id": m["id"]} for m in members],
    )
    proxy = OlderRemote(remote.endpoint)
    async with serving(proxy) as base:  # type: ignore[arg-type]
        await prepare_gateway(empty_db)
        monkeypatch.setenv("REMOTE_A_TOKEN", remote.token())
        await register(
            empty_db, "remote-a", f"{base}/graphql", auth="bearer",
            secret_ref="env:REMOTE_A_TOKEN", page_size=2,
        )  # fmt: skip

        first = await sync(empty_db)
        assert first.outcome == "ok", first.error
        assert first.unserved == ["umbrellaIds"]
        assert "asked without umbrellaIds" in first.counts()
        assert first.pages == 3
        assert await mirrored(empty_db, "remote-a") == await published(remote)
        assert proxy.refused == 1, "refused once; the run's other pages are asked without it"
        assert ["umbrellaIds" in q for q in proxy.queries] == [True, False, False, False]

        proxy.older = False  # the remote is upgraded
        await remote.execute(
            "UPDATE process SET summary = 'ny', version = version + 1 WHERE id = ANY(:ids)",
            ids=[m["id"] for m in members],
        )
        upgraded = await sync(empty_db)
        assert upgraded.unserved == []
        assert await memberships(empty_db) == {("Paraply", "Medlem 1"), ("Paraply", "Medlem 2")}

        proxy.older = True  # rolled back to the older version
        await remote.execute(
            "UPDATE process SET title = 'Medlem 1, ændret', version = version + 1 WHERE id = :id",
            id=members[0]["id"],
        )
        rolled_back = await sync(empty_db)
        assert rolled_back.outcome == "ok", rolled_back.error
        assert rolled_back.unserved == ["umbrellaIds"]
        assert rolled_back.upserted == 1
        assert await memberships(empty_db) == {
            ("Paraply", "Medlem 1, ændret"),
            ("Paraply", "Medlem 2"),
        }, "a feed without umbrellaIds says nothing of memberships: they stay"


def test_only_a_refusal_of_optional_fields_alone_is_worked_around() -> None:
    older = "Cannot query field 'umbrellaIds' on type 'FeedProcess'."
    other = "Cannot query field 'title' on type 'FeedProcess'. Did you mean 'titles'?"
    alone = _graphql_error("https://remote.example/graphql", [{"message": older}])
    assert alone.refused_fields == {"umbrellaIds"}
    mixed = _graphql_error(
        "https://remote.example/graphql", [{"message": older}, {"message": other}]
    )
    assert mixed.refused_fields == frozenset()
    assert "does not serve the source contract" in str(mixed)
