"""Server CPU per 304: a repeated public GET whose ETag matches (issue 11, goal under 1 ms).

    .venv/bin/python -m bench.etag [--seconds 5]

The demo database of ``bench.compiled`` in a private embedded PostgreSQL
(``/tmp/reusegraph-bench-etag``, or ``DATABASE_URL``), one reusegraph server as shipped
(one worker), wrk at concurrency 4 with ``get.lua``: shape 1 (100 processes with their
municipality) as an anonymous GET, once with ``If-None-Match`` set to its ETag (every
answer a 304) and once without (the compiled 200), each for ``--seconds``. Prints one
Markdown table: req/s and server / PostgreSQL CPU ms per request.
"""

import argparse
import asyncio
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlencode

import asyncpg
import httpx

from bench.compiled import DATABASE, SHAPES
from bench.measure import Sample, measure
from bench.postgres import BenchServer, server_facts, start_server
from bench.servers import ROOT, start_uvicorn, stop, wait_ready
from bench.wrk import ensure_wrk
from reusegraph.store.urls import asyncpg_dsn

DATA_DIR = Path("/tmp/reusegraph-bench-etag")
GET_LUA = Path(__file__).with_name("get.lua")


def say(text: str) -> None:
    print(text, flush=True)


async def ensure_demo(pg: BenchServer) -> str:
    """``bench.compiled``'s demo database, migrated and loaded by this checkout's code
    (``python -m reusegraph`` from the repository, not a console script of another)."""
    admin = await asyncpg.connect(asyncpg_dsn(pg.url))
    try:
        if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", DATABASE):
            await admin.execute(f'CREATE DATABASE "{DATABASE}"')
    finally:
        await admin.close()
    url = pg.database_url(DATABASE)
    env = {**os.environ, "DATABASE_URL": url}
    command = [sys.executable, "-m", "reusegraph"]
    subprocess.run([*command, "migrate"], check=True, cwd=ROOT, env=env)  # noqa: ASYNC221
    loaded = await asyncpg.connect(asyncpg_dsn(url))
    try:
        empty = not await loaded.fetchval("SELECT count(*) FROM process")
    finally:
        await loaded.close()
    if empty:
        subprocess.run([*command, "demo"], check=True, cwd=ROOT, env=env)  # noqa: ASYNC221
    return url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5)
    options = parser.parse_args()
    wrk = ensure_wrk(say)
    pg = start_server(DATA_DIR)
    server = None
    try:
        url = asyncio.run(ensure_demo(pg))
        facts = asyncio.run(server_facts(url))
        env = {
            "DATABASE_URL": url,
            "REUSEGRAPH_GRAPHIQL": "false",
            "REUSEGRAPH_RATE_LIMIT": "0",
            "REUSEGRAPH_SYNC_CHECK_SECONDS": "0",
        }
        server = start_uvicorn(
            "etag", "reusegraph.api.asgi:app_from_environ", env, workers=1, log_dir=DATA_DIR
        )
        wait_ready(server)
        path = "/graphql?" + urlencode({"query": SHAPES["1_processes_100"]})
        first = httpx.get(server.base_url + path, timeout=30)
        tag = first.headers.get("etag")
        if tag is None or "errors" in first.json():
            raise SystemExit(f"no ETag on the public GET: {first.headers} {first.text[:300]}")
        again = httpx.get(server.base_url + path, headers={"If-None-Match": tag}, timeout=30)
        if again.status_code != 304:
            raise SystemExit(f"expected 304, got {again.status_code}")
        accept = "Accept: application/json"
        requests = {
            "304 (If-None-Match matches)": f"{path}\n{accept}\nIf-None-Match: {tag}\n",
            "200 (compiled answer)": f"{path}\n{accept}\n",
        }
        results: dict[str, Sample] = {}
        for name, text in requests.items():
            file = DATA_DIR / f"request-{len(results)}.txt"
            file.write_text(text)
            results[name] = measure(
                wrk,
                server.base_url,
                file,
                server_pid=server.pid,
                postmaster_pid=facts.postmaster_pid,
                seconds=options.seconds,
                connections=4,
                round_no=1,
                script=GET_LUA,
            )
        say(f"PostgreSQL {facts.version}; wrk -t1 -c4 -d{options.seconds:g}s; shape 1 as a GET")
        say("| answer | req/s | p50 ms | server CPU ms/req | PostgreSQL CPU ms/req | errors |")
        say("|---|---:|---:|---:|---:|---:|")
        for name, sample in results.items():
            pg_cpu = sample.pg_cpu_ms_per_request
            say(
                f"| {name} | {sample.requests_per_second:.0f} | {sample.latency_ms['p50']:.2f}"
                f" | {sample.server_cpu_ms_per_request:.3f}"
                f" | {'n/a' if pg_cpu is None else f'{pg_cpu:.3f}'}"
                f" | {sum(sample.errors.values())} |"
            )
    finally:
        if server is not None:
            stop(server)
        pg.stop()


if __name__ == "__main__":
    main()
