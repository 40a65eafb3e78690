"""Issue 11's shapes at 100 000 processes: latency percentiles of the compiled path.

    .venv/bin/python -m bench.large_reads [--seconds 10] [--quick]

The synthetic set of ``bench.dataset`` (100 municipalities x 1 000 processes x 24
months, about 2.4 million benefit records; built once, minutes), one reusegraph server as
shipped, wrk at concurrency 4 per shape. Shape 3 asks for the public process with the
most reuse links. Every answer must come from the compiled path (its header says so),
else the run stops: a p95 of the executor would be a different measurement.
"""

import argparse
import asyncio
from pathlib import Path

import asyncpg
import httpx
import orjson

from bench.compiled import SHAPES
from bench.dataset import FULL, QUICK, ensure_dataset, say_stderr
from bench.measure import Sample, measure
from bench.postgres import DEFAULT_DATA_DIR, server_facts, settle, start_server
from bench.servers import start_uvicorn, stop, wait_ready
from bench.wrk import ensure_wrk
from reusegraph.store.urls import asyncpg_dsn

_BUSIEST_PUBLIC = """
SELECT p.id FROM process p
WHERE p.visibility = 'PUBLIC'
ORDER BY (SELECT count(*) FROM reuse_link l WHERE l.origin_id = p.id OR l.derived_id = p.id)
  DESC, p.id
LIMIT 1
"""
_EXAMPLE = "4402d744-5c80-5fca-9ade-1e3613c08ba9"


async def busiest_public_process(url: str) -> str:
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        return str(await conn.fetchval(_BUSIEST_PUBLIC))
    finally:
        await conn.close()


def shapes(reuse_rich: str) -> dict[str, str]:
    return {
        "1_processes_100": SHAPES["1_processes_100"],
        "2_with_benefits": SHAPES["2_with_benefits"],
        "3_one_process_reuse": SHAPES["3_one_process_reuse"].replace(_EXAMPLE, reuse_rich),
        "4_processes_500": SHAPES["4_processes_500"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--quick", action="store_true", help="the 10 000-process set")
    options = parser.parse_args()
    wrk = ensure_wrk(say_stderr)
    pg = start_server(DEFAULT_DATA_DIR)
    server = None
    try:
        spec = QUICK if options.quick else FULL
        report = asyncio.run(ensure_dataset(pg, spec, say_stderr))
        url = pg.database_url(report.database)
        asyncio.run(settle(url, say_stderr))
        facts = asyncio.run(server_facts(url))
        env = {
            "DATABASE_URL": url,
            "REUSEGRAPH_GRAPHIQL": "false",
            "REUSEGRAPH_RATE_LIMIT": "0",
            "REUSEGRAPH_SYNC_CHECK_SECONDS": "0",
        }
        logs = DEFAULT_DATA_DIR / "logs"
        server = start_uvicorn(
            "compiled", "reusegraph.api.asgi:app_from_environ", env, workers=1, log_dir=logs
        )
        wait_ready(server)
        bodies = DEFAULT_DATA_DIR / "bodies-large"
        bodies.mkdir(parents=True, exist_ok=True)
        chosen = shapes(asyncio.run(busiest_public_process(url)))
        results: dict[str, Sample] = {}
        for key, query in chosen.items():
            body: Path = bodies / f"{key}.json"
            body.write_bytes(orjson.dumps({"query": query}))
            first = httpx.post(f"{server.base_url}/graphql", json={"query": query}, timeout=60)
            path = first.headers.get("x-reusegraph-path", "")
            if path != "compiled" or "errors" in first.json():
                raise SystemExit(f"{key}: not a compiled answer ({path}): {first.text[:300]}")
            results[key] = measure(
                wrk,
                f"{server.base_url}/graphql",
                body,
                server_pid=server.pid,
                postmaster_pid=facts.postmaster_pid,
                seconds=options.seconds,
                connections=4,
                round_no=1,
            )
        print(f"{report.rows['process']} processes, PostgreSQL {facts.version}, wrk -c4")
        print("| shape | req/s | p50 ms | p95 ms | p99 ms | server + PostgreSQL CPU ms/req |")
        print("|---|---:|---:|---:|---:|---:|")
        for key, sample in results.items():
            cpu = sample.server_cpu_ms_per_request + (sample.pg_cpu_ms_per_request or 0.0)
            lat = sample.latency_ms
            print(
                f"| {key} | {sample.requests_per_second:.0f} | {lat['p50']:.2f}"
                f" | {lat['p95']:.2f} | {lat['p99']:.2f} | {cpu:.2f} |"
            )
    finally:
        if server is not None:
            stop(server)
        pg.stop()


if __name__ == "__main__":
    main()
