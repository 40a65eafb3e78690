"""The reuse network: leaderboard, reuse given and taken, the graph, and lineage trees."""

import gc
from datetime import date
from importlib import resources
from typing import Any

import pytest
from sqlalchemy.engine import Row

from reusegraph.store.demo.facts import (
    RANDERS_PROCESS_ID,
    SKANDERBORG_PROCESS_ID,
    SYDDJURS_PROCESS_ID,
)
from reusegraph.store.engine import Database
from tests.support import builders as b
from tests.support.http import GraphQLClient, running_api
from tests.support.postgres import url_of
from tests.support.viewers import READER, member, run_as

LEADERBOARD = """
query ($from: Date, $to: Date, $first: Int) {
  reuseLeaderboard(from: $from, to: $to, first: $first) {
    municipalityCount linkCount reusedBy { code } process { id title }
  }
}
"""
TALLIES = """
query ($code: String!, $from: Date, $to: Date) {
  municipality(code: $code) {
    reuseGiven(from: $from, to: $to) { links processes municipalities { code } }
    reuseTaken(from: $from, to: $to) { links processes municipalities { code } }
  }
}
"""
GRAPH = """
query ($m: [String!], $first: Int, $after: String) {
  reuseGraph(municipalities: $m, first: $first, after: $after) {
    truncated endCursor
    links { kind origin { id } derived { id } }
    processes { id }
    municipalityLinks { origin { code } derived { code } links kinds }
  }
}
"""
LINEAGE = """
query ($id: ID!) {
  process(id: $id) {
    lineage {
      ancestors { depth kind origin { id } derived { id } }
      descendants { depth kind origin { id } derived { id } }
    }
  }
}
"""


def gid(row: dict[str, Any]) -> str:
    return f"Process:{row['id']}"


def link(derived: dict[str, Any], origin: dict[str, Any], kind: str, on: date) -> dict[str, Any]:
    return {**b.reuse(derived["id"], origin["id"], kind), "reused_on": on}


async def _network(db: Database) -> dict[str, dict[str, Any]]:
    """A (DK-0101) is reused by B, C and D; C's copy is reused again by E; X is internal."""
    p = b.process
    rows = {
        "a": p("DK-0101", title="Origin"),
        "a_own": p("DK-0101", title="Own reuse"),
        "b": p("DK-0102", title="B copy"),
        "c": p("DK-0103", title="C copy"),
        "d": p("DK-0104", title="D copy", visibility="MUNICIPALITY"),
        "e": p("DK-0105", title="E copy of C"),
        "x": p("DK-0102", title="Internal origin", visibility="MUNICIPALITY"),
        "x_user": p("DK-0103", title="Uses internal"),
    }
    await b.insert_rows(
        db,
        municipality=[b.municipality(f"DK-010{n}") for n in range(1, 6)],
        process=list(rows.values()),
        reuse_link=[
            link(rows["b"], rows["a"], "WHOLE_SOLUTION", date(2020, 3, 1)),
            link(rows["c"], rows["a"], "BUILDING_BLOCKS", date(2021, 5, 1)),
            link(rows["d"], rows["a"], "ANALYSIS", date(2021, 6, 1)),
            link(rows["a_own"], rows["a"], "INSPIRATION", date(2021, 7, 1)),
            link(rows["e"], rows["c"], "BUILDING_BLOCKS", date(2022, 1, 1)),
            link(rows["x_user"], rows["x"], "WHOLE_SOLUTION", date(2022, 2, 1)),
        ],
    )
    return rows


async def test_leaderboard_ranks_by_distinct_other_municipalities(empty_db: Database) -> None:
    rows = await _network(empty_db)
    board = (await run_as(empty_db, LEADERBOARD)).ok()["reuseLeaderboard"]
    assert [(e["process"]["id"], e["municipalityCount"]) for e in board] == [
        (gid(rows["a"]), 2),
        (gid(rows["c"]), 1),
    ]
    assert [m["code"] for m in board[0]["reusedBy"]] == ["DK-0102", "DK-0103"]


async def test_leaderboard_counts_only_the_period(empty_db: Database) -> None:
    rows = await _network(empty_db)
    result = await run_as(empty_db, LEADERBOARD, {"from": "2021-01-01", "to": "2021-12-31"})
    board = result.ok()["reuseLeaderboard"]
    assert [(e["process"]["id"], e["reusedBy"]) for e in board] == [
        (gid(rows["a"]), [{"code": "DK-0103"}])
    ]


async def test_leaderboard_and_graph_hide_what_the_viewer_may_not_read(empty_db: Database) -> None:
    rows = await _network(empty_db)
    for viewer in (READER, member("DK-0101")):
        board = (await run_as(empty_db, LEADERBOARD, viewer=viewer)).ok()["reuseLeaderboard"]
        ids = {e["process"]["id"] for e in board}
        assert gid(rows["x"]) not in ids
        assert board[0]["municipalityCount"] == 2
        graph = (await run_as(empty_db, GRAPH, viewer=viewer)).ok()["reuseGraph"]
        seen = {n["id"] for n in graph["processes"]}
        assert {gid(rows["d"]), gid(rows["x"]), gid(rows["x_user"])}.isdisjoint(seen)
    insider = member("DK-0104")
    board = (await run_as(empty_db, LEADERBOARD, viewer=insider)).ok()["reuseLeaderboard"]
    assert board[0]["municipalityCount"] == 3
    owner = member("DK-0102")
    board = (await run_as(empty_db, LEADERBOARD, viewer=owner)).ok()["reuseLeaderboard"]
    assert gid(rows["x"]) in {e["process"]["id"] for e in board}


async def test_reuse_given_and_taken_per_municipality(empty_db: Database) -> None:
    await _network(empty_db)
    data = (await run_as(empty_db, TALLIES, {"code": "DK-0101"})).ok()["municipality"]
    assert data["reuseGiven"] == {
        "links": 2,
        "processes": 1,
        "municipalities": [{"code": "DK-0102"}, {"code": "DK-0103"}],
    }
    assert data["reuseTaken"] == {"links": 0, "processes": 0, "municipalities": []}
    data = (await run_as(empty_db, TALLIES, {"code": "DK-0103"})).ok()["municipality"]
    assert data["reuseGiven"]["municipalities"] == [{"code": "DK-0105"}]
    assert data["reuseTaken"] == {
        "links": 1,
        "processes": 1,
        "municipalities": [{"code": "DK-0101"}],
    }
    period = {"code": "DK-0101", "from": "2020-01-01", "to": "2020-12-31"}
    data = (await run_as(empty_db, TALLIES, period)).ok()["municipality"]
    assert data["reuseGiven"]["municipalities"] == [{"code": "DK-0102"}]
    insider = (await run_as(empty_db, TALLIES, {"code": "DK-0101"}, member("DK-0104"))).ok()
    assert insider["municipality"]["reuseGiven"]["links"] == 3


async def test_graph_edges_and_municipality_sums(empty_db: Database) -> None:
    rows = await _network(empty_db)
    result = await run_as(empty_db, GRAPH, {"m": ["DK-0103"]})
    graph = result.ok()["reuseGraph"]
    edges = [(e["origin"]["id"], e["derived"]["id"], e["kind"]) for e in graph["links"]]
    assert edges == [
        (gid(rows["a"]), gid(rows["c"]), "BUILDING_BLOCKS"),
        (gid(rows["c"]), gid(rows["e"]), "BUILDING_BLOCKS"),
    ]
    assert graph["truncated"] is False
    assert {n["id"] for n in graph["processes"]} == {gid(rows[k]) for k in "ace"}
    assert graph["municipalityLinks"] == [
        {"origin": {"code": "DK-0101"}, "derived": {"code": "DK-0103"}, "links": 1,
         "kinds": ["BUILDING_BLOCKS"]},
        {"origin": {"code": "DK-0103"}, "derived": {"code": "DK-0105"}, "links": 1,
         "kinds": ["BUILDING_BLOCKS"]},
    ]  # fmt: skip
    everything = (await run_as(empty_db, GRAPH, {"first": 2})).ok()["reuseGraph"]
    assert everything["truncated"] is True
    assert len(everything["links"]) == 2
    assert sum(m["links"] for m in everything["municipalityLinks"]) == 4


@pytest.mark.parametrize("around", [None, ["DK-0101", "DK-0103", "DK-0105"]])
async def test_graph_pages_reach_every_link_once_oldest_first(
    empty_db: Database, around: list[str] | None
) -> None:
    await _network(empty_db)
    whole = (await run_as(empty_db, GRAPH, {"m": around, "first": 500})).ok()["reuseGraph"]
    expected = [(e["origin"]["id"], e["derived"]["id"]) for e in whole["links"]]
    assert len(expected) >= 3
    seen: list[tuple[str, str]] = []
    after = None
    while True:
        variables = {"m": around, "first": 2, "after": after}
        page = (await run_as(empty_db, GRAPH, variables)).ok()["reuseGraph"]
        seen += [(e["origin"]["id"], e["derived"]["id"]) for e in page["links"]]
        assert page["municipalityLinks"] == whole["municipalityLinks"]
        if not page["truncated"]:
            break
        after = page["endCursor"]
    assert seen == expected


ENDS_DRAWN = """
query {
  reuseGraph(municipalities: ["DK-0101"]) {
    links { origin { id title phase municipality { code } } derived { id title } }
    processes { id title }
  }
}
"""
ENDS_ASKED_MORE = [
    '{ reuseGraph(municipalities: ["DK-0101"]) { links { origin { id title phase'
    " municipality { code } ...More } derived { id title ...More } } processes { id title"
    " ...More } } } fragment More on Process { summary kle }",
    '{ reuseGraph(municipalities: ["DK-0101"]) { links { origin { id title phase'
    " municipality { code } ... on Process { summary kle } } derived { id title summary kle } }"
    " processes { id title ... { summary kle } } } }",
]


@pytest.mark.parametrize("more", ENDS_ASKED_MORE, ids=["fragment", "inline-fragment"])
async def test_graph_ends_answer_every_field_asked_however_few_or_many(
    empty_db: Database, more: str
) -> None:
    """Ends asked only for what a graph is drawn with are read lightly; asked for more,
    directly or through fragments, they answer it all, and the same for what both ask."""
    origin = b.process("DK-0101", title="Origin", phase="IMPLEMENTATION", summary="Robot A",
                       kle="02.00.00")  # fmt: skip
    copy = b.process("DK-0102", title="Copy", summary="Robot B")
    await b.insert_rows(
        empty_db,
        municipality=[b.municipality("DK-0101"), b.municipality("DK-0102")],
        process=[origin, copy],
        reuse_link=[link(copy, origin, "WHOLE_SOLUTION", date(2024, 1, 1))],
    )
    drawn = (await run_as(empty_db, ENDS_DRAWN)).ok()["reuseGraph"]
    full = (await run_as(empty_db, more)).ok()["reuseGraph"]
    assert drawn["links"] == [
        {
            "origin": {"id": gid(origin), "title": "Origin", "phase": "IMPLEMENTATION",
                       "municipality": {"code": "DK-0101"}},
            "derived": {"id": gid(copy), "title": "Copy"},
        }
    ]  # fmt: skip
    (edge,) = full["links"]
    assert edge == {
        "origin": {**drawn["links"][0]["origin"], "summary": "Robot A", "kle": "02.00.00"},
        "derived": {**drawn["links"][0]["derived"], "summary": "Robot B", "kle": None},
    }
    assert sorted(full["processes"], key=lambda n: n["title"]) == [
        {"id": gid(copy), "title": "Copy", "summary": "Robot B", "kle": None},
        {"id": gid(origin), "title": "Origin", "summary": "Robot A", "kle": "02.00.00"},
    ]


async def test_an_answered_graph_frees_what_it_loaded_without_the_cycle_collector(
    empty_db: Database,
) -> None:
    """The rows a request loaded go with its response. Left in its loaders, they stayed
    reachable from graphql-core's self-referencing execution context until a cycle
    collection, which at 500 links paused a request every tenth one for 100-150 ms."""
    await _network(empty_db)
    async with running_api(url_of(empty_db)) as api:
        await api.data(GRAPH, {"first": 500})
        gc.collect()
        gc.set_debug(gc.DEBUG_SAVEALL)
        try:
            graph = (await api.data(GRAPH, {"first": 500}))["reuseGraph"]
            gc.collect()
            left_to_the_collector = [o for o in gc.garbage if isinstance(o, Row)]
        finally:
            gc.set_debug(0)
            gc.garbage.clear()
    assert len(graph["links"]) == 4
    assert left_to_the_collector == []


@pytest.mark.parametrize(
    ("query", "variables", "argument"),
    [
        (GRAPH, {"after": "bm90IGEgY3Vyc29y"}, "after"),
        (GRAPH, {"m": ["DK-0999"]}, "municipalities"),
        (GRAPH, {"m": ["nope"]}, "municipalities"),
        (GRAPH, {"first": 501}, "first"),
        (LEADERBOARD, {"first": -1}, "first"),
        (LEADERBOARD, {"from": "2022-01-01", "to": "2021-01-01"}, "from"),
    ],
)
async def test_bad_arguments_are_named(
    empty_db: Database, query: str, variables: dict[str, Any], argument: str
) -> None:
    await _network(empty_db)
    error = (await run_as(empty_db, query, variables)).error()
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["argument"] == argument


async def test_lineage_is_a_tree_of_any_depth_with_the_kind_on_each_edge(
    empty_db: Database,
) -> None:
    chain = [b.process(f"DK-01{n:02d}", title=f"Generation {n}") for n in range(1, 9)]
    kinds = ["WHOLE_SOLUTION", "BUILDING_BLOCKS", "ANALYSIS", "INSPIRATION"] * 2
    await b.insert_rows(
        empty_db,
        municipality=[b.municipality(p["municipality_code"]) for p in chain],
        process=chain,
        reuse_link=[
            b.reuse(chain[n + 1]["id"], chain[n]["id"], kinds[n]) for n in range(len(chain) - 1)
        ],
    )
    lineage = (await run_as(empty_db, LINEAGE, {"id": gid(chain[0])})).ok()["process"]["lineage"]
    descendants = lineage["descendants"]
    assert [d["depth"] for d in descendants] == list(range(1, 8))
    assert [d["kind"] for d in descendants] == kinds[:7]
    assert [d["derived"]["id"] for d in descendants] == [gid(p) for p in chain[1:]]
    last = (await run_as(empty_db, LINEAGE, {"id": gid(chain[-1])})).ok()["process"]["lineage"]
    assert [a["origin"]["id"] for a in last["ancestors"]] == [gid(p) for p in reversed(chain[:-1])]


async def test_lineage_lists_each_edge_once_when_paths_join(empty_db: Database) -> None:
    """A diamond (two copies merged again) and a tail below it: no edge twice."""
    a, b1, b2, d, e = (b.process("DK-0101", title=t) for t in ("a", "b1", "b2", "d", "e"))
    edges = [(b1, a), (b2, a), (d, b1), (d, b2), (e, d)]
    await b.insert_rows(
        empty_db,
        municipality=[b.municipality("DK-0101")],
        process=[a, b1, b2, d, e],
        reuse_link=[b.reuse(x["id"], y["id"]) for x, y in edges],
    )
    lineage = (await run_as(empty_db, LINEAGE, {"id": gid(a)})).ok()["process"]["lineage"]
    pairs = [(x["origin"]["id"], x["derived"]["id"]) for x in lineage["descendants"]]
    assert len(pairs) == len(set(pairs)) == 5
    tail = next(x for x in lineage["descendants"] if x["derived"]["id"] == gid(e))
    assert tail["depth"] == 3


async def test_demo_lineage_follows_the_certificate_robot_to_randers(
    demo_api: GraphQLClient,
) -> None:
    data = await demo_api.data(LINEAGE, {"id": f"Process:{RANDERS_PROCESS_ID}"})
    ancestors = data["process"]["lineage"]["ancestors"]
    assert [(x["depth"], x["kind"], x["origin"]["id"]) for x in ancestors] == [
        (1, "BUILDING_BLOCKS", f"Process:{SYDDJURS_PROCESS_ID}"),
        (2, "BUILDING_BLOCKS", f"Process:{SKANDERBORG_PROCESS_ID}"),
    ]


def _examples() -> list[str]:
    folder = resources.files("reusegraph.api") / "examples"
    return sorted(
        f.name
        for f in folder.iterdir()
        if f.name.endswith(".graphql") and f.name[:2].isdigit() and 10 <= int(f.name[:2]) <= 19
    )


@pytest.mark.parametrize("name", _examples())
async def test_example_queries_answer_on_the_demo_data(demo_api: GraphQLClient, name: str) -> None:
    text = (resources.files("reusegraph.api") / "examples" / name).read_text()
    assert text.startswith("#"), f"{name} must start with comments saying what it answers"
    data = await demo_api.data(text)
    assert all(value for value in data.values()), f"{name} answered nothing: {data}"
