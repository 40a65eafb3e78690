"""Reading municipalities, with keyset pages ordered by code."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Unpack

from sqlalchemy import BindParameter, ColumnElement, any_, exists, select
from sqlalchemy.engine import Row

from reusegraph.store.engine import Reader
from reusegraph.store.keys import any_of
from reusegraph.store.models import Municipality, municipality_it_system, municipality_technology
from reusegraph.store.pagination import Keyset, Page, PageArguments, count_rows

M = Municipality.__table__
ORDER = "CODE"
KEYSET = Keyset(ORDER, M.c.code, M.c.code)


@dataclass(frozen=True)
class MunicipalityQuery:
    codes: Sequence[str] | None = None
    countries: Sequence[str] | None = None
    name_contains: str | None = None
    uses_technologies: Sequence[str] | None = None
    uses_it_systems: Sequence[str] | None = None


def contains_pattern(text: str) -> str:
    """``ILIKE`` pattern for names containing ``text`` as written (wildcards escaped)."""
    return "%" + text.replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_") + "%"


def _one_of(column: ColumnElement[Any], values: Any) -> ColumnElement[bool]:
    """One array parameter when the compiled read path binds ``values`` per request."""
    if isinstance(values, BindParameter):
        return column == any_(values)
    return column.in_(values)


def _given(values: object) -> bool:
    return isinstance(values, BindParameter) or bool(values)


def municipality_filters(query: MunicipalityQuery) -> list[ColumnElement[bool]]:
    """The filters of ``municipalities``, for both read paths: a field may hold a value or
    a ``BindParameter`` of the compiled path (``name_contains``: its ``contains_pattern``)."""
    where: list[ColumnElement[bool]] = []
    if _given(query.codes):
        where.append(_one_of(M.c.code, query.codes))
    if _given(query.countries):
        where.append(_one_of(M.c.country, query.countries))
    if isinstance(query.name_contains, BindParameter):
        where.append(M.c.name.ilike(query.name_contains))
    elif query.name_contains:
        where.append(M.c.name.ilike(contains_pattern(query.name_contains)))
    if _given(query.uses_technologies):
        t = municipality_technology
        where.append(
            exists().where(
                t.c.municipality_code == M.c.code,
                _one_of(t.c.technology_code, query.uses_technologies),
            )
        )
    if _given(query.uses_it_systems):
        s = municipality_it_system
        where.append(
            exists().where(
                s.c.municipality_code == M.c.code,
                _one_of(s.c.it_system_code, query.uses_it_systems),
            )
        )
    return where


async def list_municipalities(
    reader: Reader,
    query: MunicipalityQuery,
    **arguments: Unpack[PageArguments],
) -> Page[Row[Any]]:
    return await KEYSET.page(reader, select(M).where(*municipality_filters(query)), **arguments)


async def count_municipalities(reader: Reader, query: MunicipalityQuery) -> int:
    return await count_rows(reader, M, municipality_filters(query))


async def municipalities_by_code(reader: Reader, codes: Sequence[str]) -> dict[str, Row[Any]]:
    rows = (await reader.execute(select(M).where(any_of(M.c.code, codes)))).all()
    return {row.code: row for row in rows}
