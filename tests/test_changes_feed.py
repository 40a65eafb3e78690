"""The source contract's ``changes`` feed, as a mirroring gateway sees it over HTTP."""

import uuid
from datetime import date
from typing import Any

from sqlalchemy import insert, text

from reusegraph.store.models import Process, ProcessLink
from tests.support import builders as b
from tests.support.tenants import A, B, Tenants

pytest_plugins = ("tests.support.identity_fixtures",)

FEED = """
query ($since: String, $first: Int, $municipality: String) {
  changes(since: $since, first: $first, municipality: $municipality) {
    upserts {
      id municipality title visibility minutesPerRun internalNotes
      itSystems { code name } benefits { period kind hoursSaved }
      reusedFrom { originId originMunicipality kind } links { url internal }
    }
    tombstones { id municipality }
    cursor hasMore
  }
}
"""
UPDATE = """
mutation ($input: ProcessUpdateInput!) {
  processUpdate(input: $input) { process { version } userErrors { code message } }
}
"""
DELETE = """
mutation ($input: ProcessDeleteInput!) {
  processDelete(input: $input) { deletedId userErrors { code message } }
}
"""
BENEFITS = """
mutation ($input: BenefitsRecordInput!) {
  benefitsRecord(input: $input) { userErrors { code message } }
}
"""


async def feed(t: Tenants, token: str | None, **variables: Any) -> dict[str, Any]:
    body = await t.call(token, FEED, variables)
    assert "errors" not in body, body["errors"]
    result: dict[str, Any] = body["data"]["changes"]
    return result


async def drain(t: Tenants, token: str | None, since: str | None = None, **variables: Any) -> Any:
    """Every page until hasMore is false: (upserts by id, tombstone ids, last cursor)."""
    upserts: dict[str, dict[str, Any]] = {}
    tombstones: set[str] = set()
    while True:
        page = await feed(t, token, since=since, **variables)
        for record in page["upserts"]:
            upserts[record["id"]] = record
            tombstones.discard(record["id"])
        for tombstone in page["tombstones"]:
            tombstones.add(tombstone["id"])
            upserts.pop(tombstone["id"], None)
        since = page["cursor"]
        if not page["hasMore"]:
            return upserts, tombstones, since


async def test_a_member_gets_the_municipalitys_processes_with_their_children(t: Tenants) -> None:
    public = t.processes[(A, "PUBLIC")]
    origin = t.processes[(B, "PUBLIC")]
    await b.insert_rows(
        t.db,
        process_it_system=[{"process_id": public, "it_system_code": "sofie"}],
        benefit_record=[b.benefit(public, date(2026, 1, 1), 12.5)],
        reuse_link=[b.reuse(public, origin)],
    )
    links = [("https://a.example/doc", False), ("https://a.example/x", True)]
    async with t.db.session(None) as session:
        await session.execute(
            insert(ProcessLink),
            [{"id": uuid.uuid4(), "process_id": public, "url": u, "internal": i} for u, i in links],
        )
    member = t.token(A, "member", sub="carol")
    upserts, tombstones, _ = await drain(t, member, municipality=A, first=1)

    assert set(upserts) == {str(t.processes[(A, v)]) for v in ("PUBLIC", "MUNICIPALITY")}
    assert tombstones == {str(t.processes[(A, "PERSONAL")])}, "alice's PERSONAL is hidden"
    record = upserts[str(public)]
    assert record["municipality"] == A
    assert record["itSystems"] == [{"code": "sofie", "name": "SOFIE"}]
    assert record["benefits"] == [{"period": "2026-01", "kind": "MEASURED", "hoursSaved": 12.5}]
    assert record["reusedFrom"] == [
        {"originId": str(origin), "originMunicipality": B, "kind": "WHOLE_SOLUTION"}
    ]
    assert [link["url"] for link in record["links"]] == [
        "https://a.example/doc",
        "https://a.example/x",
    ]
    assert record["internalNotes"] == f"internal note of {A}"


async def test_anonymous_consumers_get_public_data_and_learn_nothing_of_the_rest(
    t: Tenants,
) -> None:
    upserts, tombstones, _ = await drain(t, None, municipality=A)
    assert set(upserts) == {str(t.processes[(A, "PUBLIC")])}
    assert upserts[str(t.processes[(A, "PUBLIC")])]["internalNotes"] is None
    assert tombstones == set()
    everyone, _, _ = await drain(t, None)
    assert set(everyone) == {str(t.processes[(m, "PUBLIC")]) for m in (A, B)}


async def test_the_cursor_brings_only_what_changed_since(t: Tenants) -> None:
    editor = t.token(A, "editor")
    _, _, cursor = await drain(t, editor, municipality=A)
    quiet = await feed(t, editor, since=cursor, municipality=A)
    assert quiet == {"upserts": [], "tombstones": [], "cursor": cursor, "hasMore": False}

    target = t.processes[(A, "MUNICIPALITY")]
    body = await t.call(
        editor,
        UPDATE,
        {"input": {"id": f"Process:{target}", "version": 1, "patch": {"title": "Ny tittel"}}},
    )
    assert body["data"]["processUpdate"]["userErrors"] == []
    changed = await feed(t, editor, since=cursor, municipality=A)
    assert [(r["id"], r["title"]) for r in changed["upserts"]] == [(str(target), "Ny tittel")]
    cursor = changed["cursor"]

    body = await t.call(
        editor,
        BENEFITS,
        {
            "input": {
                "processId": f"Process:{target}",
                "period": "2026-02",
                "records": [{"hoursSaved": 3}],
            }
        },
    )
    assert body["data"]["benefitsRecord"]["userErrors"] == []
    changed = await feed(t, editor, since=cursor, municipality=A)
    assert [r["benefits"] for r in changed["upserts"]] == [
        [{"period": "2026-02", "kind": "MEASURED", "hoursSaved": 3.0}]
    ]
    cursor = changed["cursor"]

    body = await t.call(editor, DELETE, {"input": {"id": f"Process:{target}", "version": 2}})
    assert body["data"]["processDelete"]["userErrors"] == []
    gone = await feed(t, editor, since=cursor, municipality=A)
    assert gone["upserts"] == []
    assert gone["tombstones"] == [{"id": str(target), "municipality": A}]
    assert (await feed(t, editor, since=cursor, municipality=B))["upserts"] == []


async def test_a_process_made_personal_becomes_a_tombstone(t: Tenants) -> None:
    member = t.token(A, "member")
    _, _, cursor = await drain(t, member, municipality=A)
    target = t.processes[(A, "MUNICIPALITY")]
    async with t.db.session(None) as session:
        await session.execute(
            text("UPDATE process SET visibility = 'PERSONAL', reporter = 'bob' WHERE id = :id"),
            {"id": target},
        )
    page = await feed(t, member, since=cursor, municipality=A)
    assert page["tombstones"] == [{"id": str(target), "municipality": A}]


async def test_re_confirming_a_mirrored_record_is_not_a_change(t: Tenants) -> None:
    _, _, cursor = await drain(t, None)
    async with t.db.session(None) as session:
        await session.execute(text("UPDATE process SET synced_at = now()"))
    assert (await feed(t, None, since=cursor))["upserts"] == []


async def test_a_transaction_still_running_holds_the_feed_back(t: Tenants) -> None:
    """Commit order is not position order: nothing may slip in behind a cursor."""
    _, _, cursor = await drain(t, None)
    slow, fast = b.process(A, title="slow"), b.process(A, title="fast")
    async with t.db.engine.connect() as held:
        await held.execute(text("SET LOCAL ROLE reusegraph_system"))
        await held.execute(insert(Process).values(**slow))
        await b.insert_rows(t.db, process=[fast])
        waiting = await feed(t, None, since=cursor)
        assert waiting["upserts"] == []
        assert waiting["cursor"] == cursor
        await held.commit()
    page = await feed(t, None, since=cursor)
    assert [r["title"] for r in page["upserts"]] == ["slow", "fast"]


async def test_a_foreign_cursor_is_bad_user_input(t: Tenants) -> None:
    body = await t.call(None, FEED, {"since": "bm90LWEtY3Vyc29y"})
    error = body["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "cursor" in error["message"]
    body = await t.call(None, FEED, {"first": 5000})
    assert body["errors"][0]["extensions"]["argument"] == "first"


async def test_a_public_process_made_internal_is_withdrawn_from_outside_mirrors(
    t: Tenants,
) -> None:
    public = t.processes[(A, "PUBLIC")]
    _, before, cursor = await drain(t, None, municipality=A)
    assert before == set()
    update = """
    mutation ($input: ProcessUpdateInput!) {
      processUpdate(input: $input) { userErrors { code } }
    }"""
    body = await t.call(
        t.token(A, "editor"),
        update,
        {
            "input": {
                "id": f"Process:{public}",
                "version": 1,
                "patch": {"visibility": "MUNICIPALITY"},
            }
        },
    )
    assert body["data"]["processUpdate"]["userErrors"] == []
    upserts, tombstones, _ = await drain(t, None, municipality=A, since=cursor)
    assert upserts == {}
    assert tombstones == {str(public)}, "only the once-public process, never the always-hidden"


async def test_a_process_that_moves_is_withdrawn_from_its_old_municipalitys_feed(
    t: Tenants,
) -> None:
    """A merger moves a process: a mirror of the old municipality's feed must drop it."""
    _, _, cursor_a = await drain(t, None, municipality=A)
    _, _, cursor_all = await drain(t, None)
    moving = t.processes[(A, "PUBLIC")]
    async with t.db.session(None) as session:
        await session.execute(
            text("UPDATE process SET municipality_code = :to WHERE id = :id"),
            {"to": B, "id": moving},
        )

    old_home = await feed(t, None, since=cursor_a, municipality=A)
    assert old_home["upserts"] == []
    assert old_home["tombstones"] == [{"id": str(moving), "municipality": A}]
    new_home = await drain(t, None, municipality=B)
    assert str(moving) in new_home[0]

    # Unfiltered, the page holds the process once: an upsert naming its new municipality.
    everything = await feed(t, None, since=cursor_all)
    assert everything["tombstones"] == []
    assert [(r["id"], r["municipality"]) for r in everything["upserts"]] == [(str(moving), B)]
