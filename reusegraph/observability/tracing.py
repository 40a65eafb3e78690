"""OpenTelemetry traces, off unless the standard ``OTEL_*`` variables ask for them.

Spans: one per HTTP request (a GraphQL request is named by its operation's type and name,
never by the document's literal values), one per SQL statement (its text as sent, with
placeholders, never the parameters), one per DataLoader batch and one per sync run and
page. W3C ``traceparent`` is read from incoming requests and written on the sync engine's
requests to remote sources, so a federated sync is one trace across both servers.

SQL statements are traced through SQLAlchemy's cursor events, not
opentelemetry-instrumentation-asyncpg: the events are already how statements are counted
(``statements.py``), they need no new dependency and patch no library, and they see the
statement as SQLAlchemy sends it (``$n`` placeholders). The compiled path's asyncpg pool
is outside SQLAlchemy; its one statement gets a span where it is run (``statement_span``).

The tracer is this module's, not OpenTelemetry's global one, so tests can install an
in-memory exporter and take it away again.
"""

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from opentelemetry import trace
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter
from opentelemetry.trace import SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from sqlalchemy import event
from sqlalchemy.engine import Engine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

STATEMENT_TEXT_LIMIT = 2000
"""Characters of a statement kept on its span (compiled statements run to kilobytes)."""
EXPORTERS = ("otlp", "console", "none")

PROPAGATOR = TraceContextTextMapPropagator()
_tracer: trace.Tracer = trace.NoOpTracer()
_on = False


class TracingError(ValueError):
    pass


def install(provider: TracerProvider | None) -> None:
    """Trace to ``provider`` from now on; None switches tracing off."""
    global _tracer, _on
    _tracer = provider.get_tracer("reusegraph") if provider else trace.NoOpTracer()
    _on = provider is not None


def enabled() -> bool:
    return _on


def tracer() -> trace.Tracer:
    return _tracer


def configure(environ: Mapping[str, str] | None = None) -> TracerProvider | None:
    """The provider the ``OTEL_*`` variables describe, installed; None if they ask for none.

    On when ``OTEL_TRACES_EXPORTER`` names an exporter, or an OTLP endpoint is set
    (then ``otlp``); ``OTEL_SDK_DISABLED=true`` wins. The SDK and the OTLP exporter read
    the rest themselves (``OTEL_SERVICE_NAME``, ``OTEL_RESOURCE_ATTRIBUTES``,
    ``OTEL_TRACES_SAMPLER``, ``OTEL_EXPORTER_OTLP_*``).
    """
    names = exporter_names(environ)
    if not names:
        return None
    env = os.environ if environ is None else environ
    attributes = {} if env.get("OTEL_SERVICE_NAME") else {SERVICE_NAME: "reusegraph"}
    provider = TracerProvider(resource=Resource.create(attributes))
    for name in names:
        provider.add_span_processor(BatchSpanProcessor(_exporter(name)))
    install(provider)
    return provider


def exporter_names(environ: Mapping[str, str] | None = None) -> list[str]:
    """The exporters the variables ask for (none: tracing off); ``TracingError`` if unknown."""
    env = os.environ if environ is None else environ
    if env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return []
    names = [n.strip().lower() for n in env.get("OTEL_TRACES_EXPORTER", "").split(",")]
    names = [n for n in names if n]
    unknown = [n for n in names if n not in EXPORTERS]
    if unknown:
        raise TracingError(
            f"OTEL_TRACES_EXPORTER has value {env['OTEL_TRACES_EXPORTER']!r}; allowed:"
            f" {', '.join(EXPORTERS)} (comma-separated)"
        )
    endpoint = env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or env.get(
        "OTEL_EXPORTER_OTLP_ENDPOINT"
    )
    if not names and endpoint:
        names = ["otlp"]
    return [n for n in names if n != "none"]


def _exporter(name: str) -> SpanExporter:
    if name == "console":
        return ConsoleSpanExporter()
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter()


@dataclass
class _RequestSpan:
    span: trace.Span
    named: bool = False


_request: ContextVar[_RequestSpan | None] = ContextVar("reusegraph_request_span", default=None)


class TracedRequests:
    """ASGI middleware: a server span per HTTP request, continuing the caller's trace."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _on:
            await self.app(scope, receive, send)
            return
        carrier = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        method = scope["method"]
        with _tracer.start_as_current_span(
            method,
            context=PROPAGATOR.extract(carrier),
            kind=SpanKind.SERVER,
            attributes={"http.request.method": method, "url.path": scope["path"]},
        ) as span:
            held = _RequestSpan(span)
            token = _request.set(held)

            async def traced(message: Message) -> None:
                if message["type"] == "http.response.start":
                    status = message["status"]
                    span.set_attribute("http.response.status_code", status)
                    if status >= 500:
                        span.set_status(Status(StatusCode.ERROR))
                    for name, value in message.get("headers", ()):
                        if name == b"x-request-id":
                            span.set_attribute("reusegraph.request_id", value.decode("latin-1"))
                await send(message)

            try:
                await self.app(scope, receive, traced)
            finally:
                _request.reset(token)
                route = scope.get("route")
                if not held.named and route is not None and hasattr(route, "path"):
                    span.update_name(f"{method} {route.path}")
                    span.set_attribute("http.route", route.path)


def name_operation(name: str | None, kind: str) -> None:
    """The GraphQL request's span is named ``<type> <name>`` (semantic conventions)."""
    held = _request.get()
    if held is None:
        return
    held.named = True
    held.span.update_name(f"{kind} {name}" if name else kind)
    held.span.set_attribute("graphql.operation.type", kind)
    if name:
        held.span.set_attribute("graphql.operation.name", name)


def trace_statements(engine: Engine) -> None:
    """A client span per statement the engine runs (when tracing is on)."""

    def before(conn: Any, cursor: Any, statement: str, params: Any, context: Any, *_: Any) -> None:
        if _on and context is not None:
            context._reusegraph_span = _tracer.start_span(
                _operation(statement), kind=SpanKind.CLIENT, attributes=_sql(statement)
            )

    def after(conn: Any, cursor: Any, statement: str, params: Any, context: Any, *_: Any) -> None:
        span = getattr(context, "_reusegraph_span", None)
        if span is not None:
            span.end()
            context._reusegraph_span = None

    def failed(exception_context: Any) -> None:
        context = exception_context.execution_context
        span = getattr(context, "_reusegraph_span", None)
        if span is not None:
            span.set_status(
                Status(StatusCode.ERROR, type(exception_context.original_exception).__name__)
            )
            span.end()
            context._reusegraph_span = None

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    event.listen(engine, "handle_error", failed)


@contextmanager
def statement_span(statement: str | None, operation: str = "SELECT") -> Iterator[None]:
    """A statement run outside SQLAlchemy; None keeps its text off the span (literal SQL)."""
    if not _on:
        yield
        return
    attributes = _sql(statement) if statement is not None else {"db.system.name": "postgresql"}
    name = _operation(statement) if statement is not None else operation
    with _tracer.start_as_current_span(name, kind=SpanKind.CLIENT, attributes=attributes):
        yield


@contextmanager
def span(name: str, **attributes: str | int) -> Iterator[None]:
    """An internal span (a loader batch, a sync run or page); nothing when tracing is off."""
    if not _on:
        yield
        return
    with _tracer.start_as_current_span(name, attributes=attributes):
        yield


def outgoing_headers() -> dict[str, str]:
    """``traceparent`` (and ``tracestate``) of the current span, for a remote request."""
    carrier: dict[str, str] = {}
    if _on:
        PROPAGATOR.inject(carrier)
    return carrier


def _operation(statement: str) -> str:
    word = statement.lstrip().split(None, 1)[:1]
    return word[0].upper() if word else "SQL"


def _sql(statement: str) -> dict[str, str]:
    return {
        "db.system.name": "postgresql",
        "db.operation.name": _operation(statement),
        "db.query.text": statement[:STATEMENT_TEXT_LIMIT],
    }
