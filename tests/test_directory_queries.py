"""The other root queries and their filters: municipalities, vendors, agreements, meetings,
node, sources and the vocabularies, over the demo data."""

from typing import Any

from tests.support.http import GraphQLClient


async def _nodes(
    client: GraphQLClient, query: str, variables: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    data = await client.data(query, variables)
    (connection,) = data.values()
    nodes: list[dict[str, Any]] = connection["nodes"]
    assert connection["totalCount"] == len(nodes) or connection["pageInfo"]["hasNextPage"]
    return nodes


async def test_municipalities_filtered_by_country_name_and_what_they_use(
    demo_api: GraphQLClient,
) -> None:
    found = await _nodes(
        demo_api,
        '{ municipalities(filter: {country: [NO], nameContains: "bergen"}) { totalCount pageInfo { hasNextPage } nodes { code name itSystems { code } technologies { code } processCount } } }',
    )
    assert [m["code"] for m in found] == ["NO-4601"]
    users = await _nodes(
        demo_api,
        '{ municipalities(filter: {usesItSystem: ["sofie"]}, first: 100) { totalCount pageInfo { hasNextPage } nodes { code itSystems { code } } } }',
    )
    assert users
    assert all("sofie" in {s["code"] for s in m["itSystems"]} for m in users)
    rpa = await _nodes(
        demo_api,
        '{ municipalities(filter: {usesTechnology: ["rpa"], code: ["NO-5001", "DK-0746"]}) { totalCount pageInfo { hasNextPage } nodes { code } } }',
    )
    assert {m["code"] for m in rpa} == {"NO-5001", "DK-0746"}


async def test_municipalities_page_in_code_order(demo_api: GraphQLClient) -> None:
    first = await demo_api.data(
        "{ municipalities(first: 5) { pageInfo { endCursor hasNextPage } nodes { code } } }"
    )
    page = first["municipalities"]
    rest = await demo_api.data(
        "query ($a: String) { municipalities(first: 5, after: $a) { nodes { code } } }",
        {"a": page["pageInfo"]["endCursor"]},
    )
    codes = [m["code"] for m in page["nodes"] + rest["municipalities"]["nodes"]]
    assert codes == sorted(codes)
    assert len(set(codes)) == 10


async def test_vendors_with_their_agreements(demo_api: GraphQLClient) -> None:
    found = await _nodes(
        demo_api,
        '{ vendors(filter: {country: [NO], nameContains: "avo"}) { totalCount pageInfo { hasNextPage } nodes { id name agreements { kind title } } } }',
    )
    assert [v["name"] for v in found] == ["AVO Consulting AS"]
    assert {a["kind"] for a in found[0]["agreements"]} == {"FRAMEWORK", "CONTRACT"}
    agreement = await demo_api.data(
        '{ frameworkAgreements(filter: {municipality: ["NO-5001"], kind: [FRAMEWORK]}) { nodes { id } } }'
    )
    agreement_id = agreement["frameworkAgreements"]["nodes"][0]["id"]
    on_it = await _nodes(
        demo_api,
        "query ($a: ID!) { vendors(filter: {agreement: [$a]}) { totalCount pageInfo { hasNextPage } nodes { name } } }",
        {"a": agreement_id},
    )
    assert len(on_it) == 8


async def test_agreements_filtered_by_vendor_and_day_in_force(demo_api: GraphQLClient) -> None:
    avo = await demo_api.data('{ vendors(filter: {nameContains: "AVO"}) { nodes { id } } }')
    avo_id = avo["vendors"]["nodes"][0]["id"]
    query = "query ($v: ID!, $on: Date) { frameworkAgreements(filter: {vendor: [$v], activeOn: $on}) { totalCount pageInfo { hasNextPage } nodes { kind status(on: $on) } } }"
    in_2020 = await _nodes(demo_api, query, {"v": avo_id, "on": "2020-06-01"})
    assert [(a["kind"], a["status"]) for a in in_2020] == [("FRAMEWORK", "ACTIVE")]
    in_2024 = await _nodes(demo_api, query, {"v": avo_id, "on": "2024-06-01"})
    assert in_2024 == [], "0 options exercised: the framework agreement ended 2021-03-31"


async def test_meetings_filtered_by_date(demo_api: GraphQLClient) -> None:
    found = await _nodes(
        demo_api,
        '{ networkMeetings(filter: {heldFrom: "2018-06-01", heldTo: "2018-06-30", municipality: ["NO-5001"]}) { totalCount pageInfo { hasNextPage } nodes { heldOn host { code } } } }',
    )
    assert found
    assert all("2018-06-01" <= m["heldOn"] <= "2018-06-30" for m in found)


async def test_node_fetches_every_kind_of_object(demo_api: GraphQLClient) -> None:
    ids = await demo_api.data(
        "{ municipalities(first: 1) { nodes { id } } processes(first: 1) { nodes { id } }"
        " vendors(first: 1) { nodes { id } } frameworkAgreements(first: 1) { nodes { id } }"
        " networkMeetings(first: 1) { nodes { id } } }"
    )
    for connection in ids.values():
        node_id = connection["nodes"][0]["id"]
        found = await demo_api.data(
            "query ($id: ID!) { node(id: $id) { __typename id } }", {"id": node_id}
        )
        assert found["node"]["id"] == node_id
        assert node_id.startswith(found["node"]["__typename"] + ":")


async def test_sources_and_vocabularies(demo_api: GraphQLClient) -> None:
    data = await demo_api.data(
        "{ sources { code kind stale owners syncedAt } itSystems { code name } technologies { code name }"
        " process: processes(first: 1) { nodes { source { code kind stale } } } }"
    )
    (source,) = data["sources"]
    assert source["kind"] == "HOSTED"
    assert source["stale"] is False
    assert "NO-5001" in source["owners"]
    assert {"sofie", "esa", "hspro"} <= {s["code"] for s in data["itSystems"]}
    assert "rpa" in {t["code"] for t in data["technologies"]}
    assert data["process"]["nodes"][0]["source"] == {
        "code": source["code"],
        "kind": "HOSTED",
        "stale": False,
    }


async def test_benefit_summary_by_vendor(demo_api: GraphQLClient) -> None:
    data = await demo_api.data(
        '{ benefitSummary(groupBy: [VENDOR], filter: {from: "2024-11", to: "2026-10"}) { key { vendor { name } } hoursSaved } }'
    )
    named = [g for g in data["benefitSummary"] if g["key"]["vendor"]]
    assert named
    assert all(g["hoursSaved"] > 0 for g in named)
