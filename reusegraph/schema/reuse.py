"""Reuse links and lineage trees."""

import uuid
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from sqlalchemy.engine import Row

from reusegraph.schema.context import Info
from reusegraph.schema.enums import ReuseKind

if TYPE_CHECKING:
    from reusegraph.schema.processes import Process


ProcessRef = Annotated["Process", strawberry.lazy("reusegraph.schema.processes")]


async def _process(info: Info, process_id: uuid.UUID) -> Any:
    from reusegraph.schema.processes import Process

    found = await Process.load(info, process_id)
    assert found is not None, "reuse link to a process the store did not return"
    return found


@strawberry.type(description="`derived` was built by reusing `origin`.")
class ReuseLink:
    id: strawberry.ID
    kind: ReuseKind
    note: str | None
    reused_on: date | None
    _origin_id: strawberry.Private[uuid.UUID]
    _derived_id: strawberry.Private[uuid.UUID]

    @strawberry.field
    async def origin(self, info: Info) -> ProcessRef:
        return await _process(info, self._origin_id)  # type: ignore[no-any-return]

    @strawberry.field
    async def derived(self, info: Info) -> ProcessRef:
        return await _process(info, self._derived_id)  # type: ignore[no-any-return]

    @classmethod
    def from_row(cls, row: Row[Any]) -> "ReuseLink":
        return cls(
            id=strawberry.ID(str(row.id)),
            kind=row.kind,
            note=row.note,
            reused_on=row.reused_on,
            _origin_id=row.origin_id,
            _derived_id=row.derived_id,
        )


@strawberry.type(description="One edge of a lineage tree, with its distance from the process.")
class LineageLink(ReuseLink):
    depth: int = strawberry.field(
        description="1 = direct; ancestors count 1, 2, ... upwards, descendants downwards."
    )


@strawberry.type(
    description="Every process this one descends from, and every one descending from it."
)
class Lineage:
    ancestors: list[LineageLink]
    descendants: list[LineageLink]

    @classmethod
    def from_rows(cls, rows: list[Row[Any]]) -> "Lineage":
        def link(row: Row[Any]) -> LineageLink:
            return LineageLink(
                id=strawberry.ID(str(row.id)),
                kind=row.kind,
                note=row.note,
                reused_on=row.reused_on,
                depth=abs(row.depth),
                _origin_id=row.origin_id,
                _derived_id=row.derived_id,
            )

        return cls(
            ancestors=[link(r) for r in rows if r.depth < 0],
            descendants=[link(r) for r in rows if r.depth > 0],
        )
