"""Links and attachments of processes.

Row-level security decides what a caller sees: internal links and attachments not shared
with other municipalities reach only the owner's members. The predicate is repeated
here as the second layer, as in every read.
"""

import uuid
from collections import defaultdict
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, or_, select
from sqlalchemy.engine import Row

from reusegraph.auth.principal import Principal
from reusegraph.store.engine import Reader
from reusegraph.store.keys import any_of
from reusegraph.store.models import Process, ProcessAttachment, ProcessLink

P = cast(Table, Process.__table__)
L = cast(Table, ProcessLink.__table__)
A = cast(Table, ProcessAttachment.__table__)


def _owners_members(viewer: Principal) -> ColumnElement[bool]:
    code = viewer.municipality if viewer.municipality else None
    if code is None or not viewer.is_member_of(code):
        return P.c.municipality_code.is_(None)
    return P.c.municipality_code == code


async def links_by_process(
    reader: Reader, viewer: Principal, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Row[Any]]]:
    statement = (
        select(L.c.process_id, L.c.url, L.c.label, L.c.internal)
        .join(P, P.c.id == L.c.process_id)
        .where(any_of(L.c.process_id, ids), or_(~L.c.internal, _owners_members(viewer)))
        .order_by(L.c.process_id, L.c.label, L.c.url)
    )
    return _grouped((await reader.execute(statement)).all())


async def attachments_by_process(
    reader: Reader, viewer: Principal, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Row[Any]]]:
    statement = (
        select(A.c.process_id, A.c.file_name, A.c.url, A.c.shared)
        .join(P, P.c.id == A.c.process_id)
        .where(any_of(A.c.process_id, ids), or_(A.c.shared, _owners_members(viewer)))
        .order_by(A.c.process_id, A.c.file_name)
    )
    return _grouped((await reader.execute(statement)).all())


def _grouped(rows: Sequence[Row[Any]]) -> dict[uuid.UUID, list[Row[Any]]]:
    found: dict[uuid.UUID, list[Row[Any]]] = defaultdict(list)
    for row in rows:
        found[row.process_id].append(row)
    return found
