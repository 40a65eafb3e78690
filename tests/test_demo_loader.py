"""The demo data set at the SQL level: the facts from the sources come back exactly.

Read-only checks share the module's ``demo_db`` (loaded once through ``load_demo`` by the
``demo_template`` fixture); loading itself is checked in private empty databases.
"""

from datetime import date
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import URL

from reusegraph.store.demo import facts, filler
from reusegraph.store.demo.loader import DemoSummary, has_data, load_demo, load_rows
from reusegraph.store.engine import Database
from tests.support.postgres import cloned_database

pytestmark = pytest.mark.db


async def _rows(db: Database, sql: str, **params: Any) -> list[Any]:
    async with db.engine.connect() as conn:
        return list((await conn.execute(text(sql), params)).all())


async def _one(db: Database, sql: str, **params: Any) -> tuple[Any, ...]:
    return tuple((await _rows(db, sql, **params))[0])


async def _value(db: Database, sql: str, **params: Any) -> Any:
    async with db.engine.connect() as conn:
        return await conn.scalar(text(sql), params)


async def test_load_demo_fills_an_empty_database_once(empty_db: Database) -> None:
    assert not await has_data(empty_db)
    summary = await load_demo(empty_db)
    assert await has_data(empty_db)
    counts = await _rows(
        empty_db,
        "SELECT (SELECT count(*) FROM municipality), (SELECT count(*) FROM process),"
        " (SELECT count(*) FROM reuse_link), (SELECT count(*) FROM benefit_record),"
        " (SELECT count(*) FROM vendor), (SELECT count(*) FROM framework_agreement),"
        " (SELECT count(*) FROM network_meeting)",
    )
    assert DemoSummary(*counts[0]) == summary
    assert summary.municipalities >= 40
    assert summary.processes >= 800
    assert summary.reuse_links >= 50
    with pytest.raises(ValueError, match="already has data"):
        await load_demo(empty_db)
    assert await _value(empty_db, "SELECT count(*) FROM process") == summary.processes


async def test_load_is_deterministic(
    empty_db: Database, demo_db: Database, pg_server: URL, migrated_template: str
) -> None:
    query = "SELECT id, title, updated_at FROM process ORDER BY id"
    await load_demo(empty_db)
    first = await _rows(empty_db, query)
    async with cloned_database(pg_server, migrated_template) as other:
        await load_demo(other)
        assert await _rows(other, query) == first
    assert await _rows(demo_db, query) == first


async def test_municipalities_cover_both_countries(demo_db: Database) -> None:
    by_country = dict(
        await _rows(demo_db, "SELECT country, count(*) FROM municipality GROUP BY country")
    )
    assert by_country["DK"] >= 20
    assert by_country["NO"] >= 20
    real = await _rows(
        demo_db,
        "SELECT code, name, currency, fte_hours_per_year, org_number, merged_into_code"
        " FROM municipality WHERE code = ANY(:codes) ORDER BY code",
        codes=facts.MUNICIPALITY_CODES,
    )
    assert [r.code for r in real] == sorted(facts.MUNICIPALITY_CODES)
    by_code = {r.code: r for r in real}
    assert by_code["DK-0746"].name == "Skanderborg Kommune"
    assert by_code["DK-0746"].currency == "DKK"
    assert by_code["DK-0746"].fte_hours_per_year == 1924
    assert by_code["NO-5001"].org_number == "942110464"
    assert by_code["DK-0746"].org_number == "29189633", "the CVR of the official list"
    assert by_code["NO-5001"].currency == "NOK"
    assert by_code["NO-5001"].fte_hours_per_year == 1695
    assert by_code["NO-5030"].merged_into_code == "NO-5001"
    owners = await _value(demo_db, "SELECT count(*) FROM source_owner WHERE source_code = 'demo'")
    assert owners == await _value(demo_db, "SELECT count(*) FROM municipality")


async def test_trondheim_benefit_totals_are_exact(demo_db: Database) -> None:
    totals = """
        SELECT sum(b.hours_saved), sum(b.cases) FROM benefit_record b
        JOIN process p ON p.id = b.process_id
        WHERE p.municipality_code = 'NO-5001' AND b.kind = 'MEASURED'
          AND b.period BETWEEN :first AND :last"""
    hours_2022, _ = await _one(demo_db, totals, first=date(2022, 1, 1), last=date(2022, 12, 1))
    assert hours_2022 == 10000
    all_years = await _one(demo_db, totals, first=date(2019, 1, 1), last=date(2022, 12, 1))
    assert all_years == (41000, 1500000)
    covid = await _rows(
        demo_db,
        "SELECT DISTINCT b.hours_saved FROM benefit_record b WHERE b.process_id = :id",
        id=facts.process_id("NO-5001", "covid19-test"),
    )
    assert [r[0] for r in covid] == [1100]
    in_production_2022 = await _value(
        demo_db,
        "SELECT count(*) FROM process WHERE municipality_code = 'NO-5001'"
        " AND phase = 'OPERATION' AND extract(year FROM put_into_operation) = 2022",
    )
    assert in_production_2022 == 9


async def test_medical_certificate_lineage(demo_db: Database) -> None:
    lineage = await _rows(
        demo_db,
        """
        WITH RECURSIVE up(id, depth) AS (
            SELECT CAST(:start AS uuid), 0
            UNION ALL
            SELECT r.origin_id, up.depth + 1 FROM reuse_link r JOIN up ON r.derived_id = up.id
        )
        SELECT p.municipality_code, up.depth FROM up JOIN process p ON p.id = up.id
        ORDER BY up.depth""",
        start=facts.RANDERS_PROCESS_ID,
    )
    assert [tuple(r) for r in lineage] == [("DK-0730", 0), ("DK-0706", 1), ("DK-0746", 2)]
    kinds = await _rows(
        demo_db,
        "SELECT kind FROM reuse_link WHERE derived_id = ANY(:ids)",
        ids=[facts.SYDDJURS_PROCESS_ID, facts.RANDERS_PROCESS_ID],
    )
    assert [k[0] for k in kinds] == ["BUILDING_BLOCKS", "BUILDING_BLOCKS"]
    hours = dict(
        await _rows(
            demo_db,
            "SELECT municipality_code, development_hours FROM process WHERE id = ANY(:ids)",
            ids=[facts.SKANDERBORG_PROCESS_ID, facts.SYDDJURS_PROCESS_ID],
        )
    )
    assert hours["DK-0706"] < hours["DK-0746"]
    reused_by = await _value(
        demo_db,
        "SELECT count(*) FROM reuse_link WHERE origin_id = :id",
        id=facts.SKANDERBORG_PROCESS_ID,
    )
    assert reused_by >= 3
    found = await _rows(
        demo_db,
        "SELECT municipality_code FROM process"
        " WHERE search @@ plainto_tsquery('danish', 'fakturaer lægeerklæringer')",
    )
    assert {"DK-0746", "DK-0706", "DK-0730"} <= {r[0] for r in found}
    assert len(found) > 3


async def test_framework_agreement(demo_db: Database) -> None:
    agreement = await _one(
        demo_db,
        "SELECT kind, start_date, initial_term_months, option_months, options_exercised,"
        " signed_on FROM framework_agreement WHERE id = :id",
        id=facts.FRAMEWORK_ID,
    )
    assert agreement == ("FRAMEWORK", date(2019, 4, 1), 24, [12, 12], 0, date(2019, 3, 29))
    vendors = await _rows(
        demo_db,
        "SELECT v.name FROM agreement_vendor av JOIN vendor v ON v.id = av.vendor_id"
        " WHERE av.agreement_id = :id ORDER BY v.name",
        id=facts.FRAMEWORK_ID,
    )
    assert [v[0] for v in vendors] == sorted(facts.VENDOR_NAMES)
    assert len(vendors) == 8
    documents = await _rows(
        demo_db,
        "SELECT title, kind FROM agreement_document WHERE agreement_id = :id ORDER BY title",
        id=facts.FRAMEWORK_ID,
    )
    assert [tuple(d) for d in documents] == [
        ("Konkurransegrunnlag", "tender_basis"),
        ("Kravspesifikasjon", "requirements_specification"),
    ]
    pilot = await _rows(
        demo_db,
        "SELECT a.kind, a.signed_on, v.name FROM framework_agreement a"
        " JOIN agreement_vendor av ON av.agreement_id = a.id JOIN vendor v ON v.id = av.vendor_id"
        " WHERE a.id = :id",
        id=facts.PILOT_ID,
    )
    assert [tuple(p) for p in pilot] == [("CONTRACT", date(2018, 5, 4), "AVO Consulting AS")]


async def test_meetings_and_visibility(demo_db: Database) -> None:
    sofie = await _rows(
        demo_db,
        "SELECT mp.municipality_code FROM network_meeting m"
        " JOIN meeting_participant mp ON mp.meeting_id = m.id"
        " JOIN meeting_it_system mi ON mi.meeting_id = m.id AND mi.it_system_code = 'sofie'"
        " ORDER BY 1",
    )
    assert [r[0] for r in sofie] == ["NO-0301", "NO-4601", "NO-5001"]
    held = await _value(
        demo_db, "SELECT held_on FROM network_meeting WHERE title LIKE 'Informasjonsmøte%'"
    )
    assert held == date(2018, 6, 11)
    not_public = await _value(
        demo_db,
        "SELECT count(*) FROM process WHERE source_id LIKE 'fact:%' AND visibility <> 'PUBLIC'",
    )
    assert not_public == 0
    visibility = dict(
        await _rows(demo_db, "SELECT visibility, count(*) FROM process GROUP BY visibility")
    )
    assert visibility["MUNICIPALITY"] > 0
    assert visibility["PERSONAL"] > 0
    emails = await _value(
        demo_db,
        "SELECT count(*) FROM process WHERE contact_email IS NOT NULL"
        " AND contact_email NOT LIKE '%@example.org'",
    )
    assert emails == 0


async def test_load_rows_into_empty_database(empty_db: Database) -> None:
    """The benchmark's path: generated filler alone, without the facts."""
    data = filler.generate(7, 2, 30, 3, date(2025, 1, 1))
    summary = await load_rows(empty_db, data)
    assert summary.municipalities == 4
    assert summary.processes == 120
    assert await _value(empty_db, "SELECT count(*) FROM process") == 120
    assert await _value(empty_db, "SELECT count(*) FROM benefit_record") == len(
        data.benefit_records
    )
    assert filler.generate(7, 2, 30, 3, date(2025, 1, 1)) == data
