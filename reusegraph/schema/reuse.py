"""Reuse links and lineage trees."""

import uuid
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from sqlalchemy.engine import Row

from reusegraph.schema.context import Info
from reusegraph.schema.enums import ReuseKind

if TYPE_CHECKING:
    from reusegraph.schema.processes import Process


ProcessRef = Annotated["Process", strawberry.lazy("reusegraph.schema.processes")]


async def _ends(info: Info, rows: Sequence[Row[Any]], *, refs: bool) -> dict[Any, "Process"]:
    from reusegraph.schema.processes import Process

    ids = (i for row in rows for i in (row.origin_id, row.derived_id))
    if refs:
        return await Process.load_refs(info, ids)
    return await Process.load_many(info, ids)


@strawberry.type(description="`derived` was built by reusing `origin`.")
class ReuseLink:
    """Built with both ends loaded (one batch per list of links), so ``origin`` and
    ``derived`` are plain fields: a resolver per end was most of a large graph's time.
    The store returns only links whose both ends the viewer may read."""

    id: strawberry.ID
    kind: ReuseKind
    note: str | None
    reused_on: date | None
    origin: ProcessRef
    derived: ProcessRef

    @strawberry.field(
        description="Development hours the reuser did not spend: the origin's"
        " developmentHours minus the derived process's. Null when either is unknown (never 0"
        " for unknown); negative when the reuse took longer than the original."
    )
    async def development_hours_avoided(self, info: Info) -> float | None:
        avoided = await info.context.loaders.hours_avoided_by_link.load(uuid.UUID(self.id))
        return None if avoided is None else float(avoided)

    @classmethod
    async def many(
        cls, info: Info, rows: Sequence[Row[Any]], *, refs: bool = False
    ) -> list["ReuseLink"]:
        """``refs``: the caller checked that the ends are asked no more than
        ``Process.REF_FIELDS``."""
        ends = await _ends(info, rows, refs=refs)
        return [cls(**_fields(row, ends)) for row in rows]


def _fields(row: Row[Any], ends: dict[Any, "Process"]) -> dict[str, Any]:
    return {
        "id": strawberry.ID(str(row.id)),
        "kind": row.kind,
        "note": row.note,
        "reused_on": row.reused_on,
        "origin": ends[row.origin_id],
        "derived": ends[row.derived_id],
    }


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
    async def of(cls, info: Info, rows: Sequence[Row[Any]]) -> "Lineage":
        ends = await _ends(info, rows, refs=False)

        def link(row: Row[Any]) -> LineageLink:
            return LineageLink(**_fields(row, ends), depth=abs(row.depth))

        return cls(
            ancestors=[link(r) for r in rows if r.depth < 0],
            descendants=[link(r) for r in rows if r.depth > 0],
        )


@strawberry.type(
    description="A mirrored reuse link whose origin has not arrived here yet: kept, and "
    "linked (then listed in reusedFrom) as soon as any source brings the origin."
)
class PendingReuse:
    origin_id: strawberry.ID = strawberry.field(
        description="The origin as the source names it (its id in its own registry)."
    )
    source: str = strawberry.field(description="Code of the source the link came from.")
    kind: ReuseKind
    note: str | None
    reused_on: date | None

    @classmethod
    def from_row(cls, row: Row[Any]) -> "PendingReuse":
        return cls(
            origin_id=strawberry.ID(row.origin_source_id),
            source=row.source_code,
            kind=row.kind,
            note=row.note,
            reused_on=row.reused_on,
        )
