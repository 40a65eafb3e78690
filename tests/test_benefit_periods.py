"""benefitSummary over periods: realised beside estimated, monthly series, one statement."""

from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import pytest
from sqlalchemy import event

from reusegraph.api.app import create_app
from reusegraph.api.settings import Settings
from reusegraph.auth.principal import ANONYMOUS, Principal, Role
from reusegraph.store.engine import Database
from tests.support import builders as b
from tests.support.http import GraphQLClient, graphql_client, serving
from tests.support.postgres import url_of
from tests.support.viewers import data_as

SUMMARY = """
query ($g: [BenefitDimension!]!, $f: BenefitFilter) {
  benefitSummary(groupBy: $g, filter: $f) {
    key { municipalityCode year month kind }
    hoursSaved cases fte fteYears months processCount recordCount money { amount currency }
    realised { hoursSaved cases fteYears months processCount money { amount currency } }
    estimated { hoursSaved processCount money { amount currency } }
    realisationRate
    series { month hoursSaved cases fte money { amount currency } recordCount }
  }
}
"""
SUMS_ONLY = """
query ($g: [BenefitDimension!]!, $f: BenefitFilter) {
  benefitSummary(groupBy: $g, filter: $f) { key { municipalityCode } hoursSaved realised { hoursSaved } }
}
"""
SERIES = """
query ($g: [BenefitDimension!]!, $f: BenefitFilter) {
  benefitSummary(groupBy: $g, filter: $f) {
    key { municipalityCode year }
    realised { series { month hoursSaved } }
    estimated { series { month hoursSaved } }
  }
}
"""
DK, NO = "DK-0101", "NO-0201"


@pytest.fixture
async def seeded(empty_db: Database) -> Database:
    """Two countries; measured and estimated records; one MUNICIPALITY and one PERSONAL process."""
    dk = b.process(DK)
    no = b.process(NO)
    internal = b.process(NO, visibility="MUNICIPALITY")
    personal = b.process(NO, visibility="PERSONAL", reporter="kari")
    await b.insert_rows(
        empty_db,
        municipality=[
            b.municipality(DK, fte_hours_per_year=1924),
            b.municipality(NO, fte_hours_per_year=1695),
        ],
        process=[dk, no, internal, personal],
        benefit_record=[
            b.benefit(dk["id"], date(2022, 1, 1), 100, cases=10, money_amount=1000, currency="DKK"),
            b.benefit(dk["id"], date(2022, 3, 1), 50, cases=5, money_amount=500, currency="DKK"),
            b.benefit(dk["id"], date(2022, 1, 1), 120, kind="ESTIMATED"),
            b.benefit(dk["id"], date(2022, 3, 1), 120, kind="ESTIMATED"),
            b.benefit(no["id"], date(2022, 2, 1), 200, cases=20, money_amount=900, currency="NOK"),
            b.benefit(
                no["id"], date(2022, 2, 1), 250, kind="ESTIMATED", money_amount=1000, currency="NOK"
            ),
            b.benefit(no["id"], date(2023, 1, 1), 10),
            b.benefit(internal["id"], date(2022, 2, 1), 7000),
            b.benefit(personal["id"], date(2022, 2, 1), 30000),
        ],
    )
    return empty_db


@pytest.fixture
async def client(seeded: Database, api: GraphQLClient) -> GraphQLClient:
    return api


async def test_realised_and_estimated_side_by_side_per_group(client: GraphQLClient) -> None:
    data = await client.data(SUMMARY, {"g": ["MUNICIPALITY"], "f": {"municipality": [DK]}})
    group = data["benefitSummary"][0]
    assert group["hoursSaved"] == 150, "the plain totals are the realised (MEASURED) hours"
    assert group["realised"]["hoursSaved"] == 150
    assert group["estimated"]["hoursSaved"] == 240
    assert group["realisationRate"] == round(150 / 240, 4)
    assert group["realised"]["money"] == [{"amount": 1500, "currency": "DKK"}]
    assert group["estimated"]["money"] == []
    assert group["realised"]["months"] == 2
    assert group["estimated"]["processCount"] == 1


async def test_series_has_every_month_of_the_period_and_sums_to_the_total(
    client: GraphQLClient,
) -> None:
    data = await client.data(
        SUMMARY,
        {"g": ["MUNICIPALITY"], "f": {"municipality": [DK], "from": "2021-12", "to": "2022-04"}},
    )
    group = data["benefitSummary"][0]
    months = [(p["month"], p["hoursSaved"]) for p in group["series"]]
    assert months == [
        ("2021-12", 0),
        ("2022-01", 100),
        ("2022-02", 0),
        ("2022-03", 50),
        ("2022-04", 0),
    ]
    assert sum(p["hoursSaved"] for p in group["series"]) == group["hoursSaved"]
    assert group["series"][1]["money"] == [{"amount": 1000, "currency": "DKK"}]
    assert group["series"][1]["fte"] == round(100 * 12 / 1924, 3)


async def test_series_of_realised_and_estimated_line_up_month_by_month(
    client: GraphQLClient,
) -> None:
    data = await client.data(SERIES, {"g": ["MUNICIPALITY"], "f": {"municipality": [NO]}})
    group = data["benefitSummary"][0]
    realised = [p["month"] for p in group["realised"]["series"]]
    estimated = [p["month"] for p in group["estimated"]["series"]]
    assert realised == estimated
    assert realised[0] == "2022-02"
    assert realised[-1] == "2023-01"
    assert len(realised) == 12


async def test_a_year_group_has_a_series_of_its_own_twelve_months_only(
    client: GraphQLClient,
) -> None:
    data = await client.data(
        SERIES, {"g": ["YEAR"], "f": {"country": ["NO"], "from": "2020-01", "to": "2023-12"}}
    )
    by_year = {g["key"]["year"]: g["realised"]["series"] for g in data["benefitSummary"]}
    assert [p["month"] for p in by_year[2022]] == [f"2022-{m:02d}" for m in range(1, 13)]
    assert sum(p["hoursSaved"] for p in by_year[2023]) == 10


async def test_money_per_currency_is_never_summed_across_currencies(
    client: GraphQLClient,
) -> None:
    data = await client.data(SUMMARY, {"g": [], "f": {"from": "2022-01", "to": "2022-12"}})
    total = data["benefitSummary"][0]
    assert total["money"] == [
        {"amount": 1500, "currency": "DKK"},
        {"amount": 900, "currency": "NOK"},
    ]
    assert total["estimated"]["money"] == [{"amount": 1000, "currency": "NOK"}]


async def test_fte_uses_each_municipalitys_own_fte_hours_in_one_group(
    client: GraphQLClient,
) -> None:
    data = await client.data(SUMMARY, {"g": [], "f": {"from": "2022-01", "to": "2022-03"}})
    total = data["benefitSummary"][0]
    assert total["fteYears"] == round(150 / 1924 + 200 / 1695, 3)
    assert total["months"] == 3
    assert total["fte"] == round((150 / 1924 + 200 / 1695) * 12 / 3, 3)


async def test_a_kind_filter_limits_both_sides(client: GraphQLClient) -> None:
    only_estimates = await client.data(SUMMARY, {"g": [], "f": {"kind": ["ESTIMATED"]}})
    group = only_estimates["benefitSummary"][0]
    assert group["hoursSaved"] == 490
    assert group["realised"]["hoursSaved"] == 0
    both = await client.data(SUMMARY, {"g": [], "f": {"kind": ["MEASURED", "ESTIMATED"]}})
    group = both["benefitSummary"][0]
    assert group["hoursSaved"] == 360 + 490
    assert group["processCount"] == 2, "a process with both kinds counts once"


async def test_bad_period_is_refused(client: GraphQLClient) -> None:
    error = await client.error(SUMMARY, {"g": [], "f": {"from": "2023-01", "to": "2022-01"}})
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    error = await client.error(SUMMARY, {"g": [], "f": {"from": "2023-13"}})
    assert error["extensions"]["code"] == "BAD_USER_INPUT"


async def test_reader_and_anonymous_never_see_municipality_or_personal_benefits(
    seeded: Database,
) -> None:
    reader = Principal(issuer="test", subject="portal", roles=frozenset({Role.READER}))
    outsider = Principal(
        issuer="test", subject="kari", municipality=DK, roles=frozenset({Role.MEMBER})
    )
    for viewer in (ANONYMOUS, reader, outsider):
        data = await data_as(seeded, viewer, SUMS_ONLY, {"g": ["MUNICIPALITY"], "f": {}})
        by_code = {g["key"]["municipalityCode"]: g["hoursSaved"] for g in data["benefitSummary"]}
        assert by_code[NO] == 210, viewer


async def test_members_see_their_own_municipality_data_and_reporters_their_own(
    seeded: Database,
) -> None:
    member = Principal(
        issuer="test", subject="ola", municipality=NO, roles=frozenset({Role.MEMBER})
    )
    reporter = Principal(
        issuer="test", subject="kari", municipality=NO, roles=frozenset({Role.MEMBER})
    )
    variables = {"g": ["MUNICIPALITY"], "f": {"municipality": [NO]}}
    seen = (await data_as(seeded, member, SUMS_ONLY, variables))["benefitSummary"][0]
    assert seen["hoursSaved"] == 210 + 7000
    seen = (await data_as(seeded, reporter, SUMS_ONLY, variables))["benefitSummary"][0]
    assert seen["hoursSaved"] == 210 + 7000 + 30000


@pytest.fixture
async def counted(seeded: Database) -> AsyncIterator[tuple[GraphQLClient, list[str]]]:
    app = create_app(Settings(max_cost=0, rate_limit=0), url_of(seeded))  # SQL only
    statements: list[str] = []

    def count(*args: Any) -> None:
        if "set_config(" not in args[2]:  # the transaction's settings, not a query
            statements.append(args[2])

    event.listen(app.state.db.request_engine.sync_engine, "before_cursor_execute", count)
    async with serving(app) as base_url, graphql_client(base_url) as client:
        yield client, statements


async def test_summary_with_series_side_by_side_is_one_statement(
    counted: tuple[GraphQLClient, list[str]],
) -> None:
    client, statements = counted
    for group_by in (["MUNICIPALITY", "YEAR"], ["COUNTRY", "KIND"], []):
        statements.clear()
        await client.data(SUMMARY, {"g": group_by, "f": {"from": "2022-01", "to": "2023-12"}})
        assert len(statements) == 1, statements
    statements.clear()
    await client.data(SUMMARY, {"g": ["MONTH"], "f": {"kind": ["MEASURED", "ESTIMATED"]}})
    assert len(statements) == 1, statements


TRONDHEIM = """
query ($from: Month!, $to: Month!) {
  benefitSummary(groupBy: [YEAR], filter: {municipality: ["NO-5001"], from: $from, to: $to}) {
    key { year } hoursSaved cases fteYears
    realised { hoursSaved series { month hoursSaved } }
  }
}
"""


async def test_trondheims_totals_come_back_as_in_the_source(demo_api: GraphQLClient) -> None:
    years = (await demo_api.data(TRONDHEIM, {"from": "2019-01", "to": "2022-12"}))["benefitSummary"]
    hours = {g["key"]["year"]: g["hoursSaved"] for g in years}
    assert hours[2022] == 10000, "over 10 000 hours saved in 2022"
    assert sum(hours.values()) == 41000, "over 41 000 hours from 2019 to the end of 2022"
    assert sum(g["cases"] for g in years) == 1_500_000, "over 1.5 million cases"
    year_2022 = next(g for g in years if g["key"]["year"] == 2022)
    assert 5 < year_2022["fteYears"] < 8, "about 7-8 full-time staff"
    series = year_2022["realised"]["series"]
    assert len(series) == 12
    assert sum(p["hoursSaved"] for p in series) == 10000
