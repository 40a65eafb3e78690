"""``GET /metrics``: the Prometheus text format, optionally behind a bearer token.

One process: the default registry (with the process and GC collectors). Several workers
(``PROMETHEUS_MULTIPROC_DIR``): the files of all of them, added up; process and GC
figures are then those of the worker that answered the scrape.
"""

import hmac
import logging
import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    GC_COLLECTOR,
    PROCESS_COLLECTOR,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    multiprocess,
)
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from reusegraph.observability.metrics import PoolGauges
from reusegraph.observability.source_metrics import source_collector
from reusegraph.store.engine import Database
from reusegraph.store.errors import DatabaseUnavailable

log = logging.getLogger("reusegraph.metrics")
MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"


class MetricsEndpoint:
    def __init__(self, db: Database, pools: PoolGauges, token: str | None) -> None:
        self.db = db
        self.pools = pools
        self.token = token

    async def scrape(self, request: Request) -> Response:
        if self.token is not None and not self._authorised(request):
            return JSONResponse(
                {"error": "GET /metrics needs Authorization: Bearer <REUSEGRAPH_METRICS_TOKEN>"},
                status_code=401,
                headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
            )
        self.pools.refresh()
        body = generate_latest(_process_registry())
        try:
            sources = CollectorRegistry(auto_describe=False)
            sources.register(await source_collector(self.db))
            body += generate_latest(sources)
        except DatabaseUnavailable as error:
            log.warning("metrics: source figures left out, database unavailable (%s)", error)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    def _authorised(self, request: Request) -> bool:
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        expected = self.token or ""
        return scheme.lower() == "bearer" and hmac.compare_digest(given.encode(), expected.encode())


def _process_registry() -> CollectorRegistry:
    if not os.environ.get(MULTIPROCESS_DIR):
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    registry.register(PROCESS_COLLECTOR)
    registry.register(GC_COLLECTOR)
    return registry
