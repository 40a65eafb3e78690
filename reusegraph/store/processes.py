"""Reading processes: filters, full-text search, keyset pages, lookups by id.

Every read applies ``visibility.readable_processes`` in SQL, and internal fields are
blanked in SQL for viewers outside the owning municipality.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    case,
    cast,
    exists,
    func,
    null,
    or_,
    select,
)
from sqlalchemy.engine import Row

from reusegraph.auth.principal import Principal
from reusegraph.store import scoring
from reusegraph.store.engine import Reader
from reusegraph.store.keys import any_of
from reusegraph.store.models import (
    Municipality,
    Process,
    ReuseLink,
    process_it_system,
    process_technology,
    process_umbrella,
)
from reusegraph.store.pagination import Page, fetch_page
from reusegraph.store.scoring import ScoreWeights
from reusegraph.store.umbrellas import UMBRELLA_TYPES
from reusegraph.store.visibility import readable_processes

P = Process.__table__
M = Municipality.__table__

INTERNAL_COLUMNS = ("internal_notes", "esdh_reference", "reporter", "owner", "co_editors")
EXPECTED_HOURS = (
    cast(P.c.runs_per_year, Float)
    * cast(P.c.minutes_per_run, Float)
    * cast(P.c.automation_percentage, Float)
    / 6000.0
)


class ProcessOrder(StrEnum):
    UPDATED_AT = "UPDATED_AT"
    CREATED_AT = "CREATED_AT"
    TITLE = "TITLE"
    EXPECTED_HOURS_PER_YEAR = "EXPECTED_HOURS_PER_YEAR"
    RELEVANCE = "RELEVANCE"
    SCORE = "SCORE"


@dataclass(frozen=True)
class ProcessQuery:
    """Filters combine with AND; a list means "any of"."""

    municipalities: Sequence[str] | None = None
    countries: Sequence[str] | None = None
    phases: Sequence[str] | None = None
    statuses: Sequence[str] | None = None
    domains: Sequence[str] | None = None
    technologies: Sequence[str] | None = None
    it_systems: Sequence[str] | None = None
    vendors: Sequence[uuid.UUID] | None = None
    kle_prefixes: Sequence[str] | None = None
    updated_since: datetime | None = None
    has_reuse: bool | None = None
    umbrellas: Sequence[uuid.UUID] | None = None
    """Members of any of these umbrellas."""
    is_umbrella: bool | None = None
    search: str | None = None


def ts_query(text: str) -> ColumnElement[Any]:
    """Match in Danish, Norwegian and simple stems: any of the three may match."""
    return (
        func.websearch_to_tsquery("danish", text)
        .op("||")(func.websearch_to_tsquery("norwegian", text))
        .op("||")(func.websearch_to_tsquery("simple", text))
    )


def _columns(viewer: Principal) -> list[ColumnElement[Any]]:
    own: ColumnElement[bool] | None = None
    if viewer.municipality is not None and viewer.is_member_of(viewer.municipality):
        own = P.c.municipality_code == viewer.municipality
    columns: list[ColumnElement[Any]] = []
    for column in P.c:
        if column.name in ("search", "title_trigrams"):
            continue
        if column.name in INTERNAL_COLUMNS:
            hidden = null() if own is None else case((own, column), else_=null())
            columns.append(hidden.label(column.name))
        else:
            columns.append(column)
    return columns


def process_columns(viewer: Principal) -> list[ColumnElement[Any]]:
    """The columns a viewer may see, internal ones blanked outside the owner: for other reads."""
    return _columns(viewer)


def _conditions(viewer: Principal, query: ProcessQuery) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [readable_processes(viewer)]
    if query.municipalities:
        where.append(P.c.municipality_code.in_(query.municipalities))
    if query.countries:
        where.append(
            P.c.municipality_code.in_(select(M.c.code).where(M.c.country.in_(query.countries)))
        )
    if query.phases:
        where.append(P.c.phase.in_(query.phases))
    if query.statuses:
        where.append(P.c.status.in_(query.statuses))
    if query.domains:
        where.append(P.c.domains.op("&&")(cast(list(query.domains), P.c.domains.type)))
    if query.technologies:
        t = process_technology
        where.append(
            exists().where(t.c.process_id == P.c.id, t.c.technology_code.in_(query.technologies))
        )
    if query.it_systems:
        s = process_it_system
        where.append(
            exists().where(s.c.process_id == P.c.id, s.c.it_system_code.in_(query.it_systems))
        )
    if query.vendors:
        where.append(P.c.vendor_id.in_(query.vendors))
    if query.kle_prefixes:
        where.append(or_(*(P.c.kle.startswith(prefix) for prefix in query.kle_prefixes)))
    if query.updated_since is not None:
        where.append(P.c.updated_at >= query.updated_since)
    if query.has_reuse is not None:
        r = ReuseLink.__table__
        linked = exists().where(or_(r.c.derived_id == P.c.id, r.c.origin_id == P.c.id))
        where.append(linked if query.has_reuse else ~linked)
    if query.umbrellas:
        u = process_umbrella
        where.append(exists().where(u.c.child_id == P.c.id, u.c.umbrella_id.in_(query.umbrellas)))
    if query.is_umbrella is not None:
        umbrella = P.c.type.in_(UMBRELLA_TYPES)
        where.append(umbrella if query.is_umbrella else ~umbrella)
    if query.search:
        where.append(P.c.search.op("@@")(ts_query(query.search)))
    return where


def _sort_key(order: ProcessOrder, query: ProcessQuery) -> ColumnElement[Any]:
    if order is ProcessOrder.UPDATED_AT:
        return P.c.updated_at
    if order is ProcessOrder.CREATED_AT:
        return P.c.created_at
    if order is ProcessOrder.TITLE:
        return P.c.title
    if order is ProcessOrder.EXPECTED_HOURS_PER_YEAR:
        return func.coalesce(EXPECTED_HOURS, -1.0)
    assert query.search, "RELEVANCE needs a search text"
    return func.ts_rank(P.c.search, ts_query(query.search))


async def list_processes(
    reader: Reader,
    viewer: Principal,
    query: ProcessQuery,
    *,
    order: ProcessOrder,
    descending: bool,
    first: int | None,
    after: str | None,
    last: int | None = None,
    before: str | None = None,
    weights: ScoreWeights | None = None,
) -> Page[Row[Any]]:
    name = order.value
    if order is ProcessOrder.SCORE:
        weights = weights or ScoreWeights()
        sort, name = scoring.score(viewer, weights), f"{name}:{weights.key}"
    else:
        sort = _sort_key(order, query)
    statement = select(*_columns(viewer)).where(*_conditions(viewer, query))
    return await fetch_page(
        reader,
        statement,
        order=name,
        sort=sort,
        key=P.c.id,
        descending=descending,
        first=first,
        after=after,
        last=last,
        before=before,
        parse_key=uuid.UUID,
    )


async def count_processes(reader: Reader, viewer: Principal, query: ProcessQuery) -> int:
    statement = select(func.count()).select_from(P).where(*_conditions(viewer, query))
    return int((await reader.execute(statement)).scalar_one())


async def processes_by_ids(
    reader: Reader, viewer: Principal, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Row[Any]]:
    statement = select(*_columns(viewer)).where(any_of(P.c.id, ids), readable_processes(viewer))
    return {row.id: row for row in (await reader.execute(statement)).all()}


async def process_refs_by_ids(
    reader: Reader, viewer: Principal, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Row[Any]]:
    """Only what the ends of a reuse graph are usually drawn with (``schema.Process.ref``)."""
    statement = select(P.c.id, P.c.title, P.c.phase, P.c.municipality_code, P.c.source_code).where(
        any_of(P.c.id, ids), readable_processes(viewer)
    )
    return {row.id: row for row in (await reader.execute(statement)).all()}


async def counts_by_municipality(
    reader: Reader, viewer: Principal, codes: Sequence[str]
) -> dict[str, int]:
    statement = (
        select(P.c.municipality_code, func.count())
        .where(any_of(P.c.municipality_code, codes), readable_processes(viewer))
        .group_by(P.c.municipality_code)
    )
    return {code: int(n) for code, n in (await reader.execute(statement)).all()}


def expected_hours_per_year(
    runs_per_year: int | None, minutes_per_run: Any, automation_percentage: int | None
) -> float | None:
    """OS2autoproces's formula, with decimals: runs x minutes x automation% / 60 / 100."""
    if runs_per_year is None or minutes_per_run is None or automation_percentage is None:
        return None
    return round(runs_per_year * float(minutes_per_run) * automation_percentage / 6000.0, 2)
