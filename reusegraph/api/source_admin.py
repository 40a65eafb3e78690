"""What ``reusegraph source ...`` and ``reusegraph sync`` do, for the CLI to call.

The operator at the command line acts as the system with the admin role: the same checks
as the ``sourceRegister``/``sourceRemove`` mutations, the same audit log.
"""

import getpass
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from reusegraph.auth.principal import Principal, Role
from reusegraph.federation.sync import Progress, RunResult, SyncEngine
from reusegraph.store import source_writes, sync_state, sync_writes
from reusegraph.store.audit import Call
from reusegraph.store.engine import Database
from reusegraph.store.source_writes import SourceSpec
from reusegraph.store.sources import is_stale, lag_seconds
from reusegraph.store.write_errors import WriteRejected


def operator() -> Call:
    try:
        subject = getpass.getuser()
    except (OSError, KeyError):
        subject = "operator"
    return Call(Principal(issuer="reusegraph-cli", subject=subject, roles=frozenset({Role.ADMIN})))


async def add_source(database_url: str, spec: SourceSpec) -> None:
    """Raises ``WriteRejected`` with every problem of the spec."""
    db = Database(database_url, pool_size=1)
    try:
        async with db.session(None) as session:
            await source_writes.register_source(session, operator(), spec)
    finally:
        await db.dispose()


async def remove_source(database_url: str, code: str) -> int:
    db = Database(database_url, pool_size=1)
    try:
        async with db.session(None) as session:
            removed = await sync_writes.purge_mirror(session, code)
            await source_writes.remove_source(session, operator(), code)
        return removed
    finally:
        await db.dispose()


async def list_sources(database_url: str) -> list[dict[str, Any]]:
    db = Database(database_url, pool_size=1)
    try:
        rows = await sync_state.all_sources(db)
    finally:
        await db.dispose()
    now = datetime.now(UTC)
    return [
        {
            "code": row.code,
            "kind": row.kind,
            "owners": ",".join(owners),
            "outcome": row.last_outcome or "-",
            "finished": row.last_sync_finished_at.isoformat(timespec="seconds")
            if row.last_sync_finished_at
            else "-",
            "lag": _duration(lag_seconds(row, now)),
            "stale": "stale" if is_stale(row, now) else "fresh",
            "records": row.record_count,
            "error": (row.last_error or "")[:80],
        }
        for row, owners in rows
    ]


async def run_sync(
    database_url: str,
    codes: Sequence[str],
    *,
    force: bool,
    due_only: bool,
    on_progress: Progress | None = None,
) -> list[RunResult]:
    """The named sources (all mirrored ones if none), or only those due by schedule."""
    db = Database(database_url, pool_size=4)
    engine = SyncEngine(db, on_progress=on_progress)
    try:
        if due_only:
            return await engine.sync_due()
        if not codes:
            codes = [row.code for row in await sync_state.mirrored_sources(db)]
        return await engine.sync_many(codes, force=force)
    finally:
        await engine.aclose()
        await db.dispose()


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds / size:.1f}{unit}"
    return f"{seconds:.0f}s"


__all__ = ["WriteRejected", "add_source", "list_sources", "remove_source", "run_sync"]
