"""Benefit records per process, and the grouped summary analysts ask for.

Hours, cases and FTE sum across everything; money is summed per currency only. FTE uses
each owning municipality's own FTE hours, because the sources disagree on the factor.
"""

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Integer, cast, distinct, exists, func, select, true
from sqlalchemy.engine import Row

from reusegraph.auth.principal import Principal
from reusegraph.store.engine import Reader
from reusegraph.store.models import BenefitRecord, Municipality, Process, process_technology
from reusegraph.store.visibility import readable_processes

B = BenefitRecord.__table__
P = Process.__table__
M = Municipality.__table__
PT = process_technology


class BenefitDimension(StrEnum):
    MUNICIPALITY = "MUNICIPALITY"
    COUNTRY = "COUNTRY"
    DOMAIN = "DOMAIN"
    TECHNOLOGY = "TECHNOLOGY"
    VENDOR = "VENDOR"
    YEAR = "YEAR"
    MONTH = "MONTH"
    KIND = "KIND"
    PROCESS = "PROCESS"


@dataclass(frozen=True)
class BenefitQuery:
    municipalities: Sequence[str] | None = None
    countries: Sequence[str] | None = None
    domains: Sequence[str] | None = None
    technologies: Sequence[str] | None = None
    vendors: Sequence[uuid.UUID] | None = None
    processes: Sequence[uuid.UUID] | None = None
    kinds: Sequence[str] | None = None
    period_from: date | None = None
    period_to: date | None = None


@dataclass
class BenefitGroup:
    key: dict[BenefitDimension, Any]
    hours_saved: float = 0.0
    cases: int = 0
    fte_years: float = 0.0
    months: int = 0
    processes: int = 0
    records: int = 0
    money: dict[str, Decimal] = field(default_factory=dict)

    @property
    def fte(self) -> float:
        """Average full-time staff freed over the months the group covers."""
        return self.fte_years * 12 / self.months if self.months else 0.0


async def benefits_by_process(
    reader: Reader, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Row[Any]]]:
    """Callers pass ids of processes they may read; the FTE factor comes along."""
    statement = (
        select(B, M.c.fte_hours_per_year)
        .join(P, P.c.id == B.c.process_id)
        .join(M, M.c.code == P.c.municipality_code)
        .where(B.c.process_id.in_(ids))
        .order_by(B.c.period, B.c.kind)
    )
    grouped: dict[uuid.UUID, list[Row[Any]]] = defaultdict(list)
    for row in (await reader.execute(statement)).all():
        grouped[row.process_id].append(row)
    return grouped


async def hours_by_process(
    reader: Reader, keys: Sequence[tuple[uuid.UUID, str]]
) -> dict[tuple[uuid.UUID, str], float]:
    ids = list({process_id for process_id, _ in keys})
    kinds = list({kind for _, kind in keys})
    statement = (
        select(B.c.process_id, B.c.kind, func.sum(B.c.hours_saved))
        .where(B.c.process_id.in_(ids), B.c.kind.in_(kinds))
        .group_by(B.c.process_id, B.c.kind)
    )
    rows = await reader.execute(statement)
    return {(process_id, kind): float(total) for process_id, kind, total in rows}


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


async def summarize(
    reader: Reader,
    viewer: Principal,
    dimensions: Sequence[BenefitDimension],
    query: BenefitQuery,
) -> list[BenefitGroup]:
    """Two statements: totals per group, then money per group and currency."""
    domain_values = func.unnest(P.c.domains).table_valued("value").render_derived("d")
    source: Any = B.join(P, P.c.id == B.c.process_id).join(M, M.c.code == P.c.municipality_code)
    if BenefitDimension.DOMAIN in dimensions:
        source = source.join(domain_values, true())
    if BenefitDimension.TECHNOLOGY in dimensions:
        source = source.outerjoin(PT, PT.c.process_id == P.c.id)
    dims = _dimension_columns(dimensions, domain_values.c.value, PT.c.technology_code)

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

    totals = (
        select(
            *dims,
            func.sum(B.c.hours_saved).label("hours"),
            func.coalesce(func.sum(B.c.cases), 0).label("cases"),
            func.sum(B.c.hours_saved / M.c.fte_hours_per_year).label("fte_years"),
            func.count(distinct(B.c.period)).label("months"),
            func.count(distinct(P.c.id)).label("processes"),
            func.count().label("records"),
        )
        .select_from(source)
        .where(*where)
        .group_by(*dims)
        .order_by(*dims)
    )
    money = (
        select(*dims, B.c.currency, func.sum(B.c.money_amount).label("amount"))
        .select_from(source)
        .where(*where, B.c.currency.is_not(None))
        .group_by(*dims, B.c.currency)
    )
    names = [d.value.lower() for d in dimensions]
    groups: dict[tuple[Any, ...], BenefitGroup] = {}
    for row in (await reader.execute(totals)).mappings():
        key = tuple(row[n] for n in names)
        groups[key] = BenefitGroup(
            key=dict(zip(dimensions, key, strict=True)),
            hours_saved=float(row["hours"]),
            cases=int(row["cases"]),
            fte_years=float(row["fte_years"]),
            months=int(row["months"]),
            processes=int(row["processes"]),
            records=int(row["records"]),
        )
    for row in (await reader.execute(money)).mappings():
        key = tuple(row[n] for n in names)
        groups[key].money[row["currency"]] = row["amount"]
    return list(groups.values())
