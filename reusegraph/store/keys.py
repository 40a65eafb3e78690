"""A loader's batch of keys as one array parameter: ``column = ANY(:keys)``.

``column.in_(keys)`` renders one parameter per key, so every batch size is another
statement for asyncpg's and PostgreSQL's caches to prepare and plan, and the 844 ends of
a large reuse graph were 844 parameters to bind. One array is one parameter and one
cached statement whatever the size (measured in bench/results, issue 5).
"""

from collections.abc import Iterable, Sequence
from typing import Any, TypeGuard

from sqlalchemy import BindParameter, ColumnElement, any_, literal
from sqlalchemy.dialects.postgresql import ARRAY

Values = Sequence[Any] | BindParameter[Any]
"""A filter's values: a list, or a parameter the compiled read path binds per request."""


def any_of(column: ColumnElement[Any], keys: Iterable[Any]) -> ColumnElement[bool]:
    return column == any_(literal(list(keys), type_=ARRAY(column.type)))


def one_of(column: ColumnElement[Any], values: Values) -> ColumnElement[bool]:
    """``any_of`` for a filter written once for both read paths (``reusegraph.compiler``)."""
    if isinstance(values, BindParameter):
        return column == any_(values)
    return any_of(column, values)


def given(values: Values | None) -> TypeGuard[Values]:
    """Whether a filter is set: a parameter always is, a list when it is not empty."""
    return isinstance(values, BindParameter) or bool(values)
