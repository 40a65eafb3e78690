"""The watches: a periodic scan for what is not a row change, written to the outbox.

"An agreement expires within N days" and "a source went stale" become true as time
passes, with no write to trigger on. Every replica runs this loop; per period one of
them claims the scan (``store.webhook_watches.claim``) and writes the events, in one
transaction with the memory of what it announced. The delivery worker then sends them
as any other event: in order, signed, read as the subscriber.
"""

import asyncio
import contextlib
import logging
from collections.abc import Callable

from reusegraph.store import webhook_watches as store
from reusegraph.store.engine import Database

log = logging.getLogger(__name__)


class Watches:
    def __init__(
        self,
        db: Database,
        period_seconds: float,
        *,
        on_events: Callable[[], None] | None = None,
    ) -> None:
        self.db = db
        self.period_seconds = period_seconds
        self.on_events = on_events
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None and self.period_seconds > 0:
            self._task = asyncio.create_task(self._loop(), name="webhook-watches")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _loop(self) -> None:
        # Looking twice per period: a replica that just missed its turn is not a period late.
        while True:
            try:
                await self.scan_once()
            except Exception:
                log.exception("webhook watches: scan failed; trying again next period")
            await asyncio.sleep(self.period_seconds / 2)

    async def scan_once(self) -> store.Announced | None:
        """One scan if it is this replica's turn (None: another's, or too soon)."""
        async with self.db.session(None) as session:
            if not await store.claim(session, self.period_seconds):
                return None
            announced = store.Announced(
                agreements=await store.announce_expiring(session),
                sources=await store.announce_stale(session),
            )
        if (announced.agreements or announced.sources) and self.on_events is not None:
            with contextlib.suppress(Exception):
                self.on_events()
        return announced
