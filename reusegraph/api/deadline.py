"""An overall deadline per GraphQL request, behind the statement timeout and the cost limit.

The cost limit refuses what is too big before it runs, PostgreSQL's statement_timeout
ends one slow statement; this ends a request that takes too long in all (many
statements, a slow remote, resolvers): it is cancelled at its next await, its
transaction is rolled back, and the client gets 503 with ``REQUEST_TIMEOUT``.
"""

import asyncio
import logging
import re
import uuid

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("reusegraph.graphql")
_REQUEST_ID = re.compile(rb"^[A-Za-z0-9._-]{1,64}$")


class RequestDeadline:
    def __init__(self, app: ASGIApp, seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.seconds <= 0:
            await self.app(scope, receive, send)
            return
        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            async with asyncio.timeout(self.seconds) as deadline:
                await self.app(scope, receive, watched)
        except TimeoutError:
            if not deadline.expired():
                raise
            request_id = _request_id(scope)
            log.warning("request %s stopped after %.1f s", request_id, self.seconds)
            if not started:
                await _timeout_response(send, request_id, self.seconds)


def _request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id" and _REQUEST_ID.match(value):
            return str(value.decode())
    return uuid.uuid4().hex


async def _timeout_response(send: Send, request_id: str, seconds: float) -> None:
    body = orjson.dumps(
        {
            "errors": [
                {
                    "message": f"The request took longer than {seconds:g} s and was stopped;"
                    " ask for less at a time.",
                    "extensions": {"code": "REQUEST_TIMEOUT", "requestId": request_id},
                }
            ]
        }
    )
    await send(
        {
            "type": "http.response.start",
            "status": 503,
            "headers": [
                (b"content-type", b"application/json; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                (b"x-request-id", request_id.encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
