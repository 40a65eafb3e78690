"""Trusted documents registered by admins: they run in the trusted mode until removed.

Over real HTTP with tokens of the local issuer: an admin registers a document (sending
it as text, which only an admin may do in the mode), a reader then runs it by its hash
and nothing else, and after its removal not even that. Every write is audited; bad input
is a userError and writes nothing.
"""

import hashlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from reusegraph.store.engine import Database
from tests.support.issuer import LocalIssuer
from tests.support.payloads import payload, refusal, user_error
from tests.support.tenants import A, Tenants, tenants

pytest_plugins = ("tests.support.identity_fixtures",)

ERRORS = "userErrors { code message field } clientMutationId"
REGISTER = f"""
mutation ($input: TrustedDocumentRegisterInput!) {{
  trustedDocumentRegister(input: $input) {{ hash trustedDocument {{ hash name }} {ERRORS} }}
}}
"""
REMOVE = f"""
mutation ($input: TrustedDocumentRemoveInput!) {{
  trustedDocumentRemove(input: $input) {{ removedHash {ERRORS} }}
}}
"""
LIST = """
query ($first: Int, $after: String) {
  trustedDocuments(first: $first, after: $after) {
    totalCount nodes { hash name document } pageInfo { hasNextPage endCursor }
  }
}
"""
PORTAL = "query Portal { viewer { authenticated roles } }"


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@pytest.fixture
async def trusted(empty_db: Database, local_issuer: LocalIssuer) -> AsyncIterator[Tenants]:
    """The trusted mode with no file: only what admins register runs."""
    async with tenants(
        empty_db, local_issuer, admin=True, trusted_documents=Path("registered")
    ) as value:
        yield value


async def by_hash(t: Tenants, token: str, digest: str) -> dict[str, Any]:
    response = await t.http.post(
        "/graphql",
        json={"documentId": f"sha256:{digest}"},
        headers={"Authorization": f"Bearer {token}"},
    )
    body: dict[str, Any] = response.json()
    return body


async def test_a_registered_document_runs_by_its_hash_until_removed(trusted: Tenants) -> None:
    t = trusted
    admin, reader = t.token(A, "admin"), t.token(A, "reader")
    digest = sha256(PORTAL)
    refused = await by_hash(t, reader, digest)
    assert refused["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    before = await t.audit_count()

    body = await t.call(admin, REGISTER, {"input": {"document": PORTAL, "name": "portal"}})
    registered = payload(body, "trustedDocumentRegister")
    assert registered["userErrors"] == []
    assert registered["hash"] == digest
    assert registered["trustedDocument"] == {"hash": digest, "name": "portal"}

    answer = await by_hash(t, reader, digest)
    assert answer["data"] == {"viewer": {"authenticated": True, "roles": ["reader"]}}
    assert (await t.call(reader, PORTAL))["data"] == answer["data"]  # the same text runs too
    other = await t.call(reader, "{ viewer { authenticated } }")
    assert refusal(other)["code"] == "PERSISTED_QUERY_NOT_FOUND"
    listed = (await t.call(admin, LIST))["data"]["trustedDocuments"]
    assert listed["totalCount"] == 1
    assert listed["nodes"] == [{"hash": digest, "name": "portal", "document": PORTAL}]

    body = await t.call(admin, REMOVE, {"input": {"hash": f"sha256:{digest}"}})
    assert payload(body, "trustedDocumentRemove")["removedHash"] == digest
    refused = await by_hash(t, reader, digest)
    assert refused["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    assert await t.audit_count() == before + 2
    actions = await t.scalar(
        "SELECT string_agg(action, ',' ORDER BY id) FROM audit_entry"
        " WHERE entity = 'TrustedDocument' AND entity_id = :digest",
        digest=digest,
    )
    assert actions == "trustedDocumentRegister,trustedDocumentRemove"


async def test_only_admins_register_remove_or_list(t: Tenants) -> None:
    editor = t.token(A, "editor")
    register = {"input": {"document": PORTAL}}
    for token, code in ((None, "UNAUTHENTICATED"), (editor, "FORBIDDEN")):
        assert refusal(await t.call(token, REGISTER, register))["code"] == code
        assert refusal(await t.call(token, REMOVE, {"input": {"hash": "0" * 64}}))["code"] == code
        assert refusal(await t.call(token, LIST))["code"] == code
    assert await t.scalar("SELECT count(*) FROM trusted_document") == 0


@pytest.mark.parametrize(
    ("mutation", "input", "code", "field", "message"),
    [
        (REGISTER, {"document": "{ nope }"}, "INVALID", "document", "Cannot query field 'nope'"),
        (REGISTER, {"document": "query {"}, "INVALID", "document", "Syntax Error"),
        (REGISTER, {"document": PORTAL, "name": " "}, "INVALID", "name", "1-255 characters"),
        (REMOVE, {"hash": "abc"}, "INVALID", "hash", "64 hexadecimal characters"),
        (REMOVE, {"hash": "0" * 64}, "NOT_FOUND", "hash", "No registered document"),
    ],
)
async def test_bad_input_is_a_clear_user_error_and_writes_nothing(
    t: Tenants, mutation: str, input: dict[str, Any], code: str, field: str, message: str
) -> None:
    before = await t.audit_count()
    body = await t.call(t.token(A, "admin"), mutation, {"input": input})
    name = "trustedDocumentRegister" if mutation == REGISTER else "trustedDocumentRemove"
    error = user_error(body, name, "hash" if mutation == REGISTER else "removedHash")
    assert (error["code"], error["field"]) == (code, [field])
    assert message in error["message"]
    assert await t.scalar("SELECT count(*) FROM trusted_document") == 0
    assert await t.audit_count() == before


async def test_registering_again_changes_nothing_and_a_new_name_is_refused(t: Tenants) -> None:
    admin = t.token(A, "admin")
    first = await t.call(admin, REGISTER, {"input": {"document": PORTAL, "name": "portal"}})
    assert payload(first, "trustedDocumentRegister")["hash"] == sha256(PORTAL)
    audited = await t.audit_count()
    again = await t.call(admin, REGISTER, {"input": {"document": PORTAL, "name": "portal"}})
    assert payload(again, "trustedDocumentRegister")["hash"] == sha256(PORTAL)
    renamed = await t.call(admin, REGISTER, {"input": {"document": PORTAL, "name": "other"}})
    error = user_error(renamed, "trustedDocumentRegister", "hash")
    assert error["code"] == "DUPLICATE"
    assert "'portal'" in error["message"]
    assert await t.audit_count() == audited


async def test_the_list_pages_newest_first(t: Tenants) -> None:
    admin = t.token(A, "admin")
    documents = [f"query Page{n} {{ viewer {{ authenticated }} }}" for n in range(3)]
    for document in documents:
        body = await t.call(admin, REGISTER, {"input": {"document": document}})
        assert payload(body, "trustedDocumentRegister")["userErrors"] == []
    page = (await t.call(admin, LIST, {"first": 2}))["data"]["trustedDocuments"]
    assert page["totalCount"] == 3
    assert page["pageInfo"]["hasNextPage"]
    rest = await t.call(admin, LIST, {"first": 2, "after": page["pageInfo"]["endCursor"]})
    nodes = page["nodes"] + rest["data"]["trustedDocuments"]["nodes"]
    assert [n["document"] for n in nodes] == documents[::-1]
    assert not rest["data"]["trustedDocuments"]["pageInfo"]["hasNextPage"]
