"""A municipality's own settings, kept by its editors (or an admin)."""

from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from reusegraph.auth.principal import Role
from reusegraph.schema.context import Info
from reusegraph.schema.core.permissions import Scope, needs
from reusegraph.schema.mutations.core import UserError, apply
from reusegraph.schema.mutations.field_checks import FieldChecks, given
from reusegraph.store import municipality_writes
from reusegraph.store.audit import Call

if TYPE_CHECKING:
    from reusegraph.schema.municipalities import Municipality

MunicipalityRef = Annotated["Municipality", strawberry.lazy("reusegraph.schema.municipalities")]

MAX_FTE_HOURS = 8784  # every hour of a leap year


@strawberry.input(
    description="Leave a field out to keep it; null clears note and identityProvider."
)
class MunicipalitySettingsPatch:
    fte_hours_per_year: strawberry.Maybe[float] = strawberry.field(
        description=f"Hours of one full-time employee per year: more than 0, at most "
        f"{MAX_FTE_HOURS}."
    )
    it_systems: strawberry.Maybe[list[str]] = strawberry.field(
        description="Codes of the IT systems in use; replaces the whole list."
    )
    technologies: strawberry.Maybe[list[str]] = strawberry.field(
        description="Codes of the automation technologies in use; replaces the whole list."
    )
    note: strawberry.Maybe[str | None]
    identity_provider: strawberry.Maybe[str | None] = strawberry.field(
        description="The IdP its employees log in with (name or address)."
    )


@strawberry.input
class MunicipalitySettingsUpdateInput:
    code: str
    version: int = strawberry.field(description="The version you read; a newer one is a conflict.")
    patch: MunicipalitySettingsPatch
    client_mutation_id: str | None = None


@strawberry.type
class MunicipalityPayload:
    municipality: MunicipalityRef | None
    user_errors: list[UserError]
    client_mutation_id: str | None


def _checked(patch: MunicipalitySettingsPatch) -> tuple[dict[str, Any], dict[str, list[str]]]:
    fields = given(patch)
    checks = FieldChecks("patch")
    values: dict[str, Any] = {}
    lists: dict[str, list[str]] = {}
    checks.not_empty(fields)
    if "fte_hours_per_year" in fields:
        hours = fields["fte_hours_per_year"]
        if not 0 < hours <= MAX_FTE_HOURS:
            checks.add(
                "fteHoursPerYear",
                f"fteHoursPerYear must be more than 0 and at most {MAX_FTE_HOURS}; got {hours:g}.",
                "OUT_OF_RANGE",
            )
        values["fte_hours_per_year"] = Decimal(str(round(hours, 2)))
    if "note" in fields:
        values["note"] = checks.text("note", fields["note"], 1000)
    if "identity_provider" in fields:
        values["identity_provider"] = checks.text(
            "identityProvider", fields["identity_provider"], 1024
        )
    for name, field in (("it_systems", "itSystems"), ("technologies", "technologies")):
        if name in fields:
            lists[name] = checks.codes(field, fields[name])
    checks.done()
    return values, lists


@strawberry.type
class MunicipalityMutations:
    @strawberry.mutation(
        description="Change your municipality's settings: FTE hours, the IT systems and "
        "technologies it uses (they decide its reuse candidates), note, IdP (editor or admin).",
        permission_classes=[needs(Role.EDITOR, Role.ADMIN, scope=Scope.PARTY)],
    )
    async def municipality_settings_update(
        self, info: Info, input: MunicipalitySettingsUpdateInput
    ) -> MunicipalityPayload:
        code = input.code.strip()

        async def work(session: AsyncSession, call: Call) -> str:
            values, lists = _checked(input.patch)
            return await municipality_writes.update_settings(
                session,
                call,
                code,
                input.version,
                values,
                lists.get("it_systems"),
                lists.get("technologies"),
            )

        outcome = await apply(info, "municipalitySettingsUpdate", input.client_mutation_id, work)
        from reusegraph.schema.municipalities import Municipality

        found = await Municipality.load(info, outcome.key) if outcome.key else None
        return MunicipalityPayload(
            municipality=found,
            user_errors=outcome.errors,
            client_mutation_id=outcome.client_mutation_id,
        )
