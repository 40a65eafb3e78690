"""One JSON log line per GraphQL request, from a real server: what it says and never says."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from reusegraph.api.app import create_app
from reusegraph.api.settings import Settings
from reusegraph.store.engine import Database
from tests.support import builders as b
from tests.support.captured_logs import CapturedLines, captured
from tests.support.http import serving
from tests.support.issuer import LocalIssuer
from tests.support.postgres import url_of
from tests.support.tenants import A, issuer_entry

pytest_plugins = ("tests.support.identity_fixtures",)

NAMED = """
query FindProcesses($search: String) {
  processes(first: 5, search: $search) { nodes { title } }
}
"""
SECRET_VALUE = "personal-search-text-7781"


@asynccontextmanager
async def logged_server(
    db: Database, issuer: LocalIssuer, **settings: Any
) -> AsyncIterator[tuple[httpx.AsyncClient, CapturedLines]]:
    await b.insert_rows(db, municipality=[b.municipality(A)])
    app = create_app(Settings(issuers=issuer_entry(issuer), **settings), url_of(db))
    with captured("reusegraph.request") as lines:
        async with serving(app) as base, httpx.AsyncClient(base_url=base, timeout=30) as http:
            yield http, lines


def only_line(lines: CapturedLines) -> dict[str, Any]:
    entries = [e for e in lines.entries() if e["logger"] == "reusegraph.request"]
    assert len(entries) == 1, entries
    return entries[0]


async def test_a_request_logs_its_operation_caller_and_outcome_without_secrets(
    empty_db: Database, local_issuer: LocalIssuer
) -> None:
    token = local_issuer.token("alice", municipality=A, roles=["member"])
    async with logged_server(empty_db, local_issuer) as (http, lines):
        response = await http.post(
            "/graphql",
            json={"query": NAMED, "variables": {"search": SECRET_VALUE}},
            headers={"Authorization": f"Bearer {token}", "X-Request-ID": "req-log-1"},
        )
        assert response.status_code == 200, response.text
    entry = only_line(lines)
    assert entry["requestId"] == "req-log-1"
    assert entry["operationName"] == "FindProcesses"
    assert entry["operationType"] == "query"
    assert entry["status"] == 200
    assert entry["path"] == response.headers["X-Reusegraph-Path"].split(";")[0]
    assert entry["cost"] == response.json()["extensions"]["cost"]["requested"]
    assert entry["issuer"] == local_issuer.issuer
    assert entry["municipality"] == A
    assert entry["durationMs"] > 0
    assert "errorCodes" not in entry
    assert token not in lines.text
    assert token.split(".")[2] not in lines.text
    assert SECRET_VALUE not in lines.text


async def test_refusals_log_their_error_codes(
    empty_db: Database, local_issuer: LocalIssuer
) -> None:
    async with logged_server(empty_db, local_issuer) as (http, lines):
        response = await http.post("/graphql", json={"query": "{ processes { nope } }"})
        assert response.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
        bad = await http.post(
            "/graphql", content=b"{", headers={"Content-Type": "application/json"}
        )
        assert bad.status_code == 400
    first, second = [e for e in lines.entries() if e["logger"] == "reusegraph.request"]
    assert first["errorCodes"] == ["GRAPHQL_VALIDATION_FAILED"]
    assert first["path"] == "refused"
    assert first["issuer"] is None
    assert second["status"] == 400
    assert second["operationName"] is None
    assert second["errorCodes"] == ["BAD_REQUEST"]


async def test_a_query_refused_as_too_costly_logs_what_it_would_have_cost(
    empty_db: Database, local_issuer: LocalIssuer
) -> None:
    big = "{ processes(first: 500) { nodes { title municipality { name } } } }"
    async with logged_server(empty_db, local_issuer, max_cost=100) as (http, lines):
        response = await http.post("/graphql", json={"query": big})
        error = response.json()["errors"][0]
        assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    entry = only_line(lines)
    assert entry["errorCodes"] == ["QUERY_TOO_COMPLEX"]
    assert entry["cost"] == error["extensions"]["cost"] > 100


async def test_slow_requests_log_their_statement_count(
    empty_db: Database, local_issuer: LocalIssuer
) -> None:
    async with logged_server(empty_db, local_issuer, slow_request_ms=0, compiled_reads=False) as (
        http,
        lines,
    ):
        response = await http.post("/graphql", json={"query": NAMED})
        assert response.status_code == 200
    entry = only_line(lines)
    assert entry["slow"] is True
    assert entry["path"] == "executor"
    assert entry["statements"] >= 2  # the viewer's settings, the processes


async def test_fast_requests_leave_the_count_out(
    empty_db: Database, local_issuer: LocalIssuer
) -> None:
    async with logged_server(empty_db, local_issuer, slow_request_ms=60_000) as (http, lines):
        await http.post("/graphql", json={"query": NAMED})
    assert "statements" not in only_line(lines)


async def test_variables_are_logged_only_when_asked(
    empty_db: Database, local_issuer: LocalIssuer
) -> None:
    async with logged_server(empty_db, local_issuer, log_variables=True) as (http, lines):
        await http.post("/graphql", json={"query": NAMED, "variables": {"search": SECRET_VALUE}})
    assert only_line(lines)["variables"] == {"search": SECRET_VALUE}
