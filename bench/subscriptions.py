"""Change-to-event latency of GraphQL subscriptions: N WebSocket subscribers, M changes.

    .venv/bin/python -m bench.subscriptions [--subscribers 1000] [--changes 10000] [--rate 100]

Starts the embedded PostgreSQL (or uses ``DATABASE_URL``), a fresh database with one
municipality and 100 public processes, and one reusegraph server (uvicorn, one worker).
``--subscribers`` anonymous WebSocket clients subscribe to ``processChanged { process
{ title } }``; a writer commits ``--changes`` title updates, one per transaction, at
``--rate`` per second, each naming its number. Latency is from just before the UPDATE is
sent to the event's arrival at a subscriber (one clock: writer and clients share this
process). Reports p50/p95/max, events delivered per second and the server's memory
(RSS) before and after. The clients share one Python process, so at large N they, not
the server, may set the pace: read the figures with the rate and counts beside them.
"""

import argparse
import asyncio
import json
import statistics
import time
import uuid
from pathlib import Path

import asyncpg
import websockets

from bench.postgres import DEFAULT_DATA_DIR, fresh_database, start_server
from bench.servers import start_uvicorn, stop, wait_ready
from reusegraph.store.urls import asyncpg_dsn

DATABASE = "bench_subscriptions"
CODE = "DK-0746"
SUBSCRIPTION = "subscription { processChanged { process { title } } }"


def say(text: str) -> None:
    print(text, flush=True)


async def seed(target: str, count: int) -> list[uuid.UUID]:
    conn = await asyncpg.connect(asyncpg_dsn(target))
    try:
        await conn.execute(
            "INSERT INTO municipality (code, name, country, fte_hours_per_year"
            "  , currency) VALUES ($1, 'Bench Kommune', 'DK', 1924, 'DKK')",
            CODE,
        )
        ids = [uuid.uuid4() for _ in range(count)]
        await conn.executemany(
            "INSERT INTO process (id, municipality_code, title, phase, visibility)"
            " VALUES ($1, $2, $3, 'OPERATION', 'PUBLIC')",
            [(i, CODE, f"seed-{n}") for n, i in enumerate(ids)],
        )
        return ids
    finally:
        await conn.close()


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class Clients:
    def __init__(self) -> None:
        self.arrivals: dict[int, list[float]] = {}
        self.received = 0
        self.target = 0
        self.reached = asyncio.Event()

    async def until(self, count: int, seconds: float) -> None:
        self.target = count
        self.reached.clear()
        if self.received < count:
            try:
                await asyncio.wait_for(self.reached.wait(), timeout=seconds)
            except TimeoutError:
                say(f"gave up waiting after {seconds:.0f} s: {self.received} of {count} events")

    async def subscriber(self, url: str, ready: asyncio.Event, counted: list[int]) -> None:
        async with websockets.connect(
            url,
            subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
            max_queue=None,
        ) as ws:
            await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
            await ws.recv()
            payload = {"query": SUBSCRIPTION}
            await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
            counted[0] += 1
            if counted[0] == counted[1]:
                ready.set()
            async for raw in ws:
                now = time.monotonic()
                message = json.loads(raw)
                if message.get("type") != "next":
                    continue
                title = message["payload"]["data"]["processChanged"]["process"]["title"]
                if title.startswith("change-"):
                    self.arrivals.setdefault(int(title.removeprefix("change-")), []).append(now)
                self.received += 1
                if self.received >= self.target:
                    self.reached.set()


async def run(options: argparse.Namespace, target: str, ws_url: str, pid: int) -> None:
    ids = await seed(target, 100)
    clients = Clients()
    ready = asyncio.Event()
    counted = [0, options.subscribers]
    tasks = [
        asyncio.create_task(clients.subscriber(ws_url, ready, counted))
        for _ in range(options.subscribers)
    ]
    await asyncio.wait_for(ready.wait(), timeout=120)
    writer = await asyncpg.connect(asyncpg_dsn(target))
    # Registration with the listener follows the subscribe message: one warm-up change.
    await writer.execute("UPDATE process SET title = 'warm-up' WHERE id = $1", ids[0])
    await clients.until(options.subscribers, 60)
    say(f"{options.subscribers} subscribers listening; server RSS {rss_mb(pid):.0f} MB")
    rss_before = rss_mb(pid)
    sent: dict[int, float] = {}
    started = time.monotonic()
    for n in range(options.changes):
        due = started + n / options.rate
        if (wait := due - time.monotonic()) > 0:
            await asyncio.sleep(wait)
        sent[n] = time.monotonic()
        title = f"change-{n}"
        await writer.execute("UPDATE process SET title = $1 WHERE id = $2", title, ids[n % 100])
    expected = options.changes * options.subscribers
    await clients.until(expected + options.subscribers, 120)
    finished = time.monotonic()
    await writer.close()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    latencies = sorted(
        (arrival - sent[n]) * 1000 for n, times in clients.arrivals.items() for arrival in times
    )
    got = len(latencies)
    say(f"changes {options.changes} at {options.rate}/s, subscribers {options.subscribers}")
    say(f"events {got} of {expected} expected")
    if latencies:
        p95 = latencies[int(0.95 * (got - 1))]
        say(
            f"latency ms: p50 {statistics.median(latencies):.1f}  p95 {p95:.1f}"
            f"  max {latencies[-1]:.1f}"
        )
        say(f"events delivered per second: {got / (finished - started):.0f}")
    say(f"server RSS MB: before {rss_before:.0f}, after {rss_mb(pid):.0f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--changes", type=int, default=10000)
    parser.add_argument("--rate", type=float, default=100.0, help="changes per second")
    options = parser.parse_args()
    pg = start_server(DEFAULT_DATA_DIR)
    target = pg.database_url(DATABASE)
    server = None
    try:
        asyncio.run(fresh_database(pg.url, target, DATABASE))
        env = {
            "DATABASE_URL": target,
            "REUSEGRAPH_RATE_LIMIT": "0",
            "REUSEGRAPH_SYNC_CHECK_SECONDS": "0",
            "REUSEGRAPH_WEBHOOK_WORKER": "false",
        }
        server = start_uvicorn(
            "subscriptions",
            "reusegraph.api.asgi:app_from_environ",
            env,
            workers=1,
            log_dir=DEFAULT_DATA_DIR / "logs",
        )
        wait_ready(server)
        ws_url = server.base_url.replace("http://", "ws://") + "/graphql"
        asyncio.run(run(options, target, ws_url, server.process.pid))
    finally:
        if server is not None:
            stop(server)
        pg.stop()


if __name__ == "__main__":
    main()
