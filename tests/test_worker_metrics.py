"""Metrics with several workers: a worker that dies takes its live gauges with it.

A real ``reusegraph serve`` with two workers: each writes its values to files in
``PROMETHEUS_MULTIPROC_DIR``; when one is killed, the supervisor starts another and removes
the dead one's pool gauges (``mark_process_dead``), so scrapes stop adding in connections
that no longer exist, while its counts stay in the deployment's totals.
"""

import asyncio
import os
import shutil
import signal
import tempfile
from pathlib import Path
from typing import Any

import httpx

from reusegraph.store.engine import Database
from tests.support.serve_process import serve_process

STALE = 999999
"""The process id in the name of a file an earlier run left behind."""


async def test_a_killed_worker_loses_its_live_gauges_and_keeps_its_counts(
    empty_db: Database,
) -> None:
    directory = Path(tempfile.mkdtemp(prefix="reusegraph-test-metrics-"))
    (directory / f"gauge_livesum_{STALE}.db").write_bytes(b"left by an earlier run")
    try:
        with serve_process(
            empty_db,
            REUSEGRAPH_WORKERS="2",
            REUSEGRAPH_SHUTDOWN_DRAIN_SECONDS="0",
            PROMETHEUS_MULTIPROC_DIR=str(directory),
        ) as (process, base):
            victim = await until_a_worker_wrote_gauges(process, base, directory)
            assert not (directory / f"gauge_livesum_{STALE}.db").exists()
            assert (directory / f"counter_{victim}.db").exists()
            os.kill(victim, signal.SIGKILL)
            for _ in range(400):
                if not (directory / f"gauge_livesum_{victim}.db").exists():
                    break
                await asyncio.sleep(0.05)
            assert not (directory / f"gauge_livesum_{victim}.db").exists()
            assert (directory / f"counter_{victim}.db").exists()
            async with httpx.AsyncClient(timeout=10) as client:
                scrape = await client.get(f"{base}/metrics")
            assert "reusegraph_graphql_requests_total" in scrape.text
            process.send_signal(signal.SIGTERM)
            assert await asyncio.to_thread(process.wait, 60) == 0
    finally:
        shutil.rmtree(directory, ignore_errors=True)


async def until_a_worker_wrote_gauges(process: Any, base: str, directory: Path) -> int:
    """Query until some worker has written its pool gauges; its process id."""
    query = {"query": "{ __typename }"}
    for _ in range(1200):
        assert process.poll() is None, "the server stopped during start-up"
        try:
            async with httpx.AsyncClient(timeout=10) as client:
                await client.post(f"{base}/graphql", json=query)
        except httpx.TransportError:
            await asyncio.sleep(0.1)
            continue
        live = gauge_writers(directory)
        if live:
            return live[0]
    raise AssertionError("no worker wrote its gauges")


def gauge_writers(directory: Path) -> list[int]:
    pids = [int(f.stem.rsplit("_", 1)[1]) for f in directory.glob("gauge_livesum_*.db")]
    return [pid for pid in pids if pid != STALE]
