"""Webhook subscriptions and their delivery history, as their owner (or an admin) reads them.

Which subscriptions a caller gets is row-level security's decision (migration 0019):
their own, or all of them for an admin. The secret is never readable; it is shown once,
in the answer to ``webhookSubscribe``.
"""

import enum
import uuid
from datetime import datetime
from typing import Any

import strawberry
from sqlalchemy.engine import Row

from reusegraph.schema.context import Info
from reusegraph.schema.core.errors import BadUserInput
from reusegraph.schema.core.ids import global_id
from reusegraph.schema.core.permissions import Scope, needs
from reusegraph.store import webhooks as store
from reusegraph.store.enums import Domain, Phase

MAX_DELIVERIES = 500


@strawberry.enum(description="What happened (the `type` of the delivered body).")
class WebhookEventType(enum.Enum):
    PROCESS_CREATED = "process.created"
    PROCESS_UPDATED = "process.updated"
    PROCESS_DELETED = "process.deleted"
    AGREEMENT_EXPIRING = strawberry.enum_value(
        "agreement.expiring",
        description="An agreement in force today ends within the filter's `expiringWithinDays`"
        " (told once per agreement, window and end date).",
    )
    SOURCE_STALE = strawberry.enum_value(
        "source.stale",
        description="A mirrored source went stale (told once per episode: it has to recover"
        " before it is told again).",
    )


@strawberry.enum
class WebhookStatus(enum.Enum):
    ACTIVE = "ACTIVE"
    PAUSED = "PAUSED"


@strawberry.enum(description="FAILED: retried for the whole retry window; `webhookReplay` it.")
class WebhookDeliveryStatus(enum.Enum):
    PENDING = "PENDING"
    DELIVERED = "DELIVERED"
    FAILED = "FAILED"


@strawberry.type(
    description="Which events a subscription hears of; every given part that can speak of an"
    " event must hold."
)
class WebhookFilter:
    municipality: str | None = strawberry.field(
        description="Processes of this municipality, agreements it is a party to, the source"
        " that owns it."
    )
    domain: Domain | None = strawberry.field(description="Processes in this domain.")
    phase_into: Phase | None = strawberry.field(
        description="Only changes that put a process into this phase."
    )
    reused_by_me: bool = strawberry.field(
        description="Only processes your municipality reused: origins of its processes, and"
        " their origins."
    )
    expiring_within_days: int | None = strawberry.field(
        description="AGREEMENT_EXPIRING: agreements ending within this many days."
    )
    source: str | None = strawberry.field(description="SOURCE_STALE: only this source's code.")

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> "WebhookFilter":
        return cls(
            municipality=raw.get("municipality"),
            domain=Domain(raw["domain"]) if raw.get("domain") else None,
            phase_into=Phase(raw["phase_into"]) if raw.get("phase_into") else None,
            reused_by_me=bool(raw.get("reused_by_me")),
            expiring_within_days=raw.get("expiring_within_days"),
            source=raw.get("source"),
        )


@strawberry.type(description="One try of a delivery.")
class WebhookAttempt:
    attempt: int
    at: datetime
    status_code: int | None = strawberry.field(description="The receiver's answer (null: none).")
    latency_ms: int
    error: str | None


@strawberry.type(description="One event sent (or being sent) to one subscription.")
class WebhookDelivery:
    id: strawberry.ID
    webhook_id: str = strawberry.field(
        description="The `webhook-id` header: the same on every retry and replay of the event."
    )
    event_type: WebhookEventType
    process_id: strawberry.ID | None = strawberry.field(description="A process's event.")
    agreement_id: strawberry.ID | None = strawberry.field(description="AGREEMENT_EXPIRING.")
    source_code: str | None = strawberry.field(description="SOURCE_STALE.")
    status: WebhookDeliveryStatus
    attempts: int
    status_code: int | None = strawberry.field(description="The last try's answer.")
    latency_ms: int | None = strawberry.field(description="The last try's time to an answer.")
    error: str | None
    last_attempt_at: datetime | None
    next_attempt_at: datetime | None = strawberry.field(description="Set while PENDING.")
    created_at: datetime
    history: list[WebhookAttempt]

    @classmethod
    def from_row(cls, row: Row[Any], attempts: list[Row[Any]]) -> "WebhookDelivery":
        return cls(
            id=strawberry.ID(global_id("WebhookDelivery", row.id)),
            webhook_id=f"evt_{row.event_id}",
            event_type=WebhookEventType(row.kind),
            process_id=_id("Process", row.process_id),
            agreement_id=_id("FrameworkAgreement", row.agreement_id),
            source_code=row.source_code,
            status=WebhookDeliveryStatus(row.status),
            attempts=row.attempts,
            status_code=row.status_code,
            latency_ms=row.latency_ms,
            error=row.error,
            last_attempt_at=row.last_attempt_at,
            next_attempt_at=row.next_attempt_at if row.status == "PENDING" else None,
            created_at=row.created_at,
            history=[
                WebhookAttempt(
                    attempt=a.attempt,
                    at=a.attempted_at,
                    status_code=a.status_code,
                    latency_ms=a.latency_ms,
                    error=a.error,
                )
                for a in attempts
            ],
        )


def _id(type_name: str, key: uuid.UUID | None) -> strawberry.ID | None:
    return None if key is None else strawberry.ID(global_id(type_name, key))


@strawberry.type(description="A standing request to be told of changes, by signed HTTP POST.")
class WebhookSubscription:
    id: strawberry.ID
    url: str
    events: list[WebhookEventType]
    filter: WebhookFilter
    status: WebhookStatus
    subscriber: str = strawberry.field(description="The subject of the token that subscribed.")
    created_at: datetime
    updated_at: datetime
    version: int
    key: strawberry.Private[uuid.UUID]

    @classmethod
    def from_row(cls, row: Row[Any]) -> "WebhookSubscription":
        return cls(
            id=strawberry.ID(global_id("WebhookSubscription", row.id)),
            url=row.url,
            events=[WebhookEventType(e) for e in row.events],
            filter=WebhookFilter.from_json(row.filter or {}),
            status=WebhookStatus(row.status),
            subscriber=row.subject,
            created_at=row.created_at,
            updated_at=row.updated_at,
            version=row.version,
            key=row.id,
        )

    @strawberry.field(description="Deliveries to this subscription, newest first.")
    async def deliveries(
        self, info: Info, first: int = 50, status: WebhookDeliveryStatus | None = None
    ) -> list[WebhookDelivery]:
        if not 0 <= first <= MAX_DELIVERIES:
            raise BadUserInput(
                f"first must be between 0 and {MAX_DELIVERIES}; got {first}.", argument="first"
            )
        reader = info.context.reader
        rows = await store.deliveries(
            reader, self.key, first=first, status=status.value if status else None
        )
        history = await store.attempts(reader, [r.id for r in rows])
        return [WebhookDelivery.from_row(r, history[r.id]) for r in rows]


def parse_webhook_id(value: str, expected: str, argument: str) -> uuid.UUID:
    """``WebhookSubscription:<uuid>`` or ``WebhookDelivery:<uuid>`` (or the bare uuid). Not
    node ids: ``node(id:)`` does not serve them, they are read through the subscription."""
    type_name, sep, key = value.rpartition(":")
    if sep and type_name != expected:
        raise BadUserInput(
            f"{argument} {value!r} is not a {expected} id (expected '{expected}:<uuid>')",
            argument=argument,
        )
    try:
        return uuid.UUID(key)
    except ValueError:
        raise BadUserInput(
            f"{argument} {value!r} is not a {expected} id (expected '{expected}:<uuid>')",
            argument=argument,
        ) from None


async def subscription_by_key(info: Info, key: uuid.UUID) -> WebhookSubscription | None:
    rows = await store.subscriptions(info.context.reader, [key])
    return WebhookSubscription.from_row(rows[0]) if rows else None


@strawberry.type
class WebhookQueries:
    @strawberry.field(
        description="Your webhook subscriptions (an admin's: everyone's), newest first.",
        permission_classes=[needs(scope=Scope.OWN_SUBSCRIPTIONS, what="Webhook subscriptions")],
    )
    async def webhook_subscriptions(self, info: Info) -> list[WebhookSubscription]:
        rows = await store.subscriptions(info.context.reader)
        return [WebhookSubscription.from_row(r) for r in rows]
