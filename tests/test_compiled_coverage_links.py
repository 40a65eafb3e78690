"""The compiled path answers lineage, sources, umbrellas and more filters as the executor.

A small registry of two municipalities: a lineage with a diamond, a shortcut (a link
reached at two depths), a cycle, a PERSONAL process in the middle (its reporter sees what
lies beyond it, nobody else does) and a MUNICIPALITY one; an own and a shared umbrella; a
fresh mirror owned by one municipality and a flaky (still fresh) one owned by the other, with
internals only their owners and admins may read; mirrored reuse links still pending.
Every query is compiled (asserted), run as each viewer, and compared with the executor.
"""

import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import insert, update

from reusegraph.auth.principal import ANONYMOUS, Principal, Role
from reusegraph.compiler import CompiledAnswer, Compiler
from reusegraph.compiler.counting import count_objects_in_json
from reusegraph.compiler.runner import CompiledReads
from reusegraph.schema.limits.budget import count_objects
from reusegraph.store.engine import Database
from reusegraph.store.models import Source, source_owner
from reusegraph.store.models.sources import PendingReuse
from tests.support import builders as b
from tests.support.http import running_api
from tests.support.postgres import url_of
from tests.support.viewers import SCHEMA, member, run_as

A, B = "NO-5001", "NO-0301"
VIEWERS = {
    "anonymous": ANONYMOUS,
    "reporter": member(A, "kari"),
    "member": member(A),
    "editor": Principal(
        issuer="test", subject="ola", municipality=A, roles=frozenset({Role.EDITOR})
    ),
    "other": member(B),
    "admin": Principal(issuer="test", subject="root", roles=frozenset({Role.ADMIN})),
}
LINKS = [
    ("d1", "root"),
    ("d2", "root"),
    ("d3", "d1"),
    ("d3", "d2"),
    ("d4", "d3"),
    ("d4", "root"),
    ("d5", "d4"),
    ("root", "d4"),
    ("hidden", "d1"),
    ("beyond", "hidden"),
    ("municipal", "d2"),
]
"""(derived, origin): d3 is a diamond, d4 is reached at depth 1 and 3, root <-> d4 is a
cycle, beyond is only reachable through the PERSONAL hidden."""


@dataclass
class Registry:
    db: Database
    ids: dict[str, uuid.UUID]
    compiler: Compiler
    reads: CompiledReads

    def gid(self, name: str) -> str:
        return f"Process:{self.ids[name]}"


async def _insert_sources(db: Database, now: datetime) -> None:
    sources = [
        {
            "code": "mirror-a",
            "name": "Mirror of A",
            "kind": "graphql",
            "endpoint": "https://internal.example/graphql",
            "secret_ref": "env:MIRROR_A_TOKEN",
            "auth": "bearer",
            "last_error": "2 records refused: no title",
            "last_outcome": "partial",
            "last_success_at": now - timedelta(minutes=5),
            "last_sync_started_at": now - timedelta(minutes=6),
            "last_sync_finished_at": now - timedelta(minutes=5, microseconds=250),
            "record_count": 3,
            "last_run_upserts": 3,
            "last_run_skipped": 2,
        },
        {
            "code": "flaky-b",
            "name": "Flaky mirror of B",
            "kind": "os2autoproces",
            "endpoint": "https://b.example/api",
            "last_error": "connection refused",
            "last_outcome": "ok",
            "last_success_at": now - timedelta(days=2),
            "stale_after_seconds": 3 * 86400,
            "consecutive_failures": 4,
            "circuit_open_until": now + timedelta(hours=1),
        },
    ]
    owners = [
        {"source_code": "mirror-a", "municipality_code": A},
        {"source_code": "flaky-b", "municipality_code": B},
    ]
    async with db.session(None) as session:
        await session.execute(insert(Source), sources)
        await session.execute(insert(source_owner), owners)


async def _insert_pending(db: Database, derived: uuid.UUID, now: datetime) -> None:
    pending: list[dict[str, object]] = [
        {"origin_source_id": "x-2", "kind": "INSPIRATION", "note": "later"},
        {"origin_source_id": "x-1", "kind": "WHOLE_SOLUTION", "reused_on": now.date()},
    ]
    async with db.session(None) as session:
        await session.execute(
            insert(PendingReuse),
            [{"derived_id": derived, "source_code": "mirror-a", **row} for row in pending],
        )


@pytest.fixture
async def demo(demo_db: Database) -> AsyncIterator[Registry]:
    compiler = Compiler(SCHEMA._schema, SCHEMA.checks.rules, SCHEMA.checks.max_tokens)
    reads = CompiledReads(
        url_of(demo_db), pool_size=2, statement_timeout_ms=15000, viewer_key=demo_db.viewer_key
    )
    try:
        yield Registry(demo_db, {}, compiler, reads)
    finally:
        await reads.close()


@pytest.fixture
async def registry(empty_db: Database) -> AsyncIterator[Registry]:
    p = b.process
    rows = {
        "root": p(A, title="Root", source_code="mirror-a", source_id="r-1"),
        "d1": p(A, title="D1"),
        "d2": p(B, title="D2"),
        "d3": p(B, title="D3"),
        "d4": p(A, title="D4"),
        "d5": p(B, title="D5"),
        "hidden": p(A, title="Hidden", visibility="PERSONAL", reporter="kari"),
        "beyond": p(B, title="Beyond"),
        "municipal": p(B, title="Municipal", visibility="MUNICIPALITY", source_code="flaky-b"),
        "own": p(A, title="Zebra umbrella", type="PARENT"),
        "shared": p(A, title="Alpha shared", type="GLOBAL_PARENT", visibility="MUNICIPALITY"),
    }
    ids = {name: row["id"] for name, row in rows.items()}
    now = datetime.now(UTC)
    await b.insert_rows(empty_db, municipality=[b.municipality(A), b.municipality(B)])
    await _insert_sources(empty_db, now)
    umbrellas = [("own", "root"), ("own", "hidden"), ("own", "d1"), ("shared", "root")]
    umbrellas += [("shared", "municipal"), ("shared", "d4")]
    await b.insert_rows(
        empty_db,
        process=list(rows.values()),
        process_umbrella=[{"umbrella_id": ids[u], "child_id": ids[c]} for u, c in umbrellas],
        reuse_link=[b.reuse(ids[d], ids[o]) for d, o in LINKS],
    )
    await _insert_pending(empty_db, ids["root"], now)
    compiler = Compiler(SCHEMA._schema, SCHEMA.checks.rules, SCHEMA.checks.max_tokens)
    reads = CompiledReads(
        url_of(empty_db), pool_size=2, statement_timeout_ms=15000, viewer_key=empty_db.viewer_key
    )
    try:
        yield Registry(empty_db, ids, compiler, reads)
    finally:
        await reads.close()


async def same_on_both_paths(
    r: Registry, query: str, variables: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Each viewer's compiled answer equals the executor's; the answers, by viewer."""
    answers = {}
    for name, viewer in VIEWERS.items():
        compiled = r.compiler.compile(query, None, variables)
        assert isinstance(compiled, CompiledAnswer), f"not compiled: {compiled}"
        before = r.reads.round_trips
        text = await r.reads.run(viewer, compiled)
        assert r.reads.round_trips - before in (1, 2), "the statement, and settings if new"
        assert text is not None, "the plan's guards refused"
        mine = orjson.loads(text)
        theirs = (await run_as(r.db, query, variables, viewer)).ok()
        assert mine == theirs, name
        answers[name] = mine
    return answers


LINK = "depth id kind note reusedOn __typename origin { id title } derived { title }"
LINEAGE = f"""query ($id: ID!) {{ process(id: $id) {{ title lineage {{ __typename
  ancestors {{ {LINK} }} descendants {{ {LINK} derived {{ municipality {{ code }} }} }} }} }} }}"""


def titles(lineage: dict[str, Any], side: str) -> list[tuple[int, str, str]]:
    return [(x["depth"], x["derived"]["title"], x["origin"]["title"]) for x in lineage[side]]


async def test_lineage_walks_both_ways_once_per_link_and_stops_where_the_viewer_cannot_read(
    registry: Registry,
) -> None:
    for name in ("root", "d3", "d4", "hidden", "beyond", "municipal"):
        answers = await same_on_both_paths(registry, LINEAGE, {"id": registry.gid(name)})
        if name == "root":
            reporter = answers["reporter"]["process"]["lineage"]
            anonymous = answers["anonymous"]["process"]["lineage"]
            assert (3, "Beyond", "Hidden") in titles(reporter, "descendants")
            assert "Beyond" not in str(titles(anonymous, "descendants"))
            assert titles(anonymous, "descendants").count((2, "D5", "D4")) == 1
            assert titles(anonymous, "ancestors")[0] == (1, "Root", "D4")


async def test_lineage_nested_in_a_list_and_in_itself_is_compiled(registry: Registry) -> None:
    listed = """{ processes(first: 4, orderBy: {field: TITLE, direction: ASC}) { nodes {
      title lineage { ancestors { depth origin { title } } } } } }"""
    await same_on_both_paths(registry, listed)
    nested = """query ($id: ID!) { process(id: $id) { lineage { descendants { depth
      derived { title lineage { ancestors { depth origin { title } } } } } } } }"""
    await same_on_both_paths(registry, nested, {"id": registry.gid("root")})


SOURCE = """code name kind endpoint schedule syncedAt lastSyncStartedAt lastSyncFinishedAt
  lastOutcome lastError recordCount stale running lastRun { upserts deletes skipped __typename }
  consecutiveFailures circuitOpenUntil auth timeoutSeconds pageSize staleAfterSeconds secretRef
  owners __typename"""


async def test_sources_show_internals_only_to_their_owners_and_admins(registry: Registry) -> None:
    query = f"""{{ processes(first: 20, orderBy: {{field: TITLE, direction: ASC}}) {{ nodes {{
      title sourceId source {{ {SOURCE} }} pendingReuse {{ originId source kind note reusedOn }}
    }} }} }}"""
    answers = await same_on_both_paths(registry, query)

    def source(viewer: str, title: str) -> dict[str, Any]:
        nodes = answers[viewer]["processes"]["nodes"]
        found: dict[str, Any] = next(n for n in nodes if n["title"] == title)["source"]
        return found

    assert source("member", "Root")["endpoint"] == "https://internal.example/graphql"
    assert source("admin", "Root")["secretRef"] == "env:MIRROR_A_TOKEN"
    assert source("anonymous", "Root")["lastError"] is None
    assert source("other", "Municipal")["consecutiveFailures"] == 4
    assert source("other", "Municipal")["lastError"] == "connection refused"
    assert source("other", "Root")["endpoint"] is None


async def test_a_sources_lag_is_the_time_since_it_caught_up(registry: Registry) -> None:
    query = f'{{ process(id: "{registry.gid("root")}") {{ source {{ lagSeconds stale }} }} }}'
    compiled = registry.compiler.compile(query, None, None)
    assert isinstance(compiled, CompiledAnswer)
    text = await registry.reads.run(ANONYMOUS, compiled)
    assert text is not None
    mine = orjson.loads(text)["process"]["source"]
    theirs = (await run_as(registry.db, query)).ok()["process"]["source"]
    assert mine["stale"] is theirs["stale"] is False
    assert 300 <= mine["lagSeconds"] <= theirs["lagSeconds"] < 400


async def test_umbrellas_and_members_are_what_each_viewer_may_read(registry: Registry) -> None:
    query = """{ processes(first: 20, orderBy: {field: TITLE, direction: ASC}) { nodes {
      title type umbrella { title type } umbrellas { id title }
      members { title visibility umbrella { title } municipality { code } } } } }"""
    answers = await same_on_both_paths(registry, query)
    nodes = {n["title"]: n for n in answers["reporter"]["processes"]["nodes"]}
    assert [m["title"] for m in nodes["Zebra umbrella"]["members"]] == ["D1", "Hidden", "Root"]
    assert nodes["Root"]["umbrella"] == {"title": "Zebra umbrella", "type": "PARENT"}
    assert [u["title"] for u in nodes["Root"]["umbrellas"]] == ["Zebra umbrella", "Alpha shared"]
    others = {n["title"]: n for n in answers["other"]["processes"]["nodes"]}
    assert others["Municipal"]["umbrella"] == {"title": "Alpha shared", "type": "GLOBAL_PARENT"}
    anonymous = {n["title"]: n for n in answers["anonymous"]["processes"]["nodes"]}
    assert [m["title"] for m in anonymous["Zebra umbrella"]["members"]] == ["D1", "Root"]


@pytest.mark.parametrize(
    "kle", [["27"], ["27.24", "02"], ["27.24.00"], ["99"], []], ids=lambda k: ",".join(k) or "none"
)
async def test_the_kle_filter_matches_prefixes_on_both_paths(
    demo: Registry, kle: list[str]
) -> None:
    query = """query ($kle: [String!]) { processes(first: 200, filter: {kle: $kle}) {
      totalCount pageInfo { hasNextPage endCursor } nodes { title kle } } }"""
    answers = await same_on_both_paths(demo, query, {"kle": kle})
    nodes = answers["anonymous"]["processes"]["nodes"]
    assert all(any(n["kle"].startswith(k) for k in kle) for n in nodes) if kle else nodes
    if kle == ["27"]:
        assert nodes, "demo processes under KLE 27"


async def test_umbrella_filters_on_both_paths(registry: Registry) -> None:
    query = """query ($u: [ID!], $is: Boolean) { processes(filter: {umbrella: $u, isUmbrella: $is})
      { totalCount nodes { title } } }"""
    umbrellas = [registry.gid("own"), registry.gid("shared")]
    answers = await same_on_both_paths(registry, query, {"u": umbrellas[:1]})
    titles = [n["title"] for n in answers["reporter"]["processes"]["nodes"]]
    assert sorted(titles) == ["D1", "Hidden", "Root"]
    await same_on_both_paths(registry, query, {"u": umbrellas, "is": False})
    answers = await same_on_both_paths(registry, query, {"is": True})
    assert answers["member"]["processes"]["totalCount"] == 2


MUNICIPALITIES = """query ($f: MunicipalityFilter, $after: String) {
  municipalities(first: 5, filter: $f, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } nodes { code name country } } }"""


@pytest.mark.parametrize(
    "given",
    [
        {"country": ["NO"]},
        {"code": ["DK-0746", "NO-5001", "DK-0101"]},
        {"nameContains": "kommune"},
        {"nameContains": "_"},
        {"usesTechnology": ["rpa"], "country": ["DK", "NO"]},
        {"usesItSystem": ["esdh", "digital-post"]},
        {"country": []},
    ],
)
async def test_municipalities_filter_on_both_paths(demo: Registry, given: dict[str, Any]) -> None:
    answers = await same_on_both_paths(demo, MUNICIPALITIES, {"f": given})
    page = answers["anonymous"]["municipalities"]
    if page["pageInfo"]["hasNextPage"]:
        variables = {"f": given, "after": page["pageInfo"]["endCursor"]}
        await same_on_both_paths(demo, MUNICIPALITIES, variables)


async def test_a_bad_kle_prefix_or_an_unknown_code_gets_the_executors_error(
    demo_db: Database,
) -> None:
    async with running_api(url_of(demo_db)) as client:
        for query, says in [
            ('{ processes(filter: {kle: ["27", "2x"]}) { totalCount } }', "not a KLE prefix"),
            ('{ municipalities(filter: {usesItSystem: ["nope"]}) { totalCount } }', "'nope'"),
            ('{ municipalities(filter: {code: ["dk-1"]}) { totalCount } }', "'dk-1'"),
        ]:
            response = await client.http.post("/graphql", json={"query": query})
            assert response.headers["x-reusegraph-path"].startswith("executor")
            error = response.json()["errors"][0]
            assert error["extensions"]["code"] == "BAD_USER_INPUT"
            assert says in error["message"]


async def test_lineage_umbrellas_and_sources_are_answered_by_the_compiled_path(
    demo_db: Database,
) -> None:
    query = """{ processes(first: 5, filter: {kle: ["27"]}) { nodes { title
      source { code stale } umbrella { title } members { title }
      lineage { ancestors { depth origin { title municipality { code name } } }
                descendants { depth derived { title municipality { code name } } } } } }
      municipalities(first: 3, filter: {country: [DK]}) { nodes { code } } }"""
    url = url_of(demo_db)
    async with running_api(url) as fast, running_api(url, compiled_reads=False) as slow:
        mine = await fast.http.post("/graphql", json={"query": query})
        theirs = await slow.http.post("/graphql", json={"query": query})
    assert mine.headers["x-reusegraph-path"] == "compiled"
    assert theirs.headers["x-reusegraph-path"].startswith("executor")
    assert mine.json()["data"] == theirs.json()["data"]
    assert mine.json()["data"]["processes"]["nodes"]


COSTED = [
    "{ processes(first: 30) { totalCount nodes { title municipality { code } itSystems { code }"
    " benefits { period money { amount } } } } }",
    '{ process(id: "Process:00000000-0000-0000-0000-000000000000") { title } }',
    "{ municipalities(first: 4, filter: {country: [NO]}) { edges { node { code mergedInto"
    " { code } } } } __typename }",
    "{ processes(first: 3) { nodes { extras lineage { descendants { derived { title } } } } } }",
]


async def test_compiled_answers_report_the_same_cost_as_the_executors(demo_db: Database) -> None:
    url = url_of(demo_db)
    async with running_api(url) as fast, running_api(url, compiled_reads=False) as slow:
        for query in COSTED:
            mine = await fast.http.post("/graphql", json={"query": query})
            theirs = await slow.http.post("/graphql", json={"query": query})
            assert mine.headers["x-reusegraph-path"] == "compiled", query
            assert mine.json()["data"] == theirs.json()["data"], query
            cost, expected = mine.json()["extensions"]["cost"], theirs.json()["extensions"]["cost"]
            assert "actual" in cost
            assert cost.pop("budgetLeft") >= 0, "both spend one caller's budget"
            expected.pop("budgetLeft")
            assert cost == expected, query


async def test_braces_and_quotes_in_text_are_not_counted_as_objects(empty_db: Database) -> None:
    titles = ['Robot {v2} "beta"', "C:\\{temp}\\", '{"a": 1}', "}{", '"}']
    await b.insert_rows(
        empty_db,
        municipality=[b.municipality(A)],
        process=[b.process(A, title=t, extras={"k": {"t": "{"}}) for t in titles],
    )
    query = "{ processes(first: 10) { nodes { title extras municipality { name } } } }"
    url = url_of(empty_db)
    async with running_api(url) as fast, running_api(url, compiled_reads=False) as slow:
        mine = await fast.http.post("/graphql", json={"query": query})
        theirs = await slow.http.post("/graphql", json={"query": query})
    assert mine.headers["x-reusegraph-path"] == "compiled"
    assert mine.json()["data"] == theirs.json()["data"]
    actual = theirs.json()["extensions"]["cost"]["actual"]
    # the page, and per node: itself, its extras' two objects, its municipality
    assert mine.json()["extensions"]["cost"]["actual"] == actual == 1 + 5 * 4


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(alphabet='{}"\\ab:,[]'),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(alphabet='{}"ab'), inner, max_size=4)
    ),
    max_leaves=20,
)


@given(answer=st.dictionaries(st.text(max_size=3), JSON, max_size=4))
def test_objects_counted_in_the_text_are_the_objects_the_executor_counts(
    answer: dict[str, Any],
) -> None:
    text = orjson.dumps(answer)
    assert count_objects_in_json(text) == count_objects(answer)
    spaced = json.dumps(answer, indent=1, ensure_ascii=False).encode()
    assert count_objects_in_json(spaced) == count_objects(answer)


async def test_a_source_that_has_just_failed_sends_the_next_request_to_the_executor(
    registry: Registry,
) -> None:
    query = "{ processes(first: 20) { nodes { title source { code stale } } } }"
    async with running_api(url_of(registry.db)) as client:
        fresh = await client.http.post("/graphql", json={"query": query})
        assert fresh.headers["x-reusegraph-path"] == "compiled"
        async with registry.db.session(None) as session:
            await session.execute(
                update(Source).where(Source.code == "mirror-a").values(last_outcome="failed")
            )
        stale = await client.http.post("/graphql", json={"query": query})
    assert stale.headers["x-reusegraph-path"].startswith("executor")
    assert [notice["code"] for notice in stale.json()["extensions"]["sources"]] == ["mirror-a"]
