"""Trusted issuers registered at runtime: admins only, effective at once, refused again on removal."""

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.issuer import LocalIssuer
from tests.support.payloads import payload, refusal, user_error, written
from tests.support.tenants import A, B, Tenants

pytest_plugins = ("tests.support.identity_fixtures",)

ERRORS = "userErrors { code message field } clientMutationId"
REGISTER = f"""
mutation ($input: IssuerRegisterInput!) {{
  issuerRegister(input: $input) {{
    trustedIssuer {{ name issuer audience algorithms municipality allowedRoles version }}
    {ERRORS}
  }}
}}
"""
REMOVE = f"""
mutation ($input: IssuerRemoveInput!) {{
  issuerRemove(input: $input) {{ removedName {ERRORS} }}
}}
"""
VIEWER = "{ viewer { authenticated issuer municipality roles } }"


@pytest.fixture
def second() -> Iterator[LocalIssuer]:
    """Another municipality's own IdP, not trusted until an admin registers it."""
    with LocalIssuer(path="/oslo") as issuer:
        yield issuer


def registration(issuer: LocalIssuer, **values: Any) -> dict[str, Any]:
    return {
        "name": "oslo-idp",
        "issuer": issuer.issuer,
        "audience": issuer.audience,
        "municipality": B,
        **values,
    }


async def status_of(t: Tenants, token: str) -> int:
    response = await t.http.post(
        "/graphql", json={"query": VIEWER}, headers={"Authorization": f"Bearer {token}"}
    )
    return response.status_code


async def test_an_issuer_registered_at_runtime_is_trusted_until_removed(
    t: Tenants, second: LocalIssuer
) -> None:
    token = second.token("kari", roles=["editor"])
    assert await status_of(t, token) == 401
    admin = t.token(A, "admin")
    before = await t.audit_count()
    body = await t.call(admin, REGISTER, {"input": registration(second)})
    registered = written(body, "issuerRegister", "trustedIssuer")
    assert registered == {
        "name": "oslo-idp",
        "issuer": second.issuer,
        "audience": second.audience,
        "algorithms": ["RS256", "PS256", "ES256"],
        "municipality": B,
        "allowedRoles": ["reader", "member", "editor"],
        "version": 1,
    }
    viewer = (await t.call(token, VIEWER))["data"]["viewer"]
    assert viewer == {
        "authenticated": True,
        "issuer": second.issuer,
        "municipality": B,
        "roles": ["editor"],
    }
    removed = await t.call(admin, REMOVE, {"input": {"name": "oslo-idp", "version": 1}})
    assert payload(removed, "issuerRemove")["removedName"] == "oslo-idp"
    assert await status_of(t, token) == 401
    assert await t.audit_count() == before + 2
    actions = await t.scalar(
        "SELECT array_agg(action ORDER BY id) FROM audit_entry WHERE entity = 'TrustedIssuer'"
    )
    assert actions == ["issuerRegister", "issuerRemove"]


@pytest.mark.parametrize("role", ["editor", "member"])
async def test_only_admins_register_or_remove_issuers(
    t: Tenants, second: LocalIssuer, role: str
) -> None:
    body = await t.call(t.token(A, role), REGISTER, {"input": registration(second)})
    error = refusal(body)
    assert error["code"] == "FORBIDDEN"
    assert "admin" in error["message"]
    removal = await t.call(t.token(A, role), REMOVE, {"input": {"name": "broker", "version": 1}})
    assert refusal(removal)["code"] == "FORBIDDEN"
    assert await t.scalar("SELECT count(*) FROM trusted_issuer") == 0
    assert await status_of(t, second.token("kari")) == 401


@pytest.mark.parametrize(
    ("values", "field", "says"),
    [
        ({"algorithms": ["HS256"]}, "algorithms", "never none or HS*"),
        ({"municipality": "Oslo"}, "municipality", "NO-5001"),
        ({"municipality": None, "municipalities": [A, "5001"]}, "municipalities", "'5001'"),
        ({"allowedRoles": ["root"]}, "allowedRoles", "admin"),
        ({"name": "Oslo IdP"}, "name", "lower-case"),
        ({"tenantClaim": "tid"}, "tenantClaim", "`tenant`"),
        ({"roleMap": ["editor"]}, "roleMap", "JSON object"),
    ],
)
async def test_a_bad_registration_names_the_field(
    t: Tenants, second: LocalIssuer, values: dict[str, Any], field: str, says: str
) -> None:
    body = await t.call(t.token(A, "admin"), REGISTER, {"input": registration(second, **values)})
    error = user_error(body, "issuerRegister", "trustedIssuer")
    assert (error["code"], error["field"]) == ("INVALID", [field])
    assert says in error["message"]
    assert await t.scalar("SELECT count(*) FROM trusted_issuer") == 0


async def test_an_issuer_or_name_is_registered_once(t: Tenants, second: LocalIssuer) -> None:
    admin = t.token(A, "admin")
    written(
        await t.call(admin, REGISTER, {"input": registration(second)}),
        "issuerRegister",
        "trustedIssuer",
    )
    again = await t.call(admin, REGISTER, {"input": registration(second, name="oslo-2")})
    error = user_error(again, "issuerRegister", "trustedIssuer")
    assert (error["code"], error["field"]) == ("DUPLICATE", ["issuer"])
    assert "oslo-idp" in error["message"]


async def test_removing_needs_the_current_version_and_an_existing_name(
    t: Tenants, second: LocalIssuer
) -> None:
    admin = t.token(A, "admin")
    written(
        await t.call(admin, REGISTER, {"input": registration(second)}),
        "issuerRegister",
        "trustedIssuer",
    )
    stale = await t.call(admin, REMOVE, {"input": {"name": "oslo-idp", "version": 7}})
    error = payload(stale, "issuerRemove")["userErrors"][0]
    assert (error["code"], error["field"]) == ("VERSION_CONFLICT", ["version"])
    unknown = await t.call(admin, REMOVE, {"input": {"name": "broker", "version": 1}})
    error = payload(unknown, "issuerRemove")["userErrors"][0]
    assert (error["code"], error["field"]) == ("NOT_FOUND", ["name"])
    assert "configuration" in error["message"]
    assert await status_of(t, second.token("kari")) == 200
