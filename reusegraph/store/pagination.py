"""Keyset pagination: opaque cursors that carry the sort key and the id tie-breaker.

A cursor is base64url(JSON [order name, sort value, id]). It is tied to the order it was
made for, so a cursor from one order cannot silently page another.
"""

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import orjson
from sqlalchemy import ColumnElement, Select, tuple_
from sqlalchemy.engine import Row

if TYPE_CHECKING:
    from reusegraph.store.engine import Reader

T = TypeVar("T")


class InvalidCursor(ValueError):
    pass


def encode_cursor(order: str, value: Any, key: Any) -> str:
    if isinstance(value, datetime):
        value = {"t": value.isoformat()}
    raw = orjson.dumps([order, value, str(key)])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, order: str) -> tuple[Any, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        name, value, key = orjson.loads(raw)
    except (binascii.Error, ValueError, TypeError) as error:
        raise InvalidCursor("`after` is not a cursor returned by this API") from error
    if name != order:
        raise InvalidCursor(
            f"`after` is a cursor for order {name!r}, but this query orders by {order!r};"
            " pass the same orderBy as the query that returned the cursor"
        )
    if isinstance(value, dict) and "t" in value:
        value = datetime.fromisoformat(value["t"])
    return value, key


def after_predicate(
    sort: ColumnElement[Any], key: ColumnElement[Any], value: Any, last_key: Any, descending: bool
) -> ColumnElement[bool]:
    if descending:
        return tuple_(sort, key) < tuple_(value, last_key)
    return tuple_(sort, key) > tuple_(value, last_key)


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    cursors: list[str]
    has_next_page: bool


async def fetch_page(
    reader: "Reader",
    statement: Select[Any],
    *,
    order: str,
    sort: ColumnElement[Any],
    key: ColumnElement[Any],
    descending: bool,
    first: int,
    after: str | None,
    parse_key: Callable[[str], Any] = str,
) -> Page[Row[Any]]:
    """Order ``statement`` by (sort, key), continue after the cursor, fetch one extra row."""
    if after is not None:
        value, last = decode_cursor(after, order)
        statement = statement.where(after_predicate(sort, key, value, parse_key(last), descending))
    ordering = (sort.desc(), key.desc()) if descending else (sort.asc(), key.asc())
    statement = statement.add_columns(sort.label("_sort")).order_by(*ordering).limit(first + 1)
    rows = list((await reader.execute(statement)).all())
    page = rows[:first]
    cursors = [encode_cursor(order, row._sort, row._mapping[key.name]) for row in page]
    return Page(items=page, cursors=cursors, has_next_page=len(rows) > first)
