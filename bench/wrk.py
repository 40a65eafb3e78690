"""The load generator: wrk from Debian, driven with ``post.lua`` and read back as JSON.

wrk is closed-loop (each connection waits for its answer), so latencies under load carry
coordinated omission and p99 is only indicative; p50 and p95 are what the results quote.
"""

import json
import os
import resource
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

POST_LUA = Path(__file__).with_name("post.lua")
MARKER = "BENCH_RESULT "


class WrkError(RuntimeError):
    pass


def ensure_wrk(say: Callable[[str], None]) -> str:
    """The path of wrk, installing the Debian package if it is missing."""
    found = shutil.which("wrk")
    if found:
        return found
    say("wrk not found: apt-get update && apt-get install -y wrk")
    subprocess.run(["apt-get", "update"], check=True, timeout=600, capture_output=True)
    subprocess.run(
        ["apt-get", "install", "-y", "--no-install-recommends", "wrk"],
        check=True,
        timeout=600,
        capture_output=True,
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
    )
    found = shutil.which("wrk")
    if not found:
        raise WrkError("apt-get installed wrk but it is not on PATH")
    return found


def wrk_version(wrk: str) -> str:
    # wrk -v prints its version and usage and exits with status 1.
    done = subprocess.run([wrk, "-v"], capture_output=True, text=True, timeout=10, check=False)
    lines = (done.stdout or done.stderr).strip().splitlines()
    return lines[0].split(" Copyright")[0] if lines else "unknown"


@dataclass(frozen=True)
class WrkResult:
    requests: int
    seconds: float
    errors: dict[str, int]
    latency_ms: dict[str, float]
    """min, mean, stdev, max, p50, p75, p90, p95, p99."""
    bytes_per_response: float
    wrk_cpu_seconds: float

    @property
    def requests_per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def failed(self) -> int:
        return sum(self.errors.values())


def run_wrk(
    wrk: str,
    url: str,
    body: Path,
    *,
    seconds: float,
    connections: int,
    threads: int = 1,
    timeout_s: int = 60,
    script: Path = POST_LUA,
) -> WrkResult:
    """One wrk run; ``timeout_s`` is per request (wrk's default of 2 s drops slow ones).
    ``script``: ``post.lua`` (``body`` is the JSON to POST) or ``get.lua`` (a request file)."""
    command = [
        wrk,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds:g}s",
        f"--timeout={timeout_s}s",
        "--latency",
        "-s",
        str(script),
        url,
        "--",
        str(body),
    ]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=seconds + timeout_s + 30, check=False
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    lines = [line for line in done.stdout.splitlines() if line.startswith(MARKER)]
    if done.returncode != 0 or not lines:
        raise WrkError(f"wrk failed ({done.returncode}): {done.stderr.strip() or done.stdout}")
    raw = json.loads(lines[-1][len(MARKER) :])
    requests = int(raw["requests"])
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return WrkResult(
        requests=requests,
        seconds=raw["duration_us"] / 1e6,
        errors={k: int(v) for k, v in raw["errors"].items()},
        latency_ms={k: round(float(v) / 1000, 3) for k, v in raw["latency_us"].items()},
        bytes_per_response=raw["bytes"] / requests if requests else 0.0,
        wrk_cpu_seconds=cpu,
    )
