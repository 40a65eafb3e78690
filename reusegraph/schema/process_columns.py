"""Strawberry fields for the process's own columns, made from ``store.process_fields``.

``Process`` and ``FeedProcess`` inherit them from the types built here (a Strawberry
type that no field returns is not part of the schema), and take their values from a
row with ``column_values``, so a column added to the declaration appears in both, with
its description, nullability and owner-only redaction, without another edit.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import strawberry
from strawberry.scalars import JSON

from reusegraph.schema.enums import Domain, Phase, ProcessType, RunPeriod, Status, Visibility
from reusegraph.store.process_fields import FEED_FIELDS, PROCESS_FIELDS, Kind, ProcessField

_TYPES: dict[Kind, Any] = {
    Kind.TEXT: str,
    Kind.TEXTS: list[str],
    Kind.INT: int,
    Kind.NUMBER: float,
    Kind.BOOL: bool,
    Kind.DATE: date,
    Kind.DATETIME: datetime,
    Kind.JSON: JSON,
    Kind.DOMAINS: list[Domain],
    Kind.PHASE: Phase,
    Kind.STATUS: Status,
    Kind.VISIBILITY: Visibility,
    Kind.PROCESS_TYPE: ProcessType,
    Kind.RUN_PERIOD: RunPeriod,
}


def _columns_type(name: str, fields: tuple[ProcessField, ...], *, feed: bool) -> Any:
    annotations: dict[str, Any] = {}
    namespace: dict[str, Any] = {"__module__": __name__, "__annotations__": annotations}
    for field in fields:
        kind = _TYPES[field.kind]
        key = field.feed_field if feed else field.field
        annotations[key] = kind if field.required else kind | None
        if field.description:
            namespace[key] = strawberry.field(description=field.description)
    return strawberry.type(type(name, (), namespace))


ProcessColumns: Any = _columns_type("ProcessColumns", PROCESS_FIELDS, feed=False)
"""The fields ``Process`` takes from its row as they are."""
FeedColumns: Any = _columns_type("FeedColumns", FEED_FIELDS, feed=True)
"""The same for the change feed's ``FeedProcess``."""


def _value(field: ProcessField, value: Any) -> Any:
    if field.kind is Kind.NUMBER and isinstance(value, Decimal):
        return float(value)
    return value


def column_values(row: Any) -> dict[str, Any]:
    """``ProcessColumns``' keyword arguments from a process row's mapping."""
    return {f.field: _value(f, row[f.column]) for f in PROCESS_FIELDS}


def feed_values(row: Any) -> dict[str, Any]:
    """``FeedColumns``' keyword arguments from a feed record's row mapping."""
    return {f.feed_field: _value(f, row[f.column]) for f in FEED_FIELDS}
