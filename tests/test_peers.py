"""The identity-provider harness against its real endpoints.

Auth tests trust these peers to behave like real issuers and the forgeries to be real forgeries;
this module checks both with a plain, correct joserfc validation (``verify`` below): explicit
algorithm allow-list, keys only from the issuer's JWKS, claims validated, size capped.
"""

import base64
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet, KeySetSerialization
from joserfc.jws import JWSRegistry

from tests.support.forged import FORGERIES, VALIDLY_SIGNED, forge, hostile_tokens
from tests.support.issuer import SIGNING_ALGORITHMS, LocalIssuer
from tests.support.oidc import Client, OpenIDProvider

pytest_plugins = ("tests.support.identity_fixtures",)

MAX_TOKEN_CHARS = 16 * 1024


def verify(
    token: str, jwks: KeySetSerialization, *, issuer: str, audience: str, tenant: str | None = None
) -> dict[str, Any]:
    if len(token) > MAX_TOKEN_CHARS:
        raise ValueError("token too large")
    registry = JWSRegistry(algorithms=list(SIGNING_ALGORITHMS), strict_check_header=False)
    decoded = jwt.decode(token, KeySet.import_key_set(jwks), registry=registry)
    claims: dict[str, jwt.ClaimsOption] = {
        "iss": {"essential": True, "value": issuer},
        "aud": {"essential": True, "value": audience},
        "exp": {"essential": True},
        "sub": {"essential": True},
    }
    if tenant is not None:
        claims["tid"] = {"essential": True, "value": tenant}
    jwt.JWTClaimsRegistry(None, 60, **claims).validate(decoded.claims)
    return dict(decoded.claims)


def fetch_jwks(provider: OpenIDProvider | LocalIssuer) -> KeySetSerialization:
    metadata = httpx.get(provider.discovery_url, timeout=30).json()
    assert metadata["issuer"] == provider.issuer
    jwks: KeySetSerialization = httpx.get(metadata["jwks_uri"], timeout=30).json()
    return jwks


def kids(jwks: KeySetSerialization) -> list[str]:
    return [str(key["kid"]) for key in jwks["keys"]]


def test_provider_serves_discovery_and_jwks(openid_provider: OpenIDProvider) -> None:
    jwks = fetch_jwks(openid_provider)

    assert kids(jwks) == [openid_provider.kid]
    assert all("d" not in key for key in jwks["keys"])


def test_client_credentials_token_is_a_verifiable_rs256_jwt_with_client_claims(
    openid_provider: OpenIDProvider,
) -> None:
    client = openid_provider.clients[0]
    token = openid_provider.token(client.client_id, client.client_secret)
    jwks = fetch_jwks(openid_provider)

    claims = verify(token, jwks, issuer=openid_provider.issuer, audience=openid_provider.audience)
    header = jwt.decode(token, KeySet.import_key_set(jwks)).header
    assert header == {"alg": "RS256", "typ": "at+jwt", "kid": openid_provider.kid}
    assert claims["client_id"] == client.client_id
    assert client.claims
    assert {k: claims[k] for k in client.claims} == client.claims
    assert claims["exp"] > claims["iat"]


def test_browser_login_gives_a_token_with_the_users_claims(
    openid_provider: OpenIDProvider,
) -> None:
    token = openid_provider.browser_token("bob")

    claims = verify(
        token,
        fetch_jwks(openid_provider),
        issuer=openid_provider.issuer,
        audience=openid_provider.audience,
    )
    assert claims["sub"] == "bob"
    assert claims["client_id"] == "graphiql"
    assert openid_provider.users["bob"]
    assert {k: claims[k] for k in openid_provider.users["bob"]} == openid_provider.users["bob"]


@pytest.mark.parametrize("alg", ["PS256", "ES256"])
def test_rotation_publishes_the_new_key_and_the_log_counts_jwks_fetches(alg: str) -> None:
    client = Client("rotating", "secret")
    with OpenIDProvider([client], alg=alg, kid="first") as provider:
        old_jwks = fetch_jwks(provider)
        provider.rotate("second")
        token = provider.token(client.client_id, client.client_secret)
        new_jwks = fetch_jwks(provider)

        assert kids(new_jwks) == ["second", "first"]
        assert jwt.decode(token, KeySet.import_key_set(new_jwks), algorithms=[alg]).header == {
            "alg": alg,
            "typ": "at+jwt",
            "kid": "second",
        }
        with pytest.raises(InvalidKeyIdError):
            jwt.decode(token, KeySet.import_key_set(old_jwks), algorithms=[alg])
        paths = [r.path for r in provider.requests]
        assert paths.count("/jwks") == provider.fetch_count("/jwks") == 2
        assert paths.count("/.well-known/openid-configuration") == 2


def test_local_issuer_tokens_verify_and_fetches_are_counted(local_issuer: LocalIssuer) -> None:
    token = local_issuer.token(municipality="NO-5001", roles=["editor"])

    claims = verify(
        token,
        fetch_jwks(local_issuer),
        issuer=local_issuer.issuer,
        audience=local_issuer.audience,
        tenant=local_issuer.tenant,
    )
    assert claims["municipality"] == "NO-5001"
    assert claims["roles"] == ["editor"]
    assert local_issuer.fetch_count("/.well-known/openid-configuration") == 1
    assert local_issuer.fetch_count("/jwks") == local_issuer.fetch_count(local_issuer.jwks_uri) == 1


def test_local_issuer_with_a_path_and_ec_key() -> None:
    with LocalIssuer(alg="ES256", path="/tenant-a/v2.0", tenant="tenant-a") as issuer:
        token = issuer.token()
        claims = verify(
            token,
            fetch_jwks(issuer),
            issuer=issuer.issuer,
            audience=issuer.audience,
            tenant="tenant-a",
        )
        assert claims["iss"].endswith("/tenant-a/v2.0")
        assert issuer.fetch_count("/jwks") == 1


def test_local_issuer_rotation(local_issuer: LocalIssuer) -> None:
    first = local_issuer.kid
    second = local_issuer.rotate().kid
    assert kids(fetch_jwks(local_issuer)) == [second, first]
    assert (
        jwt.decode(local_issuer.token(), KeySet.import_key_set(fetch_jwks(local_issuer))).header[
            "kid"
        ]
        == second
    )

    third = local_issuer.rotate(keep_previous=False).kid
    assert kids(fetch_jwks(local_issuer)) == [third]


def test_local_issuer_outages(local_issuer: LocalIssuer) -> None:
    local_issuer.status = 500
    assert httpx.get(local_issuer.jwks_uri, timeout=30).status_code == 500
    local_issuer.status = None

    local_issuer.delay = 5
    with pytest.raises(httpx.ReadTimeout):
        httpx.get(local_issuer.jwks_uri, timeout=0.2)
    local_issuer.delay = 0

    url = local_issuer.jwks_uri
    with local_issuer.offline(), pytest.raises(httpx.ConnectError):
        httpx.get(url, timeout=30)
    assert httpx.get(url, timeout=30).status_code == 200


@pytest.fixture(scope="module", params=["RS256", "ES256"])
def victim(request: pytest.FixtureRequest) -> Iterator[LocalIssuer]:
    """An issuer the forgery tests only read from: one per algorithm family."""
    with LocalIssuer(alg=request.param) as issuer:
        yield issuer


@pytest.mark.parametrize("name", FORGERIES)
def test_forgeries_of_local_tokens_do_not_verify(
    name: str, victim: LocalIssuer, attacker: LocalIssuer
) -> None:
    legitimate = victim.token(municipality="NO-5001", roles=["member"])
    jwks = fetch_jwks(victim)
    expected = {"issuer": victim.issuer, "audience": victim.audience, "tenant": victim.tenant}
    verify(legitimate, jwks, **expected)

    forged = forge(name, victim, legitimate, attacker)

    assert forged != legitimate
    with pytest.raises((JoseError, ValueError)):
        verify(forged, jwks, **expected)
    if name in VALIDLY_SIGNED:
        registry = JWSRegistry(algorithms=[str(victim.signing_key.alg)], strict_check_header=False)
        registry.max_payload_length = 64 * 1024
        jwt.decode(forged, KeySet.import_key_set(jwks), registry=registry)
    if name == "jku_header":
        bait = httpx.get(unverified_header(forged)["jku"], timeout=30).json()
        jwt.decode(forged, KeySet.import_key_set(bait), algorithms=[str(attacker.signing_key.alg)])
    if name == "x5u_header":
        pem = httpx.get(unverified_header(forged)["x5u"], timeout=30).content
        assert pem.startswith(b"-----BEGIN CERTIFICATE-----")


def unverified_header(token: str) -> dict[str, Any]:
    header: dict[str, Any] = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    return header


def test_forgeries_of_provider_tokens_do_not_verify(
    openid_provider: OpenIDProvider, attacker: LocalIssuer
) -> None:
    client = openid_provider.clients[0]
    legitimate = openid_provider.token(client.client_id, client.client_secret)
    jwks = fetch_jwks(openid_provider)
    expected = {"issuer": openid_provider.issuer, "audience": openid_provider.audience}

    forgeries = hostile_tokens(openid_provider, legitimate, attacker)

    accepted = []
    for name, token in forgeries:
        try:
            verify(token, jwks, **expected)
        except (JoseError, ValueError):
            continue
        accepted.append(name)
    assert accepted == []
    assert {name for name, _ in forgeries} == set(FORGERIES) - {"other_tenant"}
