"""Reading the audit log: newest first, keyset pages on (at, id).

Who may read which entry is the ``audit_entry_read`` policy (migration 0011): admins
every entry, an editor their own municipality's. This module only narrows by the filter,
so a bug here can show less, never more.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Unpack, cast

from sqlalchemy import ColumnElement, Table, select
from sqlalchemy.engine import Row

from reusegraph.store.engine import Reader
from reusegraph.store.models import AuditEntry
from reusegraph.store.pagination import Keyset, Page, PageArguments, count_rows

E = cast(Table, AuditEntry.__table__)
ORDER = "AUDIT_AT"
KEYSET = Keyset(ORDER, E.c.at, E.c.id, descending=True, parse_key=int)


@dataclass(frozen=True)
class AuditQuery:
    municipality: str | None = None
    entity: str | None = None
    entity_id: str | None = None
    at_from: datetime | None = None
    at_to: datetime | None = None


def _conditions(query: AuditQuery) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if query.municipality is not None:
        where.append(E.c.municipality_code == query.municipality)
    if query.entity is not None:
        where.append(E.c.entity == query.entity)
    if query.entity_id is not None:
        where.append(E.c.entity_id == query.entity_id)
    if query.at_from is not None:
        where.append(E.c.at >= query.at_from)
    if query.at_to is not None:
        where.append(E.c.at <= query.at_to)
    return where


async def list_entries(
    reader: Reader,
    query: AuditQuery,
    **arguments: Unpack[PageArguments],
) -> Page[Row[Any]]:
    return await KEYSET.page(reader, select(E).where(*_conditions(query)), **arguments)


async def count_entries(reader: Reader, query: AuditQuery) -> int:
    return await count_rows(reader, E, _conditions(query))
