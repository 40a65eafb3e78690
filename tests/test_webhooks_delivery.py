"""Webhooks end to end: a subscriber's receiver on loopback hears of changes made by mutations.

The whole app runs (its delivery worker in the lifespan), the receiver checks every
signature with the reference library, and every delivery is read back through the
subscriber's own `deliveries` query.
"""

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from reusegraph.store.engine import Database
from tests.support.issuer import LocalIssuer
from tests.support.tenants import A, B, Tenants, tenants
from tests.support.webhook_receiver import Receiver, receiver

pytest_plugins = ("tests.support.identity_fixtures",)

SUBSCRIBE = """
mutation ($input: WebhookSubscribeInput!) {
  webhookSubscribe(input: $input) {
    subscription { id url events status filter { municipality domain phaseInto reusedByMe } }
    secret
    userErrors { code message field }
  }
}
"""
UPDATE = """
mutation ($input: ProcessUpdateInput!) {
  processUpdate(input: $input) { process { id version } userErrors { code message } }
}
"""
DELIVERIES = """
query {
  webhookSubscriptions {
    id
    deliveries {
      webhookId eventType status attempts statusCode latencyMs
      history { attempt statusCode latencyMs at }
    }
  }
}
"""
REPLAY = """
mutation ($input: WebhookReplayInput!) {
  webhookReplay(input: $input) { subscription { id } userErrors { code message field } }
}
"""

FAST: dict[str, Any] = {
    "webhook_allow_private": True,
    "webhook_poll_ms": 50,
    "webhook_backoff_ms": 100,
}


@pytest.fixture
def tenant_settings() -> dict[str, Any]:
    return FAST


@pytest.fixture
async def hook() -> AsyncIterator[Receiver]:
    async with receiver() as value:
        yield value


async def subscribe(t: Tenants, token: str, hook: Receiver, **input: Any) -> dict[str, Any]:
    body = await t.call(token, SUBSCRIBE, {"input": {"url": hook.url, **input}})
    assert "errors" not in body, body
    answer: dict[str, Any] = body["data"]["webhookSubscribe"]
    assert answer["userErrors"] == [], answer["userErrors"]
    hook.secret = answer["secret"]
    return answer


async def retitle(t: Tenants, municipality: str, visibility: str, title: str) -> None:
    process_id = t.processes[(municipality, visibility)]
    version = await t.scalar("SELECT version FROM process WHERE id = :id", id=process_id)
    editor = t.token(municipality, "editor")
    body = await t.call(
        editor,
        UPDATE,
        {"input": {"id": f"Process:{process_id}", "version": version, "patch": {"title": title}}},
    )
    assert body["data"]["processUpdate"]["userErrors"] == [], body


async def test_a_change_made_by_a_mutation_is_delivered_signed_and_recorded(
    t: Tenants, hook: Receiver
) -> None:
    member = t.token(A, "member")
    answer = await subscribe(
        t, member, hook, events=["PROCESS_UPDATED"], filter={"municipality": A}
    )
    assert answer["secret"].startswith("whsec_")
    assert answer["subscription"]["status"] == "ACTIVE"

    await retitle(t, A, "MUNICIPALITY", "Invoice robot, second edition")
    [got] = await hook.wait_for(1)

    assert hook.bad_signatures == 0
    assert got.webhook_id.startswith("evt_")
    assert got.body["type"] == "process.updated"
    process = got.body["data"]["process"]
    assert process["id"] == f"Process:{t.processes[(A, 'MUNICIPALITY')]}"
    assert process["title"] == "Invoice robot, second edition"
    assert process["internalNotes"] == f"internal note of {A}"  # a member reads them
    delivery = await _delivery_when(t, member, "DELIVERED")
    assert delivery["webhookId"] == got.webhook_id
    assert (delivery["status"], delivery["statusCode"], delivery["attempts"]) == (
        "DELIVERED",
        200,
        1,
    )
    assert delivery["history"][0]["latencyMs"] >= 0


async def test_a_receiver_that_answers_500_gets_the_same_event_again_until_200(
    t: Tenants, hook: Receiver
) -> None:
    reader = t.token(B, "reader")
    await subscribe(t, reader, hook, events=["PROCESS_UPDATED"])
    hook.answers = [500, 503]

    await retitle(t, A, "PUBLIC", "Now public and renamed")
    await hook.wait_for(1)

    statuses = [r.status for r in hook.received]
    assert statuses == [500, 503, 200]
    assert len({r.webhook_id for r in hook.received}) == 1, "a retry keeps its webhook-id"
    delivery = await _delivery_when(t, reader, "DELIVERED")
    assert [h["statusCode"] for h in delivery["history"]] == [500, 503, 200]


async def test_the_subscriber_hears_nothing_of_processes_they_may_not_read(
    t: Tenants, hook: Receiver
) -> None:
    outsider = t.token(B, "member")
    await subscribe(t, outsider, hook, events=["PROCESS_UPDATED", "PROCESS_CREATED"])

    await retitle(t, A, "PERSONAL", "Private draft")
    await retitle(t, A, "MUNICIPALITY", "Internal to Trondheim")
    await retitle(t, A, "PUBLIC", "For everyone")
    [got] = await hook.wait_for(1)
    await _delivery_when(t, outsider, "DELIVERED")

    assert got.body["data"]["process"]["title"] == "For everyone"
    assert got.body["data"]["process"]["internalNotes"] is None  # redacted as in their reads
    body = await t.call(outsider, DELIVERIES)
    deliveries = body["data"]["webhookSubscriptions"][0]["deliveries"]
    assert len(deliveries) == 1, "nothing was even queued for the two unreadable processes"


async def test_a_failed_delivery_is_replayed_with_its_webhook_id(
    empty_db: Database, local_issuer: LocalIssuer, hook: Receiver
) -> None:
    async with tenants(empty_db, local_issuer, **FAST, webhook_retry_seconds=0) as t:
        reader = t.token(B, "reader")
        answer = await subscribe(t, reader, hook, events=["PROCESS_UPDATED"])
        hook.answers = [500]
        await retitle(t, A, "PUBLIC", "Once failed")
        await hook.wait_requests(1)
        delivery = await _delivery_when(t, reader, "FAILED")
        assert delivery["attempts"] == 1

        body = await t.call(
            reader, REPLAY, {"input": {"subscriptionId": answer["subscription"]["id"]}}
        )
        assert "errors" not in body, body
        assert body["data"]["webhookReplay"]["userErrors"] == []
        [got] = await hook.wait_for(1)
        assert got.webhook_id == hook.received[0].webhook_id
        assert (await _delivery_when(t, reader, "DELIVERED"))["attempts"] == 2

        again = await t.call(
            reader, REPLAY, {"input": {"subscriptionId": answer["subscription"]["id"]}}
        )
        [error] = again["data"]["webhookReplay"]["userErrors"]
        assert error["code"] == "INVALID"


async def _delivery_when(t: Tenants, token: str, status: str) -> dict[str, Any]:
    async with asyncio.timeout(20):
        while True:
            body = await t.call(token, DELIVERIES)
            deliveries = body["data"]["webhookSubscriptions"][0]["deliveries"]
            if deliveries and deliveries[0]["status"] == status:
                result: dict[str, Any] = deliveries[0]
                return result
            await asyncio.sleep(0.05)
