"""The remote side of the sync benchmark: one real reusegraph holding every municipality.

The remote is this product over its own database (the synthetic data set of the read
benchmark, in a database of its own because the benchmark edits it). Each gateway source
is ``changes(municipality: X)`` of that one instance, read with a member token of X, so
it hands out all of X's processes with their internal fields; the data set's PERSONAL
processes are made MUNICIPALITY once after loading, so a source holds all its processes.

Serving 100 000 processes with their benefits through Strawberry costs the remote far
more CPU than mirroring them costs the gateway (see the recording's figures), and both
share the same two cores here. So the remote's answers are recorded once, page by page
exactly as the gateway asks for them, and ``sync_fixture`` replays them; the recording's
own wall and CPU time are the remote's share, reported next to the gateway's figures.
"""

import asyncio
import time
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import orjson

from bench.dataset import DatasetReport, DatasetSpec, Say, ensure_dataset
from bench.postgres import BenchServer, server_facts
from bench.procstat import cpu_seconds
from bench.servers import Server, start_uvicorn, stop, wait_ready
from reusegraph.auth.dev_issuer import load_or_create_key, mint
from reusegraph.federation.sources_graphql import QUERY
from reusegraph.store.urls import asyncpg_dsn


@dataclass(frozen=True)
class RemoteSpec(DatasetSpec):
    """The read benchmark's generator arguments, in a database named for this benchmark."""

    @property
    def database_name(self) -> str:
        return (
            f"bench_sync_remote_s{self.seed}_{self.municipalities}x"
            f"{self.processes_per_municipality}x{self.months}"
        )


FULL = RemoteSpec(2026, 50, 1000, 24, date(2026, 10, 1))
QUICK = RemoteSpec(2026, 5, 100, 24, date(2026, 10, 1))
MEDIUM = RemoteSpec(2026, 5, 1000, 24, date(2026, 10, 1))
SIZES = {"quick": QUICK, "medium": MEDIUM, "full": FULL}
"""``--size``: 1 000, 10 000 (a tenth of the full set, to find what grows) or 100 000."""


async def ensure_remote(server: BenchServer, spec: RemoteSpec, say: Say) -> DatasetReport:
    report = await ensure_dataset(server, spec, say)
    url = server.database_url(spec.database_name)
    conn = await asyncpg.connect(asyncpg_dsn(url), timeout=10)
    try:
        personal = await conn.fetchval("SELECT count(*) FROM process WHERE visibility = 'PERSONAL'")
        if personal:
            say(f"making {personal} PERSONAL processes MUNICIPALITY (a source holds all) ...")
            await conn.execute("SET statement_timeout = 0")
            await conn.execute(
                "UPDATE process SET visibility = 'MUNICIPALITY', updated_at = now()"
                " WHERE visibility = 'PERSONAL'"
            )
            await conn.execute("VACUUM (ANALYZE) process")
            await conn.execute("VACUUM (ANALYZE) process_change")
    finally:
        await conn.close()
    return report


async def municipality_codes(url: str) -> list[str]:
    conn = await asyncpg.connect(asyncpg_dsn(url), timeout=10)
    try:
        rows = await conn.fetch(
            "SELECT code FROM municipality m WHERE EXISTS"
            " (SELECT FROM process p WHERE p.municipality_code = m.code) ORDER BY code"
        )
    finally:
        await conn.close()
    return [row["code"] for row in rows]


async def change_fraction(
    url: str, codes: list[str], per_municipality: int, mark: str
) -> tuple[int, int]:
    """Edits ``per_municipality`` processes of each municipality, as their owners would.

    Each gets a new title and a corrected figure in its latest benefit month (when it has
    one), and a newer ``updatedAt``: one upsert per process in the feed, with its children.
    Returns how many, and the id of the transaction that changed them.
    """
    conn = await asyncpg.connect(asyncpg_dsn(url), timeout=10)
    try:
        async with conn.transaction():
            ids = await conn.fetch(
                "SELECT id FROM (SELECT id, row_number() OVER (PARTITION BY municipality_code"
                " ORDER BY md5(id::text || $3)) AS n FROM process"
                " WHERE municipality_code = ANY($1::text[])) AS ranked WHERE n <= $2",
                codes,
                per_municipality,
                mark,
            )
            chosen = [row["id"] for row in ids]
            xid = int(await conn.fetchval("SELECT pg_current_xact_id()::text::bigint"))
            await conn.execute(
                "UPDATE process SET title = left(regexp_replace(title, ' \\(rev [^)]*\\)$', ''),"
                " 230) || ' (rev ' || $2 || ')', updated_at = now() WHERE id = ANY($1::uuid[])",
                chosen,
                mark,
            )
            await conn.execute(
                "UPDATE benefit_record b SET hours_saved = b.hours_saved + 1 FROM"
                " (SELECT DISTINCT ON (process_id) id FROM benefit_record"
                "  WHERE process_id = ANY($1::uuid[]) AND kind = 'MEASURED'"
                "  ORDER BY process_id, period DESC) AS latest WHERE b.id = latest.id",
                chosen,
            )
        return len(chosen), xid
    finally:
        await conn.close()


async def wait_for_horizon(url: str, xid: int, say: Say, *, timeout_s: float = 1800) -> None:
    """The feed hands out a change only once every older transaction has ended (see
    ``store/changes.py``); a long transaction anywhere on the server holds it back."""
    conn = await asyncpg.connect(asyncpg_dsn(url), timeout=10)
    deadline = time.monotonic() + timeout_s
    try:
        while True:
            horizon = int(
                await conn.fetchval("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint")
            )
            if horizon > xid:
                return
            if time.monotonic() > deadline:
                raise SystemExit(f"transaction {horizon} still runs on the server; try later")
            say(f"  waiting for older transactions to end (horizon {horizon}, change {xid})")
            await asyncio.sleep(5)
    finally:
        await conn.close()


async def municipality_counts(
    conn: asyncpg.Connection, codes: list[str], mark: str | None, *, shared_only: bool
) -> dict[str, dict[str, Any]]:
    """Per municipality: processes, benefit records, hours and processes carrying ``mark``
    in their title; ``shared_only`` leaves out PERSONAL ones (what a member's feed gives).
    The same counts on both sides are how the bench decides that a mirror converged."""
    shared = " AND p.visibility <> 'PERSONAL'" if shared_only else ""
    rows = await conn.fetch(
        "SELECT p.municipality_code AS code, count(DISTINCT p.id) AS processes,"
        " count(b.id) AS benefit_records, coalesce(sum(b.hours_saved), 0) AS hours_saved,"
        " count(DISTINCT p.id) FILTER (WHERE p.title LIKE '%(rev ' || $2 || ')')"
        " AS marked FROM process p LEFT JOIN benefit_record b ON b.process_id = p.id"
        f" WHERE p.municipality_code = ANY($1::text[]){shared} GROUP BY p.municipality_code",
        codes,
        mark or "-",
    )
    return {
        row["code"]: {
            "processes": row["processes"],
            "benefit_records": row["benefit_records"],
            "hours_saved": str(row["hours_saved"]),
            "marked": row["marked"],
        }
        for row in rows
    }


async def expected_state(url: str, codes: list[str], mark: str | None) -> dict[str, dict[str, Any]]:
    """Per municipality: what a converged mirror holds (compared after every sync)."""
    conn = await asyncpg.connect(asyncpg_dsn(url), timeout=10)
    try:
        return await municipality_counts(conn, codes, mark, shared_only=True)
    finally:
        await conn.close()


def start_remote(url: str, data_dir: Path, log_dir: Path, workers: int) -> Server:
    """The real app, in dev mode so that ``dev_token`` tokens are trusted."""
    env = {
        "DATABASE_URL": url,
        "REUSEGRAPH_DEV_MODE": "true",
        "REUSEGRAPH_DATA_DIR": str(data_dir),
        "REUSEGRAPH_GRAPHIQL": "false",
        "REUSEGRAPH_RATE_LIMIT": "0",  # one caller on purpose: budgets are tested
        # The sources' page of 500 costs ~80 000 points; a remote with the default limit
        # makes the gateway shrink its pages (``SyncEngine._fetch``), which is not measured.
        "REUSEGRAPH_MAX_COST": "0",
        "REUSEGRAPH_LOG_LEVEL": "warning",
    }
    server = start_uvicorn(
        "remote", "reusegraph.api.asgi:app_from_environ", env, workers=workers, log_dir=log_dir
    )
    wait_ready(server)
    return server


def write_tokens(data_dir: Path, codes: list[str], folder: Path) -> None:
    """A member token per municipality, where the gateway's sources read them (file:).

    A day: the longest an issuer accepts by default (``max_token_lifetime_seconds``)."""
    key = load_or_create_key(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    for code in codes:
        token = mint(
            key, municipality=code, roles=["member"], subject=f"sync-{code}", ttl_seconds=86400
        )
        path = folder / code
        path.write_text(token + "\n")
        path.chmod(0o600)


@dataclass
class FeedWalk:
    """One phase of the recording: every municipality's pages from a cursor to the end."""

    phase: str
    pages: int = 0
    upserts: int = 0
    tombstones: int = 0
    bytes: int = 0
    wall_seconds: float = 0.0
    remote_cpu_seconds: float = 0.0
    pg_cpu_seconds: float | None = None
    ends: dict[str, str] = field(default_factory=dict, repr=False)


async def walk_feeds(
    endpoint: str,
    tokens: Path,
    starts: dict[str, str | None],
    *,
    phase: str,
    first: int,
    pages_dir: Path,
    remote: Server,
    postmaster_pid: int | None,
    concurrency: int,
) -> FeedWalk:
    """Asks the remote exactly what the gateway will ask and keeps each answer as a file."""
    walk = FeedWalk(phase)
    slots = asyncio.Semaphore(concurrency)
    remote_before = cpu_seconds(remote.pid)
    pg_before = cpu_seconds(postmaster_pid) if postmaster_pid else 0.0
    started = time.monotonic()
    async with httpx.AsyncClient(timeout=300) as client:

        async def one(code: str, cursor: str | None) -> None:
            headers = {
                "Authorization": f"Bearer {(tokens / code).read_text().strip()}",
                "Content-Type": "application/json",
                "Accept": "application/json",
            }
            folder = pages_dir / code
            folder.mkdir(parents=True, exist_ok=True)
            async with slots:
                while True:
                    variables = {"since": cursor, "first": first, "municipality": code}
                    body = orjson.dumps({"query": QUERY, "variables": variables})
                    answer = await client.post(endpoint, content=body, headers=headers)
                    parsed = orjson.loads(answer.content)
                    if answer.status_code != 200 or parsed.get("errors"):
                        raise SystemExit(f"remote answered {answer.status_code}: {parsed}")
                    page = parsed["data"]["changes"]
                    (folder / page_name(cursor)).write_bytes(answer.content)
                    walk.pages += 1
                    walk.upserts += len(page["upserts"])
                    walk.tombstones += len(page["tombstones"])
                    walk.bytes += len(answer.content)
                    cursor = page["cursor"]
                    if not page["hasMore"]:
                        walk.ends[code] = cursor
                        return

        await asyncio.gather(*(one(code, since) for code, since in starts.items()))
    walk.wall_seconds = round(time.monotonic() - started, 2)
    walk.remote_cpu_seconds = round(cpu_seconds(remote.pid) - remote_before, 2)
    if postmaster_pid:
        walk.pg_cpu_seconds = round(cpu_seconds(postmaster_pid) - pg_before, 2)
    return walk


def page_name(since: str | None) -> str:
    """Cursors are URL-safe base64, so they make file names as they are."""
    return f"{since or 'start'}.json"


@dataclass
class Recording:
    """What ``sync_fixture`` serves, and what a mirror of it must hold after each phase."""

    database: str
    first: int
    codes: list[str]
    changed: int
    mark: str
    walks: dict[str, dict[str, Any]]
    expected: dict[str, dict[str, dict[str, Any]]]
    """phase (full, incremental) -> municipality -> counts."""
    remote_workers: int
    recorded_at: str

    def save(self, path: Path) -> None:
        path.write_bytes(orjson.dumps(asdict(self), option=orjson.OPT_INDENT_2))

    @classmethod
    def load(cls, path: Path) -> "Recording | None":
        try:
            return cls(**orjson.loads(path.read_bytes()))
        except (OSError, ValueError, TypeError):
            return None


async def record(
    server: BenchServer,
    spec: RemoteSpec,
    root: Path,
    *,
    first: int,
    concurrency: int,
    remote_workers: int,
    say: Say,
) -> Recording:
    """Full feed, then a 1 % edit, then the feed after it, then the (empty) feed after that."""
    url = server.database_url(spec.database_name)
    codes = await municipality_codes(url)
    tokens = root / "tokens"
    pages = root / "pages"
    write_tokens(root / "remote", codes, tokens)
    facts = await server_facts(url)
    remote = start_remote(url, root / "remote", root / "logs", remote_workers)
    mark = time.strftime("%Y%m%d%H%M%S")
    try:
        endpoint = f"{remote.base_url}/graphql"
        common: dict[str, Any] = {
            "first": first,
            "pages_dir": pages,
            "remote": remote,
            "postmaster_pid": facts.postmaster_pid,
            "concurrency": concurrency,
        }
        expected = {"full": await expected_state(url, codes, None)}
        say(f"recording the full feed of {len(codes)} municipalities from the real remote ...")
        full = await walk_feeds(endpoint, tokens, dict.fromkeys(codes), phase="full", **common)
        say(f"  {full}")
        per = max(1, spec.processes_per_municipality // 100)
        changed, xid = await change_fraction(url, codes, per, mark)
        await wait_for_horizon(url, xid, say)
        say(f"changed {changed} processes (title + latest measured benefit); recording again ...")
        expected["incremental"] = await expected_state(url, codes, mark)
        increment = await walk_feeds(
            endpoint, tokens, dict(full.ends), phase="incremental", **common
        )
        say(f"  {increment}")
        if increment.upserts != changed:
            raise SystemExit(f"the feed after the edit has {increment.upserts} of {changed}")
        idle = await walk_feeds(endpoint, tokens, dict(increment.ends), phase="idle", **common)
    finally:
        stop(remote)
    walks = {w.phase: {**asdict(w), "ends": None} for w in (full, increment, idle)}
    return Recording(
        database=spec.database_name,
        first=first,
        codes=codes,
        changed=changed,
        mark=mark,
        walks=walks,
        expected=expected,
        remote_workers=remote_workers,
        recorded_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    )


def main(argv: list[str] | None = None) -> None:
    """``python -m bench.sync_remote``: record (run by ``bench.sync`` under the lock)."""
    import argparse
    import shutil

    from bench.dataset import say_stderr
    from bench.postgres import DEFAULT_DATA_DIR, start_server

    parser = argparse.ArgumentParser(prog="python -m bench.sync_remote")
    parser.add_argument("--size", choices=SIZES, default="full")
    parser.add_argument("--root", type=Path, required=True, help="where the recording goes")
    parser.add_argument("--first", type=int, default=500, help="page size (the sources')")
    parser.add_argument("--concurrency", type=int, default=4, help="feeds walked at once")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers of the remote")
    args = parser.parse_args(argv)
    spec = SIZES[args.size]
    server = start_server(DEFAULT_DATA_DIR)
    try:
        shutil.rmtree(args.root / "pages", ignore_errors=True)
        recording = asyncio.run(
            record(
                server,
                spec,
                args.root,
                first=args.first,
                concurrency=args.concurrency,
                remote_workers=args.workers,
                say=say_stderr,
            )
        )
    finally:
        server.stop()
    recording.save(args.root / "recording.json")


if __name__ == "__main__":
    main()
