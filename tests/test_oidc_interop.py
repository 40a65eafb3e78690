"""Interoperability with a certified OpenID Provider (oidc-provider), over real HTTP.

Tokens come from its token endpoint; reusegraph finds the keys through discovery and
JWKS; a new signing key is picked up without a restart; GraphiQL's browser login runs
authorization code + PKCE against it.
"""

import asyncio
import json
from collections.abc import AsyncIterator, Iterator, Sequence

import httpx
import pytest
from sqlalchemy import text

from reusegraph.api.app import create_app
from reusegraph.api.settings import Settings
from reusegraph.store.engine import Database
from tests.support.http import free_port, serving
from tests.support.oidc import Client, OpenIDProvider
from tests.support.postgres import url_of

MACHINE = Client("m2m-trondheim", "secret-t", {"municipality": "NO-5001", "roles": ["editor"]})
PORTAL = Client("partner-portal", "secret-p", {})
VIEWER = "{ viewer { authenticated subject municipality roles } }"
APP_PORT = free_port()


def settings_for(
    provider: OpenIDProvider, municipalities: Sequence[str] = ("NO-5001",)
) -> Settings:
    entry = {
        "name": "op",
        "issuer": provider.issuer,
        "audience": provider.audience,
        "municipalities": list(municipalities),
        "clients": {"partner-portal": ["reader"]},
        "login_client_id": "graphiql",
        "login_scope": "openid profile graphql:read",
    }
    return Settings(issuers=json.dumps([entry]), session_secret="test-only-session-secret")


@pytest.fixture(scope="module")
def provider() -> Iterator[OpenIDProvider]:
    with OpenIDProvider(
        [MACHINE, PORTAL],
        users={"alice": {"municipality": "NO-5001", "roles": ["member"]}},
        redirect_uris=[f"http://127.0.0.1:{APP_PORT}/auth/callback/op"],
    ) as op:
        yield op


@pytest.fixture
async def http(empty_db: Database, provider: OpenIDProvider) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings_for(provider), url_of(empty_db))
    async with (
        serving(app, APP_PORT) as base,
        httpx.AsyncClient(base_url=base, timeout=30) as client,
    ):
        yield client


async def viewer(http: httpx.AsyncClient, token: str | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return await http.post("/graphql", json={"query": VIEWER}, headers=headers)


async def test_a_client_credentials_token_is_validated_through_discovery_and_jwks(
    http: httpx.AsyncClient, provider: OpenIDProvider
) -> None:
    token = await asyncio.to_thread(provider.token, MACHINE.client_id, MACHINE.client_secret)
    response = await viewer(http, token)
    assert response.status_code == 200, response.text
    assert response.json()["data"]["viewer"] == {
        "authenticated": True,
        "subject": MACHINE.client_id,
        "municipality": "NO-5001",
        "roles": ["editor"],
    }


async def test_a_machine_client_gets_the_roles_it_is_mapped_to(
    http: httpx.AsyncClient, provider: OpenIDProvider
) -> None:
    token = await asyncio.to_thread(provider.token, PORTAL.client_id, PORTAL.client_secret)
    body = (await viewer(http, token)).json()
    assert body["data"]["viewer"]["roles"] == ["reader"]
    assert body["data"]["viewer"]["municipality"] is None


async def test_a_new_signing_key_is_picked_up_without_restart(
    empty_db: Database, provider: OpenIDProvider
) -> None:
    with OpenIDProvider([MACHINE], kid="first") as op:
        async with (
            serving(create_app(settings_for(op), url_of(empty_db))) as base,
            httpx.AsyncClient(base_url=base, timeout=30) as client,
        ):
            before = await asyncio.to_thread(op.token, MACHINE.client_id, MACHINE.client_secret)
            assert (await viewer(client, before)).status_code == 200
            await asyncio.to_thread(op.rotate, "second")
            after = await asyncio.to_thread(op.token, MACHINE.client_id, MACHINE.client_secret)
            response = await viewer(client, after)
            assert response.status_code == 200, response.text
            assert op.fetch_count("/jwks") == 2


async def test_graphiql_login_runs_authorization_code_with_pkce(
    http: httpx.AsyncClient, provider: OpenIDProvider
) -> None:
    providers = (await http.get("/auth/providers")).json()
    assert providers == {"providers": ["op"], "loggedIn": False}
    start = await http.get("/auth/login/op")
    assert start.status_code == 302
    authorize = start.headers["location"]
    assert "code_challenge_method=S256" in authorize
    with httpx.Client(timeout=30) as browser:
        back = await asyncio.to_thread(provider.sign_in, browser, authorize, "alice")
    assert back.startswith(f"http://127.0.0.1:{APP_PORT}/auth/callback/op?")
    done = await http.get(back)
    assert done.status_code == 303, done.text
    assert "reusegraph_session" in http.cookies
    body = (await viewer(http)).json()
    assert body["data"]["viewer"]["subject"] == "alice"
    assert body["data"]["viewer"]["roles"] == ["member"]
    await http.post("/auth/logout")
    assert (await viewer(http)).json()["data"]["viewer"]["authenticated"] is False


async def test_a_graphiql_login_holds_across_workers_and_no_token_is_stored_in_clear(
    empty_db: Database, http: httpx.AsyncClient, provider: OpenIDProvider
) -> None:
    start = await http.get("/auth/login/op")
    with httpx.Client(timeout=30) as browser:
        back = await asyncio.to_thread(
            provider.sign_in, browser, start.headers["location"], "alice"
        )
    assert (await http.get(back)).status_code == 303
    cookie = http.cookies["reusegraph_session"]
    other_worker = create_app(settings_for(provider), url_of(empty_db))
    async with (
        serving(other_worker) as base,
        httpx.AsyncClient(
            base_url=base, timeout=30, cookies={"reusegraph_session": cookie}
        ) as second,
    ):
        body = (await viewer(second)).json()
    assert body["data"]["viewer"]["subject"] == "alice"
    async with empty_db.engine.connect() as conn:
        sealed = (await conn.execute(text("SELECT sealed_token FROM browser_session"))).scalar_one()
    assert sealed.count(".") == 4, "a compact JWE, not the access token"
    assert "eyJ" not in sealed.split(".", 1)[1][:10]


async def test_a_login_callback_without_the_started_flow_is_refused(
    http: httpx.AsyncClient,
) -> None:
    response = await http.get("/auth/callback/op?code=stolen&state=forged")
    assert response.status_code == 400
    assert "did not complete" in response.json()["error"]
