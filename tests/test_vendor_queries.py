"""Vendors: agreements (active, expiring, options left), whom they serve, what they delivered."""

import uuid
from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import Table, event, insert

from reusegraph.api.app import create_app
from reusegraph.api.settings import Settings
from reusegraph.auth.principal import ANONYMOUS, Principal, Role
from reusegraph.store.agreements import add_months
from reusegraph.store.engine import Database
from reusegraph.store.models import FrameworkAgreement, agreement_party, agreement_vendor
from tests.support import builders as b
from tests.support.http import GraphQLClient, graphql_client, serving
from tests.support.postgres import url_of
from tests.support.viewers import data_as

A, B = "DK-0101", "DK-0102"
TODAY = date.today()
ACTIVE, EXPIRED = uuid.uuid4(), uuid.uuid4()
V1, V2, V3 = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()

ONE_QUERY = """
query ($domain: Domain!) {
  vendors(filter: {onActiveAgreement: true, deliveredInDomain: [$domain]}) {
    totalCount
    nodes {
      name
      agreements(activeOn: null) { title endDate optionsLeft }
      municipalitiesServed { municipality { code } processCount onAgreement }
      processesDelivered(filter: {domain: [$domain]}) {
        totalCount realisedHoursSaved nodes { title municipality { code } }
      }
    }
  }
}
"""


def _agreement(agreement_id: uuid.UUID, title: str, start: date, **values: Any) -> dict[str, Any]:
    return {
        "id": agreement_id,
        "kind": "FRAMEWORK",
        "title": title,
        "start_date": start,
        "initial_term_months": 24,
        "option_months": [12],
        "options_exercised": 0,
        **values,
    }


async def insert_agreements(db: Database) -> None:
    rows: dict[Table, list[dict[str, Any]]] = {
        FrameworkAgreement.__table__: [  # type: ignore[dict-item]
            # In force for another ~6 months (its one option is not exercised).
            _agreement(ACTIVE, "Active RPA agreement", add_months(TODAY, -18)),
            _agreement(EXPIRED, "Expired agreement", date(2015, 1, 1), options_exercised=1),
        ],
        agreement_party: [
            {"agreement_id": ACTIVE, "municipality_code": A},
            {"agreement_id": EXPIRED, "municipality_code": B},
        ],
        agreement_vendor: [
            {"agreement_id": ACTIVE, "vendor_id": V1},
            {"agreement_id": ACTIVE, "vendor_id": V3},
            {"agreement_id": EXPIRED, "vendor_id": V2},
        ],
    }
    async with db.session(None) as session:
        for table, values in rows.items():
            await session.execute(insert(table), values)


@pytest.fixture
async def seeded(empty_db: Database) -> Database:
    """V1 and V3 on the active agreement, V2 on an expired one; V3 delivered only internally."""
    public_health = b.process(A, title="Health robot A", domains=["HEALTH"], vendor_id=V1)
    internal_health = b.process(
        B,
        title="Internal health robot B",
        domains=["HEALTH"],
        vendor_id=V1,
        visibility="MUNICIPALITY",
    )
    economy = b.process(A, title="Economy robot", domains=["ECONOMY"], vendor_id=V1)
    expired_vendor = b.process(A, title="Old health robot", domains=["HEALTH"], vendor_id=V2)
    hidden_only = b.process(
        B,
        title="Internal health robot of V3",
        domains=["HEALTH"],
        vendor_id=V3,
        visibility="MUNICIPALITY",
    )
    await b.insert_rows(
        empty_db,
        municipality=[b.municipality(A), b.municipality(B)],
        vendor=[
            {"id": V1, "name": "Vendor One", "country": "DK"},
            {"id": V2, "name": "Vendor Two", "country": "DK"},
            {"id": V3, "name": "Vendor Three", "country": "DK"},
        ],
        process=[public_health, internal_health, economy, expired_vendor, hidden_only],
        benefit_record=[
            b.benefit(public_health["id"], date(2024, 1, 1), 100),
            b.benefit(public_health["id"], date(2024, 2, 1), 50),
            b.benefit(public_health["id"], date(2024, 2, 1), 999, kind="ESTIMATED"),
            b.benefit(internal_health["id"], date(2024, 1, 1), 7000),
            b.benefit(economy["id"], date(2024, 1, 1), 30),
        ],
    )
    await insert_agreements(empty_db)
    return empty_db


async def test_vendors_on_active_agreements_with_processes_in_a_domain_is_one_query(
    seeded: Database,
) -> None:
    data = await data_as(seeded, ANONYMOUS, ONE_QUERY, {"domain": "HEALTH"})
    vendors = data["vendors"]
    assert vendors["totalCount"] == 1, "V2's agreement expired; V3's only process is internal"
    v1 = vendors["nodes"][0]
    assert v1["name"] == "Vendor One"
    delivered = v1["processesDelivered"]
    assert delivered["totalCount"] == 1
    assert delivered["realisedHoursSaved"] == 150, "measured hours only, not the estimate"
    assert [n["title"] for n in delivered["nodes"]] == ["Health robot A"]
    assert v1["agreements"][0]["title"] == "Active RPA agreement"
    assert v1["agreements"][0]["optionsLeft"] == 1


async def test_members_see_their_own_internal_deliveries_in_the_aggregates(
    seeded: Database,
) -> None:
    member = Principal(issuer="t", subject="ole", municipality=B, roles=frozenset({Role.MEMBER}))
    data = await data_as(seeded, member, ONE_QUERY, {"domain": "HEALTH"})
    names = [v["name"] for v in data["vendors"]["nodes"]]
    assert names == ["Vendor One", "Vendor Three"]
    v1 = data["vendors"]["nodes"][0]
    assert v1["processesDelivered"]["totalCount"] == 2
    assert v1["processesDelivered"]["realisedHoursSaved"] == 7150
    served = {s["municipality"]["code"]: s for s in v1["municipalitiesServed"]}
    assert served[B]["processCount"] == 1


async def test_a_reader_never_sees_internal_processes_in_vendor_aggregates(
    seeded: Database,
) -> None:
    reader = Principal(issuer="t", subject="portal", roles=frozenset({Role.READER}))
    query = """{ vendors { nodes { name municipalitiesServed { municipality { code }
      processCount onAgreement } processesDelivered { totalCount realisedHoursSaved } } } }"""
    data = await data_as(seeded, reader, query)
    by_name = {v["name"]: v for v in data["vendors"]["nodes"]}
    one = by_name["Vendor One"]
    assert one["processesDelivered"] == {"totalCount": 2, "realisedHoursSaved": 180}
    assert one["municipalitiesServed"] == [
        {"municipality": {"code": A}, "processCount": 2, "onAgreement": True}
    ], "B's process is internal, and B is not a party to V1's agreement"
    three = by_name["Vendor Three"]
    assert three["processesDelivered"]["totalCount"] == 0
    assert three["municipalitiesServed"] == [
        {"municipality": {"code": A}, "processCount": 0, "onAgreement": True}
    ]


async def test_agreements_expiring_within_months_and_options_left(seeded: Database) -> None:
    query = """
    query ($soon: Int!, $late: Int!) {
      soon: frameworkAgreements(filter: {expiringWithinMonths: $soon}) { nodes { title } }
      late: frameworkAgreements(filter: {expiringWithinMonths: $late}) { nodes { title } }
      withOptions: frameworkAgreements(filter: {hasOptionsLeft: true}) { nodes { title } }
      expiring: vendors(filter: {agreementExpiringWithinMonths: $late}) { nodes { name } }
      notActive: vendors(filter: {onActiveAgreement: false}) { nodes { name } }
    }"""
    data = await data_as(seeded, ANONYMOUS, query, {"soon": 3, "late": 7})
    assert data["soon"]["nodes"] == []
    assert data["late"]["nodes"] == [{"title": "Active RPA agreement"}]
    assert data["withOptions"]["nodes"] == [{"title": "Active RPA agreement"}]
    assert {v["name"] for v in data["expiring"]["nodes"]} == {"Vendor One", "Vendor Three"}
    assert data["notActive"]["nodes"] == [{"name": "Vendor Two"}]


async def test_agreement_end_date_follows_the_options_exercised(seeded: Database) -> None:
    query = """{ frameworkAgreements { nodes { title endDate maxEndDate optionsLeft
      status } } }"""
    data = await data_as(seeded, ANONYMOUS, query)
    by_title = {a["title"]: a for a in data["frameworkAgreements"]["nodes"]}
    expired = by_title["Expired agreement"]
    assert expired["endDate"] == "2017-12-31", "24 months + the one 12-month option exercised"
    assert expired["optionsLeft"] == 0
    assert expired["status"] == "EXPIRED"
    active = by_title["Active RPA agreement"]
    assert active["endDate"] == str(add_months(add_months(TODAY, -18), 24) - timedelta(days=1))
    assert active["status"] == "ACTIVE"


async def test_vendor_agreements_filtered_by_day(seeded: Database) -> None:
    query = """{ vendors(filter: {nameContains: "two"}) { nodes {
      all: agreements { title }
      active: agreements(activeOn: "2016-06-01") { title }
      now: agreements(expiringWithinMonths: 12) { title } } } }"""
    two = (await data_as(seeded, ANONYMOUS, query))["vendors"]["nodes"][0]
    assert two["all"] == two["active"] == [{"title": "Expired agreement"}]
    assert two["now"] == []


async def test_bad_vendor_filters_say_what_is_allowed(seeded: Database, api: GraphQLClient) -> None:
    error = await api.error(
        "{ vendors(filter: {agreementExpiringWithinMonths: 0}) { totalCount } }"
    )
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "between 1 and 120" in error["message"]
    error = await api.error('{ vendors(filter: {servesMunicipality: ["DK-0999"]}) { totalCount } }')
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "DK-0999" in error["message"]
    error = await api.error(
        "{ vendors { nodes { processesDelivered(first: 501) { totalCount } } } }"
    )
    assert error["extensions"]["code"] == "BAD_USER_INPUT"


@pytest.fixture
async def counted(seeded: Database) -> AsyncIterator[tuple[GraphQLClient, list[str]]]:
    more = [b.process(A, domains=["HEALTH"], vendor_id=uuid.uuid4()) for _ in range(8)]
    await b.insert_rows(
        seeded,
        vendor=[
            {"id": p["vendor_id"], "name": f"Extra vendor {i}", "country": "DK"}
            for i, p in enumerate(more)
        ],
        process=more,
    )
    async with seeded.session(None) as session:
        await session.execute(
            insert(agreement_vendor),
            [{"agreement_id": ACTIVE, "vendor_id": p["vendor_id"]} for p in more],
        )
    app = create_app(Settings(compiled_reads=False), url_of(seeded))  # the executor's loaders
    statements: list[str] = []

    def count(*args: Any) -> None:
        if "set_config(" not in args[2]:
            statements.append(args[2])

    event.listen(app.state.db.request_engine.sync_engine, "before_cursor_execute", count)
    async with serving(app) as base_url, graphql_client(base_url) as client:
        yield client, statements


async def test_the_one_query_costs_the_same_statements_for_1_or_9_vendors(
    counted: tuple[GraphQLClient, list[str]],
) -> None:
    client, statements = counted
    query = ONE_QUERY.replace("vendors(filter:", "vendors(first: $first, filter:").replace(
        "query ($domain: Domain!)", "query ($domain: Domain!, $first: Int!)"
    )
    sizes = {}
    for first in (1, 9):
        statements.clear()
        data = await client.data(query, {"domain": "HEALTH", "first": first})
        assert len(data["vendors"]["nodes"]) == first
        sizes[first] = len(statements)
    assert sizes[1] == sizes[9], sizes


async def test_demo_vendors_on_trondheims_framework_agreement(demo_api: GraphQLClient) -> None:
    data = await demo_api.data(
        '{ vendors(filter: {onActiveAgreement: true, activeOn: "2020-01-01", country: [NO]},'
        ' first: 100) { nodes { name agreements(activeOn: "2020-01-01") { title endDate } } } }'
    )
    names = {v["name"] for v in data["vendors"]["nodes"]}
    assert {"Atea AS", "KPMG AS", "Infonett Røros AS"} <= names
    atea = next(v for v in data["vendors"]["nodes"] if v["name"] == "Atea AS")
    assert atea["agreements"][0]["endDate"] == "2021-03-31"
