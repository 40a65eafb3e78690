"""Mirroring another reusegraph over the source contract: full and incremental sync."""

from datetime import date

import pytest
from sqlalchemy import text

from reusegraph.store.engine import Database
from reusegraph.store.enums import RunOutcome
from tests.support import builders as b
from tests.support.remotes import (
    RemoteRegistry,
    mirror_remote,
    mirrored,
    prepare_gateway,
    published,
    register,
    source_row,
    sync_once,
)
from tests.support.tenants import A, B

pytest_plugins = ("tests.support.identity_fixtures",)


@pytest.fixture
async def gateway(
    empty_db: Database, remote: RemoteRegistry, monkeypatch: pytest.MonkeyPatch
) -> Database:
    await mirror_remote(empty_db, remote, monkeypatch, page_size=2)
    return empty_db


async def sync(db: Database) -> RunOutcome:
    return (await sync_once(db)).outcome


async def test_a_full_sync_brings_exactly_what_the_remote_publishes(
    remote: RemoteRegistry, gateway: Database
) -> None:
    shared = b.process(A, title="Fakturaer", visibility="PUBLIC", kle="02.34.02")
    internal = b.process(A, title="Intern", visibility="MUNICIPALITY", internal_notes="ring Kari")
    derived = b.process(A, title="Afledt", visibility="PUBLIC", minutes_per_run=7.5)
    hidden = b.process(A, title="Privat", visibility="PERSONAL", reporter="someone")
    foreign = b.process(B, title="Oslo", visibility="PUBLIC")
    await remote.add(
        shared,
        internal,
        derived,
        hidden,
        foreign,
        process_it_system=[{"process_id": shared["id"], "it_system_code": "sofie"}],
        process_technology=[{"process_id": shared["id"], "technology_code": "rpa"}],
        benefit_record=[b.benefit(shared["id"], date(2026, 1, 1), 12.5, cases=40)],
        reuse_link=[b.reuse(derived["id"], shared["id"])],
    )

    assert await sync(gateway) == "ok"

    assert await mirrored(gateway, "remote-a") == await published(remote)
    assert set(await mirrored(gateway, "remote-a")) == {
        str(p["id"]) for p in (shared, internal, derived)
    }
    state = await source_row(gateway, "remote-a")
    assert state["last_outcome"] == "ok"
    assert state["record_count"] == 3
    assert state["last_run_upserts"] == 3
    assert state["consecutive_failures"] == 0


async def test_an_incremental_sync_brings_changes_and_deletions_only(
    remote: RemoteRegistry, gateway: Database
) -> None:
    rows = [b.process(A, title=f"Proces {n}") for n in range(5)]
    await remote.add(*rows)
    assert await sync(gateway) == "ok"

    await remote.execute(
        "UPDATE process SET title = 'Ændret', version = version + 1 WHERE id = :id",
        id=rows[0]["id"],
    )
    await remote.execute("DELETE FROM process WHERE id = :id", id=rows[1]["id"])
    await remote.execute(
        "UPDATE process SET visibility = 'PERSONAL' WHERE id = :id", id=rows[2]["id"]
    )
    await remote.add(b.process(A, title="Ny"))

    assert await sync(gateway) == "ok"

    state = await source_row(gateway, "remote-a")
    assert (state["last_run_upserts"], state["last_run_deletes"]) == (2, 2)
    assert await mirrored(gateway, "remote-a") == await published(remote)
    assert await sync(gateway) == "ok"
    assert (await source_row(gateway, "remote-a"))["last_run_upserts"] == 0


async def test_a_sync_registers_the_official_owners_it_brings_and_reports_the_rest(
    remote: RemoteRegistry, empty_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    aarhus, unlisted, unowned = "DK-0751", "DK-0999", "NO-1103"
    await b.insert_rows(
        remote.db, municipality=[b.municipality(code) for code in (aarhus, unlisted, unowned)]
    )
    await remote.add(
        b.process(A, title="Trondheims", visibility="PUBLIC"),
        b.process(aarhus, title="Aarhus' faktura", visibility="PUBLIC"),
        b.process(unlisted, title="Ukendt", visibility="PUBLIC"),
        b.process(unowned, title="Stavangers", visibility="PUBLIC"),
    )
    await prepare_gateway(empty_db)
    await b.insert_rows(empty_db, municipality=[b.municipality(unowned)])
    monkeypatch.setenv("REMOTE_A_TOKEN", remote.token())
    await register(
        empty_db,
        "remote-a",
        remote.endpoint,
        owners=(A, B),
        auth="bearer",
        secret_ref="env:REMOTE_A_TOKEN",
        page_size=2,
    )

    run = await sync_once(empty_db)

    assert run.outcome == "partial"
    assert run.registered == [f"{aarhus} Aarhus Kommune"]
    assert [why for _, why in run.dropped] == [f"unknown municipality {unlisted}"]
    assert run.not_ours == 1, "a registered municipality is not taken over by a sync"
    assert "2 upserted" in run.counts()
    assert "1 dropped" in run.counts()
    titles = {record["title"] for record in (await mirrored(empty_db, "remote-a")).values()}
    assert titles == {"Trondheims", "Aarhus' faktura"}
    state = await source_row(empty_db, "remote-a")
    assert state["last_run_skipped"] == 1, "never '0 skipped' when records were dropped"
    assert f"unknown municipality {unlisted}" in state["last_error"]
    async with empty_db.session(None) as session:
        owners = await session.execute(
            text("SELECT municipality_code FROM source_owner WHERE source_code = 'remote-a'")
        )
        assert sorted(owners.scalars()) == sorted([A, B, aarhus])
        actions = await session.execute(
            text("SELECT action FROM audit_entry WHERE entity_id IN (:code, 'remote-a')"),
            {"code": aarhus},
        )
        assert {"municipalityRegister", "syncOwnerAdd"} <= set(actions.scalars())
