"""Who may call a field, declared on the field itself: ``permission_classes=[needs(...)]``.

The declaration says two things. ``roles`` is checked here, before the resolver runs
(UNAUTHENTICATED without a token, FORBIDDEN without one of the roles). ``scope`` says
which records the caller may then touch; that part is the store's to decide
(``store/write_rules.py`` for the directory tables, the row-level security policies for
processes and webhooks), because only the store sees the record. The permission matrix
test (``tests/test_permission_matrix.py``) reads these declarations from the schema and
checks every mutation, role and municipality against a running server, so a mutation
without a declaration fails it.

The public SDL does not show the declarations (no directive, descriptions unchanged);
``describe`` prints them.
"""

import enum
from dataclasses import dataclass
from typing import Any

from strawberry import Schema
from strawberry.permission import BasePermission
from strawberry.types.base import StrawberryObjectDefinition

from reusegraph.auth.principal import Principal, Role
from reusegraph.schema.core.errors import Forbidden, Unauthenticated


class Scope(enum.Enum):
    """Which records, once the role is right: decided by the store, here for the record."""

    ANY = "any record"
    OWN_MUNICIPALITY = "records of the caller's own municipality"
    PARTY = "records the caller's municipality takes part in (admins: any)"
    OWN_SUBSCRIPTIONS = "the caller's own subscriptions (admins: any)"


@dataclass(frozen=True)
class Access:
    """``roles`` empty: any signed-in caller, with or without a role."""

    roles: frozenset[Role]
    scope: Scope
    what: str = "This mutation"
    municipality_required: bool = False
    """Non-admins must speak for a municipality (the audit log shows their own)."""

    def check(self, viewer: Principal) -> None:
        if viewer.is_anonymous:
            raise Unauthenticated(
                f"{self.what} needs a bearer token; send Authorization: Bearer <token>."
            )
        if not self.roles:
            return
        have = ", ".join(sorted(viewer.roles)) or "no role"
        if not viewer.roles & self.roles:
            need = " or ".join(sorted(self.roles))
            raise Forbidden(f"{self.what} needs the {need} role; you have {have}.")
        own_needed = self.municipality_required and Role.ADMIN not in viewer.roles
        if own_needed and viewer.municipality is None:
            raise Forbidden(f"{self.what} needs a token that names your municipality.")


class Declared(BasePermission):
    """A field's ``Access``; one subclass per declaration (Strawberry takes classes)."""

    access: Access

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        self.access.check(info.context.viewer)
        return True


def needs(
    *roles: Role,
    scope: Scope = Scope.ANY,
    what: str = "This mutation",
    municipality_required: bool = False,
) -> type[BasePermission]:
    access = Access(frozenset(roles), scope, what, municipality_required)
    return type("Needs", (Declared,), {"access": access})


def declared(schema: Schema, type_name: str) -> dict[str, Access | None]:
    """Each field of ``type_name`` (GraphQL names) and its declaration, None if it has none."""
    definition = schema.get_type_by_name(type_name)
    assert isinstance(definition, StrawberryObjectDefinition)
    found: dict[str, Access | None] = {}
    for field in definition.fields:
        name = schema.config.name_converter.get_graphql_name(field)
        accesses = [p.access for p in field.permission_classes if issubclass(p, Declared)]
        found[name] = accesses[0] if accesses else None
    return found


def describe(schema: Schema) -> str:
    """The permission table, one line per declared field: for reviews and the docs."""
    lines = []
    for type_name in ("Query", "Mutation"):
        for name, access in sorted(declared(schema, type_name).items()):
            if access is None:
                continue
            roles = ", ".join(sorted(access.roles)) or "any signed-in caller"
            lines.append(f"{type_name}.{name}: {roles}; {access.scope.value}")
    return "\n".join(lines)
