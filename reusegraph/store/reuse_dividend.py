"""The reuse dividend: development hours a reuser did not spend because it built on others.

For one reuse link it is the origin's ``development_hours`` minus the derived process's:
what building the first one cost, less what the reuse cost. Both must be known; an unknown
side leaves the link's dividend unknown (``None``), never 0. It may be negative (the reuse
cost more than the original). A municipality's dividend per year sums its links as the
reuser (the derived side) with other municipalities' processes as origin, dated like every
reuse link (``reused_on``, else the day it was recorded); links with an unknown side are
counted apart, so a sum over some links never passes for a sum over all.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Integer, and_, cast, extract, func, select
from sqlalchemy.orm import aliased

from reusegraph.auth.principal import Principal
from reusegraph.store.engine import Reader
from reusegraph.store.keys import any_of
from reusegraph.store.models import Process, ReuseLink
from reusegraph.store.network import REUSED_ON, Period
from reusegraph.store.visibility import readable_processes

L = ReuseLink.__table__
ORIGIN = aliased(Process.__table__, name="origin")
DERIVED = aliased(Process.__table__, name="derived")
AVOIDED = ORIGIN.c.development_hours - DERIVED.c.development_hours


def _links(viewer: Principal) -> tuple[Any, Any]:
    joined = L.join(ORIGIN, ORIGIN.c.id == L.c.origin_id).join(
        DERIVED, DERIVED.c.id == L.c.derived_id
    )
    return joined, and_(readable_processes(viewer, ORIGIN), readable_processes(viewer, DERIVED))


async def hours_avoided_by_link(
    reader: Reader, viewer: Principal, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Decimal | None]:
    joined, readable = _links(viewer)
    statement = select(L.c.id, AVOIDED.label("avoided")).select_from(joined)
    rows = (await reader.execute(statement.where(any_of(L.c.id, ids), readable))).all()
    return {row.id: row.avoided for row in rows}


@dataclass(frozen=True)
class YearDividend:
    municipality_code: str
    year: int
    links: int
    links_with_hours: int
    hours_avoided: Decimal | None
    origin_hours: Decimal | None
    reuser_hours: Decimal | None


async def dividend_per_year(
    reader: Reader, viewer: Principal, codes: Sequence[str], period: Period
) -> list[YearDividend]:
    """Per reusing municipality (all with links, or ``codes``) and year, oldest first."""
    joined, readable = _links(viewer)
    year = cast(extract("year", REUSED_ON), Integer).label("year")
    known = and_(ORIGIN.c.development_hours.isnot(None), DERIVED.c.development_hours.isnot(None))
    where = [readable, ORIGIN.c.municipality_code != DERIVED.c.municipality_code]
    if codes:
        where.append(DERIVED.c.municipality_code.in_(list(codes)))
    if period.start is not None:
        where.append(period.start <= REUSED_ON)
    if period.end is not None:
        where.append(period.end >= REUSED_ON)
    statement = (
        select(
            DERIVED.c.municipality_code,
            year,
            func.count().label("links"),
            func.count().filter(known).label("known"),
            func.sum(AVOIDED).label("avoided"),
            func.sum(ORIGIN.c.development_hours).filter(known).label("origin"),
            func.sum(DERIVED.c.development_hours).filter(known).label("reuser"),
        )
        .select_from(joined)
        .where(*where)
        .group_by(DERIVED.c.municipality_code, year)
        .order_by(year, DERIVED.c.municipality_code)
    )
    return [
        YearDividend(row[0], row.year, row.links, row.known, row.avoided, row.origin, row.reuser)
        for row in (await reader.execute(statement)).all()
    ]
