"""What a result was measured on: hardware, versions, code revision, load."""

import os
import platform
import subprocess
import time
from importlib import metadata
from pathlib import Path
from typing import Any

PACKAGES = (
    "strawberry-graphql",
    "graphql-core",
    "starlette",
    "uvicorn",
    "uvloop",
    "httptools",
    "asyncpg",
    "SQLAlchemy",
    "orjson",
)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def memory_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def git_revision(root: Path) -> dict[str, Any]:
    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", *args], cwd=root, capture_output=True, text=True, timeout=10, check=False
        )
        return done.stdout.strip()

    # bench/ itself is left out: a run writes its results there.
    changed = git("status", "--porcelain", "--", ".", ":!bench")
    return {"commit": git("rev-parse", "HEAD"), "dirty": bool(changed)}


def versions() -> dict[str, str]:
    found: dict[str, str] = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def describe(root: Path) -> dict[str, Any]:
    return {
        "nproc": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)),
        "cpu_model": cpu_model(),
        "memory_gib": memory_gib(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "git": git_revision(root),
    }


def sentence(m: dict[str, Any]) -> str:
    """The machine and its load as one line of a results page (``m``: ``describe`` plus the
    load averages the run recorded before and after)."""
    return (
        f"{m['nproc']} CPUs ({m['cpu_model']}), {m['memory_gib']} GiB, Linux {m['kernel']};"
        f" load average {m['load_average_before']} before, {m['load_average_after']} after."
        f" Code: {m['git']['commit'][:12]}"
        f"{' (uncommitted changes)' if m['git']['dirty'] else ''}."
    )


def cpu_probe_ms() -> float:
    """How fast the machine is right now: a fixed pure-Python loop, median of three, in ms.

    The cores of this kind of machine are shared, and their speed moved by up to 1.8x
    within an hour (2026-11-21: the same full sync used 27.6 s of gateway CPU in one run
    and 36.0 s in the next). A result next to its probe says which runs can be compared.
    """
    times = []
    for _ in range(3):
        started = time.perf_counter()
        total = 0
        for i in range(1_000_000):
            total += i
        times.append((time.perf_counter() - started) * 1000)
    return round(sorted(times)[1], 1)
