"""The source registry over HTTP and the CLI, the sync webhook, and staleness in answers."""

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from reusegraph.api.app import create_app
from reusegraph.api.settings import Settings
from reusegraph.store import sync_state
from reusegraph.store.engine import Database
from reusegraph.store.enums import RunOutcome
from tests.support import builders as b
from tests.support.http import free_port, serving
from tests.support.issuer import LocalIssuer
from tests.support.postgres import url_of
from tests.support.remotes import (
    RemoteRegistry,
    mirrored,
    prepare_gateway,
    published,
    register,
    sync_once,
)
from tests.support.tenants import A, B, issuer_entry

pytest_plugins = ("tests.support.identity_fixtures",)

REGISTER = """
mutation ($input: SourceRegisterInput!) {
  sourceRegister(input: $input) {
    source { code kind owners auth secretRef schedule timeoutSeconds }
    userErrors { code message field }
  }
}
"""
REMOVE = """
mutation ($input: SourceRemoveInput!) {
  sourceRemove(input: $input) { removedCode removedRecords userErrors { code message field } }
}
"""
SOURCES = """
{ sources { code kind owners lastOutcome lastError recordCount stale lagSeconds syncedAt
            running consecutiveFailures lastRun { upserts deletes skipped } secretRef } }
"""


@dataclass
class Gateway:
    db: Database
    http: httpx.AsyncClient
    issuer: LocalIssuer

    def token(self, municipality: str | None, *roles: str) -> str:
        return self.issuer.token(f"op-{municipality}", municipality=municipality, roles=list(roles))

    async def call(self, token: str | None, query: str, **variables: Any) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables}, headers=headers
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def sync(self, code: str = "remote-a") -> RunOutcome:
        return (await sync_once(self.db, code)).outcome


@pytest.fixture
async def gateway(
    empty_db: Database,
    local_issuer: LocalIssuer,
    remote: RemoteRegistry,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[Gateway]:
    await prepare_gateway(empty_db)
    monkeypatch.setenv("REMOTE_A_TOKEN", remote.token())
    settings = Settings(issuers=issuer_entry(local_issuer, admin=True), sync_check_seconds=0)
    async with (
        serving(create_app(settings, url_of(empty_db))) as base,
        httpx.AsyncClient(base_url=base, timeout=30) as http,
    ):
        yield Gateway(empty_db, http, local_issuer)


def register_input(remote: RemoteRegistry, **changes: Any) -> dict[str, Any]:
    return {
        "code": "remote-a",
        "name": "Trondheim's own registry",
        "kind": "GRAPHQL",
        "owners": [A],
        "endpoint": remote.endpoint,
        "auth": "BEARER",
        "secretRef": "env:REMOTE_A_TOKEN",
        "schedule": "every 15m",
        **changes,
    }


async def test_an_admin_registers_a_source_and_its_secret_stays_where_it_is(
    gateway: Gateway, remote: RemoteRegistry
) -> None:
    admin = gateway.token(A, "admin")
    body = await gateway.call(admin, REGISTER, input=register_input(remote))
    assert "errors" not in body, body["errors"]
    payload = body["data"]["sourceRegister"]
    assert payload["userErrors"] == []
    assert payload["source"] == {
        "code": "remote-a",
        "kind": "GRAPHQL",
        "owners": [A],
        "auth": "BEARER",
        "secretRef": "env:REMOTE_A_TOKEN",
        "schedule": "every 15m",
        "timeoutSeconds": 30,
    }
    reader_view = await gateway.call(gateway.token(B, "reader"), SOURCES)
    assert reader_view["data"]["sources"][0]["secretRef"] is None
    token = os.environ["REMOTE_A_TOKEN"]
    async with gateway.db.engine.connect() as conn:
        dumped = (await conn.execute(text("SELECT row_to_json(s)::text FROM source s"))).scalar()
    assert token not in str(dumped)

    leaked = await gateway.call(admin, REGISTER, input=register_input(remote, secretRef=token))
    errors = leaked["data"]["sourceRegister"]["userErrors"]
    assert [e["field"] for e in errors] == [["secretRef"]]
    assert token not in errors[0]["message"]


async def test_registration_names_every_field_at_fault(
    gateway: Gateway, remote: RemoteRegistry
) -> None:
    bad = register_input(
        remote,
        code="Remote A",
        endpoint=None,
        auth="OAUTH2",
        schedule="sometimes",
        owners=["NO-9999"],
    )
    body = await gateway.call(gateway.token(A, "admin"), REGISTER, input=bad)
    payload = body["data"]["sourceRegister"]
    assert payload["source"] is None
    fields = {e["field"][0] for e in payload["userErrors"]}
    assert fields == {"code", "endpoint", "tokenUrl", "clientId", "schedule"}
    unknown_owner = register_input(remote, owners=["NO-9999"])
    body = await gateway.call(gateway.token(A, "admin"), REGISTER, input=unknown_owner)
    error = body["data"]["sourceRegister"]["userErrors"][0]
    assert error["field"] == ["owners"]
    assert "NO-9999" in error["message"]
    assert "reusegraph municipality add" in error["message"], "it says how to register it"


async def test_an_official_owner_not_registered_yet_is_registered_with_the_source(
    gateway: Gateway, remote: RemoteRegistry
) -> None:
    bergen = "NO-4601"  # in the official list, not registered in this gateway
    spec = register_input(remote, code="bergen-registry", owners=[bergen])
    body = await gateway.call(gateway.token(A, "admin"), REGISTER, input=spec)
    payload = body["data"]["sourceRegister"]
    assert payload["userErrors"] == [], payload
    assert payload["source"]["owners"] == [bergen]
    async with gateway.db.session(None) as session:
        found = (
            await session.execute(
                text("SELECT name, org_number FROM municipality WHERE code = :c"), {"c": bergen}
            )
        ).one()
        audited = await session.scalar(
            text(
                "SELECT count(*) FROM audit_entry WHERE entity_id = :c"
                " AND action = 'municipalityRegister'"
            ),
            {"c": bergen},
        )
    assert tuple(found) == ("Bergen kommune", "964338531")
    assert audited == 1


async def test_only_admins_register_and_remove_sources(
    gateway: Gateway, remote: RemoteRegistry
) -> None:
    body = await gateway.call(gateway.token(A, "editor"), REGISTER, input=register_input(remote))
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    body = await gateway.call(None, REMOVE, input={"code": "remote-a"})
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_removing_a_mirror_drops_its_copies_but_a_hosted_source_keeps_its_data(
    gateway: Gateway, remote: RemoteRegistry
) -> None:
    admin = gateway.token(A, "admin")
    await remote.add(b.process(A), b.process(A))
    await gateway.call(admin, REGISTER, input=register_input(remote))
    assert await gateway.sync() == "ok"
    body = await gateway.call(admin, REMOVE, input={"code": "remote-a"})
    assert body["data"]["sourceRemove"] == {
        "removedCode": "remote-a",
        "removedRecords": 2,
        "userErrors": [],
    }
    assert await mirrored(gateway.db, "remote-a") == {}

    hosted = {"code": "oslo-hosted", "name": "Oslo", "kind": "HOSTED", "owners": [B]}
    assert (await gateway.call(admin, REGISTER, input=hosted))["data"]["sourceRegister"][
        "userErrors"
    ] == []
    await b.insert_rows(
        gateway.db, process=[b.process(B, visibility="PERSONAL", source_code="oslo-hosted")]
    )
    body = await gateway.call(admin, REMOVE, input={"code": "oslo-hosted"})
    errors = body["data"]["sourceRemove"]["userErrors"]
    assert errors[0]["code"] == "INVALID"
    assert "still holds processes" in errors[0]["message"]


async def test_the_sources_query_shows_how_each_sync_went(
    gateway: Gateway, remote: RemoteRegistry
) -> None:
    await remote.add(b.process(A), b.process(A, visibility="MUNICIPALITY"))
    await register(
        gateway.db, "remote-a", remote.endpoint, auth="bearer", secret_ref="env:REMOTE_A_TOKEN"
    )
    [before] = (await gateway.call(None, SOURCES))["data"]["sources"]
    assert before["stale"] is True
    assert before["lastOutcome"] is None
    assert before["syncedAt"] is None

    assert await gateway.sync() == "ok"
    [after] = (await gateway.call(None, SOURCES))["data"]["sources"]
    assert after["lastOutcome"] == "ok"
    assert after["stale"] is False
    assert not after["running"]
    assert after["recordCount"] == 2
    assert after["lastRun"] == {
        "upserts": 2,
        "deletes": 0,
        "skipped": 0,
    }
    assert 0 <= after["lagSeconds"] < 60


async def test_the_server_syncs_a_source_when_its_schedule_says_so(
    empty_db: Database,
    local_issuer: LocalIssuer,
    remote: RemoteRegistry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await prepare_gateway(empty_db)
    monkeypatch.setenv("REMOTE_A_TOKEN", remote.token())
    await remote.add(b.process(A, title="Fakturaer for lægeerklæringer"))
    await register(
        empty_db,
        "remote-a",
        remote.endpoint,
        auth="bearer",
        secret_ref="env:REMOTE_A_TOKEN",
        schedule="every 15m",
    )
    await register(empty_db, "unscheduled", remote.endpoint, owners=(B,))
    settings = Settings(issuers=issuer_entry(local_issuer), sync_check_seconds=1)
    async with (
        serving(create_app(settings, url_of(empty_db))) as base,
        httpx.AsyncClient(base_url=base, timeout=30) as http,
    ):
        for _ in range(100):
            body = (await http.post("/graphql", json={"query": SOURCES})).json()
            found = {s["code"]: s for s in body["data"]["sources"]}
            if found["remote-a"]["lastOutcome"] is not None:
                break
            await asyncio.sleep(0.1)
    assert found["remote-a"]["lastOutcome"] == "ok"
    assert found["remote-a"]["recordCount"] == 1
    assert found["unscheduled"]["lastOutcome"] is None
    assert await mirrored(empty_db, "remote-a") != {}


async def test_running_means_a_replica_holds_the_sync_now_not_that_a_run_never_finished(
    gateway: Gateway, remote: RemoteRegistry
) -> None:
    await register(
        gateway.db, "remote-a", remote.endpoint, auth="bearer", secret_ref="env:REMOTE_A_TOKEN"
    )
    # A run that died after it started: it never wrote its finish, and its lock died with it.
    await sync_state.mark_started(gateway.db, "remote-a")
    [crashed] = (await gateway.call(None, SOURCES))["data"]["sources"]
    assert crashed["running"] is False

    async with sync_state.claimed(gateway.db, "remote-a") as mine:
        assert mine
        [live] = (await gateway.call(None, SOURCES))["data"]["sources"]
        assert live["running"] is True
    [done] = (await gateway.call(None, SOURCES))["data"]["sources"]
    assert done["running"] is False


async def test_a_failing_source_keeps_its_data_and_answers_say_it_is_stale(
    gateway: Gateway, remote: RemoteRegistry
) -> None:
    await remote.add(b.process(A, title="Fakturaer"))
    await register(
        gateway.db, "remote-a", remote.endpoint, auth="bearer", secret_ref="env:REMOTE_A_TOKEN"
    )
    assert await gateway.sync() == "ok"
    fresh = await gateway.call(None, "{ processes { nodes { title } } }")
    assert "sources" not in fresh["extensions"]

    await register(
        gateway.db,
        "remote-a",
        f"http://127.0.0.1:{free_port()}/graphql",
        auth="bearer",
        secret_ref="env:REMOTE_A_TOKEN",
    )
    assert await gateway.sync() == "failed"

    body = await gateway.call(
        None, "{ processes { nodes { title source { code kind syncedAt stale } } } }"
    )
    [node] = body["data"]["processes"]["nodes"]
    assert node["title"] == "Fakturaer"
    assert node["source"]["code"] == "remote-a"
    assert node["source"]["stale"] is True
    assert node["source"]["syncedAt"] is not None
    [notice] = body["extensions"]["sources"]
    assert notice["code"] == "remote-a"
    assert notice["lastOutcome"] == "failed"
    assert notice["lastError"] is None, "the error text names internal hosts"
    owner = await gateway.call(
        gateway.token(A, "member"), "{ processes { nodes { source { code } } } }"
    )
    [owner_notice] = owner["extensions"]["sources"]
    assert "cannot reach" in owner_notice["lastError"]
    elsewhere = await gateway.call(None, "{ municipalities { nodes { code } } }")
    assert "sources" not in elsewhere["extensions"], "no record of the source was in this answer"


async def test_the_webhook_lets_admins_and_the_owners_editors_trigger_a_sync(
    gateway: Gateway, remote: RemoteRegistry
) -> None:
    await remote.add(b.process(A), b.process(A))
    await register(
        gateway.db, "remote-a", remote.endpoint, auth="bearer", secret_ref="env:REMOTE_A_TOKEN"
    )

    async def post(token: str | None, code: str = "remote-a", wait: bool = True) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        params = {"wait": "true"} if wait else {}
        return await gateway.http.post(f"/sources/{code}/sync", headers=headers, params=params)

    assert (await post(None)).status_code == 401
    assert (await post(gateway.token(B, "editor"))).status_code == 403
    assert (await post(gateway.token(A, "member"))).status_code == 403
    assert (await post(gateway.token(A, "admin"), code="nope")).status_code == 404
    done = await post(gateway.token(A, "admin"))
    assert done.status_code == 200
    assert done.json()["outcome"] == "ok"
    assert done.json()["upserted"] == 2

    await remote.add(b.process(A, title="Ny"))
    accepted = await post(gateway.token(A, "editor"), wait=False)
    assert accepted.status_code == 202
    for _ in range(200):
        if len(await mirrored(gateway.db, "remote-a")) == 3:
            break
        await asyncio.sleep(0.05)
    assert await mirrored(gateway.db, "remote-a") == await published(remote)


async def cli(*args: str, env: dict[str, str]) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "reusegraph",
        *args,
        env={**os.environ, **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    return process.returncode or 0, out.decode(), err.decode()


async def test_the_cli_adds_lists_syncs_and_removes_a_source(
    gateway: Gateway, remote: RemoteRegistry
) -> None:
    await remote.add(b.process(A), b.process(A))
    env = {"DATABASE_URL": url_of(gateway.db), "REMOTE_A_TOKEN": remote.token()}
    code, _, err = await cli(
        "source",
        "add",
        "remote-a",
        "--kind",
        "graphql",
        "--owner",
        A,
        "--endpoint",
        remote.endpoint,
        "--auth",
        "bearer",
        "--secret",
        "env:REMOTE_A_TOKEN",
        env=env,
    )
    assert code == 0, err
    code, _, err = await cli("source", "add", "bad", "--kind", "graphql", "--owner", A, env=env)
    assert code == 2
    assert "endpoint: A graphql source needs its endpoint URL" in err

    code, _, err = await cli("sync", "remote-a", env=env)
    assert code == 0, err
    assert "remote-a: 1 pages" in err  # progress, then the run's summary
    assert "remote-a: ok (1 pages, 2 upserted" in err
    code, _, err = await cli("sync", "no-such-source", env=env)
    assert code == 2, "a source that does not exist is not a sync that went well"
    assert "no source 'no-such-source'" in err
    code, out, _ = await cli("source", "list", env=env)
    assert code == 0
    assert "remote-a" in out
    assert "fresh" in out
    assert A in out

    code, _, err = await cli("source", "remove", "remote-a", env=env)
    assert code == 0
    assert "2 mirrored records" in err
    async with gateway.db.engine.connect() as conn:
        left = await conn.execute(text("SELECT count(*) FROM source WHERE code = 'remote-a'"))
    assert left.scalar() == 0


async def test_a_process_that_moves_away_on_the_remote_leaves_the_mirror(
    gateway: Gateway, remote: RemoteRegistry
) -> None:
    staying, moving = b.process(A, title="Bliver"), b.process(A, title="Flytter")
    await remote.add(staying, moving)
    await register(
        gateway.db, "remote-a", remote.endpoint, auth="bearer", secret_ref="env:REMOTE_A_TOKEN"
    )
    assert await gateway.sync() == "ok"
    assert set(await mirrored(gateway.db, "remote-a")) == {str(staying["id"]), str(moving["id"])}

    await remote.execute(
        "UPDATE process SET municipality_code = :to, updated_at = now() WHERE id = :id",
        to=B,
        id=moving["id"],
    )
    assert await gateway.sync() == "ok"
    assert set(await mirrored(gateway.db, "remote-a")) == {str(staying["id"])}


async def test_a_municipality_has_one_owning_source(
    gateway: Gateway, remote: RemoteRegistry
) -> None:
    """A second source for a municipality would mirror each of its processes twice."""
    admin = gateway.token(A, "admin")
    first = await gateway.call(admin, REGISTER, input=register_input(remote))
    assert first["data"]["sourceRegister"]["userErrors"] == []
    second = register_input(remote, code="remote-a-again", owners=[B, A])
    body = await gateway.call(admin, REGISTER, input=second)
    [error] = body["data"]["sourceRegister"]["userErrors"]
    assert error["code"] == "DUPLICATE"
    assert error["field"] == ["owners"]
    assert f"{A} by source 'remote-a' (graphql)" in error["message"]
    assert body["data"]["sourceRegister"]["source"] is None
    # The owner itself may be registered again, and another municipality gets its own.
    again = await gateway.call(admin, REGISTER, input=register_input(remote, name="Renamed"))
    assert again["data"]["sourceRegister"]["userErrors"] == []
    other = await gateway.call(admin, REGISTER, input=register_input(remote, code="b", owners=[B]))
    assert other["data"]["sourceRegister"]["userErrors"] == []
    assert await gateway.sync() == "ok"
    # Moving a municipality: first off its old source, then onto the new one.
    moved = await gateway.call(admin, REGISTER, input=register_input(remote, owners=[B]))
    assert "'b'" in moved["data"]["sourceRegister"]["userErrors"][0]["message"]
    async with gateway.db.engine.connect() as conn:
        owners = (
            await conn.execute(
                text("SELECT municipality_code, source_code FROM source_owner ORDER BY 1")
            )
        ).all()
    assert sorted(tuple(row) for row in owners) == sorted([(A, "remote-a"), (B, "b")])


async def test_the_database_refuses_a_second_owner_too(gateway: Gateway) -> None:
    """Two registrations racing past the check: the unique index stops the second."""
    from sqlalchemy import insert
    from sqlalchemy.exc import IntegrityError

    from reusegraph.store.models import Source

    async with gateway.db.session(None) as session:
        for code in ("one", "two"):
            await session.execute(insert(Source).values(code=code, name=code, kind="hosted"))
        await session.execute(text(f"INSERT INTO source_owner VALUES ('one', '{A}')"))
    with pytest.raises(IntegrityError, match="ix_source_owner_municipality_code"):
        async with gateway.db.session(None) as session:
            await session.execute(text(f"INSERT INTO source_owner VALUES ('two', '{A}')"))
