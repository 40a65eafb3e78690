"""IT systems and technologies: the vocabularies, and who uses which."""

import uuid
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import FromClause, select
from sqlalchemy.engine import Row

from reusegraph.store.engine import Reader
from reusegraph.store.keys import any_of
from reusegraph.store.models import (
    ItSystem,
    Technology,
    municipality_it_system,
    municipality_technology,
    process_it_system,
    process_technology,
)

S = ItSystem.__table__
T = Technology.__table__


async def all_it_systems(reader: Reader) -> list[Row[Any]]:
    return list((await reader.execute(select(S).order_by(S.c.name))).all())


async def all_technologies(reader: Reader) -> list[Row[Any]]:
    return list((await reader.execute(select(T).order_by(T.c.name))).all())


async def unknown_codes(reader: Reader, table: FromClause, codes: Sequence[str]) -> list[str]:
    """The codes that name no row of ``table`` (keyed by ``code``), in the order given."""
    statement = select(table.c.code).where(table.c.code.in_(codes))
    found = set((await reader.execute(statement)).scalars())
    return [code for code in codes if code not in found]


async def _grouped(
    reader: Reader,
    vocabulary: FromClause,
    link: FromClause,
    owner: str,
    code: str,
    keys: Sequence[Any],
) -> dict[Any, list[Row[Any]]]:
    statement = (
        select(link.c[owner].label("_owner"), vocabulary)
        .join(vocabulary, vocabulary.c.code == link.c[code])
        .where(any_of(link.c[owner], keys))
        .order_by(vocabulary.c.name)
    )
    grouped: dict[Any, list[Row[Any]]] = defaultdict(list)
    for row in (await reader.execute(statement)).all():
        grouped[row._owner].append(row)
    return grouped


async def it_systems_by_process(
    reader: Reader, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Row[Any]]]:
    return await _grouped(reader, S, process_it_system, "process_id", "it_system_code", ids)


async def technologies_by_process(
    reader: Reader, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Row[Any]]]:
    return await _grouped(reader, T, process_technology, "process_id", "technology_code", ids)


async def it_systems_by_municipality(
    reader: Reader, codes: Sequence[str]
) -> dict[str, list[Row[Any]]]:
    link = municipality_it_system
    return await _grouped(reader, S, link, "municipality_code", "it_system_code", codes)


async def technologies_by_municipality(
    reader: Reader, codes: Sequence[str]
) -> dict[str, list[Row[Any]]]:
    link = municipality_technology
    return await _grouped(reader, T, link, "municipality_code", "technology_code", codes)


async def it_systems_by_code(reader: Reader, codes: Sequence[str]) -> dict[str, Row[Any]]:
    rows = (await reader.execute(select(S).where(S.c.code.in_(codes)))).all()
    return {row.code: row for row in rows}


async def technologies_by_code(reader: Reader, codes: Sequence[str]) -> dict[str, Row[Any]]:
    rows = (await reader.execute(select(T).where(T.c.code.in_(codes)))).all()
    return {row.code: row for row in rows}
