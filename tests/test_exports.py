"""Exports: CSV, JSON and XLSX of `processes`, streamed, visibility-checked, OS2autoproces-shaped."""

import asyncio
import csv
import io
import os
import subprocess
import sys
import tracemalloc
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import openpyxl  # type: ignore[import-untyped]
import orjson
import pytest
from sqlalchemy import Table, insert
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.routing import Route

from reusegraph.api.exports import ProcessExport
from reusegraph.auth.principal import ANONYMOUS, Principal, Role
from reusegraph.store.engine import Database
from reusegraph.store.exports.columns import COLUMNS, OS2AUTOPROCES_COLUMNS
from reusegraph.store.exports.formats import Format, encode
from reusegraph.store.exports.rows import export_rows
from reusegraph.store.models import ProcessAttachment, ProcessLink
from reusegraph.store.processes import ProcessQuery
from tests.support import builders as b
from tests.support.http import GraphQLClient, serving
from tests.support.postgres import url_of

DK, NO = "DK-0101", "NO-0201"
HEADERS = [c.header for c in COLUMNS]
ROUTINE = HEADERS.index(
    "Vil automatisering frigive tid og nedbringe rutineopgaver, som skaber en bedre trivsel"
    " blandt medarbejderne?"
)
AUTOMATABLE_HEADER = "I hvor høj grad vurderes det at processen kan automatiseres?"
AUTOMATABLE = HEADERS.index(AUTOMATABLE_HEADER)
PUT_INTO_OPERATION = date(2023, 5, 1)
ANNA = Principal(issuer="t", subject="anna", municipality=DK, roles=frozenset({Role.MEMBER}))
OUTSIDER = Principal(issuer="t", subject="ola", municipality=NO, roles=frozenset({Role.MEMBER}))


@pytest.fixture
async def seeded(empty_db: Database) -> dict[str, Any]:
    full = b.process(
        DK,
        title="Full robot",
        summary="=1+1 is not a formula",
        kle="27.24.00",
        domains=["ECONOMY", "HEALTH"],
        runs_per_year=1200,
        minutes_per_run=6.5,
        automation_percentage=80,
        employees_doing_process=3,
        targets_citizens=True,
        targets_companies=False,
        level_of_routine_work_reduction="VERY_HIGH",
        evaluated_level_of_roi="LOW",
        put_into_operation=PUT_INTO_OPERATION,
        run_period="MONTHLY",
        rating=2,
        internal_notes="secret note",
        reporter="anna",
        esdh_reference="ESDH-1",
        co_editors=["bo"],
    )
    internal = b.process(DK, title="Internal robot", visibility="MUNICIPALITY")
    personal = b.process(DK, title="Anna's draft", visibility="PERSONAL", reporter="anna")
    norwegian = b.process(NO, title="Norwegian idea", phase="IDEA", domains=["HEALTH"])
    await b.insert_rows(
        empty_db,
        it_system=[
            {"code": "esdh", "name": "ESDH, sager og dokumenter"},
            {"code": "erp", "name": "ERP"},
        ],
        technology=[{"code": "rpa", "name": "RPA"}],
        municipality=[b.municipality(DK), b.municipality(NO)],
        process=[full, internal, personal, norwegian],
        process_it_system=[
            {"process_id": full["id"], "it_system_code": "esdh"},
            {"process_id": full["id"], "it_system_code": "erp"},
        ],
        process_technology=[{"process_id": full["id"], "technology_code": "rpa"}],
        benefit_record=[
            b.benefit(full["id"], date(2024, 1, 1), 100),
            b.benefit(full["id"], date(2024, 2, 1), 50.5),
            b.benefit(full["id"], date(2024, 2, 1), 999, kind="ESTIMATED"),
        ],
    )
    extra: dict[Table, list[dict[str, Any]]] = {
        ProcessLink.__table__: [  # type: ignore[dict-item]
            {"process_id": full["id"], "url": "https://example.org/public", "internal": False},
            {"process_id": full["id"], "url": "https://intra.example.org/x", "internal": True},
        ],
        ProcessAttachment.__table__: [  # type: ignore[dict-item]
            {"process_id": full["id"], "file_name": "shared.pdf", "url": "u1", "shared": True},
            {"process_id": full["id"], "file_name": "mine.pdf", "url": "u2", "shared": False},
        ],
    }
    async with empty_db.session(None) as session:
        for table, rows in extra.items():
            await session.execute(insert(table), rows)
    return {"full": full, "internal": internal, "personal": personal, "norwegian": norwegian}


def _csv(text: str) -> list[list[str]]:
    assert text.startswith("\ufeff"), "a BOM, so that Excel reads UTF-8"
    return list(csv.reader(io.StringIO(text[1:])))


async def test_csv_has_os2autoproces_columns_in_order_with_fixed_values(
    seeded: dict[str, Any], api: GraphQLClient
) -> None:
    response = await api.http.get("/export/processes.csv", params={"municipality": DK})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    header, *rows = _csv(response.text)
    assert header == HEADERS
    assert header[:3] == ["ID", "Titel", "Resumé"]
    assert header[OS2AUTOPROCES_COLUMNS - 1] == "Interne Noter"
    assert header[AUTOMATABLE] == AUTOMATABLE_HEADER, "no trailing space"
    assert [r[1] for r in rows] == ["Full robot"], "public processes only, for anonymous"
    row = dict(zip(header, rows[0], strict=True))
    assert row["ID"] == str(seeded["full"]["id"])
    assert row["Resumé"] == "'=1+1 is not a formula"
    assert row["Fase"] == "Drift"
    assert row["Fagområder"] == "Økonomi\nSundhed"
    assert row["Nuværende systemer"] == "ERP\nESDH, sager og dokumenter"
    assert row["Antal gange processen foretages årligt"] == "1200"
    assert row["Tidsforbrug pr. proces i minutter"] == "6.50"
    assert row["Manuelt tidsforbrug i timer"] == "130.00"
    assert row["Forventet årlig effektiviseringspotentiale"] == "104.00"
    assert row["Forventet timeforbrug på udvikling"] == "", "unknown stays empty, not 0"
    assert row["Er borgere påvirket"] == "true"
    assert row["Er virksomheder påvirket"] == "false"
    assert rows[0][ROUTINE] == "I høj grad", "column 45 holds the routine-work answer"
    assert rows[0][AUTOMATABLE] == "I mindre grad", "column 46 holds evaluatedLevelOfRoi"
    assert row["Løsningen sat i drift"] == "2023-05-01"
    assert datetime.fromisoformat(row["Oprettet"]).tzinfo is not None
    assert row["Skedulering"] == "Månedligt"
    assert row["Realiserede timer i alt"] == "150.50"
    assert row["Kommunekode"] == DK


async def test_other_municipalities_never_see_internal_fields(
    seeded: dict[str, Any], api: GraphQLClient
) -> None:
    response = await api.http.get("/export/processes.json")
    items = orjson.loads(response.content)
    full = next(i for i in items if i["title"] == "Full robot")
    for key in ("reporter", "owner", "caseReference", "internalNotes"):
        assert full[key] is None, key
    assert full["coEditors"] == []
    assert full["links"] == ["https://example.org/public"]
    assert full["attachments"] == ["shared.pdf"]
    assert {i["title"] for i in items} == {"Full robot", "Norwegian idea"}


async def test_xlsx_keeps_numbers_dates_and_booleans_typed(
    seeded: dict[str, Any], api: GraphQLClient
) -> None:
    response = await api.http.get("/export/processes.xlsx", params={"municipality": DK})
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    sheet = book["Processer"]
    header, row = list(sheet.iter_rows(values_only=True))
    assert list(header) == HEADERS
    cells = dict(zip(header, row, strict=True))
    assert cells["Antal gange processen foretages årligt"] == 1200
    assert isinstance(cells["Antal gange processen foretages årligt"], int)
    assert cells["Tidsforbrug pr. proces i minutter"] == 6.5
    assert cells["Forventet automatiseringsgrad"] == 80
    assert cells["Forventet årlig effektiviseringspotentiale"] == 104
    assert cells["Forventet timeforbrug på udvikling"] is None
    assert cells["Er borgere påvirket"] is True
    assert cells["Er virksomheder påvirket"] is False
    assert cells["Løsningen sat i drift"] == datetime(2023, 5, 1)
    assert isinstance(cells["Oprettet"], datetime)
    assert cells["Oprettet"] == seeded["full"]["created_at"].astimezone(UTC).replace(tzinfo=None)
    assert cells["I hvor høj grad indfriede løsningen de forventede gevinster?"] == 2
    assert cells["Realiserede timer i alt"] == 150.5
    assert row[AUTOMATABLE] == "I mindre grad"
    assert cells["Interne Noter"] is None


TRICKY_TEXTS = {
    "title": 'A "quoted" title, with a comma',
    "summary": "line one\r\nline two\nline three",
    "description": "-1 looks like a formula",
    "department": "@sum(A1)",
    "status_text": "\ttab first",
    "contact_name": 'Ærø Ødegård "Å"',
    "process_challenges": '"',
}


async def test_csv_cells_read_back_exactly_in_a_spreadsheet_parser(
    empty_db: Database, api: GraphQLClient
) -> None:
    """Quotes, commas, line breaks and formula starts survive a CSV reader unchanged (the
    lines are written by PostgreSQL, see ``store.exports.cells``), formulas defused."""
    tricky = b.process(DK, **TRICKY_TEXTS)
    plain = b.process(DK, title="Zz plain", summary=None)
    await b.insert_rows(empty_db, municipality=[b.municipality(DK)], process=[tricky, plain])
    response = await api.http.get("/export/processes.csv", params={"municipality": DK})
    header, *rows = _csv(response.text)
    assert response.text.count("\r\n") >= 3, "csv.writer's line ends"
    cells = [dict(zip(header, row, strict=True)) for row in rows]
    assert [c["Titel"] for c in cells] == [TRICKY_TEXTS["title"], "Zz plain"]
    found = cells[0]
    assert found["Resumé"] == "line one\r\nline two\nline three"
    assert found["Beskrivelse"] == "'-1 looks like a formula"
    assert found["Afdelinger"] == "'@sum(A1)"
    assert found["Statustekst"] == "'\ttab first"
    assert found["Kontaktperson"] == TRICKY_TEXTS["contact_name"]
    assert found["Udfordringer i den nuværende proces"] == '"'
    assert cells[1]["Resumé"] == "", "no value stays empty"


async def test_json_keeps_types_and_enum_keys(seeded: dict[str, Any], api: GraphQLClient) -> None:
    response = await api.http.get("/export/processes.json", params={"phase": "OPERATION"})
    assert response.headers["content-type"] == "application/json"
    [item] = orjson.loads(response.content)
    assert list(item) == [c.key for c in COLUMNS]
    assert item["runsPerYear"] == 1200
    assert item["minutesPerRun"] == 6.5
    assert item["expectedHoursPerYear"] == 104.0
    assert item["developmentHours"] is None
    assert item["domains"] == ["ECONOMY", "HEALTH"]
    assert item["levelOfRoutineWorkReduction"] == "VERY_HIGH"
    assert item["evaluatedLevelOfRoi"] == "LOW"
    assert item["putIntoOperation"] == "2023-05-01"
    assert item["targetsCitizens"] is True


async def _export_app(
    db: Database, principal_of: Callable[[Request], Awaitable[Principal]]
) -> Starlette:
    endpoint = ProcessExport(db, principal_of)
    return Starlette(routes=[Route("/export/processes.{format}", endpoint, methods=["GET"])])


@pytest.fixture
async def as_caller(
    empty_db: Database, seeded: dict[str, Any]
) -> AsyncIterator[Callable[[Principal | Exception], Awaitable[httpx.Response]]]:
    """GET the JSON export as a given principal (or with principal_of raising an error)."""
    caller: list[Principal | Exception] = [ANONYMOUS]

    async def principal_of(_: Request) -> Principal:
        if isinstance(caller[0], Exception):
            raise caller[0]
        return caller[0]

    async with (
        serving(await _export_app(empty_db, principal_of)) as base,
        httpx.AsyncClient(base_url=base) as http,
    ):

        async def get(who: Principal | Exception) -> httpx.Response:
            caller[0] = who
            return await http.get("/export/processes.json")

        yield get


async def test_a_member_sees_own_internal_data_and_a_reader_never_does(
    seeded: dict[str, Any],
    as_caller: Callable[[Principal | Exception], Awaitable[httpx.Response]],
) -> None:
    reader = Principal(issuer="t", subject="portal", roles=frozenset({Role.READER}))
    for viewer in (ANONYMOUS, reader, OUTSIDER):
        items = orjson.loads((await as_caller(viewer)).content)
        assert {i["title"] for i in items} == {"Full robot", "Norwegian idea"}, viewer
        full = next(i for i in items if i["title"] == "Full robot")
        assert full["internalNotes"] is None
    items = orjson.loads((await as_caller(ANNA)).content)
    assert {i["title"] for i in items} == {
        "Full robot",
        "Internal robot",
        "Anna's draft",
        "Norwegian idea",
    }
    full = next(i for i in items if i["title"] == "Full robot")
    assert full["internalNotes"] == "secret note"
    assert full["caseReference"] == "ESDH-1"
    assert full["coEditors"] == ["bo"]
    assert sorted(full["links"]) == ["https://example.org/public", "https://intra.example.org/x"]
    assert sorted(full["attachments"]) == ["mine.pdf", "shared.pdf"]


class Refused(Exception):
    def __init__(self, status: int) -> None:
        super().__init__("token expired" if status == 401 else "role missing")
        self.status = status


async def test_authentication_errors_keep_their_status(
    as_caller: Callable[[Principal | Exception], Awaitable[httpx.Response]],
) -> None:
    expired = await as_caller(Refused(401))
    assert expired.status_code == 401
    assert expired.json()["message"] == "token expired"
    assert expired.headers["www-authenticate"].startswith("Bearer")
    forbidden = await as_caller(Refused(403))
    assert forbidden.status_code == 403


@pytest.mark.parametrize(
    ("params", "parameter", "allowed"),
    [
        ({"phase": "RUNNING"}, "phase", "OPERATION"),
        ({"country": "DE"}, "country", "NO"),
        ({"colour": "red"}, "colour", "municipality"),
        ({"hasReuse": "maybe"}, "hasReuse", "true"),
        ({"municipality": "Aarhus"}, "municipality", None),
        ({"municipality": "DK-0999"}, "municipality", None),
        ({"technology": "quantum"}, "technology", None),
        ({"kle": "27.x"}, "kle", None),
        ({"vendor": "Vendor:42"}, "vendor", None),
        ({"updatedSince": "last week"}, "updatedSince", None),
        ({"search": "x" * 501}, "search", None),
    ],
)
async def test_bad_parameters_are_400_saying_what_is_allowed(
    seeded: dict[str, Any],
    api: GraphQLClient,
    params: dict[str, str],
    parameter: str,
    allowed: str | None,
) -> None:
    response = await api.http.get("/export/processes.csv", params=params)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "BAD_USER_INPUT"
    assert body["parameter"] == parameter
    assert parameter in body["message"]
    if allowed is not None:
        assert allowed in body["allowed"]


async def test_unknown_format_is_404_listing_the_formats(api: GraphQLClient) -> None:
    response = await api.http.get("/export/processes.pdf")
    assert response.status_code == 404
    assert "/export/processes.xlsx" in response.json()["allowed"]


@pytest.mark.parametrize(
    ("params", "graphql_filter"),
    [
        ({"country": "NO"}, "{country: [NO]}"),
        ({"domain": "HEALTH,ECONOMY"}, "{domain: [HEALTH, ECONOMY]}"),
        ({"phase": ["IDEA", "OPERATION"]}, "{phase: [IDEA, OPERATION]}"),
        ({"kle": "27"}, '{kle: ["27"]}'),
        ({"itSystem": "esdh", "technology": "rpa"}, '{itSystem: ["esdh"], technology: ["rpa"]}'),
        ({"search": "Norwegian"}, None),
    ],
)
async def test_export_filters_match_the_processes_query(
    seeded: dict[str, Any], api: GraphQLClient, params: dict[str, Any], graphql_filter: str | None
) -> None:
    exported = orjson.loads((await api.http.get("/export/processes.json", params=params)).content)
    arguments = f"filter: {graphql_filter}" if graphql_filter else 'search: "Norwegian"'
    listed = await api.data(f"{{ processes({arguments}, first: 500) {{ nodes {{ id }} }} }}")
    ids = {n["id"].removeprefix("Process:") for n in listed["processes"]["nodes"]}
    assert {i["id"] for i in exported} == ids
    assert ids, "the filter should match something"


async def test_rows_stream_in_batches_of_a_bounded_size(empty_db: Database) -> None:
    many = [b.process(DK) for _ in range(2500)]
    await b.insert_rows(empty_db, municipality=[b.municipality(DK)], process=many)
    async with empty_db.read(ANONYMOUS) as reader:
        sizes = [
            len(batch)
            async for batch in export_rows(reader, ANONYMOUS, ProcessQuery(), batch_size=1000)
        ]
    assert sizes == [1000, 1000, 500]


async def _peak_bytes(db: Database, municipality: str) -> int:
    query = ProcessQuery(municipalities=[municipality])
    tracemalloc.start()
    try:
        async with db.read(ANONYMOUS) as reader:
            batches = export_rows(reader, ANONYMOUS, query, batch_size=200, csv_lines=True)
            async for _ in encode(Format.CSV, batches):
                pass
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


async def test_csv_export_memory_does_not_grow_with_the_number_of_rows(
    empty_db: Database,
) -> None:
    small = [b.process(DK, description="x" * 2000) for _ in range(300)]
    large = [b.process(NO, description="x" * 2000) for _ in range(3_000)]
    await b.insert_rows(
        empty_db, municipality=[b.municipality(DK), b.municipality(NO)], process=small + large
    )
    await _peak_bytes(empty_db, DK)  # warm-up: imports, statement caches
    small_peak = await _peak_bytes(empty_db, DK)
    large_peak = await _peak_bytes(empty_db, NO)
    assert large_peak < small_peak * 1.5, (small_peak, large_peak)


async def _cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return await asyncio.to_thread(
        subprocess.run, args, env=env, capture_output=True, text=True, timeout=120, check=False
    )


async def test_cli_exports_with_the_same_filters_and_refuses_bad_ones(
    seeded: dict[str, Any], empty_db: Database, tmp_path: Path
) -> None:
    env = {**os.environ, "DATABASE_URL": url_of(empty_db)}
    target = tmp_path / "out.json"
    command = [sys.executable, "-m", "reusegraph", "export", "--format", "json"]
    done = await _cli([*command, "--municipality", DK, "--output", str(target)], env)
    assert done.returncode == 0, done.stderr
    assert [i["title"] for i in orjson.loads(target.read_bytes())] == ["Full robot"]
    assert "Exported 1 processes" in done.stderr
    member = await _cli([*command, "--member-of", DK, "--country", "DK"], env)
    assert member.returncode == 0, member.stderr
    titles = {i["title"] for i in orjson.loads(member.stdout)}
    assert titles == {"Full robot", "Internal robot"}, "a member without a subject: no PERSONAL"
    bad = tmp_path / "bad.csv"
    refused = await _cli([*command, "--phase", "RUNNING", "--output", str(bad)], env)
    assert refused.returncode == 2
    assert "phase: 'RUNNING' is not allowed" in refused.stderr
    assert "OPERATION" in refused.stderr
    assert not bad.exists(), "nothing is written when the filters are wrong"
