"""The reuse network: most reused processes, reuse given and taken, the edge list.

A link counts only when the viewer can read both of its processes. A link's date is
``reused_on``, or the day it was recorded when the source gives no date. Reuse within one
municipality is a link of the graph, but not reuse given or taken between municipalities.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Date, Select, cast, distinct, func, or_, select
from sqlalchemy.engine import Row
from sqlalchemy.orm import aliased

from reusegraph.auth.principal import Principal
from reusegraph.store.engine import Reader
from reusegraph.store.models import Process, ReuseLink
from reusegraph.store.processes import process_columns
from reusegraph.store.visibility import readable_processes

P = Process.__table__
L = ReuseLink.__table__
ORIGIN = aliased(P, name="origin")
DERIVED = aliased(P, name="derived")
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


async def leaderboard(
    reader: Reader, viewer: Principal, period: Period, *, first: int
) -> list[Leader]:
    """Processes by the number of other municipalities that reused them, then by links."""
    reused = (
        select(
            L.c.origin_id,
            func.count(distinct(DERIVED.c.municipality_code)).label("municipality_count"),
            func.count().label("link_count"),
            func.array_agg(distinct(DERIVED.c.municipality_code)).label("municipalities"),
        )
        .select_from(LINKS)
        .where(
            DERIVED.c.municipality_code != ORIGIN.c.municipality_code,
            *_visible(viewer, period),
        )
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


def _graph_where(
    viewer: Principal, municipalities: Sequence[str] | None, period: Period
) -> list[ColumnElement[bool]]:
    where = _visible(viewer, period)
    if municipalities:
        where.append(
            or_(
                ORIGIN.c.municipality_code.in_(municipalities),
                DERIVED.c.municipality_code.in_(municipalities),
            )
        )
    return where


async def graph_links(
    reader: Reader,
    viewer: Principal,
    municipalities: Sequence[str] | None,
    period: Period,
    *,
    first: int,
) -> tuple[list[Row[Any]], bool]:
    """Links touching any of ``municipalities`` (all if None), oldest first; and whether
    there were more than ``first``."""
    statement = (
        select(L)
        .select_from(LINKS)
        .where(*_graph_where(viewer, municipalities, period))
        .order_by(REUSED_ON, L.c.id)
        .limit(first + 1)
    )
    rows = list((await reader.execute(statement)).all())
    return rows[:first], len(rows) > first


@dataclass(frozen=True)
class MunicipalityEdge:
    origin: str
    derived: str
    links: int
    kinds: list[str]


async def municipality_edges(
    reader: Reader, viewer: Principal, municipalities: Sequence[str] | None, period: Period
) -> list[MunicipalityEdge]:
    """The same links summed per (origin municipality, derived municipality)."""
    statement = (
        select(
            ORIGIN.c.municipality_code.label("origin"),
            DERIVED.c.municipality_code.label("derived"),
            func.count().label("links"),
            func.array_agg(distinct(L.c.kind)).label("kinds"),
        )
        .select_from(LINKS)
        .where(*_graph_where(viewer, municipalities, period))
        .group_by(ORIGIN.c.municipality_code, DERIVED.c.municipality_code)
        .order_by(ORIGIN.c.municipality_code, DERIVED.c.municipality_code)
    )
    return [
        MunicipalityEdge(row.origin, row.derived, int(row.links), sorted(row.kinds))
        for row in (await reader.execute(statement)).all()
    ]
