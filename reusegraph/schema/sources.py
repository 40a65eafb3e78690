"""Sources: where a record comes from, and whether its data is fresh."""

from datetime import datetime
from typing import Any

import strawberry
from sqlalchemy.engine import Row

from reusegraph.schema.context import Info
from reusegraph.schema.enums import SourceKind
from reusegraph.store.sources import is_stale


@strawberry.type(description="Where records come from. Mirrored data can be stale.")
class Source:
    code: str
    name: str
    kind: SourceKind
    endpoint: str | None
    schedule: str | None
    synced_at: datetime | None = strawberry.field(
        description="When the last sync finished (null for hosted data, written here)."
    )
    last_sync_started_at: datetime | None
    last_outcome: str | None
    last_error: str | None
    record_count: int
    stale: bool = strawberry.field(description="True when the data is older than allowed.")

    @strawberry.field
    async def owners(self, info: Info) -> list[str]:
        """Codes of the municipalities whose data this source owns."""
        return await info.context.loaders.owners_by_source.load(self.code)

    @classmethod
    def from_row(cls, row: Row[Any]) -> "Source":
        return cls(
            code=row.code,
            name=row.name,
            kind=row.kind,
            endpoint=row.endpoint,
            schedule=row.schedule,
            synced_at=row.last_sync_finished_at,
            last_sync_started_at=row.last_sync_started_at,
            last_outcome=row.last_outcome,
            last_error=row.last_error,
            record_count=row.record_count,
            stale=is_stale(row),
        )
