"""``reusegraph import processes.xlsx``: OS2autoproces's own Excel export, as the adapter
reads it (62 columns with their defects), with the same dry run, report and exit codes as
CSV and JSON; every row accounted for, field by field, and a second run changes nothing."""

from pathlib import Path
from typing import Any

from reusegraph.federation.os2autoproces.vocabulary import EXPORT_COLUMNS
from reusegraph.store.engine import Database
from tests.fixtures.os2autoproces.make_export import fixture_processes, row_of, write_export
from tests.support import builders as b
from tests.support.cli import reusegraph, rows


def _workbook(tmp_path: Path) -> Path:
    """The fixture API's processes as the export writes them, plus a row of an owner that
    no list knows (a fictional municipality name)."""
    processes = fixture_processes()
    stranger = row_of({**processes[0], "id": 9001, "municipalityName": "Atlantis Kommune"})
    return write_export(tmp_path / "OS2Autoprocess.xlsx", processes, [stranger])


async def test_the_excel_export_imports_row_by_row_and_again_changes_nothing(
    empty_db: Database, tmp_path: Path
) -> None:
    await b.insert_rows(empty_db, municipality=[b.municipality("DK-0746")])
    path = _workbook(tmp_path)
    processes = fixture_processes()

    dry = await reusegraph(empty_db, "import", "--dry-run", str(path))
    assert dry.returncode == 1, dry.stderr
    assert "XLSX, 6 rows, 1 bad." in dry.stdout
    assert await rows(empty_db, "SELECT id FROM process") == []

    done = await reusegraph(empty_db, "import", str(path))
    assert done.returncode == 1, done.stderr
    assert 'row 7, column "(whole row)": column "Myndighed" = \'Atlantis Kommune\'' in done.stderr
    assert "Atlantis Kommune" in done.stderr
    assert (
        "Registered from the official municipality lists: DK-0706 Syddjurs Kommune,"
        " DK-0730 Randers Kommune."
    ) in done.stdout
    assert "OS2autoproces fields:" in done.stdout
    stored = await rows(
        empty_db,
        "SELECT source_id, municipality_code, title, runs_per_year, type"
        " FROM process ORDER BY source_id",
    )
    by_id = {p["id"]: p for p in processes}
    assert [r["source_id"] for r in stored] == sorted(str(i) for i in by_id)
    for row in stored:
        item = by_id[int(row["source_id"])]
        assert row["title"] == item["title"]
        assert row["runs_per_year"] == item["timeSpendOccurancesPerEmployee"]
    assert {r["municipality_code"] for r in stored} == {"DK-0746", "DK-0706", "DK-0730"}

    again = await reusegraph(empty_db, "import", str(path))
    assert again.returncode == 1
    assert "Registered from" not in again.stdout
    for line in again.stdout.splitlines():
        if line.startswith("file-"):
            assert "created 0, updated 0, deleted 0;" in line
    after = await rows(empty_db, "SELECT source_id, version FROM process ORDER BY source_id")
    assert {r["version"] for r in after} == {1}


async def test_an_owner_an_admin_registered_is_found_by_its_name(
    empty_db: Database, tmp_path: Path
) -> None:
    """Not in any official list (an authority), but registered here: its rows import."""
    center = b.municipality("DK-9001", name="Atlantis Kommune")
    await b.insert_rows(empty_db, municipality=[b.municipality("DK-0746"), center])
    done = await reusegraph(empty_db, "import", str(_workbook(tmp_path)))
    assert done.returncode == 0, done.stderr
    stored = await rows(empty_db, "SELECT source_code FROM process WHERE source_id = '9001'")
    assert stored == [{"source_code": "file-dk-9001"}]


def _every_column_filled() -> dict[str, Any]:
    """A process of the fixture with a value in each of the export's 62 columns."""
    return {
        **fixture_processes()[0],
        "id": 1401,
        "klId": "KL-0412",
        "kla": "27.24.00.02",
        "legalClause": "Sundhedsloven § 42",
        "decommissioned": "2024-06-30T22:00:00.000+00:00",
        "legalClauseLastVerified": "2023-01-09T23:00:00.000+00:00",
        "internalNotes": "<p>Kun til internt brug.</p>",
        "esdhReference": "24/1187",
        "otherContactEmail": "rpa@skanderborg.example",
        "reporter": {"name": "Jens Holm"},
        "owner": {"name": "Anne Berg"},
        "users": [{"name": "Jens Holm"}, {"name": "Sofie Dal"}],
        "orgUnits": [{"name": "Økonomi"}],
        "codeRepositoryUrl": "https://git.skanderborg.example/rpa/laeger",
        "attachments": ["procesdiagram.pdf", "kravspec.docx"],
    }


def _field_report(stdout: str) -> dict[str, dict[str, int]]:
    """The import's per-field lines: ``  title: 1 mapped`` -> {"title": {"mapped": 1}}."""
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if "OS2autoproces fields:" in line)
    found: dict[str, dict[str, int]] = {}
    for line in lines[start + 1 :]:
        name, colon, counts = line.strip().partition(": ")
        if not colon or " " in name or not counts[:1].isdigit():
            break
        found[name] = {o: int(n) for n, o in (part.split(" ") for part in counts.split(", "))}
    return found


async def test_every_column_of_the_export_is_mapped_kept_or_derived_and_none_dropped(
    empty_db: Database, tmp_path: Path
) -> None:
    process = _every_column_filled()
    path = write_export(tmp_path / "export.xlsx", [process])

    done = await reusegraph(empty_db, "import", str(path))
    assert done.returncode == 0, done.stderr
    fields = _field_report(done.stdout)
    columns = {field.partition(".")[0] for _, field in EXPORT_COLUMNS}
    assert set(fields) == columns, "every one of the 62 columns is in the report"
    assert len(EXPORT_COLUMNS) == 62
    outcomes = {name: set(counts) for name, counts in fields.items()}
    assert {o for found in outcomes.values() for o in found} == {"mapped", "extras", "derived"}
    assert {n for n, o in outcomes.items() if o == {"extras"}} == {
        "itSystemsDescription",
        "services",
        "attachments",
    }
    assert {n for n, o in outcomes.items() if o == {"derived"}} == {
        "manualHoursPerYear",
        "timeSpendComputedTotal",
    }
    assert "XLSX, 1 rows, 0 bad." in done.stdout

    [stored] = await rows(
        empty_db,
        "SELECT source_id, title, kl_id, kla, legal_clause, decommissioned, esdh_reference,"
        " runs_per_year, extras FROM process",
    )
    assert stored["source_id"] == "1401"
    assert (stored["title"], stored["kl_id"], stored["kla"]) == (
        process["title"], "KL-0412", "27.24.00.02"
    )  # fmt: skip
    assert (stored["legal_clause"], stored["esdh_reference"]) == ("Sundhedsloven § 42", "24/1187")
    assert stored["decommissioned"].isoformat() == "2024-07-01"
    assert stored["runs_per_year"] == process["timeSpendOccurancesPerEmployee"]
    assert stored["extras"]["attachments"] == ["procesdiagram.pdf", "kravspec.docx"]
    assert stored["extras"]["itSystemsDescription"] == process["itSystemsDescription"]

    again = await reusegraph(empty_db, "import", str(path))
    assert again.returncode == 0, again.stderr
    assert "created 0, updated 0, deleted 0; 1 unchanged" in again.stdout
    after = await rows(empty_db, "SELECT version FROM process")
    assert after == [{"version": 1}]
