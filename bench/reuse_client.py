"""One timed run of the reuse benchmark: every request of a job file, one caller at a time.

    flock /tmp/reusegraph-bench.lock .venv/bin/python -m bench.reuse_client JOB.json

``bench.reuse`` writes the job file and runs this under ``flock`` so that no other
benchmark on the machine measures at the same time. One keep-alive connection, one
request in flight (a single caller: latency without queueing), a few untimed warm-up
requests per scenario, then requests until both a minimum count and a minimum time are
reached (a scenario slower than ``max_seconds`` in all stops after three). Per request:
time to the first byte of the body and the total time. CPU of the
server's and PostgreSQL's process trees is read from /proc around each scenario. The
result is one JSON object on stdout.
"""

import http.client
import json
import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bench.procstat import cpu_seconds


@dataclass(frozen=True)
class Timing:
    first_byte_ms: float
    total_ms: float
    status: int
    size: int
    errors: bool
    """A GraphQL answer with ``errors`` (the body is checked after timing)."""


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile: the smallest value with ``share`` of the values at or below."""
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


def _request(
    connection: http.client.HTTPConnection, request: dict[str, Any]
) -> tuple[Timing, bytes]:
    body = request["body"].encode() if request.get("body") is not None else None
    started = time.perf_counter()
    connection.request(request["method"], request["path"], body=body, headers=request["headers"])
    answer = connection.getresponse()
    first = answer.read(1)
    first_byte = time.perf_counter()
    rest = answer.read()
    done = time.perf_counter()
    content = first + rest
    graphql_errors = request["method"] == "POST" and b'"errors"' in content[:4096]
    return (
        Timing(
            first_byte_ms=round((first_byte - started) * 1000, 3),
            total_ms=round((done - started) * 1000, 3),
            status=answer.status,
            size=len(content),
            errors=graphql_errors,
        ),
        content,
    )


def run_scenario(
    connection: http.client.HTTPConnection,
    request: dict[str, Any],
    *,
    warmup: int,
    min_requests: int,
    min_seconds: float,
    max_requests: int,
    max_seconds: float,
    server_pid: int | None,
    postmaster_pid: int | None,
) -> dict[str, Any]:
    for _ in range(warmup):
        timing, content = _request(connection, request)
        if timing.status != 200 or timing.errors:
            return {"key": request["key"], "failed": content[:2000].decode(errors="replace")}
    server_before = cpu_seconds(server_pid) if server_pid else 0.0
    pg_before = cpu_seconds(postmaster_pid) if postmaster_pid else 0.0
    timings: list[Timing] = []
    started = time.perf_counter()
    while len(timings) < max_requests:
        elapsed = time.perf_counter() - started
        enough = len(timings) >= min_requests and elapsed >= min_seconds
        if enough or (elapsed >= max_seconds and len(timings) >= 3):
            break
        timings.append(_request(connection, request)[0])
    n = len(timings)
    server = (cpu_seconds(server_pid) - server_before) if server_pid else None
    pg = (cpu_seconds(postmaster_pid) - pg_before) if postmaster_pid else None
    totals = [t.total_ms for t in timings]
    first_bytes = [t.first_byte_ms for t in timings]
    return {
        "key": request["key"],
        "requests": n,
        "failed_requests": sum(1 for t in timings if t.status != 200 or t.errors),
        "p50_ms": percentile(totals, 0.5),
        "p95_ms": percentile(totals, 0.95),
        "max_ms": max(totals),
        "first_byte_p50_ms": percentile(first_bytes, 0.5),
        "first_byte_p95_ms": percentile(first_bytes, 0.95),
        "bytes": timings[-1].size,
        "server_cpu_ms_per_request": None if server is None else round(server * 1000 / n, 3),
        "pg_cpu_ms_per_request": None if pg is None else round(pg * 1000 / n, 3),
        "samples_ms": totals,
        "first_byte_samples_ms": first_bytes,
    }


def main() -> None:
    job = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    base = urlsplit(job["base_url"])
    if base.hostname is None or base.port is None:
        raise SystemExit(f"not a base URL with a port: {job['base_url']}")
    results = []
    for request in job["requests"]:
        # A fresh connection per scenario: one slow answer never delays the next scenario.
        connection = http.client.HTTPConnection(base.hostname, base.port, timeout=300)
        try:
            results.append(
                run_scenario(
                    connection,
                    request,
                    warmup=job["warmup"],
                    min_requests=job["min_requests"],
                    min_seconds=job["min_seconds"],
                    max_requests=job["max_requests"],
                    max_seconds=job["max_seconds"],
                    server_pid=job.get("server_pid"),
                    postmaster_pid=job.get("postmaster_pid"),
                )
            )
        finally:
            connection.close()
    json.dump({"results": results}, sys.stdout)


if __name__ == "__main__":
    main()
