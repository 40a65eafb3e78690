"""An OS2autoproces instance as a source: full listings, resumption, and what disappears."""

import json
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text

from reusegraph.federation.os2autoproces.fields import IGNORED_FIELDS
from reusegraph.federation.sync import RunResult
from reusegraph.store.engine import Database
from reusegraph.store.source_writes import SourceSpec, register_source
from tests.fixtures.os2autoproces.server import FakeOs2autoproces, fixture_page
from tests.support import builders as b
from tests.support.cli import reusegraph
from tests.support.http import serving
from tests.support.remotes import ADMIN, mirrored, source_row, sync_once

SYDDJURS, SKANDERBORG, RANDERS = "DK-0706", "DK-0746", "DK-0730"


@pytest.fixture
async def fake(
    empty_db: Database, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[FakeOs2autoproces]:
    server = FakeOs2autoproces()
    monkeypatch.setenv("SYDDJURS_OS2_KEY", server.api_key)
    await b.insert_rows(
        empty_db,
        municipality=[b.municipality(code) for code in (SYDDJURS, SKANDERBORG, RANDERS)],
    )
    async with serving(server.app()) as url:
        spec = SourceSpec(
            code="syddjurs-os2",
            name="Syddjurs in OS2autoproces",
            kind="os2autoproces",
            owners=[SYDDJURS],
            endpoint=url,
            auth="api_key",
            secret_ref="env:SYDDJURS_OS2_KEY",
            page_size=3,
        )
        async with empty_db.session(None) as session:
            await register_source(session, ADMIN, spec)
        yield server


async def sync(db: Database) -> RunResult:
    return await sync_once(db, "syddjurs-os2")


async def test_the_owners_processes_arrive_with_their_os2autoproces_provenance(
    empty_db: Database, fake: FakeOs2autoproces
) -> None:
    run = await sync(empty_db)
    assert run.outcome == "ok", run.error
    records = await mirrored(empty_db, "syddjurs-os2")
    assert set(records) == {"1203", "1322"}, "other municipalities' processes are not Syddjurs's"
    assert records["1322"]["visibility"] == "PERSONAL"
    assert records["1203"]["municipality_code"] == SYDDJURS
    state = await source_row(empty_db, "syddjurs-os2")
    assert state["cursor"] is None, "a complete listing leaves no cursor behind"
    assert state["record_count"] == 2
    assert (await sync(empty_db)).upserted == 2, "a listing confirms every record again"
    assert await mirrored(empty_db, "syddjurs-os2") == records


async def test_a_process_no_longer_listed_is_deleted_after_a_complete_listing(
    empty_db: Database, fake: FakeOs2autoproces
) -> None:
    assert (await sync(empty_db)).outcome == "ok"
    page = json.loads(fixture_page(1))
    page["_embedded"]["processes"] = [
        p for p in page["_embedded"]["processes"] if str(p["id"]) != "1322"
    ]
    fake.pages[1] = json.dumps(page)
    run = await sync(empty_db)
    assert (run.outcome, run.deleted) == ("ok", 1)
    assert set(await mirrored(empty_db, "syddjurs-os2")) == {"1203"}


async def test_a_listing_that_breaks_off_resumes_at_its_page_and_deletes_nothing_early(
    empty_db: Database, fake: FakeOs2autoproces
) -> None:
    assert (await sync(empty_db)).outcome == "ok"
    before = await mirrored(empty_db, "syddjurs-os2")
    original = fake.pages[1]
    del fake.pages[1]
    failed = await sync(empty_db)
    assert failed.outcome == "failed"
    assert "404" in (failed.error or "")
    assert await mirrored(empty_db, "syddjurs-os2") == before
    cursor = json.loads((await source_row(empty_db, "syddjurs-os2"))["cursor"])
    assert "page=1" in cursor["next"]

    fake.pages[1] = original
    fake.requests.clear()
    resumed = await sync(empty_db)
    assert resumed.outcome == "ok"
    assert all("page=0" not in url for url in fake.requests), "resumed at page 1"
    assert await mirrored(empty_db, "syddjurs-os2") == before


async def test_a_refused_api_key_fails_the_run_and_keeps_the_data(
    empty_db: Database, fake: FakeOs2autoproces, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert (await sync(empty_db)).outcome == "ok"
    monkeypatch.setenv("SYDDJURS_OS2_KEY", "not-the-key")
    run = await sync(empty_db)
    assert run.outcome == "failed"
    assert "refused the API key" in (run.error or "")
    assert set(await mirrored(empty_db, "syddjurs-os2")) == {"1203", "1322"}
    assert (await source_row(empty_db, "syddjurs-os2"))["last_outcome"] == "failed"


async def test_a_regions_process_arrives_and_an_owner_in_no_list_is_reported_by_name(
    empty_db: Database, fake: FakeOs2autoproces
) -> None:
    page = json.loads(fixture_page(1))
    items = page["_embedded"]["processes"]
    syddjurs = next(p for p in items if p["cvr"] == "29189978")
    region = {**syddjurs, "id": 1400, "cvr": "", "municipalityName": "Region Midtjylland"}
    nowhere = {**syddjurs, "id": 1401, "cvr": "12345678", "municipalityName": "Ingenby Kommune"}
    page["_embedded"]["processes"] = [*items, region, nowhere]
    fake.pages[1] = json.dumps(page)

    run = await sync(empty_db)

    records = await mirrored(empty_db, "syddjurs-os2")
    assert records["1400"]["municipality_code"] == "DK-1082", "a region, as the Excel export has it"
    assert "DK-1082 Region Midtjylland" in run.registered
    assert "1401" not in records
    assert run.outcome == "partial", run
    why = dict(run.skipped + run.dropped)["1401"]
    assert "'Ingenby Kommune'" in why, why
    assert "official lists" in why, why
    assert "reusegraph municipality add" in why, "it says what to do"
    assert "MunicipalityDirectory" not in why, "the message speaks to the user, not the code"

    # An admin registers the authority (by its CVR) and gives it to this source.
    ingenby = b.municipality("DK-9002", name="Ingenby Kommune", org_number="12345678")
    await b.insert_rows(empty_db, municipality=[ingenby])
    async with empty_db.session(None) as session:
        await session.execute(text("INSERT INTO source_owner VALUES ('syddjurs-os2', 'DK-9002')"))
    again = await sync(empty_db)
    assert again.outcome == "ok", again.error
    assert (await mirrored(empty_db, "syddjurs-os2"))["1401"]["municipality_code"] == "DK-9002"


async def test_a_sync_reports_what_became_of_every_os2autoproces_field(
    empty_db: Database, fake: FakeOs2autoproces
) -> None:
    run = await sync(empty_db)
    assert run.outcome == "ok", run.error
    assert run.fields["title"] == {"mapped": 5}
    assert run.fields["services"]["extras"] >= 1, "IT systems outside the vocabulary are kept"
    assert run.fields["timeSpendComputedTotal"] == {"derived": 5}
    kept = {"mapped", "extras", "derived", "empty"}
    for name, outcomes in run.fields.items():
        if "ignored" in outcomes:  # HAL links, the caller's flags: each has its reason
            assert name in IGNORED_FIELDS, name
        else:
            assert set(outcomes) <= kept, (name, outcomes)

    done = await reusegraph(empty_db, "sync", "syddjurs-os2")
    assert done.returncode == 0, done.stderr
    assert "syddjurs-os2: OS2autoproces fields:" in done.stderr
    assert "  title: 5 mapped" in done.stderr.splitlines()
