"""Scalars of our own: ``Month`` is how analysts name periods ("2022-01")."""

import re
from datetime import date
from typing import NewType

import strawberry
from strawberry.types.scalar import ScalarDefinition

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def parse_month(value: object) -> date:
    if not isinstance(value, str) or not _MONTH.match(value):
        raise ValueError(f"Month must be 'YYYY-MM' (e.g. '2022-01'); got {value!r}")
    year, month = value.split("-")
    if int(year) < 1:
        raise ValueError(f"Month must be 'YYYY-MM' with a year from 0001; got {value!r}")
    return date(int(year), int(month), 1)


def serialize_month(value: date) -> str:
    return f"{value.year:04d}-{value.month:02d}"


Month = NewType("Month", date)

SCALARS: dict[object, ScalarDefinition] = {
    Month: strawberry.scalar(
        name="Month",
        serialize=serialize_month,
        parse_value=parse_month,
        description="A calendar month as 'YYYY-MM'.",
    )
}
