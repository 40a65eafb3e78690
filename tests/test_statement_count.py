"""No N+1: a nested query issues as many SQL statements for 500 processes as for 5."""

from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import pytest
from sqlalchemy import event

from reusegraph.api.app import create_app
from reusegraph.api.settings import Settings
from reusegraph.store.engine import Database
from tests.support import builders as b
from tests.support.http import GraphQLClient, graphql_client, serving
from tests.support.postgres import url_of

NESTED = """
query ($first: Int!) {
  processes(filter: {municipality: ["DK-0101"]}, first: $first) {
    nodes {
      title
      municipality { name }
      itSystems { name }
      technologies { name }
      reusedBy { kind derived { title municipality { name } } }
      benefits { period hoursSaved }
      totalHoursSaved
    }
  }
}
"""


@pytest.fixture
async def counted_api(empty_db: Database) -> AsyncIterator[tuple[GraphQLClient, list[str]]]:
    origins = [b.process("DK-0101") for _ in range(500)]
    derived = [b.process("DK-0102") for _ in range(500)]
    await b.insert_rows(
        empty_db,
        it_system=[{"code": "esdh", "name": "ESDH"}],
        technology=[{"code": "rpa", "name": "RPA"}],
        municipality=[b.municipality("DK-0101"), b.municipality("DK-0102")],
        process=origins + derived,
        process_it_system=[{"process_id": p["id"], "it_system_code": "esdh"} for p in origins],
        process_technology=[{"process_id": p["id"], "technology_code": "rpa"} for p in origins],
        reuse_link=[b.reuse(d["id"], o["id"]) for o, d in zip(origins, derived, strict=True)],
        benefit_record=[
            b.benefit(p["id"], date(2024, month, 1), 10) for p in origins for month in (1, 2)
        ],
    )
    app = create_app(Settings(compiled_reads=False, max_cost=0, rate_limit=0), url_of(empty_db))
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    event.listen(app.state.db.request_engine.sync_engine, "before_cursor_execute", count)
    async with serving(app) as base_url, graphql_client(base_url) as client:
        yield client, statements


async def _statements_for(client: GraphQLClient, statements: list[str], first: int) -> int:
    statements.clear()
    data = await client.data(NESTED, {"first": first})
    nodes = data["processes"]["nodes"]
    assert len(nodes) == first
    assert all(len(n["reusedBy"]) == 1 and len(n["benefits"]) == 2 for n in nodes)
    assert all(n["itSystems"] == [{"name": "ESDH"}] for n in nodes)
    return len(statements)


async def test_nested_query_statement_count_does_not_grow_with_page_size(
    counted_api: tuple[GraphQLClient, list[str]],
) -> None:
    client, statements = counted_api
    small = await _statements_for(client, statements, 5)
    large = await _statements_for(client, statements, 500)
    assert small == large, f"5 processes: {small} statements, 500 processes: {large}"
    assert large <= 12, f"{large} statements for one nested query"
