"""``first: 0`` and the largest ``first`` in the store itself, not only behind the schema.

The app answers ``first: 0`` on list fields with ``[]`` before resolvers run
(``answer_empty_lists_for_first_zero``); that hid an ``OFFSET -1`` in the leaderboard and
an IndexError in similar processes. These tests call the store functions directly, and
run GraphQL on a schema without that wrapper, so each stays correct on its own.
"""

from typing import Any

import pytest

from reusegraph.auth.principal import ANONYMOUS, Principal
from reusegraph.schema import build_schema
from reusegraph.schema.core.pagination import MAX_FIRST
from reusegraph.store import candidates, changes, network, shared_problems, similarity
from reusegraph.store.demo.facts import SKANDERBORG_PROCESS_ID
from reusegraph.store.engine import Database
from tests.support.viewers import READER, SCHEMA, member, run_as

VIEWERS = [ANONYMOUS, READER, member("DK-0746"), member("NO-5001")]
VIEWER_IDS = ["anonymous", "reader", "member-DK-0746", "member-NO-5001"]


@pytest.mark.parametrize("viewer", VIEWERS, ids=VIEWER_IDS)
async def test_the_store_answers_nothing_for_first_zero(
    demo_db: Database, viewer: Principal
) -> None:
    """Nothing listed, and whatever says "there is more" still says so."""
    async with demo_db.read(viewer) as reader:
        assert await network.leaderboard(reader, viewer, network.Period(), first=0) == []
        probe = await similarity.probe(reader, viewer, SKANDERBORG_PROCESS_ID)
        assert probe is not None
        assert await similarity.similar_to(reader, viewer, probe, first=0) == []
        weights = candidates.CandidateWeights()
        assert await candidates.candidates_for(reader, viewer, "NO-5001", weights, first=0) == []
        query = shared_problems.SharedProblemQuery()
        assert await shared_problems.shared_problems(reader, query, first=0) == []
        page = await network.graph_links(reader, viewer, None, network.Period(), first=0)
        assert (page.links, page.more) == ([], True)
        around = await network.graph_links(reader, viewer, ["DK-0746"], network.Period(), first=0)
        assert around.links == []
        assert around.more
        assert around.touching
        feed = await changes.changes(reader, viewer, since=changes.START, first=0)
        assert (feed.upserts, feed.tombstones, feed.has_more) == ([], [], True)


async def test_the_smallest_and_largest_first_agree_on_the_best(demo_db: Database) -> None:
    """``first: 1`` is the head of ``first: MAX_FIRST``, and neither goes past its ``first``."""
    viewer = member("DK-0746")
    async with demo_db.read(viewer) as reader:
        one = await network.leaderboard(reader, viewer, network.Period(), first=1)
        most = await network.leaderboard(reader, viewer, network.Period(), first=MAX_FIRST)
        assert len(one) == 1
        assert 1 < len(most) <= MAX_FIRST
        assert one[0].row.id == most[0].row.id
        counts = [leader.municipality_count for leader in most]
        assert counts == sorted(counts, reverse=True)

        probe = await similarity.probe(reader, viewer, SKANDERBORG_PROCESS_ID)
        assert probe is not None
        best = await similarity.similar_to(reader, viewer, probe, first=1)
        found = await similarity.similar_to(reader, viewer, probe, first=MAX_FIRST)
        assert len(best) == 1
        assert 1 < len(found) <= MAX_FIRST
        assert best[0].row.id == found[0].row.id


FIRST_ZERO = """
query ($process: ID!) {
  reuseLeaderboard(first: 0) { linkCount process { id } }
  similarProcesses(id: $process, first: 0) { score process { id } }
  reuseCandidates(municipality: "NO-5001", first: 0) { score }
  sharedProblems(first: 0) { subject }
  reuseGraph(first: 0) { links { kind } processes { id } truncated endCursor }
  processes(first: 0) {
    totalCount nodes { id } edges { cursor }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
  all: processes(first: 1) { totalCount }
  changes(first: 0) { upserts { id } tombstones { id } cursor hasMore }
  start: changes(first: 0, since: null) { cursor }
}
"""


def test_this_schema_runs_the_resolvers_themselves() -> None:
    """The schema ``run_as`` executes has no ``[]``-at-zero wrapper (the app adds it)."""
    for schema in (SCHEMA, build_schema()):
        query = schema._schema.query_type
        assert query is not None
        for name in ("reuseLeaderboard", "similarProcesses"):
            resolve = query.fields[name].resolve
            assert not getattr(resolve, "_empty_at_zero", False)


@pytest.mark.parametrize("viewer", VIEWERS, ids=VIEWER_IDS)
async def test_first_zero_answers_empty_lists_of_the_right_shape(
    demo_db: Database, viewer: Principal
) -> None:
    process = f"Process:{SKANDERBORG_PROCESS_ID}"
    data: dict[str, Any] = (await run_as(demo_db, FIRST_ZERO, {"process": process}, viewer)).ok()
    assert data["reuseLeaderboard"] == []
    assert data["similarProcesses"] == []
    assert data["reuseCandidates"] == []
    assert data["sharedProblems"] == []
    assert data["reuseGraph"] == {
        "links": [],
        "processes": [],
        "truncated": True,
        "endCursor": None,
    }
    feed = data["changes"]
    assert (feed["upserts"], feed["tombstones"], feed["hasMore"]) == ([], [], True)
    assert feed["cursor"] == data["start"]["cursor"]  # nothing handed out: ask again from here
    processes = data["processes"]
    assert processes["nodes"] == []
    assert processes["edges"] == []
    assert processes["totalCount"] == data["all"]["totalCount"] > 0
    assert processes["pageInfo"] == {
        "hasNextPage": True,
        "hasPreviousPage": False,
        "startCursor": None,
        "endCursor": None,
    }
