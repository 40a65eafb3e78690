"""Graceful shutdown of a real ``reusegraph serve`` process (issue 15 item 6).

SIGTERM: ``/readyz`` answers 503 while the server still serves (the drain), then it stops
listening, lets the request in flight finish, and exits 0. The request is held in flight by
a lock the test takes on the table it reads, so it ends exactly when the test says.
"""

import asyncio
import signal
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from sqlalchemy import literal, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from reusegraph.store import sync_state
from reusegraph.store.engine import Database
from tests.support.faulty_remote import FaultyRemote
from tests.support.http import serving
from tests.support.remotes import prepare_gateway, register
from tests.support.serve_process import get, serve_process, until_ready

QUERY = {"query": '{ municipality(code: "DK-0101") { name } }'}


async def readiness_until(base: str, wanted: str) -> list[str]:
    """What ``/readyz`` said, call by call, until it says ``wanted`` (``refused``: no
    connection is accepted, or one is dropped unanswered, as the listener closes)."""
    seen: list[str] = []
    for _ in range(600):
        try:
            seen.append(str((await get(f"{base}/readyz")).status_code))
        except (httpx.ConnectError, httpx.ReadError, httpx.RemoteProtocolError):
            # Closing its sockets, the server may drop a connection it had just accepted.
            seen.append("refused")
        if seen[-1] == wanted:
            return seen
        await asyncio.sleep(0.05)
    raise AssertionError(f"/readyz never said {wanted}: {seen[-5:]}")


@asynccontextmanager
async def municipality_locked(db: Database) -> AsyncIterator[AsyncConnection]:
    async with db.engine.connect() as connection:
        await connection.execute(text("LOCK TABLE municipality IN ACCESS EXCLUSIVE MODE"))
        try:
            yield connection
        finally:
            await connection.rollback()


async def until_waiting_on_lock(db: Database) -> None:
    waiting = text(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    for _ in range(600):
        async with db.engine.connect() as connection:
            if await connection.scalar(waiting):
                return
        await asyncio.sleep(0.05)
    raise AssertionError("the request never reached the database")


async def exit_code(process: subprocess.Popen[bytes]) -> int:
    return await asyncio.to_thread(process.wait, 60)


async def test_sigterm_drains_then_finishes_the_request_in_flight_and_exits_0(
    empty_db: Database,
) -> None:
    with serve_process(empty_db) as (process, base):
        await until_ready(process, base)
        async with httpx.AsyncClient(timeout=120) as client:
            async with municipality_locked(empty_db) as lock:
                in_flight = asyncio.create_task(client.post(f"{base}/graphql", json=QUERY))
                await until_waiting_on_lock(empty_db)
                process.send_signal(signal.SIGTERM)
                draining = await readiness_until(base, "503")
                assert "refused" not in draining, "it stopped listening before the drain"
                await readiness_until(base, "refused")
                assert not in_flight.done(), "the request in flight was cut off"
                await lock.rollback()
            answer = await in_flight
        assert answer.status_code == 200
        assert answer.json()["data"] == {"municipality": None}
        assert await exit_code(process) == 0


async def test_a_request_longer_than_the_shutdown_timeout_is_cut_and_the_server_exits_0(
    empty_db: Database,
) -> None:
    with serve_process(
        empty_db,
        REUSEGRAPH_SHUTDOWN_DRAIN_SECONDS="0",
        REUSEGRAPH_SHUTDOWN_TIMEOUT_SECONDS="1",
    ) as (process, base):
        await until_ready(process, base)
        async with httpx.AsyncClient(timeout=120) as client, municipality_locked(empty_db):
            in_flight = asyncio.create_task(client.post(f"{base}/graphql", json=QUERY))
            await until_waiting_on_lock(empty_db)
            process.send_signal(signal.SIGTERM)
            assert await exit_code(process) == 0
            outcome: Any = await asyncio.gather(in_flight, return_exceptions=True)
        assert not isinstance(outcome[0], httpx.Response) or outcome[0].status_code != 200


async def test_sigterm_releases_the_lock_of_a_sync_under_way_while_still_serving(
    empty_db: Database,
) -> None:
    """Another replica can take the source over during the drain, not only once the
    process is gone."""
    remote = FaultyRemote("http://127.0.0.1:9/graphql", delay=300)
    async with serving(remote) as remote_base:  # type: ignore[arg-type]
        await prepare_gateway(empty_db)
        await register(empty_db, "remote-a", f"{remote_base}/graphql", schedule="every 1h")
        with serve_process(
            empty_db, REUSEGRAPH_SYNC_CHECK_SECONDS="1", REUSEGRAPH_SHUTDOWN_DRAIN_SECONDS="5"
        ) as (process, base):
            await until_ready(process, base)
            await asyncio.wait_for(remote.delaying.wait(), 60)
            assert await running(empty_db, "remote-a")
            process.send_signal(signal.SIGTERM)
            await readiness_until(base, "503")
            for _ in range(200):
                if not await running(empty_db, "remote-a"):
                    break
                await asyncio.sleep(0.05)
            assert not await running(empty_db, "remote-a")
            assert process.poll() is None, "released only because the process had gone"
            assert (await get(f"{base}/readyz")).status_code == 503
            remote.wake.set()
            assert await exit_code(process) == 0


async def running(db: Database, code: str) -> bool:
    async with db.engine.connect() as connection:
        return bool(await connection.scalar(select(sync_state.is_running(literal(code)))))
