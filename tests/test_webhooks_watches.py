"""Webhooks of time passing: an agreement entering a window, a source going stale.

The whole app runs (delivery worker and the watches' scan in the lifespan, a scan every
100 ms); receivers on loopback check every signature. "Once" is checked with a barrier:
after several more scans a process change is made, and since a subscription's events
arrive in order, a second announcement would have come before it.
"""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert, text

from reusegraph.events.watches import Watches
from reusegraph.store.agreements import add_months, end_date
from reusegraph.store.models import FrameworkAgreement, Source, agreement_party, source_owner
from reusegraph.store.webhook_watches import Announced
from tests.support.tenants import A, B, Tenants
from tests.support.webhook_receiver import Receiver, receiver

pytest_plugins = ("tests.support.identity_fixtures",)

SUBSCRIBE = """
mutation ($input: WebhookSubscribeInput!) {
  webhookSubscribe(input: $input) {
    subscription { id events filter { expiringWithinDays source municipality } }
    secret
    userErrors { code message field }
  }
}
"""
UPDATE = """
mutation ($input: ProcessUpdateInput!) {
  processUpdate(input: $input) { process { id } userErrors { code message } }
}
"""
DELIVERIES = """
{ webhookSubscriptions { deliveries { eventType agreementId sourceCode processId status } } }
"""
SCANNING: dict[str, Any] = {
    "webhook_allow_private": True,
    "webhook_poll_ms": 50,
    "webhook_backoff_ms": 100,
    "webhook_scan_ms": 100,
}


@pytest.fixture
def tenant_settings() -> dict[str, Any]:
    return SCANNING


@pytest.fixture
async def hook() -> AsyncIterator[Receiver]:
    async with receiver() as value:
        yield value


@pytest.fixture
async def other_hook() -> AsyncIterator[Receiver]:
    async with receiver() as value:
        yield value


async def subscribe(t: Tenants, token: str, hook: Receiver, **input: Any) -> dict[str, Any]:
    body = await t.call(token, SUBSCRIBE, {"input": {"url": hook.url, **input}})
    assert "errors" not in body, body
    answer: dict[str, Any] = body["data"]["webhookSubscribe"]
    assert answer["userErrors"] == [], answer["userErrors"]
    hook.secret = answer["secret"]
    return answer


async def agreement(t: Tenants, title: str, start: date, months: int, *parties: str) -> str:
    values = {"kind": "FRAMEWORK", "title": title, "start_date": start}
    async with t.db.session(None) as session:
        key = (
            await session.execute(
                insert(FrameworkAgreement)
                .values(initial_term_months=months, option_months=[], **values)
                .returning(FrameworkAgreement.id)
            )
        ).scalar_one()
        for code in parties:
            await session.execute(
                insert(agreement_party).values(agreement_id=key, municipality_code=code)
            )
    return f"FrameworkAgreement:{key}"


async def mirror(t: Tenants, code: str, owner: str, *, stale: bool) -> None:
    synced = datetime.now(UTC) - timedelta(days=2 if stale else 0)
    async with t.db.session(None) as session:
        await session.execute(
            insert(Source).values(
                code=code,
                name=f"Mirror {code}",
                kind="graphql",
                endpoint=f"https://{code}.internal.example/graphql",
                last_outcome="ok",
                last_error="peer at 10.0.0.5 refused the connection",
                last_success_at=synced,
                stale_after_seconds=86400,
            )
        )
        await session.execute(
            insert(source_owner).values(source_code=code, municipality_code=owner)
        )


async def set_synced(t: Tenants, code: str, outcome: str, days_ago: float) -> None:
    async with t.db.session(None) as session:
        await session.execute(
            text(
                "UPDATE source SET last_outcome = :outcome,"
                " last_success_at = now() - make_interval(days => :days) WHERE code = :code"
            ),
            {"code": code, "outcome": outcome, "days": days_ago},
        )


async def scans(t: Tenants, count: int) -> None:
    """Until the watches have scanned ``count`` more times."""
    seen = await t.scalar("SELECT scanned_at FROM webhook_scan")
    async with asyncio.timeout(20):
        while count:
            await asyncio.sleep(0.05)
            now = await t.scalar("SELECT scanned_at FROM webhook_scan")
            if now != seen:
                seen, count = now, count - 1


async def barrier(t: Tenants, hooks: list[Receiver], title: str, municipality: str = A) -> None:
    """A public process's change every subscriber hears of, after everything before it."""
    process_id = t.processes[(municipality, "PUBLIC")]
    version = await t.scalar("SELECT version FROM process WHERE id = :id", id=process_id)
    editor = t.token(municipality, "editor")
    patch = {"id": f"Process:{process_id}", "version": version, "patch": {"title": title}}
    body = await t.call(editor, UPDATE, {"input": patch})
    assert body["data"]["processUpdate"]["userErrors"] == [], body
    for hook in hooks:
        async with asyncio.timeout(20):
            while not any(r.body["type"] == "process.updated" for r in hook.delivered()):
                await hook.wait_for(len(hook.delivered()) + 1)


async def restarted_scan(t: Tenants) -> Announced:
    """A scan by a replica that has just started (no memory but the database's)."""
    fresh = Watches(t.db, 0.001)
    for _ in range(2000):
        announced = await fresh.scan_once()
        if announced is not None:
            return announced
        await asyncio.sleep(0.01)
    raise AssertionError("the restarted replica never had its turn to scan")


async def test_an_agreement_entering_the_window_is_announced_once(
    t: Tenants, hook: Receiver
) -> None:
    member = t.token(A, "member")
    events = ["AGREEMENT_EXPIRING", "PROCESS_UPDATED"]
    answer = await subscribe(t, member, hook, events=events, filter={"expiringWithinDays": 60})
    assert answer["subscription"]["filter"]["expiringWithinDays"] == 60
    today = date.today()
    start = add_months(today, -11)
    ending = await agreement(t, "Robotics framework", start, 12, A)
    await agreement(t, "Long contract", today - timedelta(days=30), 36, A)

    [got] = await hook.wait_for(1)
    assert hook.bad_signatures == 0
    assert got.body["type"] == "agreement.expiring"
    data = got.body["data"]
    assert data["agreementId"] == ending
    assert data["withinDays"] == 60
    assert data["endsOn"] == end_date(start, 12, [], 0).isoformat()
    assert data["agreement"]["title"] == "Robotics framework"
    assert data["agreement"]["status"] == "ACTIVE"
    assert [p["code"] for p in data["agreement"]["parties"]] == [A]

    await scans(t, 3)
    assert await restarted_scan(t) == Announced(0, 0)
    await barrier(t, [hook], "After the scans")
    types = [r.body["type"] for r in hook.delivered()]
    assert types == ["agreement.expiring", "process.updated"], "announced once, not per scan"
    body = await t.call(member, DELIVERIES)
    [subscription] = body["data"]["webhookSubscriptions"]
    first = subscription["deliveries"][-1]
    assert (first["eventType"], first["agreementId"], first["processId"]) == (
        "AGREEMENT_EXPIRING",
        ending,
        None,
    )


async def test_a_stale_source_is_announced_once_per_episode(t: Tenants, hook: Receiver) -> None:
    member = t.token(A, "member")
    await mirror(t, "mirror-a", A, stale=True)
    await mirror(t, "mirror-quiet", B, stale=True)
    events = ["SOURCE_STALE", "PROCESS_UPDATED"]
    await subscribe(t, member, hook, events=events, filter={"source": "mirror-a"})

    [first] = await hook.wait_for(1)
    assert first.body["type"] == "source.stale"
    assert first.body["data"]["sourceCode"] == "mirror-a"
    assert first.body["data"]["episode"] == 1
    source = first.body["data"]["source"]
    assert source["stale"] is True
    assert source["owners"] == [A]
    assert source["lastError"] == "peer at 10.0.0.5 refused the connection"  # an owner's member
    await scans(t, 3)

    await set_synced(t, "mirror-a", "ok", 0)
    await scans(t, 2)
    await set_synced(t, "mirror-a", "failed", 0)
    [_, second] = await hook.wait_for(2)
    assert second.body["type"] == "source.stale"
    assert second.body["data"]["episode"] == 2
    assert second.webhook_id != first.webhook_id

    await scans(t, 3)
    assert await restarted_scan(t) == Announced(0, 0)
    await barrier(t, [hook], "After two episodes")
    types = [(r.body["type"], r.body["data"].get("episode")) for r in hook.delivered()]
    assert types == [("source.stale", 1), ("source.stale", 2), ("process.updated", None)]


async def test_another_municipality_hears_no_internals_and_not_of_others_agreements(
    t: Tenants, hook: Receiver, other_hook: Receiver
) -> None:
    owner, outsider = t.token(A, "member"), t.token(B, "member")
    watching = {"events": ["SOURCE_STALE", "AGREEMENT_EXPIRING", "PROCESS_UPDATED"]}
    await subscribe(t, owner, hook, **watching, filter={"expiringWithinDays": 90})
    await subscribe(
        t, outsider, other_hook, **watching, filter={"expiringWithinDays": 90, "municipality": B}
    )
    await mirror(t, "mirror-a", A, stale=True)
    await mirror(t, "mirror-b", B, stale=True)
    await agreement(t, "Trondheim's contract", add_months(date.today(), -11), 12, A)

    mine = {r.body["type"]: r.body["data"] for r in await hook.wait_for(3)}
    assert set(mine) == {"source.stale", "agreement.expiring"}
    theirs = await other_hook.wait_for(1)
    await barrier(t, [hook, other_hook], "Barrier", B)
    told = [r.body for r in other_hook.delivered()]
    assert [b["type"] for b in told] == ["source.stale", "process.updated"]
    source = told[0]["data"]["source"]
    assert source["code"] == "mirror-b"
    assert source["lastError"] == "peer at 10.0.0.5 refused the connection"  # their own

    stale_a = [r.body["data"] for r in hook.delivered() if r.body["type"] == "source.stale"]
    assert {d["sourceCode"] for d in stale_a} == {"mirror-a", "mirror-b"}
    foreign = next(d["source"] for d in stale_a if d["sourceCode"] == "mirror-b")
    assert foreign["stale"] is True
    assert (foreign["lastError"], foreign["endpoint"]) == (None, None), "not the owner's"
    assert theirs[0].body["data"]["sourceCode"] == "mirror-b"


async def test_the_watches_filters_are_checked(t: Tenants, hook: Receiver) -> None:
    member = t.token(A, "member")
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"events": ["AGREEMENT_EXPIRING"]}, "REQUIRED", "AGREEMENT_EXPIRING needs"),
        (
            {"events": ["AGREEMENT_EXPIRING"], "filter": {"expiringWithinDays": 0}},
            "OUT_OF_RANGE",
            "must be 1-730",
        ),
        (
            {"events": ["PROCESS_UPDATED"], "filter": {"expiringWithinDays": 30}},
            "INVALID",
            "applies to AGREEMENT_EXPIRING only",
        ),
        (
            {"events": ["SOURCE_STALE"], "filter": {"source": "no-such-source"}},
            "NOT_FOUND",
            "No source 'no-such-source'",
        ),
        (
            {"events": ["SOURCE_STALE"], "filter": {"domain": "HEALTH"}},
            "INVALID",
            "speak of processes",
        ),
    ]
    for input, code, message in cases:
        body = await t.call(member, SUBSCRIBE, {"input": {"url": hook.url, **input}})
        assert "errors" not in body, body
        answer = body["data"]["webhookSubscribe"]
        assert answer["subscription"] is None
        [error] = answer["userErrors"]
        assert error["code"] == code, (input, error)
        assert message in error["message"], (input, error)
    assert await t.scalar("SELECT count(*) FROM webhook_subscription") == 0
