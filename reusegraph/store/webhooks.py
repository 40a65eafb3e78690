"""Webhook subscriptions as records: subscribe, pause, resume, delete, list, replay.

Row-level security decides who sees which subscription (its owner, an admin; migration
0019), so these functions read and write as the caller and a subscription another
principal owns is simply not found. A subscription remembers its subscriber (issuer,
subject, municipality, roles): the delivery worker reads each payload as that principal.
A new subscription starts at the newest event, so it hears of changes from now on.
"""

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import BigInteger, Table, Text, delete, func, insert, select, update
from sqlalchemy import cast as sql_cast
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from reusegraph.store import audit
from reusegraph.store.audit import Call
from reusegraph.store.engine import Reader
from reusegraph.store.models import (
    Source,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)
from reusegraph.store.snapshots import snapshot
from reusegraph.store.write_errors import rejected

S = cast(Table, WebhookSubscription.__table__)
D = cast(Table, WebhookDelivery.__table__)
A = cast(Table, WebhookAttempt.__table__)

ACTIVE, PAUSED = "ACTIVE", "PAUSED"
SHOWN = [c for c in S.c if c.name not in {"secret", "lease_owner", "lease_until"}]
"""Never the secret: it is shown once, in the answer to subscribing."""


@dataclass(frozen=True)
class NewSubscription:
    url: str
    events: Sequence[str]
    filter: Mapping[str, Any]
    secret: str


async def subscribe(session: AsyncSession, call: Call, new: NewSubscription) -> uuid.UUID:
    viewer = call.viewer
    if viewer.issuer is None or viewer.subject is None:
        raise rejected("REQUIRED", "Subscribing needs a signed-in caller.", "url")
    values = {
        "id": uuid.uuid4(),
        "issuer": viewer.issuer,
        "subject": viewer.subject,
        "municipality_code": viewer.municipality,
        "roles": sorted(viewer.roles),
        "url": new.url,
        "events": list(new.events),
        "filter": dict(new.filter),
        "secret": new.secret,
        "position_xid": _horizon_now(),
        "position_id": 0,
    }
    row = (await session.execute(insert(S).values(**values).returning(*SHOWN))).mappings().one()
    await audit.record(
        session,
        call,
        "webhookSubscribe",
        "WebhookSubscription",
        str(row["id"]),
        None,
        _audited(row),
    )
    return cast(uuid.UUID, row["id"])


def _horizon_now() -> Any:
    """Start at the oldest running transaction: its events and all later ones are to come,
    those of finished transactions are the past (which a subscriber does not ask for)."""
    return sql_cast(sql_cast(func.pg_snapshot_xmin(func.pg_current_snapshot()), Text), BigInteger)


async def set_status(session: AsyncSession, call: Call, id: uuid.UUID, status: str) -> uuid.UUID:
    before = await _locked(session, id)
    action = "webhookPause" if status == PAUSED else "webhookResume"
    changes: dict[str, Any] = {
        "status": status,
        "updated_at": func.now(),
        "version": S.c.version + 1,
    }
    if status == ACTIVE:
        changes["retry_at"] = None
    after = (
        (await session.execute(update(S).where(S.c.id == id).values(**changes).returning(*SHOWN)))
        .mappings()
        .one()
    )
    await audit.record(
        session, call, action, "WebhookSubscription", str(id), _audited(before), _audited(after)
    )
    return id


async def remove(session: AsyncSession, call: Call, id: uuid.UUID) -> uuid.UUID:
    before = await _locked(session, id)
    await session.execute(delete(S).where(S.c.id == id))
    await audit.record(
        session, call, "webhookDelete", "WebhookSubscription", str(id), _audited(before), None
    )
    return id


async def replay(
    session: AsyncSession,
    call: Call,
    *,
    delivery_id: uuid.UUID | None = None,
    subscription_id: uuid.UUID | None = None,
) -> uuid.UUID:
    """Failed deliveries go back in line, with a new retry window; the subscription's key."""
    condition = D.c.status == "FAILED"
    if delivery_id is not None:
        found = await session.execute(select(D.c.subscription_id).where(D.c.id == delivery_id))
        subscription_id = found.scalar()
        if subscription_id is None:
            raise rejected(
                "NOT_FOUND", f"No delivery {delivery_id} that you may see.", "deliveryId"
            )
        condition = condition & (D.c.id == delivery_id)
    assert subscription_id is not None
    await _locked(session, subscription_id, "subscriptionId")
    replayed = (
        await session.execute(
            update(D)
            .where(D.c.subscription_id == subscription_id, condition)
            .values(
                status="PENDING",
                window_started_at=func.now(),
                next_attempt_at=func.now(),
                error=None,
            )
            .returning(D.c.id)
        )
    ).scalars()
    ids = [str(i) for i in replayed]
    if not ids:
        field = "deliveryId" if delivery_id is not None else "subscriptionId"
        raise rejected(
            "INVALID", "Nothing to replay: only failed deliveries can be replayed.", field
        )
    await session.execute(update(S).where(S.c.id == subscription_id).values(retry_at=None))
    await audit.record(
        session,
        call,
        "webhookReplay",
        "WebhookSubscription",
        str(subscription_id),
        None,
        {"deliveries": ids},
    )
    return subscription_id


async def _locked(session: AsyncSession, id: uuid.UUID, field: str = "id") -> Row[Any]:
    statement = select(*SHOWN).where(S.c.id == id).with_for_update()
    row = (await session.execute(statement)).first()
    if row is None:
        raise rejected("NOT_FOUND", f"No webhook subscription {id} that you may see.", field)
    return row


def _audited(row: Any) -> dict[str, Any]:
    return snapshot(dict(row._mapping if isinstance(row, Row) else row))


async def subscriptions(reader: Reader, ids: Sequence[uuid.UUID] | None = None) -> list[Row[Any]]:
    """The caller's subscriptions (an admin's: all), newest first."""
    statement = select(*SHOWN).order_by(S.c.created_at.desc(), S.c.id)
    if ids is not None:
        statement = statement.where(S.c.id.in_(ids))
    return list((await reader.execute(statement)).all())


async def source_exists(reader: Reader, code: str) -> bool:
    found = await reader.execute(select(Source.code).where(Source.code == code))
    return found.first() is not None


async def deliveries(
    reader: Reader, subscription_id: uuid.UUID, *, first: int, status: str | None = None
) -> list[Row[Any]]:
    """Newest first; ``first`` is checked by the caller."""
    statement = (
        select(
            D.c.id,
            D.c.event_id,
            D.c.status,
            D.c.attempts,
            D.c.next_attempt_at,
            D.c.last_attempt_at,
            D.c.status_code,
            D.c.latency_ms,
            D.c.error,
            D.c.created_at,
            D.c.kind,
            D.c.process_id,
            D.c.agreement_id,
            D.c.source_code,
        )
        .where(D.c.subscription_id == subscription_id)
        .order_by(D.c.event_id.desc())
        .limit(first)
    )
    if status is not None:
        statement = statement.where(D.c.status == status)
    return list((await reader.execute(statement)).all())


async def attempts(
    reader: Reader, delivery_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Row[Any]]]:
    if not delivery_ids:
        return {}
    statement = (
        select(
            A.c.delivery_id,
            A.c.attempt,
            A.c.attempted_at,
            A.c.status_code,
            A.c.latency_ms,
            A.c.error,
        )
        .where(A.c.delivery_id.in_(delivery_ids))
        .order_by(A.c.delivery_id, A.c.attempt)
    )
    grouped: dict[uuid.UUID, list[Row[Any]]] = {i: [] for i in delivery_ids}
    for row in (await reader.execute(statement)).all():
        grouped[row.delivery_id].append(row)
    return grouped
