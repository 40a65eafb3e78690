"""What every resolver gets: the caller, the request's database reader, its loaders."""

from collections.abc import Callable
from dataclasses import dataclass, field

import strawberry
from starlette.requests import Request

from reusegraph.auth.principal import Principal
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
    request: Request | None = None
    """The HTTP request (its client address spends the budget of an anonymous caller)."""
    url_guard: UrlGuard = field(default_factory=UrlGuard)
    """Where webhooks may point (settings: allow-list, private addresses)."""
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        self.loaders = Loaders(self.reader, self.viewer)


Info = strawberry.Info[Context, None]
