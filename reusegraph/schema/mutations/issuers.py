"""Trusted token issuers registered at runtime (admin only).

A registration is checked by the same ``parse_issuer`` as the configuration's, so the
rules (algorithm allow-list, pinned Entra tenant, who may grant admin) cannot be
sidestepped here. After a write the app's issuer registry reloads, so a new issuer's
tokens are accepted, and a removed one's refused, from the next request on.
"""

import re
from datetime import datetime
from typing import Any

import strawberry
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.scalars import JSON

from reusegraph.auth.issuers import IssuerConfigError, parse_issuer
from reusegraph.auth.principal import Role
from reusegraph.schema.context import Info
from reusegraph.schema.core.permissions import Scope, needs
from reusegraph.schema.mutations.core import UserError, apply
from reusegraph.schema.mutations.field_checks import FieldChecks
from reusegraph.schema.mutations.process_input import camel
from reusegraph.store import trusted_issuers
from reusegraph.store.audit import Call
from reusegraph.store.write_errors import FieldError, WriteRejected

_BACKTICKED = re.compile(r"`([a-z_]+)[^`]*`")
_MAPS = ("jwks", "municipality_map", "role_map", "clients")


@strawberry.input(description="As an entry of REUSEGRAPH_ISSUERS (see the README), in camelCase.")
class IssuerRegisterInput:
    name: str = strawberry.field(description="Lower-case letters, digits and '-'.")
    issuer: str = strawberry.field(description="The exact `iss` of its tokens.")
    audience: str
    algorithms: list[str] | None = None
    discovery_url: str | None = None
    jwks: JSON | None = strawberry.field(
        default=None, description="Static public keys instead of discovery."
    )
    municipality: str | None = strawberry.field(
        default=None, description="Every token of this issuer speaks for this municipality."
    )
    municipalities: list[str] | None = strawberry.field(
        default=None, description='Municipalities a claim may name ("*" for a national broker).'
    )
    municipality_claim: str | None = None
    municipality_map: JSON | None = strawberry.field(
        default=None, description="Claim value to municipality code."
    )
    roles_claim: str | None = None
    role_map: JSON | None = strawberry.field(
        default=None, description="The IdP's role or group name to reader/member/editor/admin."
    )
    client_claim: str | None = None
    clients: JSON | None = strawberry.field(
        default=None, description="Machine client id to the roles it gets."
    )
    default_roles: list[str] | None = None
    allowed_roles: list[str] | None = strawberry.field(
        default=None, description="Roles this issuer may grant; admin only when listed."
    )
    tenant_claim: str | None = None
    tenant: str | None = None
    leeway_seconds: int | None = None
    login_client_id: str | None = None
    login_scope: str | None = None
    client_mutation_id: str | None = None


@strawberry.input
class IssuerRemoveInput:
    name: str
    version: int = strawberry.field(description="The version you read; a newer one is a conflict.")
    client_mutation_id: str | None = None


@strawberry.type(description="A token issuer an admin registered (not those configured).")
class TrustedIssuer:
    name: str
    issuer: str
    audience: str
    algorithms: list[str]
    municipality: str | None
    municipalities: list[str]
    allowed_roles: list[str]
    default_roles: list[str]
    tenant: str | None
    version: int
    created_at: datetime

    @classmethod
    def from_row(cls, row: Row[Any]) -> "TrustedIssuer":
        config = row.config
        return cls(
            name=row.name,
            issuer=row.issuer,
            audience=config["audience"],
            algorithms=list(config.get("algorithms") or []),
            municipality=config.get("municipality"),
            municipalities=list(config.get("municipalities") or []),
            allowed_roles=list(config.get("allowed_roles") or []),
            default_roles=list(config.get("default_roles") or []),
            tenant=config.get("tenant"),
            version=row.version,
            created_at=row.created_at,
        )


@strawberry.type
class TrustedIssuerPayload:
    trusted_issuer: TrustedIssuer | None
    user_errors: list[UserError]
    client_mutation_id: str | None


@strawberry.type
class IssuerRemovePayload:
    removed_name: str | None
    user_errors: list[UserError]
    client_mutation_id: str | None


def _checked_config(input: IssuerRegisterInput) -> dict[str, Any]:
    raw = {k: v for k, v in vars(input).items() if v is not None and k != "client_mutation_id"}
    checks = FieldChecks()
    for name in _MAPS:
        if name in raw and not isinstance(raw[name], dict):
            checks.add(camel(name), f"{camel(name)} must be a JSON object.")
    for name in ("municipality_map", "role_map"):
        value = raw.get(name)
        if isinstance(value, dict) and not all(isinstance(v, str) for v in value.values()):
            checks.add(camel(name), f"{camel(name)} must map names to strings.")
    checks.done()
    try:
        return parse_issuer(raw, "issuerRegister").to_json()
    except IssuerConfigError as error:
        raise WriteRejected(_field_error(str(error), raw)) from None


def _field_error(message: str, raw: dict[str, Any]) -> FieldError:
    """parse_issuer names the field in backticks (snake_case): the same, in input terms."""
    found = _BACKTICKED.search(message)
    field = found.group(1) if found else _municipality_field(message, raw)
    readable = re.sub(r"`([a-z_.]+)`", lambda m: f"`{camel(m.group(1))}`", message)
    return FieldError("INVALID", readable, (camel(field),))


def _municipality_field(message: str, raw: dict[str, Any]) -> str:
    """The one message without a backticked field lists the bad municipality codes."""
    candidates = {
        "municipality": [raw.get("municipality")],
        "municipalities": raw.get("municipalities") or [],
        "municipality_map": list((raw.get("municipality_map") or {}).values()),
    }
    for name, values in candidates.items():
        if any(v is not None and repr(v) in message for v in values):
            return name
    return "municipalities"


def _changed(info: Info) -> None:
    if info.context.on_issuers_changed is not None:
        info.context.on_issuers_changed()


@strawberry.type
class IssuerMutations:
    @strawberry.mutation(
        description="Trust a token issuer from now on (admin).",
        permission_classes=[needs(Role.ADMIN, scope=Scope.ANY)],
    )
    async def issuer_register(self, info: Info, input: IssuerRegisterInput) -> TrustedIssuerPayload:

        async def work(session: AsyncSession, call: Call) -> str:
            return await trusted_issuers.register(session, call, _checked_config(input))

        outcome = await apply(info, "issuerRegister", input.client_mutation_id, work)
        found = None
        if outcome.key is not None:
            _changed(info)
            row = await trusted_issuers.registered_issuer(info.context.reader, outcome.key)
            found = TrustedIssuer.from_row(row) if row else None
        return TrustedIssuerPayload(
            trusted_issuer=found,
            user_errors=outcome.errors,
            client_mutation_id=outcome.client_mutation_id,
        )

    @strawberry.mutation(
        description="Stop trusting a registered issuer; its tokens are refused from now on"
        " (admin).",
        permission_classes=[needs(Role.ADMIN, scope=Scope.ANY)],
    )
    async def issuer_remove(self, info: Info, input: IssuerRemoveInput) -> IssuerRemovePayload:

        async def work(session: AsyncSession, call: Call) -> str:
            return await trusted_issuers.remove(session, call, input.name, input.version)

        outcome = await apply(info, "issuerRemove", input.client_mutation_id, work)
        if outcome.key is not None:
            _changed(info)
        return IssuerRemovePayload(
            removed_name=outcome.key,
            user_errors=outcome.errors,
            client_mutation_id=outcome.client_mutation_id,
        )
