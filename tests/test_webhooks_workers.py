"""Delivery workers on one database: each event once, in order, and none lost to a dead one.

The workers are the server's own (``DeliveryWorker``), run here without the HTTP app so a
test can start two, or stop one mid-delivery. Changes are written by the system, as the
sync engine writes them; the outbox trigger sees them the same way as a mutation's.
"""

import asyncio
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import text

from reusegraph.auth.principal import Principal, Role
from reusegraph.events import signing
from reusegraph.events.url_guard import UrlGuard
from reusegraph.events.worker import Delivering, DeliveryWorker
from reusegraph.store import webhook_deliveries as deliveries
from reusegraph.store import webhooks
from reusegraph.store.audit import Call
from reusegraph.store.engine import Database
from tests.support import builders as b
from tests.support.viewers import SCHEMA
from tests.support.webhook_receiver import Receiver, receiver

A, B = "NO-5001", "NO-0301"
SECRET = signing.new_secret()
QUICK = Delivering(poll_seconds=0.05, lease_seconds=1, backoff_seconds=0.05, timeout_seconds=30)
EVERYTHING = ["process.created", "process.updated", "process.deleted"]


def member(municipality: str, subject: str) -> Principal:
    return Principal(
        issuer="test", subject=subject, municipality=municipality, roles=frozenset({Role.MEMBER})
    )


@pytest.fixture
async def hook() -> AsyncIterator[Receiver]:
    async with receiver() as value:
        value.secret = SECRET
        yield value


def worker(db: Database, name: str) -> DeliveryWorker:
    return DeliveryWorker(db, UrlGuard(allow_private=True), QUICK, schema=SCHEMA, name=name)


async def subscribe(
    db: Database, who: Principal, url: str, filter: dict[str, Any] | None = None
) -> uuid.UUID:
    new = webhooks.NewSubscription(url, EVERYTHING, filter or {}, SECRET)
    async with db.session(who) as session:
        return await webhooks.subscribe(session, Call(who), new)


async def change(db: Database, process_id: uuid.UUID, **values: Any) -> None:
    """One change, one transaction, written by the system."""
    sets = ", ".join(f"{k} = :{k}" for k in values)
    async with db.session(None) as session:
        await session.execute(
            text(f"UPDATE process SET {sets} WHERE id = :id"), {"id": process_id, **values}
        )


async def seeded(db: Database, count: int) -> list[uuid.UUID]:
    rows = [b.process(A, title=f"Process {i}") for i in range(count)]
    await b.insert_rows(db, municipality=[b.municipality(A), b.municipality(B)], process=rows)
    return [r["id"] for r in rows]


def event_number(webhook_id: str) -> int:
    return int(webhook_id.removeprefix("evt_"))


async def test_two_workers_on_one_database_deliver_each_event_once_and_in_order(
    empty_db: Database, hook: Receiver
) -> None:
    ids = await seeded(empty_db, 3)
    subscriptions = 4
    for n in range(subscriptions):
        await subscribe(empty_db, member(B, f"portal-{n}"), f"{hook.url}?s={n}")
    changes = 12
    for i in range(changes):
        await change(empty_db, ids[i % len(ids)], title=f"Edition {i}")

    first, second = worker(empty_db, "first"), worker(empty_db, "second")
    first.start()
    second.start()
    try:
        await hook.wait_for(subscriptions * changes, seconds=60)
        await settled(empty_db, subscriptions * changes)
        await asyncio.sleep(0.5)  # room for a duplicate to show up, if there were one
    finally:
        await first.stop()
        await second.stop()

    by_subscription: dict[str, list[int]] = defaultdict(list)
    for got in hook.received:
        by_subscription[got.query].append(event_number(got.webhook_id))
    assert len(by_subscription) == subscriptions
    for numbers in by_subscription.values():
        assert len(numbers) == changes
        assert numbers == sorted(set(numbers)), "each event once, in order"
    assert hook.bad_signatures == 0
    async with empty_db.engine.connect() as conn:
        tries = (await conn.execute(text("SELECT count(*) FROM webhook_attempt"))).scalar()
        workers = (
            await conn.execute(text("SELECT array_agg(DISTINCT worker) FROM webhook_attempt"))
        ).scalar()
    assert tries == subscriptions * changes
    print(f"attempts by worker: {sorted(workers or [])}")


async def test_a_worker_that_dies_mid_delivery_leaves_the_event_to_another(
    empty_db: Database, hook: Receiver
) -> None:
    [process_id] = await seeded(empty_db, 1)
    await subscribe(empty_db, member(B, "portal"), hook.url)
    for i in range(3):
        await change(empty_db, process_id, title=f"Edition {i}")

    hook.hold = asyncio.Event()
    doomed = worker(empty_db, "doomed")
    doomed.start()
    await hook.wait_started(1)
    await doomed.stop()  # mid-send: no answer read, nothing recorded, the lease left to run out
    hook.hold.set()

    survivor = worker(empty_db, "survivor")
    survivor.start()
    try:
        await hook.wait_for(4, seconds=30)
        await settled(empty_db, 3)
    finally:
        await survivor.stop()

    numbers = [event_number(r.webhook_id) for r in hook.received]
    assert numbers[0] == numbers[1], "the interrupted event came again, with the same id"
    assert numbers[1:] == sorted(set(numbers[1:])), "then the rest, in order"
    assert len(set(numbers)) == 3


async def settled(db: Database, count: int) -> None:
    """Until ``count`` deliveries are recorded DELIVERED (the receiver may be told first)."""
    query = text("SELECT count(*) FROM webhook_delivery WHERE status = 'DELIVERED'")
    async with asyncio.timeout(20):
        while True:
            async with db.engine.connect() as conn:
                if (await conn.execute(query)).scalar() == count:
                    return
            await asyncio.sleep(0.05)


async def test_filters_pick_phase_changes_domains_and_what_my_municipality_reused(
    empty_db: Database, hook: Receiver
) -> None:
    origin = b.process(A, title="Invoice robot", phase="IDEA")
    other = b.process(A, title="Unrelated", phase="IDEA", domains=["HEALTH"])
    copy = b.process(B, title="Our invoice robot")
    await b.insert_rows(
        empty_db,
        municipality=[b.municipality(A), b.municipality(B)],
        process=[origin, other, copy],
        reuse_link=[b.reuse(copy["id"], origin["id"])],
    )
    await subscribe(empty_db, member(B, "p"), f"{hook.url}?s=phase", {"phase_into": "OPERATION"})
    await subscribe(empty_db, member(B, "d"), f"{hook.url}?s=domain", {"domain": "HEALTH"})
    await subscribe(empty_db, member(B, "r"), f"{hook.url}?s=reused", {"reused_by_me": True})

    await change(empty_db, other["id"], title="Unrelated, renamed")
    await change(empty_db, origin["id"], title="Invoice robot 2")
    await change(empty_db, origin["id"], phase="OPERATION")
    await change(empty_db, other["id"], phase="OPERATION")
    await change(empty_db, origin["id"], title="Invoice robot 3")

    deliveries = worker(empty_db, "one")
    deliveries.start()
    try:
        await hook.wait_for(7)
        await asyncio.sleep(0.3)
    finally:
        await deliveries.stop()

    # Payloads show the process as it is when delivered; the event's own facts are its
    # phase and the phase before it.
    heard: dict[str, list[tuple[str, str | None, str | None]]] = defaultdict(list)
    names = {f"Process:{origin['id']}": "origin", f"Process:{other['id']}": "other"}
    for got in hook.received:
        data = got.body["data"]
        heard[got.query].append((names[data["processId"]], data["phase"], data["previousPhase"]))
    assert heard["s=phase"] == [("origin", "OPERATION", "IDEA"), ("other", "OPERATION", "IDEA")]
    assert heard["s=domain"] == [("other", "IDEA", None), ("other", "OPERATION", "IDEA")]
    assert heard["s=reused"] == [
        ("origin", "IDEA", None),
        ("origin", "OPERATION", "IDEA"),
        ("origin", "OPERATION", "OPERATION"),
    ]


async def test_claims_take_turns_while_changes_keep_coming(
    empty_db: Database, hook: Receiver
) -> None:
    """A subscription just served goes to the back of the line, behind every other one
    with work, however low its id: no subscription waits for the changes to stop."""
    [process_id] = await seeded(empty_db, 1)
    keys = [await subscribe(empty_db, member(B, f"portal-{n}"), hook.url) for n in range(3)]
    await change(empty_db, process_id, title="First")
    one = worker(empty_db, "one")
    served = []
    for _ in range(6):
        async with empty_db.session(None) as session:
            [claimed] = await deliveries.claim(session, one.name, limit=1, lease_seconds=30)
        served.append(claimed.id)
        async with empty_db.session(None) as session:
            await deliveries.release(session, claimed.id, one.name, None)
        await change(empty_db, process_id, title=f"Edition {len(served)}")  # work for all
    assert set(served[:3]) == set(keys), "each served once before any is served again"
    assert served[3:] == served[:3], "and again in the same turn"


async def test_a_long_backlog_is_served_in_turns(empty_db: Database, hook: Receiver) -> None:
    [process_id] = await seeded(empty_db, 1)
    await subscribe(empty_db, member(B, "portal"), hook.url)
    for i in range(5):
        await change(empty_db, process_id, title=f"Edition {i}")
    turns = DeliveryWorker(
        empty_db,
        UrlGuard(allow_private=True),
        replace(QUICK, tries_per_turn=2),
        schema=SCHEMA,
        name="turns",
    )
    try:
        delivered = []
        for _ in range(3):
            assert await turns.run_once() == 1
            delivered.append(len(hook.delivered()))
    finally:
        await turns.stop()
    assert delivered == [2, 4, 5], "two tries a turn, then back in line"
