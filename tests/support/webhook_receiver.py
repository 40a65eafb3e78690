"""A webhook receiver on loopback, as a portal would run one: it checks every signature.

A small Starlette app under uvicorn. Each POST is verified with the reference
``standardwebhooks`` library against the subscription's secret (set once it is known);
a bad signature is answered 401 and counted. ``answers`` scripts the status codes of the
next requests (then 200); ``hold`` makes requests wait until released (a slow receiver,
or one a worker dies waiting for).
"""

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from standardwebhooks import Webhook, WebhookVerificationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.support.http import serving


@dataclass
class Received:
    webhook_id: str
    body: dict[str, Any]
    status: int
    query: str = ""
    """The URL's query string: tests tell subscriptions apart by it."""


@dataclass
class Receiver:
    url: str = ""
    secret: str | None = None
    answers: list[int] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    """Every request that carried a valid signature, with the status it was answered."""
    bad_signatures: int = 0
    started: int = 0
    """Requests that arrived with a valid signature (answered or not yet)."""
    hold: asyncio.Event | None = None
    """While set to an unset Event, requests wait for it."""
    arrived: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def handle(self, request: Request) -> Response:
        raw = await request.body()
        assert self.secret is not None, "a delivery came before the test set the secret"
        try:
            Webhook(self.secret).verify(raw, dict(request.headers))
        except WebhookVerificationError:
            self.bad_signatures += 1
            return Response(status_code=401)
        async with self.arrived:
            self.started += 1
            self.arrived.notify_all()
        if self.hold is not None:
            await self.hold.wait()
        status = self.answers.pop(0) if self.answers else 200
        webhook_id = request.headers["webhook-id"]
        async with self.arrived:
            self.received.append(Received(webhook_id, json.loads(raw), status, request.url.query))
            self.arrived.notify_all()
        return Response(status_code=status)

    def delivered(self) -> list[Received]:
        return [r for r in self.received if 200 <= r.status < 300]

    async def wait_for(self, count: int, seconds: float = 20) -> list[Received]:
        """Until ``count`` requests were answered 2xx; the 2xx ones."""
        async with asyncio.timeout(seconds), self.arrived:
            await self.arrived.wait_for(lambda: len(self.delivered()) >= count)
        return self.delivered()

    async def wait_started(self, count: int, seconds: float = 20) -> None:
        """Until ``count`` requests arrived (a held one counts as soon as it is in)."""
        async with asyncio.timeout(seconds), self.arrived:
            await self.arrived.wait_for(lambda: self.started >= count)

    async def wait_requests(self, count: int, seconds: float = 20) -> list[Received]:
        async with asyncio.timeout(seconds), self.arrived:
            await self.arrived.wait_for(lambda: len(self.received) >= count)
        return list(self.received)


@asynccontextmanager
async def receiver() -> AsyncIterator[Receiver]:
    target = Receiver()
    app = Starlette(routes=[Route("/hook", target.handle, methods=["POST"])])
    async with serving(app) as base:
        target.url = f"{base}/hook"
        yield target
