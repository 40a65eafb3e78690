"""Compiled path against the executor, side by side, on the demo data (issue 11's shapes).

    .venv/bin/python -m bench.compiled [--seconds 8] [--rounds 2]

Starts the embedded PostgreSQL (or uses ``DATABASE_URL``), a demo database in it, and
two reusegraph servers on it, one with ``REUSEGRAPH_COMPILED_READS=false``; checks both
answer each shape alike, then alternates wrk runs (concurrency 4) and reports server +
PostgreSQL CPU per request. ``bench.fourway`` runs the same shapes with PostGraphile v5
and a floor beside these two.
"""

import argparse
import asyncio
import os
import subprocess
import sys
from pathlib import Path

import asyncpg
import orjson

from bench.measure import Sample, measure
from bench.postgres import DEFAULT_DATA_DIR, BenchServer, server_facts, start_server
from bench.servers import Server, start_uvicorn, stop, wait_ready
from bench.wrk import ensure_wrk, run_wrk
from reusegraph.store.urls import asyncpg_dsn

DATABASE = "bench_compiled_demo"
PAGE = "{{ processes(first: {n}) {{ nodes {{ title phase municipality {{ code name }} }} }} }}"
SHAPES = {
    "1_processes_100": PAGE.format(n=100),
    "2_with_benefits": "{ processes(first: 100) { nodes { title phase municipality { code name }"
    " itSystems { name } benefits { period kind hoursSaved cases } } } }",
    "3_one_process_reuse": '{ process(id: "Process:4402d744-5c80-5fca-9ade-1e3613c08ba9") {'
    " title reusedFrom { kind reusedOn origin { title municipality { code } } }"
    " reusedBy { kind reusedOn derived { title municipality { code } } }"
    " lineage { ancestors { depth kind origin { title municipality { code } } }"
    " descendants { depth kind derived { title municipality { code } } } } } }",
    "4_processes_10": PAGE.format(n=10),
    "4_processes_500": PAGE.format(n=500),
}


def say(text: str) -> None:
    print(text, flush=True)


async def ensure_demo(pg: BenchServer) -> str:
    admin = await asyncpg.connect(asyncpg_dsn(pg.url))
    try:
        exists = await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", DATABASE)
        if not exists:
            await admin.execute(f'CREATE DATABASE "{DATABASE}"')
    finally:
        await admin.close()
    target = pg.database_url(DATABASE)
    env = {**os.environ, "DATABASE_URL": target}
    exe = Path(sys.executable).parent / "reusegraph"
    subprocess.run([str(exe), "migrate"], check=True, env=env)  # noqa: ASYNC221
    loaded = await asyncpg.connect(asyncpg_dsn(target))
    try:
        empty = not await loaded.fetchval("SELECT count(*) FROM process")
    finally:
        await loaded.close()
    if empty:
        subprocess.run([str(exe), "demo"], check=True, env=env)  # noqa: ASYNC221
    return target


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    options = parser.parse_args()
    wrk = ensure_wrk(say)
    pg = start_server(DEFAULT_DATA_DIR)
    servers: list[Server] = []
    try:
        url = asyncio.run(ensure_demo(pg))
        facts = asyncio.run(server_facts(url))
        logs = DEFAULT_DATA_DIR / "logs"
        base = {
            "DATABASE_URL": url,
            "REUSEGRAPH_GRAPHIQL": "false",
            "REUSEGRAPH_RATE_LIMIT": "0",  # one caller on purpose: budgets are tested
            "REUSEGRAPH_SYNC_CHECK_SECONDS": "0",
        }
        targets = {
            "compiled": start_uvicorn(
                "compiled", "reusegraph.api.asgi:app_from_environ", base, workers=1, log_dir=logs
            ),
            "executor": start_uvicorn(
                "executor",
                "reusegraph.api.asgi:app_from_environ",
                {**base, "REUSEGRAPH_COMPILED_READS": "false"},
                workers=1,
                log_dir=logs,
            ),
        }
        servers.extend(targets.values())
        for server in servers:
            wait_ready(server)
        bodies = DEFAULT_DATA_DIR / "bodies-compiled"
        bodies.mkdir(parents=True, exist_ok=True)
        import httpx

        for key, query in SHAPES.items():
            (bodies / f"{key}.json").write_bytes(orjson.dumps({"query": query}))
            answers = {
                name: httpx.post(f"{s.base_url}/graphql", json={"query": query}, timeout=30)
                for name, s in targets.items()
            }
            same = answers["compiled"].json()["data"] == answers["executor"].json()["data"]
            path = answers["compiled"].headers.get("x-reusegraph-path")
            say(f"{key}: same answer: {same}; compiled path: {path}")
            for target in targets.values():
                run_wrk(
                    wrk,
                    f"{target.base_url}/graphql",
                    bodies / f"{key}.json",
                    seconds=2,
                    connections=4,
                )
        results: dict[tuple[str, str], list[Sample]] = {}
        for round_no in range(1, options.rounds + 1):
            order = list(targets) if round_no % 2 else list(reversed(targets))
            for key in SHAPES:
                for name in order:
                    sample = measure(
                        wrk,
                        f"{targets[name].base_url}/graphql",
                        bodies / f"{key}.json",
                        server_pid=targets[name].pid,
                        postmaster_pid=facts.postmaster_pid,
                        seconds=options.seconds,
                        connections=4,
                        round_no=round_no,
                    )
                    results.setdefault((key, name), []).append(sample)
        say("| shape | path | req/s | server CPU ms/req | PostgreSQL CPU ms/req | total |")
        say("|---|---|---:|---:|---:|---:|")
        for key in SHAPES:
            for name in targets:
                runs = results[(key, name)]
                rps = sum(s.requests_per_second for s in runs) / len(runs)
                app_cpu = sum(s.server_cpu_ms_per_request for s in runs) / len(runs)
                pgs = [s.pg_cpu_ms_per_request for s in runs if s.pg_cpu_ms_per_request is not None]
                pgc = sum(pgs) / len(pgs) if pgs else float("nan")
                total = app_cpu + pgc
                say(f"| {key} | {name} | {rps:.0f} | {app_cpu:.2f} | {pgc:.2f} | {total:.2f} |")
    finally:
        for server in servers:
            stop(server)
        pg.stop()


if __name__ == "__main__":
    main()
