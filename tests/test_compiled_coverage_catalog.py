"""The compiled path answers vendors, framework agreements and network meetings as the
executor does, for every viewer.

On the demo data (18 vendors, 6 agreements, 17 meetings; vendors delivered MUNICIPALITY
and PERSONAL processes of NO-9903, meetings discussed and presented some), each query is
compiled (asserted), run as an anonymous caller, a member and an editor of NO-9903, and
compared with the executor's answer: the processes a vendor delivered or a meeting
discussed, their counts and hours, and the internal fields differ between those viewers.
"""

from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest

from reusegraph.compiler import CompiledAnswer, Compiler
from reusegraph.compiler.runner import CompiledReads
from reusegraph.store.engine import Database
from tests.support.http import running_api
from tests.support.postgres import url_of
from tests.support.viewers import SCHEMA, run_as
from tests.test_compiled_reads import EXAMPLES, VIEWERS

AGREEMENT_FIELDS = (
    "id __typename kind title subject description startDate initialTermMonths optionMonths"
    " optionsExercised optionsLeft signedOn terminatedOn endDate maxEndDate version status"
    ' in2019: status(on: "2019-06-01") in2030: status(on: "2030-01-01")'
    " parties { code name } vendors { name country } documents { title kind url }"
)
VENDOR_FIELDS = "id __typename name country orgNumber website version"
PROCESS = "id title visibility internalNotes reporter municipality { code }"
MEETING_FIELDS = (
    "id __typename title heldOn topics externalParticipants outcome version"
    " host { code name } participants { code name } itSystems { code name supplier }"
    f" processesDiscussed {{ {PROCESS} }}"
    f" presentations {{ title presenter {{ code }} process {{ {PROCESS} }} }}"
)
CORPUS = {
    "vendors": f"{{ vendors(first: 100) {{ totalCount pageInfo {{ hasNextPage hasPreviousPage"
    f" startCursor endCursor }} edges {{ cursor node {{ {VENDOR_FIELDS} }} }} }} }}",
    "vendor agreements": f"{{ vendors(first: 20) {{ nodes {{ name agreements {{ {AGREEMENT_FIELDS} }} }} }} }}",
    "vendor agreements filtered": '{ vendors { nodes { name a: agreements(activeOn: "2023-01-01")'
    ' { title } b: agreements(activeOn: "2022-06-01", expiringWithinMonths: 24) { title }'
    " c: agreements(hasOptionsLeft: true) { title } d: agreements(hasOptionsLeft: false)"
    " { title } e: agreements(expiringWithinMonths: 120) { title } } } }",
    "vendor served": "{ vendors(first: 20) { nodes { name municipalitiesServed { processCount onAgreement"
    " municipality { code name } } } } }",
    "vendor delivered": f"{{ vendors(first: 20) {{ nodes {{ name processesDelivered {{ __typename"
    f" totalCount realisedHoursSaved nodes {{ {PROCESS} }} }} few: processesDelivered(first: 2,"
    " filter: {phase: [OPERATION], country: [NO]}) { totalCount nodes { title }"
    ' period: realisedHoursSaved(from: "2020-01", to: "2022-12")'
    ' since: realisedHoursSaved(from: "2022-01") } home: processesDelivered(filter:'
    ' {municipality: ["NO-9903"], technology: ["rpa"]}) { totalCount realisedHoursSaved'
    " nodes { title } } } } }",
    "vendor filters": '{ a: vendors(filter: {country: [NO], nameContains: "AS"}) { totalCount'
    ' nodes { name } } b: vendors(filter: {onActiveAgreement: true, activeOn: "2023-03-01"})'
    " { totalCount nodes { name } } c: vendors(filter: {onActiveAgreement: false}) { totalCount"
    " nodes { name } } d: vendors(filter: {agreementExpiringWithinMonths: 24,"
    ' activeOn: "2022-06-01"}) { nodes { name } } e: vendors(filter: {deliveredInDomain:'
    " [ECONOMY, HEALTH]}) { totalCount nodes { name } } f: vendors(filter:"
    ' {servesMunicipality: ["NO-9903", "NO-5001"]}) { totalCount nodes { name } }'
    ' g: vendors(filter: {nameContains: ""}) { totalCount } }',
    "agreements": f"{{ frameworkAgreements(first: 100) {{ totalCount pageInfo {{ hasNextPage"
    f" endCursor }} edges {{ cursor node {{ {AGREEMENT_FIELDS} }} }} }} }}",
    "agreement filters": "{ a: frameworkAgreements(filter: {kind: [FRAMEWORK]}) { totalCount"
    ' nodes { title } } b: frameworkAgreements(filter: {activeOn: "2022-03-01"}) { nodes {'
    ' title } } c: frameworkAgreements(filter: {activeOn: "2022-03-01",'
    " expiringWithinMonths: 18}) { totalCount nodes { title } } d: frameworkAgreements(filter:"
    " {hasOptionsLeft: false}) { nodes { title } } e: frameworkAgreements(filter:"
    ' {municipality: ["NO-5001"], hasOptionsLeft: true}) { totalCount nodes { title } }'
    " f: frameworkAgreements(filter: {expiringWithinMonths: 120}) { nodes { title } } }",
    "agreement vendors": "{ frameworkAgreements(first: 10) { nodes { title vendors { name agreements"
    " { title } processesDelivered(first: 3) { totalCount nodes { title } } } } } }",
    "meetings": f"{{ networkMeetings(first: 100) {{ totalCount pageInfo {{ hasNextPage endCursor"
    f" }} edges {{ cursor node {{ {MEETING_FIELDS} }} }} }} }}",
    "meeting filters": '{ a: networkMeetings(filter: {municipality: ["NO-5001"]}) { totalCount'
    ' nodes { title } } b: networkMeetings(filter: {itSystem: ["sofie", "esa"]}) { totalCount'
    ' nodes { title } } c: networkMeetings(filter: {heldFrom: "2020-01-01", heldTo:'
    ' "2023-12-31"}) { totalCount nodes { heldOn } } d: networkMeetings(filter:'
    ' {heldFrom: "2021-01-01"}) { nodes { title } } }',
    "process vendor and agreement": "{ processes(first: 500) { nodes { id vendor {"
    f" {VENDOR_FIELDS} }} agreement {{ {AGREEMENT_FIELDS} }} }} }} }}",
    "nested deliveries": "{ processes(first: 60) { nodes { title vendor { name"
    " processesDelivered(first: 3) { nodes { title municipality { code } vendor { name } } } } } }"
    " vendors(first: 20) { nodes { processesDelivered(first: 5) { nodes { id municipality"
    " { code name } agreement { title } } } } } }",
    "fragments": "query Q { vendors(first: 3) { nodes { ...V } } frameworkAgreements(first: 2)"
    " { nodes { ... on FrameworkAgreement { title } ...A } } } fragment V on Vendor { name"
    " ... on Node { id } } fragment A on Node { __typename ... on FrameworkAgreement"
    " { kind } }",
    "node": '{ v: node(id: "Vendor:22acc405-1cc6-5307-b260-61bd369e457f") { ...N }'
    ' a: node(id: "FrameworkAgreement:f8b6818e-4c3a-5972-82ae-0ea2afd1cf58") { ...N }'
    ' m: node(id: "NetworkMeeting:4ddefce5-54e5-5f4a-834e-8e7a1d38f7fd") { ...N }'
    ' p: node(id: "Process:4402d744-5c80-5fca-9ade-1e3613c08ba9") { ...N }'
    ' none: node(id: "Vendor:00000000-0000-0000-0000-000000000000") { ...N } }'
    " fragment N on Node { id __typename ... on Vendor { name agreements { title } }"
    " ... on FrameworkAgreement { title endDate parties { code } }"
    " ... on NetworkMeeting { title heldOn processesDiscussed { title } }"
    " ... on Process { title vendor { name } } }",
}
ROOTS = {
    "vendors": "name",
    "frameworkAgreements": "title startDate",
    "networkMeetings": "title heldOn",
}


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
    db: Database, compiled: tuple[Compiler, CompiledReads], query: str, viewer: str
) -> tuple[Any, Any]:
    compiler, reads = compiled
    answer = compiler.compile(query, None, None)
    assert isinstance(answer, CompiledAnswer), f"not compiled: {answer}"
    text = await reads.run(VIEWERS[viewer], answer)
    assert text is not None, "the plan's guards refused"
    theirs = await run_as(db, query, None, VIEWERS[viewer])
    return orjson.loads(text), theirs.ok()


@pytest.mark.parametrize("viewer", VIEWERS)
@pytest.mark.parametrize("name", CORPUS)
async def test_compiled_and_executed_answers_are_equal(
    demo_db: Database, compiled: tuple[Compiler, CompiledReads], name: str, viewer: str
) -> None:
    mine, theirs = await both(demo_db, compiled, CORPUS[name], viewer)
    assert mine == theirs


async def test_the_viewers_see_different_deliveries_and_meetings(
    demo_db: Database, compiled: tuple[Compiler, CompiledReads]
) -> None:
    """Otherwise the comparisons above would not show a dropped visibility rule."""
    seen = {}
    for viewer in VIEWERS:
        mine, _ = await both(demo_db, compiled, CORPUS["vendor delivered"], viewer)
        meetings, _ = await both(demo_db, compiled, CORPUS["meetings"], viewer)
        seen[viewer] = (orjson.dumps(mine), orjson.dumps(meetings))
    assert len({deliveries for deliveries, _ in seen.values()}) == 3
    assert len({meetings for _, meetings in seen.values()}) >= 2


@pytest.mark.parametrize("viewer", VIEWERS)
@pytest.mark.parametrize("root", ROOTS)
async def test_two_pages_are_the_same_on_both_paths(
    demo_db: Database, compiled: tuple[Compiler, CompiledReads], root: str, viewer: str
) -> None:
    fields = ROOTS[root]
    shape = f"totalCount pageInfo {{ hasNextPage hasPreviousPage endCursor }} nodes {{ {fields} }}"
    first, theirs = await both(demo_db, compiled, f"{{ {root}(first: 4) {{ {shape} }} }}", viewer)
    assert first == theirs
    cursor = first[root]["pageInfo"]["endCursor"]
    query = f'{{ {root}(first: 4, after: "{cursor}") {{ {shape} }} }}'
    second, theirs = await both(demo_db, compiled, query, viewer)
    assert second == theirs
    assert second[root]["nodes"]
    assert second[root]["pageInfo"]["hasPreviousPage"]
    assert not set(map(str, second[root]["nodes"])) & set(map(str, first[root]["nodes"]))


@pytest.mark.parametrize("root", ROOTS)
async def test_paging_backwards_is_the_same_on_both_paths(
    demo_db: Database, compiled: tuple[Compiler, CompiledReads], root: str
) -> None:
    shape = (
        "totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }"
        f" edges {{ cursor node {{ {ROOTS[root]} }} }}"
    )
    before, cursors = "", list[str]()
    while True:
        query = f"{{ {root}(last: 4{before}) {{ {shape} }} }}"
        page, theirs = await both(demo_db, compiled, query, "editor")
        assert page == theirs
        cursors = [edge["cursor"] for edge in page[root]["edges"]] + cursors
        if not page[root]["pageInfo"]["hasPreviousPage"]:
            break
        before = f', before: "{page[root]["pageInfo"]["startCursor"]}"'
    assert len(cursors) == page[root]["totalCount"]
    between = f'after: "{cursors[1]}", before: "{cursors[-2]}"'
    for window in (
        f"last: 3, {between}",
        f"first: 3, {between}",
        f'first: 2, before: "{cursors[4]}"',
    ):
        query = f"{{ {root}({window}) {{ {shape} }} }}"
        page, theirs = await both(demo_db, compiled, query, "editor")
        assert page == theirs, window
        assert page[root]["edges"], window


async def test_total_count_after_a_cursor_counts_all_processes_on_both_paths(
    demo_db: Database, compiled: tuple[Compiler, CompiledReads]
) -> None:
    """Not only the rest after the cursor (the compiled ``processes`` once counted those)."""
    shape = "totalCount pageInfo { endCursor } nodes { id }"
    first, _ = await both(demo_db, compiled, f"{{ processes(first: 3) {{ {shape} }} }}", "member")
    cursor = first["processes"]["pageInfo"]["endCursor"]
    query = f'{{ processes(first: 3, after: "{cursor}") {{ {shape} }} }}'
    second, theirs = await both(demo_db, compiled, query, "member")
    assert second == theirs
    assert second["processes"]["totalCount"] == first["processes"]["totalCount"]


@pytest.mark.parametrize("root", ROOTS)
async def test_every_page_is_the_same_on_both_paths_to_the_undated_meetings_at_the_end(
    demo_db: Database, compiled: tuple[Compiler, CompiledReads], root: str
) -> None:
    """Undated meetings sort as ``store.meetings.UNDATED`` (year 1), which a cursor carries."""
    shape = f"pageInfo {{ hasNextPage endCursor }} edges {{ cursor node {{ {ROOTS[root]} }} }}"
    after, seen = "", 0
    while True:
        query = f"{{ {root}(first: 5{after}) {{ {shape} }} }}"
        page, theirs = await both(demo_db, compiled, query, "member")
        assert page == theirs
        seen += len(page[root]["edges"])
        if not page[root]["pageInfo"]["hasNextPage"]:
            break
        after = f', after: "{page[root]["pageInfo"]["endCursor"]}"'
    total, _ = await both(demo_db, compiled, f"{{ {root} {{ totalCount }} }}", "member")
    assert seen == total[root]["totalCount"]


@pytest.mark.parametrize("root", ROOTS)
async def test_a_bad_cursor_gets_the_executors_error(demo_db: Database, root: str) -> None:
    async with running_api(url_of(demo_db)) as client:
        good = await client.http.post("/graphql", json={"query": f"{{ {root} {{ totalCount }} }}"})
        assert good.headers["x-reusegraph-path"] == "compiled"
        other = "WyJUSVRMRSIsImEiLCIwMDAwMDAwMC0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwMDAiXQ"
        for cursor, argument in (("nonsense", "after"), (other, "after"), (other, "before")):
            query = f'{{ {root}({argument}: "{cursor}") {{ nodes {{ __typename }} }} }}'
            response = await client.http.post("/graphql", json={"query": query})
            assert response.headers["x-reusegraph-path"].startswith("executor")
            error = response.json()["errors"][0]
            assert error["extensions"]["code"] == "BAD_USER_INPUT"
            assert error["path"] == [root]


async def test_bad_filters_get_the_executors_errors(demo_db: Database) -> None:
    refused = {
        '{ vendors(filter: {servesMunicipality: ["XX"]}) { totalCount } }': "not a municipality",
        '{ vendors(filter: {servesMunicipality: ["DK-9999"]}) { totalCount } }': "DK-9999",
        "{ vendors(filter: {agreementExpiringWithinMonths: 0}) { totalCount } }": "between 1",
        '{ vendors(filter: {agreement: ["Vendor:x"]}) { totalCount } }': "FrameworkAgreement",
        '{ frameworkAgreements(filter: {vendor: ["nope"]}) { totalCount } }': "Vendor",
        '{ networkMeetings(filter: {itSystem: ["no-such"]}) { totalCount } }': "no-such",
        "{ networkMeetings(first: 2, last: 2) { totalCount } }": "not both",
        "{ vendors { nodes { agreements(expiringWithinMonths: 200) { title } } } }": "between 1",
    }
    async with running_api(url_of(demo_db)) as client:
        for query, says in refused.items():
            response = await client.http.post("/graphql", json={"query": query})
            assert response.headers.get("x-reusegraph-path", "").startswith("executor"), (
                query,
                response.text,
            )
            error = response.json()["errors"][0]
            assert error["extensions"]["code"] == "BAD_USER_INPUT", query
            assert says in error["message"], (query, error["message"])


def test_the_examples_of_vendors_agreements_and_meetings_are_compiled() -> None:
    compiler = Compiler(SCHEMA._schema, SCHEMA.checks.rules, SCHEMA.checks.max_tokens)
    for path in sorted(EXAMPLES.glob("*.graphql")):
        text = path.read_text()
        if any(word in text for word in ("vendors", "frameworkAgreements", "networkMeetings")):
            answer = compiler.compile(text, None, None)
            assert isinstance(answer, CompiledAnswer), (path.name, answer)


async def test_the_catalog_roots_answer_on_the_compiled_path_over_http(
    demo_db: Database,
) -> None:
    query = "{ vendors(first: 2) { nodes { name agreements { endDate parties { code } } } } }"
    async with (
        running_api(url_of(demo_db)) as fast,
        running_api(url_of(demo_db), compiled_reads=False) as slow,
    ):
        a = await fast.http.post("/graphql", json={"query": query})
        b = await slow.http.post("/graphql", json={"query": query})
        assert a.headers["x-reusegraph-path"] == "compiled"
        assert b.headers["x-reusegraph-path"].startswith("executor")
        assert a.json()["data"] == b.json()["data"]
