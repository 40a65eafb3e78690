"""Keyset pagination: opaque cursors that carry the sort key and the id tie-breaker.

A cursor is base64url(JSON [order name, sort value, id]). It is tied to the order it was
made for, so a cursor from one order cannot silently page another. The same cursors page
both ways: ``after`` continues forwards, ``before`` backwards (Relay's ``last``/``before``),
by reading the order reversed and turning the page round.

A listing declares its order once, as a ``Keyset``; ``Keyset.page`` reads a page of it and
``count_rows`` the connection's ``totalCount``, so a list function is its filters and
nothing else.
"""

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Generic, Required, TypedDict, TypeVar, Unpack

import orjson
from sqlalchemy import ColumnElement, FromClause, Select, func, select, tuple_
from sqlalchemy.engine import Row

if TYPE_CHECKING:
    from reusegraph.store.engine import Reader

T = TypeVar("T")


class InvalidCursor(ValueError):
    def __init__(self, message: str, argument: str = "after") -> None:
        super().__init__(message)
        self.argument = argument
        """The connection argument that held the cursor (``after`` or ``before``)."""


def encode_cursor(order: str, value: Any, key: Any) -> str:
    if isinstance(value, datetime):
        value = {"t": value.isoformat()}
    elif isinstance(value, date):  # agreements' start, meetings' day: compared as dates
        value = {"d": value.isoformat()}
    raw = orjson.dumps([order, value, str(key)])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _not_a_cursor(argument: str) -> InvalidCursor:
    return InvalidCursor(f"`{argument}` is not a cursor returned by this API", argument)


def decode_cursor(cursor: str, order: str, argument: str = "after") -> tuple[Any, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        name, value, key = orjson.loads(raw)
    except (binascii.Error, ValueError, TypeError) as error:
        raise _not_a_cursor(argument) from error
    if name != order:
        raise InvalidCursor(
            f"`{argument}` is a cursor for order {name!r}, but this query orders by {order!r};"
            " pass the same orderBy as the query that returned the cursor",
            argument,
        )
    try:
        if isinstance(value, dict) and "t" in value:
            value = datetime.fromisoformat(value["t"])
        elif isinstance(value, dict) and "d" in value:
            value = date.fromisoformat(value["d"])
    except (TypeError, ValueError) as error:
        raise _not_a_cursor(argument) from error
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
    has_previous_page: bool = False


async def fetch_page(
    reader: "Reader",
    statement: Select[Any],
    *,
    order: str,
    sort: ColumnElement[Any],
    key: ColumnElement[Any],
    descending: bool,
    first: int | None,
    after: str | None,
    parse_key: Callable[[str], Any] = str,
    last: int | None = None,
    before: str | None = None,
) -> Page[Row[Any]]:
    """Order ``statement`` by (sort, key), keep what lies between the cursors, fetch one extra.

    With ``last`` the order is read reversed (so the index serves it as well) and the page
    turned round; the extra row then tells whether anything comes before the page. The
    other direction is known from the cursor alone: a page after (before) a cursor has
    that cursor's row before (after) it.
    """
    backward = last is not None
    size = last if last is not None else first
    assert size is not None, "fetch_page needs `first` or `last`"
    if after is not None:
        value, mark = decode_cursor(after, order, "after")
        statement = statement.where(after_predicate(sort, key, value, parse_key(mark), descending))
    if before is not None:
        value, mark = decode_cursor(before, order, "before")
        statement = statement.where(
            after_predicate(sort, key, value, parse_key(mark), not descending)
        )
    reverse = descending != backward
    ordering = (sort.desc(), key.desc()) if reverse else (sort.asc(), key.asc())
    statement = statement.add_columns(sort.label("_sort")).order_by(*ordering).limit(size + 1)
    rows = list((await reader.execute(statement)).all())
    more = len(rows) > size
    page = rows[:size]
    if backward:
        page.reverse()
    cursors = [encode_cursor(order, row._sort, row._mapping[key.name]) for row in page]
    return Page(
        items=page,
        cursors=cursors,
        has_next_page=before is not None if backward else more,
        has_previous_page=more if backward else after is not None,
    )


class PageArguments(TypedDict, total=False):
    """A connection's paging arguments as the schema passes them on (``Window.arguments``)."""

    first: Required[int | None]
    after: Required[str | None]
    last: int | None
    before: str | None


@dataclass(frozen=True)
class Keyset:
    """One listing's order: its cursor name, sort expression and unique tie-breaker."""

    order: str
    sort: ColumnElement[Any]
    key: ColumnElement[Any]
    descending: bool = False
    parse_key: Callable[[str], Any] = str
    """Turns a cursor's key (a string) back into the tie-breaker's type."""

    async def page(
        self, reader: "Reader", statement: Select[Any], **arguments: Unpack[PageArguments]
    ) -> Page[Row[Any]]:
        return await fetch_page(
            reader,
            statement,
            order=self.order,
            sort=self.sort,
            key=self.key,
            descending=self.descending,
            parse_key=self.parse_key,
            **arguments,
        )


async def count_rows(
    reader: "Reader", table: FromClause, conditions: list[ColumnElement[bool]]
) -> int:
    """The ``totalCount`` of a listing: its rows under the same filters as its pages."""
    statement = select(func.count()).select_from(table).where(*conditions)
    return int((await reader.execute(statement)).scalar_one())
