"""Reuse across registries: two reusegraph instances (Trondheim's and Oslo's) each hold a
mirrored copy of the other's process and reuse it. A gateway mirroring both links each
reuse to the origin that arrived through the other source, whichever it syncs first: the
link waits as pending (and says so in the API) until its origin arrives."""

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import URL

from reusegraph.api.app import create_app
from reusegraph.api.settings import Settings
from reusegraph.store.engine import Database
from reusegraph.store.mirror_records import mirror_id
from tests.support import builders as b
from tests.support.http import serving
from tests.support.issuer import LocalIssuer
from tests.support.postgres import url_of
from tests.support.remotes import (
    RemoteRegistry,
    prepare_gateway,
    register,
    remote_registry,
    sync_once,
)
from tests.support.tenants import A, B

pytest_plugins = ("tests.support.identity_fixtures",)

REUSE = """
query ($id: ID!) {
  process(id: $id) {
    pendingReuse { originId source kind }
    reusedFrom { origin { title municipality { code } } }
  }
}
"""


@dataclass
class World:
    gateway: Database
    trondheim: dict[str, Any]
    """Trondheim's own processes at its registry: "origin", and "copy" built on Oslo's."""
    oslo: dict[str, Any]


@pytest.fixture
async def world(
    pg_server: URL,
    migrated_template: str,
    local_issuer: LocalIssuer,
    empty_db: Database,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[World]:
    async with AsyncExitStack() as stack:
        registries: list[RemoteRegistry] = [
            await stack.enter_async_context(
                remote_registry(pg_server, migrated_template, local_issuer)
            )
            for _ in range(2)
        ]
        trondheim_at, oslo_at = registries
        t_origin, t_copy = b.process(A, title="Fakturarobot"), b.process(A, title="Lønrobot")
        o_origin, o_copy = b.process(B, title="Lønnsrobot"), b.process(B, title="Fakturarobot")
        # Each registry mirrors the other's origin (from a source of its own) and reuses it.
        for at, code, owner in (
            (trondheim_at, "oslo-registry", B),
            (oslo_at, "trondheim-registry", A),
        ):
            await register(at.db, code, "https://example.invalid/graphql", owners=(owner,))
        o_mirror = b.process(B, title="Lønnsrobot", source_code="oslo-registry",
                             source_id=str(o_origin["id"]))  # fmt: skip
        t_mirror = b.process(A, title="Fakturarobot", source_code="trondheim-registry",
                             source_id=str(t_origin["id"]))  # fmt: skip
        await trondheim_at.add(
            t_origin, t_copy, o_mirror, reuse_link=[b.reuse(t_copy["id"], o_mirror["id"])]
        )
        await oslo_at.add(
            o_origin, o_copy, t_mirror, reuse_link=[b.reuse(o_copy["id"], t_mirror["id"])]
        )
        await prepare_gateway(empty_db)
        for name, registry, owner in (("trondheim", trondheim_at, A), ("oslo", oslo_at, B)):
            token = local_issuer.token("sync-bot", municipality=owner, roles=["member"])
            monkeypatch.setenv(f"{name.upper()}_TOKEN", token)
            await register(
                empty_db,
                name,
                registry.endpoint,
                owners=(owner,),
                auth="bearer",
                secret_ref=f"env:{name.upper()}_TOKEN",
            )
        yield World(
            empty_db,
            {"origin": t_origin["id"], "copy": t_copy["id"]},
            {"origin": o_origin["id"], "copy": o_copy["id"]},
        )


async def _sync(db: Database, code: str) -> None:
    assert (await sync_once(db, code)).outcome == "ok"


async def _reuse_in_api(db: Database, source: str, source_id: Any) -> dict[str, Any]:
    """What an anonymous reader of the gateway sees of one mirrored process's reuse."""
    process_id = f"Process:{mirror_id(source, str(source_id))}"
    async with (
        serving(create_app(Settings(), url_of(db))) as base,
        httpx.AsyncClient(base_url=base, timeout=30) as http,
    ):
        response = await http.post(
            "/graphql", json={"query": REUSE, "variables": {"id": process_id}}
        )
    body = response.json()
    assert "errors" not in body, body
    found: dict[str, Any] = body["data"]["process"]
    return found


async def _links(db: Database) -> set[tuple[str, str, str, str]]:
    """(derived source, derived source id, origin source, origin source id) per link."""
    async with db.session(None) as session:
        rows = await session.execute(
            text(
                "SELECT d.source_code, d.source_id, o.source_code, o.source_id FROM reuse_link l"
                " JOIN process d ON d.id = l.derived_id JOIN process o ON o.id = l.origin_id"
            )
        )
        return {tuple(row) for row in rows}  # type: ignore[misc]


async def _pending(db: Database) -> set[tuple[str, str]]:
    async with db.session(None) as session:
        rows = await session.execute(
            text("SELECT source_code, origin_source_id FROM pending_reuse")
        )
        return {tuple(row) for row in rows}  # type: ignore[misc]


@pytest.mark.parametrize("order", [("trondheim", "oslo"), ("oslo", "trondheim")])
async def test_reuse_across_two_registries_links_in_either_order(
    world: World, order: tuple[str, str]
) -> None:
    first, second = order
    ids = {"trondheim": world.trondheim, "oslo": world.oslo}
    other = second
    await _sync(world.gateway, first)
    # The first source's reuse names an origin that only the other source brings.
    assert await _pending(world.gateway) == {(first, str(ids[other]["origin"]))}
    assert await _links(world.gateway) == set()
    shown = await _reuse_in_api(world.gateway, first, ids[first]["copy"])
    assert shown == {
        "pendingReuse": [
            {"originId": str(ids[other]["origin"]), "source": first, "kind": "WHOLE_SOLUTION"}
        ],
        "reusedFrom": [],
    }

    await _sync(world.gateway, second)
    assert await _pending(world.gateway) == set()
    assert await _links(world.gateway) == {
        ("trondheim", str(world.trondheim["copy"]), "oslo", str(world.oslo["origin"])),
        ("oslo", str(world.oslo["copy"]), "trondheim", str(world.trondheim["origin"])),
    }
    shown = await _reuse_in_api(world.gateway, first, ids[first]["copy"])
    assert shown["pendingReuse"] == []
    assert [r["origin"]["municipality"]["code"] for r in shown["reusedFrom"]] == [
        A if other == "trondheim" else B
    ]
    # Syncing again in the other order changes nothing.
    for code in reversed(order):
        await _sync(world.gateway, code)
    assert await _pending(world.gateway) == set()
    assert len(await _links(world.gateway)) == 2
