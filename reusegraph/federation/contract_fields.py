"""The source contract's process fields: GraphQL name, our column, and how to read the value.

The process's own columns come from their declaration (``store.process_fields``); one
table serves the query the client sends, the parsing of the answer and the contract
document, so the three cannot drift apart.
"""

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from reusegraph.store.enums import ASSESSMENT_FIELDS
from reusegraph.store.process_fields import FEED_FIELDS, Kind, camel


class FieldTypeError(ValueError):
    """A value of the wrong JSON type or format: the remote does not speak the contract."""


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise FieldTypeError(f"expected a string, got {type(value).__name__}")
    return value


def _integer(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise FieldTypeError(f"expected an integer, got {value!r}")
    return value


def _number(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise FieldTypeError(f"expected a number, got {value!r}")
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise FieldTypeError(f"expected a number, got {value!r}") from None


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise FieldTypeError(f"expected true or false, got {value!r}")
    return value


def _date(value: Any) -> date:
    try:
        return date.fromisoformat(_text(value))
    except ValueError:
        raise FieldTypeError(f"expected a date YYYY-MM-DD, got {value!r}") from None


def _datetime(value: Any) -> datetime:
    try:
        moment = datetime.fromisoformat(_text(value))
    except ValueError:
        raise FieldTypeError(f"expected an ISO 8601 date-time, got {value!r}") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _month(value: Any) -> date:
    text = _text(value)
    try:
        year, month = text.split("-")
        return date(int(year), int(month), 1)
    except ValueError:
        raise FieldTypeError(f"expected a month YYYY-MM, got {value!r}") from None


def _texts(value: Any) -> list[str]:
    if not isinstance(value, list):
        raise FieldTypeError(f"expected a list of strings, got {type(value).__name__}")
    return [_text(item) for item in value]


def _object(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise FieldTypeError(f"expected a JSON object, got {type(value).__name__}")
    return value


Reader = Callable[[Any], Any]
TEXT, INT, NUMBER, BOOL, DATE, DATETIME, MONTH, TEXTS, OBJECT = (
    _text,
    _integer,
    _number,
    _boolean,
    _date,
    _datetime,
    _month,
    _texts,
    _object,
)

_READERS: dict[Kind, Reader] = {
    Kind.TEXT: TEXT,
    Kind.TEXTS: TEXTS,
    Kind.INT: INT,
    Kind.NUMBER: NUMBER,
    Kind.BOOL: BOOL,
    Kind.DATE: DATE,
    Kind.DATETIME: DATETIME,
    Kind.JSON: OBJECT,
    Kind.DOMAINS: TEXTS,
    Kind.PHASE: TEXT,
    Kind.STATUS: TEXT,
    Kind.VISIBILITY: TEXT,
    Kind.PROCESS_TYPE: TEXT,
    Kind.RUN_PERIOD: TEXT,
}
REQUIRED = frozenset({"municipality_code", "title", "phase", "visibility", "updated_at"})
"""What a remote must send for a record to be taken; the rest may be missing or null."""
_GROUPED: dict[str, tuple[str, Reader]] = {
    **{camel(level): (level, TEXT) for level in ASSESSMENT_FIELDS},
    "rating": ("rating", INT),
    "contactName": ("contact_name", TEXT),
    "contactEmail": ("contact_email", TEXT),
    "otherContactEmail": ("other_contact_email", TEXT),
}
"""Feed fields that ``Process`` groups (assessment, contact)."""

# GraphQL field -> (process column, reader, required)
PROCESS_FIELDS: dict[str, tuple[str, Reader, bool]] = {
    "municipality": ("municipality_code", TEXT, True),
    **{
        camel(f.feed_field): (f.column, _READERS[f.kind], f.column in REQUIRED) for f in FEED_FIELDS
    },
    **{name: (column, read, False) for name, (column, read) in _GROUPED.items()},
}

NESTED_SELECTIONS = {
    "vendor": "{ name country orgNumber }",
    "itSystems": "{ code name }",
    "technologies": "{ code name }",
    "benefits": "{ period kind cases hoursSaved moneyAmount currency note }",
    "reusedFrom": "{ originId kind note reusedOn }",
    "links": "{ url label internal }",
}


def selection(without: frozenset[str] = frozenset()) -> str:
    """The ``upserts`` selection of the contract query, less the fields ``without``."""
    scalars = " ".join(n for n in ("id", "url", "umbrellaIds", *PROCESS_FIELDS) if n not in without)
    nested = " ".join(f"{name} {fields}" for name, fields in NESTED_SELECTIONS.items())
    return f"{{ {scalars} {nested} }}"
