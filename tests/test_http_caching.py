"""HTTP caching: ETags from the data version, 304s without SQL, automatic persisted queries."""

import asyncio
import json
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from reusegraph.api.app import create_app
from reusegraph.api.settings import Settings
from reusegraph.auth.principal import Principal, Role
from reusegraph.store.engine import Database
from reusegraph.store.trusted_documents import document_hash
from tests.support import builders as b
from tests.support.captured_logs import captured
from tests.support.http import serving
from tests.support.issuer import LocalIssuer
from tests.support.postgres import url_of
from tests.support.tenants import A, Tenants, issuer_entry, tenants

pytest_plugins = ("tests.support.identity_fixtures",)

TITLES = "query Titles { processes(first: 20) { nodes { title } } }"
CREATE = """
mutation ($input: ProcessCreateInput!) {
  processCreate(input: $input) { process { id } userErrors { message } }
}
"""
PUBLIC_CACHE = "public, max-age=0, must-revalidate"


def persisted(query: str | None = None, sha256: str | None = None) -> dict[str, str]:
    digest = sha256 or document_hash(query or "")
    extensions = json.dumps({"persistedQuery": {"version": 1, "sha256Hash": digest}})
    return {"extensions": extensions} | ({"query": query} if query else {})


async def get(http: httpx.AsyncClient, **params: str) -> httpx.Response:
    headers = {k.replace("_", "-"): v for k, v in params.items() if k in ("if_none_match",)}
    query = {k: v for k, v in params.items() if k not in ("if_none_match",)}
    return await http.get("/graphql", params=query, headers=headers)


async def tag_changes(http: httpx.AsyncClient, old: str, **params: str) -> str:
    """The tag once it differs from ``old``: a write reaches a replica by a notification
    (or the poll), so a bounded wait, not an assertion on time."""
    for _ in range(200):
        response = await get(http, **params)
        assert response.status_code == 200, response.text
        tag = response.headers.get("etag")
        if tag is not None and tag != old:
            return str(tag)
        await asyncio.sleep(0.05)
    raise AssertionError(f"the ETag stayed {old}")


async def current_tag(http: httpx.AsyncClient, **params: str) -> str:
    """The first tag an anonymous GET gets (the version is known shortly after start)."""
    for _ in range(200):
        response = await get(http, **params)
        assert response.status_code == 200, response.text
        if "etag" in response.headers:
            return response.headers["etag"]
        await asyncio.sleep(0.05)
    raise AssertionError("no ETag on anonymous GETs")


async def test_an_anonymous_get_gets_an_etag_and_a_304_that_runs_no_sql(
    empty_db: Database, local_issuer: LocalIssuer
) -> None:
    await b.insert_rows(empty_db, municipality=[b.municipality(A)], process=[b.process(A)])
    app = create_app(
        Settings(issuers=issuer_entry(local_issuer), slow_request_ms=0), url_of(empty_db)
    )
    with captured("reusegraph.request") as lines:
        async with serving(app) as base, httpx.AsyncClient(base_url=base, timeout=30) as http:
            tag = await current_tag(http, query=TITLES)
            first = await get(http, query=TITLES)
            assert first.json()["data"]["processes"]["nodes"][0]["title"].startswith("Test")
            assert first.headers["etag"] == tag
            assert tag.startswith('W/"')
            assert first.headers["cache-control"] == PUBLIC_CACHE
            assert "Authorization" in first.headers["vary"]
            before = len(lines.entries())
            again = await get(http, query=TITLES, if_none_match=tag)
            assert again.status_code == 304
            assert again.content == b""
            assert again.headers["etag"] == tag
            assert again.headers["cache-control"] == PUBLIC_CACHE
            other_variables = await get(http, query=TITLES, variables='{"x": 1}', if_none_match=tag)
            assert other_variables.status_code == 200
    not_modified = lines.entries()[before]
    assert not_modified["status"] == 304
    assert not_modified["path"] == "not-modified"
    assert not_modified["statements"] == 0


@pytest.mark.parametrize(
    "header",
    ["*", "{tag}", '"other", {tag}', 'W/"x" ,  {tag}', "{strong}"],
)
async def test_if_none_match_takes_star_lists_and_compares_weakly(t: Tenants, header: str) -> None:
    tag = await current_tag(t.http, query=TITLES)
    strong = tag.removeprefix("W/")
    value = header.format(tag=tag, strong=strong)
    assert (await get(t.http, query=TITLES, if_none_match=value)).status_code == 304


@pytest.mark.parametrize("header", ['"other"', 'W/"other", W/"again"', "garbage", 'W/"'])
async def test_an_if_none_match_that_names_another_tag_gets_the_answer(
    t: Tenants, header: str
) -> None:
    await current_tag(t.http, query=TITLES)
    response = await get(t.http, query=TITLES, if_none_match=header)
    assert response.status_code == 200
    assert response.json()["data"]["processes"]["nodes"]


async def test_an_editors_mutation_changes_the_tag_at_once(t: Tenants) -> None:
    tag = await current_tag(t.http, query=TITLES)
    body = await t.call(
        t.token(A, "editor"),
        CREATE,
        {"input": {"title": "Ny proces", "phase": "IDEA", "visibility": "PUBLIC"}},
    )
    assert body["data"]["processCreate"]["userErrors"] == []
    # The replica that wrote reads the version before it answers: no wait.
    after = await get(t.http, query=TITLES, if_none_match=tag)
    assert after.status_code == 200
    assert after.headers["etag"] != tag
    assert "Ny proces" in [n["title"] for n in after.json()["data"]["processes"]["nodes"]]


async def test_a_direct_store_write_changes_the_tag(t: Tenants) -> None:
    tag = await current_tag(t.http, query=TITLES)
    await b.insert_rows(t.db, process=[b.process(A, title="Written by the system")])
    new = await tag_changes(t.http, tag, query=TITLES)
    response = await get(t.http, query=TITLES, if_none_match=new)
    assert response.status_code == 304


async def test_a_write_while_the_listener_is_cut_off_still_changes_the_tag(t: Tenants) -> None:
    """Notifications sent while the listening connection is gone are lost: the version
    is forgotten until it is read again, so no old answer is confirmed meanwhile."""
    tag = await current_tag(t.http, query=TITLES)
    cut = await t.scalar(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
        " WHERE application_name = 'reusegraph-listen' AND datname = current_database()"
    )
    assert cut == 1
    await b.insert_rows(t.db, process=[b.process(A, title="Written while nobody listened")])
    new = await tag_changes(t.http, tag, query=TITLES)
    answer = (await get(t.http, query=TITLES, if_none_match=tag)).json()
    titles = [n["title"] for n in answer["data"]["processes"]["nodes"]]
    assert "Written while nobody listened" in titles
    assert (await get(t.http, query=TITLES, if_none_match=new)).status_code == 304


async def test_a_write_on_one_replica_changes_the_tag_on_another(
    t: Tenants, local_issuer: LocalIssuer
) -> None:
    second_app = create_app(Settings(issuers=issuer_entry(local_issuer)), url_of(t.db))
    async with (
        serving(second_app) as base,
        httpx.AsyncClient(base_url=base, timeout=30) as other,
    ):
        tag = await current_tag(other, query=TITLES)
        assert await current_tag(t.http, query=TITLES) == tag  # one version, one schema
        body = await t.call(
            t.token(A, "editor"),
            CREATE,
            {"input": {"title": "Fra den første", "phase": "IDEA", "visibility": "PUBLIC"}},
        )
        assert body["data"]["processCreate"]["userErrors"] == []
        new = await tag_changes(other, tag, query=TITLES)
        assert new == (await get(t.http, query=TITLES)).headers["etag"]
        answer = (await get(other, query=TITLES)).json()
        assert "Fra den første" in [n["title"] for n in answer["data"]["processes"]["nodes"]]


async def test_authenticated_answers_are_private_and_untagged(t: Tenants) -> None:
    tag = await current_tag(t.http, query=TITLES)
    token = t.token(A, "member")
    response = await t.http.get(
        "/graphql",
        params={"query": TITLES},
        headers={"Authorization": f"Bearer {token}", "If-None-Match": tag},
    )
    assert response.status_code == 200
    assert "etag" not in response.headers
    assert response.headers["cache-control"] == "private, no-store"
    titles = [n["title"] for n in response.json()["data"]["processes"]["nodes"]]
    assert f"Municipality process of {A}" in titles  # the member's view, not the public one
    with_cookie = await t.http.get(
        "/graphql",
        params={"query": TITLES},
        headers={"If-None-Match": tag, "Cookie": "reusegraph_session=whatever"},
    )
    assert with_cookie.status_code == 200
    assert "etag" not in with_cookie.headers
    assert with_cookie.headers["cache-control"] == "private, no-store"
    posted = await t.call(token, TITLES)
    assert "errors" not in posted


async def test_apq_registers_then_runs_by_hash_on_every_replica(
    t: Tenants, local_issuer: LocalIssuer
) -> None:
    digest = document_hash(TITLES)
    unknown = await get(t.http, **persisted(sha256=digest))
    assert unknown.status_code == 200
    [error] = unknown.json()["errors"]
    assert error["message"] == "PersistedQueryNotFound"
    assert error["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    assert "data" not in unknown.json()

    registered = await t.http.post(
        "/graphql",
        json={
            "query": TITLES,
            "extensions": {"persistedQuery": {"version": 1, "sha256Hash": digest}},
        },
    )
    assert registered.status_code == 200
    assert registered.json()["data"]["processes"]["nodes"]
    assert await t.scalar("SELECT count(*) FROM persisted_query WHERE sha256_hash = :h", h=digest)

    second_app = create_app(Settings(issuers=issuer_entry(local_issuer)), url_of(t.db))
    async with (
        serving(second_app) as base,
        httpx.AsyncClient(base_url=base, timeout=30) as other,
    ):
        tag = await current_tag(other, **persisted(sha256=digest))
        by_hash = await get(other, **persisted(sha256=digest))
        assert by_hash.json() == registered.json()
        assert by_hash.headers["etag"] == tag
        assert (await get(other, **persisted(sha256=digest), if_none_match=tag)).status_code == 304
        # The same document sent as text has the same tag.
        assert (await get(other, query=TITLES, if_none_match=tag)).status_code == 304


async def test_apq_refuses_a_hash_that_is_not_the_documents(t: Tenants) -> None:
    wrong = document_hash("query { other }")
    response = await get(t.http, **persisted(TITLES, sha256=wrong))
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert "is not the SHA-256 of `query`" in error["message"]
    assert document_hash(TITLES) in error["message"]
    assert error["extensions"]["code"] == "BAD_REQUEST"
    version_two = await t.http.get(
        "/graphql",
        params={
            "query": TITLES,
            "extensions": json.dumps(
                {"persistedQuery": {"version": 2, "sha256Hash": document_hash(TITLES)}}
            ),
        },
    )
    assert version_two.status_code == 400
    assert "version" in version_two.json()["errors"][0]["message"]
    assert await t.scalar("SELECT count(*) FROM persisted_query") == 0


async def test_apq_keeps_only_documents_that_validate(t: Tenants) -> None:
    invalid = "query { noSuchField }"
    response = await get(t.http, **persisted(invalid))
    assert response.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert await t.scalar("SELECT count(*) FROM persisted_query") == 0


async def test_trusted_mode_registers_nothing_by_apq(
    empty_db: Database, local_issuer: LocalIssuer
) -> None:
    digest = document_hash(TITLES)
    async with tenants(
        empty_db, local_issuer, admin=True, trusted_documents=Path("registered")
    ) as t:
        sent = await t.http.post(
            "/graphql",
            json={
                "query": TITLES,
                "extensions": {"persistedQuery": {"version": 1, "sha256Hash": digest}},
            },
        )
        assert sent.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
        assert "data" not in sent.json()
        by_admin = await t.call(
            t.token(A, "admin"),
            TITLES,
        )
        assert "errors" not in by_admin  # an admin may send any document...
        admin_apq = await t.http.post(
            "/graphql",
            json={
                "query": TITLES,
                "extensions": {"persistedQuery": {"version": 1, "sha256Hash": digest}},
            },
            headers={"Authorization": f"Bearer {t.token(A, 'admin')}"},
        )
        assert "errors" not in admin_apq.json()
        assert await t.scalar("SELECT count(*) FROM persisted_query") == 0  # ...none is kept
        later = await get(t.http, **persisted(sha256=digest))
        assert later.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE data_version SET version = 0",
        "SELECT version FROM data_version",
        "INSERT INTO data_change (xid) VALUES (pg_current_xact_id()::text::bigint)",
        "DELETE FROM data_change",
        "INSERT INTO persisted_query (sha256_hash, document) VALUES (repeat('a', 64), '{ a }')",
    ],
)
async def test_the_api_role_cannot_touch_the_version_or_the_persisted_queries(
    empty_db: Database, statement: str
) -> None:
    editor = Principal(issuer="test", subject="e", municipality=A, roles=frozenset({Role.EDITOR}))
    with pytest.raises(DBAPIError, match="permission denied"):
        async with empty_db.session(editor) as session:
            await session.execute(text(statement))
