"""Every fact of shared/domain/facts.md, asked for through the API as a user would."""

from typing import Any

from tests.support.http import GraphQLClient

INVOICE_ROBOT = """
{
  processes(filter: {municipality: ["DK-0746"]}, search: "fakturaer lægeerklæringer", first: 1) {
    nodes {
      title phase developmentHours
      municipality { code name }
      lineage { descendants { depth kind origin { municipality { code } } derived { municipality { code } developmentHours } } }
    }
  }
}
"""


async def test_skanderborgs_invoice_robot_was_reused_by_syddjurs_then_randers(
    demo_api: GraphQLClient,
) -> None:
    node = (await demo_api.data(INVOICE_ROBOT))["processes"]["nodes"][0]
    assert node["municipality"] == {"code": "DK-0746", "name": "Skanderborg Kommune"}
    assert "lægeerklæringer" in node["title"]
    chain = [
        (
            d["depth"],
            d["origin"]["municipality"]["code"],
            d["derived"]["municipality"]["code"],
            d["kind"],
        )
        for d in node["lineage"]["descendants"]
        if d["derived"]["municipality"]["code"] in {"DK-0706", "DK-0730"}
    ]
    assert (1, "DK-0746", "DK-0706", "BUILDING_BLOCKS") in chain
    assert (2, "DK-0706", "DK-0730", "BUILDING_BLOCKS") in chain
    syddjurs = next(
        d["derived"]
        for d in node["lineage"]["descendants"]
        if d["derived"]["municipality"]["code"] == "DK-0706"
    )
    assert syddjurs["developmentHours"] < node["developmentHours"], "Syddjurs spent fewer hours"


async def test_the_danish_text_search_finds_every_version_of_the_robot(
    demo_api: GraphQLClient,
) -> None:
    data = await demo_api.data(
        '{ processes(search: "lægeerklæring", first: 500) { nodes { municipality { code } } } }'
    )
    codes = {n["municipality"]["code"] for n in data["processes"]["nodes"]}
    assert {"DK-0746", "DK-0706", "DK-0730"} <= codes


async def _trondheim(demo_api: GraphQLClient, search: str) -> dict[str, Any]:
    data = await demo_api.data(
        'query ($s: String) { processes(filter: {municipality: ["NO-5001"]}, search: $s, first: 5) {'
        " nodes { title department phase putIntoOperation itSystems { code } reusedFrom { kind origin { title } }"
        " totalHoursSaved benefits { period hoursSaved fte } } } }",
        {"s": search},
    )
    nodes: list[dict[str, Any]] = data["processes"]["nodes"]
    assert nodes, f"no Trondheim process for {search!r}"
    return nodes[0]


async def test_trondheim_processes_with_their_departments(demo_api: GraphQLClient) -> None:
    payroll = await _trondheim(demo_api, "Kontrollrapport lønn")
    assert payroll["title"] == "Kontrollrapport lønn"
    assert payroll["phase"] == "OPERATION"
    assert payroll["putIntoOperation"] >= "2018-12-06"
    sofie = await _trondheim(demo_api, "Arkivering SOFIE til ESA")
    assert sofie["department"] == "Kemneren"
    assert {s["code"] for s in sofie["itSystems"]} >= {"sofie", "esa"}
    assert (await _trondheim(demo_api, "Restansekontroll i arkiv"))["department"] == "Byarkivet"
    assert (await _trondheim(demo_api, "Saksprotokoller"))["department"] == "Bystyresekretariatet"


async def test_covid_processes_and_their_monthly_savings(demo_api: GraphQLClient) -> None:
    test = await _trondheim(demo_api, "Covid-19 test smittevernjournal")
    assert {s["code"] for s in test["itSystems"]} >= {"hspro"}
    assert {b["hoursSaved"] for b in test["benefits"]} == {1100}
    assert round(test["benefits"][0]["fte"], 1) == 7.8, "1 100 h/month is about 7.8 FTE"
    refund = await _trondheim(demo_api, "Covid-19 refusjon regningskort")
    assert {b["hoursSaved"] for b in refund["benefits"]} == {400}
    vaccine = await _trondheim(demo_api, "Covid-19 vaksine")
    assert any("test" in r["origin"]["title"].lower() for r in vaccine["reusedFrom"]), (
        "vaccine reuses test"
    )


async def test_trondheim_totals_as_in_the_source(demo_api: GraphQLClient) -> None:
    query = """
    query ($from: Month!, $to: Month!) {
      benefitSummary(groupBy: [MUNICIPALITY], filter: {municipality: ["NO-5001"], from: $from, to: $to}) {
        hoursSaved cases fteYears
      }
    }"""
    year_2022 = (await demo_api.data(query, {"from": "2022-01", "to": "2022-12"}))[
        "benefitSummary"
    ][0]
    assert year_2022["hoursSaved"] == 10000
    assert 5 < year_2022["fteYears"] < 8
    since_2019 = (await demo_api.data(query, {"from": "2019-01", "to": "2022-12"}))[
        "benefitSummary"
    ][0]
    assert since_2019["hoursSaved"] == 41000
    assert since_2019["cases"] == 1500000


async def test_nine_new_processes_in_production_in_2022(demo_api: GraphQLClient) -> None:
    data = await demo_api.data(
        '{ processes(filter: {municipality: ["NO-5001"]}, first: 500) { nodes { putIntoOperation } } }'
    )
    in_2022 = [
        n for n in data["processes"]["nodes"] if (n["putIntoOperation"] or "").startswith("2022")
    ]
    assert len(in_2022) == 9


async def test_trondheims_framework_agreement(demo_api: GraphQLClient) -> None:
    data = await demo_api.data(
        '{ frameworkAgreements(filter: {municipality: ["NO-5001"]}) { nodes { kind title startDate'
        " initialTermMonths optionMonths endDate maxEndDate signedOn vendors { name } documents { title }"
        " parties { code } } } }"
    )
    agreements = {a["kind"]: a for a in data["frameworkAgreements"]["nodes"]}
    framework = agreements["FRAMEWORK"]
    assert framework["startDate"] == "2019-04-01"
    assert framework["initialTermMonths"] == 24
    assert framework["optionMonths"] == [12, 12]
    assert framework["endDate"] == "2021-03-31"
    assert framework["maxEndDate"] == "2023-03-31"
    assert "2019-03-25" <= framework["signedOn"] <= "2019-03-31", "signed in week 13"
    assert {v["name"] for v in framework["vendors"]} == {
        "Atea AS",
        "AVO Consulting AS",
        "Capgemini Norge AS",
        "Digital Workforce AS",
        "Ernst & Young AS",
        "Experis AS",
        "Infonett Røros AS",
        "KPMG AS",
    }
    assert {d["title"] for d in framework["documents"]} == {
        "Konkurransegrunnlag",
        "Kravspesifikasjon",
    }
    pilot = agreements["CONTRACT"]
    assert pilot["signedOn"] == "2018-05-04"
    assert [v["name"] for v in pilot["vendors"]] == ["AVO Consulting AS"]


async def test_sofie_on_citrix_was_a_problem_shared_by_oslo_bergen_and_trondheim(
    demo_api: GraphQLClient,
) -> None:
    data = await demo_api.data(
        '{ networkMeetings(filter: {itSystem: ["sofie"]}) { nodes { participants { code }'
        " externalParticipants processesDiscussed { title } outcome } } }"
    )
    meeting = data["networkMeetings"]["nodes"][0]
    assert {p["code"] for p in meeting["participants"]} == {"NO-0301", "NO-4601", "NO-5001"}
    assert any("Skatte" in e for e in meeting["externalParticipants"])
    assert "Arkivering SOFIE til ESA" in {p["title"] for p in meeting["processesDiscussed"]}
    assert "Oslo" in (meeting["outcome"] or "")


async def test_network_meetings_from_the_sources(demo_api: GraphQLClient) -> None:
    data = await demo_api.data(
        '{ networkMeetings(filter: {municipality: ["NO-5001"]}, first: 100) { nodes { title heldOn'
        " participants { code } presentations { presenter { code } title } } } }"
    )
    meetings = data["networkMeetings"]["nodes"]
    network = [
        m
        for m in meetings
        if {p["code"] for p in m["participants"]} >= {"NO-5001", "NO-0301", "NO-1103", "NO-1804"}
    ]
    assert network, "RPA network meeting of Trondheim with Oslo, Stavanger and Bodø"
    assert any(
        p["presenter"] and p["presenter"]["code"] == "NO-5001"
        for m in meetings
        for p in m["presentations"]
    )
    assert "2018-06-11" in {m["heldOn"] for m in meetings}


async def test_klaebu_merged_into_trondheim_and_fte_hours_are_per_municipality(
    demo_api: GraphQLClient,
) -> None:
    data = await demo_api.data(
        '{ klaebu: municipality(code: "NO-5030") { name mergedInto { code } }'
        ' trondheim: municipality(code: "NO-5001") { fteHoursPerYear currency }'
        ' skanderborg: municipality(code: "DK-0746") { fteHoursPerYear currency } }'
    )
    assert data["klaebu"]["mergedInto"] == {"code": "NO-5001"}
    assert data["trondheim"]["currency"] == "NOK"
    assert data["skanderborg"]["currency"] == "DKK"
    assert data["trondheim"]["fteHoursPerYear"] != data["skanderborg"]["fteHoursPerYear"]


async def test_demo_has_enough_data_to_be_interesting(demo_api: GraphQLClient) -> None:
    data = await demo_api.data(
        "{ dk: municipalities(filter: {country: [DK]}) { totalCount } no: municipalities(filter: {country: [NO]}) { totalCount }"
        " processes { totalCount } reused: processes(filter: {hasReuse: true}) { totalCount }"
        " vendors { totalCount } frameworkAgreements { totalCount } networkMeetings { totalCount }"
        ' months: benefitSummary(groupBy: [MONTH], filter: {from: "2024-11", to: "2026-10"}) { hoursSaved } }'
    )
    assert data["dk"]["totalCount"] + data["no"]["totalCount"] >= 40
    assert min(data["dk"]["totalCount"], data["no"]["totalCount"]) >= 10
    assert data["processes"]["totalCount"] >= 640, "the PUBLIC ones of 800+ (about 80 %)"
    assert data["reused"]["totalCount"] >= 100
    assert data["vendors"]["totalCount"] >= 8
    assert len(data["months"]) == 24


async def test_every_graphiql_example_runs_without_errors_and_finds_data(
    demo_api: GraphQLClient,
) -> None:
    from reusegraph.api.graphiql import example_queries

    for query in example_queries():
        data = await demo_api.data(query)
        assert any(_has_content(value) for value in data.values()), f"empty result for:\n{query}"


def _has_content(value: Any) -> bool:
    if isinstance(value, list):
        return bool(value)
    if isinstance(value, dict):
        return any(_has_content(v) for v in value.values())
    return value is not None
