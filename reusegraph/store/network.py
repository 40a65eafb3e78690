"""The reuse network: most reused processes, reuse given and taken, the edge list.

A link counts only when the viewer can read both of its processes. A link's date is
``reused_on``, or the day it was recorded when the source gives no date. Reuse within one
municipality is a link of the graph, but not reuse given or taken between municipalities.

Both ends are read from ``process_rollup`` (the same visibility as ``process``, in a row a
tenth as wide), and a graph around some municipalities starts from their processes
(an index) instead of filtering every link, reading each link once.
"""

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    Select,
    Subquery,
    cast,
    distinct,
    func,
    select,
    tuple_,
    union_all,
)
from sqlalchemy.engine import Row
from sqlalchemy.orm import aliased

from reusegraph.auth.principal import Principal
from reusegraph.store.engine import Reader
from reusegraph.store.models import Process, ProcessRollup, ReuseLink
from reusegraph.store.pagination import InvalidCursor, decode_cursor, encode_cursor
from reusegraph.store.processes import process_columns
from reusegraph.store.visibility import readable_processes

P = Process.__table__
R = ProcessRollup.__table__
L = ReuseLink.__table__
ORIGIN = aliased(R, name="origin")
DERIVED = aliased(R, name="derived")
LINKS = L.join(ORIGIN, ORIGIN.c.id == L.c.origin_id).join(DERIVED, DERIVED.c.id == L.c.derived_id)
REUSED_ON = func.coalesce(L.c.reused_on, cast(L.c.created_at, Date))


class Direction(StrEnum):
    GIVEN = "GIVEN"
    TAKEN = "TAKEN"


@dataclass(frozen=True)
class Period:
    start: date | None = None
    end: date | None = None


@dataclass(frozen=True)
class Leader:
    row: Row[Any]
    municipality_count: int
    link_count: int
    municipalities: list[str]


@dataclass(frozen=True)
class Tally:
    links: int = 0
    processes: int = 0
    municipalities: tuple[str, ...] = ()


def _visible(viewer: Principal, period: Period) -> list[ColumnElement[bool]]:
    where = [readable_processes(viewer, ORIGIN), readable_processes(viewer, DERIVED)]
    if period.start is not None:
        where.append(period.start <= REUSED_ON)
    if period.end is not None:
        where.append(period.end >= REUSED_ON)
    return where


def _member_bonus(viewer: Principal) -> int:
    """How many more municipalities than the public ones a viewer may see reuse from: a
    member also reads their own municipality's internal processes."""
    return int(viewer.municipality is not None and viewer.is_member_of(viewer.municipality))


async def leaderboard(
    reader: Reader, viewer: Principal, period: Period, *, first: int
) -> list[Leader]:
    """Processes by the number of other municipalities that reused them, then by links.

    Exact without counting every link: a process's count is at most its rollup's
    ``reused_by`` plus the member bonus, so first only processes whose ``reused_by``
    reaches the ``first``-th highest are counted (an index range). When the ``first``-th
    count found reaches that bound, no other process can; otherwise the range widens to
    that count once, and with too few reused processes every link counts.

    ``first`` of 0 (or less) answers ``[]`` at once: the bound is the ``first``-th row,
    which does not exist then (``OFFSET -1`` is an error in PostgreSQL).
    """
    if first <= 0:
        return []
    bonus = _member_bonus(viewer)
    highest = (
        select(R.c.reused_by)
        .where(readable_processes(viewer, R))
        .order_by(R.c.reused_by.desc())
        .offset(first - 1)
        .limit(1)
    )
    minimum = (await reader.execute(highest)).scalar()
    while minimum:
        leaders = await _leaders(reader, viewer, period, first, minimum)
        least = leaders[-1].municipality_count if len(leaders) == first else 0
        if least >= minimum + bonus:
            return leaders
        minimum = least - bonus if 0 < least - bonus < minimum else 0
    return await _leaders(reader, viewer, period, first, None)


async def _leaders(
    reader: Reader, viewer: Principal, period: Period, first: int, minimum: int | None
) -> list[Leader]:
    """The best ``first`` among processes with ``reused_by >= minimum`` (None: all)."""
    where = [DERIVED.c.municipality_code != ORIGIN.c.municipality_code, *_visible(viewer, period)]
    if minimum is not None:
        where.append(ORIGIN.c.reused_by >= minimum)
    reused = (
        select(
            L.c.origin_id,
            func.count(distinct(DERIVED.c.municipality_code)).label("municipality_count"),
            func.count().label("link_count"),
            func.array_agg(distinct(DERIVED.c.municipality_code)).label("municipalities"),
        )
        .select_from(LINKS)
        .where(*where)
        .group_by(L.c.origin_id)
        .subquery("reused")
    )
    statement = (
        select(
            *process_columns(viewer),
            reused.c.municipality_count.label("_municipality_count"),
            reused.c.link_count.label("_link_count"),
            reused.c.municipalities.label("_municipalities"),
        )
        .select_from(P.join(reused, reused.c.origin_id == P.c.id))
        .order_by(reused.c.municipality_count.desc(), reused.c.link_count.desc(), P.c.id)
        .limit(first)
    )
    return [
        Leader(
            row=row,
            municipality_count=int(row._municipality_count),
            link_count=int(row._link_count),
            municipalities=sorted(row._municipalities),
        )
        for row in (await reader.execute(statement)).all()
    ]


def _tally_statement(viewer: Principal, direction: Direction, period: Period) -> Select[Any]:
    own, other = (ORIGIN, DERIVED) if direction is Direction.GIVEN else (DERIVED, ORIGIN)
    return (
        select(
            own.c.municipality_code.label("code"),
            func.count().label("links"),
            func.count(distinct(own.c.id)).label("processes"),
            func.array_agg(distinct(other.c.municipality_code)).label("partners"),
        )
        .select_from(LINKS)
        .where(
            other.c.municipality_code != own.c.municipality_code,
            *_visible(viewer, period),
        )
        .group_by(own.c.municipality_code)
    )


TallyKey = tuple[str, Direction, Period]


async def tallies(
    reader: Reader, viewer: Principal, keys: Sequence[TallyKey]
) -> dict[TallyKey, Tally]:
    """Reuse given or taken per municipality: one statement per (direction, period) asked."""
    codes_by: dict[tuple[Direction, Period], list[str]] = defaultdict(list)
    for code, direction, period in keys:
        codes_by[(direction, period)].append(code)
    found: dict[TallyKey, Tally] = {}
    for (direction, period), codes in codes_by.items():
        own = ORIGIN if direction is Direction.GIVEN else DERIVED
        statement = _tally_statement(viewer, direction, period).where(
            own.c.municipality_code.in_(codes)
        )
        for row in (await reader.execute(statement)).all():
            partners = tuple(sorted(row.partners))
            found[(row.code, direction, period)] = Tally(row.links, row.processes, partners)
    return {key: found.get(key, Tally()) for key in keys}


def _links_touching(
    viewer: Principal, municipalities: Sequence[str] | None, period: Period
) -> Subquery:
    """The readable links touching any of ``municipalities`` (all if None), each once, with
    both ends' municipalities (``origin_code``, ``derived_code``).

    Two branches, each driven from one end's processes in those municipalities (an index
    on the rollup) to their links (an index per end): every link is read, and its
    row-level security checked, once, instead of once to find it and once to return it.
    The second branch leaves out links the first one found.
    """
    columns = (
        *L.c,
        ORIGIN.c.municipality_code.label("origin_code"),
        DERIVED.c.municipality_code.label("derived_code"),
    )
    visible = _visible(viewer, period)
    if not municipalities:
        return select(*columns).select_from(LINKS).where(*visible).subquery("links")
    codes = list(municipalities)
    from_origin = (
        select(*columns).select_from(LINKS).where(*visible, ORIGIN.c.municipality_code.in_(codes))
    )
    from_derived = (
        select(*columns)
        .select_from(LINKS)
        .where(
            *visible,
            DERIVED.c.municipality_code.in_(codes),
            ORIGIN.c.municipality_code.not_in(codes),
        )
    )
    return union_all(from_origin, from_derived).subquery("links")


async def _touching_rows(
    reader: Reader, viewer: Principal, municipalities: Sequence[str], period: Period
) -> list[Row[Any]]:
    links = _links_touching(viewer, municipalities, period)
    reused_on = func.coalesce(links.c.reused_on, cast(links.c.created_at, Date))
    statement = select(links, reused_on.label("_on")).order_by(reused_on, links.c.id)
    return list((await reader.execute(statement)).all())


GRAPH_ORDER = "reusedOn"


def graph_cursor(row: Row[Any]) -> str:
    """Where the next page of links starts: after this link's (date, id)."""
    return encode_cursor(GRAPH_ORDER, row._on.isoformat(), row.id)


def _graph_after(cursor: str) -> tuple[date, uuid.UUID]:
    """Raises InvalidCursor for anything ``graph_cursor`` did not make."""
    value, key = decode_cursor(cursor, GRAPH_ORDER)
    try:
        return date.fromisoformat(value), uuid.UUID(key)
    except (TypeError, ValueError) as error:
        raise InvalidCursor("`after` is not a cursor returned by this API") from error


@dataclass(frozen=True)
class GraphPage:
    links: list[Row[Any]]
    """Oldest first; each row has its date as ``_on``."""
    more: bool
    """More links than ``first`` after these."""
    touching: list[Row[Any]] | None
    """Around some municipalities: every matching link, read once for the page and for
    ``municipality_edges`` (one snapshot); None for the whole network, which is paged
    and summed in SQL."""


async def graph_links(
    reader: Reader,
    viewer: Principal,
    municipalities: Sequence[str] | None,
    period: Period,
    *,
    first: int,
    after: str | None = None,
) -> GraphPage:
    """Links touching any of ``municipalities`` (all if None), oldest first, after the
    cursor."""
    start = _graph_after(after) if after is not None else None
    if municipalities:
        touching = await _touching_rows(reader, viewer, municipalities, period)
        rows = touching
        if start is not None:
            rows = [row for row in rows if (row._on, row.id) > start]
        return GraphPage(rows[:first], len(rows) > first, touching)
    links = _links_touching(viewer, municipalities, period)
    reused_on = func.coalesce(links.c.reused_on, cast(links.c.created_at, Date))
    statement = select(*(links.c[column.name] for column in L.c), reused_on.label("_on"))
    if start is not None:
        statement = statement.where(tuple_(reused_on, links.c.id) > tuple_(*start))
    statement = statement.order_by(reused_on, links.c.id).limit(first + 1)
    rows = list((await reader.execute(statement)).all())
    return GraphPage(rows[:first], len(rows) > first, None)


@dataclass(frozen=True)
class MunicipalityEdge:
    origin: str
    derived: str
    links: int
    kinds: list[str]


async def municipality_edges(
    reader: Reader, viewer: Principal, page: GraphPage, period: Period
) -> list[MunicipalityEdge]:
    """The links of ``page``'s graph, all of them, summed per (origin municipality,
    derived municipality)."""
    if page.touching is not None:
        pairs: dict[tuple[str, str], list[str]] = defaultdict(list)
        for row in page.touching:
            pairs[(row.origin_code, row.derived_code)].append(row.kind)
        return [
            MunicipalityEdge(origin, derived, len(kinds), sorted(set(kinds)))
            for (origin, derived), kinds in sorted(pairs.items())
        ]
    links = _links_touching(viewer, None, period)
    statement = (
        select(
            links.c.origin_code.label("origin"),
            links.c.derived_code.label("derived"),
            func.count().label("links"),
            func.array_agg(distinct(links.c.kind)).label("kinds"),
        )
        .group_by(links.c.origin_code, links.c.derived_code)
        .order_by(links.c.origin_code, links.c.derived_code)
    )
    return [
        MunicipalityEdge(row.origin, row.derived, int(row.links), sorted(row.kinds))
        for row in (await reader.execute(statement)).all()
    ]
