"""What a notified change was, read by one subscriber as themselves (GraphQL subscriptions).

A notification (migration 0024) names only positions of ``process_change``: one
transaction's ``xid`` and the range of ``seq`` one statement wrote. Each subscriber reads
those rows in their own read transaction, so row-level security and
``readable_processes`` decide what they hear of, as for the change feed: a process they
may read is a change; one they may not read (deleted, made PERSONAL, moved away) is a
removal only for those who could have read it (it was public once, or it is their
municipality's), and of a record they never could read they learn nothing.

A row already moved on by a later transaction is not at the notified position any more;
that transaction's own notification tells of it.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Select,
    Table,
    Text,
    and_,
    any_,
    literal,
    literal_column,
    not_,
    select,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.engine import Row

from reusegraph.auth.principal import Principal
from reusegraph.store.engine import Reader
from reusegraph.store.models import BenefitRecord, Municipality, Process
from reusegraph.store.models.processes import ProcessChange
from reusegraph.store.visibility import readable_processes

C = cast(Table, ProcessChange.__table__)
P = cast(Table, Process.__table__)
B = cast(Table, BenefitRecord.__table__)
M = cast(Table, Municipality.__table__)
CHANNEL = "reusegraph_change"
_XID_WRAP = 2**32
"""Row versions carry a 32-bit ``xmin``; positions carry the 64-bit transaction id."""


@dataclass(frozen=True)
class Span:
    """The positions one statement wrote: ``xid`` and ``seq`` from ``first`` to ``last``."""

    xid: int
    first: int
    last: int

    @classmethod
    def parse(cls, payload: str) -> "Span | None":
        try:
            xid, first, last = (int(part) for part in payload.split(":"))
        except ValueError:
            return None
        return cls(xid, first, last)


@dataclass(frozen=True)
class ChangeFilter:
    """Every given part must hold (the webhook filter's parts, ``store/webhook_deliveries``)."""

    municipality: str | None = None
    domain: str | None = None
    phase_into: str | None = None

    @property
    def narrows_by_content(self) -> bool:
        """Domain and phase are facts of a readable process: a removal has neither."""
        return self.domain is not None or self.phase_into is not None


@dataclass(frozen=True)
class ProcessChanged:
    process_id: uuid.UUID
    municipality_code: str
    xid: int
    seq: int
    removed: bool
    phase: str | None
    previous_phase: str | None
    changed_at: datetime


def _at(span: Span) -> ColumnElement[bool]:
    return and_(C.c.xid == span.xid, C.c.seq.between(span.first, span.last))


def _filtered(statement: Select[Any], spec: ChangeFilter) -> Select[Any]:
    if spec.municipality is not None:
        statement = statement.where(C.c.municipality_code == spec.municipality)
    if spec.domain is not None:
        statement = statement.where(literal(spec.domain) == any_(P.c.domains))
    if spec.phase_into is not None:
        statement = statement.where(
            C.c.phase == spec.phase_into, C.c.previous_phase.is_distinct_from(spec.phase_into)
        )
    return statement


async def process_changes(
    reader: Reader, viewer: Principal, span: Span, spec: ChangeFilter
) -> list[ProcessChanged]:
    readable = and_(P.c.id == C.c.process_id, not_(C.c.deleted), readable_processes(viewer))
    statement = (
        select(
            C.c.process_id,
            C.c.municipality_code,
            C.c.xid,
            C.c.seq,
            C.c.deleted,
            C.c.was_public,
            C.c.phase,
            C.c.previous_phase,
            C.c.changed_at,
            P.c.id.label("readable_id"),
        )
        .select_from(C.outerjoin(P, readable))
        .where(_at(span))
        .order_by(C.c.seq)
    )
    rows = list((await reader.execute(_filtered(statement, spec))).all())
    live = {row.process_id for row in rows if row.readable_id is not None}
    told: list[ProcessChanged] = []
    for row in rows:
        removed = row.readable_id is None
        if removed:
            if row.process_id in live or spec.narrows_by_content:
                continue
            if not (row.was_public or viewer.is_member_of(row.municipality_code)):
                continue
        told.append(_change(row, removed))
    return told


def _change(row: Row[Any], removed: bool) -> ProcessChanged:
    return ProcessChanged(
        process_id=row.process_id,
        municipality_code=row.municipality_code,
        xid=row.xid,
        seq=row.seq,
        removed=removed,
        phase=None if removed else row.phase,
        previous_phase=None if removed else row.previous_phase,
        changed_at=row.changed_at,
    )


async def benefits_recorded(
    reader: Reader, viewer: Principal, span: Span, spec: ChangeFilter
) -> list[Row[Any]]:
    """Benefit records the notified transaction wrote, of processes the viewer may read,
    with the FTE factor ``schema.benefits.BenefitRecord`` needs."""
    written_by = sql_cast(sql_cast(literal_column("benefit_record.xmin"), Text), BigInteger)
    statement = (
        select(
            B,
            M.c.fte_hours_per_year,
            C.c.municipality_code,
            C.c.xid,
            C.c.seq,
            C.c.changed_at,
        )
        .select_from(C)
        .join(P, and_(P.c.id == C.c.process_id, readable_processes(viewer)))
        .join(B, and_(B.c.process_id == P.c.id, written_by == C.c.xid % _XID_WRAP))
        .join(M, M.c.code == P.c.municipality_code)
        .where(_at(span), not_(C.c.deleted))
        .order_by(C.c.seq, B.c.period, B.c.kind)
    )
    return list((await reader.execute(_filtered(statement, spec))).all())
