"""benefitSummary's types: totals per group, realised beside estimated, monthly series."""

import uuid
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from reusegraph.schema.benefits import Money
from reusegraph.schema.catalog import Technology
from reusegraph.schema.context import Info
from reusegraph.schema.core.scalars import Month
from reusegraph.schema.enums import BenefitKind, Country, Domain
from reusegraph.schema.money_conversion import ConvertedMoney, Currency, converted
from reusegraph.schema.municipalities import Municipality
from reusegraph.store.benefit_summary import BenefitGroup as StoreGroup
from reusegraph.store.benefit_summary import MonthTotals, Totals, month_range
from reusegraph.store.benefits import BenefitDimension
from reusegraph.store.enums import BenefitKind as StoreKind

if TYPE_CHECKING:
    from reusegraph.schema.processes import Process
    from reusegraph.schema.vendors import Vendor


VendorRef = Annotated["Vendor", strawberry.lazy("reusegraph.schema.vendors")]
ProcessRef = Annotated["Process", strawberry.lazy("reusegraph.schema.processes")]


def asks_for(selections: Iterable[Any], name: str) -> bool:
    """Whether a field called ``name`` is selected anywhere below (fragments included)."""
    for selection in selections:
        if getattr(selection, "name", None) == name:
            return True
        if asks_for(getattr(selection, "selections", ()), name):
            return True
    return False


def _money(amounts: dict[str, Decimal]) -> list[Money]:
    return [Money(amount=float(a), currency=c) for c, a in sorted(amounts.items())]


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

    @classmethod
    def from_store(cls, key: dict[BenefitDimension, Any]) -> "BenefitGroupKey":
        return cls(
            municipality_code=key.get(BenefitDimension.MUNICIPALITY),
            country=key.get(BenefitDimension.COUNTRY),
            domain=key.get(BenefitDimension.DOMAIN),
            technology_code=key.get(BenefitDimension.TECHNOLOGY),
            year=key.get(BenefitDimension.YEAR),
            month=key.get(BenefitDimension.MONTH),
            kind=key.get(BenefitDimension.KIND),
            _vendor_id=key.get(BenefitDimension.VENDOR),
            _process_id=key.get(BenefitDimension.PROCESS),
        )


@strawberry.type(description="One month of a group: zero where the month has no records.")
class BenefitMonth:
    month: Month
    hours_saved: float
    cases: int
    fte: float = strawberry.field(description="hoursSaved as full-time staff over this month.")
    money: list[Money] = strawberry.field(description="One entry per currency; never converted.")
    record_count: int

    @strawberry.field(
        description="`money` converted to `to` with this month's reference rate, one entry"
        " per original currency (the ECB's daily rates averaged over the month, shipped as"
        " data; rateSource names them)."
    )
    def money_in(self, to: Currency) -> list[ConvertedMoney]:
        return converted(self.money, self.month, to)

    @classmethod
    def from_store(cls, point: MonthTotals) -> "BenefitMonth":
        return cls(
            month=Month(point.month),
            hours_saved=round(point.hours_saved, 2),
            cases=point.cases,
            fte=round(point.fte_years * 12, 3),
            money=_money(point.money),
            record_count=point.records,
        )


@strawberry.type(description="Sums over one kind of benefit records (or the kinds filtered on).")
class BenefitTotals:
    hours_saved: float
    cases: int
    money: list[Money] = strawberry.field(description="One entry per currency; never converted.")
    fte_years: float = strawberry.field(
        description="Hours as years of full-time work, each with its municipality's FTE hours."
    )
    fte: float = strawberry.field(
        description="Average full-time staff freed over the months with records."
    )
    months: int = strawberry.field(description="Months with at least one record.")
    process_count: int
    record_count: int
    series: list[BenefitMonth] = strawberry.field(
        description="Month by month, oldest first, from filter.from (else the group's first"
        " month) to filter.to (else its last), so the series of one group line up."
    )

    @classmethod
    def from_store(cls, totals: Totals, span: list[date]) -> "BenefitTotals":
        return cls(
            hours_saved=round(totals.hours_saved, 2),
            cases=totals.cases,
            money=_money(totals.money),
            fte_years=round(totals.fte_years, 3),
            fte=round(totals.fte, 3),
            months=totals.months,
            process_count=totals.processes,
            record_count=totals.records,
            series=[
                BenefitMonth.from_store(totals.series.get(m) or MonthTotals(month=m)) for m in span
            ],
        )


@strawberry.type(
    description="One group of benefit records. The plain totals count the kinds in"
    " filter.kind (default MEASURED, the realised benefits); `realised` and `estimated`"
    " show the two kinds side by side."
)
class BenefitGroup(BenefitTotals):
    key: BenefitGroupKey
    realised: BenefitTotals = strawberry.field(description="MEASURED records only.")
    estimated: BenefitTotals = strawberry.field(
        description="ESTIMATED records only (empty when filter.kind leaves them out)."
    )
    realisation_rate: float | None = strawberry.field(
        description="realised.hoursSaved / estimated.hoursSaved; null without estimates."
    )

    @classmethod
    def from_group(
        cls, group: StoreGroup, start: date | None, end: date | None, *, series: bool
    ) -> "BenefitGroup":
        span = _span(group, start, end) if series else []
        totals = BenefitTotals.from_store(group.totals, span)
        realised = group.kind(StoreKind.MEASURED)
        estimated = group.kind(StoreKind.ESTIMATED)
        return cls(
            key=BenefitGroupKey.from_store(group.key),
            **vars(totals),
            realised=BenefitTotals.from_store(realised, span),
            estimated=BenefitTotals.from_store(estimated, span),
            realisation_rate=round(realised.hours_saved / estimated.hours_saved, 4)
            if estimated.hours_saved
            else None,
        )


def _span(group: StoreGroup, start: date | None, end: date | None) -> list[date]:
    """The filter's months, else the group's; never outside a YEAR or MONTH key."""
    first, last = start or group.first_month, end or group.last_month
    if first is None or last is None:
        return []
    year, month = group.key.get(BenefitDimension.YEAR), group.key.get(BenefitDimension.MONTH)
    if year is not None:
        first, last = max(first, date(year, 1, 1)), min(last, date(year, 12, 1))
    if month is not None:
        first = last = month
    return month_range(first, last)
