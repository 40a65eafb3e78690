"""A fault-injecting proxy in front of a real remote registry, on loopback.

In ``pass`` mode it forwards every request to the remote unchanged, so a test can break
the source, watch the gateway cope, switch the fault off and check that the next sync
converges on the real remote's data. ``rewrite`` changes an answer's JSON (wrong shape,
duplicates, a cursor that goes backwards, an oversized page).
"""

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson
from starlette.types import Receive, Scope, Send

from tests.support.http import request_body

Rewrite = Callable[[dict[str, Any], int], dict[str, Any]]
"""(answer, call number) -> answer to send."""


@dataclass
class FaultyRemote:
    target: str
    mode: str = "pass"
    """pass | invalid_json | graphql_errors | wrong_schema | unavailable | die"""
    delay: float = 0.0
    fault_from_call: int = 1
    """The fault applies from this call on; earlier calls pass."""
    rewrite: Rewrite | None = None
    calls: int = 0
    sent: list[dict[str, Any]] = field(default_factory=list)
    """The variables of every request, in order."""
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    """Set it to end every delay at once (e.g. before the server shuts down)."""
    delaying: asyncio.Event = field(default_factory=asyncio.Event)
    """Set once a request is being held back by ``delay``."""
    in_flight: int = 0
    peak: int = 0
    """Most requests being answered at the same moment."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = await request_body(scope, receive, send)
        if body is None:
            return
        self.calls += 1
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            await self._answer(body, scope, send)
        finally:
            self.in_flight -= 1

    async def _answer(self, body: bytes, scope: Scope, send: Send) -> None:
        request = orjson.loads(body)
        self.sent.append(request.get("variables") or {})
        headers = {k.decode(): v.decode() for k, v in scope["headers"]}
        faulty = self.calls >= self.fault_from_call
        if self.delay and faulty:
            self.delaying.set()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), self.delay)
        mode = self.mode if faulty else "pass"
        if mode == "invalid_json":
            await _send(send, 200, b"<html><body>Gateway Timeout</body></html>")
        elif mode == "graphql_errors":
            error = {"message": "Changes are not available: replica lag", "extensions": {}}
            await _send(send, 200, orjson.dumps({"errors": [error], "data": None}))
        elif mode == "wrong_schema":
            error = {"message": "Cannot query field 'changes' on type 'Query'."}
            await _send(send, 400, orjson.dumps({"errors": [error]}))
        elif mode == "unavailable":
            await _send(send, 503, b"Service Unavailable")
        elif mode == "die":
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", b"5000"),
                    ],
                }
            )
            await send(
                {"type": "http.response.body", "body": b'{"data": {"chan', "more_body": True}
            )
            raise ConnectionResetError("the remote died mid-answer (test)")
        else:
            answer = await self._forward(body, headers)
            if self.rewrite is not None and faulty:
                answer = self.rewrite(answer, self.calls)
            await _send(send, 200, orjson.dumps(answer))

    async def _forward(self, body: bytes, headers: dict[str, str]) -> dict[str, Any]:
        forwarded = {"content-type": "application/json"}
        if "authorization" in headers:
            forwarded["authorization"] = headers["authorization"]
        async with httpx.AsyncClient(timeout=30) as client:
            response = await client.post(self.target, content=body, headers=forwarded)
        answer: dict[str, Any] = response.json()
        return answer


async def _send(send: Send, status: int, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": body})
