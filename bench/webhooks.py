"""Change-to-delivery latency of webhooks: N subscriptions, M changes, one replica delivering.

    .venv/bin/python -m bench.webhooks [--subscriptions 1000] [--changes 10000] [--quick]

Starts the embedded PostgreSQL (or uses ``DATABASE_URL``), a fresh database with
``--municipalities`` municipalities of 10 public processes each, and one reusegraph server
(uvicorn, one worker: one delivery worker). ``--subscriptions`` subscriptions (one
signed-in reader each) filter on one municipality each, round robin, so every change is
for ``subscriptions / municipalities`` of them. The receiver is a raw asyncio HTTP/1.1
server on loopback in this process, answering 204 and recording each arrival.

Two phases. *Paced*: ``--changes`` title updates, one per transaction, at ``--rate`` per
second; latency is from just before the UPDATE is sent to the POST's arrival (one clock:
writer and receiver share this process), p50/p95/max. *Burst*: ``--burst`` updates as fast
as one connection commits them; deliveries per second from the first change to the last
arrival is what the replica delivers when it has a queue. Server RSS (its process tree)
at the start (subscriptions made, before any change), the middle (half the paced changes)
and the end (after the burst); CPU per delivery of the server and of PostgreSQL over the
burst (the figure the machine's other tenants move least). ``--quick``: 100 subscriptions
x 1 000 changes.
"""

import argparse
import asyncio
import statistics
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg

from bench.postgres import DEFAULT_DATA_DIR, fresh_database, server_facts, start_server
from bench.procstat import cpu_seconds
from bench.servers import start_uvicorn, stop, wait_ready
from reusegraph.auth.principal import Principal, Role
from reusegraph.events import signing
from reusegraph.events.worker import message_id
from reusegraph.store import webhooks
from reusegraph.store.audit import Call
from reusegraph.store.engine import Database
from reusegraph.store.urls import asyncpg_dsn

DATABASE = "bench_webhooks"
PROCESSES_PER_MUNICIPALITY = 10
LAST_EVENT = "SELECT currval(pg_get_serial_sequence('webhook_event', 'id'))"
ANSWER = b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n"


def say(text: str) -> None:
    print(text, flush=True)


def codes(count: int) -> list[str]:
    return [f"DK-{1001 + n}" for n in range(count)]


async def seed(target: str, municipalities: int) -> list[tuple[uuid.UUID, str]]:
    """(process, municipality) for every process, in the order changes take them."""
    conn = await asyncpg.connect(asyncpg_dsn(target))
    try:
        rows: list[tuple[uuid.UUID, str]] = []
        for code in codes(municipalities):
            await conn.execute(
                "INSERT INTO municipality (code, name, country, fte_hours_per_year, currency)"
                " VALUES ($1, $2, 'DK', 1924, 'DKK')",
                code,
                f"Bench {code}",
            )
            rows += [(uuid.uuid4(), code) for _ in range(PROCESSES_PER_MUNICIPALITY)]
        await conn.executemany(
            "INSERT INTO process (id, municipality_code, title, phase, visibility)"
            " VALUES ($1, $2, $3, 'OPERATION', 'PUBLIC')",
            [(key, code, f"seed-{n}") for n, (key, code) in enumerate(rows)],
        )
        # Round robin over municipalities, so consecutive changes fan out to different sets.
        return [
            rows[(n % municipalities) * PROCESSES_PER_MUNICIPALITY + n // municipalities]
            for n in range(len(rows))
        ]
    finally:
        await conn.close()


async def subscribe_all(target: str, receiver_url: str, count: int, municipalities: int) -> None:
    db = Database(target, pool_size=4)
    secret = signing.new_secret()
    gate = asyncio.Semaphore(4)

    async def one(k: int) -> None:
        who = Principal(
            issuer="bench", subject=f"portal-{k}", municipality=None, roles=frozenset({Role.READER})
        )
        spec = {"municipality": codes(municipalities)[k % municipalities]}
        new = webhooks.NewSubscription(f"{receiver_url}/{k}", ["process.updated"], spec, secret)
        async with gate, db.session(who) as session:
            await webhooks.subscribe(session, Call(who), new)

    try:
        await asyncio.gather(*(one(k) for k in range(count)))
    finally:
        await db.dispose()


@dataclass
class Receiver:
    """Arrivals by change number; the writer notes when each change was sent."""

    changes: dict[str, int] = field(default_factory=dict)
    """``webhook-id`` -> change number (the payload shows the process as it is by then)."""
    arrivals: dict[int, list[float]] = field(default_factory=dict)
    seen: set[tuple[str, bytes]] = field(default_factory=set)
    duplicates: int = 0
    """Deliveries of a change a subscription had already received (at least once)."""
    received: int = 0
    target: int = 0
    connections: set[asyncio.StreamWriter] = field(default_factory=set)
    reached: asyncio.Event = field(default_factory=asyncio.Event)

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections.add(writer)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length, message = 0, ""
                for line in head.split(b"\r\n"):
                    name, _, value = line.partition(b":")
                    name = name.strip().lower()
                    if name == b"content-length":
                        length = int(value)
                    elif name == b"webhook-id":
                        message = value.strip().decode()
                await reader.readexactly(length)
                now = time.monotonic()
                writer.write(ANSWER)
                self.note(head.split(b" ", 2)[1], message, now)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self.connections.discard(writer)
            writer.close()

    async def close(self) -> None:
        """Hang up on the worker's kept-alive connections, so every handler ends."""
        for writer in list(self.connections):
            writer.close()
        for _ in range(200):
            if not self.connections:
                return
            await asyncio.sleep(0.01)

    def note(self, path: bytes, message: str, now: float) -> None:
        n = self.changes.get(message)
        if n is None:
            return
        if (message, path) in self.seen:
            self.duplicates += 1
            return
        self.seen.add((message, path))
        self.arrivals.setdefault(n, []).append(now)
        self.received += 1
        if self.received >= self.target:
            self.reached.set()

    async def until(self, count: int, seconds: float) -> None:
        self.target = count
        self.reached.clear()
        if self.received < count:
            try:
                await asyncio.wait_for(self.reached.wait(), timeout=seconds)
            except TimeoutError:
                say(f"gave up after {seconds:.0f} s: {self.received} of {count} deliveries")


def rss_mb(pid: int) -> float:
    """The process and its children (uvicorn's supervisor, if any, and its worker)."""
    total, pids = 0.0, {pid}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            pids.add(int(stat.parent.name))
    for member in pids:
        try:
            status = Path(f"/proc/{member}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1]) / 1024
    return total


def percentile(values: list[float], share: float) -> float:
    return values[int(share * (len(values) - 1))]


async def run(options: argparse.Namespace, target: str, pid: int) -> None:
    processes = await seed(target, options.municipalities)
    receiver = Receiver()
    listener = await asyncio.start_server(receiver.serve, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    await subscribe_all(
        target, f"http://127.0.0.1:{port}/hook", options.subscriptions, options.municipalities
    )
    fan_out = options.subscriptions // options.municipalities
    say(f"{options.subscriptions} subscriptions, {fan_out} per change")
    writer = await asyncpg.connect(asyncpg_dsn(target))
    await asyncio.sleep(2 * options.poll_ms / 1000)
    rss = {"start": rss_mb(pid)}
    sent: dict[int, float] = {}

    async def change(n: int) -> None:
        key, _ = processes[n % len(processes)]
        sent[n] = time.monotonic()
        async with writer.transaction():
            await writer.execute("UPDATE process SET title = $1 WHERE id = $2", f"change-{n}", key)
            event = await writer.fetchval(LAST_EVENT)
            receiver.changes[message_id(event)] = n  # before the commit: before any delivery

    started = time.monotonic()
    for n in range(options.changes):
        due = started + n / options.rate
        if (wait := due - time.monotonic()) > 0:
            await asyncio.sleep(wait)
        await change(n)
        if n == options.changes // 2:
            rss["middle"] = rss_mb(pid)
    paced = options.changes * fan_out
    await receiver.until(paced, options.timeout)
    latencies = sorted(
        (arrival - sent[n]) * 1000
        for n, times in receiver.arrivals.items()
        for arrival in times
        if n < options.changes
    )

    postmaster = (await server_facts(target)).postmaster_pid
    cpu_before = (cpu_seconds(pid), cpu_seconds(postmaster) if postmaster else 0.0)
    burst_from = options.changes
    burst_started = time.monotonic()
    for n in range(burst_from, burst_from + options.burst):
        await change(n)
    written = time.monotonic()
    await receiver.until(paced + options.burst * fan_out, options.timeout)
    last = max(
        (max(times) for n, times in receiver.arrivals.items() if n >= burst_from),
        default=written,
    )
    rss["end"] = rss_mb(pid)
    server_cpu = cpu_seconds(pid) - cpu_before[0]
    postgres_cpu = (cpu_seconds(postmaster) if postmaster else 0.0) - cpu_before[1]
    await writer.close()
    listener.close()
    await receiver.close()

    got = len(latencies)
    say(f"paced: {options.changes} changes at {options.rate:g}/s -> {got} of {paced} deliveries")
    if latencies:
        say(
            f"latency ms: p50 {statistics.median(latencies):.0f}"
            f"  p95 {percentile(latencies, 0.95):.0f}  max {latencies[-1]:.0f}"
        )
    burst_got = sum(len(t) for n, t in receiver.arrivals.items() if n >= burst_from)
    say(
        f"burst: {options.burst} changes written in {written - burst_started:.1f} s;"
        f" {burst_got} of {options.burst * fan_out} deliveries in {last - burst_started:.1f} s"
        f" = {burst_got / max(last - burst_started, 1e-9):.0f} deliveries/s"
    )
    if burst_got:
        say(
            f"burst CPU ms per delivery: server {1000 * server_cpu / burst_got:.1f},"
            f" PostgreSQL {1000 * postgres_cpu / burst_got:.1f} (all its backends)"
        )
    say(f"duplicates: {receiver.duplicates}")
    say("server RSS MB: " + ", ".join(f"{k} {v:.0f}" for k, v in rss.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscriptions", type=int, default=1000)
    parser.add_argument("--changes", type=int, default=10000)
    parser.add_argument("--burst", type=int, default=None, help="default: changes / 2")
    parser.add_argument("--municipalities", type=int, default=10)
    parser.add_argument("--rate", type=float, default=20.0, help="paced changes per second")
    parser.add_argument("--poll-ms", type=int, default=1000, help="REUSEGRAPH_WEBHOOK_POLL_MS")
    parser.add_argument("--timeout", type=float, default=600.0, help="longest wait per phase")
    parser.add_argument("--quick", action="store_true", help="100 subscriptions x 1 000 changes")
    options = parser.parse_args()
    if options.quick:
        options.subscriptions, options.changes = 100, 1000
    if options.burst is None:
        options.burst = options.changes // 2
    pg = start_server(DEFAULT_DATA_DIR)
    target = pg.database_url(DATABASE)
    server = None
    try:
        asyncio.run(fresh_database(pg.url, target, DATABASE))
        env = {
            "DATABASE_URL": target,
            "REUSEGRAPH_RATE_LIMIT": "0",
            "REUSEGRAPH_SYNC_CHECK_SECONDS": "0",
            "REUSEGRAPH_WEBHOOK_ALLOW_PRIVATE": "true",
            "REUSEGRAPH_WEBHOOK_POLL_MS": str(options.poll_ms),
        }
        server = start_uvicorn(
            "webhooks",
            "reusegraph.api.asgi:app_from_environ",
            env,
            workers=1,
            log_dir=DEFAULT_DATA_DIR / "logs",
        )
        wait_ready(server)
        asyncio.run(run(options, target, server.process.pid))
    finally:
        if server is not None:
            stop(server)
        pg.stop()


if __name__ == "__main__":
    main()
