"""The OS2autoproces adapter against a stand-in backend on loopback serving the fixtures.

Fixtures: tests/fixtures/os2autoproces (two HAL pages as Syddjurs's API key sees them, with
Skanderborg's invoice robot for medical certificates, its reuses and their umbrella); the
Excel export is generated from them at test time by make_export.py.
"""

import json
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from openpyxl import Workbook, load_workbook  # type: ignore[import-untyped]

from reusegraph.federation.os2autoproces import (
    STORE_OWNED_COLUMNS,
    AuthenticationFailed,
    CatalogRef,
    LinkRef,
    MappedProcess,
    MappingReport,
    MunicipalityDirectory,
    SourceFormatError,
    SourceHttpError,
    SourceUnreachable,
    download_export,
    fetch_pages,
    fetch_processes,
    read_export,
)
from reusegraph.store.models import Process
from tests.fixtures.os2autoproces.server import FakeOs2autoproces, fixture_page
from tests.support.http import serving


@dataclass
class Remote:
    fake: FakeOs2autoproces
    url: str


@pytest.fixture
async def remote() -> AsyncIterator[Remote]:
    fake = FakeOs2autoproces()
    async with serving(fake.app()) as url:
        yield Remote(fake, url)


async def fetch_all(
    remote: Remote, report: MappingReport | None = None, **options: Any
) -> dict[str, MappedProcess]:
    async with httpx.AsyncClient() as client:
        records = fetch_processes(
            remote.url, remote.fake.api_key, client=client, report=report, page_size=3, **options
        )
        return {r.row["source_id"] or "?": r async for r in records}


def with_changes(page: int, index: int, **changes: Any) -> str:
    body = json.loads(fixture_page(page))
    body["_embedded"]["processes"][index].update(changes)
    return json.dumps(body)


async def test_pages_every_process_with_the_municipalitys_api_key(remote: Remote) -> None:
    async with httpx.AsyncClient() as client:
        pages = [
            page
            async for page in fetch_pages(
                remote.url, remote.fake.api_key, client=client, page_size=3
            )
        ]

    assert [page.number for page in pages] == [0, 1]
    assert [[r.source_id for r in page.records] for page in pages] == [
        ["1187", "1203", "1250"],
        ["1301", "1322"],
    ]
    assert (
        pages[0].next_url
        == f"{remote.url}/api/processes?projection=extended&page=1&size=3&sort=id,asc"
    )
    assert pages[1].next_url is None
    assert remote.fake.logins == 1
    assert all("projection=extended" in url for url in remote.fake.requests)


async def test_invoice_robot_maps_verbatim_onto_our_columns(remote: Remote) -> None:
    record = (await fetch_all(remote))["1187"]
    row = record.row

    stored = {c.key for c in Process.__table__.columns if c.computed is None}
    assert set(row) == stored - STORE_OWNED_COLUMNS
    assert row["municipality_code"] == "DK-0746"
    assert row["title"] == "Godkendelse af fakturaer på lægeerklæringer"
    assert row["description"] == (
        "Skanderborg Kommune udviklede en RPA-robot til godkendelse af fakturaer på"
        " lægeerklæringer.\n\n* Robotten henter fakturaen & lægeerklæringen\n\n"
        "* Robotten kontrollerer beløb og godkender\n\nLøsningen er delt i OS2autoproces."
    )
    assert (row["phase"], row["status"], row["visibility"], row["type"]) == (
        "OPERATION",
        "INPROGRESS",
        "PUBLIC",
        "CHILD",
    )
    assert row["domains"] == ["ECONOMY", "EMPLOYMENT"]
    assert row["kle"] == "27.24.00"
    assert row["run_period"] == "DAILY"
    assert (row["runs_per_year"], row["minutes_per_run"], row["automation_percentage"]) == (
        2400,
        Decimal("6.50"),
        80,
    )
    assert row["development_hours"] == Decimal("320.00")
    assert (row["targets_citizens"], row["targets_companies"]) == (False, True)
    assert row["level_of_routine_work_reduction"] == "VERY_HIGH"
    assert row["evaluated_level_of_roi"] == "HIGH"
    assert row["rating"] == 3
    # A date-only field arrives as the UTC instant of Copenhagen midnight.
    assert row["put_into_operation"] == date(2018, 10, 1)
    assert row["created_at"] == datetime(2018, 9, 30, 7, 12, 44, tzinfo=UTC)
    # Another municipality's process comes redacted: no reporter, owner or internal notes.
    assert (row["reporter"], row["owner"], row["internal_notes"]) == (None, None, None)
    assert (row["contact_name"], row["contact_email"]) == (
        "Mette Lund",
        "mette.lund@skanderborg.example",
    )
    assert row["source_id"] == "1187"
    assert row["source_url"] == f"{remote.url}/details/1187"
    assert record.technologies == [CatalogRef("rpa", "RPA")]
    assert [s.code for s in record.it_systems] == [
        "okonomisystem-erp",
        "esdh-sags-og-dokumenthaandtering",
    ]
    assert record.vendor_name == "Egen udvikling"
    assert record.links == [LinkRef("https://skanderborg.example/rpa/laegeerklaeringer")]
    assert record.storable
    assert record.problems == []


async def test_own_processes_keep_people_and_internal_fields(remote: Remote) -> None:
    records = await fetch_all(remote)
    syddjurs, draft = records["1203"].row, records["1322"].row

    assert syddjurs["municipality_code"] == "DK-0706"
    assert (syddjurs["reporter"], syddjurs["owner"]) == ("Anders Kjær", "Lise Dahl")
    assert syddjurs["co_editors"] == ["Peter Mørk"]
    assert syddjurs["department"] == "Økonomi og Løn"
    assert syddjurs["internal_notes"] == "Afventer ny driftsaftale."
    assert syddjurs["esdh_reference"] == "00.01.00-G01-17-18"
    assert syddjurs["legal_clause_last_verified"] == date(2019, 1, 10)
    assert syddjurs["code_repository_url"] == "https://git.syddjurs.example/rpa/laegeerklaeringer"
    assert (draft["visibility"], draft["phase"], draft["development_hours"]) == (
        "PERSONAL",
        "IDEA",
        None,
    )


async def test_fields_without_a_place_in_our_model_go_to_extras(remote: Remote) -> None:
    records = await fetch_all(remote)

    assert records["1187"].row["extras"] == {
        "itSystemsDescription": "Lægeerklæringer modtages som PDF.",
        "services": ["Økonomisystem (ERP)", "E-mail"],
        "seenByCount": 41,
        # The source's own names, beside the catalog codes they map to.
        "sourceLabels": {
            "itSystems": ["Økonomisystem (ERP)", "ESDH (sags- og dokumenthåndtering)"],
            "technologies": ["RPA"],
        },
    }
    assert [(t.code, t.name) for t in records["1187"].technologies] == [("rpa", "RPA")]
    assert records["1203"].row["extras"]["parents"] == ["1301"]


async def test_umbrella_lists_its_children_by_source_id(remote: Remote) -> None:
    umbrella = (await fetch_all(remote))["1301"]

    assert umbrella.row["type"] == "GLOBAL_PARENT"
    assert umbrella.umbrella_children == ["1187", "1203", "1250"]


async def test_report_counts_what_became_of_every_field(remote: Remote) -> None:
    report = MappingReport()
    await fetch_all(remote, report)

    assert (report.records, report.storable, report.problems) == (5, 5, [])
    assert report.counts("title") == {"mapped": 5}
    assert report.counts("seenByCount") == {"extras": 5}
    assert report.counts("canEdit") == {"ignored": 5}
    assert report.counts("_links") == {"ignored": 5}
    assert report.counts("internalNotes") == {"mapped": 1, "empty": 4}
    assert report.counts("evaluatedLevelOfRoi") == {"mapped": 5}
    assert "5 processes read, 5 can be stored, 0 dropped" in report.summary()


async def test_invalid_values_are_reported_with_field_and_value(remote: Remote) -> None:
    remote.fake.pages[0] = with_changes(
        0, 2, phase="LAUNCHED", kle="27-24", rating=7, aiSummary="Kort resumé"
    )
    remote.fake.pages[1] = with_changes(1, 1, cvr="29190623", municipalityName="Region Midtjylland")
    report = MappingReport()
    records = await fetch_all(remote, report)

    randers, region = records["1250"], records["1322"]
    assert {(p.field, p.value) for p in randers.problems} == {
        ("phase", "LAUNCHED"),
        ("kle", "27-24"),
        ("rating", 7),
    }
    assert "allowed: IDEA, PREANALYSIS" in next(
        p.message for p in randers.problems if p.field == "phase"
    )
    assert randers.row["extras"]["invalid"] == {"phase": "LAUNCHED", "kle": "27-24", "rating": 7}
    assert randers.row["extras"]["aiSummary"] == "Kort resumé"
    assert not randers.storable  # no phase
    assert [(p.field, p.value) for p in region.problems] == [("cvr", "29190623")]
    assert region.row["municipality_code"] is None
    assert not region.storable
    assert report.counts("phase") == {"mapped": 4, "invalid": 1}
    assert report.counts("cvr") == {"mapped": 4, "invalid": 1}
    assert report.storable == 3
    assert [source_id for source_id, _ in report.dropped] == ["1250", "1322"]
    assert "dropped: process 1322: cvr '29190623': no municipality code" in report.summary()
    assert "field 'aiSummary' is not known to this adapter; kept in extras" in report.notes

    directory = MunicipalityDirectory(extra_by_cvr={"29190623": "DK-0999"})
    async with httpx.AsyncClient() as client:
        found = [
            r
            async for r in fetch_processes(
                remote.url, remote.fake.api_key, client=client, directory=directory
            )
        ]
    assert found[-1].row["municipality_code"] == "DK-0999"


async def test_a_wrong_api_key_is_refused_clearly(remote: Remote) -> None:
    wrong_key = Remote(FakeOs2autoproces(api_key="x"), remote.url)
    with pytest.raises(AuthenticationFailed, match=r"refused the API key .*Invalid ApiKey header"):
        await fetch_all(wrong_key)


async def test_an_expired_session_logs_in_again(remote: Remote) -> None:
    remote.fake.expire_sessions_after = 1

    records = await fetch_all(remote)

    assert len(records) == 5
    assert remote.fake.logins == 2


async def test_server_down_is_reported_as_unreachable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    down = Remote(FakeOs2autoproces(), f"http://127.0.0.1:{port}")
    with pytest.raises(
        SourceUnreachable, match=f"cannot reach OS2autoproces at http://127.0.0.1:{port}"
    ):
        await fetch_all(down)


async def test_a_slow_server_times_out(remote: Remote) -> None:
    remote.fake.processes_delay = 1.0
    with pytest.raises(SourceUnreachable, match="did not answer in time"):
        await fetch_all(remote, request_timeout=httpx.Timeout(0.1))


async def test_http_500_names_the_status_and_url(remote: Remote) -> None:
    remote.fake.processes_status = 500
    with pytest.raises(SourceHttpError, match="answered 500") as raised:
        await fetch_all(remote)
    assert raised.value.status == 500
    assert raised.value.url is not None
    assert "/api/processes" in raised.value.url


async def test_invalid_json_is_a_format_error(remote: Remote) -> None:
    remote.fake.pages[1] = fixture_page(1)[:-200]
    with pytest.raises(SourceFormatError, match="did not return JSON"):
        await fetch_all(remote)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("[]", "got list"),
        ('{"_embedded": {"processes": []}}', "'page.number' is missing"),
        ('{"_embedded": {"items": []}, "page": {"number": 0}}', "'_embedded' has \\['items'\\]"),
        (
            '{"_embedded": {"processes": [{"title": "x"}]}, "page": {"number": 0}}',
            "processes\\[0\\]",
        ),
    ],
)
async def test_wrong_shape_says_what_was_expected(remote: Remote, body: str, message: str) -> None:
    remote.fake.pages[0] = body
    with pytest.raises(SourceFormatError, match=message):
        await fetch_all(remote)


async def test_session_is_never_sent_to_another_origin(remote: Remote) -> None:
    body = json.loads(fixture_page(0))
    body["_links"]["next"]["href"] = "https://elsewhere.example/api/processes?page=1"
    remote.fake.pages[0] = json.dumps(body)
    with pytest.raises(SourceFormatError, match="another server"):
        await fetch_all(remote)


async def download(remote: Remote, folder: Path) -> Path:
    async with httpx.AsyncClient() as client:
        return await download_export(
            remote.url, remote.fake.api_key, folder / "processes.xlsx", client=client
        )


async def test_excel_export_maps_like_the_api(remote: Remote, tmp_path: Path) -> None:
    from_api = await fetch_all(remote)
    report = MappingReport()
    exported = read_export(await download(remote, tmp_path), report=report)
    from_excel = {r.row["source_id"] or "?": r for r in exported}

    assert list(from_excel) == ["1187", "1203", "1250", "1322"]  # type=CHILD: no umbrella
    same = [c for c in from_api["1187"].row if c not in ("extras", "source_url")]
    for source_id, excel in from_excel.items():
        api = from_api[source_id]
        differing = {c for c in same if excel.row[c] != api.row[c]}  # type: ignore[literal-required]
        # The export has no FORM code or search words, writes the repository URL among the
        # links, and writes an unknown development time as 0.
        lost = {"form", "search_words", "code_repository_url", "development_hours"}
        assert differing <= lost, (source_id, differing)
        assert excel.technologies == api.technologies
        assert excel.it_systems == api.it_systems
        assert excel.vendor_name == api.vendor_name
    assert from_excel["1250"].row["form"] is None  # not in the export
    assert from_excel["1322"].row["development_hours"] == Decimal("0.00")
    assert from_excel["1187"].row["source_url"] == "https://www.os2autoproces.eu/details/1187"
    assert report.problems == []
    assert report.storable == 4
    assert "the Excel export has no process type: every row is read as CHILD" in report.notes


async def test_excel_reader_undoes_swapped_columns_and_labels(tmp_path: Path) -> None:
    from tests.fixtures.os2autoproces.make_export import fixture_processes, write_export

    robot = next(p for p in fixture_processes() if p["id"] == 1187)
    path = write_export(tmp_path / "one.xlsx", [robot])
    sheet = load_workbook(path, read_only=True)["Processer"]
    header, cells = list(sheet.iter_rows(values_only=True))
    by_header = dict(zip(header, cells, strict=True))
    # As the real export: the routine-work question's column holds the ROI answer (HIGH).
    assert by_header[next(h for h in header if h.startswith("Vil automatisering frigive"))] == (
        "I nogen grad"
    )
    assert "I hvor høj grad vurderes det at processen kan automatiseres? " in header
    (record,) = read_export(path)

    assert record.row["level_of_routine_work_reduction"] == "VERY_HIGH"
    assert record.row["evaluated_level_of_roi"] == "HIGH"
    assert (record.row["phase"], record.row["visibility"], record.row["run_period"]) == (
        "OPERATION",
        "PUBLIC",
        "DAILY",
    )
    assert record.row["municipality_code"] == "DK-0746"  # by name: the export has no CVR
    assert record.row["created_at"] == datetime(2018, 9, 30, 7, 12, 44, tzinfo=UTC)


async def test_excel_bad_cells_are_reported(tmp_path: Path) -> None:
    from tests.fixtures.os2autoproces.make_export import fixture_processes, row_of, write_export

    robot = next(p for p in fixture_processes() if p["id"] == 1187)
    broken = row_of(robot)
    broken[0], broken[3], broken[34], broken[53] = 4711.0, "Lanceret", "Måske", 7.0
    report = MappingReport()
    records = list(read_export(write_export(tmp_path / "bad.xlsx", [], [broken]), report=report))

    assert {(p.source_id, p.field, p.value) for p in records[0].problems} == {
        ("4711", "phase", "Lanceret"),
        ("4711", "targetsCitizens", "Måske"),
        ("4711", "rating", 7.0),
    }
    assert report.storable == 0


async def test_not_an_export_is_refused_before_any_row(remote: Remote, tmp_path: Path) -> None:
    text = tmp_path / "processes.xlsx"
    text.write_text("<html>login</html>")
    with pytest.raises(SourceFormatError, match="not a readable xlsx workbook"):
        list(read_export(text))

    workbook = Workbook()
    workbook.active.append(["ID", "Titel"])
    workbook.save(tmp_path / "other.xlsx")
    with pytest.raises(SourceFormatError, match="no sheet 'Processer'"):
        list(read_export(tmp_path / "other.xlsx"))
    workbook.active.title = "Processer"
    workbook.save(tmp_path / "short.xlsx")
    with pytest.raises(SourceFormatError, match="lacks the column\\(s\\) 'Resumé', 'Fase'"):
        list(read_export(tmp_path / "short.xlsx"))

    remote.fake.excel_body = b"<html>login</html>"
    with pytest.raises(SourceFormatError, match="did not return an xlsx workbook"):
        await download(remote, tmp_path)
