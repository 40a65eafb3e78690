"""reuseCandidates: what a municipality could take over, ranked, explained, and only if visible."""

from datetime import date
from typing import Any

import pytest
from sqlalchemy import event, insert

from reusegraph.store.demo.facts import SKANDERBORG_PROCESS_ID, SYDDJURS_PROCESS_ID
from reusegraph.store.engine import Database
from reusegraph.store.models import municipality_it_system, municipality_technology
from tests.support import builders as b
from tests.support.http import GraphQLClient
from tests.support.viewers import READER, member, run_as

CANDIDATES = """
query ($m: String!, $first: Int, $w: ReuseCandidateWeights) {
  reuseCandidates(municipality: $m, first: $first, weights: $w) {
    score inImplementation matchedCodes reuseCount realisedHours
    parts { realisedHours reuse systems codes assessment }
    matchedItSystems { code } matchedTechnologies { code }
    contact { name email }
    process { id title phase municipality { code } }
  }
}
"""
M = "DK-0101"


def gid(row: dict[str, Any]) -> str:
    return f"Process:{row['id']}"


async def _world(db: Database) -> dict[str, dict[str, Any]]:
    p = b.process
    rows = {
        "fit": p("DK-0102", kle="27.24.00", contact_name="Kari", contact_email="kari@x.dk"),
        "proven": p("DK-0103"),
        "implementing": p("DK-0102", phase="IMPLEMENTATION"),
        "idea": p("DK-0102", phase="IDEA"),
        "foreign_system": p("DK-0102"),
        "foreign_tech": p("DK-0102"),
        "bare": p("DK-0102"),
        "own": p(M),
        "own_idea": p(M, phase="IDEA", kle="27.24.00"),
        "taken_direct": p("DK-0102"),
        "taken_ancestor": p("DK-0103"),
        "internal": p("DK-0102", visibility="MUNICIPALITY"),
        "personal": p("DK-0102", visibility="PERSONAL", reporter="kari"),
        "reuser_public": p("NO-0301"),
        "reuser_internal": p("DK-0102", visibility="MUNICIPALITY"),
    }
    systems = {
        "fit": ["oko"],
        "proven": ["esdh", "oko"],
        "implementing": ["esdh"],
        "idea": ["esdh"],
        "foreign_system": ["esdh", "sofie"],
        "foreign_tech": ["oko"],
        "own": ["esdh"],
        "taken_direct": ["oko"],
        "taken_ancestor": ["oko"],
        "internal": ["oko"],
        "personal": ["oko"],
    }
    techs = {name: ["rpa"] for name in systems}
    techs["foreign_tech"] = ["rpa", "ocr"]
    fit = rows["fit"]["id"]
    await b.insert_rows(
        db,
        it_system=[{"code": c, "name": c.upper()} for c in ("esdh", "oko", "sofie")],
        technology=[{"code": "rpa", "name": "RPA"}, {"code": "ocr", "name": "OCR"}],
        municipality=[b.municipality(c) for c in (M, "DK-0102", "DK-0103", "NO-0301")],
        process=list(rows.values()),
        process_it_system=[
            {"process_id": rows[k]["id"], "it_system_code": s}
            for k, v in systems.items()
            for s in v
        ],
        process_technology=[
            {"process_id": rows[k]["id"], "technology_code": t} for k, v in techs.items() for t in v
        ],
        reuse_link=[
            b.reuse(rows["own"]["id"], rows["taken_direct"]["id"]),
            b.reuse(rows["taken_direct"]["id"], rows["taken_ancestor"]["id"]),
            b.reuse(rows["reuser_public"]["id"], rows["proven"]["id"]),
            b.reuse(rows["reuser_internal"]["id"], rows["proven"]["id"]),
        ],
        benefit_record=[
            b.benefit(fit, date(2024, 1, 1), 120),
            b.benefit(fit, date(2024, 2, 1), 80),
            b.benefit(fit, date(2024, 1, 1), 9999, kind="ESTIMATED"),
        ],
    )
    async with db.session(None) as session:
        await session.execute(
            insert(municipality_it_system),
            [{"municipality_code": M, "it_system_code": c} for c in ("esdh", "oko")],
        )
        await session.execute(
            insert(municipality_technology), [{"municipality_code": M, "technology_code": "rpa"}]
        )
    return rows


async def _candidates(db: Database, **viewer: Any) -> dict[str, dict[str, Any]]:
    result = await run_as(db, CANDIDATES, {"m": M}, **viewer)
    return {c["process"]["id"]: c for c in result.ok()["reuseCandidates"]}


async def test_only_runnable_unreused_processes_of_others_are_candidates(
    empty_db: Database,
) -> None:
    rows = await _world(empty_db)
    found = await _candidates(empty_db)
    assert set(found) == {gid(rows[k]) for k in ("fit", "proven", "implementing")}
    assert found[gid(rows["implementing"])]["inImplementation"] is True
    assert found[gid(rows["fit"])]["inImplementation"] is False


async def test_reader_never_sees_internal_or_personal_candidates(empty_db: Database) -> None:
    rows = await _world(empty_db)
    expected = {gid(rows[k]) for k in ("fit", "proven", "implementing")}
    assert set(await _candidates(empty_db, viewer=READER)) == expected
    assert set(await _candidates(empty_db, viewer=member("DK-0103"))) == expected
    insider = await _candidates(empty_db, viewer=member("DK-0102"))
    assert set(insider) == expected | {gid(rows["internal"])}
    reporter = await _candidates(empty_db, viewer=member("DK-0102", "kari"))
    assert set(reporter) == expected | {gid(rows["internal"]), gid(rows["personal"])}


async def test_reuse_count_only_counts_processes_the_viewer_may_read(empty_db: Database) -> None:
    rows = await _world(empty_db)
    proven = gid(rows["proven"])
    assert (await _candidates(empty_db))[proven]["reuseCount"] == 1
    assert (await _candidates(empty_db, viewer=member("DK-0102")))[proven]["reuseCount"] == 2


async def test_each_candidate_explains_itself(empty_db: Database) -> None:
    rows = await _world(empty_db)
    fit = (await _candidates(empty_db))[gid(rows["fit"])]
    assert fit["matchedItSystems"] == [{"code": "oko"}]
    assert fit["matchedTechnologies"] == [{"code": "rpa"}]
    assert fit["matchedCodes"] == ["KLE 27.24.00"]
    assert fit["realisedHours"] == 200.0
    assert fit["reuseCount"] == 0
    assert fit["contact"] == {"name": "Kari", "email": "kari@x.dk"}
    assert fit["parts"]["codes"] == 1.0
    assert fit["parts"]["systems"] == pytest.approx(2 / 3)
    assert 0 < fit["parts"]["realisedHours"] < 1
    assert fit["parts"]["reuse"] == 0.0
    parts, weights = fit["parts"], (3, 2, 2, 1, 1)
    values = (parts[k] for k in ("realisedHours", "reuse", "systems", "codes", "assessment"))
    weighted = sum(w * v for w, v in zip(weights, values, strict=True)) / sum(weights)
    assert fit["score"] == pytest.approx(weighted)


async def test_weights_change_the_ranking(empty_db: Database) -> None:
    rows = await _world(empty_db)

    async def best(weights: dict[str, float]) -> str:
        result = await run_as(empty_db, CANDIDATES, {"m": M, "w": weights, "first": 1})
        return str(result.ok()["reuseCandidates"][0]["process"]["id"])

    nothing = {"realisedHours": 0, "reuse": 0, "systems": 0, "codes": 0, "assessment": 0}
    assert await best({**nothing, "realisedHours": 1}) == gid(rows["fit"])
    assert await best({**nothing, "reuse": 1}) == gid(rows["proven"])
    result = await run_as(empty_db, CANDIDATES, {"m": M})
    scores = [c["score"] for c in result.ok()["reuseCandidates"]]
    assert scores == sorted(scores, reverse=True)


@pytest.mark.parametrize(
    ("variables", "argument", "says"),
    [
        ({"m": "DK-0999"}, "municipality", "'DK-0999'"),
        ({"m": "Skanderborg"}, "municipality", "'Skanderborg'"),
        ({"m": M, "w": {"reuse": 11}}, "weights.reuse", "between 0 and 10"),
        ({"m": M, "w": {"codes": -1}}, "weights.codes", "between 0 and 10"),
        (
            {
                "m": M,
                "w": {"realisedHours": 0, "reuse": 0, "systems": 0, "codes": 0, "assessment": 0},
            },
            "weights",
            "at least one weight",
        ),
        ({"m": M, "first": 501}, "first", "between 0 and 500"),
    ],
)
async def test_bad_arguments_are_named(
    empty_db: Database, variables: dict[str, Any], argument: str, says: str
) -> None:
    await _world(empty_db)
    error = (await run_as(empty_db, CANDIDATES, variables)).error()
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["argument"] == argument
    assert says in error["message"]


async def test_a_known_municipality_without_candidates_gets_an_empty_list(
    empty_db: Database,
) -> None:
    await _world(empty_db)
    result = await run_as(empty_db, CANDIDATES, {"m": "NO-0301"})
    assert result.ok()["reuseCandidates"] == []


async def test_statements_do_not_grow_with_the_number_of_candidates(empty_db: Database) -> None:
    await _world(empty_db)
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    event.listen(empty_db.request_engine.sync_engine, "before_cursor_execute", count)
    sizes = []
    for first in (1, 3):
        statements.clear()
        result = await run_as(empty_db, CANDIDATES, {"m": M, "first": first})
        assert len(result.ok()["reuseCandidates"]) == first
        sizes.append(len(statements))
    assert sizes[0] == sizes[1], sizes
    assert sizes[1] <= 6, statements


async def test_randers_is_not_offered_what_it_already_reused(demo_api: GraphQLClient) -> None:
    data = await demo_api.data(CANDIDATES, {"m": "DK-0730", "first": 500})
    found = data["reuseCandidates"]
    assert found, "Randers uses RPA with its economy system and ESDH: something must fit"
    ids = {c["process"]["id"] for c in found}
    assert f"Process:{SKANDERBORG_PROCESS_ID}" not in ids
    assert f"Process:{SYDDJURS_PROCESS_ID}" not in ids
    for candidate in found:
        assert candidate["process"]["municipality"]["code"] != "DK-0730"
        assert candidate["process"]["phase"] in ("OPERATION", "IMPLEMENTATION")
        systems = {s["code"] for s in candidate["matchedItSystems"]}
        assert systems <= {"okonomisystem", "esdh"}
        assert {t["code"] for t in candidate["matchedTechnologies"]} <= {"rpa"}
