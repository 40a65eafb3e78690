"""Relay connections with opaque keyset cursors and a lazily counted ``totalCount``.

Both directions of the Relay cursor spec: ``first``/``after`` and ``last``/``before``
(``after`` and ``before`` may bound one page together). ``first`` with ``last`` is refused:
the spec allows it, but its result ("the last n of the first m") surprises more clients
than it serves.
"""

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import strawberry

from reusegraph.schema.core.errors import BadUserInput
from reusegraph.store.pagination import Page

DEFAULT_FIRST = 50
MAX_FIRST = 500

NodeType = TypeVar("NodeType")


def checked_first(first: int | None) -> int:
    if first is None:
        return DEFAULT_FIRST
    if first < 0 or first > MAX_FIRST:
        raise BadUserInput(
            f"first must be between 0 and {MAX_FIRST}; got {first}. Page with `after` for more.",
            argument="first",
        )
    return first


@dataclass(frozen=True)
class Window:
    """The slice of an ordered list a connection asks for; exactly one of first/last is set."""

    first: int | None
    after: str | None
    last: int | None
    before: str | None

    def arguments(self) -> dict[str, Any]:
        """As the store's list functions take them (``first=…, after=…, last=…, before=…``)."""
        return {"first": self.first, "after": self.after, "last": self.last, "before": self.before}


def checked_window(
    first: int | None, after: str | None, last: int | None, before: str | None
) -> Window:
    if first is not None and last is not None:
        raise BadUserInput(
            "give `first` (with `after`) to page forwards or `last` (with `before`) to page"
            " backwards, not both",
            argument="last",
        )
    if last is None:
        return Window(checked_first(first), after, None, before)
    if last < 0 or last > MAX_FIRST:
        raise BadUserInput(
            f"last must be between 0 and {MAX_FIRST}; got {last}. Page with `before` for more.",
            argument="last",
        )
    return Window(None, after, last, before)


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(Generic[NodeType]):
    cursor: str
    node: NodeType


@strawberry.type
class Connection(Generic[NodeType]):
    edges: list[Edge[NodeType]]
    page_info: PageInfo
    _count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field
    def nodes(self) -> list[NodeType]:
        return [edge.node for edge in self.edges]

    @strawberry.field(description="Number of items matching the filter (one extra count query).")
    async def total_count(self) -> int:
        return await self._count()


def connection(
    page: Page[Any],
    convert: Callable[[Any], NodeType],
    count: Callable[[], Awaitable[int]],
) -> Connection[NodeType]:
    nodes: Sequence[NodeType] = [convert(item) for item in page.items]
    edges = [Edge(cursor=c, node=n) for c, n in zip(page.cursors, nodes, strict=True)]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=page.has_next_page,
            has_previous_page=page.has_previous_page,
            start_cursor=page.cursors[0] if page.cursors else None,
            end_cursor=page.cursors[-1] if page.cursors else None,
        ),
        _count=count,
    )
