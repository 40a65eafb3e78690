"""Reading the audit log: newest first, keyset pages on (at, id).

Who may read which entry is the ``audit_entry_read`` policy (migration 0011): admins
every entry, an editor their own municipality's. This module only narrows by the filter,
so a bug here can show less, never more.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, func, select
from sqlalchemy.engine import Row

from reusegraph.store.engine import Reader
from reusegraph.store.models import AuditEntry
from reusegraph.store.pagination import Page, fetch_page

E = cast(Table, AuditEntry.__table__)
ORDER = "AUDIT_AT"


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
    *,
    first: int | None,
    after: str | None,
    last: int | None = None,
    before: str | None = None,
) -> Page[Row[Any]]:
    return await fetch_page(
        reader,
        select(E).where(*_conditions(query)),
        order=ORDER,
        sort=E.c.at,
        key=E.c.id,
        descending=True,
        first=first,
        after=after,
        last=last,
        before=before,
        parse_key=int,
    )


async def count_entries(reader: Reader, query: AuditQuery) -> int:
    statement = select(func.count()).select_from(E).where(*_conditions(query))
    return int((await reader.execute(statement)).scalar_one())
