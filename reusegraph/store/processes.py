"""Reading processes: filters, full-text search, keyset pages, lookups by id.

Every read applies ``visibility.readable_processes`` in SQL, and internal fields are
blanked in SQL for viewers outside the owning municipality.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any, Unpack

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Float,
    any_,
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
from reusegraph.store.pagination import Keyset, Page, PageArguments, count_rows
from reusegraph.store.process_fields import PROCESS_FIELDS
from reusegraph.store.scoring import ScoreWeights
from reusegraph.store.search_normaliser import to_danish, to_norwegian
from reusegraph.store.umbrellas import UMBRELLA_TYPES
from reusegraph.store.visibility import readable_processes, sees_internals

P = Process.__table__
M = Municipality.__table__

INTERNAL_COLUMNS = tuple(f.column for f in PROCESS_FIELDS if f.owner_only)
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
    """Match in Danish, Norwegian and simple stems, of the text as typed or folded into the
    other language's spelling (`search_normaliser`): any of them may match."""
    return (
        func.websearch_to_tsquery("danish", text)
        .op("||")(func.websearch_to_tsquery("norwegian", text))
        .op("||")(func.websearch_to_tsquery("simple", text))
        .op("||")(func.websearch_to_tsquery("danish", to_danish(text)))
        .op("||")(func.websearch_to_tsquery("norwegian", to_norwegian(text)))
    )


def _columns(viewer: Principal) -> list[ColumnElement[Any]]:
    own = sees_internals(P)
    columns: list[ColumnElement[Any]] = []
    for column in P.c:
        if column.name in ("search", "title_trigrams"):
            continue
        if column.name in INTERNAL_COLUMNS:
            columns.append(case((own, column), else_=null()).label(column.name))
        else:
            columns.append(column)
    return columns


def process_columns(viewer: Principal) -> list[ColumnElement[Any]]:
    """The columns a viewer may see, internal ones blanked outside the owner: for other reads."""
    return _columns(viewer)


def _one_of(column: ColumnElement[Any], values: "Sequence[Any] | BindParameter[Any]") -> Any:
    """``column = ANY(values)``: one array parameter, whether ``values`` is a list or a
    parameter the compiled read path binds per request (``reusegraph.compiler``)."""
    if isinstance(values, BindParameter):
        return column == any_(values)
    return any_of(column, values)


def _given(values: object) -> bool:
    return isinstance(values, BindParameter) or bool(values)


def process_filters(query: ProcessQuery) -> list[ColumnElement[bool]]:
    """The filters of ``processes``, for both read paths: a field of ``query`` may hold a
    value or a ``BindParameter`` (the compiled path's, bound per request). Visibility is
    not among them: ``_conditions`` adds it, and the compiled path leaves it to RLS."""
    where: list[ColumnElement[bool]] = []
    if _given(query.municipalities):
        where.append(_one_of(P.c.municipality_code, query.municipalities))  # type: ignore[arg-type]
    if _given(query.countries):
        in_country = _one_of(M.c.country, query.countries)  # type: ignore[arg-type]
        where.append(P.c.municipality_code.in_(select(M.c.code).where(in_country)))
    if _given(query.phases):
        where.append(_one_of(P.c.phase, query.phases))  # type: ignore[arg-type]
    if _given(query.statuses):
        where.append(_one_of(P.c.status, query.statuses))  # type: ignore[arg-type]
    if _given(query.domains):
        domains = query.domains
        if not isinstance(domains, BindParameter):
            domains = list(domains)  # type: ignore[arg-type]
        where.append(P.c.domains.op("&&")(cast(domains, P.c.domains.type)))
    if _given(query.technologies):
        t = process_technology
        where.append(
            exists().where(
                t.c.process_id == P.c.id,
                _one_of(t.c.technology_code, query.technologies),  # type: ignore[arg-type]
            )
        )
    if _given(query.it_systems):
        s = process_it_system
        where.append(
            exists().where(
                s.c.process_id == P.c.id,
                _one_of(s.c.it_system_code, query.it_systems),  # type: ignore[arg-type]
            )
        )
    if _given(query.vendors):
        where.append(_one_of(P.c.vendor_id, query.vendors))  # type: ignore[arg-type]
    if isinstance(query.kle_prefixes, BindParameter):
        # Any number of prefixes in one array parameter; the prefixes are checked
        # (NN.NN.NN, no wildcards), so "starts with" is LIKE 'prefix%' as below.
        where.append(P.c.kle.op("^@")(any_(query.kle_prefixes)))
    elif query.kle_prefixes:
        where.append(or_(*(P.c.kle.startswith(prefix) for prefix in query.kle_prefixes)))
    if query.updated_since is not None:
        where.append(P.c.updated_at >= query.updated_since)
    if query.has_reuse is not None:
        r = ReuseLink.__table__
        linked = exists().where(or_(r.c.derived_id == P.c.id, r.c.origin_id == P.c.id))
        where.append(linked if query.has_reuse else ~linked)
    if _given(query.umbrellas):
        u = process_umbrella
        members = _one_of(u.c.umbrella_id, query.umbrellas)  # type: ignore[arg-type]
        where.append(exists().where(u.c.child_id == P.c.id, members))
    if query.is_umbrella is not None:
        umbrella = _one_of(P.c.type, UMBRELLA_TYPES)
        where.append(umbrella if query.is_umbrella else ~umbrella)
    if _given(query.search):
        where.append(P.c.search.op("@@")(ts_query(query.search)))  # type: ignore[arg-type]
    return where


def _conditions(viewer: Principal, query: ProcessQuery) -> list[ColumnElement[bool]]:
    return [readable_processes(viewer), *process_filters(query)]


def sort_key(order: ProcessOrder, query: ProcessQuery) -> ColumnElement[Any]:
    if order is ProcessOrder.UPDATED_AT:
        return P.c.updated_at
    if order is ProcessOrder.CREATED_AT:
        return P.c.created_at
    if order is ProcessOrder.TITLE:
        return P.c.title
    if order is ProcessOrder.EXPECTED_HOURS_PER_YEAR:
        return func.coalesce(EXPECTED_HOURS, -1.0)
    assert query.search is not None, "RELEVANCE needs a search text"
    return func.ts_rank(P.c.search, ts_query(query.search))


async def list_processes(
    reader: Reader,
    viewer: Principal,
    query: ProcessQuery,
    *,
    order: ProcessOrder,
    descending: bool,
    weights: ScoreWeights | None = None,
    **arguments: Unpack[PageArguments],
) -> Page[Row[Any]]:
    name = order.value
    if order is ProcessOrder.SCORE:
        weights = weights or ScoreWeights()
        sort, name = scoring.score(viewer, weights), f"{name}:{weights.key}"
    else:
        sort = sort_key(order, query)
    statement = select(*_columns(viewer)).where(*_conditions(viewer, query))
    keyset = Keyset(name, sort, P.c.id, descending=descending, parse_key=uuid.UUID)
    return await keyset.page(reader, statement, **arguments)


async def count_processes(reader: Reader, viewer: Principal, query: ProcessQuery) -> int:
    return await count_rows(reader, P, _conditions(viewer, query))


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
    """OS2autoproces's formula, with decimals: runs x minutes x automation% / 60 / 100.

    In decimal arithmetic, rounded half up to cents, as PostgreSQL's ``numeric`` does it
    (``compiler.fields``): binary floats rounded 2869.125 down to 2869.12.
    """
    if runs_per_year is None or minutes_per_run is None or automation_percentage is None:
        return None
    exact = Decimal(runs_per_year) * Decimal(minutes_per_run) * automation_percentage / 6000
    return float(exact.quantize(_CENT, ROUND_HALF_UP))


_CENT = Decimal("0.01")
