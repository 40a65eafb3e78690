"""Vendors and the agreements they are on."""

import uuid
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from sqlalchemy.engine import Row

from reusegraph.schema.context import Info
from reusegraph.schema.core.ids import global_id
from reusegraph.schema.enums import Country
from reusegraph.schema.node import Node

if TYPE_CHECKING:
    from reusegraph.schema.agreements import FrameworkAgreement


FrameworkAgreementRef = Annotated[
    "FrameworkAgreement", strawberry.lazy("reusegraph.schema.agreements")
]


@strawberry.federation.type(keys=["id"], description="A supplier of automation work.")
class Vendor(Node):
    name: str
    country: Country
    org_number: str | None
    website: str | None
    _id: strawberry.Private[uuid.UUID]

    @strawberry.field(description="Agreements this vendor is on, newest first.")
    async def agreements(self, info: Info) -> list[FrameworkAgreementRef]:
        from reusegraph.schema.agreements import FrameworkAgreement

        rows = await info.context.loaders.agreements_by_vendor.load(self._id)
        return [FrameworkAgreement.from_row(row) for row in rows]

    @classmethod
    def from_row(cls, row: Row[Any]) -> "Vendor":
        return cls(
            id=strawberry.ID(global_id("Vendor", row.id)),
            name=row.name,
            country=row.country,
            org_number=row.org_number,
            website=row.website,
            _id=row.id,
        )

    @classmethod
    async def load(cls, info: Info, vendor_id: uuid.UUID) -> "Vendor | None":
        row = await info.context.loaders.vendor_by_id.load(vendor_id)
        return cls.from_row(row) if row else None

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> "Vendor | None":
        from reusegraph.schema.core.ids import parse_uuid_id

        return await cls.load(info, parse_uuid_id(str(id), "Vendor"))
