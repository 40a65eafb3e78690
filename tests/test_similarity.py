"""similarProcesses: the same problem solved elsewhere, found by text, title, codes, systems."""

from typing import Any

from sqlalchemy import event

from reusegraph.store.demo.facts import (
    RANDERS_PROCESS_ID,
    SKANDERBORG_PROCESS_ID,
    SYDDJURS_PROCESS_ID,
)
from reusegraph.store.demo.facts_trondheim import pid as trondheim_id
from reusegraph.store.engine import Database
from reusegraph.store.similarity import TITLE_ROUTE
from tests.support import builders as b
from tests.support.http import GraphQLClient
from tests.support.viewers import READER, member, run_as

SIMILAR = """
query ($id: ID!, $first: Int) {
  similarProcesses(id: $id, first: $first) {
    score textSimilarity titleSimilarity codeSimilarity itSystemSimilarity
    matchedTerms matchedCodes matchedItSystems { code }
    process { id title visibility municipality { code } }
  }
}
"""


def gid(process_id: Any) -> str:
    return f"Process:{process_id}"


async def test_danish_certificate_invoices_find_the_other_municipalities_versions(
    demo_api: GraphQLClient,
) -> None:
    data = await demo_api.data(SIMILAR, {"id": gid(SKANDERBORG_PROCESS_ID), "first": 10})
    found = data["similarProcesses"]
    ids = [item["process"]["id"] for item in found]
    assert ids[:2] == [gid(SYDDJURS_PROCESS_ID), gid(RANDERS_PROCESS_ID)]
    for item in found[:7]:
        assert "lægeerklæringer" in item["process"]["title"]
        assert item["process"]["municipality"]["code"] != "DK-0746"
        assert "lægeerklæring" in item["matchedTerms"]
        assert item["matchedCodes"] == ["KLE 27.24.00"]
    scores = [item["score"] for item in found]
    assert scores == sorted(scores, reverse=True)
    assert all(0 < s <= 1 for s in scores)


async def test_randers_finds_skanderborg_and_syddjurs(demo_api: GraphQLClient) -> None:
    data = await demo_api.data(SIMILAR, {"id": gid(RANDERS_PROCESS_ID), "first": 2})
    ids = {item["process"]["id"] for item in data["similarProcesses"]}
    assert ids == {gid(SKANDERBORG_PROCESS_ID), gid(SYDDJURS_PROCESS_ID)}


async def test_norwegian_covid_test_finds_the_vaccine_process(demo_api: GraphQLClient) -> None:
    data = await demo_api.data(SIMILAR, {"id": gid(trondheim_id("covid19-test")), "first": 3})
    best = data["similarProcesses"][0]
    assert best["process"]["id"] == gid(trondheim_id("covid19-vaksine"))
    assert {"smittevernjournal", "hspro"} <= set(best["matchedTerms"])
    assert [s["code"] for s in best["matchedItSystems"]] == ["hspro"]


async def _world(db: Database) -> dict[str, Any]:
    title = "Sygedagpenge refusion til arbejdsgivere"
    rows = {
        "probe": b.process("DK-0101", title=title, kle="15.00.00"),
        "public": b.process("DK-0102", title=title),
        "internal": b.process("DK-0102", title=title, visibility="MUNICIPALITY"),
        "personal": b.process("DK-0102", title=title, visibility="PERSONAL", reporter="kari"),
        "same_code": b.process("DK-0103", title="Noget helt andet", kle="15.00.00"),
        "same_system": b.process("DK-0103", title="Vejvedligeholdelse"),
        "spelling": b.process("NO-0301", title="Sygedagpengerefusjon"),
        "unrelated": b.process("NO-0301", title="Brøyting av veier"),
    }
    rows["probe_alone"] = b.process("DK-0101", title="Sygedagpengerefusion")
    await b.insert_rows(
        db,
        it_system=[{"code": "ydelse", "name": "Ydelsessystem"}],
        municipality=[b.municipality(c) for c in ("DK-0101", "DK-0102", "DK-0103", "NO-0301")],
        process=list(rows.values()),
        process_it_system=[
            {"process_id": rows[k]["id"], "it_system_code": "ydelse"}
            for k in ("probe", "public", "same_system")
        ],
    )
    return {k: gid(v["id"]) for k, v in rows.items()}


async def _titles_seen(db: Database, probe: str, **viewer: Any) -> set[str]:
    result = await run_as(db, SIMILAR, {"id": probe, "first": 50}, **viewer)
    return {item["process"]["id"] for item in result.ok()["similarProcesses"]}


async def test_reader_and_anonymous_never_see_internal_or_personal_processes(
    empty_db: Database,
) -> None:
    ids = await _world(empty_db)
    expected = {ids["public"], ids["same_code"]}
    assert await _titles_seen(empty_db, ids["probe"]) == expected
    assert await _titles_seen(empty_db, ids["probe"], viewer=READER) == expected


async def test_members_see_their_own_municipalitys_processes(empty_db: Database) -> None:
    ids = await _world(empty_db)
    own = await _titles_seen(empty_db, ids["probe"], viewer=member("DK-0102"))
    assert own == {ids["public"], ids["internal"], ids["same_code"]}
    reporter = await _titles_seen(empty_db, ids["probe"], viewer=member("DK-0102", "kari"))
    assert reporter == {ids["public"], ids["internal"], ids["personal"], ids["same_code"]}
    other = await _titles_seen(empty_db, ids["probe"], viewer=member("DK-0103"))
    assert other == {ids["public"], ids["same_code"]}


async def test_parts_say_what_matched(empty_db: Database) -> None:
    ids = await _world(empty_db)
    result = await run_as(empty_db, SIMILAR, {"id": ids["probe"]})
    by_id = {i["process"]["id"]: i for i in result.ok()["similarProcesses"]}
    twin = by_id[ids["public"]]
    assert twin["titleSimilarity"] == 1.0
    assert twin["textSimilarity"] == 1.0
    assert twin["itSystemSimilarity"] == 1.0
    assert twin["codeSimilarity"] == 0.0
    assert [s["code"] for s in twin["matchedItSystems"]] == ["ydelse"]
    assert twin["score"] == 0.4 + 0.3 + 0.1
    code_only = by_id[ids["same_code"]]
    assert code_only["matchedCodes"] == ["KLE 15.00.00"]
    assert code_only["codeSimilarity"] == 1.0
    assert code_only["matchedTerms"] == []
    assert code_only["score"] == 0.2 + 0.3 * code_only["titleSimilarity"]


async def test_a_near_identical_title_is_found_without_a_shared_word(empty_db: Database) -> None:
    ids = await _world(empty_db)
    result = await run_as(empty_db, SIMILAR, {"id": ids["probe_alone"]})
    by_id = {i["process"]["id"]: i for i in result.ok()["similarProcesses"]}
    spelling = by_id[ids["spelling"]]
    assert spelling["matchedTerms"] == []
    assert spelling["titleSimilarity"] >= 0.7


async def test_a_shared_it_system_alone_is_not_similarity(empty_db: Database) -> None:
    ids = await _world(empty_db)
    seen = await _titles_seen(empty_db, ids["probe"])
    assert ids["same_system"] not in seen
    assert ids["unrelated"] not in seen


async def test_unknown_invisible_or_malformed_ids_are_bad_input(empty_db: Database) -> None:
    ids = await _world(empty_db)
    unknown = "Process:00000000-0000-0000-0000-000000000000"
    for asked in (unknown, ids["internal"]):
        error = (await run_as(empty_db, SIMILAR, {"id": asked})).error()
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        assert asked in error["message"]
    error = (await run_as(empty_db, SIMILAR, {"id": "Vendor:x"})).error()
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    error = (await run_as(empty_db, SIMILAR, {"id": ids["probe"], "first": 501})).error()
    assert error["extensions"] == {
        "code": "BAD_USER_INPUT",
        "argument": "first",
        "requestId": "test",
    }


async def test_statements_do_not_grow_with_the_number_of_results(empty_db: Database) -> None:
    probe = b.process("DK-0101", title="Kontrol af lønudbetalinger", kle="81.00.00")
    others = [
        b.process(f"DK-0{n}", title="Kontrol af lønudbetalinger", kle="81.00.00")
        for n in range(110, 140)
    ]
    await b.insert_rows(
        empty_db,
        it_system=[{"code": "lon", "name": "Lønsystem"}],
        municipality=[b.municipality(p["municipality_code"]) for p in [probe, *others]],
        process=[probe, *others],
        process_it_system=[{"process_id": p["id"], "it_system_code": "lon"} for p in others],
    )
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    event.listen(empty_db.request_engine.sync_engine, "before_cursor_execute", count)
    sizes = []
    for first in (1, 30):
        statements.clear()
        result = await run_as(empty_db, SIMILAR, {"id": gid(probe["id"]), "first": first})
        assert len(result.ok()["similarProcesses"]) == first
        sizes.append(len(statements))
    assert sizes[0] == sizes[1], sizes
    assert sizes[1] <= 6, statements


async def test_a_danish_title_finds_its_norwegian_spelling_above_the_title_route(
    empty_db: Database,
) -> None:
    danish = b.process("DK-0101", title="Sygefravær")
    norwegian = b.process("NO-0301", title="Sykefravær")
    await b.insert_rows(
        empty_db,
        municipality=[b.municipality(c) for c in ("DK-0101", "NO-0301")],
        process=[danish, norwegian],
    )
    for probe, other in ((danish, norwegian), (norwegian, danish)):
        result = await run_as(empty_db, SIMILAR, {"id": gid(probe["id"])})
        found = result.ok()["similarProcesses"]
        assert [item["process"]["id"] for item in found] == [gid(other["id"])]
        assert found[0]["matchedTerms"] == []  # the stems differ: the folded title finds it
        assert found[0]["titleSimilarity"] >= TITLE_ROUTE
