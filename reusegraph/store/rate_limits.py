"""Per-caller budgets, kept in PostgreSQL so that every replica spends from the same one.

A token bucket per caller: it holds up to ``capacity`` points and refills at
``capacity / window`` points a second. A request takes its cost out of it, or is refused
when the bucket holds less; a refused request takes nothing. One statement per request
(an UPSERT that refills, takes and answers in one go), run on its own connection in
autocommit, outside the request's read-only transaction. Two replicas charging one
caller at once queue on the caller's row; the second sees the first's charge. Time is
the database's clock, which all replicas share. The row is keyed by a hash of the caller,
so the table holds no identities or addresses. With ``REDIS_URL`` set the same bucket is
kept in Redis instead (``store.redis_budget``); both are a ``Budget``.
"""

import asyncio
import hashlib
import logging
import math
import random
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import text
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from reusegraph.store.errors import DatabaseUnavailable

log = logging.getLogger("reusegraph.limits")

_REFILLED = (
    "least(CAST(:capacity AS float8), b.tokens"
    " + greatest(0, extract(epoch FROM now() - b.updated_at)) * CAST(:rate AS float8))"
)
_CHARGE = text(
    f"""
    INSERT INTO rate_budget AS b (caller, tokens, updated_at, admitted)
    VALUES (:caller, CAST(:capacity AS float8) - CAST(:cost AS float8), now(), true)
    ON CONFLICT (caller) DO UPDATE SET
      tokens = {_REFILLED} - CASE WHEN {_REFILLED} >= CAST(:cost AS float8)
                                  THEN CAST(:cost AS float8) ELSE 0 END,
      admitted = {_REFILLED} >= CAST(:cost AS float8),
      updated_at = greatest(b.updated_at, now())
    RETURNING tokens, admitted
    """
)

_SWEEP = text(
    """
    DELETE FROM rate_budget WHERE caller IN (
      SELECT caller FROM rate_budget
      WHERE updated_at < now() - make_interval(secs => :idle)
      LIMIT 10000 FOR UPDATE SKIP LOCKED)
    """
)


@dataclass(frozen=True)
class Charge:
    admitted: bool
    left: int
    """Points left in the bucket after this request (floor)."""
    retry_after: int
    """Seconds until the bucket holds the cost again (0 when admitted)."""


def caller_key(caller: str) -> str:
    return hashlib.sha256(caller.encode("utf-8")).hexdigest()


class Budget(Protocol):
    """Where the per-caller buckets are kept: PostgreSQL (``RateBudget``) or Redis."""

    capacity: int
    window_seconds: int

    async def charge(self, caller: str, cost: int) -> Charge | None:
        """Takes ``cost`` points from ``caller``; None: admitted without a budget."""
        ...


class RateBudget:
    def __init__(self, capacity: int, window_seconds: int, engine: AsyncEngine) -> None:
        if capacity <= 0 or window_seconds <= 0:
            raise ValueError("a budget needs a capacity and a window")
        self.engine = engine
        self.capacity = capacity
        self.window_seconds = window_seconds
        self.rate = capacity / window_seconds
        """Points per second."""

    async def charge(self, caller: str, cost: int) -> Charge:
        """Takes ``cost`` points (at least 1, at most the whole bucket) from ``caller``."""
        cost = max(1, min(cost, self.capacity))
        params = {
            "caller": caller_key(caller),
            "capacity": float(self.capacity),
            "cost": float(cost),
            "rate": self.rate,
        }
        try:
            async with self.engine.connect() as connection:
                autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
                row = (await autocommit.execute(_CHARGE, params)).one()
        except (OSError, OperationalError, InterfaceError, ConnectionError) as error:
            raise DatabaseUnavailable(str(error)) from error
        tokens, admitted = float(row.tokens), bool(row.admitted)
        retry_after = 0 if admitted else max(1, math.ceil((cost - tokens) / self.rate))
        return Charge(admitted, max(0, math.floor(tokens)), retry_after)

    async def sweep(self) -> int:
        """Forgets callers idle for a whole window (their buckets are full again anyway)."""
        async with self.engine.connect() as connection:
            autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
            result = await autocommit.execute(_SWEEP, {"idle": float(self.window_seconds)})
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


class BudgetSweeper:
    """Every few minutes, forgets the callers idle for a window; failures are only logged."""

    def __init__(self, budget: RateBudget, every_seconds: float = 300) -> None:
        self.budget = budget
        self.every_seconds = every_seconds
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name="rate-budget-sweeper")

    async def stop(self) -> None:
        if self._task is None:
            return
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        self._task = None

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.every_seconds * random.uniform(0.8, 1.2))
            try:
                await self.budget.sweep()
            except Exception:
                log.warning("sweeping idle rate budgets failed; trying again later", exc_info=True)
