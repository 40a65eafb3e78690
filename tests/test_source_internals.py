"""A source's endpoint, credentials reference and last error are for its owners and admins.

They name internal hosts and echo remote messages. Anonymous callers and other
municipalities still learn which source data came from and whether it is stale.
"""

from typing import Any

import pytest
from sqlalchemy import text

from tests.support import builders as b
from tests.support.remotes import register
from tests.support.tenants import A, B, Tenants

pytest_plugins = ("tests.support.identity_fixtures",)

ENDPOINT = "http://registry.intern.trondheim.kommune.no:8080/graphql"
ERROR = "cannot reach registry.intern.trondheim.kommune.no:8080 (connection refused)"
SOURCES = "{ sources { code kind stale syncedAt endpoint secretRef lastError } }"
TOUCH = "{ processes { nodes { title source { code stale } } } }"


@pytest.fixture
async def t(t: Tenants) -> Tenants:
    """The shared tenants, with a failed source ``remote-a`` and a process mirrored from it."""
    await register(t.db, "remote-a", ENDPOINT, auth="bearer", secret_ref="env:A_TOKEN")
    async with t.db.session(None) as session:
        await session.execute(
            text(
                "UPDATE source SET last_error = :e, last_outcome = 'failed' WHERE code = 'remote-a'"
            ),
            {"e": ERROR},
        )
    await b.insert_rows(t.db, process=[b.process(A, title="Mirrored", source_code="remote-a")])
    return t


def _remote(body: dict[str, Any]) -> dict[str, Any]:
    assert "errors" not in body, body["errors"]
    [source] = [s for s in body["data"]["sources"] if s["code"] == "remote-a"]
    return dict(source)


@pytest.mark.parametrize(
    "who",
    [None, (B, "reader"), (B, "member"), (B, "editor")],
    ids=["anonymous", "B reader", "B member", "B editor"],
)
async def test_others_see_where_data_comes_from_but_not_the_internals(
    t: Tenants, who: tuple[str, str] | None
) -> None:
    token = t.token(*who) if who else None
    source = _remote(await t.call(token, SOURCES))
    assert source == {
        "code": "remote-a",
        "kind": "GRAPHQL",
        "stale": True,
        "syncedAt": None,
        "endpoint": None,
        "secretRef": None,
        "lastError": None,
    }
    body = await t.call(token, TOUCH)
    [notice] = body["extensions"]["sources"]
    assert notice["code"] == "remote-a"
    assert notice["stale"] is True
    assert notice["lastError"] is None


@pytest.mark.parametrize(
    "who", [(A, "member"), (A, "editor"), (B, "admin")], ids=["A member", "A editor", "admin"]
)
async def test_the_owner_and_admins_see_the_internals(t: Tenants, who: tuple[str, str]) -> None:
    token = t.token(*who)
    source = _remote(await t.call(token, SOURCES))
    assert source["endpoint"] == ENDPOINT
    assert source["secretRef"] == "env:A_TOKEN"
    assert source["lastError"] == ERROR
    body = await t.call(token, TOUCH)
    [notice] = body["extensions"]["sources"]
    assert notice["lastError"] == ERROR
