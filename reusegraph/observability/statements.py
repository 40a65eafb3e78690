"""Each SQL statement the store runs: counted for its request, timed for the metrics.

SQLAlchemy's cursor events, so every statement of the engine is seen without a wrapper
in the store; the compiled path's own asyncpg pool is not SQLAlchemy's, and its
statement is counted by the record (``path == "compiled"``: three round trips).
"""

import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

from reusegraph.observability.requests import current

Observer = Callable[[str, float], None]
"""Called after each statement with its text (the shape: parameters are bound) and seconds."""


def watch_statements(engine: Engine, observers: list[Observer]) -> None:
    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        conn.info.setdefault("reusegraph_started", []).append(time.perf_counter())

    def after(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        started = conn.info["reusegraph_started"].pop()
        seconds = time.perf_counter() - started
        record = current.get()
        if record is not None:
            record.statements += 1
        for observe in observers:
            observe(statement, seconds)

    def failed(context: Any) -> None:
        stack = context.connection.info.get("reusegraph_started") if context.connection else None
        if stack:
            stack.pop()

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    event.listen(engine, "handle_error", failed)
