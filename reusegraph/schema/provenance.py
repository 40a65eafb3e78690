"""Which sources a response's data came from, so stale or failing ones can be named.

A partner portal must be able to say "data from X is 3 days old" without asking for
``source`` on every record. Each Process object notes its source code in a per-request
set (a context variable: concurrent resolvers share it, other requests do not); after
execution the endpoint looks the codes up and lists the stale ones in
``extensions.sources``.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from reusegraph.schema.context import Context
from reusegraph.store.sources import is_stale, lag_seconds

_touched: ContextVar[set[str] | None] = ContextVar("reusegraph_touched_sources", default=None)


def note_source(code: str | None) -> None:
    if code is not None:
        touched = _touched.get()
        if touched is not None:
            touched.add(code)


@contextmanager
def tracking() -> Iterator[set[str]]:
    """The codes of every source whose records were resolved inside the block."""
    touched: set[str] = set()
    token = _touched.set(touched)
    try:
        yield touched
    finally:
        _touched.reset(token)


async def stale_sources(context: Context, touched: set[str]) -> list[dict[str, Any]]:
    """``extensions.sources``: the touched sources whose data is stale, oldest data first."""
    if not touched:
        return []
    rows = await context.loaders.source_by_code.load_many(sorted(touched))
    stale = [row for row in rows if row is not None and is_stale(row)]
    stale.sort(key=lambda row: (row.last_success_at is not None, row.last_success_at))
    return [
        {
            "code": row.code,
            "kind": row.kind,
            "stale": True,
            "syncedAt": row.last_success_at.isoformat() if row.last_success_at else None,
            "lagSeconds": lag_seconds(row),
            "lastOutcome": row.last_outcome,
            "lastError": row.last_error,
        }
        for row in stale
    ]
