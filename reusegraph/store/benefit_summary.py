"""The grouped benefit summary: realised and estimated side by side, with monthly series.

Summaries that group and filter only on municipality, country, time and kind are read
from the rollups (``models.rollups``, migration 0006) rather than the records: monthly
totals per municipality, and per municipality the sets of months processes have records
in (so that processes are counted once each over any range of months). Those rollups hold
what anyone may read; a member's own municipality's internal processes are added from
their records, for the member who may read them. Other summaries read the records.

Either way one statement rolls the rows up with GROUPING SETS: per group, kind and currency
(and month, when a series is asked for) for the sums and the money, and per group and kind
for the distinct counts (processes, months), which cannot be added up from the finer rows.
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
    and_,
    cast,
    distinct,
    exists,
    func,
    literal_column,
    not_,
    null,
    select,
    true,
    tuple_,
    union_all,
)

from reusegraph.auth.principal import Principal
from reusegraph.store.benefits import BenefitDimension, BenefitQuery
from reusegraph.store.engine import Reader
from reusegraph.store.enums import BenefitKind
from reusegraph.store.models import BenefitRecord, Municipality, Process, process_technology
from reusegraph.store.models.rollups import BenefitMonthSet, BenefitMonthTotal
from reusegraph.store.visibility import readable_by_everyone, readable_processes

B = BenefitRecord.__table__
P = Process.__table__
M = Municipality.__table__
T = BenefitMonthTotal.__table__
S = BenefitMonthSet.__table__
PT = process_technology

ROLLED_UP = frozenset(
    {
        BenefitDimension.MUNICIPALITY,
        BenefitDimension.COUNTRY,
        BenefitDimension.YEAR,
        BenefitDimension.MONTH,
        BenefitDimension.KIND,
    }
)
"""Dimensions the rollups keep."""

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
    """Without a kind filter both kinds are read, so they can be compared."""
    counted = counted_kinds(query)
    across_kinds = len(counted) > 1 and BenefitDimension.KIND not in dimensions
    if uses_rollups(dimensions, query):
        statement = rollup_statement(viewer, dimensions, query, series=series)
    else:
        statement = summary_statement(viewer, dimensions, query, series=series)
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


def uses_rollups(dimensions: Sequence[BenefitDimension], query: BenefitQuery) -> bool:
    """Whether the rollups hold what this summary needs: its dimensions and filters are
    municipality, country, time and kind, and processes are counted per kind."""
    counted = counted_kinds(query)
    across_kinds = len(counted) > 1 and BenefitDimension.KIND not in dimensions
    return (
        set(dimensions) <= ROLLED_UP
        and not across_kinds
        and not (query.domains or query.technologies or query.vendors or query.processes)
    )


def _private_processes(viewer: Principal) -> ColumnElement[bool] | None:
    """The processes the viewer may read that the rollups leave out (their own
    municipality's internal ones); None: none."""
    if viewer.municipality is None or not viewer.is_member_of(viewer.municipality):
        return None
    return and_(
        P.c.municipality_code == viewer.municipality,
        not_(readable_by_everyone(P)),
        readable_processes(viewer),
    )


def _rollup_conditions(query: BenefitQuery, code: Any, period: Any, kind: Any) -> list[Any]:
    where: list[Any] = []
    if query.municipalities:
        where.append(code.in_(query.municipalities))
    if query.countries:
        where.append(M.c.country.in_(query.countries))
    if query.kinds:
        where.append(kind.in_(query.kinds))
    if period is not None and query.period_from is not None:
        where.append(period >= query.period_from)
    if period is not None and query.period_to is not None:
        where.append(period <= query.period_to)
    return where


def _rolled_dimensions(dimensions: Sequence[BenefitDimension], u: Any) -> list[Any]:
    expressions: dict[BenefitDimension, ColumnElement[Any]] = {
        BenefitDimension.MUNICIPALITY: u.municipality_code,
        BenefitDimension.COUNTRY: M.c.country,
        BenefitDimension.YEAR: cast(func.extract("year", u.period), Integer),
        BenefitDimension.MONTH: u.period,
        BenefitDimension.KIND: u.kind,
    }
    return [expressions[d].label(d.value.lower()) for d in dimensions]


def rollup_statement(
    viewer: Principal,
    dimensions: Sequence[BenefitDimension],
    query: BenefitQuery,
    *,
    series: bool,
) -> Select[Any]:
    """``summary_statement``'s rows from the monthly totals (plus, for a member, their own
    internal processes' records), with ``process_count_statement``'s counts joined to the
    per-kind rows (within one month, a process has one record per kind: records are
    processes)."""
    public = (
        select(
            T.c.municipality_code,
            T.c.period,
            T.c.kind,
            func.nullif(T.c.currency, "").label("currency"),
            T.c.records,
            T.c.hours,
            T.c.cases,
            T.c.money,
        )
        .select_from(T.join(M, M.c.code == T.c.municipality_code))
        .where(
            T.c.public,
            T.c.records > 0,
            *_rollup_conditions(query, T.c.municipality_code, T.c.period, T.c.kind),
        )
    )
    parts: list[Select[Any]] = [public]
    private = _private_processes(viewer)
    if private is not None:
        parts.append(
            select(
                P.c.municipality_code,
                B.c.period,
                B.c.kind,
                B.c.currency,
                func.count().label("records"),
                func.sum(B.c.hours_saved).label("hours"),
                func.coalesce(func.sum(B.c.cases), 0).label("cases"),
                func.sum(B.c.money_amount).label("money"),
            )
            .select_from(
                B.join(P, P.c.id == B.c.process_id).join(M, M.c.code == P.c.municipality_code)
            )
            .where(private, *_rollup_conditions(query, P.c.municipality_code, B.c.period, B.c.kind))
            .group_by(P.c.municipality_code, B.c.period, B.c.kind, B.c.currency)
        )
    units = union_all(*parts).subquery("units") if len(parts) > 1 else public.subquery("units")
    u = units.c
    dims = _rolled_dimensions(dimensions, u)
    detail = [*dims, u.kind, u.currency, *([u.period] if series else [])]
    money = func.sum(u.money)
    summed = (
        select(
            *dims,
            u.kind.label("_kind"),
            u.currency.label("_currency"),
            (u.period if series else null()).label("_period"),
            func.grouping(u.kind, u.currency).label("_level"),
            func.sum(u.hours).label("_hours"),
            func.coalesce(func.sum(u.cases), 0).label("_cases"),
            func.sum(u.hours / M.c.fte_hours_per_year).label("_fte_years"),
            func.sum(u.records).label("_records"),
            money.label("_amount"),
            func.sum(u.records).label("_processes"),
            func.count(distinct(u.period)).label("_months"),
            func.min(u.period).label("_first_month"),
            func.max(u.period).label("_last_month"),
        )
        .select_from(units.join(M, M.c.code == u.municipality_code))
        .group_by(func.grouping_sets(tuple_(*detail), tuple_(*dims, u.kind)))
    )
    if BenefitDimension.MONTH in dimensions:
        # Within one month a process has one record per kind: there, records are processes.
        return summed.order_by(*dims)
    sums = summed.subquery("sums")
    counts = process_count_statement(viewer, dimensions, query).subquery("counts")
    names = [d.value.lower() for d in dimensions]
    per_kind = and_(
        sums.c._level == _PER_KIND,
        sums.c._kind == counts.c._kind,
        *(sums.c[n] == counts.c[n] for n in names),
    )
    return (
        select(
            *(c for c in sums.c if c.name != "_processes"),
            func.coalesce(counts.c._processes, 0).label("_processes"),
        )
        .select_from(sums.outerjoin(counts, per_kind))
        .order_by(*(sums.c[n] for n in names))
    )


def process_count_statement(
    viewer: Principal, dimensions: Sequence[BenefitDimension], query: BenefitQuery
) -> Any:
    """Processes with records in the months asked for, per group and kind (``_kind``,
    ``_processes``): from the month sets, plus a member's own internal processes from
    their records."""
    month = func.unnest(S.c.months).table_valued("value").render_derived("m")
    in_range = _rollup_conditions(
        BenefitQuery(period_from=query.period_from, period_to=query.period_to),
        None,
        month.c.value,
        None,
    )
    years = (
        select(cast(func.extract("year", month.c.value), Integer).label("year"))
        .select_from(month)
        .where(*in_range)
        .distinct()
        .lateral("years")
    )
    by_year = BenefitDimension.YEAR in dimensions
    expressions: dict[BenefitDimension, ColumnElement[Any]] = {
        BenefitDimension.MUNICIPALITY: S.c.municipality_code,
        BenefitDimension.COUNTRY: M.c.country,
        BenefitDimension.YEAR: years.c.year,
        BenefitDimension.KIND: S.c.kind,
    }
    dims = [expressions[d].label(d.value.lower()) for d in dimensions]
    source: Any = S.join(M, M.c.code == S.c.municipality_code)
    where = [
        S.c.public,
        S.c.processes > 0,
        *_rollup_conditions(query, S.c.municipality_code, None, S.c.kind),
    ]
    if by_year:
        source = source.join(years, true())
    elif in_range:
        where.append(exists(select(literal_column("1")).select_from(month).where(*in_range)))
    public = (
        select(*dims, S.c.kind.label("_kind"), func.sum(S.c.processes).label("_processes"))
        .select_from(source)
        .where(*where)
        .group_by(*dims, S.c.kind)
    )
    private = _private_processes(viewer)
    if private is None:
        return public
    record_dims = _dimension_columns(dimensions, None, None)
    both = union_all(
        public,
        select(
            *record_dims, B.c.kind.label("_kind"), func.count(distinct(P.c.id)).label("_processes")
        )
        .select_from(B.join(P, P.c.id == B.c.process_id).join(M, M.c.code == P.c.municipality_code))
        .where(private, *_rollup_conditions(query, P.c.municipality_code, B.c.period, B.c.kind))
        .group_by(*record_dims, B.c.kind),
    ).subquery("parts")
    keys = [both.c[d.value.lower()] for d in dimensions]
    return select(*keys, both.c._kind, func.sum(both.c._processes).label("_processes")).group_by(
        *keys, both.c._kind
    )


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
