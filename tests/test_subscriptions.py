"""GraphQL subscriptions through two replicas on one database: one serves the subscriber
(over a WebSocket or as Server-Sent Events), the other makes the change.

What crosses between them is PostgreSQL's NOTIFY, and each subscriber reads the change
as itself: a process it may not read is never told.
"""

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import websockets
from websockets.asyncio.client import ClientConnection

from reusegraph.api.app import create_app
from reusegraph.api.settings import Settings
from reusegraph.schema.core.ids import global_id
from reusegraph.store.engine import Database
from tests.support.http import serving
from tests.support.issuer import LocalIssuer
from tests.support.postgres import url_of
from tests.support.tenants import A, B, Tenants, issuer_entry, tenants

pytest_plugins = ("tests.support.identity_fixtures",)

PROTOCOL = "graphql-transport-ws"
CHANGED = """
subscription ($filter: ChangeFilterInput) {
  processChanged(filter: $filter) {
    kind processId municipality phase previousPhase process { title }
  }
}
"""
BENEFITS = """
subscription { benefitRecorded { processId record { period hoursSaved } process { title } } }
"""
UPDATE = """
mutation ($input: ProcessUpdateInput!) {
  processUpdate(input: $input) { process { version } userErrors { code message } }
}
"""
RECORD = """
mutation ($input: BenefitsRecordInput!) {
  benefitsRecord(input: $input) { userErrors { code message } }
}
"""
VERSION = "query ($id: ID!) { process(id: $id) { version } }"


@dataclass
class Replicas:
    tenants: Tenants
    other: httpx.AsyncClient
    """The second replica, where the changes are made."""

    async def listening(self, count: int = 1) -> None:
        async with asyncio.timeout(20):
            await self.tenants.app.state.hub.until_subscribed(count)

    @property
    def ws_url(self) -> str:
        return str(self.tenants.http.base_url).replace("http://", "ws://") + "/graphql"

    async def change(self, municipality: str, which: str, **patch: Any) -> None:
        """An editor of ``municipality`` changes its process of visibility ``which``, on the
        other replica."""
        key = global_id("Process", self.tenants.processes[(municipality, which)])
        headers = {"Authorization": f"Bearer {self.tenants.token(municipality, 'editor')}"}
        read = await self.other.post(
            "/graphql", json={"query": VERSION, "variables": {"id": key}}, headers=headers
        )
        version = read.json()["data"]["process"]["version"]
        variables = {"input": {"id": key, "version": version, "patch": patch}}
        answer = await self.other.post(
            "/graphql", json={"query": UPDATE, "variables": variables}, headers=headers
        )
        assert answer.json()["data"]["processUpdate"]["userErrors"] == [], answer.text


@pytest.fixture
async def replicas(empty_db: Database, local_issuer: LocalIssuer) -> AsyncIterator[Replicas]:
    async with tenants(empty_db, local_issuer, webhook_worker=False) as t:
        config = Settings(issuers=issuer_entry(local_issuer), webhook_worker=False)
        async with (
            serving(create_app(config, url_of(empty_db))) as base,
            httpx.AsyncClient(base_url=base, timeout=30) as other,
        ):
            yield Replicas(t, other)


@asynccontextmanager
async def socket(url: str, init: dict[str, Any]) -> AsyncIterator[ClientConnection]:
    async with websockets.connect(url, subprotocols=[PROTOCOL]) as ws:  # type: ignore[list-item]
        await ws.send(json.dumps({"type": "connection_init", "payload": init}))
        yield ws


async def message(ws: ClientConnection) -> dict[str, Any]:
    async with asyncio.timeout(20):
        got: dict[str, Any] = json.loads(await ws.recv())
        return got


async def subscribed(
    replicas: Replicas, ws: ClientConnection, query: str, variables: Any = None
) -> None:
    assert (await message(ws))["type"] == "connection_ack"
    payload = {"query": query, "variables": variables or {}}
    await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
    await replicas.listening()


async def test_a_websocket_subscriber_hears_of_a_change_made_on_another_replica(
    replicas: Replicas,
) -> None:
    token = replicas.tenants.token(B, "reader")
    async with socket(replicas.ws_url, {"Authorization": f"Bearer {token}"}) as ws:
        await subscribed(replicas, ws, CHANGED)
        await replicas.change(A, "PERSONAL", title="Kept to Trondheim")
        await replicas.change(A, "PUBLIC", title="Invoice robot, second edition")

        first = await message(ws)
        assert first["type"] == "next", first
        event = first["payload"]["data"]["processChanged"]
        assert event["kind"] == "CHANGED"
        assert event["municipality"] == A
        assert event["process"] == {"title": "Invoice robot, second edition"}
        assert event["processId"] == global_id("Process", replicas.tenants.processes[(A, "PUBLIC")])
        await ws.send(json.dumps({"id": "1", "type": "complete"}))


async def test_the_owner_hears_of_its_personal_process_and_filters_narrow_by_phase(
    replicas: Replicas,
) -> None:
    token = replicas.tenants.token(A, "member")
    into = {"filter": {"municipality": A, "phaseInto": "OPERATION"}}
    async with socket(replicas.ws_url, {"Authorization": f"Bearer {token}"}) as ws:
        await replicas.change(A, "PERSONAL", phase="DEVELOPMENT")
        await subscribed(replicas, ws, CHANGED, into)
        await replicas.change(A, "PUBLIC", title="Only a new title")
        await replicas.change(A, "PERSONAL", phase="OPERATION")
        await replicas.change(A, "PERSONAL", title="Still in operation")

        event = (await message(ws))["payload"]["data"]["processChanged"]
        assert event["process"] == {"title": "Personal process of NO-5001"}
        assert event["phase"] == "OPERATION"
        assert event["previousPhase"] == "DEVELOPMENT"
        await ws.send(json.dumps({"id": "1", "type": "ping"}))
        assert (await message(ws))["type"] == "pong", "nothing more: the title change is not 'into'"


async def test_a_bad_token_closes_the_socket_with_4403(replicas: Replicas) -> None:
    async with socket(replicas.ws_url, {"Authorization": "Bearer not-a-token"}) as ws:
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await message(ws)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4403


async def test_a_bad_filter_is_an_error_of_the_subscription(replicas: Replicas) -> None:
    async with socket(replicas.ws_url, {}) as ws:
        assert (await message(ws))["type"] == "connection_ack"
        payload = {"query": CHANGED, "variables": {"filter": {"municipality": "Trondheim"}}}
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
        answer = await message(ws)
    assert answer["type"] in {"error", "next"}
    errors = answer["payload"] if answer["type"] == "error" else answer["payload"]["errors"]
    assert "not a municipality code" in errors[0]["message"]
    assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_queries_are_not_run_over_the_socket(replicas: Replicas) -> None:
    async with socket(replicas.ws_url, {}) as ws:
        assert (await message(ws))["type"] == "connection_ack"
        payload = {"query": "{ processes(first: 1) { totalCount } }"}
        await ws.send(json.dumps({"id": "q", "type": "subscribe", "payload": payload}))
        answer = await message(ws)
    assert answer["type"] == "error", answer


async def events(response: httpx.Response) -> AsyncIterator[tuple[str, str]]:
    kind, data = "", ""
    async for line in response.aiter_lines():
        if line.startswith("event:"):
            kind = line.removeprefix("event:").strip()
        elif line.startswith("data:"):
            data = line.removeprefix("data:").strip()
        elif line == "" and kind:
            yield kind, data
            kind, data = "", ""


async def test_an_event_stream_subscriber_hears_benefits_recorded_on_another_replica(
    replicas: Replicas,
) -> None:
    t = replicas.tenants
    headers = {"Accept": "text/event-stream", "Authorization": f"Bearer {t.token(B, 'reader')}"}
    body = {"query": BENEFITS}
    async with t.http.stream("POST", "/graphql", json=body, headers=headers) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        await replicas.listening()
        editor = {"Authorization": f"Bearer {t.token(A, 'editor')}"}
        for visibility in ("PERSONAL", "PUBLIC"):
            key = global_id("Process", t.processes[(A, visibility)])
            variables = {
                "input": {"processId": key, "period": "2026-11", "records": [{"hoursSaved": 7}]}
            }
            answer = await replicas.other.post(
                "/graphql", json={"query": RECORD, "variables": variables}, headers=editor
            )
            assert answer.json()["data"]["benefitsRecord"]["userErrors"] == [], answer.text
        async with asyncio.timeout(20):
            kind, data = await anext(aiter(events(response)))
    assert kind == "next"
    event = json.loads(data)["data"]["benefitRecorded"]
    assert event["process"] == {"title": "Public process of NO-5001"}
    assert event["record"] == {"period": "2026-11", "hoursSaved": 7.0}


async def test_an_event_stream_with_a_bad_token_is_refused_before_it_starts(
    replicas: Replicas,
) -> None:
    headers = {"Accept": "text/event-stream", "Authorization": "Bearer not-a-token"}
    response = await replicas.tenants.http.post(
        "/graphql", json={"query": CHANGED}, headers=headers
    )
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_subscription_sent_as_plain_json_is_told_where_to_go(replicas: Replicas) -> None:
    body = await replicas.tenants.call(None, CHANGED)
    assert "text/event-stream" in body["errors"][0]["message"]


async def test_an_event_stream_by_get_runs_subscriptions_and_refuses_queries(
    replicas: Replicas,
) -> None:
    http = replicas.tenants.http
    accept = {"Accept": "text/event-stream"}
    query = await http.get("/graphql", params={"query": "{ __typename }"}, headers=accept)
    assert query.status_code == 400
    assert "runs subscriptions" in query.json()["errors"][0]["message"]
    params = {"query": "subscription { processChanged { kind } }"}
    async with http.stream("GET", "/graphql", params=params, headers=accept) as response:
        assert response.status_code == 200
        await replicas.listening()


async def test_a_public_process_made_personal_is_removed_from_an_outsiders_view(
    replicas: Replicas,
) -> None:
    token = replicas.tenants.token(B, "reader")
    async with socket(replicas.ws_url, {"Authorization": f"Bearer {token}"}) as ws:
        await subscribed(replicas, ws, CHANGED)
        await replicas.change(A, "PUBLIC", visibility="PERSONAL")
        event = (await message(ws))["payload"]["data"]["processChanged"]
    assert event["kind"] == "REMOVED"
    assert event["process"] is None
    assert event["processId"] == global_id("Process", replicas.tenants.processes[(A, "PUBLIC")])
