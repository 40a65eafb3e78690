"""SQL text pieces the plans are written with, and the parameters they bind per request.

A plan is SQL text plus one "source" per ``$n``: a constant, or a function of the
request's argument values. Filters written once in ``store/`` as SQLAlchemy expressions
are rendered here into that text (``Params.embed``), so both read paths share them.
"""

import re
from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, FromClause, literal_column, select
from sqlalchemy.dialects.postgresql import asyncpg as pg_asyncpg

from reusegraph.compiler.errors import NotCompilable

Args = list[dict[str, Any]]
"""Per argument site (a field with arguments in the document): its coerced values."""
Source = Callable[[Args], Any]

_DIALECT = pg_asyncpg.dialect()  # type: ignore[no-untyped-call]
_PLACEHOLDER = re.compile(r"\$(\d+)")
MAX_KEYS = 50
"""``json_build_object`` takes at most 100 arguments."""


class Params:
    def __init__(self) -> None:
        self.sources: list[Source] = []

    def add(self, source: Source, cast: str) -> str:
        self.sources.append(source)
        return f"${len(self.sources)}::{cast}"

    def embed(
        self, clause: ColumnElement[Any], table: FromClause, readers: dict[str, Source]
    ) -> str:
        """``clause`` as text over ``table`` (correlated, as in a query on it); its bind
        parameters named in ``readers`` are read per request, every other one is a
        constant of the expression."""
        statement: Any = select(literal_column("1")).select_from(table).where(clause)
        compiled = statement.compile(dialect=_DIALECT)
        names = compiled.positiontup or []
        numbers: list[int] = []
        for name in names:
            if name in readers:
                self.sources.append(readers[name])
            else:
                value = compiled.params[name]
                self.sources.append(_constant(value))
            numbers.append(len(self.sources))
        condition = compiled.string.split("\nWHERE ", 1)[1]
        return _PLACEHOLDER.sub(lambda m: f"${numbers[int(m.group(1)) - 1]}", condition)

    def values(self, args: Args) -> list[Any]:
        return [source(args) for source in self.sources]


def key(name: str) -> str:
    """A response key as a SQL literal; GraphQL names are ``[_A-Za-z][_0-9A-Za-z]*``."""
    return f"'{name}'"


def json_object(pairs: list[tuple[str, str]]) -> str:
    if len(pairs) > MAX_KEYS:
        raise NotCompilable(f"more than {MAX_KEYS} fields on one object")
    if not pairs:
        return "json_build_object()"
    return "json_build_object(" + ", ".join(f"{key(k)}, {v}" for k, v in pairs) + ")"


def iso_datetime(column: str) -> str:
    """Python's ``datetime.isoformat()`` of a UTC timestamp, as Strawberry writes it:
    microseconds only when there are any, and ``+00:00``."""
    utc = f"({column} AT TIME ZONE 'UTC')"
    return (
        f"CASE WHEN {column} IS NULL THEN NULL ELSE"
        f" to_char({utc}, 'YYYY-MM-DD\"T\"HH24:MI:SS')"
        f" || CASE WHEN date_part('microseconds', {column})::int % 1000000 = 0 THEN ''"
        f" ELSE to_char({utc}, '.US') END || '+00:00' END"
    )


def base64url(text: str) -> str:
    """Without padding and line breaks, as ``store.pagination.encode_cursor`` writes it."""
    encoded = f"encode(convert_to({text}, 'UTF8'), 'base64')"
    return f"rtrim(translate({encoded}, E'+/\\n', '-_'), '=')"


def _constant(value: Any) -> Source:
    return lambda _args: value
