"""Per-caller budgets in Redis, when ``REDIS_URL`` is set: the same token bucket, off PostgreSQL.

The bucket of ``store.rate_limits`` (capacity, refill rate, a refused request takes
nothing), kept as a Redis hash per caller and charged by one Lua script, which Redis
runs atomically: two replicas charging one caller at once are serialised by Redis as
they are by the row lock in PostgreSQL. Time is the Redis server's clock (``TIME``),
which all replicas share. Each key expires when its bucket would be full again (a window
after its last charge), so no sweeper is needed; keys are a hash of the caller under a
prefix (``REUSEGRAPH_REDIS_KEY_PREFIX``), so several deployments can share one Redis.

Redis is a helper here, not the system of record: when it cannot be reached, requests
are admitted without a budget (and that is logged), as Envoy's rate-limit filter does by
default, and it is not asked again for a few seconds, so a dead Redis costs requests no
waiting.
"""

import logging
import math
import time

from redis.asyncio import Redis
from redis.exceptions import RedisError

from reusegraph.store.rate_limits import Charge, caller_key

log = logging.getLogger("reusegraph.limits")

RETRY_AFTER_FAILURE_SECONDS = 5.0
"""After a failure, Redis is left alone this long (requests are admitted meanwhile)."""

_CHARGE = """
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local ttl = tonumber(ARGV[4])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or capacity
local at = tonumber(state[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - at) * rate)
local admitted = 0
if tokens >= cost then
  tokens = tokens - cost
  admitted = 1
end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens),
           'at', string.format('%.17g', math.max(at, now)))
redis.call('PEXPIRE', KEYS[1], ttl)
return {string.format('%.17g', tokens), admitted}
"""


class RedisRateBudget:
    def __init__(
        self, capacity: int, window_seconds: int, client: Redis, *, prefix: str = "reusegraph:"
    ) -> None:
        if capacity <= 0 or window_seconds <= 0:
            raise ValueError("a budget needs a capacity and a window")
        self.capacity = capacity
        self.window_seconds = window_seconds
        self.rate = capacity / window_seconds
        self.client = client
        self.prefix = prefix
        self._script = client.register_script(_CHARGE)
        self._skip_until = 0.0

    @classmethod
    def from_url(
        cls, url: str, capacity: int, window_seconds: int, *, prefix: str = "reusegraph:"
    ) -> "RedisRateBudget":
        client = Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        return cls(capacity, window_seconds, client, prefix=prefix)

    def key(self, caller: str) -> str:
        return f"{self.prefix}budget:{caller_key(caller)}"

    async def charge(self, caller: str, cost: int) -> Charge | None:
        """As ``RateBudget.charge``; None when Redis is unreachable (admitted, unbudgeted)."""
        if time.monotonic() < self._skip_until:
            return None
        cost = max(1, min(cost, self.capacity))
        ttl_ms = math.ceil(self.window_seconds * 1000)
        try:
            tokens_text, admitted_flag = await self._script(
                keys=[self.key(caller)], args=[self.capacity, self.rate, cost, ttl_ms]
            )
        except (RedisError, OSError) as error:
            self._skip_until = time.monotonic() + RETRY_AFTER_FAILURE_SECONDS
            log.warning(
                "the rate budget's Redis is unreachable (%s); admitting requests without a"
                " budget for %.0f s",
                error,
                RETRY_AFTER_FAILURE_SECONDS,
            )
            return None
        tokens, admitted = float(tokens_text), bool(admitted_flag)
        retry_after = 0 if admitted else max(1, math.ceil((cost - tokens) / self.rate))
        return Charge(admitted, max(0, math.floor(tokens)), retry_after)

    async def close(self) -> None:
        await self.client.aclose()
