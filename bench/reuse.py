"""Reuse benchmark: issue 5's queries and exports through HTTP, on the demo and the big set.

    .venv/bin/python -m bench.reuse            # demo + 100 x 1 000 x 24; 3 runs each
    .venv/bin/python -m bench.reuse --quick    # demo + 10 x 100 x 24; 1 run (smoke check)

Steps: PostgreSQL (embedded in ``--data-dir`` unless DATABASE_URL), the demo database
(``load_demo``) and the synthetic set (``bench.dataset``), both VACUUM ANALYZEd once; then
per data set reusegraph as uvicorn (one worker per core, dev mode on so that
``reusegraph dev-token`` can mint the member's token), and for each run every scenario
(``bench.reuse_scenarios``) as an anonymous caller and as a member of one municipality,
one request at a time (``bench.reuse_client``). Every timed run, and the EXPLAIN ANALYZE
of the slowest scenarios (``bench.reuse_plans``), runs under ``flock LOCK``, so another
benchmark on this machine never measures at the same moment. Medians over the runs go to
``bench/results/<date>-reuse.{json,md}``. Everything started here is stopped again.
"""

import argparse
import asyncio
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import asyncpg

from bench import machine
from bench.dataset import FULL, QUICK, DatasetReport, ensure_dataset, say_stderr
from bench.postgres import BenchServer, server_facts, start_server
from bench.results_files import write_results
from bench.reuse_report import write_markdown
from bench.reuse_scenarios import SCENARIOS, Targets, find_targets
from bench.servers import ROOT, start_uvicorn, stop, wait_ready
from reusegraph.store.databases import create_database, database_exists
from reusegraph.store.demo.loader import has_data, load_demo
from reusegraph.store.engine import Database
from reusegraph.store.schema_version import upgrade
from reusegraph.store.urls import asyncpg_dsn

RESULTS = Path(__file__).with_name("results")
DEFAULT_DATA_DIR = Path("/tmp/reusegraph-bench-reuse")
LOCK = Path("/tmp/reusegraph-bench.lock")
DEMO_DATABASE = "bench_reuse_demo"
APP = "reusegraph.api.asgi:app_from_environ"
CALLERS = ("anonymous", "member")
say = say_stderr


@dataclass(frozen=True)
class Options:
    quick: bool
    datasets: tuple[str, ...]
    only: tuple[str, ...]
    runs: int
    min_requests: int
    min_seconds: float
    max_seconds: float
    warmup: int
    plans: int
    workers: int
    app: str
    data_dir: Path
    out_dir: Path
    lock: Path


def parse_options(argv: list[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(
        prog="python -m bench.reuse", description=(__doc__ or "").split("\n\n")[0]
    )
    parser.add_argument("--quick", action="store_true", help="small synthetic set, 1 run")
    parser.add_argument("--datasets", default="demo,synthetic", help="demo, synthetic or both")
    parser.add_argument("--runs", type=int, help="timed runs per data set (default 3; --quick 1)")
    parser.add_argument("--min-requests", type=int, default=20, help="per scenario and run")
    parser.add_argument("--min-seconds", type=float, default=3.0, help="per scenario and run")
    parser.add_argument(
        "--max-seconds", type=float, default=30.0, help="stop a slow scenario after 3 requests"
    )
    parser.add_argument("--warmup", type=int, default=3, help="untimed requests per scenario")
    parser.add_argument("--plans", type=int, default=4, help="slowest scenarios to EXPLAIN")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument(
        "--app", default=APP, help=f"uvicorn factory to measure (default {APP}; for experiments)"
    )
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--lock", type=Path, default=LOCK, help="the machine's benchmark lock")
    parser.add_argument("--only", help="comma-separated scenario keys (default: all)")
    parser.add_argument("--out", type=Path, help="results folder (default bench/results)")
    args = parser.parse_args(argv)
    datasets = tuple(d.strip() for d in args.datasets.split(",") if d.strip())
    if not datasets or set(datasets) - {"demo", "synthetic"}:
        parser.error("--datasets takes demo, synthetic or demo,synthetic")
    runs = args.runs or (1 if args.quick else 3)
    if not 1 <= runs <= 10 or args.min_requests < 3:
        parser.error("--runs must be 1..10 and --min-requests at least 3")
    known = {s.key for s in SCENARIOS}
    only = tuple(k.strip() for k in (args.only or "").split(",") if k.strip()) or tuple(known)
    if set(only) - known:
        parser.error(f"--only takes scenario keys: {', '.join(sorted(known))}")
    out = args.out or (args.data_dir / "results" if args.quick or args.only else RESULTS)
    return Options(
        quick=args.quick,
        datasets=datasets,
        only=only,
        runs=runs,
        min_requests=args.min_requests,
        min_seconds=args.min_seconds,
        max_seconds=args.max_seconds,
        warmup=args.warmup,
        plans=args.plans,
        workers=args.workers,
        app=args.app,
        data_dir=args.data_dir,
        out_dir=out,
        lock=args.lock,
    )


async def ensure_demo(server: BenchServer) -> dict[str, Any]:
    """The shipped demo data set in its own database, loaded once."""
    if not await database_exists(server.url, DEMO_DATABASE):
        say(f"creating database {DEMO_DATABASE}")
        await create_database(server.url, DEMO_DATABASE)
    db = Database(server.database_url(DEMO_DATABASE), pool_size=2)
    try:
        await upgrade(db.engine)
        if not await has_data(db):
            say("loading the demo data ...")
            await load_demo(db)
    finally:
        await db.dispose()
    return {"database": DEMO_DATABASE, "rows": await _rows(server.database_url(DEMO_DATABASE))}


async def _rows(url: str) -> dict[str, int]:
    conn = await asyncpg.connect(asyncpg_dsn(url), timeout=10)
    try:
        return {
            table: int(await conn.fetchval(f"SELECT count(*) FROM {table}"))
            for table in ("municipality", "process", "benefit_record", "reuse_link")
        }
    finally:
        await conn.close()


async def vacuum_analyze(url: str) -> None:
    conn = await asyncpg.connect(asyncpg_dsn(url), timeout=10)
    try:
        await conn.execute("SET statement_timeout = 0")
        await conn.execute("VACUUM (ANALYZE)")
    finally:
        await conn.close()


def app_environ(url: str, data_dir: Path) -> dict[str, str]:
    return {
        "DATABASE_URL": url,
        "REUSEGRAPH_GRAPHIQL": "false",
        "REUSEGRAPH_RATE_LIMIT": "0",  # one caller on purpose: budgets are tested
        "REUSEGRAPH_DEV_MODE": "true",
        "REUSEGRAPH_DATA_DIR": str(data_dir / "app"),
        "REUSEGRAPH_LOG_LEVEL": "warning",
    }


def member_token(environ: dict[str, str], municipality: str) -> str:
    """``reusegraph dev-token``, as the README says: the server trusts it in dev mode."""
    command = [
        str(Path(sys.executable).with_name("reusegraph")),
        "dev-token",
        "--municipality",
        municipality,
        "--role",
        "member",
        "--subject",
        "bench-member",
    ]
    done = subprocess.run(
        command, env={**os.environ, **environ}, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def locked(lock: Path, command: list[str]) -> str:
    """Run ``command`` under ``flock lock`` (waiting for any other benchmark); its stdout."""
    done = subprocess.run(
        ["flock", str(lock), *command], cwd=ROOT, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"{command[2]} failed ({done.returncode}): {done.stderr[-3000:]}")
    return done.stdout


def headers_for(caller: str, token: str) -> dict[str, str]:
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if caller == "member":
        headers["Authorization"] = f"Bearer {token}"
    return headers


def measure_dataset(
    name: str,
    url: str,
    targets: Targets,
    options: Options,
    postmaster_pid: int | None,
) -> dict[str, Any]:
    environ = app_environ(url, options.data_dir)
    token = member_token(environ, targets.municipality)
    app = start_uvicorn(
        f"reusegraph-{name}",
        options.app,
        environ,
        workers=options.workers,
        log_dir=options.data_dir / "logs",
    )
    jobs = options.data_dir / "jobs"
    jobs.mkdir(parents=True, exist_ok=True)
    try:
        wait_ready(app)
        requests = [
            {
                **scenario.request(targets),
                "key": f"{scenario.key}/{caller}",
                "headers": headers_for(caller, token),
            }
            for scenario in SCENARIOS
            if scenario.key in options.only
            for caller in CALLERS
        ]
        job = jobs / f"{name}.json"
        job.write_text(
            json.dumps(
                {
                    "base_url": app.base_url,
                    "requests": requests,
                    "warmup": options.warmup,
                    "min_requests": options.min_requests,
                    "min_seconds": options.min_seconds,
                    "max_requests": 1000,
                    "max_seconds": options.max_seconds,
                    "server_pid": app.pid,
                    "postmaster_pid": postmaster_pid,
                }
            )
        )
        runs: list[list[dict[str, Any]]] = []
        for run_no in range(1, options.runs + 1):
            say(f"{name}: run {run_no}/{options.runs} (waiting for {options.lock} if taken)")
            started = time.monotonic()
            found = json.loads(locked(options.lock, _module("bench.reuse_client", job)))
            runs.append(found["results"])
            for r in found["results"]:
                say(_line(r))
            say(f"{name}: run {run_no} took {time.monotonic() - started:.0f} s")
        summary = summarize(runs)
        plans = explain_slowest(name, url, environ, requests, summary, options)
    finally:
        stop(app)
    return {"targets": asdict(targets), "scenarios": summary, "plans": plans}


def _module(module: str, job: Path) -> list[str]:
    return [sys.executable, "-m", module, str(job)]


def _line(r: dict[str, Any]) -> str:
    if "failed" in r:
        return f"  {r['key']:<42} FAILED: {r['failed'][:300]}"
    return (
        f"  {r['key']:<42} p50 {r['p50_ms']:9.1f} ms  p95 {r['p95_ms']:9.1f} ms"
        f"  ttfb p50 {r['first_byte_p50_ms']:8.1f} ms  n={r['requests']}"
    )


def summarize(runs: list[list[dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    """Per scenario and caller: medians over the runs, and every run's numbers."""
    summary: dict[str, dict[str, Any]] = {}
    for key in [r["key"] for r in runs[0]]:
        per_run = [next(r for r in run if r["key"] == key) for run in runs]
        ok = [r for r in per_run if "failed" not in r]
        if not ok:
            summary[key] = {"failed": per_run[0]["failed"]}
            continue

        def median(field: str, rows: list[dict[str, Any]] = ok) -> float | None:
            values = [r[field] for r in rows if r.get(field) is not None]
            return round(statistics.median(values), 2) if values else None

        summary[key] = {
            "runs": len(ok),
            "p50_ms": median("p50_ms"),
            "p95_ms": median("p95_ms"),
            "first_byte_p50_ms": median("first_byte_p50_ms"),
            "first_byte_p95_ms": median("first_byte_p95_ms"),
            "server_cpu_ms_per_request": median("server_cpu_ms_per_request"),
            "pg_cpu_ms_per_request": median("pg_cpu_ms_per_request"),
            "requests": sum(r["requests"] for r in ok),
            "failed_requests": sum(r["failed_requests"] for r in ok),
            "bytes": ok[-1]["bytes"],
            "per_run": [{k: v for k, v in r.items() if not k.endswith("samples_ms")} for r in ok],
        }
    return summary


def explain_slowest(
    name: str,
    url: str,
    environ: dict[str, str],
    requests: list[dict[str, Any]],
    summary: dict[str, dict[str, Any]],
    options: Options,
) -> list[dict[str, Any]]:
    """EXPLAIN ANALYZE of the slowest statement of each of the slowest scenarios (for the
    caller it was slower for)."""
    worst: dict[str, tuple[str, float]] = {}
    for key, found in summary.items():
        p95 = found.get("p95_ms")
        scenario = key.split("/")[0]
        if p95 is not None and p95 > worst.get(scenario, ("", -1.0))[1]:
            worst[scenario] = (key, p95)
    slowest = sorted(worst.values(), key=lambda kv: -kv[1])[: options.plans]
    plans = []
    for key, p95 in slowest:
        request = next(r for r in requests if r["key"] == key)
        job = options.data_dir / "jobs" / f"{name}-plan.json"
        job.write_text(
            json.dumps(
                {
                    **request,
                    "environ": {k: v for k, v in environ.items() if k != "DATABASE_URL"},
                    "database_url": url,
                    "keep": 1,
                }
            )
        )
        say(f"{name}: EXPLAIN ANALYZE {key} (p95 {p95} ms)")
        found = json.loads(locked(options.lock, _module("bench.reuse_plans", job)))
        plans.append({"key": key, "p95_ms": p95, "statements": found})
    return plans


def run(options: Options) -> Path:
    started = time.monotonic()
    load_before = machine.load_average()
    say(f"PostgreSQL: {os.environ.get('DATABASE_URL') or 'embedded in ' + str(options.data_dir)}")
    pg_server = start_server(options.data_dir)
    datasets: dict[str, Any] = {}
    try:
        prepared: list[tuple[str, str, bool, Any]] = []
        if "demo" in options.datasets:
            demo = asyncio.run(ensure_demo(pg_server))
            prepared.append(("demo", pg_server.database_url(DEMO_DATABASE), True, demo))
        if "synthetic" in options.datasets:
            spec = QUICK if options.quick else FULL
            report: DatasetReport = asyncio.run(ensure_dataset(pg_server, spec, say))
            url = pg_server.database_url(report.database)
            prepared.append(("synthetic", url, False, asdict(report)))
        for name, url, is_demo, facts in prepared:
            say(f"{name}: VACUUM (ANALYZE)")
            asyncio.run(vacuum_analyze(url))
            pg = asyncio.run(server_facts(url))
            targets = asyncio.run(find_targets(url, demo=is_demo))
            measured = measure_dataset(name, url, targets, options, pg.postmaster_pid)
            datasets[name] = {"dataset": facts, **measured}
        pg_version = pg.version
    finally:
        pg_server.stop()
    results = {
        "kind": "reuse",
        "date": dt.date.today().isoformat(),
        "command": " ".join([".venv/bin/python", "-m", "bench.reuse", *sys.argv[1:]]),
        "wall_seconds": round(time.monotonic() - started, 1),
        "machine": {
            **machine.describe(ROOT),
            "load_average_before": load_before,
            "load_average_after": machine.load_average(),
        },
        "versions": {**machine.versions(), "postgresql": pg_version},
        "setup": {
            "app": options.app,
            "workers": options.workers,
            "client": "one keep-alive connection, one request at a time (bench.reuse_client)",
            "runs": options.runs,
            "per_run": f">= {options.min_requests} requests and >= {options.min_seconds:g} s"
            f" per scenario and caller (>= 3 requests if slower than {options.max_seconds:g} s)",
            "warmup_requests": options.warmup,
            "lock": f"flock {options.lock}",
            "aggregate": "median over runs of each run's p50 / p95",
        },
        "scenarios": [{"key": s.key, "label": s.label} for s in SCENARIOS if s.key in options.only],
        "datasets": datasets,
    }
    return _write(results, options)


def _write(results: dict[str, Any], options: Options) -> Path:
    stem = f"{results['date']}-reuse{'-quick' if options.quick else ''}"
    md_path = write_results(results, options.out_dir, stem, write_markdown)
    say(f"wrote {md_path.with_suffix('.json')} and {md_path.name}")
    return md_path


def main(argv: list[str] | None = None) -> None:
    md = run(parse_options(argv))
    print(md.read_text())


if __name__ == "__main__":
    main()
