"""Reading municipalities, with keyset pages ordered by code."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, exists, func, select
from sqlalchemy.engine import Row

from reusegraph.store.engine import Reader
from reusegraph.store.keys import any_of
from reusegraph.store.models import Municipality, municipality_it_system, municipality_technology
from reusegraph.store.pagination import Page, fetch_page

M = Municipality.__table__
ORDER = "CODE"


@dataclass(frozen=True)
class MunicipalityQuery:
    codes: Sequence[str] | None = None
    countries: Sequence[str] | None = None
    name_contains: str | None = None
    uses_technologies: Sequence[str] | None = None
    uses_it_systems: Sequence[str] | None = None


def _conditions(query: MunicipalityQuery) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if query.codes:
        where.append(M.c.code.in_(query.codes))
    if query.countries:
        where.append(M.c.country.in_(query.countries))
    if query.name_contains:
        pattern = query.name_contains.replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_")
        where.append(M.c.name.ilike(f"%{pattern}%"))
    if query.uses_technologies:
        t = municipality_technology
        where.append(
            exists().where(
                t.c.municipality_code == M.c.code,
                t.c.technology_code.in_(query.uses_technologies),
            )
        )
    if query.uses_it_systems:
        s = municipality_it_system
        where.append(
            exists().where(
                s.c.municipality_code == M.c.code, s.c.it_system_code.in_(query.uses_it_systems)
            )
        )
    return where


async def list_municipalities(
    reader: Reader,
    query: MunicipalityQuery,
    *,
    first: int | None,
    after: str | None,
    last: int | None = None,
    before: str | None = None,
) -> Page[Row[Any]]:
    statement = select(M).where(*_conditions(query))
    return await fetch_page(
        reader,
        statement,
        order=ORDER,
        sort=M.c.code,
        key=M.c.code,
        descending=False,
        first=first,
        after=after,
        last=last,
        before=before,
    )


async def count_municipalities(reader: Reader, query: MunicipalityQuery) -> int:
    statement = select(func.count()).select_from(M).where(*_conditions(query))
    return int((await reader.execute(statement)).scalar_one())


async def municipalities_by_code(reader: Reader, codes: Sequence[str]) -> dict[str, Row[Any]]:
    rows = (await reader.execute(select(M).where(any_of(M.c.code, codes)))).all()
    return {row.code: row for row in rows}
