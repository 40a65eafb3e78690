"""Imports account for every owner: an official municipality not registered yet is
registered from the shipped list (and the report says so); an owner in no list is a bad
row that names it; a second run registers nothing and changes nothing."""

from pathlib import Path

from reusegraph.store.engine import Database
from tests.support import builders as b
from tests.support.cli import reusegraph, rows

HEADER = "ID;Titel;Fase;Synlighed;Kommunekode;Myndighed\n"
ROWS = (
    "S-1;Journalisering;Drift;Offentlig;DK-0746;\n"
    "S-2;Udbetaling;Idé;Offentlig;;Randers Kommune\n"
    "K-1;Fakturabehandling;Drift;Offentlig;NO-5030;\n"
    "X-1;Ukendt ejer;Drift;Offentlig;DK-0999;\n"
    "X-2;Ukendt navn;Drift;Offentlig;;Atlantis Kommune\n"
)


async def test_unregistered_official_owners_are_registered_and_unknown_ones_reported(
    empty_db: Database, tmp_path: Path
) -> None:
    await b.insert_rows(empty_db, municipality=[b.municipality("DK-0101")])
    path = tmp_path / "registry.csv"
    path.write_text(HEADER + ROWS, encoding="utf-8")

    dry = await reusegraph(empty_db, "import", "--dry-run", str(path))
    assert "Would register from the official municipality lists:" in dry.stdout
    assert await rows(empty_db, "SELECT code FROM municipality ORDER BY code") == [
        {"code": "DK-0101"}
    ]

    done = await reusegraph(empty_db, "import", str(path))
    assert done.returncode == 1, done.stderr
    assert (
        "Registered from the official municipality lists: DK-0730 Randers Kommune,"
        " DK-0746 Skanderborg Kommune, NO-5001 Trondheim kommune, NO-5030 Klæbu kommune."
    ) in done.stdout
    problems = done.stderr
    assert "row 5, column \"Kommunekode\" = 'DK-0999': neither registered nor in the" in problems
    assert "row 6, column \"Myndighed\" = 'Atlantis Kommune'" in problems
    registered = await rows(
        empty_db,
        "SELECT code, name, org_number, merged_into_code FROM municipality ORDER BY code",
    )
    assert registered == [
        {"code": "DK-0101", "name": registered[0]["name"], "org_number": None,
         "merged_into_code": None},
        {"code": "DK-0730", "name": "Randers Kommune", "org_number": "29189668",
         "merged_into_code": None},
        {"code": "DK-0746", "name": "Skanderborg Kommune", "org_number": "29189633",
         "merged_into_code": None},
        {"code": "NO-5001", "name": "Trondheim kommune", "org_number": "942110464",
         "merged_into_code": None},
        {"code": "NO-5030", "name": "Klæbu kommune", "org_number": None,
         "merged_into_code": "NO-5001"},
    ]  # fmt: skip
    stored = await rows(
        empty_db, "SELECT source_id, municipality_code FROM process ORDER BY source_id"
    )
    assert stored == [
        {"source_id": "K-1", "municipality_code": "NO-5030"},
        {"source_id": "S-1", "municipality_code": "DK-0746"},
        {"source_id": "S-2", "municipality_code": "DK-0730"},
    ]
    audit = await rows(
        empty_db,
        "SELECT count(*) AS n FROM audit_entry WHERE action = 'municipalityRegister'",
    )
    assert audit == [{"n": 4}]

    again = await reusegraph(empty_db, "import", str(path))
    assert "Registered from" not in again.stdout
    assert "created 0, updated 0, deleted 0; 1 unchanged." in again.stdout
