"""One measured wrk run against one server, with the CPU every party spent during it."""

import statistics
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench.procstat import cpu_seconds, machine_cpu_seconds
from bench.wrk import POST_LUA, run_wrk


@dataclass(frozen=True)
class Sample:
    round: int
    requests: int
    seconds: float
    requests_per_second: float
    latency_ms: dict[str, float]
    errors: dict[str, int]
    server_cpu_ms_per_request: float
    pg_cpu_ms_per_request: float | None
    wrk_cpu_cores: float
    """wrk's own CPU over the run, in cores (it shares the machine with the servers)."""
    other_cpu_cores: float | None
    """Everything else the machine ran meanwhile (other tenants), in cores."""
    bytes_per_response: float


def measure(
    wrk: str,
    url: str,
    body: Path,
    *,
    server_pid: int,
    postmaster_pid: int | None,
    seconds: float,
    connections: int,
    round_no: int,
    script: Path = POST_LUA,
) -> Sample:
    server_before = cpu_seconds(server_pid)
    pg_before = cpu_seconds(postmaster_pid) if postmaster_pid else 0.0
    machine_before = machine_cpu_seconds()
    wall_before = time.monotonic()
    result = run_wrk(wrk, url, body, seconds=seconds, connections=connections, script=script)
    wall = time.monotonic() - wall_before
    machine = machine_cpu_seconds() - machine_before
    server = cpu_seconds(server_pid) - server_before
    pg = cpu_seconds(postmaster_pid) - pg_before if postmaster_pid else None
    n = max(result.requests, 1)
    other = None if pg is None else (machine - server - pg - result.wrk_cpu_seconds) / wall
    return Sample(
        round=round_no,
        requests=result.requests,
        seconds=round(result.seconds, 3),
        requests_per_second=round(result.requests_per_second, 2),
        latency_ms=result.latency_ms,
        errors=result.errors,
        server_cpu_ms_per_request=round(server * 1000 / n, 3),
        pg_cpu_ms_per_request=None if pg is None else round(pg * 1000 / n, 3),
        wrk_cpu_cores=round(result.wrk_cpu_seconds / wall, 3),
        other_cpu_cores=None if other is None else round(max(other, 0.0), 3),
        bytes_per_response=round(result.bytes_per_response, 1),
    )


@dataclass(frozen=True)
class Summary:
    """Medians over the rounds (interleaved with the other server, so noise hits both)."""

    requests_per_second: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    server_cpu_ms_per_request: float
    pg_cpu_ms_per_request: float | None
    cpu_ms_per_request: float
    """Server + PostgreSQL: what one request costs the machine (wrk excluded)."""
    requests_per_core_second: float
    other_cpu_cores: float | None
    """Median CPU of everything else on the machine during the runs: the noise."""
    requests: int
    failed_requests: int
    samples: list[dict[str, Any]]


def summarize(samples: list[Sample]) -> Summary:
    def median(values: list[float]) -> float:
        return round(statistics.median(values), 3)

    server = median([s.server_cpu_ms_per_request for s in samples])
    pg_values = [s.pg_cpu_ms_per_request for s in samples if s.pg_cpu_ms_per_request is not None]
    pg = median(pg_values) if len(pg_values) == len(samples) else None
    total = median(
        [s.server_cpu_ms_per_request + (s.pg_cpu_ms_per_request or 0.0) for s in samples]
    )
    others = [s.other_cpu_cores for s in samples if s.other_cpu_cores is not None]
    return Summary(
        requests_per_second=median([s.requests_per_second for s in samples]),
        p50_ms=median([s.latency_ms["p50"] for s in samples]),
        p95_ms=median([s.latency_ms["p95"] for s in samples]),
        p99_ms=median([s.latency_ms["p99"] for s in samples]),
        server_cpu_ms_per_request=server,
        pg_cpu_ms_per_request=pg,
        cpu_ms_per_request=total,
        requests_per_core_second=round(1000 / total, 1) if total else 0.0,
        other_cpu_cores=median(others) if len(others) == len(samples) else None,
        requests=sum(s.requests for s in samples),
        failed_requests=sum(sum(s.errors.values()) for s in samples),
        samples=[asdict(s) for s in samples],
    )
