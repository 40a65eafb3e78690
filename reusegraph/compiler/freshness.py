"""Whether any source is stale, known without a query per request.

A compiled answer does not track which sources its records came from, so it may answer
only while every source is fresh; with a stale one, the executor answers and names it in
``extensions.sources``. Staleness changes with syncs and with time, so a few seconds'
delay is within what ``stale_after_seconds`` means anyway.
"""

import time

from reusegraph.auth.principal import ANONYMOUS
from reusegraph.store.engine import Database
from reusegraph.store.sources import all_sources, is_stale

RECHECK_SECONDS = 5.0


class Freshness:
    def __init__(self, db: Database, recheck_seconds: float = RECHECK_SECONDS) -> None:
        self.db = db
        self.recheck_seconds = recheck_seconds
        self._checked_at = float("-inf")
        self._any_stale = True

    async def any_stale(self) -> bool:
        now = time.monotonic()
        if now - self._checked_at >= self.recheck_seconds:
            self._checked_at = now
            async with self.db.read(ANONYMOUS) as reader:
                rows = await all_sources(reader)
            self._any_stale = any(is_stale(row) for row in rows)
        return self._any_stale
