"""Whether any source is stale, known without a query per request.

A compiled answer does not track which sources its records came from, so it may answer
only while every source is fresh; with a stale one, the executor answers and names it in
``extensions.sources``. The check kept here (every few seconds) spares the statement
when a source is known stale; ``FRESH`` in every statement decides exactly, at no extra
round trip, so a sync that has just failed sends the very next request to the executor.
"""

import time

from sqlalchemy import exists
from sqlalchemy.dialects import postgresql

from reusegraph.auth.principal import ANONYMOUS
from reusegraph.store.engine import Database
from reusegraph.store.sources import all_sources, is_stale, is_stale_sql

RECHECK_SECONDS = 5.0
FRESH = str(
    (~exists().where(is_stale_sql())).compile(
        dialect=postgresql.dialect(),  # type: ignore[no-untyped-call]
        compile_kwargs={"literal_binds": True},
    )
)
"""A plan's guard: no source is stale now (the store's rule, ``is_stale``, in SQL)."""


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
