"""Umbrella memberships travel through the change feed, the sync and file imports.

Members may come before their umbrella (another page, a later run): the membership
waits and is made when the umbrella arrives. A record that no longer names an umbrella
leaves it; importing the same file again changes nothing.
"""

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import text

from reusegraph.federation.files import ImportOptions, run_import
from reusegraph.store.engine import Database
from reusegraph.store.mirror_records import MirrorRecord
from reusegraph.store.sync_writes import apply_page
from tests.support import builders as b
from tests.support.remotes import (
    RemoteRegistry,
    mirror_remote,
    prepare_gateway,
    register,
    sync_once,
)
from tests.support.tenants import A, B
from tests.support.viewers import member, run_as

pytest_plugins = ("tests.support.identity_fixtures",)

DK = "DK-0746"


async def memberships(db: Database, source: str) -> set[tuple[str, str]]:
    """(umbrella title, member title) pairs of one source, read past row-level security."""
    async with db.engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT u.title, c.title FROM process_umbrella pu"
                " JOIN process u ON u.id = pu.umbrella_id JOIN process c ON c.id = pu.child_id"
                " WHERE c.source_code = :s"
            ),
            {"s": source},
        )
        return {(row[0], row[1]) for row in rows}


async def pending(db: Database) -> int:
    async with db.engine.connect() as conn:
        return int((await conn.execute(text("SELECT count(*) FROM pending_umbrella"))).scalar_one())


async def _sync(db: Database) -> None:
    result = await sync_once(db)
    assert result.outcome == "ok", result.error


async def test_a_sync_brings_umbrellas_whatever_comes_first(
    remote: RemoteRegistry,
    empty_db: Database,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    members = [b.process(A, title=f"Medlem {n}") for n in (1, 2)]
    umbrella = b.process(A, title="Paraply", type="PARENT")
    # One transaction, members first: the feed sends them a page before their umbrella.
    await remote.add(
        *members,
        umbrella,
        process_umbrella=[{"umbrella_id": umbrella["id"], "child_id": m["id"]} for m in members],
    )
    await mirror_remote(empty_db, remote, monkeypatch, page_size=2)
    await _sync(empty_db)
    assert await memberships(empty_db, "remote-a") == {
        ("Paraply", "Medlem 1"),
        ("Paraply", "Medlem 2"),
    }
    assert await pending(empty_db) == 0
    data = (
        await run_as(
            empty_db,
            "{ processes(filter: {isUmbrella: true}) { nodes { title members { title } } } }",
            viewer=member(A),
        )
    ).ok()
    assert data["processes"]["nodes"] == [
        {"title": "Paraply", "members": [{"title": "Medlem 1"}, {"title": "Medlem 2"}]}
    ]

    # Leaving the umbrella moves the member in the feed; the mirror follows.
    await remote.execute("DELETE FROM process_umbrella WHERE child_id = :id", id=members[1]["id"])
    await _sync(empty_db)
    assert await memberships(empty_db, "remote-a") == {("Paraply", "Medlem 1")}


def _write(tmp_path: Path, name: str, records: list[dict[str, Any]]) -> Path:
    path = tmp_path / name
    path.write_bytes(orjson.dumps(records))
    return path


def _record(key: str, title: str, **values: Any) -> dict[str, Any]:
    return {"id": key, "title": title, "phase": "IDEA", "visibility": "PUBLIC", **values}


async def test_a_file_import_keeps_umbrellas_and_a_second_run_changes_nothing(
    empty_db: Database, tmp_path: Path
) -> None:
    await b.insert_rows(empty_db, municipality=[b.municipality(DK)])
    records = [
        _record("m1", "Medlem 1", umbrellaIds=["u1"]),
        _record("m2", "Medlem 2", umbrellaIds=["u1", "u2"]),
        _record("u1", "Egen paraply", type="PARENT"),
        _record("u2", "Fælles paraply", type="GLOBAL_PARENT"),
    ]
    file = _write(tmp_path, "a.json", records)
    options = ImportOptions(municipality=DK, page_size=1)
    report = await run_import(empty_db, file, options)
    assert report.errors == []
    source = f"file-{DK.lower()}"
    expected = {
        ("Egen paraply", "Medlem 1"),
        ("Egen paraply", "Medlem 2"),
        ("Fælles paraply", "Medlem 2"),
    }
    assert await memberships(empty_db, source) == expected
    assert await pending(empty_db) == 0

    again = await run_import(empty_db, file, options)
    assert [t.unchanged for t in again.sources.values()] == [4]
    assert await memberships(empty_db, source) == expected

    records[1] = _record("m2", "Medlem 2", umbrellaIds=["u2"])
    moved = _write(tmp_path, "b.json", records)
    dry = await run_import(empty_db, moved, replace(options, dry_run=True))
    assert [(c.action.value, c.source_id, c.fields) for c in dry.changes] == [
        ("update", "m2", ("umbrellaIds",))
    ]
    report = await run_import(empty_db, moved, options)
    assert [(t.updated, t.unchanged) for t in report.sources.values()] == [(1, 3)]
    assert await memberships(empty_db, source) == {
        ("Egen paraply", "Medlem 1"),
        ("Fælles paraply", "Medlem 2"),
    }


async def test_the_change_feed_names_each_process_umbrellas(empty_db: Database) -> None:
    own = b.process(A, title="Paraply", type="PARENT")
    shared = b.process(A, title="Fælles", type="GLOBAL_PARENT", visibility="MUNICIPALITY")
    child = b.process(A, title="Medlem")
    await b.insert_rows(
        empty_db,
        municipality=[b.municipality(A)],
        process=[own, shared, child],
        process_umbrella=[
            {"umbrella_id": own["id"], "child_id": child["id"]},
            {"umbrella_id": shared["id"], "child_id": child["id"]},
        ],
    )
    data = (
        await run_as(empty_db, "{ changes { upserts { title umbrellaIds } } }", viewer=member(A))
    ).ok()
    found = {u["title"]: u["umbrellaIds"] for u in data["changes"]["upserts"]}
    assert found["Paraply"] == []
    assert found["Medlem"] == [str(own["id"]), str(shared["id"])]


async def test_an_umbrella_listing_its_members_first_links_them_when_they_arrive(
    empty_db: Database,
) -> None:
    """OS2autoproces's shape: the umbrella names its ``children``; members say nothing."""
    await prepare_gateway(empty_db)
    await register(empty_db, "os2", "https://os2autoproces.example.dk/api", owners=(A, B))

    def record(source_id: str, title: str, municipality: str, **more: Any) -> MirrorRecord:
        values = {"municipality_code": municipality, "title": title, "phase": "IDEA"}
        return MirrorRecord(
            source_id, {**values, "visibility": "PUBLIC", **more.pop("values", {})}, **more
        )

    shared = record("7", "Fælles paraply", A, values={"type": "GLOBAL_PARENT"},
                    umbrella_members=["11", "12"])  # fmt: skip
    pages = [[shared], [record("11", "Aarhus-proces", A)], [record("12", "Oslo-proces", B)]]
    for page in pages:
        async with empty_db.session(None) as session:
            await apply_page(session, "os2", (A, B), page, [], synced_at=datetime.now(UTC))
    assert await memberships(empty_db, "os2") == {
        ("Fælles paraply", "Aarhus-proces"),
        ("Fælles paraply", "Oslo-proces"),
    }
    assert await pending(empty_db) == 0

    # The members' next pages name no umbrellas: what the umbrella said stays.
    async with empty_db.session(None) as session:
        again = [record("11", "Aarhus-proces", A, values={"summary": "ny"})]
        await apply_page(session, "os2", (A, B), again, [], synced_at=datetime.now(UTC))
    assert len(await memberships(empty_db, "os2")) == 2

    # The umbrella drops a member.
    shared.umbrella_members = ["12"]
    shared.values["summary"] = "kun Oslo"
    async with empty_db.session(None) as session:
        await apply_page(session, "os2", (A, B), [shared], [], synced_at=datetime.now(UTC))
    assert await memberships(empty_db, "os2") == {("Fælles paraply", "Oslo-proces")}
