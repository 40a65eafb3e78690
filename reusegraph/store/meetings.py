"""Reading network meetings: who met, about what, and which processes were discussed."""

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Unpack

from sqlalchemy import BindParameter, ColumnElement, Table, exists, func, or_, select
from sqlalchemy.engine import Row

from reusegraph.store.engine import Reader
from reusegraph.store.keys import Values, given, one_of
from reusegraph.store.models import (
    MeetingPresentation,
    NetworkMeeting,
    meeting_it_system,
    meeting_participant,
    meeting_process,
)
from reusegraph.store.pagination import Keyset, Page, PageArguments, count_rows

N = NetworkMeeting.__table__
MP = meeting_participant
MS = meeting_it_system
MPR = meeting_process
PR = MeetingPresentation.__table__
ORDER = "HELD_ON"
UNDATED = date(1, 1, 1)
KEYSET = Keyset(
    ORDER, func.coalesce(N.c.held_on, UNDATED), N.c.id, descending=True, parse_key=uuid.UUID
)


@dataclass(frozen=True)
class MeetingQuery:
    """A field may also hold a parameter the compiled read path binds per request."""

    municipalities: Values | None = None
    it_systems: Values | None = None
    held_from: date | BindParameter[Any] | None = None
    held_to: date | BindParameter[Any] | None = None


def meeting_filters(query: MeetingQuery) -> list[ColumnElement[bool]]:
    """The filters of ``networkMeetings``, for both read paths."""
    where: list[ColumnElement[bool]] = []
    if given(query.municipalities):
        codes = query.municipalities
        where.append(
            or_(
                one_of(N.c.host_code, codes),
                exists().where(MP.c.meeting_id == N.c.id, one_of(MP.c.municipality_code, codes)),
            )
        )
    if given(query.it_systems):
        where.append(
            exists().where(MS.c.meeting_id == N.c.id, one_of(MS.c.it_system_code, query.it_systems))
        )
    if query.held_from is not None:
        where.append(N.c.held_on >= query.held_from)
    if query.held_to is not None:
        where.append(N.c.held_on <= query.held_to)
    return where


async def list_meetings(
    reader: Reader,
    query: MeetingQuery,
    **arguments: Unpack[PageArguments],
) -> Page[Row[Any]]:
    """Newest first; undated meetings (the sources do not date all of them) last."""
    return await KEYSET.page(reader, select(N).where(*meeting_filters(query)), **arguments)


async def count_meetings(reader: Reader, query: MeetingQuery) -> int:
    return await count_rows(reader, N, meeting_filters(query))


async def meetings_by_id(reader: Reader, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Row[Any]]:
    rows = (await reader.execute(select(N).where(N.c.id.in_(ids)))).all()
    return {row.id: row for row in rows}


async def _pairs(
    reader: Reader, table: Table, value: str, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Any]]:
    statement = (
        select(table.c.meeting_id, table.c[value])
        .where(table.c.meeting_id.in_(ids))
        .order_by(table.c[value])
    )
    grouped: dict[uuid.UUID, list[Any]] = defaultdict(list)
    for meeting_id, item in (await reader.execute(statement)).all():
        grouped[meeting_id].append(item)
    return grouped


async def participants_by_meeting(
    reader: Reader, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[str]]:
    return await _pairs(reader, MP, "municipality_code", ids)


async def it_systems_by_meeting(
    reader: Reader, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[str]]:
    return await _pairs(reader, MS, "it_system_code", ids)


async def processes_by_meeting(
    reader: Reader, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[uuid.UUID]]:
    """Process ids only: callers load them through the visibility-checked process loader."""
    return await _pairs(reader, MPR, "process_id", ids)


async def presentations_by_meeting(
    reader: Reader, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Row[Any]]]:
    statement = select(PR).where(PR.c.meeting_id.in_(ids)).order_by(PR.c.title, PR.c.id)
    grouped: dict[uuid.UUID, list[Row[Any]]] = defaultdict(list)
    for row in (await reader.execute(statement)).all():
        grouped[row.meeting_id].append(row)
    return grouped
