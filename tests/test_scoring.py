"""The Trondheim scoring model: `Process.score` and `processes(orderBy: SCORE)`."""

import math
from typing import Any

import pytest

from reusegraph.store.engine import Database
from reusegraph.store.enums import ASSESSMENT_FIELDS
from tests.support import builders as b
from tests.support.http import GraphQLClient
from tests.support.viewers import member, run_as

SCORE = """
query ($id: ID!, $w: ScoreWeights) {
  process(id: $id) {
    score(weights: $w) { total qualitativeGains economicGains implementationSpeed }
  }
}
"""
BY_SCORE = """
query ($m: [String!], $dir: OrderDirection!, $w: ScoreWeights, $first: Int, $after: String) {
  processes(filter: {municipality: $m}, orderBy: {field: SCORE, direction: $dir, weights: $w},
            first: $first, after: $after) {
    nodes { id title score(weights: $w) { total } }
    pageInfo { hasNextPage endCursor }
  }
}
"""
ALL_LEVELS = dict.fromkeys(ASSESSMENT_FIELDS, "NOT_SET")


def gid(row: dict[str, Any]) -> str:
    return f"Process:{row['id']}"


def best_case(municipality: str) -> dict[str, Any]:
    return b.process(
        municipality,
        title="Best case",
        level_of_speed="VERY_HIGH",
        level_of_routine_work_reduction="VERY_HIGH",
        level_of_quality="VERY_HIGH",
        level_of_structured_information="VERY_HIGH",
        level_of_professional_assessment="VERY_LOW",
        level_of_uniformity="VERY_LOW",
        level_of_change="VERY_LOW",
        level_of_digital_information="VERY_HIGH",
        evaluated_level_of_roi="VERY_HIGH",
        runs_per_year=12000,
        minutes_per_run=50,
        automation_percentage=100,
    )


async def _processes(db: Database) -> dict[str, dict[str, Any]]:
    origin = b.process("NO-0301", title="Internal origin", visibility="MUNICIPALITY")
    rows = {
        "best": best_case("NO-5001"),
        "blank": b.process("NO-5001", title="Not assessed", **ALL_LEVELS),
        "mixed": b.process(
            "NO-5001",
            title="Mixed",
            level_of_speed="HIGH",
            level_of_quality="LOW",
            level_of_routine_work_reduction="UNKNOWN",
            runs_per_year=1000,
            minutes_per_run=60,
            automation_percentage=100,
        ),
        "hours_only": b.process(
            "NO-5001", title="Hours only", runs_per_year=100, minutes_per_run=6,
            automation_percentage=100,
        ),
        "built_on_internal": b.process("NO-5001", title="Built on internal"),
        "origin": origin,
        "other_municipality": best_case("NO-0301"),
    }  # fmt: skip
    await b.insert_rows(
        db,
        municipality=[b.municipality("NO-5001"), b.municipality("NO-0301")],
        process=list(rows.values()),
        reuse_link=[
            b.reuse(rows["best"]["id"], rows["other_municipality"]["id"]),
            b.reuse(rows["built_on_internal"]["id"], origin["id"]),
        ],
    )
    return rows


async def _score(db: Database, row: dict[str, Any], **kwargs: Any) -> dict[str, float]:
    weights = kwargs.pop("weights", None)
    result = await run_as(db, SCORE, {"id": gid(row), "w": weights}, **kwargs)
    score: dict[str, float] = result.ok()["process"]["score"]
    return score


async def test_the_three_dimensions_come_from_the_assessment(empty_db: Database) -> None:
    rows = await _processes(empty_db)
    assert await _score(empty_db, rows["best"]) == {
        "total": 1.0,
        "qualitativeGains": 1.0,
        "economicGains": 1.0,
        "implementationSpeed": 1.0,
    }
    assert await _score(empty_db, rows["blank"]) == {
        "total": 0.0,
        "qualitativeGains": 0.0,
        "economicGains": 0.0,
        "implementationSpeed": 0.0,
    }
    mixed = await _score(empty_db, rows["mixed"])
    assert mixed["qualitativeGains"] == pytest.approx((2 / 3 + 1 / 3 + 0) / 3)
    assert mixed["economicGains"] == pytest.approx(math.log10(1001) / math.log10(10001))
    assert mixed["implementationSpeed"] == pytest.approx(0.0)
    hours = await _score(empty_db, rows["hours_only"])
    assert hours["economicGains"] == pytest.approx(math.log10(11) / math.log10(10001))


async def test_weights_are_relative(empty_db: Database) -> None:
    rows = await _processes(empty_db)
    only_money = {"qualitativeGains": 0, "economicGains": 1, "implementationSpeed": 0}
    mixed = await _score(empty_db, rows["mixed"], weights=only_money)
    assert mixed["total"] == pytest.approx(mixed["economicGains"])
    double = await _score(empty_db, rows["mixed"], weights={"economicGains": 2})
    expected = (mixed["qualitativeGains"] + 2 * mixed["economicGains"]) / 4
    assert double["total"] == pytest.approx(expected)


async def test_reuse_counts_only_when_the_viewer_can_read_the_origin(empty_db: Database) -> None:
    rows = await _processes(empty_db)
    anonymous = await _score(empty_db, rows["built_on_internal"])
    assert anonymous["implementationSpeed"] == 0.0
    insider = await _score(empty_db, rows["built_on_internal"], viewer=member("NO-0301"))
    assert insider["implementationSpeed"] == pytest.approx(1 / 5)


async def test_order_by_score_ranks_within_a_municipality(empty_db: Database) -> None:
    rows = await _processes(empty_db)
    variables = {"m": ["NO-5001"], "dir": "DESC", "first": 10}
    nodes = (await run_as(empty_db, BY_SCORE, variables)).ok()["processes"]["nodes"]
    assert [n["id"] for n in nodes[:3]] == [gid(rows[k]) for k in ("best", "mixed", "hours_only")]
    totals = [n["score"]["total"] for n in nodes]
    assert totals == sorted(totals, reverse=True)
    assert {n["id"] for n in nodes} == {
        gid(rows[k]) for k in ("best", "blank", "mixed", "hours_only", "built_on_internal")
    }
    ascending = (await run_as(empty_db, BY_SCORE, {**variables, "dir": "ASC"})).ok()
    assert ascending["processes"]["nodes"][-1]["id"] == gid(rows["best"])


async def test_pages_by_score_follow_on_and_keep_their_weights(empty_db: Database) -> None:
    await _processes(empty_db)
    weights = {"qualitativeGains": 3, "economicGains": 1, "implementationSpeed": 0}
    base = {"m": ["NO-5001"], "dir": "DESC", "w": weights}
    whole = (await run_as(empty_db, BY_SCORE, {**base, "first": 10})).ok()["processes"]
    seen: list[str] = []
    after = None
    while True:
        page = (await run_as(empty_db, BY_SCORE, {**base, "first": 2, "after": after})).ok()
        seen += [n["id"] for n in page["processes"]["nodes"]]
        if not page["processes"]["pageInfo"]["hasNextPage"]:
            break
        after = page["processes"]["pageInfo"]["endCursor"]
    assert seen == [n["id"] for n in whole["nodes"]]
    other = {**base, "w": {"economicGains": 2}, "first": 2, "after": after}
    error = (await run_as(empty_db, BY_SCORE, other)).error()
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["argument"] == "after"


@pytest.mark.parametrize(
    ("query", "variables", "argument"),
    [
        (SCORE, {"w": {"economicGains": 10.5}}, "weights.economicGains"),
        (SCORE, {"w": {"qualitativeGains": -0.1}}, "weights.qualitativeGains"),
        (
            SCORE,
            {"w": {"qualitativeGains": 0, "economicGains": 0, "implementationSpeed": 0}},
            "weights",
        ),
        (
            BY_SCORE,
            {"dir": "DESC", "w": {"implementationSpeed": 11}},
            "orderBy.weights.implementationSpeed",
        ),
    ],
)
async def test_weights_out_of_range_are_bad_input(
    empty_db: Database, query: str, variables: dict[str, Any], argument: str
) -> None:
    rows = await _processes(empty_db)
    error = (await run_as(empty_db, query, {"id": gid(rows["best"]), **variables})).error()
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["argument"] == argument
    assert "0 and 10" in error["message"] or "above 0" in error["message"]


async def test_trondheims_covid_robots_score_highest_in_the_demo(demo_api: GraphQLClient) -> None:
    data = await demo_api.data(BY_SCORE, {"m": ["NO-5001"], "dir": "DESC", "first": 3})
    titles = [n["title"] for n in data["processes"]["nodes"]]
    assert all(t.startswith("Covid-19") for t in titles), titles
