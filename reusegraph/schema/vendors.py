"""Vendors: the agreements they are on, whom they serve, the processes they delivered."""

import uuid
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from sqlalchemy.engine import Row

from reusegraph.schema.context import Info
from reusegraph.schema.core.ids import global_id
from reusegraph.schema.core.pagination import checked_first
from reusegraph.schema.core.scalars import Month
from reusegraph.schema.enums import Country
from reusegraph.schema.filters import ProcessFilter, expiry_day
from reusegraph.schema.municipalities import Municipality
from reusegraph.schema.node import Node
from reusegraph.store.agreements import in_force_on, options_left
from reusegraph.store.processes import ProcessQuery
from reusegraph.store.vendors import frozen

if TYPE_CHECKING:
    from reusegraph.schema.agreements import FrameworkAgreement
    from reusegraph.schema.processes import Process


FrameworkAgreementRef = Annotated[
    "FrameworkAgreement", strawberry.lazy("reusegraph.schema.agreements")
]
ProcessRef = Annotated["Process", strawberry.lazy("reusegraph.schema.processes")]


@strawberry.federation.type(keys=["id"], description="A supplier of automation work.")
class Vendor(Node):
    name: str
    country: Country
    org_number: str | None
    website: str | None
    version: int = strawberry.field(description="Increments on every change; send it with updates.")
    _id: strawberry.Private[uuid.UUID]

    @strawberry.field(description="Agreements this vendor is on, newest first.")
    async def agreements(
        self,
        info: Info,
        active_on: Annotated[
            date | None, strawberry.argument(description="Only those in force on this day.")
        ] = None,
        expiring_within_months: Annotated[
            int | None,
            strawberry.argument(
                description="Only those in force on activeOn (default today) that end within"
                " this many months (end date with the options exercised so far)."
            ),
        ] = None,
        has_options_left: Annotated[
            bool | None, strawberry.argument(description="true: options not yet exercised.")
        ] = None,
    ) -> list[FrameworkAgreementRef]:
        from reusegraph.schema.agreements import FrameworkAgreement

        day = active_on or date.today()
        gone = None
        if expiring_within_months is not None:
            gone = expiry_day(day, expiring_within_months, "expiringWithinMonths")
        rows = await info.context.loaders.agreements_by_vendor.load(self._id)
        chosen = [
            row
            for row in rows
            if ((active_on is None and gone is None) or in_force_on(row, day))
            and (gone is None or not in_force_on(row, gone))
            and (has_options_left is None or (options_left(row) > 0) == has_options_left)
        ]
        return [FrameworkAgreement.from_row(row) for row in chosen]

    @strawberry.field(
        description="Municipalities it delivered processes you may read to, or that it has"
        " an agreement with; most processes first."
    )
    async def municipalities_served(self, info: Info) -> list["ServedMunicipality"]:
        rows = await info.context.loaders.municipalities_served_by_vendor.load(self._id)
        return [
            ServedMunicipality(
                process_count=int(row.processes),
                on_agreement=bool(row.on_agreement),
                _code=row.municipality_code,
            )
            for row in rows
        ]

    @strawberry.field(
        description="Processes it delivered that you may read, newest first; `first`"
        " (default 50, at most 500) limits `nodes` only."
    )
    async def processes_delivered(
        self, info: Info, filter: ProcessFilter | None = None, first: int | None = None
    ) -> "DeliveredProcesses":
        query = await filter.to_query(info, None) if filter else ProcessQuery()
        size = checked_first(first)
        return DeliveredProcesses(_vendor_id=self._id, _query=frozen(query), _first=size)

    @classmethod
    def from_row(cls, row: Row[Any]) -> "Vendor":
        return cls(
            id=strawberry.ID(global_id("Vendor", row.id)),
            name=row.name,
            country=row.country,
            org_number=row.org_number,
            website=row.website,
            version=row.version,
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


@strawberry.type(description="A municipality a vendor serves.")
class ServedMunicipality:
    process_count: int = strawberry.field(
        description="Processes you may read that the vendor delivered to it."
    )
    on_agreement: bool = strawberry.field(
        description="Whether it is a party to an agreement the vendor is on."
    )
    _code: strawberry.Private[str]

    @strawberry.field
    async def municipality(self, info: Info) -> Municipality:
        found = await Municipality.load(info, self._code)
        assert found is not None, "served municipality without a row"
        return found


@strawberry.type(description="The processes a vendor delivered that match a filter.")
class DeliveredProcesses:
    _vendor_id: strawberry.Private[uuid.UUID]
    _query: strawberry.Private[ProcessQuery]
    _first: strawberry.Private[int]

    @strawberry.field(description="All that match, not only the first ones.")
    async def total_count(self, info: Info) -> int:
        loader = info.context.loaders.delivered_count_by_vendor
        return await loader.load((self._vendor_id, self._query)) or 0

    @strawberry.field(
        description="Realised (MEASURED) hours saved by all that match, not only the first ones."
    )
    async def realised_hours_saved(
        self,
        info: Info,
        from_: Annotated[Month | None, strawberry.argument(name="from")] = None,
        to: Month | None = None,
    ) -> float:
        loader = info.context.loaders.delivered_hours_by_vendor
        hours = await loader.load((self._vendor_id, self._query, from_, to))
        return round(hours or 0.0, 2)

    @strawberry.field(description="The first `first` of them, newest first.")
    async def nodes(self, info: Info) -> list[ProcessRef]:
        from reusegraph.schema.processes import Process

        key = (self._vendor_id, self._query, self._first)
        ids = await info.context.loaders.delivered_ids_by_vendor.load(key)
        rows = await info.context.loaders.process_by_id.load_many(ids)
        return [Process.from_row(row) for row in rows if row is not None]
