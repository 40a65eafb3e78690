"""Reading vendors: the agreements each is on, the processes it delivered, whom it serves.

Everything derived from processes (domains delivered in, municipalities served, counts,
realised hours) counts only the processes the viewer may read, so a vendor's aggregates
never reveal MUNICIPALITY or PERSONAL processes of other municipalities.
"""

import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import date
from typing import Any, Unpack

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    FromClause,
    cast,
    exists,
    false,
    func,
    literal,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.engine import Row

from reusegraph.auth.principal import Principal
from reusegraph.store.agreements import Day, in_force
from reusegraph.store.engine import Reader
from reusegraph.store.enums import BenefitKind
from reusegraph.store.keys import Values, given, one_of
from reusegraph.store.models import (
    BenefitRecord,
    FrameworkAgreement,
    Process,
    ProcessRollup,
    Vendor,
    agreement_party,
    agreement_vendor,
)
from reusegraph.store.pagination import Keyset, Page, PageArguments, count_rows
from reusegraph.store.processes import ProcessQuery
from reusegraph.store.processes import _conditions as process_conditions
from reusegraph.store.visibility import readable_processes

V = Vendor.__table__
P = Process.__table__
R = ProcessRollup.__table__
B = BenefitRecord.__table__
AV = agreement_vendor
AP = agreement_party
ORDER = "NAME"
KEYSET = Keyset(ORDER, V.c.name, V.c.id, parse_key=uuid.UUID)


@dataclass(frozen=True)
class VendorQuery:
    """A field may also hold a parameter the compiled read path binds per request."""

    countries: Values | None = None
    name_contains: str | BindParameter[Any] | None = None
    """A parameter holds the text lower-cased already."""
    agreements: Values | None = None
    on_active_agreement: bool | None = None
    """true: on an agreement in force on ``today``; false: on none."""
    agreement_expiring_by: Day | None = None
    """On an agreement in force on ``today`` that is no longer in force on this day."""
    delivered_in_domains: Values | None = None
    serves_municipalities: Values | None = None
    today: Day = field(default_factory=date.today)


def _agreement_exists(
    conditions: Callable[[FromClause], list[ColumnElement[bool]]],
) -> ColumnElement[bool]:
    """The vendor is on an agreement that meets ``conditions`` (given the agreement table)."""
    a = FrameworkAgreement.__table__.alias("va")
    return (
        exists()
        .select_from(AV.join(a, a.c.id == AV.c.agreement_id))
        .where(AV.c.vendor_id == V.c.id, *conditions(a))
    )


def vendor_filters(query: VendorQuery, readable: ColumnElement[bool]) -> list[ColumnElement[bool]]:
    """The filters of ``vendors``, for both read paths; ``readable`` is the visibility of
    the delivered processes they count (the compiled path leaves it to row-level security)."""
    where: list[ColumnElement[bool]] = []
    if given(query.countries):
        where.append(one_of(V.c.country, query.countries))
    needle = query.name_contains
    if isinstance(needle, str):
        needle = needle.lower() or None
    if needle is not None:
        where.append(func.strpos(func.lower(V.c.name), needle) > 0)
    if given(query.agreements):
        where.append(
            exists().where(AV.c.vendor_id == V.c.id, one_of(AV.c.agreement_id, query.agreements))
        )
    if query.on_active_agreement is not None:
        on = _agreement_exists(lambda a: [in_force(query.today, a)])
        where.append(on if query.on_active_agreement else ~on)
    if query.agreement_expiring_by is not None:
        by = query.agreement_expiring_by
        where.append(_agreement_exists(lambda a: [in_force(query.today, a), ~in_force(by, a)]))
    if given(query.delivered_in_domains):
        domains = query.delivered_in_domains
        if not isinstance(domains, BindParameter):
            domains = list(domains)
        where.append(
            exists().where(
                P.c.vendor_id == V.c.id,
                P.c.domains.op("&&")(cast(domains, P.c.domains.type)),
                readable,
            )
        )
    if given(query.serves_municipalities):
        codes = query.serves_municipalities
        where.append(
            or_(
                exists().where(
                    P.c.vendor_id == V.c.id, one_of(P.c.municipality_code, codes), readable
                ),
                exists()
                .select_from(AV.join(AP, AP.c.agreement_id == AV.c.agreement_id))
                .where(AV.c.vendor_id == V.c.id, one_of(AP.c.municipality_code, codes)),
            )
        )
    return where


def _conditions(viewer: Principal, query: VendorQuery) -> list[ColumnElement[bool]]:
    return vendor_filters(query, readable_processes(viewer))


async def list_vendors(
    reader: Reader,
    viewer: Principal,
    query: VendorQuery,
    **arguments: Unpack[PageArguments],
) -> Page[Row[Any]]:
    return await KEYSET.page(reader, select(V).where(*_conditions(viewer, query)), **arguments)


async def count_vendors(reader: Reader, viewer: Principal, query: VendorQuery) -> int:
    return await count_rows(reader, V, _conditions(viewer, query))


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


def frozen(query: ProcessQuery) -> ProcessQuery:
    """The same query with tuples for lists, so that it can be part of a DataLoader key."""
    values: dict[str, Any] = {f.name: getattr(query, f.name) for f in fields(query)}
    tuples: dict[str, Any] = {k: tuple(v) for k, v in values.items() if isinstance(v, list)}
    return replace(query, **tuples)


def _by_query(keys: Sequence[tuple[Any, ...]]) -> dict[tuple[Any, ...], list[uuid.UUID]]:
    """Vendor ids per the rest of the key: one statement per distinct query, not per vendor."""
    grouped: dict[tuple[Any, ...], list[uuid.UUID]] = defaultdict(list)
    for vendor_id, *rest in keys:
        grouped[tuple(rest)].append(vendor_id)
    return grouped


async def delivered_process_ids(
    reader: Reader, viewer: Principal, keys: Sequence[tuple[uuid.UUID, ProcessQuery, int]]
) -> dict[tuple[uuid.UUID, ProcessQuery, int], list[uuid.UUID]]:
    """The first ``n`` readable processes per vendor matching the query, newest first."""
    found: dict[tuple[uuid.UUID, ProcessQuery, int], list[uuid.UUID]] = defaultdict(list)
    for (query, first), vendor_ids in _by_query(keys).items():
        rank = func.row_number().over(
            partition_by=P.c.vendor_id, order_by=(P.c.updated_at.desc(), P.c.id.desc())
        )
        ranked = (
            select(P.c.vendor_id, P.c.id, rank.label("rank"))
            .where(P.c.vendor_id.in_(vendor_ids), *process_conditions(viewer, query))
            .subquery()
        )
        statement = (
            select(ranked.c.vendor_id, ranked.c.id)
            .where(ranked.c.rank <= first)
            .order_by(ranked.c.vendor_id, ranked.c.rank)
        )
        for vendor_id, process_id in (await reader.execute(statement)).all():
            found[(vendor_id, query, first)].append(process_id)
    return found


async def delivered_counts(
    reader: Reader, viewer: Principal, keys: Sequence[tuple[uuid.UUID, ProcessQuery]]
) -> dict[tuple[uuid.UUID, ProcessQuery], int]:
    found: dict[tuple[uuid.UUID, ProcessQuery], int] = {}
    for (query,), vendor_ids in _by_query(keys).items():
        statement = (
            select(P.c.vendor_id, func.count())
            .where(P.c.vendor_id.in_(vendor_ids), *process_conditions(viewer, query))
            .group_by(P.c.vendor_id)
        )
        for vendor_id, n in (await reader.execute(statement)).all():
            found[(vendor_id, query)] = int(n)
    return found


HoursKey = tuple[uuid.UUID, ProcessQuery, date | None, date | None]


async def delivered_hours(
    reader: Reader, viewer: Principal, keys: Sequence[HoursKey]
) -> dict[HoursKey, float]:
    """Realised (MEASURED) hours of the matching readable processes, per vendor.

    Over all months the per-process rollups have the sums (``process_rollup``); a period
    needs the benefit records themselves.
    """
    found: dict[HoursKey, float] = {}
    for (query, start, end), vendor_ids in _by_query(keys).items():
        if start is None and end is None:
            statement = (
                select(P.c.vendor_id, func.sum(R.c.realised_hours))
                .select_from(P.join(R, R.c.id == P.c.id))
                .where(
                    P.c.vendor_id.in_(vendor_ids),
                    R.c.measured_records > 0,
                    *process_conditions(viewer, query),
                )
                .group_by(P.c.vendor_id)
            )
        else:
            where = [P.c.vendor_id.in_(vendor_ids), B.c.kind == BenefitKind.MEASURED]
            if start is not None:
                where.append(B.c.period >= start)
            if end is not None:
                where.append(B.c.period <= end)
            statement = (
                select(P.c.vendor_id, func.sum(B.c.hours_saved))
                .select_from(P.join(B, B.c.process_id == P.c.id))
                .where(*where, *process_conditions(viewer, query))
                .group_by(P.c.vendor_id)
            )
        for vendor_id, hours in (await reader.execute(statement)).all():
            found[(vendor_id, query, start, end)] = float(hours)
    return found


async def municipalities_served(
    reader: Reader, viewer: Principal, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Row[Any]]]:
    """Owners of readable processes the vendor delivered, and parties of its agreements."""
    delivered = (
        select(
            P.c.vendor_id,
            P.c.municipality_code,
            func.count().label("processes"),
            false().label("on_agreement"),
        )
        .where(P.c.vendor_id.in_(ids), readable_processes(viewer))
        .group_by(P.c.vendor_id, P.c.municipality_code)
    )
    contracted = (
        select(AV.c.vendor_id, AP.c.municipality_code, literal(0), true())
        .select_from(AV.join(AP, AP.c.agreement_id == AV.c.agreement_id))
        .where(AV.c.vendor_id.in_(ids))
    )
    both = union_all(delivered, contracted).subquery()
    statement = (
        select(
            both.c.vendor_id,
            both.c.municipality_code,
            func.sum(both.c.processes).label("processes"),
            func.bool_or(both.c.on_agreement).label("on_agreement"),
        )
        .group_by(both.c.vendor_id, both.c.municipality_code)
        .order_by(both.c.vendor_id, func.sum(both.c.processes).desc(), both.c.municipality_code)
    )
    grouped: dict[uuid.UUID, list[Row[Any]]] = defaultdict(list)
    for row in (await reader.execute(statement)).all():
        grouped[row.vendor_id].append(row)
    return grouped
