"""Managing webhook subscriptions: checked input, own subscriptions only, audited writes."""

from collections.abc import AsyncIterator

import pytest

from reusegraph.store.engine import Database
from tests.support.issuer import LocalIssuer
from tests.support.tenants import A, B, Tenants, tenants

pytest_plugins = ("tests.support.identity_fixtures",)

SUBSCRIBE = """
mutation ($input: WebhookSubscribeInput!) {
  webhookSubscribe(input: $input) {
    subscription { id status } secret userErrors { code message field }
  }
}
"""
LIST = "{ webhookSubscriptions { id status subscriber } }"
PAUSE = """
mutation ($input: WebhookIdInput!) {
  webhookPause(input: $input) { subscription { status } userErrors { code field } }
}
"""
DELETE = """
mutation ($input: WebhookIdInput!) {
  webhookDelete(input: $input) { deletedId userErrors { code field } }
}
"""


@pytest.fixture
async def strict(empty_db: Database, local_issuer: LocalIssuer) -> AsyncIterator[Tenants]:
    """The default guard: no private addresses."""
    async with tenants(empty_db, local_issuer, admin=True, webhook_worker=False) as value:
        yield value


async def test_loopback_and_bad_secrets_are_refused_as_user_errors(strict: Tenants) -> None:
    token = strict.token(A, "member")
    body = await strict.call(
        token,
        SUBSCRIBE,
        {
            "input": {
                "url": "http://127.0.0.1:9/hook",
                "events": [],
                "secret": "whsec_c2hvcnQ=",
                "filter": {"municipality": "Trondheim"},
            }
        },
    )
    answer = body["data"]["webhookSubscribe"]
    assert answer["subscription"] is None
    assert answer["secret"] is None
    fields = {tuple(e["field"]): e["message"] for e in answer["userErrors"]}
    assert "not a public address" in fields[("url",)]
    assert ("events",) in fields
    assert ("secret",) in fields
    assert ("filter.municipality",) in fields
    assert await strict.scalar("SELECT count(*) FROM webhook_subscription") == 0


async def test_anonymous_callers_cannot_subscribe(strict: Tenants) -> None:
    body = await strict.call(
        None, SUBSCRIBE, {"input": {"url": "https://example.org/h", "events": ["PROCESS_UPDATED"]}}
    )
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_subscribers_see_and_change_only_their_own_and_an_admin_sees_all(
    empty_db: Database, local_issuer: LocalIssuer
) -> None:
    async with tenants(
        empty_db, local_issuer, admin=True, webhook_worker=False, webhook_allow_private=True
    ) as t:
        alice, bob = t.token(A, "member"), t.token(B, "reader")
        made = await t.call(
            alice,
            SUBSCRIBE,
            {"input": {"url": "http://127.0.0.1:9/hook", "events": ["PROCESS_UPDATED"]}},
        )
        answer = made["data"]["webhookSubscribe"]
        assert answer["userErrors"] == []
        assert answer["secret"].startswith("whsec_")
        key = answer["subscription"]["id"]
        audits = await t.audit_count()

        assert len((await t.call(alice, LIST))["data"]["webhookSubscriptions"]) == 1
        assert (await t.call(bob, LIST))["data"]["webhookSubscriptions"] == []
        admin = t.token(B, "admin")
        [seen] = (await t.call(admin, LIST))["data"]["webhookSubscriptions"]
        assert seen["subscriber"] == f"alice-{A}"

        refused = await t.call(bob, PAUSE, {"input": {"id": key}})
        [error] = refused["data"]["webhookPause"]["userErrors"]
        assert error["code"] == "NOT_FOUND"
        paused = await t.call(alice, PAUSE, {"input": {"id": key}})
        assert paused["data"]["webhookPause"]["subscription"]["status"] == "PAUSED"
        deleted = await t.call(alice, DELETE, {"input": {"id": key}})
        assert deleted["data"]["webhookDelete"]["deletedId"] == key
        assert await t.audit_count() == audits + 2
        assert await t.scalar("SELECT count(*) FROM webhook_subscription") == 0
