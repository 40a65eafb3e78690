"""The delivery worker's statements: claim a subscription, walk its events, record tries.

All of it runs as the system (``Database.session(None)``). A subscription is claimed
with ``FOR UPDATE SKIP LOCKED`` and then held by a lease (``lease_owner``,
``lease_until``) rather than by a transaction, so no transaction stays open over an HTTP
call; every later write checks the lease first, so a worker whose lease ran out (it
stalled, or died and came back) changes nothing another worker now owns. Events are
read in position order ``(xid, id)`` and only below the oldest running transaction, as
the change feed reads its positions: nothing can commit behind a position once handed
out, so a subscription's position never skips an event.
"""

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Table,
    Text,
    and_,
    any_,
    case,
    exists,
    false,
    func,
    insert,
    literal,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from reusegraph.store.models import (
    Process,
    ReuseLink,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)

S = cast(Table, WebhookSubscription.__table__)
E = cast(Table, WebhookEvent.__table__)
D = cast(Table, WebhookDelivery.__table__)
A = cast(Table, WebhookAttempt.__table__)
P = cast(Table, Process.__table__)
R = cast(Table, ReuseLink.__table__)


def _horizon() -> ColumnElement[int]:
    return sql_cast(sql_cast(func.pg_snapshot_xmin(func.pg_current_snapshot()), Text), BigInteger)


def _seconds(seconds: float) -> ColumnElement[Any]:
    return func.make_interval(0, 0, 0, 0, 0, 0, literal(float(seconds)))


def _lease_ends(seconds: float) -> ColumnElement[datetime]:
    return func.now() + _seconds(seconds)


async def claim(
    session: AsyncSession, worker: str, *, limit: int, lease_seconds: float
) -> list[Row[Any]]:
    """Subscriptions with work and no live lease, now leased to ``worker``: never served
    first, then those whose lease ended longest ago."""
    has_events = exists().where(
        tuple_(E.c.xid, E.c.id) > tuple_(S.c.position_xid, S.c.position_id),
        E.c.xid < _horizon(),
    )
    has_due = exists().where(
        D.c.subscription_id == S.c.id, D.c.status == "PENDING", D.c.next_attempt_at <= func.now()
    )
    free = (
        select(S.c.id)
        .where(
            S.c.status == "ACTIVE",
            or_(S.c.lease_until.is_(None), S.c.lease_until < func.now()),
            or_(S.c.retry_at.is_(None), S.c.retry_at <= func.now()),
            or_(has_events, has_due),
        )
        .order_by(S.c.lease_until.nulls_first(), S.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    statement = (
        update(S)
        .where(S.c.id.in_(free.scalar_subquery()))
        .values(lease_owner=worker, lease_until=_lease_ends(lease_seconds), retry_at=None)
        .returning(S)
    )
    return list((await session.execute(statement)).all())


async def hold(
    session: AsyncSession, subscription_id: uuid.UUID, worker: str, lease_seconds: float
) -> Row[Any] | None:
    """Renew the lease; None when it is no longer ours (or the subscription is paused/gone)."""
    statement = (
        update(S)
        .where(
            S.c.id == subscription_id,
            S.c.lease_owner == worker,
            S.c.lease_until > func.now(),
            S.c.status == "ACTIVE",
        )
        .values(lease_until=_lease_ends(lease_seconds))
        .returning(S)
    )
    held: Row[Any] | None = (await session.execute(statement)).first()
    return held


async def release(
    session: AsyncSession, subscription_id: uuid.UUID, worker: str, retry_at: datetime | None
) -> None:
    """The lease ends now: ``lease_until`` keeps when, so claims take the subscriptions
    served longest ago first. (Cleared, the same lowest ids were claimed every round while
    changes kept coming and the others waited until they stopped: `bench.webhooks`.)"""
    await session.execute(
        update(S)
        .where(S.c.id == subscription_id, S.c.lease_owner == worker)
        .values(lease_owner=None, lease_until=func.now(), retry_at=retry_at)
    )


async def head(session: AsyncSession, subscription_id: uuid.UUID) -> Row[Any] | None:
    """The oldest pending delivery: nothing later is sent before it (order per subscription)."""
    statement = (
        select(D)
        .where(D.c.subscription_id == subscription_id, D.c.status == "PENDING")
        .order_by(D.c.event_id)
        .limit(1)
    )
    return (await session.execute(statement)).first()


def _reused_by(municipality: str) -> Any:
    """Origins of the municipality's processes, and their origins, all the way up."""
    own = select(R.c.origin_id.label("id")).join(P, P.c.id == R.c.derived_id)
    up = own.where(P.c.municipality_code == municipality).cte("reused", recursive=True)
    up = up.union(select(R.c.origin_id).join(up, R.c.derived_id == up.c.id))
    return select(up.c.id)


PROCESS_KINDS = ("process.created", "process.updated", "process.deleted")
AGREEMENT_EXPIRING, SOURCE_STALE = "agreement.expiring", "source.stale"


def matches(subscription: Row[Any]) -> ColumnElement[bool]:
    """The subscription's filter over an event row: every given part that can speak of the
    event must hold (``domain`` says nothing of a source, ``expiringWithinDays`` only of
    agreements); ``municipality`` is a process's, an agreement's party, a source's owner."""
    spec: Mapping[str, Any] = subscription.filter or {}
    municipality = spec.get("municipality")
    process: list[ColumnElement[bool]] = [E.c.kind.in_(PROCESS_KINDS)]
    if municipality:
        process.append(E.c.municipality_code == municipality)
    if spec.get("domain"):
        process.append(literal(spec["domain"]) == any_(E.c.domains))
    if spec.get("phase_into"):
        into = spec["phase_into"]
        process.append(and_(E.c.phase == into, E.c.previous_phase.is_distinct_from(into)))
    if spec.get("reused_by_me"):
        mine = subscription.municipality_code
        process.append(E.c.process_id.in_(_reused_by(mine)) if mine else false())
    agreement: list[ColumnElement[bool]] = [
        E.c.kind == AGREEMENT_EXPIRING,
        E.c.within_days == spec.get("expiring_within_days"),
    ]
    source: list[ColumnElement[bool]] = [E.c.kind == SOURCE_STALE]
    if spec.get("source"):
        source.append(E.c.source_code == spec["source"])
    if municipality:
        agreement.append(literal(municipality) == any_(E.c.parties))
        source.append(literal(municipality) == any_(E.c.parties))
    return and_(
        E.c.kind == func.any(literal(list(subscription.events))),
        or_(and_(*process), and_(*agreement), and_(*source)),
    )


@dataclass(frozen=True)
class Event:
    id: int
    xid: int
    process_id: uuid.UUID | None
    agreement_id: uuid.UUID | None
    source_code: str | None
    municipality_code: str | None
    kind: str
    phase: str | None
    previous_phase: str | None
    was_public: bool
    facts: dict[str, Any] | None
    created_at: datetime
    matches: bool


async def next_events(session: AsyncSession, subscription: Row[Any], limit: int) -> list[Event]:
    statement = (
        select(
            E.c.id,
            E.c.xid,
            E.c.process_id,
            E.c.agreement_id,
            E.c.source_code,
            E.c.municipality_code,
            E.c.kind,
            E.c.phase,
            E.c.previous_phase,
            E.c.was_public,
            E.c.facts,
            E.c.created_at,
            matches(subscription).label("matches"),
        )
        .where(
            tuple_(E.c.xid, E.c.id)
            > tuple_(literal(subscription.position_xid), literal(subscription.position_id)),
            E.c.xid < _horizon(),
        )
        .order_by(E.c.xid, E.c.id)
        .limit(limit)
    )
    return [Event(**row._mapping) for row in (await session.execute(statement)).all()]


async def advance(session: AsyncSession, subscription_id: uuid.UUID, event: Event) -> None:
    await session.execute(
        update(S)
        .where(S.c.id == subscription_id)
        .values(position_xid=event.xid, position_id=event.id)
    )


async def enqueue(
    session: AsyncSession, subscription_id: uuid.UUID, event: Event, body: str
) -> None:
    await session.execute(
        insert(D).values(
            id=uuid.uuid4(),
            subscription_id=subscription_id,
            event_id=event.id,
            kind=event.kind,
            process_id=event.process_id,
            agreement_id=event.agreement_id,
            source_code=event.source_code,
            body=body,
        )
    )


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    latency_ms: int
    error: str | None

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


async def record(
    session: AsyncSession,
    delivery: Row[Any],
    worker: str,
    outcome: Outcome,
    *,
    retry_in_seconds: float,
    window_seconds: float,
) -> str:
    """The try and the delivery's new state: DELIVERED, PENDING (retry later) or FAILED
    (the retry window is over: the dead letter a replay can put back in line)."""
    attempt = delivery.attempts + 1
    await session.execute(
        insert(A).values(
            delivery_id=delivery.id,
            attempt=attempt,
            status_code=outcome.status_code,
            latency_ms=outcome.latency_ms,
            error=outcome.error,
            worker=worker,
        )
    )
    retry_at = func.now() + _seconds(retry_in_seconds)
    if outcome.delivered:
        status: Any = literal("DELIVERED")
    else:
        window_ends = literal(delivery.window_started_at) + _seconds(window_seconds)
        status = case((window_ends <= retry_at, literal("FAILED")), else_=literal("PENDING"))
    row = await session.execute(
        update(D)
        .where(D.c.id == delivery.id)
        .values(
            status=status,
            attempts=attempt,
            last_attempt_at=func.now(),
            next_attempt_at=retry_at,
            status_code=outcome.status_code,
            latency_ms=outcome.latency_ms,
            error=outcome.error,
        )
        .returning(D.c.status)
    )
    return str(row.scalar_one())
