"""A real ``reusegraph serve`` process over a test's database, on a free loopback port."""

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from reusegraph.store.engine import Database
from tests.support.http import free_port

REUSEGRAPH = [sys.executable, "-m", "reusegraph"]


@contextmanager
def serve_process(db: Database, **settings: str) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    port = free_port()
    env = os.environ | {
        "DATABASE_URL": db.url.render_as_string(hide_password=False),
        "REUSEGRAPH_PORT": str(port),
        "REUSEGRAPH_SYNC_CHECK_SECONDS": "0",
        "REUSEGRAPH_WEBHOOK_WORKER": "false",
        "REUSEGRAPH_STATEMENT_TIMEOUT_MS": "120000",
        "REUSEGRAPH_REQUEST_TIMEOUT_MS": "120000",
        "REUSEGRAPH_SHUTDOWN_DRAIN_SECONDS": "3",
        **settings,
    }
    process = subprocess.Popen(
        [*REUSEGRAPH, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        yield process, f"http://127.0.0.1:{port}"
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=60)


async def until_ready(process: subprocess.Popen[bytes], base: str) -> None:
    for _ in range(1200):
        assert process.poll() is None, "the server stopped during start-up"
        try:
            if (await get(f"{base}/readyz")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.1)
    raise AssertionError("the server never became ready")


async def get(url: str) -> httpx.Response:
    async with httpx.AsyncClient(timeout=10) as client:  # a new connection each time
        return await client.get(url)
