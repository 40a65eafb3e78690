"""The rollups stay exact: after bulk loads, SQL writes, mutations, deletes and syncs.

Each check recomputes every rollup (``process_rollup``, and the benefit rollups of
migration 0006) from the source tables with its own SQL and compares it with what the
triggers left, so a write path that forgets a rollup fails here.
"""

import asyncio
import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select, text

from reusegraph.auth.principal import ANONYMOUS
from reusegraph.store import benefit_summary
from reusegraph.store.benefits import BenefitDimension as D
from reusegraph.store.benefits import BenefitQuery as Q
from reusegraph.store.engine import Database
from reusegraph.store.enums import Level
from reusegraph.store.models import ProcessRollup
from tests.support import builders as b
from tests.support.issuer import LocalIssuer
from tests.support.remotes import RemoteRegistry, mirror_remote, sync_once
from tests.support.tenants import A, B, Tenants, tenants
from tests.support.viewers import member, run_as

pytest_plugins = ("tests.support.identity_fixtures",)

COPIED = (
    "municipality_code, phase, visibility, type, reporter, co_editors, runs_per_year,"
    " minutes_per_run, automation_percentage, level_of_professional_assessment,"
    " level_of_change, level_of_structured_information, level_of_uniformity,"
    " level_of_digital_information, level_of_quality, level_of_speed,"
    " level_of_routine_work_reduction, evaluated_level_of_roi"
)
EXPECTED = f"""
SELECT p.id, {COPIED},
  classification_codes(p.kle, p.form, p.kla, p.k_codes::text[]) AS codes,
  coalesce((SELECT array_agg(s.it_system_code::text ORDER BY s.it_system_code)
            FROM process_it_system s WHERE s.process_id = p.id), '{{}}') AS it_systems,
  coalesce((SELECT array_agg(t.technology_code::text ORDER BY t.technology_code)
            FROM process_technology t WHERE t.process_id = p.id), '{{}}') AS technologies,
  coalesce((SELECT sum(r.hours_saved) FROM benefit_record r
            WHERE r.process_id = p.id AND r.kind = 'MEASURED'), 0) AS realised_hours,
  (SELECT count(*) FROM benefit_record r
   WHERE r.process_id = p.id AND r.kind = 'MEASURED') AS measured_records,
  (SELECT count(DISTINCT d.municipality_code) FROM reuse_link l
   JOIN process d ON d.id = l.derived_id
   WHERE l.origin_id = p.id AND d.municipality_code <> p.municipality_code
     AND (d.visibility = 'PUBLIC' OR d.type = 'GLOBAL_PARENT')) AS reused_by,
  EXISTS (SELECT FROM reuse_link l JOIN process o ON o.id = l.origin_id
          WHERE l.derived_id = p.id AND (o.visibility = 'PUBLIC' OR o.type = 'GLOBAL_PARENT'))
    AS builds_on_public
FROM process p
"""
ACTUAL = f"""
SELECT id, {COPIED}, codes, it_systems, technologies, realised_hours, measured_records,
  reused_by, builds_on_public
FROM process_rollup
"""
SYSTEM = "SET LOCAL ROLE reusegraph_system"
PUBLIC = "(p.visibility = 'PUBLIC' OR p.type = 'GLOBAL_PARENT')"
BENEFIT_ROLLUPS = {
    f"""
SELECT p.municipality_code, {PUBLIC} AS public, r.period, r.kind,
  coalesce(r.currency, '') AS currency, count(*) AS records, sum(r.hours_saved) AS hours,
  sum(coalesce(r.cases, 0)) AS cases, sum(coalesce(r.money_amount, 0)) AS money
FROM benefit_record r JOIN process p ON p.id = r.process_id
GROUP BY 1, 2, 3, 4, 5
""": """
SELECT municipality_code, public, period, kind, currency, records, hours, cases, money
FROM benefit_month_total WHERE records <> 0
""",
    f"""
SELECT municipality_code, public, kind, months, count(*) AS processes FROM (
  SELECT p.municipality_code, {PUBLIC} AS public, r.kind,
    array_agg(r.period ORDER BY r.period) AS months
  FROM benefit_record r JOIN process p ON p.id = r.process_id
  GROUP BY r.process_id, p.municipality_code, p.visibility, p.type, r.kind) AS m
GROUP BY 1, 2, 3, 4
""": """
SELECT municipality_code, public, kind, months, processes FROM benefit_month_set
WHERE processes <> 0
""",
}


async def rollups(db: Database, sql: str) -> dict[uuid.UUID, dict[str, Any]]:
    async with db.engine.connect() as conn:
        await conn.execute(text(SYSTEM))
        rows = (await conn.execute(text(sql))).mappings().all()
    return {row["id"]: {k: _plain(v) for k, v in row.items()} for row in rows}


def _plain(value: Any) -> Any:
    return Decimal(value).normalize() if isinstance(value, Decimal | int) else value


async def assert_exact(db: Database) -> dict[uuid.UUID, dict[str, Any]]:
    expected, actual = await rollups(db, EXPECTED), await rollups(db, ACTUAL)
    assert actual == expected
    for recount, kept in BENEFIT_ROLLUPS.items():
        assert await _rows(db, kept) == await _rows(db, recount)
    return actual


async def _rows(db: Database, sql: str) -> set[tuple[Any, ...]]:
    async with db.engine.connect() as conn:
        await conn.execute(text(SYSTEM))
        rows = (await conn.execute(text(sql))).all()
    return {tuple(tuple(v) if isinstance(v, list) else _plain(v) for v in row) for row in rows}


async def write(db: Database, *statements: str, **params: Any) -> None:
    async with db.session(None) as session:
        for statement in statements:
            await session.execute(text(statement), params)


@dataclass
class World:
    origin: uuid.UUID
    oslo_copy: uuid.UUID
    bergen_copy: uuid.UUID
    trondheim_copy: uuid.UUID


async def _world(db: Database) -> World:
    origin = b.process("DK-0101", kle="27.24.00", k_codes=["K1"], level_of_speed="HIGH")
    oslo = b.process("NO-0301")
    bergen = b.process("NO-4601", visibility="MUNICIPALITY")
    trondheim = b.process("NO-5001")
    same = b.process("DK-0101")
    ids = [r["id"] for r in (origin, oslo, bergen, trondheim, same)]
    await b.insert_rows(
        db,
        it_system=[{"code": c, "name": c.upper()} for c in ("esdh", "oko")],
        technology=[{"code": "rpa", "name": "RPA"}, {"code": "ocr", "name": "OCR"}],
        municipality=[b.municipality(c) for c in ("DK-0101", "NO-0301", "NO-4601", "NO-5001")],
        process=[origin, oslo, bergen, trondheim, same],
        process_it_system=[{"process_id": ids[0], "it_system_code": c} for c in ("oko", "esdh")],
        process_technology=[{"process_id": ids[0], "technology_code": "rpa"}],
        reuse_link=[b.reuse(i, ids[0]) for i in ids[1:]],
        benefit_record=[
            b.benefit(ids[0], date(2024, 1, 1), 120),
            b.benefit(ids[0], date(2024, 2, 1), 80.5),
            b.benefit(ids[0], date(2024, 1, 1), 9999, kind="ESTIMATED"),
            b.benefit(ids[1], date(2024, 1, 1), 7),
        ],
    )
    return World(ids[0], ids[1], ids[2], ids[3])


async def test_bulk_inserts_fill_the_rollup(empty_db: Database) -> None:
    w = await _world(empty_db)
    found = await assert_exact(empty_db)
    origin = found[w.origin]
    assert origin["realised_hours"] == Decimal("200.5"), "MEASURED only, estimates left out"
    assert origin["it_systems"] == ["esdh", "oko"]
    assert origin["technologies"] == ["rpa"]
    assert origin["codes"] == ["KLE 27.24.00", "K-kode K1"]
    assert origin["reused_by"] == 2, "Oslo and Trondheim; Bergen's copy is internal, DK-0101 own"


async def test_sql_updates_and_deletes_keep_the_rollup_exact(empty_db: Database) -> None:
    w = await _world(empty_db)
    o = {"o": w.origin}
    steps: list[tuple[str, ...]] = [
        ("UPDATE benefit_record SET hours_saved = hours_saved + 1 WHERE process_id = :o",),
        (
            "UPDATE benefit_record SET kind = 'ESTIMATED', period = '2024-03-01'"
            " WHERE hours_saved = 121",
        ),
        ("UPDATE benefit_record SET kind = 'MEASURED' WHERE hours_saved = 10000",),
        (f"UPDATE benefit_record SET process_id = '{w.oslo_copy}' WHERE hours_saved = 81.5",),
        ("DELETE FROM benefit_record WHERE process_id = :o",),
        (
            "UPDATE process_it_system SET it_system_code = 'oko' WHERE it_system_code = 'esdh'"
            " AND process_id <> :o",
        ),
        ("DELETE FROM process_it_system WHERE it_system_code = 'oko'",),
        ("INSERT INTO process_technology VALUES (:o, 'ocr')",),
        (f"UPDATE process SET visibility = 'PUBLIC' WHERE id = '{w.bergen_copy}'",),
        (f"UPDATE process SET visibility = 'PERSONAL' WHERE id = '{w.oslo_copy}'",),
        (f"UPDATE process SET type = 'GLOBAL_PARENT' WHERE id = '{w.oslo_copy}'",),
        (f"UPDATE process SET municipality_code = 'NO-0301' WHERE id = '{w.trondheim_copy}'",),
        (
            "UPDATE process SET municipality_code = 'NO-0301', kle = NULL, k_codes = '{K2}',"
            " level_of_quality = 'LOW', runs_per_year = 12, phase = 'IDEA' WHERE id = :o",
        ),
        (
            f"UPDATE reuse_link SET derived_id = origin_id, origin_id = derived_id"
            f" WHERE derived_id = '{w.bergen_copy}'",
        ),
        (f"DELETE FROM reuse_link WHERE derived_id = '{w.trondheim_copy}'",),
        (f"DELETE FROM process WHERE id = '{w.oslo_copy}'",),
    ]
    for step in steps:
        await write(empty_db, *step, **o)
        await assert_exact(empty_db)
    async with empty_db.engine.begin() as conn:  # the owner: the API role may not truncate
        await conn.execute(text("TRUNCATE process CASCADE"))
    await assert_exact(empty_db)


async def test_concurrent_reuse_of_one_process_counts_both(empty_db: Database) -> None:
    """Two municipalities reuse the same process at once: the second recount waits for the
    first writer's lock and then sees its link, so neither is lost."""
    origin = b.process("DK-0101")
    copies = [b.process("NO-0301"), b.process("NO-5001")]
    await b.insert_rows(
        empty_db,
        municipality=[b.municipality(c) for c in ("DK-0101", "NO-0301", "NO-5001")],
        process=[origin, *copies],
    )
    release = asyncio.Event()
    inserted = [asyncio.Event(), asyncio.Event()]

    async def reuse(n: int, hold: bool) -> None:
        async with empty_db.session(None) as session:
            await session.execute(
                text(
                    "INSERT INTO reuse_link (id, derived_id, origin_id, kind)"
                    " VALUES (:id, :d, :o, 'INSPIRATION')"
                ),
                {"id": uuid.uuid4(), "d": copies[n]["id"], "o": origin["id"]},
            )
            inserted[n].set()
            if hold:
                await release.wait()

    first = asyncio.create_task(reuse(0, hold=True))
    await inserted[0].wait()
    second = asyncio.create_task(reuse(1, hold=False))
    await until_a_writer_waits_on_a_lock(empty_db)
    assert not inserted[1].is_set(), "the second recount waits for the first writer"
    release.set()
    await asyncio.wait_for(asyncio.gather(first, second), timeout=30)
    found = await assert_exact(empty_db)
    assert found[origin["id"]]["reused_by"] == 2


async def until_a_writer_waits_on_a_lock(db: Database) -> None:
    """Until some session of this database is blocked on a lock (the second writer)."""
    waiting = text(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    for _ in range(600):
        async with db.engine.connect() as connection:
            if await connection.scalar(waiting):
                return
        await asyncio.sleep(0.02)
    raise AssertionError("the second writer never waited on the first one's lock")


async def test_mutations_keep_the_rollup_exact(
    empty_db: Database, local_issuer: LocalIssuer
) -> None:
    async with tenants(empty_db, local_issuer) as t:
        editor = t.token(A, "editor")
        origin = f"Process:{t.processes[(B, 'PUBLIC')]}"
        mine = f"Process:{t.processes[(A, 'PUBLIC')]}"
        body = await _call(t, editor, REUSE, {"originId": origin, "kind": "WHOLE_SOLUTION"})
        copy = body["reuseProcess"]["process"]
        await assert_exact(empty_db)
        await _call(
            t,
            editor,
            BENEFITS,
            {"processId": mine, "period": "2026-09", "records": [{"hoursSaved": 12.5}]},
        )
        await _call(
            t,
            editor,
            BENEFITS,
            {"processId": mine, "period": "2026-09", "records": [{"hoursSaved": 2}]},
        )
        found = await assert_exact(empty_db)
        assert found[t.processes[(A, "PUBLIC")]]["realised_hours"] == Decimal(2)
        assert found[t.processes[(B, "PUBLIC")]]["reused_by"] == 0, "the copy is not public"
        patch = {"id": copy["id"], "version": copy["version"], "patch": {"visibility": "PUBLIC"}}
        copy = (await _call(t, editor, UPDATE, patch))["processUpdate"]["process"]
        found = await assert_exact(empty_db)
        assert found[t.processes[(B, "PUBLIC")]]["reused_by"] == 1
        await _call(t, editor, DELETE, {"id": copy["id"], "version": copy["version"]})
        found = await assert_exact(empty_db)
        assert found[t.processes[(B, "PUBLIC")]]["reused_by"] == 0


REUSE = """
mutation ($input: ReuseProcessInput!) {
  reuseProcess(input: $input) { process { id version } userErrors { message } }
}
"""
BENEFITS = """
mutation ($input: BenefitsRecordInput!) {
  benefitsRecord(input: $input) { userErrors { message } }
}
"""
UPDATE = """
mutation ($input: ProcessUpdateInput!) {
  processUpdate(input: $input) { process { id version } userErrors { message } }
}
"""
DELETE = """
mutation ($input: ProcessDeleteInput!) {
  processDelete(input: $input) { deletedId userErrors { message } }
}
"""


async def _call(t: Tenants, token: str, query: str, input_: dict[str, Any]) -> dict[str, Any]:
    body = await t.call(token, query, {"input": input_})
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    assert all(not v["userErrors"] for v in data.values()), data
    return data


@pytest.fixture
async def remote(
    remote: RemoteRegistry, empty_db: Database, monkeypatch: pytest.MonkeyPatch
) -> RemoteRegistry:
    """The shared remote, registered in this test's gateway as ``remote-a``."""
    await mirror_remote(empty_db, remote, monkeypatch)
    return remote


async def _sync(db: Database) -> None:
    assert (await sync_once(db)).outcome == "ok"


async def test_syncs_keep_the_rollup_exact(empty_db: Database, remote: RemoteRegistry) -> None:
    kept, dropped = b.process(A, kle="27.24.00"), b.process(A)
    await remote.add(
        kept,
        dropped,
        process_it_system=[{"process_id": kept["id"], "it_system_code": "sofie"}],
        process_technology=[{"process_id": kept["id"], "technology_code": "rpa"}],
        benefit_record=[
            b.benefit(kept["id"], date(2026, 1, 1), 10),
            b.benefit(kept["id"], date(2026, 2, 1), 5),
            b.benefit(dropped["id"], date(2026, 1, 1), 3),
        ],
    )
    await _sync(empty_db)
    found = await assert_exact(empty_db)
    assert sum(r["realised_hours"] for r in found.values()) == Decimal(18)
    await remote.execute("UPDATE benefit_record SET hours_saved = 20 WHERE hours_saved = 10")
    await remote.execute("DELETE FROM process_it_system")
    await remote.execute("DELETE FROM process WHERE id = :id", id=dropped["id"])
    await _sync(empty_db)
    found = await assert_exact(empty_db)
    assert sum(r["realised_hours"] for r in found.values()) == Decimal(25)
    assert all(r["it_systems"] == [] for r in found.values())


async def test_rollups_are_read_with_the_process_s_visibility(empty_db: Database) -> None:
    public, internal = b.process("DK-0101"), b.process("DK-0101", visibility="MUNICIPALITY")
    await b.insert_rows(
        empty_db, municipality=[b.municipality("DK-0101")], process=[public, internal]
    )
    for viewer, expected in (
        (ANONYMOUS, {public["id"]}),
        (member("DK-0101"), {public["id"], internal["id"]}),
        (member("DK-0102"), {public["id"]}),
    ):
        async with empty_db.read(viewer) as reader:
            rows = (await reader.execute(select(ProcessRollup.id))).scalars().all()
        assert set(rows) == expected


CANDIDATES = """
query ($m: String!) {
  reuseCandidates(municipality: $m) {
    reuseCount parts { assessment } process { id score { total } }
  }
}
"""


async def test_candidates_ranked_on_rollups_agree_with_each_viewer_s_own_reading(
    empty_db: Database,
) -> None:
    """The rollup holds what anyone may read; a member's own municipality's internal copies
    and origins are added per query, for the reuse count and the scoring model alike."""
    here, there, member_home, fourth = "DK-0101", "DK-0102", "DK-0103", "DK-0104"
    internal_origin = b.process(member_home, visibility="MUNICIPALITY")
    public_origin = b.process(fourth)
    c1 = b.process(there, level_of_speed="HIGH", runs_per_year=1000, minutes_per_run=3)
    c2 = b.process(there, level_of_quality="VERY_HIGH", automation_percentage=50)
    copies = {
        "internal": b.process(member_home, visibility="MUNICIPALITY"),
        "public_fourth": b.process(fourth),
        "public_home": b.process(member_home),
    }
    rows = [internal_origin, public_origin, c1, c2, *copies.values()]
    await b.insert_rows(
        empty_db,
        it_system=[{"code": "esdh", "name": "ESDH"}],
        technology=[{"code": "rpa", "name": "RPA"}],
        municipality=[b.municipality(c) for c in (here, there, member_home, fourth)],
        process=rows,
        process_it_system=[{"process_id": c["id"], "it_system_code": "esdh"} for c in (c1, c2)],
        process_technology=[{"process_id": c["id"], "technology_code": "rpa"} for c in (c1, c2)],
        reuse_link=[
            b.reuse(c1["id"], internal_origin["id"]),
            b.reuse(c2["id"], public_origin["id"]),
            b.reuse(copies["internal"]["id"], c1["id"]),
            b.reuse(copies["public_fourth"]["id"], c2["id"]),
            b.reuse(copies["public_home"]["id"], c2["id"]),
        ],
    )
    await write(
        empty_db,
        "INSERT INTO municipality_it_system VALUES (:m, 'esdh')",
        "INSERT INTO municipality_technology VALUES (:m, 'rpa')",
        m=here,
    )
    expected_counts = {
        "anonymous": {c1["id"]: 0, c2["id"]: 2},
        "member": {c1["id"]: 1, c2["id"]: 2},
        "outsider": {c1["id"]: 0, c2["id"]: 2},
    }
    viewers = {"anonymous": ANONYMOUS, "member": member(member_home), "outsider": member(there)}
    for name, viewer in viewers.items():
        result = await run_as(empty_db, CANDIDATES, {"m": here}, viewer)
        found = result.ok()["reuseCandidates"]
        counts = {uuid.UUID(c["process"]["id"].split(":")[1]): c["reuseCount"] for c in found}
        assert counts == expected_counts[name], name
        for candidate in found:
            assert candidate["parts"]["assessment"] == pytest.approx(
                candidate["process"]["score"]["total"]
            ), name


LEADERBOARD = """
query ($from: Date, $first: Int) {
  reuseLeaderboard(from: $from, first: $first) {
    municipalityCount linkCount process { id }
  }
}
"""


async def test_the_leaderboard_pruned_by_rollups_is_the_full_ranking(empty_db: Database) -> None:
    """Bounds from the rollups skip processes that cannot make the list; whatever the period
    and the viewer, the list is the one counting every link gives."""
    home = "DK-0101"
    towns = [f"DK-0{n}" for n in range(102, 110)]
    origins = [b.process(home) for _ in range(6)]
    copies: list[dict[str, Any]] = []
    links: list[dict[str, Any]] = []
    # origin -> (town index, year, visibility) of each copy
    plan = {
        0: [(0, 2019, "PUBLIC"), (1, 2019, "PUBLIC"), (2, 2019, "PUBLIC")],
        1: [(0, 2020, "PUBLIC"), (1, 2020, "PUBLIC")],
        2: [(2, 2024, "PUBLIC"), (3, 2024, "PUBLIC")],
        3: [(4, 2024, "PUBLIC"), (5, 2019, "PUBLIC")],
        4: [(6, 2024, "PUBLIC"), (7, 2024, "MUNICIPALITY")],
        5: [(7, 2024, "MUNICIPALITY"), (7, 2025, "PERSONAL"), (1, 2018, "PUBLIC")],
    }
    for n, copies_of in plan.items():
        for town, year, visibility in copies_of:
            copy = b.process(towns[town], visibility=visibility, reporter="kari")
            copies.append(copy)
            link = b.reuse(copy["id"], origins[n]["id"])
            links.append({**link, "reused_on": date(year, 6, 1)})
    await b.insert_rows(
        empty_db,
        municipality=[b.municipality(c) for c in (home, *towns)],
        process=origins + copies,
        reuse_link=links,
    )
    readers = {
        "anonymous": ANONYMOUS,
        "member": member(towns[7]),
        "reporter": member(towns[7], "kari"),
    }
    by_id = {c["id"]: c for c in copies}

    def expected(viewer_name: str, start: date | None, first: int) -> list[tuple[str, int, int]]:
        rows = []
        for origin in origins:
            seen = []
            for link in links:
                copy = by_id[link["derived_id"]]
                if link["origin_id"] != origin["id"] or (start and link["reused_on"] < start):
                    continue
                inside = copy["municipality_code"] == towns[7] and viewer_name != "anonymous"
                readable = copy["visibility"] == "PUBLIC" or (
                    inside and (copy["visibility"] == "MUNICIPALITY" or viewer_name == "reporter")
                )
                if readable:
                    seen.append(copy["municipality_code"])
            if seen:
                rows.append((f"Process:{origin['id']}", len(set(seen)), len(seen)))
        rows.sort(key=lambda r: (-r[1], -r[2], r[0]))
        return rows[:first]

    for name, viewer in readers.items():
        for start in (None, date(2023, 1, 1), date(2024, 1, 1)):
            for first in (1, 2, 3, 5):
                variables = {"from": start.isoformat() if start else None, "first": first}
                found = (await run_as(empty_db, LEADERBOARD, variables, viewer)).ok()
                got = [
                    (e["process"]["id"], e["municipalityCount"], e["linkCount"])
                    for e in found["reuseLeaderboard"]
                ]
                assert got == expected(name, start, first), (name, start, first)


def _summary(groups: list[Any]) -> list[Any]:
    def totals(t: Any) -> tuple[Any, ...]:
        series = {m: (p.hours_saved, p.cases, p.records, p.money) for m, p in t.series.items()}
        fte = round(t.fte_years, 9)
        return (t.hours_saved, t.cases, fte, t.records, t.processes, t.months, t.money, series)

    return [
        (g.key, totals(g.totals), {k: totals(v) for k, v in g.by_kind.items()}, g.first_month)
        for g in groups
    ]


async def test_benefit_summaries_from_the_rollups_agree_with_the_records(
    empty_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each viewer: what anyone may read from the rollups, a member's own internal and
    personal processes from the records; processes counted once over months with gaps."""
    home, other = "DK-0101", "NO-0301"
    processes = [
        b.process(home),
        b.process(home, visibility="MUNICIPALITY"),
        b.process(home, visibility="PERSONAL", reporter="member"),
        b.process(home, visibility="PERSONAL", reporter="someone else"),
        b.process(other),
        b.process(other, visibility="MUNICIPALITY"),
        b.process(other, visibility="MUNICIPALITY", type="GLOBAL_PARENT"),
    ]
    months = [date(2023, 11, 1), date(2024, 1, 1), date(2024, 2, 1), date(2024, 6, 1)]
    records = [
        b.benefit(p["id"], month, 10 + n + i, cases=n or None, kind=kind, **money)
        for n, p in enumerate(processes)
        for i, month in enumerate(months)
        if (n + i) % 3 != 1
        for kind, money in (
            ("MEASURED", {"money_amount": 5, "currency": "DKK" if n % 2 else "EUR"}),
            ("ESTIMATED", {}),
        )
        if kind == "MEASURED" or n != 1
    ]
    await b.insert_rows(
        empty_db,
        municipality=[b.municipality(home), b.municipality(other)],
        process=processes,
        benefit_record=records,
    )
    await assert_exact(empty_db)
    asked = [
        ([D.MUNICIPALITY], Q(period_from=date(2024, 1, 1), period_to=date(2024, 5, 1)), False),
        ([D.YEAR], Q(municipalities=[home]), True),
        ([D.COUNTRY, D.KIND], Q(period_from=date(2024, 2, 1)), False),
        ([D.MONTH], Q(kinds=["ESTIMATED"]), True),
        ([D.MUNICIPALITY, D.YEAR], Q(period_to=date(2024, 1, 1)), False),
        ([], Q(), False),
    ]
    for viewer in (ANONYMOUS, member(home), member(other), member(home, "someone else")):
        for dimensions, query, series in asked:
            assert benefit_summary.uses_rollups(dimensions, query)
            async with empty_db.read(viewer) as reader:
                rolled = await benefit_summary.summarize(
                    reader, viewer, dimensions, query, series=series
                )
            with monkeypatch.context() as patch:
                patch.setattr(benefit_summary, "uses_rollups", lambda *_: False)
                async with empty_db.read(viewer) as reader:
                    counted = await benefit_summary.summarize(
                        reader, viewer, dimensions, query, series=series
                    )
            assert rolled, (viewer, dimensions)
            assert _summary(rolled) == _summary(counted), (viewer, dimensions)


LEVEL_INPUTS = (
    "level_of_speed",
    "level_of_routine_work_reduction",
    "level_of_quality",
    "level_of_structured_information",
    "level_of_professional_assessment",
    "level_of_uniformity",
    "level_of_change",
    "level_of_digital_information",
    "evaluated_level_of_roi",
)


async def test_candidates_score_the_assessment_exactly_as_the_process_does(
    empty_db: Database,
) -> None:
    """The rollup stores the scoring model's dimensions, computed on write (migration
    0009); a candidate's assessment must stay equal to its process's own score, to the
    last bit, for every level, after an update, and with or without reuse."""
    here, there = "DK-0101", "DK-0102"
    levels = [level.value for level in Level]
    candidates = [
        b.process(
            there,
            **{name: levels[(n + i) % len(levels)] for i, name in enumerate(LEVEL_INPUTS)},
            runs_per_year=[None, 12, 1000, 52000, 7][n % 5],
            minutes_per_run=[3, None, Decimal("7.25"), 45, 600][n % 5],
            automation_percentage=[50, 100, None, 1, 80][n % 5],
        )
        for n in range(12)
    ]
    origin = b.process("DK-0103")
    await b.insert_rows(
        empty_db,
        it_system=[{"code": "esdh", "name": "ESDH"}],
        technology=[{"code": "rpa", "name": "RPA"}],
        municipality=[b.municipality(c) for c in (here, there, "DK-0103")],
        process=[*candidates, origin],
        process_it_system=[{"process_id": c["id"], "it_system_code": "esdh"} for c in candidates],
        process_technology=[{"process_id": c["id"], "technology_code": "rpa"} for c in candidates],
        reuse_link=[b.reuse(candidates[0]["id"], origin["id"])],
    )
    await write(
        empty_db,
        "INSERT INTO municipality_it_system VALUES (:m, 'esdh')",
        "INSERT INTO municipality_technology VALUES (:m, 'rpa')",
        m=here,
    )

    async def assessments() -> dict[str, tuple[float, float]]:
        found = (await run_as(empty_db, CANDIDATES, {"m": here})).ok()["reuseCandidates"]
        return {
            c["process"]["id"]: (c["parts"]["assessment"], c["process"]["score"]["total"])
            for c in found
        }

    before = await assessments()
    assert len(before) == len(candidates)
    assert all(part == total for part, total in before.values()), before
    await write(
        empty_db,
        "UPDATE process SET level_of_speed = 'VERY_HIGH', runs_per_year = 99, "
        "level_of_change = 'VERY_LOW' WHERE id = :id",
        id=candidates[1]["id"],
    )
    after = await assessments()
    assert all(part == total for part, total in after.values()), after
    changed = f"Process:{candidates[1]['id']}"
    assert after[changed] != before[changed]
