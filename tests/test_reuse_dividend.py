"""ReuseLink.developmentHoursAvoided and reuseDividend on the demo data (Skanderborg's robot)."""

from tests.support.http import GraphQLClient

LINKS = """{ processes(filter: { municipality: ["DK-0746"] }, search: "fakturaer lægeerklæringer",
  first: 1) { nodes { developmentHours reusedBy { developmentHoursAvoided
  derived { developmentHours municipality { code } } } } } }"""


async def test_hours_avoided_is_the_origins_hours_minus_the_reusers(
    demo_api: GraphQLClient,
) -> None:
    origin = (await demo_api.data(LINKS))["processes"]["nodes"][0]
    syddjurs = [
        link for link in origin["reusedBy"] if link["derived"]["municipality"]["code"] == "DK-0706"
    ]
    assert syddjurs, "the demo has Syddjurs reusing Skanderborg's robot"
    for link in origin["reusedBy"]:
        derived = link["derived"]["developmentHours"]
        if origin["developmentHours"] is None or derived is None:
            assert link["developmentHoursAvoided"] is None
        else:
            assert link["developmentHoursAvoided"] == origin["developmentHours"] - derived


async def test_the_dividend_per_year_sums_only_links_with_both_hours(
    demo_api: GraphQLClient,
) -> None:
    rows = (
        await demo_api.data(
            '{ reuseDividend(municipalities: ["DK-0706"]) { year links linksWithHours'
            " developmentHoursAvoided } }"
        )
    )["reuseDividend"]
    assert rows
    for row in rows:
        assert row["linksWithHours"] <= row["links"]
        assert (row["developmentHoursAvoided"] is None) == (row["linksWithHours"] == 0)
