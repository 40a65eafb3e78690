"""``reusegraph import processes.xlsx``: OS2autoproces's own Excel export, as the adapter
reads it (62 columns with their defects), with the same dry run, report and exit codes as
CSV and JSON; every row accounted for, field by field, and a second run changes nothing."""

import asyncio
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import text

from reusegraph.store.engine import Database
from tests.conftest import url_of
from tests.fixtures.os2autoproces.make_export import fixture_processes, row_of, write_export
from tests.support import builders as b


async def reusegraph(db: Database, *args: str) -> subprocess.CompletedProcess[str]:
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "reusegraph", *args],
        env={**os.environ, "DATABASE_URL": url_of(db)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def rows(db: Database, sql: str) -> list[dict[str, Any]]:
    async with db.session(None) as session:
        return [dict(r) for r in (await session.execute(text(sql))).mappings()]


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
