"""The compiled read path answers exactly what the executor answers, for every viewer.

Each query runs twice on one demo database: through the executor (graphql-core,
Strawberry, DataLoaders) and through the compiler's one statement, as an anonymous caller,
a member of a municipality with MUNICIPALITY and PERSONAL records, and that
municipality's editor. Dropping a redaction or a filter from the compiled path makes
these tests fail (checked by breaking ``compiler.fields._internal`` once).
"""

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reusegraph.auth.principal import ANONYMOUS, Principal, Role
from reusegraph.compiler import CompiledAnswer, Compiler
from reusegraph.compiler.runner import CompiledReads
from reusegraph.store.engine import Database
from tests.support.http import running_api
from tests.support.postgres import url_of
from tests.support.viewers import SCHEMA, member, run_as

HOME = "NO-9903"
"""A demo municipality with MUNICIPALITY and PERSONAL processes and internal notes."""
EDITOR = Principal(
    issuer="test", subject="Ola Fiktivsen", municipality=HOME, roles=frozenset({Role.EDITOR})
)
VIEWERS = {"anonymous": ANONYMOUS, "member": member(HOME), "editor": EDITOR}
EXAMPLES = Path(__file__).parents[1] / "reusegraph" / "api" / "examples"
INVOICE_ROBOT = "Process:4402d744-5c80-5fca-9ade-1e3613c08ba9"

PROCESS_FIELDS = [
    "id",
    "__typename",
    "title",
    "summary",
    "phase",
    "status",
    "visibility",
    "type",
    "domains",
    "kle",
    "kCodes",
    "sepMep",
    "runsPerYear",
    "minutesPerRun",
    "automationPercentage",
    "developmentHours",
    "expectedHoursPerYear",
    "createdAt",
    "updatedAt",
    "syncedAt",
    "legalClauseLastVerified",
    "putIntoOperation",
    "extras",
    "version",
    "internalNotes",
    "caseReference",
    "reporter",
    "owner",
    "coEditors",
    "sourceId",
]
NESTED = [
    "municipality { id code name country orgNumber fteHoursPerYear currency processCount }",
    "assessment { levelOfChange levelOfSpeed rating }",
    "contact { name email otherContactEmail }",
    "itSystems { code name supplier }",
    "technologies { code name }",
    "benefits { period kind hoursSaved cases fte money { amount currency } note }",
    'estimated2021: benefits(kind: ESTIMATED, from: "2021-01", to: "2022-06") { period cases }',
    "benefitSeries { months hoursSaved cases }",
    "estimatedSeries: benefitSeries(kind: ESTIMATED) { months }",
    "totalHoursSaved",
    "estimated: totalHoursSaved(kind: ESTIMATED)",
    "reusedBy { id kind note reusedOn derived { id title internalNotes municipality { code } } }",
    "reusedFrom { kind origin { title reporter benefits { hoursSaved } } }",
]
CORPUS = [
    "{ processes(first: 100) { nodes { title phase municipality { code name } } } }",
    "{ processes(first: 500) { totalCount pageInfo { hasNextPage hasPreviousPage startCursor"
    " endCursor } edges { cursor node { id internalNotes caseReference owner coEditors } } } }",
    "{ processes(first: 20, orderBy: {field: TITLE, direction: ASC}) { edges { cursor"
    " node { title } } } }",
    "{ processes(first: 20, orderBy: {field: CREATED_AT, direction: ASC},"
    " filter: {country: [NO], phase: [OPERATION, IMPLEMENTATION]}) { totalCount nodes { title } } }",
    "{ processes(filter: {hasReuse: true, domain: [ECONOMY, HEALTH]}) { totalCount nodes {"
    " title reusedBy { derived { title } } reusedFrom { origin { title } } } } }",
    '{ processes(search: "faktura", orderBy: {field: UPDATED_AT}) { totalCount nodes { title } } }',
    '{ processes(search: "faktura robot") { totalCount edges { cursor node { title } } } }',
    "{ processes(first: 40, orderBy: {field: EXPECTED_HOURS_PER_YEAR}) { edges { cursor"
    " node { expectedHoursPerYear } } } }",
    '{ processes(filter: {municipality: ["DK-0746", "NO-9903"], technology: ["rpa"]})'
    " { totalCount nodes { title } } }",
    '{ processes(filter: {updatedSince: "2020-01-01T00:00:00Z", hasReuse: false}, first: 3)'
    " { totalCount nodes { updatedAt } } }",
    f'{{ process(id: "{INVOICE_ROBOT}") {{ title reusedBy {{ kind reusedOn derived {{ title'
    " municipality { name } reusedBy { derived { title municipality { name } } } } } } }",
    f'{{ node(id: "{INVOICE_ROBOT}") {{ id __typename ... on Process {{ title }} }} }}',
    '{ node(id: "Municipality:DK-0746") { id ... on Municipality { name code itSystems { name } } } }',
    '{ a: municipality(code: "NO-5001") { name technologies { name } mergedInto { code } }'
    ' b: municipality(code: "DK-9999") { name } }',
    "{ processes(first: 0) { totalCount } empty: processes(filter: {country: [IS]}) {"
    " totalCount pageInfo { hasNextPage } } }",
    "{ municipalities(first: 7) { totalCount pageInfo { endCursor hasNextPage }"
    " nodes { code name processCount } } }",
    "query Q($f: Int, $skip: Boolean!, $p: [Phase!]) { processes(first: $f, filter: {phase: $p})"
    " { nodes { title municipality @skip(if: $skip) { code } ...Bits } } }"
    " fragment Bits on Process { id ... on Process { phase } }",
    f'{{ process(id: "{INVOICE_ROBOT}") {{ ...F }} }} fragment F on Process {{ title'
    " totalHoursSaved benefitSeries { months } }",
]
VARIABLES: dict[str, Any] = {"f": 5, "skip": True, "p": ["OPERATION"]}


@pytest.fixture(scope="module")
async def compiled(demo_db: Database) -> AsyncIterator[tuple[Compiler, CompiledReads]]:
    compiler = Compiler(SCHEMA._schema, SCHEMA.checks.rules, SCHEMA.checks.max_tokens)
    reads = CompiledReads(
        url_of(demo_db), pool_size=2, statement_timeout_ms=15000, viewer_key=demo_db.viewer_key
    )
    try:
        yield compiler, reads
    finally:
        await reads.close()


async def both(
    db: Database,
    compiled: tuple[Compiler, CompiledReads],
    query: str,
    viewer: Principal,
    variables: dict[str, Any] | None = None,
) -> tuple[Any, Any]:
    compiler, reads = compiled
    answer = compiler.compile(query, None, variables)
    assert isinstance(answer, CompiledAnswer), f"not compiled: {answer}"
    text = await reads.run(viewer, answer)
    assert text is not None, "the plan's guards refused"
    mine = orjson.loads(text)
    theirs = await run_as(db, query, variables, viewer)
    return mine, theirs.ok()


@pytest.mark.parametrize("viewer", VIEWERS)
@pytest.mark.parametrize("query", CORPUS)
async def test_compiled_and_executed_answers_are_equal(
    demo_db: Database, compiled: tuple[Compiler, CompiledReads], query: str, viewer: str
) -> None:
    variables = VARIABLES if query.startswith("query Q") else None
    mine, theirs = await both(demo_db, compiled, query, VIEWERS[viewer], variables)
    assert mine == theirs


def _selection(fields: list[str], nested: list[str]) -> str:
    return " ".join([*fields, *nested]) or "id"


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    fields=st.lists(st.sampled_from(PROCESS_FIELDS), unique=True, max_size=12),
    nested=st.lists(st.sampled_from(NESTED), unique=True, max_size=4),
    order=st.sampled_from(
        ["", "orderBy: {field: TITLE, direction: ASC}, ", "orderBy: {field: CREATED_AT}, "]
    ),
    first=st.integers(min_value=0, max_value=20),  # within the default cost limit
    viewer=st.sampled_from(sorted(VIEWERS)),
)
async def test_generated_process_queries_answer_the_same_on_both_paths(
    demo_db: Database,
    compiled: tuple[Compiler, CompiledReads],
    fields: list[str],
    nested: list[str],
    order: str,
    first: int,
    viewer: str,
) -> None:
    query = (
        f"{{ processes({order}first: {first}) {{ totalCount pageInfo {{ hasNextPage endCursor }}"
        f" nodes {{ {_selection(fields, nested)} }} }} }}"
    )
    mine, theirs = await both(demo_db, compiled, query, VIEWERS[viewer])
    assert mine == theirs


@pytest.mark.parametrize("viewer", VIEWERS)
async def test_the_next_page_is_the_same_on_both_paths(
    demo_db: Database, compiled: tuple[Compiler, CompiledReads], viewer: str
) -> None:
    first = "{ processes(first: 30) { pageInfo { endCursor } } }"
    page, _ = await both(demo_db, compiled, first, VIEWERS[viewer])
    cursor = page["processes"]["pageInfo"]["endCursor"]
    query = (
        f'{{ processes(first: 30, after: "{cursor}") {{ pageInfo {{ hasPreviousPage }}'
        " nodes { id title } } }"
    )
    mine, theirs = await both(demo_db, compiled, query, VIEWERS[viewer])
    assert mine == theirs
    assert mine["processes"]["nodes"], "a second page of demo processes"


def test_the_examples_of_processes_are_compiled() -> None:
    compiler = Compiler(SCHEMA._schema, SCHEMA.checks.rules, SCHEMA.checks.max_tokens)
    for name in ("05_covid",):
        (path,) = EXAMPLES.glob(f"{name}*.graphql")
        answer = compiler.compile(path.read_text(), None, None)
        assert isinstance(answer, CompiledAnswer), (path.name, answer)


async def test_an_unknown_code_in_a_filter_gets_the_executors_error(demo_db: Database) -> None:
    async with running_api(url_of(demo_db)) as client:
        query = '{ processes(filter: {technology: ["no-such"]}) { nodes { title } } }'
        response = await client.http.post("/graphql", json={"query": query})
        assert response.headers["x-reusegraph-path"].startswith("executor")
        error = response.json()["errors"][0]
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        assert "no-such" in error["message"]


async def test_every_example_answers_the_same_whichever_path_answers(demo_db: Database) -> None:
    url = url_of(demo_db)
    async with running_api(url) as fast, running_api(url, compiled_reads=False) as slow:
        for path in sorted(EXAMPLES.glob("*.graphql")):
            body = {"query": path.read_text()}
            a = await fast.http.post("/graphql", json=body)
            b = await slow.http.post("/graphql", json=body)
            mine, theirs = a.json(), b.json()
            assert mine.get("data") == theirs.get("data"), path.name
            assert mine.get("errors") == theirs.get("errors"), path.name
            assert b.headers["x-reusegraph-path"].startswith("executor")


async def test_a_compiled_request_says_so(demo_db: Database) -> None:
    async with running_api(url_of(demo_db)) as client:
        query = {"query": CORPUS[0]}
        response = await client.http.post("/graphql", json=query)
        assert response.headers["x-reusegraph-path"] == "compiled"
        assert len(response.json()["data"]["processes"]["nodes"]) == 100
        mutation = {"query": "mutation { __typename }"}
        refused = await client.http.post("/graphql", json=mutation)
        assert refused.headers["x-reusegraph-path"].startswith("executor; a mutation")


async def test_a_bad_argument_gets_the_executors_error(demo_db: Database) -> None:
    async with running_api(url_of(demo_db)) as client:
        error = await client.error("{ processes(first: 501) { nodes { title } } }")
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        assert "between 0 and 500" in error["message"]
        error = await client.error('{ processes(after: "nonsense") { nodes { title } } }')
        assert error["extensions"]["code"] == "BAD_USER_INPUT"


async def test_a_compiled_request_takes_two_round_trips_and_one_for_the_same_viewer(
    demo_db: Database,
) -> None:
    compiler = Compiler(SCHEMA._schema, SCHEMA.checks.rules, SCHEMA.checks.max_tokens)
    reads = CompiledReads(
        url_of(demo_db), pool_size=1, statement_timeout_ms=15000, viewer_key=demo_db.viewer_key
    )
    answer = compiler.compile(CORPUS[1], None, None)
    assert isinstance(answer, CompiledAnswer)
    trips = []
    try:
        for viewer in (ANONYMOUS, ANONYMOUS, EDITOR, EDITOR, ANONYMOUS):
            before = reads.round_trips
            await reads.run(viewer, answer)
            trips.append(reads.round_trips - before)
    finally:
        await reads.close()
    assert trips == [2, 1, 2, 1, 2]


async def test_a_connection_keeps_nothing_of_its_previous_viewer(demo_db: Database) -> None:
    """Settings are the session's (``session_settings``): on one pooled connection,
    an editor's answer is followed by an anonymous caller's, which must not see more."""
    compiler = Compiler(SCHEMA._schema, SCHEMA.checks.rules, SCHEMA.checks.max_tokens)
    reads = CompiledReads(
        url_of(demo_db), pool_size=1, statement_timeout_ms=15000, viewer_key=demo_db.viewer_key
    )
    query = CORPUS[1]
    answer = compiler.compile(query, None, None)
    assert isinstance(answer, CompiledAnswer)
    try:
        as_editor = orjson.loads(await reads.run(EDITOR, answer) or "null")
        after = orjson.loads(await reads.run(ANONYMOUS, answer) or "null")
    finally:
        await reads.close()
    anonymous = (await run_as(demo_db, query, None, ANONYMOUS)).ok()
    assert after == anonymous
    assert as_editor != after, "the editor sees internal fields the anonymous caller does not"


async def test_a_compiled_connection_cannot_write(
    compiled: tuple[Compiler, CompiledReads],
) -> None:
    """Read-only is the connection's default, not a per-request setting."""
    _, reads = compiled
    pool = await reads._connections()
    async with pool.acquire() as connection:
        with pytest.raises(asyncpg.ReadOnlySQLTransactionError):
            await connection.execute("UPDATE municipality SET note = 'x'")


async def test_compiled_answers_spend_the_callers_budget_and_are_refused_with_429(
    demo_db: Database,
) -> None:
    query = {"query": "{ processes(first: 10) { nodes { title } } }"}
    async with running_api(url_of(demo_db), rate_limit=25) as client:
        first = await client.http.post("/graphql", json=query)
        assert first.headers["x-reusegraph-path"] == "compiled"
        assert first.json()["extensions"]["cost"]["budgetLeft"] == 14
        second = await client.http.post("/graphql", json=query)
        assert second.json()["extensions"]["cost"]["budgetLeft"] == 3
        refused = await client.http.post("/graphql", json=query)
        assert refused.status_code == 429
        assert refused.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"


async def test_a_compiled_query_over_the_cost_limit_is_refused(demo_db: Database) -> None:
    async with running_api(url_of(demo_db), max_cost=100) as client:
        error = await client.error("{ processes(first: 200) { nodes { title } } }")
        assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"


async def test_the_first_anonymous_request_finds_a_warm_connection(demo_db: Database) -> None:
    """Start-up connects and runs the GraphiQL examples as the anonymous viewer, so the
    first anonymous request sends no settings: one round trip, on a planned statement."""
    async with running_api(url_of(demo_db)) as client:
        reads = client.app.state.compiled.reads
        before = reads.round_trips
        response = await client.http.post("/graphql", json={"query": CORPUS[0]})
        assert response.headers["x-reusegraph-path"] == "compiled"
        assert reads.round_trips - before == 1
