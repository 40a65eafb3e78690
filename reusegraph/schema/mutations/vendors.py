"""Vendors: any editor adds one; parties to its agreements (or an admin) correct it.

Who may change a vendor is decided in ``store.vendor_writes`` (see its docstring).
"""

import uuid
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from reusegraph.auth.principal import Role
from reusegraph.schema.context import Info
from reusegraph.schema.core.ids import parse_uuid_id
from reusegraph.schema.core.permissions import Scope, needs
from reusegraph.schema.enums import Country
from reusegraph.schema.mutations.core import UserError, apply
from reusegraph.schema.mutations.field_checks import FieldChecks, given
from reusegraph.store import vendor_writes
from reusegraph.store.audit import Call

if TYPE_CHECKING:
    from reusegraph.schema.vendors import Vendor

VendorRef = Annotated["Vendor", strawberry.lazy("reusegraph.schema.vendors")]


@strawberry.input
class VendorCreateInput:
    name: str
    country: Country
    org_number: str | None = strawberry.field(
        default=None, description="CVR (DK), organisasjonsnummer (NO), or the national one."
    )
    website: str | None = None
    client_mutation_id: str | None = None


@strawberry.input(description="Leave a field out to keep it; null clears orgNumber and website.")
class VendorPatch:
    name: strawberry.Maybe[str]
    country: strawberry.Maybe[Country]
    org_number: strawberry.Maybe[str | None]
    website: strawberry.Maybe[str | None]


@strawberry.input
class VendorUpdateInput:
    id: strawberry.ID
    version: int = strawberry.field(description="The version you read; a newer one is a conflict.")
    patch: VendorPatch
    client_mutation_id: str | None = None


@strawberry.type
class VendorPayload:
    vendor: VendorRef | None
    user_errors: list[UserError]
    client_mutation_id: str | None


def _columns(fields: dict[str, Any], checks: FieldChecks) -> dict[str, Any]:
    """The organisation number's format depends on the country: the store checks it."""
    values: dict[str, Any] = {}
    if "name" in fields:
        values["name"] = checks.required_text("name", fields["name"], 255)
    if "country" in fields:
        values["country"] = fields["country"].value
    if "org_number" in fields:
        number = checks.text("orgNumber", fields["org_number"], 40)
        values["org_number"] = None if number is None else number.replace(" ", "")
    if "website" in fields:
        values["website"] = checks.url("website", fields["website"])
    return values


async def _payload(
    info: Info, key: str | None, errors: list[UserError], cmid: str | None
) -> VendorPayload:
    from reusegraph.schema.vendors import Vendor

    vendor = await Vendor.load(info, uuid.UUID(key)) if key else None
    return VendorPayload(vendor=vendor, user_errors=errors, client_mutation_id=cmid)


@strawberry.type
class VendorMutations:
    @strawberry.mutation(
        description="Add a vendor to the shared list (any editor or admin).",
        permission_classes=[needs(Role.EDITOR, Role.ADMIN, scope=Scope.ANY)],
    )
    async def vendor_create(self, info: Info, input: VendorCreateInput) -> VendorPayload:

        async def work(session: AsyncSession, call: Call) -> str:
            checks = FieldChecks()
            fields = {
                "name": input.name,
                "country": input.country,
                "org_number": input.org_number,
                "website": input.website,
            }
            values = _columns(fields, checks)
            checks.done()
            return str(await vendor_writes.create_vendor(session, call, values))

        outcome = await apply(info, "vendorCreate", input.client_mutation_id, work)
        return await _payload(info, outcome.key, outcome.errors, outcome.client_mutation_id)

    @strawberry.mutation(
        description="Correct a vendor (admin, or an editor of a municipality that is party to "
        "an agreement with it).",
        permission_classes=[needs(Role.EDITOR, Role.ADMIN, scope=Scope.PARTY)],
    )
    async def vendor_update(self, info: Info, input: VendorUpdateInput) -> VendorPayload:
        vendor_id = parse_uuid_id(str(input.id), "Vendor", "input.id")

        async def work(session: AsyncSession, call: Call) -> str:
            fields = given(input.patch)
            checks = FieldChecks("patch")
            checks.not_empty(fields)
            values = _columns(fields, checks)
            checks.done()
            await vendor_writes.update_vendor(session, call, vendor_id, input.version, values)
            return str(vendor_id)

        outcome = await apply(info, "vendorUpdate", input.client_mutation_id, work)
        return await _payload(info, outcome.key, outcome.errors, outcome.client_mutation_id)
