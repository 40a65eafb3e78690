"""Benefit records of one process, and their compact series (the summary: ``benefit_summary``)."""

from datetime import date
from typing import Any

import strawberry
from sqlalchemy.engine import Row

from reusegraph.schema.core.scalars import Month
from reusegraph.schema.enums import BenefitKind


def within(
    rows: list[Row[Any]], kind: BenefitKind | None, start: date | None, end: date | None
) -> list[Row[Any]]:
    return [
        r
        for r in rows
        if (kind is None or r.kind == kind)
        and (start is None or r.period >= start)
        and (end is None or r.period <= end)
    ]


@strawberry.type
class Money:
    amount: float
    currency: str


@strawberry.type(description="What one process saved in one month.")
class BenefitRecord:
    period: Month
    kind: BenefitKind
    cases: int | None
    hours_saved: float
    money: Money | None
    note: str | None
    fte: float = strawberry.field(
        description="hoursSaved as full-time staff over the month, with the owner's FTE hours."
    )

    @classmethod
    def from_row(cls, row: Row[Any]) -> "BenefitRecord":
        hours = float(row.hours_saved)
        return cls(
            period=row.period,
            kind=row.kind,
            cases=row.cases,
            hours_saved=hours,
            money=Money(amount=float(row.money_amount), currency=row.currency)
            if row.money_amount is not None
            else None,
            note=row.note,
            fte=round(hours * 12 / float(row.fte_hours_per_year), 3),
        )


@strawberry.type(description="Benefit records as parallel lists, one entry per month.")
class BenefitSeries:
    months: list[Month]
    hours_saved: list[float]
    cases: list[int | None]

    @classmethod
    def from_rows(cls, rows: list[Row[Any]]) -> "BenefitSeries":
        return cls(
            months=[r.period for r in rows],
            hours_saved=[float(r.hours_saved) for r in rows],
            cases=[r.cases for r in rows],
        )
