"""Per-source sync figures, read from the source rows at each scrape.

The rows are the truth every replica shares (the sync of a source runs in whichever
process claimed it), so these are gauges of the database, not of the scraped process.
"""

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from reusegraph.federation.breaker import Breaker
from reusegraph.store import sync_state
from reusegraph.store.engine import Database

SOURCE_METRICS = (
    (
        "reusegraph_source_last_success_timestamp_seconds",
        "When a sync last reached the remote's present (Unix time).",
    ),
    ("reusegraph_source_lag_seconds", "Seconds since the last successful sync."),
    (
        "reusegraph_source_last_run_upserted_records",
        "Records written by the last (or current) run.",
    ),
    ("reusegraph_source_last_run_deleted_records", "Records deleted by the last (or current) run."),
    ("reusegraph_source_consecutive_failures", "Failed runs in a row."),
    ("reusegraph_source_breaker_open", "1 while the source's circuit breaker is open."),
)


class SourceCollector(Collector):
    def __init__(self, rows: Sequence[Any], now: datetime) -> None:
        self.rows = rows
        self.now = now

    def collect(self) -> Iterator[GaugeMetricFamily]:
        families = {
            name: GaugeMetricFamily(name, text, labels=["source"]) for name, text in SOURCE_METRICS
        }
        for row in self.rows:
            if row.kind not in sync_state.MIRRORED:
                continue
            labels = [row.code]
            success = row.last_success_at
            if success is not None:
                families[SOURCE_METRICS[0][0]].add_metric(labels, success.timestamp())
                families[SOURCE_METRICS[1][0]].add_metric(
                    labels, (self.now - success).total_seconds()
                )
            families[SOURCE_METRICS[2][0]].add_metric(labels, row.last_run_upserts)
            families[SOURCE_METRICS[3][0]].add_metric(labels, row.last_run_deletes)
            families[SOURCE_METRICS[4][0]].add_metric(labels, row.consecutive_failures)
            is_open = Breaker.is_open(row.circuit_open_until, self.now)
            families[SOURCE_METRICS[5][0]].add_metric(labels, 1.0 if is_open else 0.0)
        yield from families.values()


async def source_collector(db: Database) -> SourceCollector:
    rows = [row for row, _ in await sync_state.all_sources(db)]
    return SourceCollector(rows, datetime.now(UTC))
