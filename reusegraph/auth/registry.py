"""The set of trusted issuers: configuration plus those an admin registered in the database.

Lookups are in memory. The database part is reloaded every ``refresh_seconds`` so that
a registration or removal made through another server process takes effect everywhere
within that time; in this process it takes effect at once (``invalidate``).
"""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable

from reusegraph.auth.issuers import IssuerConfig

log = logging.getLogger("reusegraph.auth")

LoadIssuers = Callable[[], Awaitable[list[IssuerConfig]]]


class IssuerRegistry:
    def __init__(
        self,
        configured: Iterable[IssuerConfig],
        load: LoadIssuers | None = None,
        *,
        refresh_seconds: float = 30,
    ) -> None:
        self._configured = {c.issuer: c for c in configured}
        self._load = load
        self._refresh = refresh_seconds
        self._registered: dict[str, IssuerConfig] = {}
        self._loaded_at = float("-inf")
        self._lock = asyncio.Lock()

    async def lookup(self, issuer: str) -> IssuerConfig | None:
        if issuer in self._configured:
            return self._configured[issuer]
        await self._reload_if_due()
        return self._registered.get(issuer)

    async def all(self) -> list[IssuerConfig]:
        await self._reload_if_due()
        return [*self._configured.values(), *self._registered.values()]

    def by_name(self, name: str) -> IssuerConfig | None:
        every = [*self._configured.values(), *self._registered.values()]
        return next((c for c in every if c.name == name), None)

    def invalidate(self) -> None:
        self._loaded_at = float("-inf")

    async def _reload_if_due(self) -> None:
        if self._load is None or time.monotonic() - self._loaded_at < self._refresh:
            return
        async with self._lock:
            if time.monotonic() - self._loaded_at < self._refresh:
                return
            try:
                loaded = await self._load()
            except Exception:
                log.exception("could not reload registered issuers; keeping the last list")
                self._loaded_at = time.monotonic() - self._refresh + 5
                return
            self._registered = {c.issuer: c for c in loaded if c.issuer not in self._configured}
            self._loaded_at = time.monotonic()
