"""Verified claims to a Principal, by the issuer's registered mapping.

The municipality comes from the issuer's registration first and a claim second, and a
claim may only name a municipality the registration allows: no IdP speaks for another
municipality. Roles beyond what the issuer may grant are dropped, not refused, so one
over-generous group mapping at an IdP does not lock its users out.
"""

from collections.abc import Iterable
from typing import Any

from reusegraph.auth.errors import InvalidToken
from reusegraph.auth.issuers import ANY_MUNICIPALITY, IssuerConfig
from reusegraph.auth.principal import Principal, Role

_ROLES = {r.value: r for r in Role}


def principal_from_claims(config: IssuerConfig, claims: dict[str, Any]) -> Principal:
    return Principal(
        issuer=config.issuer,
        subject=str(claims["sub"]),
        municipality=_municipality(config, claims),
        roles=_roles(config, claims),
        scopes=frozenset(_words(claims.get("scope") or claims.get("scp"))),
    )


def _municipality(config: IssuerConfig, claims: dict[str, Any]) -> str | None:
    if config.municipality:
        return config.municipality
    raw = claims.get(config.municipality_claim)
    if raw is None or not config.municipalities:
        return None
    value = str(raw)
    code = config.municipality_map.get(value, value)
    if ANY_MUNICIPALITY in config.municipalities or code in config.municipalities:
        return code
    raise InvalidToken(
        f"The token names municipality {code!r}, which its issuer may not speak for."
    )


def _roles(config: IssuerConfig, claims: dict[str, Any]) -> frozenset[Role]:
    names: list[str] = []
    client = claims.get(config.client_claim)
    if isinstance(client, str) and client in config.clients:
        names.extend(config.clients[client])
    for raw in _words(claims.get(config.roles_claim)):
        names.append(config.role_map.get(raw, raw))
    granted = {_ROLES[n] for n in names if n in _ROLES and n in config.allowed_roles}
    if not granted:
        granted = {_ROLES[n] for n in config.default_roles if n in config.allowed_roles}
    return frozenset(granted)


def _words(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        return value.split()
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []
