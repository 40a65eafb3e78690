"""Scheduled syncs inside the server: every few seconds, sync the sources that are due.

Each server process (worker, replica) runs one of these. They need no coordination of
their own: a due source is claimed through its PostgreSQL lock, so exactly one process
syncs it and the others find it busy or, once it has started, no longer due. A failing
check is logged and retried at the next tick; it never stops the server.
"""

import asyncio
import logging
import random

from reusegraph.federation.sync import SyncEngine
from reusegraph.store.enums import RunOutcome

log = logging.getLogger("reusegraph.sync")


class SyncScheduler:
    def __init__(self, engine: SyncEngine, every_seconds: float) -> None:
        self.engine = engine
        self.every_seconds = every_seconds
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None and self.every_seconds > 0:
            self._task = asyncio.create_task(self._loop(), name="sync-scheduler")

    async def stop(self) -> None:
        if self._task is None:
            return
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        self._task = None

    async def _loop(self) -> None:
        # Jitter spreads the workers of one deployment over the interval; the first check
        # waits too, so a server that restarts in a loop does not hammer its remotes.
        while True:
            await asyncio.sleep(self.every_seconds * random.uniform(0.8, 1.2))
            try:
                for run in await self.engine.sync_due():
                    if run.outcome not in {RunOutcome.OK, RunOutcome.BUSY}:
                        log.info("scheduled sync of %s: %s", run.source, run.outcome)
            except Exception:
                log.exception("scheduled sync check failed; trying again next tick")
