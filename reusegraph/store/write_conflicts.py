"""Transactions that PostgreSQL ended to break a deadlock, tried again.

Concurrent sync pages lock each other's rows once reuse links cross sources: a page of
source A recounts ``process_rollup`` rows of B's origins while B's page recounts A's
(migration 0005's reuse triggers), and links that were pending become real in the page
of whichever source brings their origin. PostgreSQL then ends one of the two
transactions (SQLSTATE 40P01), and its documentation asks the client to run it again.
A sync page is idempotent, so running it again is safe; so is any transaction that
writes only what it was given.
"""

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.exc import DBAPIError

log = logging.getLogger("reusegraph.store")

T = TypeVar("T")

CONFLICTS = {"40P01": "deadlock", "40001": "serialization failure"}
ATTEMPTS = 5


def conflict(error: BaseException) -> str | None:
    """What kind of conflict ended the transaction, or None for any other error."""
    if not isinstance(error, DBAPIError):
        return None
    return CONFLICTS.get(str(getattr(error.orig, "sqlstate", None) or ""))


async def retried(transaction: Callable[[], Awaitable[T]], *, what: str) -> T:
    """``transaction()`` (one whole transaction) until it ends without a conflict.

    A short random pause between attempts, longer each time, so the two that collided
    do not meet again at once. After ``ATTEMPTS`` the last error is raised."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return await transaction()
        except DBAPIError as error:
            kind = conflict(error)
            if kind is None or attempt == ATTEMPTS:
                raise
            log.info("%s ended by a %s (attempt %d of %d); again", what, kind, attempt, ATTEMPTS)
            await asyncio.sleep(random.uniform(0.02, 0.1) * attempt)
    raise AssertionError("unreachable")
