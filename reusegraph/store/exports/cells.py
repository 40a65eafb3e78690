"""The CSV export's lines, written by PostgreSQL as ``csv.writer`` would write them.

For CSV the export's statement selects each row as a few pieces of its final line: every
cell formatted (numbers as PostgreSQL prints them, ``numeric`` keeping its scale as
``Decimal`` does; times in UTC as ``datetime.isoformat``; ``true``/``false``; enum keys
as their Danish labels; lists one item per line; text a spreadsheet would run as a
formula prefixed with ``'``), quoted where ``csv.writer`` quotes (a comma, quote, CR or
LF), and joined by commas. Three lists are finished in Python between the pieces, once
per distinct list (``ListCells``): the IT-system and technology codes become names from
the vocabularies, and the domains their labels. Formatting seven million cells in
Python, and ``csv.writer`` itself (which tests each character against the line
terminator), was most of a full export's CPU.
"""

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Text, case, cast, func, literal, or_

from reusegraph.store.exports.columns import Column, Kind

SEPARATOR = "\n"
"""Between a list's items in its cell, and between the items of a list left to Python."""
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_CODES = [ord(c) for c in FORMULA_START]
_QUOTED_CHARACTERS = '[",\r\n]'
_TIME = 'YYYY-MM-DD"T"HH24:MI:SS.US'
_MAX_ARGUMENTS = 100
"""PostgreSQL's limit on a function's arguments (``concat``)."""


def escape(text: str) -> str:
    """A text cell that a spreadsheet will not run as a formula."""
    return "'" + text if text.startswith(FORMULA_START) else text


def quote(text: str) -> str:
    """``text`` as ``csv.writer`` writes it (QUOTE_MINIMAL, ``\\r\\n`` lines)."""
    if any(c in text for c in '",\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _text(value: str) -> ColumnElement[str]:
    return literal(value, Text)


def _escaped(text: ColumnElement[str]) -> ColumnElement[str]:
    starts_like_formula = func.ascii(text).in_(_FORMULA_CODES)
    return case((starts_like_formula, _text("'") + text), else_=text)


def _quoted(text: ColumnElement[str]) -> ColumnElement[str]:
    return case(
        (
            text.regexp_match(_QUOTED_CHARACTERS),
            _text('"') + func.replace(text, '"', '""', type_=Text) + '"',
        ),
        else_=text,
    )


def _written(text: ColumnElement[str]) -> ColumnElement[str]:
    """A text cell escaped and quoted; the common cell, which needs neither, is tested once
    (nesting the two took 40% more of PostgreSQL's time)."""
    either = or_(func.ascii(text).in_(_FORMULA_CODES), text.regexp_match(_QUOTED_CHARACTERS))
    return case((either, _quoted(_escaped(text))), else_=text)


def joined(items: ColumnElement[object]) -> ColumnElement[str]:
    return func.array_to_string(items, _text(SEPARATOR), type_=Text)


def cell(
    column: Column, value: ColumnElement[object], *, plain: bool = False
) -> ColumnElement[Any]:
    """``value`` (the column's SQL) as its cell in a CSV line; NULL stays NULL (empty).

    ``plain``: text the database already keeps to characters that need neither quoting
    nor escaping (a UUID, a checked code or enum key), written as it is.
    """
    kind = column.kind
    if kind is Kind.LIST:
        return _written(joined(value))
    if kind is Kind.DATETIME:
        moment = func.to_char(func.timezone("UTC", value), _TIME, type_=Text)
        return func.replace(moment, ".000000", "", type_=Text) + "+00:00"
    if kind is Kind.DATE:
        return func.to_char(value, "YYYY-MM-DD", type_=Text)
    if kind is Kind.BOOLEAN:
        return case((value.is_(True), "true"), (value.is_(False), "false"))
    if kind in (Kind.INTEGER, Kind.DECIMAL):
        return cast(value, Text)
    text = cast(value, Text)
    if plain:
        return text
    if column.labels is None:
        return _written(text)
    labelled = {str(key): _text(quote(escape(label))) for key, label in column.labels.items()}
    return case(labelled, value=text, else_=_written(text))


def concatenated(cells: Sequence[ColumnElement[Any]]) -> ColumnElement[str]:
    """The cells joined by commas, NULL as empty (``concat_ws`` and ``coalesce``: cheaper
    than ``concat`` with a comma between every two cells)."""
    if len(cells) < _MAX_ARGUMENTS:
        present = (func.coalesce(one, _text("")) for one in cells)
        return func.concat_ws(_text(","), *present, type_=Text)
    half = len(cells) // 2
    return func.concat_ws(
        _text(","), concatenated(cells[:half]), concatenated(cells[half:]), type_=Text
    )


class ListCells:
    """A list's quoted cell from its items joined by ``SEPARATOR``, once per distinct list.

    ``items`` maps the items to the cell's lines. The cache is bounded, so that an
    export's memory does not grow with the number of rows.
    """

    LIMIT = 10_000

    def __init__(self, items: Callable[[Sequence[str]], Sequence[str]]) -> None:
        self.items = items
        self.cells: dict[str, str] = {}

    def __call__(self, items: str | None) -> str:
        if items is None:
            return ""
        found = self.cells.get(items)
        if found is None:
            lines = self.items(items.split(SEPARATOR) if items else [])
            found = quote(escape(SEPARATOR.join(lines)))
            if len(self.cells) >= self.LIMIT:
                self.cells.clear()
            self.cells[items] = found
        return found


def labelled_items(labels: Mapping[str, str]) -> Callable[[Sequence[str]], list[str]]:
    return lambda keys: [labels.get(key, key) for key in keys]
