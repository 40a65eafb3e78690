"""Sources: where a record comes from, and whether its data is fresh."""

from datetime import datetime
from typing import Any

import strawberry
from sqlalchemy.engine import Row

from reusegraph.schema.context import Info
from reusegraph.schema.enums import SourceKind
from reusegraph.store.models.sources import SourceAuth
from reusegraph.store.sources import is_stale, lag_seconds

strawberry.enum(SourceAuth, description="How the gateway proves itself to a remote source.")


@strawberry.type(description="What the last (or current) sync run wrote.")
class SyncCounts:
    upserts: int
    deletes: int
    skipped: int = strawberry.field(description="Records refused; `lastError` says why.")


@strawberry.type(description="Where records come from. Mirrored data can be stale.")
class Source:
    code: str
    name: str
    kind: SourceKind
    endpoint: str | None = strawberry.field(
        description="Where the gateway reads it; for admins and the owning municipality only."
    )
    schedule: str | None
    synced_at: datetime | None = strawberry.field(
        description="When a sync last caught up with the remote: the data is as of then"
        " (null for hosted data, written here)."
    )
    last_sync_started_at: datetime | None
    last_sync_finished_at: datetime | None
    last_outcome: str | None = strawberry.field(
        description="ok, partial (some records refused), or failed; null before the first run."
    )
    last_error: str | None = strawberry.field(
        description="Why the last run failed or skipped records; for admins and the owning"
        " municipality only."
    )
    record_count: int
    stale: bool = strawberry.field(description="True when the data is older than allowed.")
    running: bool = strawberry.field(
        description="A replica is syncing this source now (it holds the source's sync lock; a"
        " run that crashed is not running)."
    )
    lag_seconds: float | None = strawberry.field(
        description="Seconds since a sync last caught up with the remote (null: hosted, never)."
    )
    last_run: SyncCounts
    consecutive_failures: int
    circuit_open_until: datetime | None = strawberry.field(
        description="After repeated failures, scheduled syncs leave the source alone until then."
    )
    auth: SourceAuth
    timeout_seconds: int
    page_size: int
    stale_after_seconds: int
    _secret_ref: strawberry.Private[str | None]

    @strawberry.field(
        description="Where the secret is read (env:NAME or file:/path), for admins and the"
        " owning municipality only; the secret itself is never stored or shown."
    )
    def secret_ref(self) -> str | None:
        return self._secret_ref

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
            synced_at=row.last_success_at,
            last_sync_started_at=row.last_sync_started_at,
            last_sync_finished_at=row.last_sync_finished_at,
            last_outcome=row.last_outcome,
            last_error=row.last_error,
            record_count=row.record_count,
            stale=is_stale(row),
            running=row.running,
            lag_seconds=lag_seconds(row),
            last_run=SyncCounts(
                upserts=row.last_run_upserts,
                deletes=row.last_run_deletes,
                skipped=row.last_run_skipped,
            ),
            consecutive_failures=row.consecutive_failures,
            circuit_open_until=row.circuit_open_until,
            auth=row.auth,
            timeout_seconds=row.timeout_seconds,
            page_size=row.page_size,
            stale_after_seconds=row.stale_after_seconds,
            _secret_ref=row.secret_ref,
        )
