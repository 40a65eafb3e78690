"""One LISTEN per replica, fanned out to every GraphQL subscription it serves.

The listener holds one asyncpg connection (not a pooled one: a pooled connection is
reset and handed to others) and hands each notified ``Span`` to every subscriber's
queue; the subscriber reads what it means itself (``store/change_events.py``). A lost
connection is opened again with backoff; changes committed meanwhile are not told
(a live view, not a feed: the ``changes`` feed and webhooks are the durable ways).
A subscriber that falls ``MAX_BEHIND`` spans behind is ended rather than left to grow.
"""

import asyncio
import logging
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

import asyncpg

from reusegraph.store.change_events import CHANNEL, Span
from reusegraph.store.urls import asyncpg_dsn

log = logging.getLogger("reusegraph.live")
MAX_BEHIND = 10_000


class Lagging(Exception):
    """The subscriber read too slowly and missed changes: it is ended."""


class Subscriber:
    def __init__(self) -> None:
        self._queue: asyncio.Queue[Span | None] = asyncio.Queue(MAX_BEHIND)
        self.lagging = False

    def offer(self, span: Span) -> None:
        if self.lagging:
            return
        try:
            self._queue.put_nowait(span)
        except asyncio.QueueFull:
            self.lagging = True
            self._queue.get_nowait()
            self._queue.put_nowait(None)

    async def next(self) -> Span:
        span = await self._queue.get()
        if span is None:
            raise Lagging(f"more than {MAX_BEHIND} changes behind; subscribe again")
        return span


class ChangeHub:
    def __init__(self, url: Any, *, retry_seconds: float = 1.0) -> None:
        self._dsn = asyncpg_dsn(url)
        self._retry_seconds = retry_seconds
        self._subscribers: set[Subscriber] = set()
        self._task: asyncio.Task[None] | None = None
        self._listening = asyncio.Event()
        self._joined = asyncio.Event()
        self.notifications = 0
        """Counted for tests and the bench."""

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)

    @contextmanager
    def subscribe(self) -> Iterator[Subscriber]:
        subscriber = Subscriber()
        self._subscribers.add(subscriber)
        self._joined.set()
        self._joined = asyncio.Event()
        try:
            yield subscriber
        finally:
            self._subscribers.discard(subscriber)

    async def until_subscribed(self, count: int) -> None:
        """Returns once ``count`` subscriptions listen (tests, the bench)."""
        while len(self._subscribers) < count:
            await self._joined.wait()

    async def start(self) -> None:
        """Returns once listening (or after a first failed try: it keeps trying)."""
        if self._task is None:
            self._task = asyncio.create_task(self._listen(), name="change-hub")
            with suppress(TimeoutError):
                await asyncio.wait_for(self._listening.wait(), timeout=10)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def _notified(self, _connection: Any, _pid: int, _channel: str, payload: str) -> None:
        span = Span.parse(payload)
        if span is None:
            log.warning("ignored a malformed change notification: %r", payload[:80])
            return
        self.notifications += 1
        for subscriber in list(self._subscribers):
            subscriber.offer(span)

    async def _listen(self) -> None:
        delay = self._retry_seconds
        while True:
            lost = asyncio.Event()
            try:
                connection = await asyncpg.connect(
                    self._dsn, timeout=10, server_settings={"application_name": "reusegraph-live"}
                )
            except (OSError, asyncpg.PostgresError) as error:
                log.warning("cannot listen for changes (retrying in %.0f s): %s", delay, error)
                self._listening.set()
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)
                continue
            try:
                connection.add_termination_listener(lambda _c, lost=lost: lost.set())
                await connection.add_listener(CHANNEL, self._notified)
                self._listening.set()
                delay = self._retry_seconds
                await lost.wait()
                log.warning("the change listener lost its connection; listening again")
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
                log.warning("the change listener failed: %s", error)
            finally:
                with suppress(Exception):
                    await asyncio.shield(connection.close(timeout=5))
