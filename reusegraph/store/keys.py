"""A loader's batch of keys as one array parameter: ``column = ANY(:keys)``.

``column.in_(keys)`` renders one parameter per key, so every batch size is another
statement for asyncpg's and PostgreSQL's caches to prepare and plan, and the 844 ends of
a large reuse graph were 844 parameters to bind. One array is one parameter and one
cached statement whatever the size (measured in bench/results, issue 5).
"""

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, any_, literal
from sqlalchemy.dialects.postgresql import ARRAY


def any_of(column: ColumnElement[Any], keys: Iterable[Any]) -> ColumnElement[bool]:
    return column == any_(literal(list(keys), type_=ARRAY(column.type)))
