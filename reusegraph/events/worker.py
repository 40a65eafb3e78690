"""The delivery worker: every replica runs one; together they deliver each event once.

A round claims a few subscriptions with work (``store.webhook_deliveries.claim``: SKIP
LOCKED, then a lease) and serves each in order: first its head, the oldest pending
delivery, which nothing later overtakes; then its next events, each turned into a
delivery when it matches the filter and the subscriber may read it. A delivery is
written before it is sent, so a worker that dies mid-send leaves it pending, and the
next holder of the subscription (after the lease runs out) sends it again with the same
``webhook-id``: at least once, in order. A failed try is retried after an exponential
backoff with full jitter, for a bounded window; then the delivery is FAILED (the dead
letter a replay puts back in line) and the subscription moves on.
"""

import asyncio
import contextlib
import logging
import os
import random
import socket
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy.engine import Row

from reusegraph.events import signing
from reusegraph.events.payloads import PayloadError, payload
from reusegraph.events.url_guard import TargetRefused, UrlGuard
from reusegraph.schema import Schema, build_schema
from reusegraph.store import webhook_deliveries as store
from reusegraph.store.engine import Database

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Delivering:
    poll_seconds: float = 1.0
    lease_seconds: float = 30.0
    timeout_seconds: float = 10.0
    retry_window_seconds: float = 86400.0
    """How long a delivery is retried before it is FAILED."""
    backoff_seconds: float = 1.0
    """The first retry's delay; each further one doubles it (with jitter) up to the cap."""
    backoff_cap_seconds: float = 3600.0
    subscriptions_per_round: int = 20
    events_per_read: int = 100
    tries_per_turn: int = 50
    """A subscription's turn: after this many tries it goes to the back of the line, so a
    long backlog does not hold up the round (which ends when its last turn does)."""


def backoff(attempt: int, base: float, cap: float) -> float:
    """Full jitter: uniform over [0, min(cap, base * 2^(attempt-1))], at least 10% of it,
    so replicas retrying the same receiver do not come back in step."""
    ceiling = min(cap, base * 2 ** max(attempt - 1, 0))
    return random.uniform(0.1 * ceiling, ceiling)


class DeliveryWorker:
    def __init__(
        self,
        db: Database,
        guard: UrlGuard,
        delivering: Delivering | None = None,
        *,
        schema: Schema | None = None,
        name: str | None = None,
    ) -> None:
        self.db = db
        self.guard = guard
        self.delivering = delivering or Delivering()
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._schema = schema
        self._client: httpx.AsyncClient | None = None
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name="webhook-delivery")

    def wake(self) -> None:
        """Look now instead of at the next poll (a change was just made here)."""
        self._wake.set()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def _loop(self) -> None:
        while True:
            try:
                busy = await self.run_once()
            except Exception:
                log.exception("webhook delivery round failed; trying again next poll")
                busy = 0
            if busy:
                continue
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.delivering.poll_seconds)

    async def run_once(self) -> int:
        """One round: the number of subscriptions served (0: nothing to do)."""
        d = self.delivering
        async with self.db.session(None) as session:
            claimed = await store.claim(
                session, self.name, limit=d.subscriptions_per_round, lease_seconds=d.lease_seconds
            )
        await asyncio.gather(*(self._serve(s) for s in claimed))
        return len(claimed)

    async def _serve(self, subscription: Row[Any]) -> None:
        retry_at: datetime | None = None
        try:
            retry_at = await self._drain(subscription)
        except Exception:
            log.exception("webhook subscription %s: delivery failed", subscription.id)
            retry_at = datetime.now(UTC) + timedelta(seconds=self.delivering.backoff_seconds)
        async with self.db.session(None) as session:
            await store.release(session, subscription.id, self.name, retry_at)

    async def _drain(self, subscription: Row[Any]) -> datetime | None:
        """Deliver until there is nothing due or the turn is over; the head's next try, if
        one is waiting."""
        tries = 0
        while tries < self.delivering.tries_per_turn:
            async with self.db.session(None) as session:
                held = await store.hold(
                    session, subscription.id, self.name, self.delivering.lease_seconds
                )
                if held is None:
                    return None
                subscription = held
                head = await store.head(session, subscription.id)
            if head is not None:
                if head.next_attempt_at > datetime.now(UTC):
                    due: datetime = head.next_attempt_at
                    return due
                await self._attempt(subscription, head)
                tries += 1
                continue
            if not await self._take_next(subscription):
                return None
        return None

    async def _take_next(self, subscription: Row[Any]) -> bool:
        """Move along the events: up to and including the next one to deliver (queued as a
        pending delivery). False when no event is left to look at."""
        async with self.db.session(None) as session:
            events = await store.next_events(session, subscription, self.delivering.events_per_read)
        if not events:
            return False
        schema = self._schema_once()
        for event in events:
            body = None
            if event.matches:
                try:
                    body = await payload(schema, self.db, subscription, event)
                except PayloadError as error:
                    log.warning("webhook payload of event %s: %s", event.id, error)
                    raise
            if body is None and event is not events[-1]:
                continue
            async with self.db.session(None) as session:
                if (
                    await store.hold(
                        session, subscription.id, self.name, self.delivering.lease_seconds
                    )
                    is None
                ):
                    return False
                await store.advance(session, subscription.id, event)
                if body is not None:
                    await store.enqueue(session, subscription.id, event, body)
            return True
        return True

    async def _attempt(self, subscription: Row[Any], delivery: Row[Any]) -> None:
        outcome = await self._send(subscription, delivery)
        d = self.delivering
        wait = backoff(delivery.attempts + 1, d.backoff_seconds, d.backoff_cap_seconds)
        async with self.db.session(None) as session:
            if await store.hold(session, subscription.id, self.name, d.lease_seconds) is None:
                return  # another worker holds it now; its own try counts
            status = await store.record(
                session,
                delivery,
                self.name,
                outcome,
                retry_in_seconds=wait,
                window_seconds=d.retry_window_seconds,
            )
        if status == "FAILED":
            log.warning(
                "webhook delivery %s to %s failed for good after %d tries (%s)",
                delivery.id,
                subscription.url,
                delivery.attempts + 1,
                outcome.error or outcome.status_code,
            )

    async def _send(self, subscription: Row[Any], delivery: Row[Any]) -> store.Outcome:
        started = time.perf_counter()

        def outcome(status_code: int | None, error: str | None) -> store.Outcome:
            elapsed = round((time.perf_counter() - started) * 1000)
            return store.Outcome(status_code, elapsed, error)

        try:
            await self.guard.check(subscription.url)
        except TargetRefused as refused:
            return outcome(None, f"refused: {refused}")
        body = delivery.body.encode()
        headers = signing.headers(
            subscription.secret, message_id(delivery.event_id), int(time.time()), body
        )
        headers["user-agent"] = "reusegraph-webhooks/1"
        try:
            response = await self._http().post(subscription.url, content=body, headers=headers)
        except httpx.TimeoutException:
            return outcome(None, f"no answer within {self.delivering.timeout_seconds:g} s")
        except httpx.HTTPError as error:
            return outcome(None, f"{type(error).__name__}: {error}"[:500])
        refusal = None if response.is_success else f"answered {response.status_code}"
        return outcome(response.status_code, refusal)

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(
                timeout=self.delivering.timeout_seconds, follow_redirects=False, trust_env=False
            )
        return self._client

    def _schema_once(self) -> Schema:
        if self._schema is None:
            self._schema = build_schema()
        return self._schema


def message_id(event_id: int) -> str:
    """The ``webhook-id``: one per event, the same on every retry, replay and replica."""
    return f"evt_{event_id}"
