"""reusegraph as an Apollo Federation v2 subgraph behind a real gateway from npm.

A second subgraph (tests/node/directory-subgraph.mjs) extends Municipality; the gateway
(tests/node/gateway.mjs) composes both with @apollo/composition and serves them with
@apollo/gateway, forwarding the caller's Authorization header. Node comes from PyPI.
"""

import asyncio
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
import pytest

from tests.support.http import GraphQLClient, graphql_client
from tests.support.node import NODE, PEERS

pytestmark = pytest.mark.db

START_TIMEOUT = 60.0


@dataclass
class Federation:
    reusegraph: GraphQLClient
    directory_url: str
    gateway_url: str


async def _drain(stream: asyncio.StreamReader, sink: list[str]) -> None:
    while line := await stream.readline():
        sink.append(line.decode(errors="replace").rstrip())


@asynccontextmanager
async def node_peer(script: str, *args: str) -> AsyncIterator[str]:
    """Run a tests/node script; yield the URL it prints as "ready <url>"; always kill it."""
    process = await asyncio.create_subprocess_exec(
        str(NODE),
        script,
        *args,
        cwd=PEERS,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    assert process.stderr is not None
    errors: list[str] = []
    output: list[str] = []
    drains = [asyncio.create_task(_drain(process.stderr, errors))]
    try:
        async with asyncio.timeout(START_TIMEOUT):
            while True:
                line = (await process.stdout.readline()).decode(errors="replace")
                if not line:
                    await process.wait()
                    raise RuntimeError(
                        f"{script} exited with {process.returncode} before it was ready:\n"
                        + "\n".join(errors)
                    )
                if line.startswith("ready "):
                    break
                output.append(line.rstrip())
        drains.append(asyncio.create_task(_drain(process.stdout, output)))
        yield line.removeprefix("ready ").strip()
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), timeout=10)
            except TimeoutError:
                process.kill()
                await process.wait()
        for task in drains:
            task.cancel()


async def run_to_exit(script: str, *args: str) -> tuple[int, str]:
    """Run a tests/node script that is expected to stop by itself; return (code, stderr)."""
    process = await asyncio.create_subprocess_exec(
        str(NODE),
        script,
        *args,
        cwd=PEERS,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=START_TIMEOUT)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode is not None
    return process.returncode, stderr.decode(errors="replace")


@pytest.fixture(scope="module")
async def federation(demo_api: GraphQLClient) -> AsyncIterator[Federation]:
    reusegraph_url = f"{demo_api.http.base_url}".rstrip("/") + "/graphql"
    async with (
        node_peer("directory-subgraph.mjs") as directory_url,
        node_peer(
            "gateway.mjs", f"reusegraph={reusegraph_url}", f"directory={directory_url}"
        ) as gateway_url,
    ):
        yield Federation(demo_api, directory_url, gateway_url)


async def gateway_data(
    url: str,
    query: str,
    variables: dict[str, object] | None = None,
    *,
    headers: dict[str, str] | None = None,
) -> dict[str, object]:
    async with httpx.AsyncClient(timeout=30) as http:
        response = await http.post(
            url, json={"query": query, "variables": variables}, headers=headers or {}
        )
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body["errors"]
    data: dict[str, object] = body["data"]
    return data


def titles(nodes: Sequence[dict[str, object]]) -> list[object]:
    return [node["title"] for node in nodes]


async def test_one_query_spans_both_subgraphs(federation: Federation) -> None:
    data = await gateway_data(
        federation.gateway_url,
        """{
          municipality(code: "NO-5001") { name itContact population processCount }
          processes(filter: {municipality: ["NO-5001"]}, first: 2) {
            nodes { title municipality { code itContact } }
          }
        }""",
    )
    direct = await federation.reusegraph.data(
        """{
          municipality(code: "NO-5001") { name processCount }
          processes(filter: {municipality: ["NO-5001"]}, first: 2) { nodes { title } }
        }"""
    )

    municipality = data["municipality"]
    assert isinstance(municipality, dict)
    assert municipality["name"] == "Trondheim kommune"
    assert "Trondheim" in str(municipality["itContact"])
    assert municipality["population"] == 212660
    assert municipality["processCount"] == direct["municipality"]["processCount"] > 0
    processes = data["processes"]
    assert isinstance(processes, dict)
    nodes = processes["nodes"]
    assert len(nodes) == 2
    assert titles(nodes) == titles(direct["processes"]["nodes"])
    for node in nodes:
        assert node["municipality"]["code"] == "NO-5001"
        assert "Trondheim" in node["municipality"]["itContact"]


async def test_gateway_resolves_reusegraph_entities_by_key(federation: Federation) -> None:
    direct = await federation.reusegraph.data(
        """{
          processes(filter: {municipality: ["DK-0746"]}, first: 1) { nodes { id title } }
          vendors(first: 1) { nodes { id name } }
        }"""
    )
    process = direct["processes"]["nodes"][0]
    vendor = direct["vendors"]["nodes"][0]

    data = await gateway_data(
        federation.gateway_url,
        """query ($process: ID!, $vendor: ID!) {
          processByRef(id: $process) { id title municipality { code name } }
          vendorByRef(id: $vendor) { id name }
          directoryMunicipality(code: "DK-0746") { code name itContact }
        }""",
        {"process": process["id"], "vendor": vendor["id"]},
    )

    assert data["processByRef"] == {
        "id": process["id"],
        "title": process["title"],
        "municipality": {"code": "DK-0746", "name": "Skanderborg Kommune"},
    }
    assert data["vendorByRef"] == vendor
    assert data["directoryMunicipality"] == {
        "code": "DK-0746",
        "name": "Skanderborg Kommune",
        "itContact": "Digitalisering, Skanderborg Kommune (test fixture)",
    }


async def test_unknown_entity_key_resolves_to_null(federation: Federation) -> None:
    unknown = f"Process:{uuid.uuid4()}"
    direct = await federation.reusegraph.data(
        "query ($r: [_Any!]!) { _entities(representations: $r) { ... on Process { title } } }",
        {"r": [{"__typename": "Process", "id": unknown}]},
    )
    assert direct == {"_entities": [None]}

    async with httpx.AsyncClient(timeout=30) as http:
        response = await http.post(
            federation.gateway_url,
            json={
                "query": "query ($id: ID!) { processByRef(id: $id) { title } }",
                "variables": {"id": unknown},
            },
        )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["data"] == {"processByRef": None}
    assert "errors" not in body


async def test_gateway_forwards_the_callers_authorization(federation: Federation) -> None:
    token = f"Bearer federation-test-{uuid.uuid4()}"
    data = await gateway_data(
        federation.gateway_url,
        '{ directoryMunicipality(code: "NO-0301") { itContact } }',
        headers={"Authorization": token},
    )
    assert data == {
        "directoryMunicipality": {
            "itContact": "Utviklings- og kompetanseetaten, Oslo kommune (test fixture)"
        }
    }

    async with graphql_client(federation.directory_url) as directory:
        response = await directory.http.post("", json={"query": "{ seenAuthorizations }"})
    assert response.status_code == 200, response.text
    assert token in response.json()["data"]["seenAuthorizations"]


async def test_reusegraph_gets_the_callers_token_too(federation: Federation) -> None:
    """A made-up token reaches reusegraph, which refuses it (RFC 6750: 401)."""
    async with httpx.AsyncClient(timeout=30) as http:
        response = await http.post(
            federation.gateway_url,
            json={"query": '{ municipality(code: "NO-0301") { name } }'},
            headers={"Authorization": f"Bearer not-a-token-{uuid.uuid4()}"},
        )
    body = response.json()
    assert body["data"] == {"municipality": None}
    (error,) = body["errors"]
    assert error["extensions"]["response"]["status"] == 401
    assert error["extensions"]["response"]["url"].startswith(
        str(federation.reusegraph.http.base_url)
    )


async def test_reusegraph_prints_a_federation_2_9_subgraph(federation: Federation) -> None:
    data = await federation.reusegraph.data("{ _service { sdl } }")
    sdl = data["_service"]["sdl"]
    assert 'url: "https://specs.apollo.dev/federation/v2.9"' in sdl
    for entity in ("Municipality", "Process", "Vendor"):
        assert f"type {entity} implements Node @key(fields:" in sdl


async def test_composition_conflict_stops_the_gateway(federation: Federation) -> None:
    """Two subgraphs that both own Municipality.itContact cannot compose."""
    code, stderr = await run_to_exit(
        "gateway.mjs",
        f"directory={federation.directory_url}",
        f"directory_copy={federation.directory_url}",
    )
    assert code == 1
    assert "composition error" in stderr
    assert "itContact" in stderr
