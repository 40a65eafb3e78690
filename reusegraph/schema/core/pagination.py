"""Relay connections with opaque keyset cursors and a lazily counted ``totalCount``."""

from collections.abc import Awaitable, Callable, Sequence
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
    after: str | None,
) -> Connection[NodeType]:
    nodes: Sequence[NodeType] = [convert(item) for item in page.items]
    edges = [Edge(cursor=c, node=n) for c, n in zip(page.cursors, nodes, strict=True)]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=page.has_next_page,
            has_previous_page=after is not None,
            start_cursor=page.cursors[0] if page.cursors else None,
            end_cursor=page.cursors[-1] if page.cursors else None,
        ),
        _count=count,
    )
