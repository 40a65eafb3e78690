"""Issue 11's four-way read benchmark: executor, compiled, PostGraphile v5 and the floor.

    .venv/bin/python -m bench.fourway [--seconds 8] [--rounds 2]

One run, one demo database (set up like ``bench.compiled``), four servers side by side:
reusegraph with ``REUSEGRAPH_COMPILED_READS=false`` (executor), reusegraph as shipped
(compiled), PostGraphile v5 (``bench/peers.py``) and the floor (``bench/fourway_floor.py``).
Every variant gets the same logical query per shape; the answers are checked equal in
row counts (items per list depth) before anything is measured. Rounds alternate the
variant order. CPU per request is the server's process tree plus the PostgreSQL backends
connected to the bench database (other databases on the server are not counted), because
req/s on this shared machine says more about the neighbours than about the servers.
"""

import argparse
import asyncio
import os
import statistics
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import orjson

from bench.compiled import DATABASE, ensure_demo
from bench.compiled import SHAPES as GRAPHQL
from bench.fourway_lineage import POSTGRAPHILE_FUNCTIONS
from bench.peers import ensure_postgraphile, start_postgraphile
from bench.postgres import DEFAULT_DATA_DIR, server_facts, start_server
from bench.procstat import PROC, TICKS_PER_SECOND, cpu_seconds, own_ticks, tree
from bench.results_files import write_results
from bench.servers import Server, start_uvicorn, stop, wait_ready
from bench.wrk import ensure_wrk, run_wrk
from reusegraph.store.urls import asyncpg_dsn

RESULTS = Path(__file__).resolve().parent / "results"
ONE = "4402d744-5c80-5fca-9ade-1e3613c08ba9"
PG_PAGE = (
    "{{ allProcesses(first: {n}, orderBy: [UPDATED_AT_DESC, ROW_ID_DESC]) {{ nodes {{"
    " title phase municipalityByMunicipalityCode {{ code name }} }} }} }}"
)
POSTGRAPHILE = {
    "1_processes_100": PG_PAGE.format(n=100),
    "2_with_benefits": "{ allProcesses(first: 100, orderBy: [UPDATED_AT_DESC, ROW_ID_DESC]) {"
    " nodes { title phase municipalityByMunicipalityCode { code name }"
    " processItSystemsByProcessId { nodes { itSystemByItSystemCode { name } } }"
    " benefitRecordsByProcessId(orderBy: [PERIOD_ASC, KIND_ASC]) {"
    " nodes { period kind hoursSaved cases } } } } }",
    "3_one_process_reuse": f'{{ processByRowId(rowId: "{ONE}") {{ title'
    " reuseLinksByDerivedId { nodes { kind reusedOn"
    " processByOriginId { title municipalityByMunicipalityCode { code } } } }"
    " reuseLinksByOriginId { nodes { kind reusedOn"
    " processByDerivedId { title municipalityByMunicipalityCode { code } } } }"
    " ancestorLinks { nodes { kind"
    " processByOriginId { title municipalityByMunicipalityCode { code } } } }"
    " descendantLinks { nodes { kind"
    " processByDerivedId { title municipalityByMunicipalityCode { code } } } } } }",
    "4_processes_10": PG_PAGE.format(n=10),
    "4_processes_500": PG_PAGE.format(n=500),
}
VARIANTS = ("executor", "compiled", "postgraphile", "floor")


def say(text: str) -> None:
    print(text, flush=True)


async def give_postgraphile_lineage(url: str) -> None:
    """The lineage functions PostGraphile exposes as fields, before it reads the schema."""
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await conn.execute(POSTGRAPHILE_FUNCTIONS)
    finally:
        await conn.close()


def list_depths(value: Any, depth: int = 0, counts: dict[int, int] | None = None) -> list[int]:
    """Items per list-nesting depth: the row counts, whatever the connection wrappers."""
    counts = {} if counts is None else counts
    if isinstance(value, list):
        counts[depth] = counts.get(depth, 0) + len(value)
        for item in value:
            list_depths(item, depth + 1, counts)
    elif isinstance(value, dict):
        for item in value.values():
            list_depths(item, depth, counts)
    return [counts[d] for d in sorted(counts)]


def titles(value: Any) -> list[str]:
    """Every ``title`` in document order: which rows, not only how many."""
    if isinstance(value, list):
        return [t for item in value for t in titles(item)]
    if isinstance(value, dict):
        own = [value["title"]] if isinstance(value.get("title"), str) else []
        return own + [t for k, item in value.items() if k != "title" for t in titles(item)]
    return []


def backend_ticks(postmaster: int, database: str) -> dict[int, int]:
    """CPU ticks of each live backend connected to ``database`` (its cmdline names it)."""
    ticks: dict[int, int] = {}
    for pid in tree(postmaster):
        try:
            cmdline = (PROC / str(pid) / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if f" {database} " not in cmdline:
            continue
        spent = own_ticks(pid)
        if spent is not None:
            ticks[pid] = spent
    return ticks


@dataclass(frozen=True)
class Run:
    shape: str
    variant: str
    round: int
    requests: int
    requests_per_second: float
    p50_ms: float
    errors: int
    server_cpu_ms: float
    pg_cpu_ms: float
    load1: float


def measure(
    wrk: str, url: str, body: Path, server: Server, postmaster: int, seconds: int
) -> tuple[int, float, float, float, float, int]:
    """One wrk run: requests, req/s, p50, and server / PG CPU ms per request, errors."""
    server_before = cpu_seconds(server.pid)
    pg_before = backend_ticks(postmaster, DATABASE)
    result = run_wrk(wrk, url, body, seconds=seconds, connections=4)
    server_cpu = cpu_seconds(server.pid) - server_before
    pg_after = backend_ticks(postmaster, DATABASE)
    pg_ticks = sum(t - pg_before.get(pid, 0) for pid, t in pg_after.items())
    n = max(result.requests, 1)
    return (
        result.requests,
        result.requests_per_second,
        result.latency_ms["p50"],
        server_cpu * 1000 / n,
        pg_ticks / TICKS_PER_SECOND * 1000 / n,
        result.failed,
    )


def check(
    urls: dict[str, str], bodies: dict[str, bytes]
) -> tuple[dict[str, list[int]], dict[str, str | None]]:
    """Each variant's row counts and (for reusegraph) the path header it answered with."""
    counts: dict[str, list[int]] = {}
    paths: dict[str, str | None] = {}
    seen: dict[str, list[str]] = {}
    for name, url in urls.items():
        answer = httpx.post(
            url,
            content=bodies[name],
            headers={"content-type": "application/json"},
            timeout=60,
        )
        answer.raise_for_status()
        payload = answer.json()
        if payload.get("errors"):
            raise RuntimeError(f"{name} answered errors: {payload['errors']}")
        counts[name] = list_depths(payload["data"])
        seen[name] = titles(payload["data"])
        paths[name] = answer.headers.get("x-reusegraph-path")
    if len({tuple(sorted(t)) for t in seen.values()}) != 1:
        raise SystemExit(f"the variants answer different rows: {seen}")
    in_order = len({tuple(t) for t in seen.values()}) == 1
    paths["titles"] = "same, same order" if in_order else "same, other order"
    return counts, paths


def mean(values: list[float]) -> float:
    return statistics.fmean(values) if values else float("nan")


def summarize(runs: list[Run]) -> dict[str, dict[str, dict[str, float]]]:
    table: dict[str, dict[str, dict[str, float]]] = {}
    for shape in GRAPHQL:
        row: dict[str, dict[str, float]] = {}
        for variant in VARIANTS:
            mine = [r for r in runs if r.shape == shape and r.variant == variant]
            server = mean([r.server_cpu_ms for r in mine])
            pg = mean([r.pg_cpu_ms for r in mine])
            row[variant] = {
                "rps": mean([r.requests_per_second for r in mine]),
                "server": server,
                "pg": pg,
                "total": server + pg,
                "load1": mean([r.load1 for r in mine]),
            }
        for variant in VARIANTS:
            row[variant]["x_floor"] = row[variant]["total"] / row["floor"]["total"]
            row[variant]["x_postgraphile"] = row[variant]["total"] / row["postgraphile"]["total"]
        table[shape] = row
    return table


def markdown(results: dict[str, Any]) -> str:
    lines = [
        f"# Four-way read benchmark, {results['date']}",
        "",
        "reusegraph executor (`REUSEGRAPH_COMPILED_READS=false`), reusegraph compiled,",
        "PostGraphile v5 and the floor (one SQL statement per shape, JSON built by PostgreSQL)",
        "on the demo database, side by side in one run. `wrk -t1 -c4`, "
        f"{results['seconds']:g} s per run, {results['rounds']} rounds with the variant order "
        "reversed in every other round. CPU ms/req = server process tree + PostgreSQL "
        "backends of the bench database, over the run, / requests. Quote CPU, not req/s.",
        "",
        f"Command: `{results['command']}`. Load average before / after: "
        f"{results['load_before']} / {results['load_after']} (2 cores, shared).",
        "",
        "| shape | variant | path header | req/s | server ms/req | PG ms/req | total ms/req "
        "| total per round | x floor | x PostGraphile | load1 |",
        "|---|---|---|---:|---:|---:|---:|---|---:|---:|---:|",
    ]
    for shape, row in results["table"].items():
        for variant, v in row.items():
            path = results["paths"][shape].get(variant) or "-"
            rounds = ", ".join(
                f"{r['server_cpu_ms'] + r['pg_cpu_ms']:.2f}"
                for r in results["runs"]
                if r["shape"] == shape and r["variant"] == variant
            )
            lines.append(
                f"| {shape} | {variant} | {path} | {v['rps']:.0f} | {v['server']:.2f} "
                f"| {v['pg']:.2f} | {v['total']:.2f} | {rounds} | {v['x_floor']:.1f} "
                f"| {v['x_postgraphile']:.1f} | {v['load1']:.1f} |"
            )
    lines += ["", "Row counts per list depth (checked equal before measuring):", ""]
    for shape, counts in results["counts"].items():
        lines.append(f"- {shape}: {counts}")
    lines += ["", *results.get("notes", []), "", f"Every run's numbers: `{results['stem']}.json`."]
    lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--report", type=Path, help="only re-render this run's Markdown page")
    parser.add_argument("--check-only", action="store_true", help="compare answers, no wrk")
    options = parser.parse_args()
    if options.report:
        done = orjson.loads(options.report.read_bytes())
        options.report.with_suffix(".md").write_text(markdown(done))
        return
    load_before = os.getloadavg()
    wrk = ensure_wrk(say)
    ensure_postgraphile()
    pg = start_server(DEFAULT_DATA_DIR)
    servers: dict[str, Server] = {}
    try:
        url = asyncio.run(ensure_demo(pg))
        asyncio.run(give_postgraphile_lineage(url))
        postmaster = asyncio.run(server_facts(url)).postmaster_pid
        if postmaster is None:
            raise SystemExit("the PostgreSQL processes must be visible to count their CPU")
        logs = DEFAULT_DATA_DIR / "logs-fourway"
        base = {
            "DATABASE_URL": url,
            "REUSEGRAPH_GRAPHIQL": "false",
            "REUSEGRAPH_RATE_LIMIT": "0",  # one caller on purpose: budgets are tested
            "REUSEGRAPH_SYNC_CHECK_SECONDS": "0",
        }
        app = "reusegraph.api.asgi:app_from_environ"
        off = {**base, "REUSEGRAPH_COMPILED_READS": "false"}
        servers["executor"] = start_uvicorn("executor", app, off, workers=1, log_dir=logs)
        servers["compiled"] = start_uvicorn("compiled", app, base, workers=1, log_dir=logs)
        servers["postgraphile"] = start_postgraphile(asyncpg_dsn(url), log_dir=logs)
        floor_env = {"BENCH_FLOOR_DATABASE_URL": url}
        factory = "bench.fourway_floor:create_app"
        servers["floor"] = start_uvicorn("floor", factory, floor_env, workers=1, log_dir=logs)
        for server in servers.values():
            wait_ready(server)
        folder = DEFAULT_DATA_DIR / "bodies-fourway"
        folder.mkdir(parents=True, exist_ok=True)
        urls: dict[str, dict[str, str]] = {}
        files: dict[str, dict[str, Path]] = {}
        counts: dict[str, dict[str, list[int]]] = {}
        paths: dict[str, dict[str, str | None]] = {}
        for shape, query in GRAPHQL.items():
            bodies = {v: orjson.dumps({"query": query}) for v in VARIANTS}
            bodies["postgraphile"] = orjson.dumps({"query": POSTGRAPHILE[shape]})
            urls[shape] = {v: f"{servers[v].base_url}/graphql" for v in VARIANTS}
            urls[shape]["floor"] = f"{servers['floor'].base_url}/{shape}"
            files[shape] = {}
            for variant, body in bodies.items():
                files[shape][variant] = folder / f"{shape}-{variant}.json"
                files[shape][variant].write_bytes(body)
            counts[shape], paths[shape] = check(urls[shape], bodies)
            say(f"{shape}: rows {counts[shape]}; paths {paths[shape]}")
            if len({tuple(c) for c in counts[shape].values()}) != 1:
                raise SystemExit(f"{shape}: the variants' row counts differ")
            if options.check_only:
                continue
            for variant in VARIANTS:
                run_wrk(
                    wrk,
                    urls[shape][variant],
                    files[shape][variant],
                    seconds=options.warmup,
                    connections=4,
                )
        runs: list[Run] = []
        for round_no in range(1, 0 if options.check_only else options.rounds + 1):
            order = VARIANTS if round_no % 2 else tuple(reversed(VARIANTS))
            for shape in GRAPHQL:
                for variant in order:
                    n, rps, p50, server_ms, pg_ms, errors = measure(
                        wrk,
                        urls[shape][variant],
                        files[shape][variant],
                        servers[variant],
                        postmaster,
                        options.seconds,
                    )
                    run = Run(
                        shape, variant, round_no, n, round(rps, 1), p50, errors,
                        round(server_ms, 3), round(pg_ms, 3), os.getloadavg()[0],
                    )  # fmt: skip
                    say(str(run))
                    runs.append(run)
    finally:
        for server in servers.values():
            stop(server)
        pg.stop()
    if options.check_only:
        return
    date = datetime.now(UTC).strftime("%Y-%m-%d")
    stem = f"{date}-fourway"
    results = {
        "date": date,
        "stem": stem,
        "finished": time.strftime("%H:%M:%S UTC", time.gmtime()),
        "command": f"python3 -m bench.fourway --seconds {options.seconds:g} "
        f"--rounds {options.rounds}",
        "seconds": options.seconds,
        "rounds": options.rounds,
        "load_before": " ".join(f"{x:.2f}" for x in load_before),
        "load_after": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "counts": counts,
        "paths": paths,
        "table": summarize(runs),
        "runs": [asdict(r) for r in runs],
        "queries": {"reusegraph": GRAPHQL, "postgraphile": POSTGRAPHILE},
    }
    say(write_results(results, RESULTS, stem, markdown).read_text())


if __name__ == "__main__":
    main()
