"""The Prometheus metrics of a server process, and what fills them.

Names are the contract with ``deploy/grafana/reusegraph.json`` (a test scrapes for every
name the dashboard queries). With several workers (``PROMETHEUS_MULTIPROC_DIR``, set by
``reusegraph serve``) each process writes its values to files there and a scrape of any
worker adds them up (``metrics_endpoint``).
"""

import time
from collections.abc import Iterable
from typing import Any

from prometheus_client import Counter, Gauge, Histogram

from reusegraph.observability.requests import RequestRecord

OPERATION_NAMES_KEPT = 100
"""Distinct operation names a process labels; later names count as ``other``, so a client
that invents names cannot grow the series without bound (trusted documents bound it too)."""

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
STATEMENT_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0)

REQUESTS = Counter(
    "reusegraph_graphql_requests",
    "GraphQL requests answered, by operation, its type, HTTP status and the path that answered.",
    ["operation", "type", "status", "path"],
)
LATENCY = Histogram(
    "reusegraph_graphql_request_duration_seconds",
    "Time from a GraphQL request's arrival to its answer.",
    ["operation", "type", "path"],
    buckets=LATENCY_BUCKETS,
)
ERRORS = Counter("reusegraph_graphql_errors", "GraphQL errors answered, by code.", ["code"])
REFUSALS = Counter(
    "reusegraph_graphql_refusals",
    "Operations refused by a limit: depth, aliases, cost, rate (the caller's budget), timeout.",
    ["limit"],
)
POOL = Gauge(
    "reusegraph_db_pool_connections",
    "Database connections of this server, by pool (executor, compiled) and state"
    " (in_use, idle, waiting: requests waiting for a connection).",
    ["pool", "state"],
    multiprocess_mode="livesum",
)
STATEMENTS = Histogram(
    "reusegraph_db_statement_duration_seconds",
    "Time of each SQL statement the executor's pool runs.",
    buckets=STATEMENT_BUCKETS,
)

_REFUSAL_CODES = {
    "QUERY_TOO_COMPLEX": "cost",
    "QUERY_TOO_DEEP": "depth",
    "TOO_MANY_ALIASES": "aliases",
    "RATE_LIMITED": "rate",
    "REQUEST_TIMEOUT": "timeout",
}


class RequestMetrics:
    """The request sink of ``observability.requests`` that counts and times."""

    def __init__(self, pools: "PoolGauges | None" = None) -> None:
        self.pools = pools
        self._names: set[str] = set()

    def __call__(self, record: RequestRecord) -> None:
        operation = self._operation_label(record.operation_name, record.operation_type)
        kind = record.operation_type or "unknown"
        REQUESTS.labels(operation, kind, str(record.status), record.path).inc()
        LATENCY.labels(operation, kind, record.path).observe(record.duration)
        for code, message in zip(record.error_codes, record.error_messages, strict=True):
            ERRORS.labels(code).inc()
            limit = refused_by(code, message)
            if limit is not None:
                REFUSALS.labels(limit).inc()
        if self.pools is not None:
            self.pools.refresh_if_due()

    def _operation_label(self, name: str | None, kind: str | None) -> str:
        if kind is None:
            return "unknown"
        if name is None:
            return "anonymous"
        if name in self._names:
            return name
        if len(self._names) < OPERATION_NAMES_KEPT:
            self._names.add(name)
            return name
        return "other"


def refused_by(code: str, message: str) -> str | None:
    """Which limit an error is the refusal of."""
    return _REFUSAL_CODES.get(code)


def observe_statement(statement: str, seconds: float) -> None:
    STATEMENTS.observe(seconds)


POOL_REFRESH_SECONDS = 1.0
"""How often a request may set the pool gauges. Setting them costs about 60 µs (nine
labelled gauges), a fifth of a compiled answer's server CPU; once a second is enough."""


class PoolGauges:
    """Reads the pools' own counts: at each scrape, and after a request at most once per
    ``POOL_REFRESH_SECONDS``, so that with several workers a scrape served by one of them
    still sees the others' pools (as of their last second with traffic)."""

    def __init__(self, executor: Any, compiled: Any | None) -> None:
        self.executor = executor
        """SQLAlchemy's pool (``engine.pool``)."""
        self.compiled = compiled
        """An object whose ``_pool`` is the compiled path's asyncpg pool, once it exists."""
        self._due = 0.0

    def refresh_if_due(self) -> None:
        now = time.monotonic()
        if now >= self._due:
            self._due = now + POOL_REFRESH_SECONDS
            self.refresh()

    def refresh(self) -> None:
        pool = self.executor
        in_use = pool.checkedout()
        idle = pool.checkedin()
        self._set("executor", in_use, idle, _waiters(getattr(pool, "_pool", None)))
        asyncpg_pool = getattr(self.compiled, "_pool", None) if self.compiled else None
        if asyncpg_pool is not None:
            size, idle = asyncpg_pool.get_size(), asyncpg_pool.get_idle_size()
            self._set("compiled", size - idle, idle, _waiters(asyncpg_pool))

    @staticmethod
    def _set(pool: str, in_use: int, idle: int, waiting: int) -> None:
        POOL.labels(pool, "in_use").set(in_use)
        POOL.labels(pool, "idle").set(idle)
        POOL.labels(pool, "waiting").set(waiting)


def _waiters(pool: Any) -> int:
    """Tasks waiting for a connection: neither library counts them, their queues do."""
    queue = getattr(pool, "_queue", None)
    getters: Iterable[Any] = getattr(queue, "_getters", None) or ()
    return sum(1 for waiter in getters if not waiter.done())
