"""Reading vendors, and which agreements each is on."""

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, exists, func, select
from sqlalchemy.engine import Row

from reusegraph.store.engine import Reader
from reusegraph.store.models import Vendor, agreement_vendor
from reusegraph.store.pagination import Page, fetch_page

V = Vendor.__table__
AV = agreement_vendor
ORDER = "NAME"


@dataclass(frozen=True)
class VendorQuery:
    countries: Sequence[str] | None = None
    name_contains: str | None = None
    agreements: Sequence[uuid.UUID] | None = None


def _conditions(query: VendorQuery) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if query.countries:
        where.append(V.c.country.in_(query.countries))
    if query.name_contains:
        where.append(func.strpos(func.lower(V.c.name), query.name_contains.lower()) > 0)
    if query.agreements:
        where.append(
            exists().where(AV.c.vendor_id == V.c.id, AV.c.agreement_id.in_(query.agreements))
        )
    return where


async def list_vendors(
    reader: Reader, query: VendorQuery, *, first: int, after: str | None
) -> Page[Row[Any]]:
    return await fetch_page(
        reader,
        select(V).where(*_conditions(query)),
        order=ORDER,
        sort=V.c.name,
        key=V.c.id,
        descending=False,
        first=first,
        after=after,
        parse_key=uuid.UUID,
    )


async def count_vendors(reader: Reader, query: VendorQuery) -> int:
    statement = select(func.count()).select_from(V).where(*_conditions(query))
    return int((await reader.execute(statement)).scalar_one())


async def vendors_by_id(reader: Reader, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Row[Any]]:
    rows = (await reader.execute(select(V).where(V.c.id.in_(ids)))).all()
    return {row.id: row for row in rows}


async def vendors_by_agreement(
    reader: Reader, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Row[Any]]]:
    statement = (
        select(AV.c.agreement_id.label("_owner"), V)
        .join(V, V.c.id == AV.c.vendor_id)
        .where(AV.c.agreement_id.in_(ids))
        .order_by(V.c.name)
    )
    grouped: dict[uuid.UUID, list[Row[Any]]] = defaultdict(list)
    for row in (await reader.execute(statement)).all():
        grouped[row._owner].append(row)
    return grouped
