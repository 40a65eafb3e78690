"""Retrying a remote call: exponential backoff with full jitter, within a deadline.

Full jitter (a random wait between 0 and the exponential cap) spreads the retries of many
replicas and sources, so a remote that comes back is not hit by all of them at once.
"""

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from reusegraph.federation.errors import SyncError

T = TypeVar("T")


@dataclass(frozen=True)
class Backoff:
    """``Backoff(attempts=4, base=0.5, cap=10)`` waits up to 0.5, 1, 2 s between 4 tries."""

    attempts: int = 4
    base: float = 0.5
    cap: float = 10.0

    def delay(self, attempt: int, rng: random.Random | None = None) -> float:
        """The wait after failed try number ``attempt`` (1-based)."""
        ceiling = min(self.cap, self.base * 2 ** (attempt - 1))
        return (rng or random).uniform(0, ceiling)


async def retrying(
    call: Callable[[], Awaitable[T]],
    backoff: Backoff,
    *,
    on_retry: Callable[[int, SyncError, float], None] | None = None,
) -> T:
    """``call()`` until it succeeds, a non-retryable error, or the tries run out."""
    attempt = 1
    while True:
        try:
            return await call()
        except SyncError as error:
            if not error.retryable or attempt >= backoff.attempts:
                raise
            wait = backoff.delay(attempt)
            if on_retry is not None:
                on_retry(attempt, error, wait)
            await asyncio.sleep(wait)
            attempt += 1
