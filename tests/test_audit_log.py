"""``auditLog``: admins read every entry, an editor only their own municipality's.

Two editors (Trondheim and Oslo) write through the API; each reads back their own
writes with before/after, the mutation and its clientMutationId, and never the other's,
whatever the filter asks for, because row-level security decides in PostgreSQL.
"""

from typing import Any

import pytest

from tests.support.tenants import A, B, Tenants

pytest_plugins = ("tests.support.identity_fixtures",)

CREATE = """
mutation ($input: ProcessCreateInput!) {
  processCreate(input: $input) { process { id } userErrors { message } }
}"""
UPDATE = """
mutation ($input: ProcessUpdateInput!) {
  processUpdate(input: $input) { process { id version } userErrors { message } }
}"""
LOG = """
query ($filter: AuditLogFilter, $first: Int, $after: String, $last: Int, $before: String) {
  auditLog(filter: $filter, first: $first, after: $after, last: $last, before: $before) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage endCursor startCursor }
    nodes {
      at mutation clientMutationId entity entityId before after
      actor { issuer subject municipality }
    }
  }
}"""


@pytest.fixture
async def t(t: Tenants) -> Tenants:
    """The shared tenants, after each editor created a process and renamed one."""
    for code in (A, B):
        token = t.token(code, "editor")
        body = await t.call(
            token,
            CREATE,
            {
                "input": {
                    "title": f"Ny prosess i {code}",
                    "phase": "IDEA",
                    "clientMutationId": f"create-{code}",
                }
            },
        )
        assert body["data"]["processCreate"]["userErrors"] == [], body
        target = f"Process:{t.processes[(code, 'PUBLIC')]}"
        body = await t.call(
            token,
            UPDATE,
            {
                "input": {
                    "id": target,
                    "version": 1,
                    "patch": {"title": f"Omdøbt i {code}"},
                    "clientMutationId": f"rename-{code}",
                }
            },
        )
        assert body["data"]["processUpdate"]["userErrors"] == [], body
    return t


async def _log(t: Tenants, token: str | None, **variables: Any) -> dict[str, Any]:
    body = await t.call(token, LOG, variables)
    assert "errors" not in body, body["errors"]
    log: dict[str, Any] = body["data"]["auditLog"]
    return log


async def test_an_editor_reads_their_own_municipalitys_writes(t: Tenants) -> None:
    log = await _log(t, t.token(A, "editor"))
    assert log["totalCount"] == 2
    rename, create = log["nodes"]  # newest first
    assert rename["mutation"] == "processUpdate"
    assert rename["clientMutationId"] == f"rename-{A}"
    assert rename["entity"] == "Process"
    assert rename["entityId"] == str(t.processes[(A, "PUBLIC")])
    assert rename["before"]["title"] == f"Public process of {A}"
    assert rename["after"]["title"] == f"Omdøbt i {A}"
    assert rename["actor"] == {
        "issuer": t.issuer.issuer,
        "subject": f"alice-{A}",
        "municipality": A,
    }
    assert create["mutation"] == "processCreate"
    assert create["clientMutationId"] == f"create-{A}"
    assert create["before"] is None
    assert create["after"]["title"] == f"Ny prosess i {A}"
    assert rename["at"] >= create["at"]


async def test_an_editor_never_reads_another_municipalitys_entries(t: Tenants) -> None:
    token = t.token(A, "editor")
    log = await _log(t, token, filter={"municipality": B})
    assert log == {
        "totalCount": 0,
        "pageInfo": {
            "hasNextPage": False,
            "hasPreviousPage": False,
            "endCursor": None,
            "startCursor": None,
        },
        "nodes": [],
    }
    oslo = await _log(t, t.token(B, "editor"))
    assert {n["actor"]["municipality"] for n in oslo["nodes"]} == {B}


async def test_an_admin_reads_every_entry_and_filters_them(t: Tenants) -> None:
    admin = t.token(B, "admin")
    everything = await _log(t, admin)
    assert everything["totalCount"] == 4
    assert {n["clientMutationId"] for n in everything["nodes"]} == {
        f"{verb}-{code}" for verb in ("create", "rename") for code in (A, B)
    }
    trondheim = await _log(t, admin, filter={"municipality": A, "entity": "Process"})
    assert [n["clientMutationId"] for n in trondheim["nodes"]] == [f"rename-{A}", f"create-{A}"]
    latest = everything["nodes"][0]["at"]
    since = await _log(t, admin, filter={"from": latest})
    assert since["nodes"]
    assert all(n["at"] >= latest for n in since["nodes"])
    before = await _log(t, admin, filter={"to": "2000-01-01T00:00:00Z"})
    assert before["totalCount"] == 0
    assert (await _log(t, admin, filter={"entity": "Vendor"}))["totalCount"] == 0


async def test_the_log_pages_both_ways(t: Tenants) -> None:
    admin = t.token(A, "admin")
    forwards: list[str] = []
    after = None
    while True:
        page = await _log(t, admin, first=3, after=after)
        forwards += [n["clientMutationId"] for n in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(forwards) == 4
    last = await _log(t, admin, last=3)
    assert [n["clientMutationId"] for n in last["nodes"]] == forwards[1:]
    assert last["pageInfo"]["hasPreviousPage"] is True
    start = await _log(t, admin, last=3, before=last["pageInfo"]["startCursor"])
    assert [n["clientMutationId"] for n in start["nodes"]] == forwards[:1]
    assert start["pageInfo"]["hasPreviousPage"] is False


@pytest.mark.parametrize(
    ("who", "code"),
    [(None, "UNAUTHENTICATED"), ((A, "member"), "FORBIDDEN"), ((A, "reader"), "FORBIDDEN")],
    ids=["anonymous", "member", "reader"],
)
async def test_others_are_told_they_may_not_read_it(
    t: Tenants, who: tuple[str, str] | None, code: str
) -> None:
    body = await t.call(t.token(*who) if who else None, LOG, {})
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == code


async def test_a_bad_filter_is_the_callers_error(t: Tenants) -> None:
    body = await t.call(t.token(A, "editor"), LOG, {"filter": {"municipality": "Trondheim"}})
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
