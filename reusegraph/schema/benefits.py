"""Benefit records, compact series, and the grouped summary."""

import uuid
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from sqlalchemy.engine import Row

from reusegraph.schema.catalog import Technology
from reusegraph.schema.context import Info
from reusegraph.schema.core.scalars import Month
from reusegraph.schema.enums import BenefitKind, Country, Domain
from reusegraph.schema.municipalities import Municipality
from reusegraph.store.benefits import BenefitDimension
from reusegraph.store.benefits import BenefitGroup as StoreGroup

if TYPE_CHECKING:
    from reusegraph.schema.processes import Process
    from reusegraph.schema.vendors import Vendor


VendorRef = Annotated["Vendor", strawberry.lazy("reusegraph.schema.vendors")]
ProcessRef = Annotated["Process", strawberry.lazy("reusegraph.schema.processes")]


def within(
    rows: list[Row[Any]], kind: BenefitKind | None, start: date | None, end: date | None
) -> list[Row[Any]]:
    return [
        r
        for r in rows
        if (kind is None or r.kind == kind)
        and (start is None or r.period >= start)
        and (end is None or r.period <= end)
    ]


@strawberry.type
class Money:
    amount: float
    currency: str


@strawberry.type(description="What one process saved in one month.")
class BenefitRecord:
    period: Month
    kind: BenefitKind
    cases: int | None
    hours_saved: float
    money: Money | None
    note: str | None
    fte: float = strawberry.field(
        description="hoursSaved as full-time staff over the month, with the owner's FTE hours."
    )

    @classmethod
    def from_row(cls, row: Row[Any]) -> "BenefitRecord":
        hours = float(row.hours_saved)
        return cls(
            period=row.period,
            kind=row.kind,
            cases=row.cases,
            hours_saved=hours,
            money=Money(amount=float(row.money_amount), currency=row.currency)
            if row.money_amount is not None
            else None,
            note=row.note,
            fte=round(hours * 12 / float(row.fte_hours_per_year), 3),
        )


@strawberry.type(description="Benefit records as parallel lists, one entry per month.")
class BenefitSeries:
    months: list[Month]
    hours_saved: list[float]
    cases: list[int | None]

    @classmethod
    def from_rows(cls, rows: list[Row[Any]]) -> "BenefitSeries":
        return cls(
            months=[r.period for r in rows],
            hours_saved=[float(r.hours_saved) for r in rows],
            cases=[r.cases for r in rows],
        )


@strawberry.type(description="The values of the groupBy dimensions for one group.")
class BenefitGroupKey:
    municipality_code: str | None
    country: Country | None
    domain: Domain | None
    technology_code: str | None
    year: int | None
    month: Month | None
    kind: BenefitKind | None
    _vendor_id: strawberry.Private[uuid.UUID | None]
    _process_id: strawberry.Private[uuid.UUID | None]

    @strawberry.field
    async def municipality(self, info: Info) -> Municipality | None:
        if self.municipality_code is None:
            return None
        return await Municipality.load(info, self.municipality_code)

    @strawberry.field
    async def technology(self, info: Info) -> Technology | None:
        if self.technology_code is None:
            return None
        row = await info.context.loaders.technology_by_code.load(self.technology_code)
        return Technology.from_row(row) if row else None

    @strawberry.field
    async def vendor(self, info: Info) -> VendorRef | None:
        from reusegraph.schema.vendors import Vendor

        return await Vendor.load(info, self._vendor_id) if self._vendor_id else None

    @strawberry.field
    async def process(self, info: Info) -> ProcessRef | None:
        from reusegraph.schema.processes import Process

        return await Process.load(info, self._process_id) if self._process_id else None


@strawberry.type(description="Totals for one group of benefit records.")
class BenefitGroup:
    key: BenefitGroupKey
    hours_saved: float
    cases: int
    money: list[Money] = strawberry.field(description="One entry per currency; never converted.")
    fte_years: float = strawberry.field(
        description="Hours as years of full-time work, each with its municipality's FTE hours."
    )
    fte: float = strawberry.field(
        description="Average full-time staff freed over the months this group covers."
    )
    months: int
    process_count: int
    record_count: int

    @classmethod
    def from_store(cls, group: StoreGroup) -> "BenefitGroup":
        k = group.key
        return cls(
            key=BenefitGroupKey(
                municipality_code=k.get(BenefitDimension.MUNICIPALITY),
                country=k.get(BenefitDimension.COUNTRY),
                domain=k.get(BenefitDimension.DOMAIN),
                technology_code=k.get(BenefitDimension.TECHNOLOGY),
                year=k.get(BenefitDimension.YEAR),
                month=k.get(BenefitDimension.MONTH),
                kind=k.get(BenefitDimension.KIND),
                _vendor_id=k.get(BenefitDimension.VENDOR),
                _process_id=k.get(BenefitDimension.PROCESS),
            ),
            hours_saved=round(group.hours_saved, 2),
            cases=group.cases,
            money=[
                Money(amount=float(amount), currency=currency)
                for currency, amount in sorted(group.money.items())
            ],
            fte_years=round(group.fte_years, 3),
            fte=round(group.fte, 3),
            months=group.months,
            process_count=group.processes,
            record_count=group.records,
        )
