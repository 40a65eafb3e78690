"""Benefit records per process, and the vocabulary of the grouped summary.

The summary itself is in ``benefit_summary``. FTE uses each owning municipality's own FTE
hours, because the sources disagree on the factor.
"""

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Row

from reusegraph.store.engine import Reader
from reusegraph.store.keys import any_of
from reusegraph.store.models import BenefitRecord, Municipality, Process

B = BenefitRecord.__table__
P = Process.__table__
M = Municipality.__table__


class BenefitDimension(StrEnum):
    MUNICIPALITY = "MUNICIPALITY"
    COUNTRY = "COUNTRY"
    DOMAIN = "DOMAIN"
    TECHNOLOGY = "TECHNOLOGY"
    VENDOR = "VENDOR"
    YEAR = "YEAR"
    MONTH = "MONTH"
    KIND = "KIND"
    PROCESS = "PROCESS"


@dataclass(frozen=True)
class BenefitQuery:
    """``kinds`` None reads both kinds side by side; plain totals then count MEASURED."""

    municipalities: Sequence[str] | None = None
    countries: Sequence[str] | None = None
    domains: Sequence[str] | None = None
    technologies: Sequence[str] | None = None
    vendors: Sequence[uuid.UUID] | None = None
    processes: Sequence[uuid.UUID] | None = None
    kinds: Sequence[str] | None = None
    period_from: date | None = None
    period_to: date | None = None


async def benefits_by_process(
    reader: Reader, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Row[Any]]]:
    """Callers pass ids of processes they may read; the FTE factor comes along."""
    statement = (
        select(B, M.c.fte_hours_per_year)
        .join(P, P.c.id == B.c.process_id)
        .join(M, M.c.code == P.c.municipality_code)
        .where(any_of(B.c.process_id, ids))
        .order_by(B.c.period, B.c.kind)
    )
    grouped: dict[uuid.UUID, list[Row[Any]]] = defaultdict(list)
    for row in (await reader.execute(statement)).all():
        grouped[row.process_id].append(row)
    return grouped


async def hours_by_process(
    reader: Reader, keys: Sequence[tuple[uuid.UUID, str]]
) -> dict[tuple[uuid.UUID, str], float]:
    ids = list({process_id for process_id, _ in keys})
    kinds = list({kind for _, kind in keys})
    statement = (
        select(B.c.process_id, B.c.kind, func.sum(B.c.hours_saved))
        .where(any_of(B.c.process_id, ids), B.c.kind.in_(kinds))
        .group_by(B.c.process_id, B.c.kind)
    )
    rows = await reader.execute(statement)
    return {(process_id, kind): float(total) for process_id, kind, total in rows}
