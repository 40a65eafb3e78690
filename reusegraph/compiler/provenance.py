"""Where a process comes from: ``Process.source`` and ``Process.pendingReuse``.

A source's internals (endpoint, secret reference, last error) are for admins and the
owning municipality only; the rule is the store's (``store.sources.internals_visible``,
read from the transaction's settings), rendered here, as are its staleness, its lag and
whether a sync runs now.
"""

from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, FromClause, literal_column, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql.util import ClauseAdapter

from reusegraph.compiler.objects import Spec, inline, listed, nested, register
from reusegraph.compiler.sql import iso_datetime
from reusegraph.store.enums import SourceKind
from reusegraph.store.models.sources import SourceAuth
from reusegraph.store.sources import (
    INTERNALS,
    S,
    internals_visible,
    is_stale_sql,
    lag_seconds_sql,
)
from reusegraph.store.sync_state import is_running

_MARK = "src_"
_DIALECT = postgresql.dialect()  # type: ignore[no-untyped-call]


def over_row(clause: ColumnElement[Any], table: FromClause) -> str:
    """``clause`` of ``table``'s rows as text over ``{t}``, the object's alias (correlated
    subqueries stay correlated), with its constants written in."""
    alias = table.alias(_MARK)
    adapted = ClauseAdapter(alias).traverse(clause)
    statement: Any = select(literal_column("1")).select_from(alias).where(adapted)
    text = str(statement.compile(dialect=_DIALECT, compile_kwargs={"literal_binds": True}))
    condition = text.split("\nWHERE ", 1)[1].replace("{", "{{").replace("}", "}}")
    return condition.replace(f"{_MARK}.", "{t}.")


def _enum_name(column: str, enum: type[StrEnum]) -> str:
    """The GraphQL name of a value stored in lower case."""
    cases = " ".join(f"WHEN '{member.value}' THEN '{member.name}'" for member in enum)
    return f"CASE {column} {cases} END"


_VISIBLE = over_row(internals_visible(), S)
_CAMEL = {"endpoint": "endpoint", "secret_ref": "secretRef", "last_error": "lastError"}
assert set(_CAMEL) == set(INTERNALS)

register(
    "Source",
    {
        **{name: "{t}." + name for name in ("code", "name", "schedule")},
        **{field: f"CASE WHEN {_VISIBLE} THEN {{t}}.{c} END" for c, field in _CAMEL.items()},
        "kind": _enum_name("{t}.kind", SourceKind),
        "auth": _enum_name("{t}.auth", SourceAuth),
        "syncedAt": iso_datetime("{t}.last_success_at"),
        "lastSyncStartedAt": iso_datetime("{t}.last_sync_started_at"),
        "lastSyncFinishedAt": iso_datetime("{t}.last_sync_finished_at"),
        "circuitOpenUntil": iso_datetime("{t}.circuit_open_until"),
        "lastOutcome": "{t}.last_outcome",
        "recordCount": "{t}.record_count",
        "consecutiveFailures": "{t}.consecutive_failures",
        "timeoutSeconds": "{t}.timeout_seconds",
        "pageSize": "{t}.page_size",
        "staleAfterSeconds": "{t}.stale_after_seconds",
        "stale": over_row(is_stale_sql(), S),
        "lagSeconds": over_row(lag_seconds_sql(), S),
        "running": over_row(is_running(S.c.code), S),
        "lastRun": inline("SyncCounts"),
        "owners": "(SELECT coalesce(json_agg(o.municipality_code ORDER BY o.municipality_code),"
        " '[]') FROM source_owner o WHERE o.source_code = {t}.code)",
    },
)
register(
    "SyncCounts",
    {
        "upserts": "{t}.last_run_upserts",
        "deletes": "{t}.last_run_deletes",
        "skipped": "{t}.last_run_skipped",
    },
)
register(
    "PendingReuse",
    {
        "originId": "{t}.origin_source_id",
        "source": "{t}.source_code",
        "kind": "{t}.kind",
        "note": "{t}.note",
        "reusedOn": "{t}.reused_on",
    },
)

PROCESS: dict[str, Spec] = {
    "source": nested("Source", "FROM source {a} WHERE {a}.code = {t}.source_code"),
    "pendingReuse": listed(
        "PendingReuse",
        "FROM pending_reuse {a} WHERE {a}.derived_id = {t}.id",
        "{a}.origin_source_id",
    ),
}
"""``Process`` fields; the process is readable, so its pending links are too (as the
store's join on the readable derived process has it)."""
