"""Writes: own municipality only, one transaction, audited, exactly once, no lost updates."""

import asyncio
from typing import Any

import pytest

from tests.support.tenants import A, B, Tenants

pytest_plugins = ("tests.support.identity_fixtures",)

CREATE = """
mutation ($input: ProcessCreateInput!) {
  processCreate(input: $input) {
    process { id title version municipality { code } visibility internalNotes itSystems { code } }
    userErrors { code message field }
    clientMutationId
  }
}
"""
UPDATE = """
mutation ($input: ProcessUpdateInput!) {
  processUpdate(input: $input) {
    process { id title version kle }
    userErrors { code message field }
  }
}
"""
DELETE = """
mutation ($input: ProcessDeleteInput!) {
  processDelete(input: $input) { deletedId userErrors { code message field } }
}
"""
BENEFITS = """
mutation ($input: BenefitsRecordInput!) {
  benefitsRecord(input: $input) {
    process { benefits { period kind hoursSaved } }
    userErrors { code message field }
  }
}
"""
REUSE = """
mutation ($input: ReuseProcessInput!) {
  reuseProcess(input: $input) {
    process { id title municipality { code } phase internalNotes reusedFrom { kind origin { id } } }
    userErrors { code message field }
  }
}
"""


def gid(t: Tenants, municipality: str, visibility: str = "PUBLIC") -> str:
    return f"Process:{t.processes[(municipality, visibility)]}"


def payload(body: dict[str, Any], field: str) -> dict[str, Any]:
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"][field]
    return result


async def test_an_editor_creates_a_process_and_the_write_is_audited(t: Tenants) -> None:
    before = await t.audit_count()
    body = await t.call(
        t.token(A, "editor"),
        CREATE,
        {
            "input": {
                "title": "Fakturaer for legeerklæringer",
                "phase": "DEVELOPMENT",
                "details": {"itSystems": ["sofie"], "internalNotes": "ring Kari"},
            }
        },
    )
    created = payload(body, "processCreate")
    assert created["userErrors"] == []
    process = created["process"]
    assert process["municipality"]["code"] == A
    assert process["version"] == 1
    assert process["visibility"] == "MUNICIPALITY"
    assert process["internalNotes"] == "ring Kari"
    assert process["itSystems"] == [{"code": "sofie"}]
    assert await t.audit_count() == before + 1
    action = await t.scalar("SELECT action FROM audit_entry ORDER BY id DESC LIMIT 1")
    assert action == "processCreate"
    subject = await t.scalar("SELECT subject FROM audit_entry ORDER BY id DESC LIMIT 1")
    assert subject == f"alice-{A}"


async def test_update_needs_the_current_version(t: Tenants) -> None:
    token = t.token(A, "editor")
    target = gid(t, A)
    first = payload(
        await t.call(
            token, UPDATE, {"input": {"id": target, "version": 1, "patch": {"kle": "02.34.02"}}}
        ),
        "processUpdate",
    )
    assert first["userErrors"] == []
    assert first["process"]["version"] == 2
    assert first["process"]["kle"] == "02.34.02"
    stale = payload(
        await t.call(
            token, UPDATE, {"input": {"id": target, "version": 1, "patch": {"title": "x"}}}
        ),
        "processUpdate",
    )
    assert stale["process"] is None
    assert stale["userErrors"][0]["code"] == "VERSION_CONFLICT"
    assert stale["userErrors"][0]["field"] == ["version"]
    title = await t.scalar(
        "SELECT title FROM process WHERE id = :id", id=t.processes[(A, "PUBLIC")]
    )
    assert title != "x"


async def test_two_updates_from_the_same_version_one_wins(t: Tenants) -> None:
    token = t.token(A, "editor")
    target = gid(t, A)
    results = await asyncio.gather(
        *(
            t.call(
                token, UPDATE, {"input": {"id": target, "version": 1, "patch": {"title": title}}}
            )
            for title in ("first", "second")
        )
    )
    outcomes = [payload(r, "processUpdate") for r in results]
    winners = [o for o in outcomes if not o["userErrors"]]
    losers = [o for o in outcomes if o["userErrors"]]
    assert len(winners) == 1
    assert len(losers) == 1
    assert losers[0]["userErrors"][0]["code"] == "VERSION_CONFLICT"
    stored = await t.scalar(
        "SELECT title FROM process WHERE id = :id", id=t.processes[(A, "PUBLIC")]
    )
    assert stored == winners[0]["process"]["title"]
    assert (
        await t.scalar("SELECT version FROM process WHERE id = :id", id=t.processes[(A, "PUBLIC")])
        == 2
    )


async def test_a_retried_mutation_with_the_same_client_mutation_id_writes_once(
    t: Tenants,
) -> None:
    token = t.token(A, "editor")
    variables = {"input": {"title": "Once", "phase": "IDEA", "clientMutationId": "req-42"}}
    results = await asyncio.gather(*(t.call(token, CREATE, variables) for _ in range(3)))
    results.append(await t.call(token, CREATE, variables))
    created = [payload(r, "processCreate") for r in results]
    assert {c["process"]["id"] for c in created} == {created[0]["process"]["id"]}
    assert all(c["clientMutationId"] == "req-42" for c in created)
    assert await t.scalar("SELECT count(*) FROM process WHERE title = 'Once'") == 1
    assert await t.scalar("SELECT count(*) FROM audit_entry WHERE action = 'processCreate'") == 1


async def test_a_client_mutation_id_reused_with_another_input_is_refused(t: Tenants) -> None:
    """As Stripe refuses a reused idempotency key: the key names one call, not a slot."""
    token = t.token(A, "editor")
    first = {"input": {"title": "Keyed", "phase": "IDEA", "clientMutationId": "key-7"}}
    created = payload(await t.call(token, CREATE, first), "processCreate")
    other = {"input": {"title": "Something else", "phase": "IDEA", "clientMutationId": "key-7"}}
    body = await t.call(token, CREATE, other)
    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["argument"] == "input.clientMutationId"
    assert "'key-7'" in error["message"]
    assert "different input" in error["message"]
    assert await t.scalar("SELECT count(*) FROM process WHERE title = 'Something else'") == 0
    # The same input again, inline this time and in another order, is a retry.
    inline = """mutation { processCreate(input: {clientMutationId: "key-7", phase: IDEA,
      title: "Keyed"}) { process { id } clientMutationId userErrors { message } } }"""
    again = payload(await t.call(token, inline), "processCreate")
    assert again["process"]["id"] == created["process"]["id"]
    assert await t.scalar("SELECT count(*) FROM process WHERE title = 'Keyed'") == 1


async def test_bad_input_names_the_field_and_writes_nothing(t: Tenants) -> None:
    before = await t.audit_count()
    body = await t.call(
        t.token(A, "editor"),
        CREATE,
        {
            "input": {
                "title": "  ",
                "phase": "IDEA",
                "details": {"kle": "2.34", "automationPercentage": 140, "itSystems": ["nope"]},
            }
        },
    )
    errors = payload(body, "processCreate")["userErrors"]
    fields = {tuple(e["field"]) for e in errors}
    assert ("title",) in fields
    assert ("details", "kle") in fields
    assert ("details", "automationPercentage") in fields
    kle = next(e for e in errors if e["field"] == ["details", "kle"])
    assert "02.34.02" in kle["message"]
    assert await t.audit_count() == before
    assert await t.scalar("SELECT count(*) FROM process") == 6


async def test_record_benefits_upserts_the_month(t: Tenants) -> None:
    token = t.token(A, "editor")
    target = gid(t, A)
    for hours in (10.0, 12.5):
        body = await t.call(
            token,
            BENEFITS,
            {
                "input": {
                    "processId": target,
                    "period": "2026-09",
                    "records": [{"hoursSaved": hours, "cases": 40}],
                }
            },
        )
        result = payload(body, "benefitsRecord")
        assert result["userErrors"] == []
    assert result["process"]["benefits"] == [
        {"period": "2026-09", "kind": "MEASURED", "hoursSaved": 12.5}
    ]


async def test_reuse_process_copies_without_internals_and_keeps_the_lineage(t: Tenants) -> None:
    origin = gid(t, B)
    body = await t.call(
        t.token(A, "editor"), REUSE, {"input": {"originId": origin, "kind": "WHOLE_SOLUTION"}}
    )
    result = payload(body, "reuseProcess")
    assert result["userErrors"] == []
    copy = result["process"]
    assert copy["municipality"]["code"] == A
    assert copy["title"] == f"Public process of {B}"
    assert copy["phase"] == "IDEA"
    assert copy["internalNotes"] is None
    assert copy["reusedFrom"] == [{"kind": "WHOLE_SOLUTION", "origin": {"id": origin}}]


async def test_reusing_a_process_you_cannot_see_is_not_found(t: Tenants) -> None:
    body = await t.call(
        t.token(A, "editor"),
        REUSE,
        {"input": {"originId": gid(t, B, "MUNICIPALITY"), "kind": "INSPIRATION"}},
    )
    result = payload(body, "reuseProcess")
    assert result["process"] is None
    assert result["userErrors"][0]["code"] == "NOT_FOUND"


CROSS_TENANT = [
    ("update", UPDATE, lambda t: {"id": gid(t, B), "version": 1, "patch": {"title": "pwned"}}),
    ("delete", DELETE, lambda t: {"id": gid(t, B), "version": 1}),
    (
        "benefits",
        BENEFITS,
        lambda t: {"processId": gid(t, B), "period": "2026-01", "records": [{"hoursSaved": 999}]},
    ),
    ("create in B", CREATE, lambda t: {"title": "pwned", "phase": "IDEA", "municipality": B}),
]


@pytest.mark.parametrize(
    ("name", "mutation", "make_input"), CROSS_TENANT, ids=[c[0] for c in CROSS_TENANT]
)
async def test_an_editor_of_a_cannot_write_b_s_data(
    t: Tenants, name: str, mutation: str, make_input: Any
) -> None:
    before = await t.audit_count()
    body = await t.call(t.token(A, "editor"), mutation, {"input": make_input(t)})
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", body
    assert B in body["errors"][0]["message"]
    assert await t.audit_count() == before
    assert await t.scalar("SELECT count(*) FROM process WHERE title = 'pwned'") == 0
    assert await t.scalar("SELECT count(*) FROM benefit_record") == 0
    assert await t.scalar("SELECT count(*) FROM process WHERE municipality_code = :b", b=B) == 3


@pytest.mark.parametrize("role", ["member", "reader"])
async def test_members_and_readers_cannot_write(t: Tenants, role: str) -> None:
    body = await t.call(
        t.token(A, role),
        UPDATE,
        {"input": {"id": gid(t, A), "version": 1, "patch": {"title": "x"}}},
    )
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert "editor" in body["errors"][0]["message"]
    assert (
        await t.scalar("SELECT version FROM process WHERE id = :id", id=t.processes[(A, "PUBLIC")])
        == 1
    )


async def test_anonymous_writes_are_unauthenticated(t: Tenants) -> None:
    body = await t.call(None, CREATE, {"input": {"title": "x", "phase": "IDEA"}})
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
