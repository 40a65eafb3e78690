"""Every processes filter, search and order, against real PostgreSQL."""

import uuid
from datetime import date
from typing import Any

import pytest

from reusegraph.store.engine import Database
from tests.support import builders as b
from tests.support.http import GraphQLClient

TITLES = "query ($f: ProcessFilter, $s: String) { processes(filter: $f, search: $s) { totalCount nodes { title } } }"


@pytest.fixture
async def client(empty_db: Database, api: GraphQLClient) -> GraphQLClient:
    vendor = {"id": uuid.uuid4(), "name": "Robot A/S", "country": "DK"}
    skanderborg = b.process(
        "DK-0746",
        title="Godkendelse af fakturaer på lægeerklæringer",
        summary="Robotten godkender fakturaer for lægeerklæringer",
        phase="OPERATION",
        status="INPROGRESS",
        domains=["ECONOMY", "HEALTH"],
        kle="27.24.00",
        vendor_id=vendor["id"],
        runs_per_year=2000,
        minutes_per_run=5,
        automation_percentage=90,
    )
    syddjurs = b.process(
        "DK-0706", title="Lægeerklæringer: fakturakontrol", phase="DEVELOPMENT", kle="27.24.10"
    )
    trondheim = b.process(
        "NO-5001",
        title="Kontrollrapport lønn",
        description="Roboten kontrollerer lønnskjøringen",
        phase="OPERATION",
        domains=["HR"],
        k_codes=["F00"],
        runs_per_year=12,
        minutes_per_run=600,
        automation_percentage=50,
    )
    idea = b.process(
        "NO-5001", title="Saksprotokoller", phase="IDEA", status="PENDING", domains=["DEMOCRACY"]
    )
    hidden = b.process("NO-5001", title="Skjult lønn", visibility="MUNICIPALITY")
    personal = b.process("NO-5001", title="Personlig lønn", visibility="PERSONAL")
    await b.insert_rows(
        empty_db,
        it_system=[{"code": "esa", "name": "ESA"}, {"code": "sofie", "name": "SOFIE"}],
        technology=[{"code": "rpa", "name": "RPA"}],
        municipality=[b.municipality(c) for c in ("DK-0746", "DK-0706", "NO-5001")],
        process=[skanderborg, syddjurs, trondheim, idea, hidden, personal],
        process_it_system=[{"process_id": trondheim["id"], "it_system_code": "esa"}],
        process_technology=[
            {"process_id": p["id"], "technology_code": "rpa"} for p in (skanderborg, trondheim)
        ],
        reuse_link=[b.reuse(syddjurs["id"], skanderborg["id"], "BUILDING_BLOCKS")],
        vendor=[vendor],
    )
    api.vendor_id = f"Vendor:{vendor['id']}"  # type: ignore[attr-defined]
    return api


async def titles(
    client: GraphQLClient, filter: dict[str, Any] | None = None, search: str | None = None
) -> set[str]:
    data = await client.data(TITLES, {"f": filter, "s": search})
    found = {n["title"] for n in data["processes"]["nodes"]}
    assert data["processes"]["totalCount"] == len(found)
    return found


@pytest.mark.parametrize(
    ("filter", "expected"),
    [
        (
            {"municipality": ["DK-0746", "DK-0706"]},
            {"Godkendelse af fakturaer på lægeerklæringer", "Lægeerklæringer: fakturakontrol"},
        ),
        ({"country": ["NO"]}, {"Kontrollrapport lønn", "Saksprotokoller"}),
        (
            {"phase": ["IDEA", "DEVELOPMENT"]},
            {"Saksprotokoller", "Lægeerklæringer: fakturakontrol"},
        ),
        ({"status": ["PENDING"]}, {"Saksprotokoller"}),
        ({"domain": ["HR", "DEMOCRACY"]}, {"Kontrollrapport lønn", "Saksprotokoller"}),
        (
            {"technology": ["rpa"], "country": ["DK"]},
            {"Godkendelse af fakturaer på lægeerklæringer"},
        ),
        ({"itSystem": ["esa"]}, {"Kontrollrapport lønn"}),
        ({"itSystem": ["sofie"]}, set()),
        (
            {"kle": ["27.24"]},
            {"Godkendelse af fakturaer på lægeerklæringer", "Lægeerklæringer: fakturakontrol"},
        ),
        ({"kle": ["27.24.10"]}, {"Lægeerklæringer: fakturakontrol"}),
        (
            {"hasReuse": True},
            {"Godkendelse af fakturaer på lægeerklæringer", "Lægeerklæringer: fakturakontrol"},
        ),
        ({"hasReuse": False}, {"Kontrollrapport lønn", "Saksprotokoller"}),
        ({"updatedSince": "2030-01-01T00:00:00+00:00"}, set()),
    ],
)
async def test_filter(client: GraphQLClient, filter: dict[str, Any], expected: set[str]) -> None:
    assert await titles(client, filter) == expected


async def test_vendor_filter(client: GraphQLClient) -> None:
    vendor_id = client.vendor_id  # type: ignore[attr-defined]
    assert await titles(client, {"vendor": [vendor_id]}) == {
        "Godkendelse af fakturaer på lægeerklæringer"
    }


async def test_anonymous_readers_see_only_public_processes(client: GraphQLClient) -> None:
    found = await titles(client)
    assert "Skjult lønn" not in found
    assert "Personlig lønn" not in found
    assert len(found) == 4


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        (
            "lægeerklæring",
            {"Godkendelse af fakturaer på lægeerklæringer", "Lægeerklæringer: fakturakontrol"},
        ),
        ("fakturaer", {"Godkendelse af fakturaer på lægeerklæringer"}),
        ("lønnskjøring", {"Kontrollrapport lønn"}),
        ("lønn", {"Kontrollrapport lønn"}),
        ("spaceship", set()),
    ],
)
async def test_full_text_search_in_danish_and_norwegian(
    client: GraphQLClient, search: str, expected: set[str]
) -> None:
    assert await titles(client, search=search) == expected


@pytest.mark.parametrize(
    ("title", "search"),
    [
        ("Registrering af sygefravær", "sykefravær"),
        ("Registrering av sykefravær", "sygefravær"),
        ("Optag i børnehave", "barnehage"),
        ("Behandling av søknad om barnehageplass", "ansøgning"),
    ],
)
async def test_search_finds_the_other_languages_spelling(
    empty_db: Database, api: GraphQLClient, title: str, search: str
) -> None:
    await b.insert_rows(
        empty_db,
        municipality=[b.municipality("DK-0746")],
        process=[b.process("DK-0746", title=title), b.process("DK-0746", title="Fakturakontrol")],
    )
    assert await titles(api, search=search) == {title}


async def test_search_ranks_title_matches_first(client: GraphQLClient) -> None:
    data = await client.data(
        '{ processes(search: "lægeerklæringer fakturaer") { nodes { title } } }'
    )
    assert data["processes"]["nodes"][0]["title"] == "Godkendelse af fakturaer på lægeerklæringer"


async def test_keyset_pages_cover_everything_once(client: GraphQLClient) -> None:
    seen: list[str] = []
    after = None
    query = "query ($a: String) { processes(first: 1, after: $a, orderBy: {field: TITLE, direction: ASC}) { pageInfo { hasNextPage endCursor } nodes { title } } }"
    for _ in range(10):
        data = (await client.data(query, {"a": after}))["processes"]
        seen += [n["title"] for n in data["nodes"]]
        if not data["pageInfo"]["hasNextPage"]:
            break
        after = data["pageInfo"]["endCursor"]
    assert seen == sorted(seen)
    assert len(seen) == len(set(seen)) == 4


async def test_order_by_expected_hours(client: GraphQLClient) -> None:
    data = await client.data(
        "{ processes(orderBy: {field: EXPECTED_HOURS_PER_YEAR, direction: DESC}, first: 2) { nodes { title expectedHoursPerYear } } }"
    )
    nodes = data["processes"]["nodes"]
    assert nodes[0] == {
        "title": "Godkendelse af fakturaer på lægeerklæringer",
        "expectedHoursPerYear": 150.0,
    }
    assert nodes[1]["expectedHoursPerYear"] == 60.0


async def test_first_defaults_to_50_and_zero_returns_only_the_count(
    empty_db: Database, api: GraphQLClient
) -> None:
    await b.insert_rows(
        empty_db,
        municipality=[b.municipality("DK-0101")],
        process=[b.process("DK-0101") for _ in range(60)],
    )
    data = await api.data(
        "{ processes { totalCount nodes { title } pageInfo { hasNextPage } } none: processes(first: 0) { totalCount nodes { title } } }"
    )
    assert len(data["processes"]["nodes"]) == 50
    assert data["processes"]["pageInfo"]["hasNextPage"]
    assert data["none"] == {"totalCount": 60, "nodes": []}


async def test_lookup_by_id_node_and_lineage(client: GraphQLClient) -> None:
    data = await client.data('{ processes(search: "fakturakontrol") { nodes { id } } }')
    process_id = data["processes"]["nodes"][0]["id"]
    found = await client.data(
        "query ($id: ID!) { process(id: $id) { title reusedFrom { kind origin { title municipality { code } } } }"
        " node(id: $id) { ... on Process { title } } }",
        {"id": process_id},
    )
    assert found["process"]["reusedFrom"] == [
        {
            "kind": "BUILDING_BLOCKS",
            "origin": {
                "title": "Godkendelse af fakturaer på lægeerklæringer",
                "municipality": {"code": "DK-0746"},
            },
        }
    ]
    assert found["node"]["title"] == "Lægeerklæringer: fakturakontrol"
    unknown = await client.data(
        '{ process(id: "Process:00000000-0000-0000-0000-000000000000") { title } }'
    )
    assert unknown == {"process": None}


async def test_internal_fields_are_hidden_from_anonymous_readers(
    empty_db: Database, api: GraphQLClient
) -> None:
    await b.insert_rows(
        empty_db,
        municipality=[b.municipality("DK-0101")],
        process=[
            b.process(
                "DK-0101",
                internal_notes="secret",
                esdh_reference="2024-1",
                reporter="alice",
                contact_name="RPA team",
            )
        ],
    )
    data = await api.data(
        "{ processes { nodes { internalNotes caseReference reporter owner coEditors contact { name } } } }"
    )
    assert data["processes"]["nodes"] == [
        {
            "internalNotes": None,
            "caseReference": None,
            "reporter": None,
            "owner": None,
            "coEditors": None,
            "contact": {"name": "RPA team"},
        }
    ]


async def test_benefits_of_a_process(empty_db: Database, api: GraphQLClient) -> None:
    p = b.process("NO-5001", title="Covid-19 test")
    await b.insert_rows(
        empty_db,
        municipality=[b.municipality("NO-5001")],
        process=[p],
        benefit_record=[
            b.benefit(p["id"], date(2021, 4, 1), 1100, cases=30000),
            b.benefit(p["id"], date(2021, 5, 1), 1100, cases=31000),
            b.benefit(p["id"], date(2021, 5, 1), 900, kind="ESTIMATED"),
        ],
    )
    data = await api.data(
        "{ processes { nodes { totalHoursSaved estimated: totalHoursSaved(kind: ESTIMATED)"
        ' benefits(kind: MEASURED, from: "2021-05") { period hoursSaved cases fte }'
        " benefitSeries { months hoursSaved cases } } } }"
    )
    node = data["processes"]["nodes"][0]
    assert node["totalHoursSaved"] == 2200
    assert node["estimated"] == 900
    assert node["benefits"] == [
        {"period": "2021-05", "hoursSaved": 1100, "cases": 31000, "fte": 7.788}
    ]
    assert node["benefitSeries"] == {
        "months": ["2021-04", "2021-05"],
        "hoursSaved": [1100, 1100],
        "cases": [30000, 31000],
    }
