"""Trusted issuers: who may sign tokens for reusegraph, and how their claims are read.

An issuer is trusted only when registered here (from configuration or by an admin), so a
token naming any other ``iss`` is refused before any network call. Each registration
pins the audience, the signing algorithms, and which municipalities the issuer may speak
for: a municipality's own IdP cannot mint tokens for another municipality, and only an
issuer explicitly allowed to may grant ``admin``.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from reusegraph.auth.principal import Role

DEFAULT_ALGORITHMS = ("RS256", "PS256", "ES256")
ALLOWED_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)
ANY_MUNICIPALITY = "*"
MAX_TOKEN_LIFETIME = 30 * 24 * 3600
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
_MUNICIPALITY = re.compile(r"^[A-Z]{2}-[0-9]{3,4}$")


class IssuerConfigError(ValueError):
    """A registration that cannot be trusted as written; the message names the field."""


@dataclass(frozen=True)
class IssuerConfig:
    name: str
    """Short name, used in login URLs (``/auth/login/{name}``)."""
    issuer: str
    """The exact ``iss`` value (Maskinporten's trailing slash matters)."""
    audience: str
    """The ``aud`` this gateway's tokens carry."""
    algorithms: tuple[str, ...] = DEFAULT_ALGORITHMS
    discovery_url: str | None = None
    """Default: ``{issuer}/.well-known/openid-configuration``."""
    jwks: Mapping[str, Any] | None = None
    """Static public keys instead of discovery (the development issuer)."""
    municipality: str | None = None
    """Every token of this issuer speaks for this municipality."""
    municipalities: tuple[str, ...] = ()
    """Municipalities a claim may name (``*`` for a national broker)."""
    municipality_claim: str = "municipality"
    municipality_map: Mapping[str, str] = field(default_factory=dict)
    """Claim value (e.g. ``0192:942110464``) to municipality code."""
    roles_claim: str = "roles"
    role_map: Mapping[str, str] = field(default_factory=dict)
    """The IdP's role or group name to reader/member/editor/admin."""
    client_claim: str = "client_id"
    clients: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Machine clients (client credentials) to the roles they get."""
    default_roles: tuple[str, ...] = (Role.READER,)
    allowed_roles: tuple[str, ...] = (Role.READER, Role.MEMBER, Role.EDITOR)
    """Roles this issuer may grant; ``admin`` only when listed."""
    tenant_claim: str | None = None
    tenant: str | None = None
    """Entra ID: all tenants share signing keys, so the tenant (``tid``) must be pinned."""
    leeway_seconds: int = 60
    max_token_lifetime_seconds: int = 24 * 3600
    """Longest a token may live (``exp`` - ``iat``, and ``exp`` from now); longer: refused."""
    login_client_id: str | None = None
    """Public client for the GraphiQL login (authorization code + PKCE)."""
    login_scope: str = "openid profile"

    @property
    def discovery(self) -> str:
        return self.discovery_url or self.issuer.rstrip("/") + "/.well-known/openid-configuration"

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, tuple):
                value = list(value)
            elif isinstance(value, Mapping):
                value = {k: list(v) if isinstance(v, tuple) else v for k, v in value.items()}
            out[f.name] = value
        return out


def parse_issuer(raw: Mapping[str, Any], where: str = "issuer") -> IssuerConfig:
    """Checks a registration field by field, so a bad one is refused with its reason."""
    known = {f.name for f in fields(IssuerConfig)}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise IssuerConfigError(
            f"{where}: unknown field(s) {', '.join(unknown)}; allowed: {', '.join(sorted(known))}"
        )
    values: dict[str, Any] = dict(raw)
    for required in ("name", "issuer", "audience"):
        if not isinstance(values.get(required), str) or not values[required]:
            raise IssuerConfigError(f"{where}: `{required}` is required and must be a string")
    if not _NAME.match(values["name"]):
        raise IssuerConfigError(
            f"{where}: `name` {values['name']!r} must be lower-case letters, digits and '-'"
        )
    where = f"issuer {values['name']!r}"
    for name in ("algorithms", "municipalities", "default_roles", "allowed_roles"):
        if name in values:
            values[name] = _strings(values[name], f"{where}: `{name}`")
    algorithms = values.get("algorithms", DEFAULT_ALGORITHMS)
    bad = [a for a in algorithms if a not in ALLOWED_ALGORITHMS]
    if bad or not algorithms:
        raise IssuerConfigError(
            f"{where}: `algorithms` {bad or '[]'} not allowed; "
            f"allowed: {', '.join(sorted(ALLOWED_ALGORITHMS))} (never none or HS*)"
        )
    roles = {r.value for r in Role}
    for name in ("default_roles", "allowed_roles"):
        wrong = [r for r in values.get(name, ()) if r not in roles]
        if wrong:
            raise IssuerConfigError(
                f"{where}: `{name}` has {wrong}; allowed: {', '.join(sorted(roles))}"
            )
    codes = [*values.get("municipalities", ()), *(values.get("municipality_map") or {}).values()]
    if values.get("municipality"):
        codes.append(values["municipality"])
    wrong_codes = [c for c in codes if c != ANY_MUNICIPALITY and not _MUNICIPALITY.match(c)]
    if wrong_codes:
        raise IssuerConfigError(
            f"{where}: municipality code(s) {wrong_codes} must look like NO-5001 or DK-0751"
        )
    if "clients" in values:
        values["clients"] = {
            str(k): _strings(v, f"{where}: `clients.{k}`") for k, v in values["clients"].items()
        }
        for client, client_roles in values["clients"].items():
            wrong = [r for r in client_roles if r not in roles]
            if wrong:
                raise IssuerConfigError(f"{where}: `clients.{client}` has unknown roles {wrong}")
    if (values.get("tenant_claim") is None) != (values.get("tenant") is None):
        raise IssuerConfigError(f"{where}: set both `tenant_claim` and `tenant`, or neither")
    if "login.microsoftonline.com" in values["issuer"] and not values.get("tenant"):
        raise IssuerConfigError(
            f'{where}: Entra ID issuers need `tenant_claim: "tid"` and `tenant` pinned'
        )
    if not isinstance(values.get("leeway_seconds", 60), int) or not (
        0 <= values.get("leeway_seconds", 60) <= 300
    ):
        raise IssuerConfigError(f"{where}: `leeway_seconds` must be a whole number 0-300")
    lifetime = values.get("max_token_lifetime_seconds", 24 * 3600)
    if (
        isinstance(lifetime, bool)
        or not isinstance(lifetime, int)
        or not (60 <= lifetime <= MAX_TOKEN_LIFETIME)
    ):
        raise IssuerConfigError(
            f"{where}: `max_token_lifetime_seconds` must be a whole number"
            f" 60-{MAX_TOKEN_LIFETIME} (30 days)"
        )
    try:
        return IssuerConfig(**values)
    except TypeError as error:
        raise IssuerConfigError(f"{where}: {error}") from None


def _strings(value: Any, what: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = value.split()
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise IssuerConfigError(f"{what} must be a list of strings")
    return tuple(value)
