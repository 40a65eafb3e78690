"""Reading framework agreements; their end date follows from the options exercised."""

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Unpack

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    FromClause,
    Integer,
    and_,
    cast,
    exists,
    func,
    or_,
    select,
)
from sqlalchemy.engine import Row

from reusegraph.store.engine import Reader
from reusegraph.store.keys import Values, given, one_of
from reusegraph.store.models import (
    AgreementDocument,
    FrameworkAgreement,
    Municipality,
    agreement_party,
    agreement_vendor,
)
from reusegraph.store.pagination import Keyset, Page, PageArguments, count_rows

A = FrameworkAgreement.__table__
AP = agreement_party
AV = agreement_vendor
D = AgreementDocument.__table__
M = Municipality.__table__
ORDER = "START_DATE"
KEYSET = Keyset(ORDER, A.c.start_date, A.c.id, descending=True, parse_key=uuid.UUID)
Day = date | BindParameter[Any]


def add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    last = [31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
    return date(year, month, min(day.day, last))


def end_date(
    start: date, initial_term_months: int, option_months: Sequence[int], exercised: int
) -> date:
    """Last day in force: start + initial term + the exercised options, minus one day."""
    months = initial_term_months + sum(option_months[:exercised])
    return add_months(start, months) - timedelta(days=1)


def in_force_on(row: Any, day: date) -> bool:
    """Started, not past its end date (options exercised), not terminated by ``day``."""
    if row.terminated_on is not None and row.terminated_on <= day:
        return False
    options = list(row.option_months or [])
    last = end_date(row.start_date, row.initial_term_months, options, row.options_exercised)
    return bool(row.start_date <= day <= last)


def options_left(row: Any) -> int:
    return len(row.option_months or []) - int(row.options_exercised)


def term_end(table: FromClause = A, *, every_option: bool = False) -> ColumnElement[Any]:
    """The first moment no longer in force: SQL twin of ``end_date`` plus one day, with the
    options exercised so far (or, ``every_option``, all of them)."""
    c = table.c
    chosen = c.option_months if every_option else c.option_months[1 : c.options_exercised]
    options = func.unnest(chosen).table_valued("months").render_derived(name="exercised")
    exercised = select(func.coalesce(func.sum(options.c.months), 0)).select_from(options)
    months = c.initial_term_months + exercised.scalar_subquery()
    return c.start_date + func.make_interval(0, cast(months, Integer))


def in_force(day: Day, table: FromClause = A) -> ColumnElement[bool]:
    """SQL twin of ``in_force_on``, for filters that must run in the database."""
    c = table.c
    return and_(
        c.start_date <= day,
        term_end(table) > day,
        or_(c.terminated_on.is_(None), c.terminated_on > day),
    )


def has_options_left(table: FromClause = A) -> ColumnElement[bool]:
    return func.coalesce(func.cardinality(table.c.option_months), 0) > table.c.options_exercised


@dataclass(frozen=True)
class AgreementQuery:
    """A field may also hold a parameter the compiled read path binds per request."""

    municipalities: Values | None = None
    vendors: Values | None = None
    kinds: Values | None = None
    active_on: Day | None = None
    expiring_by: Day | None = None
    """In force on ``active_on`` (default today) and no longer on this day."""
    with_options_left: bool | None = None


def agreement_filters(query: AgreementQuery) -> list[ColumnElement[bool]]:
    """The filters of ``frameworkAgreements``, for both read paths."""
    where: list[ColumnElement[bool]] = []
    if given(query.municipalities):
        where.append(
            exists().where(
                AP.c.agreement_id == A.c.id, one_of(AP.c.municipality_code, query.municipalities)
            )
        )
    if given(query.vendors):
        where.append(
            exists().where(AV.c.agreement_id == A.c.id, one_of(AV.c.vendor_id, query.vendors))
        )
    if given(query.kinds):
        where.append(one_of(A.c.kind, query.kinds))
    if query.active_on is not None:
        where.append(in_force(query.active_on))
    if query.expiring_by is not None:
        where.append(in_force(query.active_on if query.active_on is not None else date.today()))
        where.append(~in_force(query.expiring_by))
    if query.with_options_left is not None:
        left = has_options_left()
        where.append(left if query.with_options_left else ~left)
    return where


async def list_agreements(
    reader: Reader,
    query: AgreementQuery,
    **arguments: Unpack[PageArguments],
) -> Page[Row[Any]]:
    return await KEYSET.page(reader, select(A).where(*agreement_filters(query)), **arguments)


async def count_agreements(reader: Reader, query: AgreementQuery) -> int:
    return await count_rows(reader, A, agreement_filters(query))


async def agreements_by_id(reader: Reader, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Row[Any]]:
    rows = (await reader.execute(select(A).where(A.c.id.in_(ids)))).all()
    return {row.id: row for row in rows}


async def agreements_by_vendor(
    reader: Reader, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Row[Any]]]:
    statement = (
        select(AV.c.vendor_id.label("_owner"), A)
        .join(A, A.c.id == AV.c.agreement_id)
        .where(AV.c.vendor_id.in_(ids))
        .order_by(A.c.start_date.desc(), A.c.id)
    )
    grouped: dict[uuid.UUID, list[Row[Any]]] = defaultdict(list)
    for row in (await reader.execute(statement)).all():
        grouped[row._owner].append(row)
    return grouped


async def parties_by_agreement(
    reader: Reader, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[str]]:
    statement = select(AP.c.agreement_id, AP.c.municipality_code).where(AP.c.agreement_id.in_(ids))
    grouped: dict[uuid.UUID, list[str]] = defaultdict(list)
    for agreement_id, code in (
        await reader.execute(statement.order_by(AP.c.municipality_code))
    ).all():
        grouped[agreement_id].append(code)
    return grouped


async def documents_by_agreement(
    reader: Reader, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Row[Any]]]:
    statement = select(D).where(D.c.agreement_id.in_(ids)).order_by(D.c.title, D.c.id)
    grouped: dict[uuid.UUID, list[Row[Any]]] = defaultdict(list)
    for row in (await reader.execute(statement)).all():
        grouped[row.agreement_id].append(row)
    return grouped
