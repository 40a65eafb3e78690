"""Registering municipalities and changing their names and identifiers (admins)."""

from decimal import Decimal
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from reusegraph.auth.principal import Role
from reusegraph.schema.context import Info
from reusegraph.schema.core.permissions import Scope, needs
from reusegraph.schema.mutations.core import Work, apply
from reusegraph.schema.mutations.field_checks import FieldChecks, given
from reusegraph.schema.mutations.municipalities import MAX_FTE_HOURS, MunicipalityPayload
from reusegraph.store import municipality_register
from reusegraph.store.audit import Call
from reusegraph.store.official_municipalities import official


@strawberry.input(
    description="Leave name and orgNumber out to take them from the official list shipped "
    "with reusegraph (Danish municipalities and regions, Norwegian municipalities)."
)
class MunicipalityRegisterInput:
    code: str = strawberry.field(description="<country>-<national number>, e.g. DK-0746.")
    name: str | None = None
    org_number: str | None = strawberry.field(
        default=None, description="CVR (DK) or organisasjonsnummer (NO)."
    )
    region: str | None = None
    merged_into: str | None = strawberry.field(
        default=None, description="Code of the municipality this one merged into."
    )
    fte_hours_per_year: float | None = strawberry.field(
        default=None, description="Default: 1924 (DK), 1695 (NO)."
    )
    note: str | None = None
    client_mutation_id: str | None = None


@strawberry.input(description="Leave a field out to keep it; null clears it.")
class MunicipalityPatch:
    name: strawberry.Maybe[str]
    org_number: strawberry.Maybe[str | None]
    region: strawberry.Maybe[str | None]
    merged_into: strawberry.Maybe[str | None]


@strawberry.input
class MunicipalityUpdateInput:
    code: str
    version: int = strawberry.field(description="The version you read; a newer one is a conflict.")
    patch: MunicipalityPatch
    client_mutation_id: str | None = None


def _register_values(input: MunicipalityRegisterInput) -> dict[str, Any]:
    checks = FieldChecks()
    code = checks.municipality("code", input.code.strip().upper())
    listed = official(code)
    name = checks.text("name", input.name, 255) or (listed.name if listed else None)
    if name is None:
        checks.add("name", f"{code} is in no official list: give its name.", "REQUIRED")
    values: dict[str, Any] = {
        "code": code,
        "name": name,
        "org_number": checks.text("orgNumber", input.org_number, 20)
        or (listed.org_number if listed else None),
        "region": checks.text("region", input.region, 255) or (listed.region if listed else None),
        "merged_into_code": (input.merged_into or "").strip().upper()
        or (listed.merged_into if listed else None),
        "note": checks.text("note", input.note, 1000),
    }
    if input.fte_hours_per_year is not None:
        checks.within("fteHoursPerYear", input.fte_hours_per_year, 1, MAX_FTE_HOURS)
        values["fte_hours_per_year"] = Decimal(str(round(input.fte_hours_per_year, 2)))
    checks.done()
    return values


def _patch_values(patch: MunicipalityPatch) -> dict[str, Any]:
    fields = given(patch)
    checks = FieldChecks("patch")
    checks.not_empty(fields)
    values: dict[str, Any] = {}
    if "name" in fields:
        values["name"] = checks.required_text("name", fields["name"], 255)
    if "org_number" in fields:
        values["org_number"] = checks.text("orgNumber", fields["org_number"], 20)
    if "region" in fields:
        values["region"] = checks.text("region", fields["region"], 255)
    if "merged_into" in fields:
        merged = fields["merged_into"]
        values["merged_into_code"] = merged.strip().upper() if merged else None
    checks.done()
    return values


@strawberry.type
class MunicipalityRegisterMutations:
    @strawberry.mutation(
        description="Register a municipality (admin). Name, CVR/organisasjonsnummer, region "
        "and merger default to the official list's entry for the code.",
        permission_classes=[needs(Role.ADMIN, scope=Scope.ANY)],
    )
    async def municipality_register(
        self, info: Info, input: MunicipalityRegisterInput
    ) -> MunicipalityPayload:

        async def work(session: AsyncSession, call: Call) -> str:
            return await municipality_register.register(session, call, _register_values(input))

        return await _payload(info, "municipalityRegister", input.client_mutation_id, work)

    @strawberry.mutation(
        description="Change a municipality's name, CVR/organisasjonsnummer, region or merger "
        "(admin).",
        permission_classes=[needs(Role.ADMIN, scope=Scope.ANY)],
    )
    async def municipality_update(
        self, info: Info, input: MunicipalityUpdateInput
    ) -> MunicipalityPayload:
        code = input.code.strip().upper()

        async def work(session: AsyncSession, call: Call) -> str:
            values = _patch_values(input.patch)
            return await municipality_register.update_municipality(
                session, call, code, input.version, values
            )

        return await _payload(info, "municipalityUpdate", input.client_mutation_id, work)


async def _payload(
    info: Info, name: str, client_mutation_id: str | None, work: Work
) -> MunicipalityPayload:
    outcome = await apply(info, name, client_mutation_id, work)
    from reusegraph.schema.municipalities import Municipality

    found = await Municipality.load(info, outcome.key) if outcome.key else None
    return MunicipalityPayload(
        municipality=found,
        user_errors=outcome.errors,
        client_mutation_id=outcome.client_mutation_id,
    )
