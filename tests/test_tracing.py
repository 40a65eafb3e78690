"""OpenTelemetry traces from real servers on loopback, caught by the SDK's in-memory exporter.

A request's spans continue the caller's ``traceparent``; the request span is named by the
operation, statements by their shape, and no literal of the document or value of its
variables is on any span. A sync against a second app instance is one trace: the remote's
request span is a child of the gateway's sync page.
"""

import asyncio
import signal
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from sqlalchemy.engine import URL

from reusegraph.api.app import create_app
from reusegraph.api.settings import Settings
from reusegraph.federation.sync import SyncEngine
from reusegraph.observability import tracing
from reusegraph.store.engine import Database
from tests.support import builders as b
from tests.support.http import request_body, serving
from tests.support.issuer import LocalIssuer
from tests.support.postgres import url_of
from tests.support.remotes import prepare_gateway, register, remote_registry
from tests.support.serve_process import serve_process, until_ready
from tests.support.tenants import A

pytest_plugins = ("tests.support.identity_fixtures",)

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"
TRACEPARENT = f"00-{TRACE_ID}-{PARENT_ID}-01"
SECRET = "Hemmelig-ord-7731"
"""A literal of the document and a value of its variables: on no span."""
QUERY = """
query TitlesAndHomes($search: String) {
  processes(first: 5) { nodes { title itSystems { name } } }
  searched: processes(first: 5, search: $search) { totalCount }
  literal: processes(first: 5, search: "Hemmelig-ord-7731") { totalCount }
}
"""


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing.install(provider)
    try:
        yield exporter
    finally:
        tracing.install(None)
        provider.shutdown()


def everything_on(span: ReadableSpan) -> str:
    return f"{span.name} {dict(span.attributes or {})}"


async def test_a_request_continues_the_callers_trace_with_operation_statement_and_loader_spans(
    empty_db: Database, spans: InMemorySpanExporter
) -> None:
    await b.insert_rows(
        empty_db, municipality=[b.municipality(A)], process=[b.process(A), b.process(A)]
    )
    app = create_app(Settings(compiled_reads=False, sync_check_seconds=0), url_of(empty_db))
    async with serving(app) as base, httpx.AsyncClient(base_url=base, timeout=30) as http:
        spans.clear()  # start-up statements
        response = await http.post(
            "/graphql",
            json={"query": QUERY, "variables": {"search": SECRET}},
            headers={"traceparent": TRACEPARENT},
        )
    assert response.status_code == 200
    found = [s for s in spans.get_finished_spans() if s.context.trace_id == int(TRACE_ID, 16)]
    (request,) = [s for s in found if s.kind == SpanKind.SERVER]
    assert request.name == "query TitlesAndHomes"
    assert request.parent is not None
    assert request.parent.span_id == int(PARENT_ID, 16)
    attributes = request.attributes or {}
    assert attributes["reusegraph.request_id"] == response.headers["x-request-id"]
    assert attributes["graphql.operation.name"] == "TitlesAndHomes"
    assert attributes["http.response.status_code"] == 200
    statements = [s for s in found if s.kind == SpanKind.CLIENT]
    assert any(s.name == "SELECT" for s in statements), [s.name for s in found]
    assert all("db.query.text" in (s.attributes or {}) for s in statements)
    assert any(s.name == "loader it_systems_by_process" for s in found), [s.name for s in found]
    assert SECRET not in " ".join(everything_on(s) for s in found)


async def test_the_compiled_path_traces_its_statement_without_the_viewers_settings(
    empty_db: Database, spans: InMemorySpanExporter
) -> None:
    await b.insert_rows(empty_db, municipality=[b.municipality(A)], process=[b.process(A)])
    app = create_app(Settings(sync_check_seconds=0), url_of(empty_db))
    async with serving(app) as base, httpx.AsyncClient(base_url=base, timeout=30) as http:
        spans.clear()
        response = await http.post(
            "/graphql",
            json={"query": "query Few { processes(first: 3) { nodes { title } } }"},
            headers={"traceparent": TRACEPARENT},
        )
    assert response.headers["x-reusegraph-path"] == "compiled"
    found = [s for s in spans.get_finished_spans() if s.context.trace_id == int(TRACE_ID, 16)]
    compiled = [s for s in found if "json" in str((s.attributes or {}).get("db.query.text"))]
    assert compiled, [everything_on(s) for s in found]
    settings = [s for s in found if s.name == "SET"]
    assert all("db.query.text" not in (s.attributes or {}) for s in settings)


async def test_a_sync_against_a_second_instance_is_one_trace_with_spans_from_both_sides(
    empty_db: Database,
    pg_server: URL,
    migrated_template: str,
    local_issuer: LocalIssuer,
    monkeypatch: pytest.MonkeyPatch,
    spans: InMemorySpanExporter,
) -> None:
    async with remote_registry(pg_server, migrated_template, local_issuer) as remote:
        await remote.add(b.process(A), b.process(A), b.process(A))
        await prepare_gateway(empty_db)
        monkeypatch.setenv("REMOTE_A_TOKEN", remote.token())
        await register(
            empty_db,
            "remote-a",
            remote.endpoint,
            auth="bearer",
            secret_ref="env:REMOTE_A_TOKEN",
            page_size=2,
        )
        spans.clear()
        engine = SyncEngine(empty_db)
        try:
            result = await engine.sync("remote-a")
        finally:
            await engine.aclose()
    assert result.outcome == "ok"
    assert result.pages == 2
    finished = spans.get_finished_spans()
    (run,) = [s for s in finished if s.name == "sync run"]
    trace = [s for s in finished if s.context.trace_id == run.context.trace_id]
    pages = [s for s in trace if s.name == "sync page"]
    remote_requests = [s for s in trace if s.kind == SpanKind.SERVER]
    assert len(pages) == 2
    assert len(remote_requests) == 2, "the remote's request spans are not in the sync's trace"
    page_ids = {p.context.span_id for p in pages}
    assert all(r.parent is not None and r.parent.span_id in page_ids for r in remote_requests)
    assert all(r.name.startswith("query") for r in remote_requests)
    remote_statements = [
        s
        for s in trace
        if s.kind == SpanKind.CLIENT
        and any(
            r.context.span_id == (s.parent.span_id if s.parent else None) for r in remote_requests
        )
    ]
    assert remote_statements, "no statement of the remote side under its request span"
    assert any(s.name == "INSERT" for s in trace), "the gateway's page writes are in the trace"


def test_traces_are_off_by_default_and_a_bad_exporter_names_the_allowed_ones() -> None:
    assert tracing.configure({}) is None
    assert tracing.configure({"OTEL_TRACES_EXPORTER": "none"}) is None
    assert tracing.configure({"OTEL_SDK_DISABLED": "true", "OTEL_TRACES_EXPORTER": "otlp"}) is None
    with pytest.raises(tracing.TracingError, match="allowed: otlp, console, none"):
        tracing.configure({"OTEL_TRACES_EXPORTER": "jaeger"})
    assert not tracing.enabled()


async def test_a_served_process_exports_its_spans_over_otlp_to_a_collector(
    empty_db: Database,
) -> None:
    """``reusegraph serve`` with only ``OTEL_EXPORTER_OTLP_ENDPOINT`` set: the collector on
    loopback receives the request's span under its operation name and the service name."""
    received: list[bytes] = []

    async def collector(scope: Any, receive: Any, send: Any) -> None:
        body = await request_body(scope, receive, send)
        if body is None:
            return
        if scope["path"] == "/v1/traces":
            received.append(body)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async with serving(collector) as collector_base:
        with serve_process(
            empty_db,
            OTEL_EXPORTER_OTLP_ENDPOINT=collector_base,
            OTEL_SERVICE_NAME="reusegraph-test",
            OTEL_BSP_SCHEDULE_DELAY="100",
            REUSEGRAPH_SHUTDOWN_DRAIN_SECONDS="0",
        ) as (process, base):
            await until_ready(process, base)
            async with httpx.AsyncClient(timeout=30) as http:
                response = await http.post(
                    f"{base}/graphql", json={"query": "query Exported { __typename }"}
                )
            assert response.status_code == 200
            process.send_signal(signal.SIGTERM)
            assert await asyncio.to_thread(process.wait, 60) == 0
    names: set[str] = set()
    services: set[str] = set()
    for body in received:
        request = ExportTraceServiceRequest.FromString(body)
        for resource_spans in request.resource_spans:
            for attribute in resource_spans.resource.attributes:
                if attribute.key == "service.name":
                    services.add(attribute.value.string_value)
            for scope_spans in resource_spans.scope_spans:
                names.update(span.name for span in scope_spans.spans)
    assert "query Exported" in names
    assert services == {"reusegraph-test"}
