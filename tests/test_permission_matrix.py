"""Every mutation x role x own/other municipality, as the schema declares it, on a server.

The mutations and what each one allows come from the declarations on the fields
(``schema/core/permissions.py``), not from a list here: a new mutation without a
declaration fails ``test_every_mutation_declares_who_may_call_it``, and one without a
case below fails ``test_every_mutation_has_a_case``. Each cell sends a real signed token
of municipality A (or none) and an input naming a record of A (own) or of B (other),
made fresh for the cell, and checks the answer: allowed (written, no userErrors),
UNAUTHENTICATED, FORBIDDEN, or NOT_FOUND where row-level security hides others' records.
"""

import hashlib
import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from graphql import GraphQLNonNull, GraphQLObjectType
from sqlalchemy import insert

from reusegraph.auth.principal import Principal, Role
from reusegraph.schema import build_schema
from reusegraph.schema.core.permissions import Access, Scope, declared
from reusegraph.store.models import Process
from reusegraph.store.write_errors import WriteForbidden, refusals
from tests.support import builders as b
from tests.support.tenants import A, B, Tenants

pytest_plugins = ("tests.support.identity_fixtures",)

SCHEMA = build_schema()
DECLARED = declared(SCHEMA, "Mutation")
ROLES: tuple[str | None, ...] = (None, "reader", "member", "editor", "admin")
_numbers = itertools.count(1)


@pytest.fixture
def tenant_settings() -> dict[str, Any]:
    """Webhook targets on loopback are accepted (nothing is delivered: no worker)."""
    return {"webhook_worker": False, "webhook_allow_private": True}


def other(municipality: str) -> str:
    return B if municipality == A else A


async def write(
    t: Tenants, token: str | None, name: str, input: dict[str, Any], select: str = ""
) -> dict[str, Any]:
    """Runs mutation ``name``; its document is made from the schema (the input's type)."""
    mutation = SCHEMA._schema.mutation_type
    assert isinstance(mutation, GraphQLObjectType)
    argument = mutation.fields[name].args["input"].type
    assert isinstance(argument, GraphQLNonNull)
    document = (
        f"mutation ($input: {argument}) {{ {name}(input: $input) "
        f"{{ {select} userErrors {{ code message field }} }} }}"
    )
    return await t.call(token, document, {"input": input})


async def made(t: Tenants, name: str, input: dict[str, Any], select: str, *path: str) -> Any:
    """Setup by an admin of A, through the API: the value at ``path`` of the payload."""
    body = await write(t, t.token(A, "admin"), name, input, select)
    assert "errors" not in body, body
    value: Any = body["data"][name]
    assert value["userErrors"] == [], value
    for key in path:
        value = value[key]
    return value


async def new_process(t: Tenants, municipality: str) -> str:
    row = b.process(municipality)
    await b.insert_rows(t.db, process=[row])
    return f"Process:{row['id']}"


async def version(t: Tenants, table: str, code: str) -> int:
    return int(await t.scalar(f"SELECT version FROM {table} WHERE code = :code", code=code))


async def vendor(t: Tenants, n: int) -> str:
    input = {"name": f"Matrix vendor {n}", "country": "NO"}
    return str(await made(t, "vendorCreate", input, "vendor { id }", "vendor", "id"))


async def agreement(t: Tenants, m: str, n: int, **more: Any) -> str:
    input = {
        "kind": "FRAMEWORK",
        "title": f"Matrix agreement {n}",
        "startDate": "2024-01-01",
        "initialTermMonths": 24,
        "parties": [m],
        **more,
    }
    select = "frameworkAgreement { id }"
    return str(await made(t, "frameworkAgreementCreate", input, select, "frameworkAgreement", "id"))


async def meeting(t: Tenants, m: str, n: int) -> str:
    input = {"title": f"Matrix meeting {n}", "host": m}
    select = "networkMeeting { id }"
    return str(await made(t, "networkMeetingCreate", input, select, "networkMeeting", "id"))


def issuer(m: str, n: int) -> dict[str, Any]:
    url = f"https://idp-{n}.example.org/"
    return {"name": f"matrix-{n}", "issuer": url, "audience": "reusegraph", "municipality": m}


async def source(t: Tenants, n: int) -> dict[str, Any]:
    """A hosted source of a municipality of its own (a municipality has one owning source)."""
    code = f"NO-9{n % 1000:03d}"
    await b.insert_rows(t.db, municipality=[b.municipality(code)])
    return {"code": f"matrix-{n}", "name": f"Matrix {n}", "kind": "HOSTED", "owners": [code]}


async def subscription(t: Tenants, m: str) -> str:
    """Subscribed by alice of ``m``: the subject every token of ``t.token(m, ...)`` has."""
    input = {"url": "http://127.0.0.1:9/hook", "events": ["PROCESS_UPDATED"]}
    body = await write(t, t.token(m, "member"), "webhookSubscribe", input, "subscription { id }")
    return str(body["data"]["webhookSubscribe"]["subscription"]["id"])


Build = Callable[[Tenants, str, int], Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class Case:
    """How to call one mutation on a record of municipality ``m`` (fresh per cell)."""

    build: Build
    own_only: bool = False
    """What it writes is always the caller's own (a copy, a subscription): no 'other'."""
    allowed_error: str | None = None
    """The userError an allowed call still gets, by a rule checked after permission."""


async def _process_create(t: Tenants, m: str, n: int) -> dict[str, Any]:
    return {"title": f"Matrix {n}", "phase": "IDEA", "municipality": m}


async def _process_update(t: Tenants, m: str, n: int) -> dict[str, Any]:
    return {"id": await new_process(t, m), "version": 1, "patch": {"title": f"Matrix {n}"}}


async def _process_delete(t: Tenants, m: str, n: int) -> dict[str, Any]:
    return {"id": await new_process(t, m), "version": 1}


async def _reuse_process(t: Tenants, m: str, n: int) -> dict[str, Any]:
    return {"originId": f"Process:{t.processes[(B, 'PUBLIC')]}", "kind": "WHOLE_SOLUTION"}


async def _link_create(t: Tenants, m: str, n: int) -> dict[str, Any]:
    origin = f"Process:{t.processes[(other(m), 'PUBLIC')]}"
    return {"derivedId": await new_process(t, m), "originId": origin}


async def _link_delete(t: Tenants, m: str, n: int) -> dict[str, Any]:
    derived, origin = b.process(m), t.processes[(other(m), "PUBLIC")]
    await b.insert_rows(t.db, process=[derived], reuse_link=[b.reuse(derived["id"], origin)])
    return {"derivedId": f"Process:{derived['id']}", "originId": f"Process:{origin}"}


async def _benefits(t: Tenants, m: str, n: int) -> dict[str, Any]:
    process = f"Process:{t.processes[(m, 'PUBLIC')]}"
    return {"processId": process, "period": "2026-09", "records": [{"hoursSaved": float(n)}]}


async def _settings(t: Tenants, m: str, n: int) -> dict[str, Any]:
    return {"code": m, "version": await version(t, "municipality", m), "patch": {"note": f"{n}"}}


async def _register(t: Tenants, m: str, n: int) -> dict[str, Any]:
    return {"code": {A: "DK-0746", B: "NO-5030"}[m]}  # official codes not registered yet


async def _municipality_update(t: Tenants, m: str, n: int) -> dict[str, Any]:
    current = await version(t, "municipality", m)
    return {"code": m, "version": current, "patch": {"name": f"Matrix {n}"}}


async def _vendor_create(t: Tenants, m: str, n: int) -> dict[str, Any]:
    return {"name": f"Matrix vendor {n}", "country": "NO"}


async def _vendor_update(t: Tenants, m: str, n: int) -> dict[str, Any]:
    supplier = await vendor(t, n)
    await agreement(t, m, n, vendorIds=[supplier])
    return {"id": supplier, "version": 1, "patch": {"name": f"Matrix vendor {n} AS"}}


async def _agreement_create(t: Tenants, m: str, n: int) -> dict[str, Any]:
    return {
        "kind": "FRAMEWORK",
        "title": f"Matrix agreement {n}",
        "startDate": "2024-01-01",
        "initialTermMonths": 24,
        "parties": [m],
    }


async def _agreement_update(t: Tenants, m: str, n: int) -> dict[str, Any]:
    return {"id": await agreement(t, m, n), "version": 1, "patch": {"title": f"Matrix {n}"}}


async def _exercise(t: Tenants, m: str, n: int) -> dict[str, Any]:
    return {"id": await agreement(t, m, n, optionMonths=[12]), "version": 1}


async def _meeting_create(t: Tenants, m: str, n: int) -> dict[str, Any]:
    return {"title": f"Matrix meeting {n}", "host": m}


async def _meeting_update(t: Tenants, m: str, n: int) -> dict[str, Any]:
    return {"id": await meeting(t, m, n), "version": 1, "patch": {"title": f"Matrix {n}"}}


async def _attendance(t: Tenants, m: str, n: int) -> dict[str, Any]:
    return {"meetingId": await meeting(t, m, n), "municipality": m, "attending": True}


async def _issuer_register(t: Tenants, m: str, n: int) -> dict[str, Any]:
    return issuer(m, n)


async def _issuer_remove(t: Tenants, m: str, n: int) -> dict[str, Any]:
    name = await made(t, "issuerRegister", issuer(m, n), "trustedIssuer { name }", "trustedIssuer")
    return {"name": name["name"], "version": 1}


async def _source_register(t: Tenants, m: str, n: int) -> dict[str, Any]:
    return await source(t, n)


async def _source_remove(t: Tenants, m: str, n: int) -> dict[str, Any]:
    registered = await source(t, n)
    await made(t, "sourceRegister", registered, "source { code }")
    return {"code": registered["code"]}


def _document(n: int) -> str:
    return f"query Matrix{n} {{ __typename }}"


async def _document_register(t: Tenants, m: str, n: int) -> dict[str, Any]:
    return {"document": _document(n)}


async def _document_remove(t: Tenants, m: str, n: int) -> dict[str, Any]:
    await made(t, "trustedDocumentRegister", {"document": _document(n)}, "hash")
    return {"hash": hashlib.sha256(_document(n).encode()).hexdigest()}


async def _subscribe(t: Tenants, m: str, n: int) -> dict[str, Any]:
    return {"url": "http://127.0.0.1:9/hook", "events": ["PROCESS_UPDATED"]}


async def _subscription(t: Tenants, m: str, n: int) -> dict[str, Any]:
    return {"id": await subscription(t, m)}


async def _replay(t: Tenants, m: str, n: int) -> dict[str, Any]:
    return {"subscriptionId": await subscription(t, m)}


CASES: dict[str, Case] = {
    "processCreate": Case(_process_create),
    "processUpdate": Case(_process_update),
    "processDelete": Case(_process_delete),
    "reuseProcess": Case(_reuse_process, own_only=True),
    "reuseLinkCreate": Case(_link_create),
    "reuseLinkDelete": Case(_link_delete),
    "benefitsRecord": Case(_benefits),
    "municipalitySettingsUpdate": Case(_settings),
    "municipalityRegister": Case(_register),
    "municipalityUpdate": Case(_municipality_update),
    "vendorCreate": Case(_vendor_create),
    "vendorUpdate": Case(_vendor_update),
    "frameworkAgreementCreate": Case(_agreement_create),
    "frameworkAgreementUpdate": Case(_agreement_update),
    "frameworkAgreementExerciseOption": Case(_exercise),
    "networkMeetingCreate": Case(_meeting_create),
    "networkMeetingUpdate": Case(_meeting_update),
    "networkMeetingAttendanceSet": Case(_attendance),
    "issuerRegister": Case(_issuer_register),
    "issuerRemove": Case(_issuer_remove),
    "sourceRegister": Case(_source_register),
    "sourceRemove": Case(_source_remove),
    "trustedDocumentRegister": Case(_document_register),
    "trustedDocumentRemove": Case(_document_remove),
    "webhookSubscribe": Case(_subscribe, own_only=True),
    "webhookPause": Case(_subscription),
    "webhookResume": Case(_subscription),
    "webhookDelete": Case(_subscription),
    "webhookReplay": Case(_replay, allowed_error="INVALID"),  # nothing failed to replay
}


def expected(access: Access, role: str | None, own: bool) -> str:
    """What each scope means, as ``Scope`` documents it: the oracle for one cell."""
    if role is None:
        return "UNAUTHENTICATED"
    if access.roles and Role(role) not in access.roles:
        return "FORBIDDEN"
    if own or access.scope is Scope.ANY:
        return "ALLOWED"
    if access.scope is Scope.OWN_MUNICIPALITY:
        return "FORBIDDEN"  # admins too: a process is its own municipality's to write
    if role == "admin":
        return "ALLOWED"
    return "NOT_FOUND" if access.scope is Scope.OWN_SUBSCRIPTIONS else "FORBIDDEN"


def outcome(body: dict[str, Any], name: str, allowed_error: str | None) -> str:
    if "errors" in body:
        assert body["data"] is None or body["data"][name] is None, body
        return str(body["errors"][0]["extensions"]["code"])
    codes = [e["code"] for e in body["data"][name]["userErrors"]]
    if codes in ([], [allowed_error]):
        return "ALLOWED"
    return ",".join(codes)


def test_every_mutation_declares_who_may_call_it() -> None:
    undeclared = sorted(name for name, access in DECLARED.items() if access is None)
    assert undeclared == [], f"declare permission_classes=[needs(...)] on {undeclared}"


def test_every_mutation_has_a_case() -> None:
    assert sorted(CASES) == sorted(DECLARED)


@pytest.mark.parametrize("name", sorted(DECLARED))
async def test_the_server_answers_as_the_declaration_says(t: Tenants, name: str) -> None:
    access, case = DECLARED[name], CASES.get(name)
    assert access is not None
    assert case is not None
    answers: dict[tuple[str | None, str], tuple[str, str]] = {}
    for role, own in itertools.product(ROLES, (True, False)):
        target = A if own or case.own_only else B
        input = await case.build(t, target, next(_numbers))
        token = t.token(A, role) if role else None
        audits = await t.audit_count()
        body = await write(t, token, name, input)
        got = outcome(body, name, case.allowed_error)
        want = expected(access, role, own or case.own_only)
        answers[(role, "own" if own else "other")] = (want, got)
        wrote = await t.audit_count() > audits
        assert wrote == (got == "ALLOWED" and case.allowed_error is None), body
    wrong = {cell: pair for cell, pair in answers.items() if pair[0] != pair[1]}
    assert wrong == {}, f"{name}: (role, municipality): (declared, answered) {wrong}"


async def test_a_policy_refusal_is_a_typed_refusal(t: Tenants) -> None:
    """What slips past the store's own checks, row-level security refuses (SQLSTATE 42501),
    and the store says so as ``WriteForbidden``, which the API answers as FORBIDDEN."""
    editor_of_b = Principal(
        issuer="test", subject=f"kari-{B}", municipality=B, roles=frozenset({Role.EDITOR})
    )

    async def insert_for_a() -> None:
        async with t.db.session(editor_of_b) as session:
            with refusals():
                await session.execute(insert(Process).values(**b.process(A)))

    with pytest.raises(WriteForbidden):
        await insert_for_a()
    assert await t.scalar("SELECT count(*) FROM process") == len(t.processes)
