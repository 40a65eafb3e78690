"""One record per GraphQL request, filled as it goes and handed to the log and the metrics.

A pure ASGI middleware rather than code in the endpoint: it sees every answer the same way
(refusals, compiled bytes, executor results, the deadline's 503) from what goes on the
wire: status, ``X-Request-ID``, ``X-Reusegraph-Path``, the ``errors`` at the head of the
body and ``extensions.cost`` at its tail. What only the endpoint knows (the operation and
the caller) it hands over with ``note_operation``; SQL statements are counted through a
context variable (``observability.statements``).
"""

import json
import time
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reusegraph.auth.principal import Principal
from reusegraph.observability.tracing import name_operation

_TAIL = 8192
"""How far from the body's end ``extensions`` is looked for (it is the last member)."""
_ERRORS_HEAD = b'{"errors":'
_EXTENSIONS = b',"extensions":'
_DECODER = json.JSONDecoder()


@dataclass
class RequestRecord:
    started: float = field(default_factory=time.perf_counter)
    request_id: str | None = None
    operation_name: str | None = None
    operation_type: str | None = None
    """query, mutation, subscription; None when refused before an operation was chosen."""
    issuer: str | None = None
    municipality: str | None = None
    variables: dict[str, Any] | None = None
    status: int = 0
    path: str = "refused"
    """compiled, executor, refused (answered before either ran), or not-modified (a 304
    from the ETag, ``api/etag.py``)."""
    cost: int | None = None
    error_codes: list[str] = field(default_factory=list)
    error_messages: list[str] = field(default_factory=list)
    statements: int = 0
    duration: float = 0.0


current: ContextVar[RequestRecord | None] = ContextVar("reusegraph_request", default=None)


def note_operation(name: str | None, kind: str, viewer: Principal, variables: Any) -> None:
    """Called by the endpoint once it knows the operation and the caller."""
    name_operation(name, kind)
    record = current.get()
    if record is None:
        return
    record.operation_name = name
    record.operation_type = kind
    record.issuer = viewer.issuer
    record.municipality = viewer.municipality
    record.variables = variables if isinstance(variables, dict) else None


Sink = Callable[[RequestRecord], None]


class RequestObserver:
    """Wraps the GraphQL route; every finished request goes to each sink."""

    def __init__(self, app: ASGIApp, sinks: list[Sink]) -> None:
        self.app = app
        self.sinks = sinks

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        record = RequestRecord()
        token = current.set(record)
        head = bytearray()
        tail = bytearray()

        collecting = True

        async def watched(message: Message) -> None:
            nonlocal collecting
            if message["type"] == "http.response.start":
                record.status = message["status"]
                for name, value in message.get("headers", ()):
                    if name == b"x-request-id":
                        record.request_id = value.decode("latin-1")
                    elif name == b"x-reusegraph-path":
                        record.path = value.decode("latin-1").split(";")[0]
            elif message["type"] == "http.response.body":
                body: bytes = message.get("body", b"")
                if collecting:  # errors come first: kept until they can be read
                    head.extend(body)
                    if len(head) >= len(_ERRORS_HEAD) and not head.startswith(_ERRORS_HEAD):
                        collecting = False
                        head.clear()
                tail.extend(body[-_TAIL:])
                del tail[:-_TAIL]
            await send(message)

        try:
            await self.app(scope, receive, watched)
        finally:
            current.reset(token)
            record.duration = time.perf_counter() - record.started
            _read_errors(record, bytes(head))
            cost = _read_cost(bytes(tail))
            if cost is not None:
                record.cost = cost
            if record.status == 0:
                record.status = 500
            for sink in self.sinks:
                sink(record)


def _read_errors(record: RequestRecord, head: bytes) -> None:
    if not head.startswith(_ERRORS_HEAD):
        return
    try:
        text = head.decode()
        errors, _ = _DECODER.raw_decode(text, len(_ERRORS_HEAD))
    except ValueError:
        return
    for error in errors if isinstance(errors, list) else ():
        if not isinstance(error, dict):
            continue
        extensions = error.get("extensions")
        code = extensions.get("code") if isinstance(extensions, dict) else None
        record.error_codes.append(code if isinstance(code, str) else "UNKNOWN")
        refused_at = extensions.get("cost") if isinstance(extensions, dict) else None
        if isinstance(refused_at, int) and not isinstance(refused_at, bool):
            record.cost = refused_at  # too costly: what it would have cost
        message = error.get("message")
        record.error_messages.append(message if isinstance(message, str) else "")


def _read_cost(tail: bytes) -> int | None:
    at = tail.rfind(_EXTENSIONS)
    if at < 0:
        return None
    try:
        extensions, _ = _DECODER.raw_decode(tail[at + len(_EXTENSIONS) :].decode())
    except ValueError:
        return None
    cost = extensions.get("cost") if isinstance(extensions, dict) else None
    requested = cost.get("requested") if isinstance(cost, dict) else None
    return requested if isinstance(requested, int) else None
