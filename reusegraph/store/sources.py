"""Reading sources: where data comes from and whether it is fresh.

A source's internals (its endpoint, where its credentials are read, its last error text)
name internal hosts and echo remote messages; only admins and the owning municipality's
own people read them. Everyone else gets nulls there, decided in the query from the
request's settings (as row-level security decides rows), so no caller of the store can
forget to hide them; ``code``, ``kind``, the sync times and staleness stay public.
"""

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    String,
    case,
    exists,
    false,
    func,
    literal,
    null,
    or_,
    select,
    true,
)
from sqlalchemy.engine import Row

from reusegraph.store.engine import Reader
from reusegraph.store.enums import RunOutcome, SourceKind
from reusegraph.store.models import Source, source_owner
from reusegraph.store.sync_state import is_running
from reusegraph.store.viewer_mac import is_system, viewer_setting

S = Source.__table__
SO = source_owner


def is_stale(row: Row[Any], now: datetime | None = None) -> bool:
    """Hosted data is written here and is never stale; a mirror is stale when its last run
    failed or it has not caught up with its remote within ``stale_after_seconds``."""
    if row.kind == SourceKind.HOSTED:
        return False
    if row.last_success_at is None or row.last_outcome == RunOutcome.FAILED:
        return True
    lag = lag_seconds(row, now)
    return lag is not None and lag > int(row.stale_after_seconds)


def lag_seconds(row: Row[Any], now: datetime | None = None) -> float | None:
    """How far behind its remote a mirror may be: the time since a run last caught up."""
    if row.kind == SourceKind.HOSTED or row.last_success_at is None:
        return None
    since: datetime = row.last_success_at
    return max(0.0, ((now or datetime.now(UTC)) - since).total_seconds())


def lag_seconds_sql() -> ColumnElement[float | None]:
    """``lag_seconds`` in SQL at the statement's time, for answers PostgreSQL builds."""
    unknown = or_(S.c.kind == SourceKind.HOSTED.value, S.c.last_success_at.is_(None))
    lag = func.greatest(0.0, func.extract("epoch", func.now() - S.c.last_success_at))
    return case((unknown, null()), else_=lag.cast(Float))


def is_stale_sql() -> ColumnElement[bool]:
    """``is_stale`` in SQL, rule for rule."""
    return case(
        (S.c.kind == SourceKind.HOSTED.value, false()),
        (or_(S.c.last_success_at.is_(None), S.c.last_outcome == RunOutcome.FAILED), true()),
        else_=func.coalesce(lag_seconds_sql() > S.c.stale_after_seconds, false()),
    )


INTERNALS = ("endpoint", "secret_ref", "last_error")


def internals_visible() -> ColumnElement[bool]:
    """The system, an admin, or a member of a municipality that owns the source."""
    owner = exists().where(
        SO.c.source_code == S.c.code, SO.c.municipality_code == viewer_setting("member_of")
    )
    return or_(is_system(), viewer_setting("admin") == "on", owner)


def _columns() -> list[ColumnElement[object]]:
    visible = internals_visible()
    return [
        case((visible, column), else_=literal(None, String)).label(column.name)
        if column.name in INTERNALS
        else column
        for column in S.c
    ]


SOURCE_ROW = select(*_columns(), is_running(S.c.code).label("running"))


async def all_sources(reader: Reader) -> list[Row[Any]]:
    return list((await reader.execute(SOURCE_ROW.order_by(S.c.code))).all())


async def sources_by_code(reader: Reader, codes: Sequence[str]) -> dict[str, Row[Any]]:
    rows = (await reader.execute(SOURCE_ROW.where(S.c.code.in_(codes)))).all()
    return {row.code: row for row in rows}


async def owning_source_by_municipality(reader: Reader, codes: Sequence[str]) -> dict[str, str]:
    """The one source each municipality's processes come from (migration 0011's index)."""
    statement = select(SO.c.municipality_code, SO.c.source_code).where(
        SO.c.municipality_code.in_(codes)
    )
    return {municipality: source for municipality, source in (await reader.execute(statement))}


async def owners_by_source(reader: Reader, codes: Sequence[str]) -> dict[str, list[str]]:
    statement = (
        select(SO.c.source_code, SO.c.municipality_code)
        .where(SO.c.source_code.in_(codes))
        .order_by(SO.c.municipality_code)
    )
    grouped: dict[str, list[str]] = defaultdict(list)
    for code, municipality in (await reader.execute(statement)).all():
        grouped[code].append(municipality)
    return grouped
