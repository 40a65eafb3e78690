"""GraphQL subscriptions as Server-Sent Events: the GraphQL-over-SSE protocol, "distinct
connections mode" (one subscription per request; what the ``graphql-sse`` client does).

A GET or POST to ``/graphql`` with ``Accept: text/event-stream`` is checked exactly as any
other request (``GraphQLEndpoint.admit``: parameters, the Authorization header, trusted
documents, validation); a refusal is answered as JSON without a stream. Then each result
is an ``event: next`` with the result as its data, until the subscription ends with
``event: complete``. A comment line every ``keep_alive_seconds`` keeps proxies from
closing a quiet stream. These requests bypass the request deadline and the request log,
which are made for requests that end.
"""

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import suppress
from typing import Any

import orjson
from graphql import OperationType
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.types import ASGIApp, Receive, Scope, Send
from strawberry.types.execution import ExecutionResult, PreExecutionError

from reusegraph.api.graphql import JSON, GraphQLEndpoint, RequestError, _response_type
from reusegraph.api.operations import Refused, request_error
from reusegraph.api.persisted import PersistedQueryNotFound
from reusegraph.events.live import ChangeHub
from reusegraph.schema.context import Context
from reusegraph.schema.core.errors import format_error
from reusegraph.store.engine import Reader

EVENT_STREAM = "text/event-stream"
ONLY_SUBSCRIPTIONS = frozenset({OperationType.SUBSCRIPTION})


class EventStreamOr:
    """``/graphql``: an event stream when the client asks for one, else ``other``."""

    def __init__(self, stream: "EventStream", other: ASGIApp) -> None:
        self.stream = stream
        self.other = other

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        accept = _accept(scope).lower()
        if EVENT_STREAM in accept and "text/html" not in accept:
            await self.stream(scope, receive, send)
        else:
            await self.other(scope, receive, send)


def _accept(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == b"accept":
            return str(value.decode("latin-1"))
    return ""


class EventStream:
    def __init__(
        self, endpoint: GraphQLEndpoint, hub: ChangeHub, *, keep_alive_seconds: float = 15.0
    ) -> None:
        self.endpoint = endpoint
        self.hub = hub
        self.keep_alive_seconds = keep_alive_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = await self.handle(Request(scope, receive))
        await response(scope, receive, send)

    async def handle(self, request: Request) -> Response:
        request_id = uuid.uuid4().hex
        accept = request.headers.get("accept", "")
        media_type = _response_type(accept) if "json" in accept else JSON
        endpoint = self.endpoint
        try:
            admitted = await endpoint.admit(request, None)
            if admitted.prepared.type not in ONLY_SUBSCRIPTIONS:
                message = (
                    "Accept: text/event-stream runs subscriptions; send queries and"
                    " mutations for a JSON answer."
                )
                raise Refused([request_error(message, "BAD_REQUEST")], status=400)
        except PersistedQueryNotFound:
            return endpoint.persisted_query_not_found(media_type, request_id)
        except (RequestError, Refused) as error:
            return endpoint.refused(error, media_type, request_id)
        viewer = admitted.viewer
        context = Context(
            reader=Reader(endpoint.db, viewer),
            viewer=viewer,
            request_id=request_id,
            db=endpoint.db,
            request=request,
            url_guard=endpoint.url_guard,
            hub=self.hub,
        )
        results = await endpoint.schema.subscribe(
            admitted.query,
            variable_values=admitted.variables,
            context_value=context,
            operation_name=admitted.operation_name,
        )
        headers = {
            "Cache-Control": "no-cache",
            "X-Accel-Buffering": "no",
            "X-Request-ID": request_id,
        }
        return StreamingResponse(
            self._events(results, request_id), media_type=EVENT_STREAM, headers=headers
        )

    async def _events(self, results: Any, request_id: str) -> AsyncIterator[bytes]:
        pending: asyncio.Task[Any] | None = None
        try:
            while True:
                if pending is None:
                    pending = asyncio.ensure_future(anext(results))
                done, _ = await asyncio.wait({pending}, timeout=self.keep_alive_seconds)
                if not done:
                    yield b":\n\n"
                    continue
                try:
                    result = pending.result()
                except StopAsyncIteration:
                    break
                finally:
                    pending = None
                yield self._next(result, request_id)
            yield b"event: complete\ndata:\n\n"
        finally:
            if pending is not None:
                pending.cancel()
                with suppress(BaseException):
                    await pending
            with suppress(Exception):
                await results.aclose()

    def _next(self, result: ExecutionResult | PreExecutionError, request_id: str) -> bytes:
        body: dict[str, Any] = {}
        if result.errors:
            schema = self.endpoint.schema._schema
            body["errors"] = [format_error(e, schema, request_id) for e in result.errors]
        if not isinstance(result, PreExecutionError):
            body["data"] = result.data
        return b"event: next\ndata: " + orjson.dumps(body) + b"\n\n"
