"""The watches' scan on a real database: one replica per period, and what counts as new.

No HTTP here: the scan's own statements (``store.webhook_watches``) and the events it
leaves in the outbox, read back as the database's owner.
"""

import asyncio
from datetime import date
from typing import Any

from sqlalchemy import insert, text, update

from reusegraph.auth.principal import Principal, Role
from reusegraph.events import signing
from reusegraph.events.watches import Watches
from reusegraph.store import webhook_watches, webhooks
from reusegraph.store.agreements import add_months
from reusegraph.store.audit import Call
from reusegraph.store.engine import Database
from reusegraph.store.models import FrameworkAgreement, agreement_party
from reusegraph.store.webhook_watches import Announced
from tests.support import builders as b

A = "NO-5001"
READER = Principal(issuer="test", subject="analyst", municipality=A, roles=frozenset({Role.READER}))


async def listening(db: Database, days: int) -> None:
    new = webhooks.NewSubscription(
        "https://portal.example/hook",
        ["agreement.expiring"],
        {"expiring_within_days": days},
        signing.new_secret(),
    )
    async with db.session(READER) as session:
        await webhooks.subscribe(session, Call(READER), new)


async def agreement(db: Database, **values: Any) -> Any:
    async with db.session(None) as session:
        key = (
            await session.execute(
                insert(FrameworkAgreement)
                .values(kind="CONTRACT", title="Robot licence", **values)
                .returning(FrameworkAgreement.id)
            )
        ).scalar_one()
        await session.execute(insert(agreement_party).values(agreement_id=key, municipality_code=A))
    return key


async def scan(db: Database) -> Announced:
    announced = await Watches(db, 0.001).scan_once()
    assert announced is not None
    return announced


async def told(db: Database) -> list[tuple[str, Any]]:
    async with db.engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT kind, facts->>'endsOn' FROM webhook_event ORDER BY id")
        )
        return [tuple(r) for r in rows.all()]  # type: ignore[misc]


async def test_one_replica_scans_per_period_and_none_waits_for_another(
    empty_db: Database,
) -> None:
    async with empty_db.session(None) as holder:
        assert await webhook_watches.claim(holder, 60)
        # Another replica meanwhile: the row is locked, it moves on without waiting.
        async with asyncio.timeout(5), empty_db.session(None) as other:
            assert not await webhook_watches.claim(other, 60)
    async with empty_db.session(None) as later:
        assert not await webhook_watches.claim(later, 60), "the period is not over"
    assert await Watches(empty_db, 60).scan_once() is None
    async with empty_db.session(None) as soon:
        assert await webhook_watches.claim(soon, 0.001)


async def test_an_extended_term_is_a_new_notice_and_a_terminated_one_is_none(
    empty_db: Database,
) -> None:
    await b.insert_rows(empty_db, municipality=[b.municipality(A)])
    await listening(empty_db, 400)
    start = add_months(date.today(), -11)
    key = await agreement(empty_db, start_date=start, initial_term_months=12, option_months=[3, 24])
    await agreement(empty_db, start_date=start, initial_term_months=12, terminated_on=date.today())

    assert await scan(empty_db) == Announced(agreements=1)
    assert await scan(empty_db) == Announced()
    async with empty_db.session(None) as session:
        await session.execute(
            update(FrameworkAgreement)
            .where(FrameworkAgreement.id == key)
            .values(options_exercised=1)
        )
    assert await scan(empty_db) == Announced(agreements=1), "a new end date, still in the window"
    async with empty_db.session(None) as session:
        await session.execute(
            update(FrameworkAgreement)
            .where(FrameworkAgreement.id == key)
            .values(options_exercised=2)
        )
    assert await scan(empty_db) == Announced(), "now it ends beyond the window"

    first_end = add_months(start, 12)
    second_end = add_months(start, 15)
    assert [(kind, day) for kind, day in await told(empty_db)] == [
        ("agreement.expiring", date.fromordinal(first_end.toordinal() - 1).isoformat()),
        ("agreement.expiring", date.fromordinal(second_end.toordinal() - 1).isoformat()),
    ]


async def test_nothing_is_written_while_nobody_listens(empty_db: Database) -> None:
    await b.insert_rows(empty_db, municipality=[b.municipality(A)])
    await agreement(empty_db, start_date=add_months(date.today(), -11), initial_term_months=12)
    async with empty_db.session(None) as session:
        await session.execute(
            text(
                "INSERT INTO source (code, name, kind, stale_after_seconds, record_count)"
                " VALUES ('never-synced', 'Never synced', 'graphql', 60, 0)"
            )
        )
    assert await scan(empty_db) == Announced()
    assert await told(empty_db) == []
    async with empty_db.engine.connect() as conn:
        episodes = (
            await conn.execute(text("SELECT count(*) FROM webhook_source_episode"))
        ).scalar()
    assert episodes == 0, "a later first subscriber still hears of the stale source"
