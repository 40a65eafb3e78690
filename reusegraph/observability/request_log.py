"""The log line of one GraphQL request: what an operator searches for, nothing secret.

Never the token, never the document's literal values; variable values only when
``REUSEGRAPH_LOG_VARIABLES`` asks for them. The statement count is there for slow
requests (``REUSEGRAPH_SLOW_REQUEST_MS``), the ones whose count says why.
"""

import logging
from typing import Any

from reusegraph.observability.requests import RequestRecord

log = logging.getLogger("reusegraph.request")


class RequestLog:
    def __init__(self, *, slow_ms: int, with_variables: bool) -> None:
        self.slow_seconds = slow_ms / 1000
        self.with_variables = with_variables

    def __call__(self, record: RequestRecord) -> None:
        if not log.isEnabledFor(logging.INFO):
            return
        fields: dict[str, Any] = {
            "requestId": record.request_id,
            "operationName": record.operation_name,
            "operationType": record.operation_type,
            "status": record.status,
            "durationMs": round(record.duration * 1000, 2),
            "path": record.path,
            "cost": record.cost,
            "issuer": record.issuer,
            "municipality": record.municipality,
        }
        if record.error_codes:
            fields["errorCodes"] = sorted(set(record.error_codes))
        if record.duration >= self.slow_seconds:
            fields["slow"] = True
            fields["statements"] = statement_count(record)
        if self.with_variables and record.variables is not None:
            fields["variables"] = record.variables
        log.info("graphql request", extra={"fields": fields})


def statement_count(record: RequestRecord) -> int:
    """Through SQLAlchemy, plus the compiled answer's one statement (three round trips)."""
    return record.statements + (1 if record.path == "compiled" else 0)
