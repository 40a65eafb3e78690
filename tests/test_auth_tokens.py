"""Bearer tokens: accepted through real discovery and JWKS, refused with 401 otherwise."""

import json
from collections.abc import AsyncIterator

import httpx
import pytest

from reusegraph.api.app import create_app
from reusegraph.api.settings import Settings
from reusegraph.store.engine import Database
from tests.support.forged import FORGERIES, forge
from tests.support.http import serving
from tests.support.issuer import LocalIssuer
from tests.support.postgres import url_of

pytest_plugins = ("tests.support.identity_fixtures",)

VIEWER = "{ viewer { authenticated subject municipality roles } }"


def issuer_settings(issuer: LocalIssuer, **overrides: object) -> str:
    entry = {
        "name": "local",
        "issuer": issuer.issuer,
        "audience": issuer.audience,
        "municipalities": ["NO-5001", "NO-0301"],
        "tenant_claim": "tid",
        "tenant": issuer.tenant,
        **overrides,
    }
    return json.dumps([entry])


@pytest.fixture
async def http(empty_db: Database, local_issuer: LocalIssuer) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(issuers=issuer_settings(local_issuer), jwks_timeout_ms=1000)
    async with (
        serving(create_app(settings, url_of(empty_db))) as base,
        httpx.AsyncClient(base_url=base, timeout=30) as client,
    ):
        yield client


async def ask(http: httpx.AsyncClient, token: str | None, query: str = VIEWER) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return await http.post("/graphql", json={"query": query}, headers=headers)


async def test_a_valid_token_becomes_the_viewer(
    http: httpx.AsyncClient, local_issuer: LocalIssuer
) -> None:
    token = local_issuer.token("alice", municipality="NO-5001", roles=["editor"])
    response = await ask(http, token)
    assert response.status_code == 200, response.text
    assert response.json()["data"]["viewer"] == {
        "authenticated": True,
        "subject": "alice",
        "municipality": "NO-5001",
        "roles": ["editor"],
    }


async def test_without_a_token_the_caller_is_anonymous(http: httpx.AsyncClient) -> None:
    response = await ask(http, None)
    assert response.json()["data"]["viewer"]["authenticated"] is False


@pytest.mark.parametrize("name", FORGERIES)
async def test_a_hostile_token_is_refused_with_401_and_no_data(
    http: httpx.AsyncClient, local_issuer: LocalIssuer, attacker: LocalIssuer, name: str
) -> None:
    legit = local_issuer.token("alice", municipality="NO-5001", roles=["editor"])
    assert (await ask(http, legit)).status_code == 200
    fetched = attacker.fetch_count("/attacker/jwks")
    response = await ask(http, forge(name, local_issuer, legit, attacker))
    assert response.status_code == 401, response.text
    body = response.json()
    assert "data" not in body
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert 'error="invalid_token"' in response.headers["www-authenticate"]
    assert attacker.fetch_count("/attacker/jwks") == fetched


async def test_a_token_naming_a_municipality_its_issuer_may_not_speak_for_is_refused(
    http: httpx.AsyncClient, local_issuer: LocalIssuer
) -> None:
    token = local_issuer.token("mallory", municipality="DK-0751", roles=["editor"])
    response = await ask(http, token)
    assert response.status_code == 401
    assert "DK-0751" in response.json()["errors"][0]["message"]


async def test_unregistered_issuer_is_refused_without_contacting_it(
    http: httpx.AsyncClient, attacker: LocalIssuer
) -> None:
    before = attacker.fetch_count("/attacker/.well-known/openid-configuration")
    response = await ask(http, attacker.token("eve", municipality="NO-5001"))
    assert response.status_code == 401
    assert "not trusted" in response.json()["errors"][0]["message"]
    assert attacker.fetch_count("/attacker/.well-known/openid-configuration") == before


async def test_malformed_authorization_headers_are_refused(http: httpx.AsyncClient) -> None:
    for header in ("Basic dXNlcjpwYXNz", "Bearer", "Bearer a b", "token"):
        response = await http.post(
            "/graphql", json={"query": VIEWER}, headers={"Authorization": header}
        )
        assert response.status_code == 401, header
        assert "Bearer <token>" in response.json()["errors"][0]["message"]


async def test_a_rotated_key_is_picked_up_without_restart_and_refetches_are_limited(
    http: httpx.AsyncClient, local_issuer: LocalIssuer
) -> None:
    assert (await ask(http, local_issuer.token("alice"))).status_code == 200
    fetched = local_issuer.fetch_count()
    local_issuer.rotate()
    assert (await ask(http, local_issuer.token("alice"))).status_code == 200
    assert local_issuer.fetch_count() == fetched + 1
    # A second unknown kid within the minute: refused, and the IdP is not asked again.
    local_issuer.rotate()
    assert (await ask(http, local_issuer.token("alice"))).status_code == 401
    assert local_issuer.fetch_count() == fetched + 1


async def test_an_identity_provider_that_is_down_fails_fast_with_503(
    empty_db: Database, local_issuer: LocalIssuer
) -> None:
    settings = Settings(issuers=issuer_settings(local_issuer), jwks_timeout_ms=300)
    local_issuer.delay = 5.0
    async with (
        serving(create_app(settings, url_of(empty_db))) as base,
        httpx.AsyncClient(base_url=base, timeout=30) as client,
    ):
        response = await ask(client, local_issuer.token("alice"))
    assert response.status_code == 503
    assert response.json()["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"


async def test_require_token_refuses_anonymous_requests(
    empty_db: Database, local_issuer: LocalIssuer
) -> None:
    settings = Settings(issuers=issuer_settings(local_issuer), require_token=True)
    async with (
        serving(create_app(settings, url_of(empty_db))) as base,
        httpx.AsyncClient(base_url=base, timeout=30) as client,
    ):
        response = await ask(client, None)
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == 'Bearer realm="reusegraph"'
        assert (await ask(client, local_issuer.token("alice"))).status_code == 200
