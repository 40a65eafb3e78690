"""What every resolver gets: the caller, the request's database reader, its loaders."""

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import strawberry
from starlette.requests import HTTPConnection

from reusegraph.auth.principal import Principal
from reusegraph.events.live import ChangeHub
from reusegraph.events.url_guard import UrlGuard
from reusegraph.schema.loaders import Loaders
from reusegraph.store.engine import Database, Reader


@dataclass
class Context:
    reader: Reader
    viewer: Principal
    request_id: str
    db: Database
    """Mutations open their own write transaction; reads go through ``reader``."""
    on_issuers_changed: Callable[[], None] | None = None
    """Called after an admin registered or removed an issuer: the app's registry reloads."""
    request: HTTPConnection | None = None
    """The HTTP request or WebSocket (its client address spends an anonymous caller's budget)."""
    url_guard: UrlGuard = field(default_factory=UrlGuard)
    """Where webhooks may point (settings: allow-list, private addresses)."""
    hub: ChangeHub | None = None
    """Where subscriptions hear of changes (WebSocket and event-stream requests only)."""
    connection_params: dict[str, Any] | None = None
    """The WebSocket's ``connection_init`` payload (Strawberry sets it)."""
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        self.loaders = Loaders(self.reader, self.viewer)

    def become(self, viewer: Principal) -> None:
        """A WebSocket authenticates after its context is made (in ``connection_init``)."""
        self.viewer = viewer
        self.reader = Reader(self.db, viewer)
        self.loaders = Loaders(self.reader, viewer)

    @asynccontextmanager
    async def fresh_read(self) -> AsyncIterator[Reader]:
        """One read transaction (and fresh loaders) for one event of a subscription, which
        lives longer than any transaction should."""
        async with self.db.read(self.viewer) as reader:
            self.reader, self.loaders = reader, Loaders(reader, self.viewer)
            try:
                yield reader
            finally:
                self.loaders.release()


Info = strawberry.Info[Context, None]
