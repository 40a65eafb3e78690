"""Subscribing to webhooks, pausing, resuming, deleting, replaying failed deliveries.

Any signed-in caller may subscribe; what they are told is what they may read (the
payload is their own query's answer). The URL is checked against the server's guard
(allow-list, no private addresses) here and again before every delivery.
"""

import uuid

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from reusegraph.auth.principal import Role
from reusegraph.events import signing
from reusegraph.events.url_guard import TargetRefused
from reusegraph.schema.context import Info
from reusegraph.schema.core.permissions import Scope, needs
from reusegraph.schema.mutations.core import UserError, apply
from reusegraph.schema.mutations.field_checks import FieldChecks
from reusegraph.schema.webhooks import (
    WebhookEventType,
    WebhookSubscription,
    parse_webhook_id,
    subscription_by_key,
)
from reusegraph.store import webhooks as store
from reusegraph.store.audit import Call
from reusegraph.store.enums import Domain, Phase
from reusegraph.store.write_errors import rejected

ANYONE = (Role.READER, Role.MEMBER, Role.EDITOR, Role.ADMIN)
MAX_URL = 2048
MAX_WINDOW_DAYS = 730
PROCESS_EVENTS = {
    WebhookEventType.PROCESS_CREATED,
    WebhookEventType.PROCESS_UPDATED,
    WebhookEventType.PROCESS_DELETED,
}


@strawberry.input(
    description="Every given part that can speak of an event must hold; none given: every"
    " process you may read."
)
class WebhookFilterInput:
    municipality: str | None = strawberry.field(
        default=None,
        description="Processes of this municipality, agreements it is a party to, the source"
        " that owns it.",
    )
    domain: Domain | None = None
    phase_into: Phase | None = strawberry.field(
        default=None, description="Only changes that put a process into this phase."
    )
    reused_by_me: bool = strawberry.field(
        default=False,
        description="Only processes your municipality reused (their origins, and theirs).",
    )
    expiring_within_days: int | None = strawberry.field(
        default=None,
        description=f"AGREEMENT_EXPIRING (required with it): agreements in force that end"
        f" within this many days, 1-{MAX_WINDOW_DAYS}.",
    )
    source: str | None = strawberry.field(
        default=None, description="SOURCE_STALE: only this source (its code); left out: all."
    )


@strawberry.input
class WebhookSubscribeInput:
    url: str = strawberry.field(description="Where to POST; https, a public address.")
    events: list[WebhookEventType]
    filter: WebhookFilterInput | None = None
    secret: str | None = strawberry.field(
        default=None,
        description="A `whsec_` secret of 24-64 bytes; left out, one is made and shown once.",
    )
    client_mutation_id: str | None = None


@strawberry.input
class WebhookIdInput:
    id: strawberry.ID
    client_mutation_id: str | None = None


@strawberry.input(description="Give one: a failed delivery, or a subscription (its failed ones).")
class WebhookReplayInput:
    delivery_id: strawberry.ID | None = None
    subscription_id: strawberry.ID | None = None
    client_mutation_id: str | None = None


@strawberry.type
class WebhookSubscribePayload:
    subscription: WebhookSubscription | None
    secret: str | None = strawberry.field(
        description="The signing secret (`whsec_...`): shown this once, keep it."
    )
    user_errors: list[UserError]
    client_mutation_id: str | None


@strawberry.type
class WebhookSubscriptionPayload:
    subscription: WebhookSubscription | None
    user_errors: list[UserError]
    client_mutation_id: str | None


@strawberry.type
class WebhookDeletePayload:
    deleted_id: strawberry.ID | None
    user_errors: list[UserError]
    client_mutation_id: str | None


async def _checked(info: Info, input: WebhookSubscribeInput) -> store.NewSubscription:
    checks = FieldChecks()
    url = input.url.strip()
    if len(url) > MAX_URL:
        checks.add("url", f"url must be at most {MAX_URL} characters; got {len(url)}.")
    else:
        try:
            await info.context.url_guard.check(url)
        except TargetRefused as refused:
            checks.add("url", str(refused))
    if not input.events:
        checks.add("events", "events must name at least one event type.", "REQUIRED")
    secret = input.secret or signing.new_secret()
    try:
        signing.secret_key(secret)
    except ValueError as error:
        checks.add("secret", str(error))
    spec: dict[str, object] = {}
    given = input.filter or WebhookFilterInput()
    if given.municipality is not None:
        spec["municipality"] = checks.municipality(
            "filter.municipality", given.municipality.strip()
        )
    if given.domain is not None:
        spec["domain"] = given.domain.value
    if given.phase_into is not None:
        spec["phase_into"] = given.phase_into.value
    if given.reused_by_me:
        if info.context.viewer.municipality is None:
            checks.add(
                "filter.reusedByMe", "reusedByMe needs a token that speaks for a municipality."
            )
        spec["reused_by_me"] = True
    spec.update(await _watch_parts(info, input, checks))
    checks.done()
    events = sorted({e.value for e in input.events})
    return store.NewSubscription(url=url, events=events, filter=spec, secret=secret)


async def _watch_parts(
    info: Info, input: WebhookSubscribeInput, checks: FieldChecks
) -> dict[str, object]:
    """The parts of the watches' events, and parts given for events not asked for."""
    events = set(input.events)
    given = input.filter or WebhookFilterInput()
    spec: dict[str, object] = {}
    process_parts = given.domain or given.phase_into or given.reused_by_me
    if process_parts and events and not events & PROCESS_EVENTS:
        checks.add(
            "filter",
            "domain, phaseInto and reusedByMe speak of processes; add a PROCESS_* event or"
            " leave them out.",
        )
    days = given.expiring_within_days
    if WebhookEventType.AGREEMENT_EXPIRING in events and days is None:
        checks.add(
            "filter.expiringWithinDays",
            f"AGREEMENT_EXPIRING needs filter.expiringWithinDays (1-{MAX_WINDOW_DAYS}).",
            "REQUIRED",
        )
    if days is not None:
        if WebhookEventType.AGREEMENT_EXPIRING not in events:
            checks.add(
                "filter.expiringWithinDays",
                "expiringWithinDays applies to AGREEMENT_EXPIRING only; add that event.",
            )
        checks.within("filter.expiringWithinDays", days, 1, MAX_WINDOW_DAYS)
        spec["expiring_within_days"] = days
    if given.source is not None:
        code = given.source.strip()
        if WebhookEventType.SOURCE_STALE not in events:
            checks.add("filter.source", "source applies to SOURCE_STALE only; add that event.")
        elif not await store.source_exists(info.context.reader, code):
            checks.add(
                "filter.source", f"No source {code!r}; `sources` lists the codes.", "NOT_FOUND"
            )
        spec["source"] = code
    return spec


def _key(value: strawberry.ID, expected: str, field: str) -> uuid.UUID:
    return parse_webhook_id(str(value), expected, f"input.{field}")


@strawberry.type
class WebhookMutations:
    @strawberry.mutation(
        description="Be told of changes by signed HTTP POST (Standard Webhooks), at least"
        " once and in order, about the processes you may read.",
        permission_classes=[needs(*ANYONE, scope=Scope.OWN_SUBSCRIPTIONS)],
    )
    async def webhook_subscribe(
        self, info: Info, input: WebhookSubscribeInput
    ) -> WebhookSubscribePayload:
        shown: list[str] = []

        async def work(session: AsyncSession, call: Call) -> str:
            new = await _checked(info, input)
            shown.append(new.secret)
            return str(await store.subscribe(session, call, new))

        outcome = await apply(info, "webhookSubscribe", input.client_mutation_id, work)
        found = None
        if outcome.key is not None:
            found = await subscription_by_key(info, uuid.UUID(outcome.key))
        return WebhookSubscribePayload(
            subscription=found,
            secret=shown[0] if found is not None and shown else None,
            user_errors=outcome.errors,
            client_mutation_id=outcome.client_mutation_id,
        )

    @strawberry.mutation(
        description="Stop deliveries for now; events meanwhile wait for resume.",
        permission_classes=[needs(*ANYONE, scope=Scope.OWN_SUBSCRIPTIONS)],
    )
    async def webhook_pause(self, info: Info, input: WebhookIdInput) -> WebhookSubscriptionPayload:
        return await _set_status(info, input, store.PAUSED, "webhookPause")

    @strawberry.mutation(
        description="Deliver again, starting with what waited while paused.",
        permission_classes=[needs(*ANYONE, scope=Scope.OWN_SUBSCRIPTIONS)],
    )
    async def webhook_resume(self, info: Info, input: WebhookIdInput) -> WebhookSubscriptionPayload:
        return await _set_status(info, input, store.ACTIVE, "webhookResume")

    @strawberry.mutation(
        description="Delete a subscription and its delivery history.",
        permission_classes=[needs(*ANYONE, scope=Scope.OWN_SUBSCRIPTIONS)],
    )
    async def webhook_delete(self, info: Info, input: WebhookIdInput) -> WebhookDeletePayload:
        key = _key(input.id, "WebhookSubscription", "id")

        async def work(session: AsyncSession, call: Call) -> str:
            return str(await store.remove(session, call, key))

        outcome = await apply(info, "webhookDelete", input.client_mutation_id, work)
        return WebhookDeletePayload(
            deleted_id=input.id if outcome.key is not None else None,
            user_errors=outcome.errors,
            client_mutation_id=outcome.client_mutation_id,
        )

    @strawberry.mutation(
        description="Put failed deliveries back in line (same webhook-id, a new retry window).",
        permission_classes=[needs(*ANYONE, scope=Scope.OWN_SUBSCRIPTIONS)],
    )
    async def webhook_replay(
        self, info: Info, input: WebhookReplayInput
    ) -> WebhookSubscriptionPayload:
        delivery = subscription = None
        if input.delivery_id is not None:
            delivery = _key(input.delivery_id, "WebhookDelivery", "deliveryId")
        if input.subscription_id is not None:
            subscription = _key(input.subscription_id, "WebhookSubscription", "subscriptionId")

        async def work(session: AsyncSession, call: Call) -> str:
            if (delivery is None) == (subscription is None):
                raise rejected("INVALID", "Give either deliveryId or subscriptionId.", "deliveryId")
            key = await store.replay(
                session, call, delivery_id=delivery, subscription_id=subscription
            )
            return str(key)

        outcome = await apply(info, "webhookReplay", input.client_mutation_id, work)
        found = None
        if outcome.key is not None:
            found = await subscription_by_key(info, uuid.UUID(outcome.key))
        return WebhookSubscriptionPayload(
            subscription=found,
            user_errors=outcome.errors,
            client_mutation_id=outcome.client_mutation_id,
        )


async def _set_status(
    info: Info, input: WebhookIdInput, status: str, name: str
) -> WebhookSubscriptionPayload:
    key = _key(input.id, "WebhookSubscription", "id")

    async def work(session: AsyncSession, call: Call) -> str:
        return str(await store.set_status(session, call, key, status))

    outcome = await apply(info, name, input.client_mutation_id, work)
    found = None
    if outcome.key is not None:
        found = await subscription_by_key(info, uuid.UUID(outcome.key))
    return WebhookSubscriptionPayload(
        subscription=found,
        user_errors=outcome.errors,
        client_mutation_id=outcome.client_mutation_id,
    )
