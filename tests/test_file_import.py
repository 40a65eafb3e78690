"""`reusegraph import FILE`: CSV and JSON into file sources, as an operator runs it."""

import re
import uuid
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import insert, text

from reusegraph.store.engine import Database
from reusegraph.store.models import Source
from tests.support import builders as b
from tests.support.cli import reusegraph, rows

FIXTURES = Path(__file__).parent / "fixtures" / "imports"
DEMO_MUNICIPALITY = "DK-0901"
DK, NO = "DK-0101", "NO-5001"
# What an export carries that an import cannot bring back: the id here and the record's
# provenance are new, and realised hours are the sum of benefit records it does not list.
NOT_ROUND_TRIPPED = {"id", "sourceId", "sourceUrl", "realisedHoursSaved"}


async def export(db: Database, municipality: str, format: str, target: Path) -> Path:
    done = await reusegraph(
        db, "export", "--format", format, "--municipality", municipality,
        "--member-of", municipality, "--output", str(target),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return target


async def state(db: Database) -> dict[str, Any]:
    """Everything an import may touch, to show that a dry run touched nothing."""
    return {
        "processes": await rows(db, "SELECT * FROM process ORDER BY id"),
        "benefits": await rows(db, "SELECT * FROM benefit_record ORDER BY id"),
        "sources": await rows(db, "SELECT * FROM source ORDER BY code"),
        "catalog": await rows(db, "SELECT * FROM it_system ORDER BY code"),
        "audit": await rows(db, "SELECT count(*) AS n FROM audit_entry"),
    }


async def copy_directory(source: Database, target: Database, municipality: str) -> None:
    """The reference data an import checks rows against: the municipality and the vendors."""
    async with source.session(None) as session:
        found = (await session.execute(text("SELECT * FROM municipality WHERE code = :c"),
                                       {"c": municipality})).mappings().all()  # fmt: skip
        vendors = (await session.execute(text("SELECT * FROM vendor"))).mappings().all()
    await b.insert_rows(
        target,
        municipality=[{**row, "source_code": None} for row in found],
        vendor=[dict(row) for row in vendors],
    )


def by_origin(exported: list[dict[str, Any]], key: str) -> dict[str, dict[str, Any]]:
    return {
        row[key]: {k: v for k, v in row.items() if k not in NOT_ROUND_TRIPPED} for row in exported
    }


@pytest.mark.parametrize("format", ["csv", "json"])
async def test_an_export_imports_into_an_empty_database_record_by_record_and_again_changes_nothing(
    demo_db: Database, empty_db: Database, tmp_path: Path, format: str
) -> None:
    original = orjson.loads(
        (await export(demo_db, DEMO_MUNICIPALITY, "json", tmp_path / "a.json")).read_bytes()
    )
    file = await export(demo_db, DEMO_MUNICIPALITY, format, tmp_path / f"a.{format}")
    await copy_directory(demo_db, empty_db, DEMO_MUNICIPALITY)

    done = await reusegraph(empty_db, "import", str(file))
    assert done.returncode == 0, done.stderr
    # Not a terminal: progress comes as plain lines on stderr, each stage ending at its total.
    finished = re.findall(r"^(\w+): (\d+) of (\d+) rows \(100 %\)$", done.stderr, re.M)
    assert finished, done.stderr
    assert all(reached == total for _, reached, total in finished), done.stderr
    assert "100 %" not in done.stdout
    source = f"file-{DEMO_MUNICIPALITY.lower()}"
    assert (
        f"{source} (new file source of {DEMO_MUNICIPALITY}): created {len(original)},"
        in done.stdout
    )

    again = orjson.loads(
        (await export(empty_db, DEMO_MUNICIPALITY, "json", tmp_path / "b.json")).read_bytes()
    )
    assert by_origin(again, "sourceId") == by_origin(original, "id")
    assert {row["sourceId"] for row in again} == {row["id"] for row in original}

    before = await state(empty_db)
    repeat = await reusegraph(empty_db, "import", str(file))
    assert repeat.returncode == 0, repeat.stderr
    assert f"{source}: created 0, updated 0, deleted 0; {len(original)} unchanged." in repeat.stdout
    after = await state(empty_db)
    assert [(p["id"], p["version"], p["updated_at"]) for p in after["processes"]] == [
        (p["id"], p["version"], p["updated_at"]) for p in before["processes"]
    ]
    assert after["audit"][0]["n"] == before["audit"][0]["n"] + 1, (
        "one import summary, no record entries"
    )

    # Its own export, imported again (say after editing it): the same records, not copies.
    own = await export(empty_db, DEMO_MUNICIPALITY, format, tmp_path / f"b.{format}")
    reimported = await reusegraph(empty_db, "import", str(own))
    assert reimported.returncode == 0, reimported.stderr
    assert f"{source}: created 0, updated 0, deleted 0; {len(original)} unchanged." in (
        reimported.stdout
    )


async def test_csv_and_json_of_the_same_records_are_the_same_import(
    demo_db: Database, empty_db: Database, tmp_path: Path
) -> None:
    await copy_directory(demo_db, empty_db, DEMO_MUNICIPALITY)
    csv_file = await export(demo_db, DEMO_MUNICIPALITY, "csv", tmp_path / "a.csv")
    json_file = await export(demo_db, DEMO_MUNICIPALITY, "json", tmp_path / "a.json")
    assert (await reusegraph(empty_db, "import", str(csv_file))).returncode == 0
    dry = await reusegraph(empty_db, "import", str(json_file), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "would create 0, would update 0, would delete 0; 21 unchanged." in dry.stdout


def _json(tmp_path: Path, name: str, records: list[dict[str, Any]]) -> Path:
    path = tmp_path / name
    path.write_bytes(orjson.dumps(records))
    return path


def _record(key: str, title: str, **values: Any) -> dict[str, Any]:
    return {"id": key, "title": title, "phase": "IDEA", "visibility": "PUBLIC", **values}


async def test_dry_run_lists_what_would_be_created_updated_and_deleted_and_writes_nothing(
    empty_db: Database, tmp_path: Path
) -> None:
    await b.insert_rows(empty_db, municipality=[b.municipality(DK)])
    first = [_record("p1", "One"), _record("p2", "Two"), _record("p3", "Three")]
    assert (await reusegraph(empty_db, "import", str(_json(tmp_path, "1.json", first)),
                             "--municipality", DK)).returncode == 0  # fmt: skip
    second = [_record("p1", "One"), _record("p2", "Two, renamed", phase="OPERATION"),
              _record("p4", "Four")]  # fmt: skip
    file = _json(tmp_path, "2.json", second)
    before = await state(empty_db)

    partial = await reusegraph(empty_db, "import", str(file), "--municipality", DK, "--dry-run")
    assert partial.returncode == 0, partial.stderr
    assert "would create 1, would update 1, would delete 0; 1 unchanged." in partial.stdout
    assert (
        "1 stored records are not in the file; they are deleted only with --complete"
        in partial.stdout
    )

    complete = await reusegraph(empty_db, "import", str(file), "--municipality", DK, "--dry-run",
                                "--complete")  # fmt: skip
    assert complete.returncode == 0, complete.stderr
    lines = complete.stdout.splitlines()
    assert "file-dk-0101: would create 1, would update 1, would delete 1; 1 unchanged." in lines
    changes = {tuple(line.split()[:4]) for line in lines if line.startswith("  ")}
    assert changes == {
        ("create", "file-dk-0101", "item", "3"),
        ("update", "file-dk-0101", "item", "2"),
        ("delete", "file-dk-0101", "-", "p3"),
    }
    assert next(line for line in lines if line.startswith("  update")).endswith("[title, phase]")
    assert "Dry run: nothing was written." in lines
    assert await state(empty_db) == before

    done = await reusegraph(empty_db, "import", str(file), "--municipality", DK, "--complete")
    assert done.returncode == 0, done.stderr
    assert "file-dk-0101: created 1, updated 1, deleted 1; 1 unchanged." in done.stdout
    stored = await rows(
        empty_db, "SELECT source_id, title, version FROM process ORDER BY source_id"
    )
    assert stored == [
        {"source_id": "p1", "title": "One", "version": 1},
        {"source_id": "p2", "title": "Two, renamed", "version": 2},
        {"source_id": "p4", "title": "Four", "version": 1},
    ]
    audit = await rows(
        empty_db,
        "SELECT action, issuer, jsonb_typeof(before) = 'object' AS had_before,"
        " jsonb_typeof(after) = 'object' AS has_after"
        " FROM audit_entry WHERE entity = 'Process' ORDER BY id",
    )
    assert len(audit) == 6, "three created first, then one created, one updated, one deleted"
    assert {(a["action"], a["issuer"]) for a in audit} == {("fileImport", "reusegraph-cli")}
    assert sorted((a["had_before"], a["has_after"]) for a in audit[3:]) == [
        (False, True),  # created
        (True, False),  # deleted, with what it was
        (True, True),  # updated, before and after
    ]


async def test_bad_rows_are_reported_by_row_and_column_and_the_good_rows_land(
    empty_db: Database,
) -> None:
    await b.insert_rows(empty_db, municipality=[b.municipality(DK)])
    done = await reusegraph(empty_db, "import", str(FIXTURES / "spreadsheet.csv"))
    assert done.returncode == 1
    report = done.stderr.splitlines()
    assert "2 bad rows, not imported:" in report  # after the progress lines of the reading
    assert "  row 4, column \"Fase\" = 'Kørende': not allowed; allowed: Idé (IDEA)," in "\n".join(
        report
    )
    assert any(
        line.startswith(
            "  row 4, column \"Tidsforbrug pr. proces i minutter\" = 'ca. 5': expected a number"
        )
        for line in report
    )
    assert (
        "  row 4, column \"Er borgere påvirket\" = 'Måske': expected true or false (Ja or Nej)"
        in report
    )
    assert (
        '  row 5, column "Forventet automatiseringsgrad" = 150: automation_percentage 150 is outside 0-100'
        in report
    )
    assert (
        "file-dk-0101 (new file source of DK-0101): created 2, updated 0, deleted 0; 0 unchanged."
        in done.stdout
    )
    assert "Unknown columns, ignored: Noter til os selv." in done.stdout
    stored = await rows(
        empty_db,
        "SELECT source_id, phase, visibility, domains, minutes_per_run, targets_citizens"
        " FROM process ORDER BY source_id",
    )
    assert [
        (
            r["source_id"],
            r["phase"],
            r["visibility"],
            r["domains"],
            str(r["minutes_per_run"]),
            r["targets_citizens"],
        )
        for r in stored
    ] == [
        ("A-1", "OPERATION", "PUBLIC", ["ADMINISTRATION"], "6.50", True),
        ("A-2", "IDEA", "MUNICIPALITY", ["ECONOMY", "SOCIAL"], "12.00", False),
    ]
    source = await rows(empty_db, "SELECT kind, record_count, last_outcome, last_error FROM source")
    assert source[0]["kind"] == "file"
    assert source[0]["record_count"] == 2
    assert source[0]["last_outcome"] == "partial"
    assert "2 rows not imported" in source[0]["last_error"]


async def test_atomic_writes_all_good_rows_or_none(empty_db: Database, tmp_path: Path) -> None:
    await b.insert_rows(empty_db, municipality=[b.municipality(DK)])
    before = await state(empty_db)
    refused = await reusegraph(empty_db, "import", str(FIXTURES / "spreadsheet.csv"), "--atomic")
    assert refused.returncode == 1
    assert "--atomic: nothing was written, because the file has bad rows." in refused.stderr
    assert "Nothing was written." in refused.stdout
    assert await state(empty_db) == before

    good = tmp_path / "good.csv"
    lines = (FIXTURES / "spreadsheet.csv").read_text(encoding="utf-8").splitlines()
    good.write_text(
        "\n".join(line for line in lines if not line.startswith(("A-3", "A-4"))), encoding="utf-8"
    )
    done = await reusegraph(empty_db, "import", str(good), "--atomic")
    assert done.returncode == 0, done.stderr
    assert "created 2, updated 0, deleted 0" in done.stdout


async def test_plain_json_with_graphql_names_brings_benefits_links_and_reuse(
    empty_db: Database,
) -> None:
    await b.insert_rows(
        empty_db,
        municipality=[b.municipality(NO)],
        vendor=[
            {"id": uuid.uuid4(), "name": "Robotics AS", "country": "NO", "org_number": "999888777"}
        ],
    )
    file = str(FIXTURES / "plain.json")
    done = await reusegraph(
        empty_db, "import", file, "--municipality", NO, "--source", "trondheim-file"
    )
    assert done.returncode == 0, done.stderr
    assert "trondheim-file (new file source of NO-5001): created 3" in done.stdout
    robot = (await rows(empty_db, "SELECT p.*, v.name AS vendor FROM process p"
                        " LEFT JOIN vendor v ON v.id = p.vendor_id WHERE source_id = 'robot-17'"))[0]  # fmt: skip
    assert robot["vendor"] == "Robotics AS", "matched by organisation number"
    assert robot["source_code"] == "trondheim-file"
    assert robot["synced_at"] is not None
    benefits = await rows(empty_db, "SELECT period, hours_saved, money_amount, currency FROM benefit_record"
                          " WHERE process_id = :p ORDER BY period", p=robot["id"])  # fmt: skip
    assert [(str(x["period"]), str(x["hours_saved"]), x["currency"]) for x in benefits] == [
        ("2025-01-01", "150.50", None),
        ("2025-02-01", "162.00", "NOK"),
    ]
    reuse = await rows(empty_db, "SELECT o.source_id AS origin, d.source_id AS derived, r.kind FROM reuse_link r"
                       " JOIN process o ON o.id = r.origin_id JOIN process d ON d.id = r.derived_id")  # fmt: skip
    assert reuse == [{"origin": "robot-17", "derived": "robot-18", "kind": "WHOLE_SOLUTION"}]
    links = await rows(empty_db, "SELECT url, label FROM process_link")
    assert links == [{"url": "https://example.org/robot-17", "label": "Design notes"}]
    again = await reusegraph(
        empty_db, "import", file, "--municipality", NO, "--source", "trondheim-file"
    )
    assert "created 0, updated 0, deleted 0; 3 unchanged." in again.stdout


async def test_an_older_row_never_overwrites_a_newer_stored_copy(
    empty_db: Database, tmp_path: Path
) -> None:
    await b.insert_rows(empty_db, municipality=[b.municipality(DK)])
    newer = _record("p1", "Newer", updatedAt="2025-06-01T00:00:00Z")
    older = _record("p1", "Older", updatedAt="2025-01-01T00:00:00Z")
    await reusegraph(
        empty_db, "import", str(_json(tmp_path, "new.json", [newer])), "--municipality", DK
    )
    done = await reusegraph(
        empty_db,
        "import",
        str(_json(tmp_path, "old.json", [older])),
        "--municipality",
        DK,
        "--dry-run",
    )
    assert "0 unchanged, 1 kept (stored copy newer)." in done.stdout
    assert (await rows(empty_db, "SELECT title FROM process")) == [{"title": "Newer"}]


async def test_imports_that_cannot_start_say_why_and_write_nothing(
    empty_db: Database, tmp_path: Path
) -> None:
    await b.insert_rows(empty_db, municipality=[b.municipality(DK)])
    async with empty_db.session(None) as session:
        await session.execute(insert(Source).values(code="own", name="Own", kind="hosted"))
    before = await state(empty_db)
    file = str(_json(tmp_path, "a.json", [_record("p1", "One")]))
    cases = {
        ("--municipality", "DK-9999"): "--municipality DK-9999: not a registered municipality",
        ("--municipality", DK, "--source", "own"): "source own is a hosted source",
        ("--source", "Not A Code"): "a source code is 1-63 of a-z, 0-9 and '-'",
    }
    for options, message in cases.items():
        done = await reusegraph(empty_db, "import", file, *options)
        assert done.returncode == 2, (options, done.stderr)
        assert message in done.stderr
    broken = tmp_path / "broken.json"
    broken.write_text("[{", encoding="utf-8")
    done = await reusegraph(empty_db, "import", str(broken))
    assert done.returncode == 2
    assert "broken.json is not valid JSON" in done.stderr
    latin = tmp_path / "latin.csv"
    latin.write_bytes("Titel;Fase\nSkøjtebane;Idé\n".encode("latin-1"))
    done = await reusegraph(empty_db, "import", str(latin))
    assert done.returncode == 2
    assert "is not UTF-8 text; save it as 'CSV UTF-8'" in done.stderr
    assert await state(empty_db) == before


async def test_rows_of_a_municipality_the_source_does_not_own_are_bad_rows(
    empty_db: Database, tmp_path: Path
) -> None:
    await b.insert_rows(empty_db, municipality=[b.municipality(DK), b.municipality(NO)])
    first = _json(tmp_path, "dk.json", [_record("p1", "One", municipality=DK)])
    assert (await reusegraph(empty_db, "import", str(first), "--source", "shared")).returncode == 0
    mixed = _json(
        tmp_path,
        "mixed.json",
        [_record("p1", "One", municipality=DK), _record("n1", "En", municipality=NO)],
    )
    done = await reusegraph(empty_db, "import", str(mixed), "--source", "shared", "--complete")
    assert done.returncode == 1
    assert (
        "item 2, column \"municipality\" = 'NO-5001': NO-5001 is not an owner of source shared (owners: DK-0101)"
        in done.stderr
    )
    assert "shared: created 0, updated 0, deleted 0; 1 unchanged." in done.stdout
    by_default = await reusegraph(empty_db, "import", str(mixed))
    assert by_default.returncode == 0, by_default.stderr
    assert "file-no-5001 (new file source of NO-5001): created 1" in by_default.stdout


async def test_a_municipality_owned_by_another_source_is_not_imported_twice(
    empty_db: Database, tmp_path: Path
) -> None:
    """Its processes come from their owning source; a file source would copy them all."""
    await b.insert_rows(empty_db, municipality=[b.municipality(DK), b.municipality(NO)])
    async with empty_db.session(None) as session:
        await session.execute(
            insert(Source).values(
                code="trondheim",
                name="Trondheim",
                kind="graphql",
                endpoint="https://registry.example.no/graphql",
            )
        )
        await session.execute(text(f"INSERT INTO source_owner VALUES ('trondheim', '{NO}')"))
    before = await state(empty_db)
    file = _json(tmp_path, "no.json", [_record("n1", "En", municipality=NO)])
    for options in ((), ("--source", "own-file")):
        done = await reusegraph(empty_db, "import", str(file), *options)
        assert done.returncode == 1, done.stderr
        assert f"{NO}'s processes come from source trondheim (graphql)" in done.stderr
    refused = await reusegraph(empty_db, "import", str(file), "--municipality", NO)
    assert refused.returncode == 2
    assert "come from source trondheim (graphql)" in refused.stderr
    assert await state(empty_db) == before
    # A municipality whose owner is a file source: its rows go there without --source.
    dk = _json(tmp_path, "dk.json", [_record("p1", "One", municipality=DK)])
    assert (await reusegraph(empty_db, "import", str(dk), "--source", "dk-file")).returncode == 0
    done = await reusegraph(empty_db, "import", str(dk))
    assert done.returncode == 0, done.stderr
    assert "dk-file: created 0, updated 0, deleted 0; 1 unchanged." in done.stdout
    assert await rows(empty_db, "SELECT source_code FROM source_owner ORDER BY 1") == [
        {"source_code": "dk-file"},
        {"source_code": "trondheim"},
    ]
