"""The grouped benefit summary: realised and estimated side by side, with monthly series.

One statement rolls the records up with GROUPING SETS: per group, kind and currency (and
month, when a series is asked for) for the sums and the money, and per group and kind for
the distinct counts (processes, months), which cannot be added up from the finer rows.
Everything else is added up here. Money is kept per currency and never converted; FTE
divides each record's hours by its own municipality's FTE hours, because the sources
disagree on the factor.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    cast,
    distinct,
    exists,
    func,
    null,
    select,
    true,
    tuple_,
)

from reusegraph.auth.principal import Principal
from reusegraph.store.benefits import BenefitDimension, BenefitQuery
from reusegraph.store.engine import Reader
from reusegraph.store.enums import BenefitKind
from reusegraph.store.models import BenefitRecord, Municipality, Process, process_technology
from reusegraph.store.visibility import readable_processes

B = BenefitRecord.__table__
P = Process.__table__
M = Municipality.__table__
PT = process_technology

# grouping(kind, currency): which grouping set a row belongs to.
_DETAIL, _PER_KIND, _PER_GROUP = 0, 1, 3


@dataclass
class MonthTotals:
    month: date
    hours_saved: float = 0.0
    cases: int = 0
    fte_years: float = 0.0
    records: int = 0
    money: dict[str, Decimal] = field(default_factory=dict)

    def add(self, other: "MonthTotals") -> None:
        self.hours_saved += other.hours_saved
        self.cases += other.cases
        self.fte_years += other.fte_years
        self.records += other.records
        for currency, amount in other.money.items():
            self.money[currency] = self.money.get(currency, Decimal(0)) + amount


@dataclass
class Totals:
    """Sums over some records; ``series`` is filled only when it was asked for."""

    hours_saved: float = 0.0
    cases: int = 0
    fte_years: float = 0.0
    records: int = 0
    processes: int = 0
    months: int = 0
    money: dict[str, Decimal] = field(default_factory=dict)
    series: dict[date, MonthTotals] = field(default_factory=dict)

    @property
    def fte(self) -> float:
        """Average full-time staff freed over the months with records."""
        return self.fte_years * 12 / self.months if self.months else 0.0


@dataclass
class BenefitGroup:
    """``totals`` counts the kinds the filter asked for (MEASURED by default)."""

    key: dict[BenefitDimension, Any]
    totals: Totals = field(default_factory=Totals)
    by_kind: dict[str, Totals] = field(default_factory=dict)
    first_month: date | None = None
    last_month: date | None = None

    def kind(self, kind: str) -> Totals:
        return self.by_kind.get(kind) or Totals()


def _dimension_columns(
    dimensions: Sequence[BenefitDimension], domain: Any, technology: Any
) -> list[ColumnElement[Any]]:
    expressions: dict[BenefitDimension, ColumnElement[Any]] = {
        BenefitDimension.MUNICIPALITY: P.c.municipality_code,
        BenefitDimension.COUNTRY: M.c.country,
        BenefitDimension.DOMAIN: domain,
        BenefitDimension.TECHNOLOGY: technology,
        BenefitDimension.VENDOR: P.c.vendor_id,
        BenefitDimension.YEAR: cast(func.extract("year", B.c.period), Integer),
        BenefitDimension.MONTH: B.c.period,
        BenefitDimension.KIND: B.c.kind,
        BenefitDimension.PROCESS: P.c.id,
    }
    return [expressions[d].label(d.value.lower()) for d in dimensions]


def _conditions(viewer: Principal, query: BenefitQuery) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [readable_processes(viewer)]
    if query.municipalities:
        where.append(P.c.municipality_code.in_(query.municipalities))
    if query.countries:
        where.append(M.c.country.in_(query.countries))
    if query.domains:
        where.append(P.c.domains.op("&&")(cast(list(query.domains), P.c.domains.type)))
    if query.technologies:
        t = PT.alias("tf")
        where.append(
            exists().where(t.c.process_id == P.c.id, t.c.technology_code.in_(query.technologies))
        )
    if query.vendors:
        where.append(P.c.vendor_id.in_(query.vendors))
    if query.processes:
        where.append(P.c.id.in_(query.processes))
    if query.kinds:
        where.append(B.c.kind.in_(query.kinds))
    if query.period_from is not None:
        where.append(B.c.period >= query.period_from)
    if query.period_to is not None:
        where.append(B.c.period <= query.period_to)
    return where


def counted_kinds(query: BenefitQuery) -> list[str]:
    """The kinds the plain totals add up: those filtered on, else MEASURED (realised) only."""
    return list(query.kinds) if query.kinds else [BenefitKind.MEASURED.value]


async def summarize(
    reader: Reader,
    viewer: Principal,
    dimensions: Sequence[BenefitDimension],
    query: BenefitQuery,
    *,
    series: bool = False,
) -> list[BenefitGroup]:
    """One statement. Without a kind filter both kinds are read, so they can be compared."""
    statement = summary_statement(viewer, dimensions, query, series=series)
    counted = counted_kinds(query)
    across_kinds = len(counted) > 1 and BenefitDimension.KIND not in dimensions
    names = [d.value.lower() for d in dimensions]
    groups: dict[tuple[Any, ...], BenefitGroup] = {}
    for row in (await reader.execute(statement)).mappings():
        key = tuple(row[n] for n in names)
        group = groups.get(key)
        if group is None:
            group = groups[key] = BenefitGroup(key=dict(zip(dimensions, key, strict=True)))
        _take(group, row, series)
    for group in groups.values():
        _count_totals(group, counted, across_kinds)
    return list(groups.values())


def summary_statement(
    viewer: Principal,
    dimensions: Sequence[BenefitDimension],
    query: BenefitQuery,
    *,
    series: bool,
) -> Select[Any]:
    domain_values = func.unnest(P.c.domains).table_valued("value").render_derived("d")
    source: Any = B.join(P, P.c.id == B.c.process_id).join(M, M.c.code == P.c.municipality_code)
    if BenefitDimension.DOMAIN in dimensions:
        source = source.join(domain_values, true())
    if BenefitDimension.TECHNOLOGY in dimensions:
        source = source.outerjoin(PT, PT.c.process_id == P.c.id)
    dims = _dimension_columns(dimensions, domain_values.c.value, PT.c.technology_code)
    counted = counted_kinds(query)
    across_kinds = len(counted) > 1 and BenefitDimension.KIND not in dimensions

    detail = [*dims, B.c.kind, B.c.currency, *([B.c.period] if series else [])]
    sets = [tuple_(*detail), tuple_(*dims, B.c.kind)]
    if across_kinds:
        sets.append(tuple_(*dims))
    counted_distincts: list[ColumnElement[Any]] = []
    if across_kinds:
        in_counted = B.c.kind.in_(counted)
        counted_distincts = [
            func.count(distinct(P.c.id)).filter(in_counted).label("_counted_processes"),
            func.count(distinct(B.c.period)).filter(in_counted).label("_counted_months"),
        ]
    return (
        select(
            *dims,
            B.c.kind.label("_kind"),
            B.c.currency.label("_currency"),
            (B.c.period if series else null()).label("_period"),
            func.grouping(B.c.kind, B.c.currency).label("_level"),
            func.sum(B.c.hours_saved).label("_hours"),
            func.coalesce(func.sum(B.c.cases), 0).label("_cases"),
            func.sum(B.c.hours_saved / M.c.fte_hours_per_year).label("_fte_years"),
            func.count().label("_records"),
            func.sum(B.c.money_amount).label("_amount"),
            func.count(distinct(P.c.id)).label("_processes"),
            func.count(distinct(B.c.period)).label("_months"),
            *counted_distincts,
            func.min(B.c.period).label("_first_month"),
            func.max(B.c.period).label("_last_month"),
        )
        .select_from(source)
        .where(*_conditions(viewer, query))
        .group_by(func.grouping_sets(*sets))
        .order_by(*dims)
    )


def _take(group: BenefitGroup, row: Any, series: bool) -> None:
    if row["_level"] == _PER_GROUP:
        group.totals.processes = int(row["_counted_processes"])
        group.totals.months = int(row["_counted_months"])
        return
    totals = group.by_kind.setdefault(row["_kind"], Totals())
    if row["_level"] == _PER_KIND:
        totals.hours_saved = float(row["_hours"])
        totals.cases = int(row["_cases"])
        totals.fte_years = float(row["_fte_years"])
        totals.records = int(row["_records"])
        totals.processes, totals.months = int(row["_processes"]), int(row["_months"])
        first, last = row["_first_month"], row["_last_month"]
        group.first_month = min(group.first_month or first, first)
        group.last_month = max(group.last_month or last, last)
        return
    currency = row["_currency"]
    if currency is not None:
        totals.money[currency] = totals.money.get(currency, Decimal(0)) + row["_amount"]
    if series:
        point = MonthTotals(
            month=row["_period"],
            hours_saved=float(row["_hours"]),
            cases=int(row["_cases"]),
            fte_years=float(row["_fte_years"]),
            records=int(row["_records"]),
            money={currency: row["_amount"]} if currency is not None else {},
        )
        totals.series.setdefault(point.month, MonthTotals(month=point.month)).add(point)


def _count_totals(group: BenefitGroup, counted: Sequence[str], across_kinds: bool) -> None:
    totals = group.totals
    for kind in counted:
        part = group.by_kind.get(kind)
        if part is None:
            continue
        totals.hours_saved += part.hours_saved
        totals.cases += part.cases
        totals.fte_years += part.fte_years
        totals.records += part.records
        for currency, amount in part.money.items():
            totals.money[currency] = totals.money.get(currency, Decimal(0)) + amount
        for month, point in part.series.items():
            totals.series.setdefault(month, MonthTotals(month=month)).add(point)
        if not across_kinds:
            totals.processes, totals.months = part.processes, part.months


def month_range(first: date, last: date) -> list[date]:
    months, current = [], first
    while current <= last:
        months.append(current)
        current = date(current.year + current.month // 12, current.month % 12 + 1, 1)
    return months
