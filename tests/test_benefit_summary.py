"""benefitSummary: sums per group, FTE with each municipality's own hours, money per currency."""

from datetime import date

import pytest

from reusegraph.store.engine import Database
from tests.support import builders as b
from tests.support.http import GraphQLClient

SUMMARY = """
query ($g: [BenefitDimension!]!, $f: BenefitFilter) {
  benefitSummary(groupBy: $g, filter: $f) {
    key { municipalityCode country domain technologyCode year month kind vendor { name } }
    hoursSaved cases fte fteYears months processCount recordCount money { amount currency }
  }
}
"""


@pytest.fixture
async def client(empty_db: Database, api: GraphQLClient) -> GraphQLClient:
    dk = b.process("DK-0746", domains=["ECONOMY"])
    no1 = b.process("NO-5001", domains=["HEALTH", "SOCIAL"])
    no2 = b.process("NO-5001", domains=["HR"])
    hidden = b.process("NO-5001", visibility="MUNICIPALITY")
    await b.insert_rows(
        empty_db,
        technology=[{"code": "rpa", "name": "RPA"}, {"code": "ocr", "name": "OCR"}],
        municipality=[
            b.municipality("DK-0746", fte_hours_per_year=1924),
            b.municipality("NO-5001", fte_hours_per_year=1695),
        ],
        process=[dk, no1, no2, hidden],
        process_technology=[
            {"process_id": no1["id"], "technology_code": "rpa"},
            {"process_id": no1["id"], "technology_code": "ocr"},
            {"process_id": dk["id"], "technology_code": "rpa"},
        ],
        benefit_record=[
            b.benefit(
                dk["id"], date(2022, 1, 1), 1924, cases=100, money_amount=1000, currency="DKK"
            ),
            b.benefit(
                no1["id"], date(2022, 1, 1), 1100, cases=30000, money_amount=500, currency="NOK"
            ),
            b.benefit(
                no1["id"], date(2022, 2, 1), 400, cases=10000, money_amount=250, currency="NOK"
            ),
            b.benefit(no2["id"], date(2021, 12, 1), 50, cases=10),
            b.benefit(no2["id"], date(2022, 2, 1), 999, kind="ESTIMATED"),
            b.benefit(hidden["id"], date(2022, 1, 1), 7777),
        ],
    )
    return api


async def test_by_municipality_sums_measured_only_and_converts_fte_per_municipality(
    client: GraphQLClient,
) -> None:
    groups = (await client.data(SUMMARY, {"g": ["MUNICIPALITY"]}))["benefitSummary"]
    by_code = {g["key"]["municipalityCode"]: g for g in groups}
    assert by_code["DK-0746"]["hoursSaved"] == 1924
    assert by_code["DK-0746"]["fteYears"] == 1.0
    no = by_code["NO-5001"]
    assert no["hoursSaved"] == 1550, "estimates and invisible processes must not be counted"
    assert no["cases"] == 40010
    assert no["fteYears"] == round(1550 / 1695, 3)
    assert no["months"] == 3
    assert no["processCount"] == 2
    assert no["recordCount"] == 3


async def test_money_is_never_summed_across_currencies(client: GraphQLClient) -> None:
    groups = (await client.data(SUMMARY, {"g": ["COUNTRY"]}))["benefitSummary"]
    by_country = {g["key"]["country"]: g["money"] for g in groups}
    assert by_country == {
        "DK": [{"amount": 1000, "currency": "DKK"}],
        "NO": [{"amount": 750, "currency": "NOK"}],
    }
    total = (await client.data(SUMMARY, {"g": []}))["benefitSummary"]
    assert total[0]["money"] == [
        {"amount": 1000, "currency": "DKK"},
        {"amount": 750, "currency": "NOK"},
    ]


async def test_by_year_and_month_with_period_filter(client: GraphQLClient) -> None:
    years = (await client.data(SUMMARY, {"g": ["YEAR"]}))["benefitSummary"]
    assert [(g["key"]["year"], g["hoursSaved"]) for g in years] == [(2021, 50), (2022, 3424)]
    months = (
        await client.data(SUMMARY, {"g": ["MONTH"], "f": {"from": "2022-02", "to": "2022-12"}})
    )["benefitSummary"]
    assert [(g["key"]["month"], g["hoursSaved"]) for g in months] == [("2022-02", 400)]


async def test_fte_of_one_month_is_full_time_staff_that_month(client: GraphQLClient) -> None:
    groups = (
        await client.data(
            SUMMARY,
            {
                "g": ["MUNICIPALITY", "MONTH"],
                "f": {"municipality": ["NO-5001"], "from": "2022-01", "to": "2022-01"},
            },
        )
    )["benefitSummary"]
    assert groups[0]["fte"] == round(1100 * 12 / 1695, 3)  # Trondheim: 1 100 h/month = 7.8 FTE


async def test_by_domain_and_technology_counts_a_process_in_each_of_its_values(
    client: GraphQLClient,
) -> None:
    domains = (await client.data(SUMMARY, {"g": ["DOMAIN"], "f": {"country": ["NO"]}}))[
        "benefitSummary"
    ]
    assert {g["key"]["domain"]: g["hoursSaved"] for g in domains} == {
        "HEALTH": 1500,
        "SOCIAL": 1500,
        "HR": 50,
    }
    tech = (await client.data(SUMMARY, {"g": ["TECHNOLOGY"], "f": {"technology": ["ocr"]}}))[
        "benefitSummary"
    ]
    assert {g["key"]["technologyCode"]: g["hoursSaved"] for g in tech} == {"ocr": 1500, "rpa": 1500}


async def test_estimates_are_reported_when_asked_for(client: GraphQLClient) -> None:
    groups = (
        await client.data(SUMMARY, {"g": ["KIND"], "f": {"kind": ["MEASURED", "ESTIMATED"]}})
    )["benefitSummary"]
    assert {g["key"]["kind"]: g["hoursSaved"] for g in groups} == {
        "ESTIMATED": 999,
        "MEASURED": 3474,
    }


async def test_converted_money_keeps_each_original_currency_beside_its_conversion(
    client: GraphQLClient,
) -> None:
    query = """{ benefitSummary(groupBy: []) { series { month
      moneyIn(to: EUR) { original { amount currency } amount currency rate rateSource } } } }"""
    series = (await client.data(query))["benefitSummary"][0]["series"]
    january = next(m for m in series if m["month"] == "2022-01")["moneyIn"]
    assert [(e["original"], e["amount"], e["currency"]) for e in january] == [
        ({"amount": 1000, "currency": "DKK"}, round(1000 / 7.441057, 2), "EUR"),
        ({"amount": 500, "currency": "NOK"}, round(500 / 10.006957, 2), "EUR"),
    ], "one converted entry per original currency, never one silent sum"
    assert all("European Central Bank" in e["rateSource"] for e in january)
