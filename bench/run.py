"""Read benchmark: reusegraph's GraphQL next to hand-written SQL, per scenario.

    .venv/bin/python -m bench.run            # full data set, 2 rounds x 10 s per server
    .venv/bin/python -m bench.run --quick    # small data set, 3 s runs: a smoke check

Steps: wrk (installed from Debian if missing), PostgreSQL (embedded unless DATABASE_URL),
the data set (loaded once, ``bench.dataset``), both servers as uvicorn with one worker per
core, a check that both answer every scenario with the same data, a warm-up, then wrk
rounds that alternate between the servers. CPU of each server tree and of PostgreSQL is
read from /proc around every run. Everything started here is stopped again, whatever
happens. Only loopback is used.
"""

import argparse
import asyncio
import datetime as dt
import os
import sys
import time
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import orjson

from bench import machine
from bench.dataset import FULL, QUICK, DatasetReport, ensure_dataset, say_stderr
from bench.measure import Sample, measure, summarize
from bench.postgres import DEFAULT_DATA_DIR, BenchServer, server_facts, start_server
from bench.report import write_markdown
from bench.results_files import write_results
from bench.scenarios import SCENARIOS, Scenario, Shape, first_difference, shape
from bench.servers import ROOT, Server, start_uvicorn, stop, wait_ready
from bench.wrk import ensure_wrk, run_wrk, wrk_version

RESULTS = Path(__file__).with_name("results")
say = say_stderr


@dataclass(frozen=True)
class Options:
    quick: bool
    reload: bool
    seconds: float
    warmup_seconds: float
    rounds: int
    connections: int
    workers: int
    data_dir: Path
    out_dir: Path


def parse_options(argv: list[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(
        prog="python -m bench.run", description=(__doc__ or "").split("\n\n")[0]
    )
    parser.add_argument("--quick", action="store_true", help="small data set and 3 s runs")
    parser.add_argument("--reload", action="store_true", help="drop and load the data set again")
    parser.add_argument("--seconds", type=float, help="length of one wrk run (default 10, 3)")
    parser.add_argument("--rounds", type=int, default=2, help="rounds per server (median)")
    parser.add_argument("--connections", type=int, default=4, help="wrk connections")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="per server")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument(
        "--out", type=Path, help="results folder (default bench/results; --quick: data dir)"
    )
    args = parser.parse_args(argv)
    if not 1 <= args.rounds <= 10 or not 1 <= args.connections <= 64:
        parser.error("--rounds must be 1..10 and --connections 1..64")
    seconds = args.seconds or (3.0 if args.quick else 10.0)
    if not 1 <= seconds <= 120:
        parser.error("--seconds must be 1..120")
    out = args.out or (args.data_dir / "results" if args.quick else RESULTS)
    return Options(
        quick=args.quick,
        reload=args.reload,
        seconds=seconds,
        warmup_seconds=1.0 if args.quick else 3.0,
        rounds=args.rounds,
        connections=args.connections,
        workers=args.workers,
        data_dir=args.data_dir,
        out_dir=out,
    )


def post(url: str, body: bytes) -> tuple[int, bytes]:
    request = urllib.request.Request(
        url, data=body, headers={"Content-Type": "application/json", "Accept": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=120) as answer:
        status: int = answer.status
        return status, answer.read()


@dataclass(frozen=True)
class Check:
    """Both servers' first answer to a scenario, compared."""

    same_data: bool
    difference: str | None
    reusegraph: Shape
    floor: Shape


def check(scenario: Scenario, app: Server, floor: Server) -> Check:
    body = scenario.body()
    app_status, app_raw = post(f"{app.base_url}/graphql", body)
    floor_status, floor_raw = post(f"{floor.base_url}{scenario.floor_path}", body)
    app_json, floor_json = orjson.loads(app_raw), orjson.loads(floor_raw)
    if app_status != 200 or "errors" in app_json or not app_json.get("data"):
        raise SystemExit(f"{scenario.key}: reusegraph answered {app_status}: {app_raw[:2000]!r}")
    if floor_status != 200 or not floor_json.get("data"):
        raise SystemExit(f"{scenario.key}: the floor answered {floor_status}: {floor_raw[:2000]!r}")
    difference = first_difference(app_json["data"], floor_json["data"])
    return Check(
        same_data=difference is None,
        difference=difference,
        reusegraph=shape(app_json["data"], len(app_raw)),
        floor=shape(floor_json["data"], len(floor_raw)),
    )


def run(options: Options) -> Path:
    started = time.monotonic()
    load_before = machine.load_average()
    wrk = ensure_wrk(say)
    spec = QUICK if options.quick else FULL
    say(f"PostgreSQL: {os.environ.get('DATABASE_URL') or 'embedded in ' + str(options.data_dir)}")
    pg_server: BenchServer = start_server(options.data_dir)
    pg_kind = pg_server.kind
    servers: list[Server] = []
    try:
        dataset: DatasetReport = asyncio.run(
            ensure_dataset(pg_server, spec, say, reload=options.reload)
        )
        say(f"data set {dataset.database}: {dataset.rows}")
        url = pg_server.database_url(dataset.database)
        pg = asyncio.run(server_facts(url))
        if pg.postmaster_pid is None:
            say("the postmaster is not visible here: PostgreSQL CPU is not measured")

        bodies = options.data_dir / "bodies"
        bodies.mkdir(parents=True, exist_ok=True)
        for scenario in SCENARIOS:
            (bodies / f"{scenario.key}.json").write_bytes(scenario.body())

        logs = options.data_dir / "logs"
        app = start_uvicorn(
            "reusegraph",
            "reusegraph.api.asgi:app_from_environ",
            {
                "DATABASE_URL": url,
                "REUSEGRAPH_GRAPHIQL": "false",
                "REUSEGRAPH_RATE_LIMIT": "0",
            },
            workers=options.workers,
            log_dir=logs,
        )
        servers.append(app)
        floor = start_uvicorn(
            "floor",
            "bench.floor:create_app",
            {"BENCH_FLOOR_DATABASE_URL": url},
            workers=options.workers,
            log_dir=logs,
        )
        servers.append(floor)
        for server in servers:
            wait_ready(server)
        say(f"servers up: reusegraph {app.base_url}, floor {floor.base_url}")

        checks = {s.key: check(s, app, floor) for s in SCENARIOS}
        for key, found in checks.items():
            verdict = "same data" if found.same_data else f"DIFFERENT: {found.difference}"
            say(f"  {key}: {verdict}; {found.reusegraph}")

        targets = {"reusegraph": app, "floor": floor}
        say(f"warm-up: {options.warmup_seconds:g} s per scenario and server")
        for scenario in SCENARIOS:
            for name, server in targets.items():
                run_wrk(
                    wrk,
                    _url(name, server, scenario),
                    bodies / f"{scenario.key}.json",
                    seconds=options.warmup_seconds,
                    connections=options.connections,
                )

        samples: dict[tuple[str, str], list[Sample]] = {}
        for round_no in range(1, options.rounds + 1):
            order = list(targets) if round_no % 2 else list(reversed(targets))
            for scenario in SCENARIOS:
                for name in order:
                    server = targets[name]
                    sample = measure(
                        wrk,
                        _url(name, server, scenario),
                        bodies / f"{scenario.key}.json",
                        server_pid=server.pid,
                        postmaster_pid=pg.postmaster_pid,
                        seconds=options.seconds,
                        connections=options.connections,
                        round_no=round_no,
                    )
                    samples.setdefault((scenario.key, name), []).append(sample)
                    say(
                        f"  round {round_no} {scenario.key:<19} {name:<10}"
                        f" {sample.requests_per_second:8.1f} req/s"
                        f"  p50 {sample.latency_ms['p50']:8.1f} ms"
                        f"  server {sample.server_cpu_ms_per_request:7.2f} ms/req"
                        f"  pg {sample.pg_cpu_ms_per_request} ms/req"
                    )
    finally:
        for server in reversed(servers):
            stop(server)
        pg_server.stop()

    results = {
        "kind": "read",
        "date": dt.date.today().isoformat(),
        "command": " ".join([".venv/bin/python", "-m", "bench.run", *sys.argv[1:]]),
        "wall_seconds": round(time.monotonic() - started, 1),
        "machine": {
            **machine.describe(ROOT),
            "load_average_before": load_before,
            "load_average_after": machine.load_average(),
        },
        "versions": {
            **machine.versions(),
            "postgresql": pg.version,
            "wrk": wrk_version(wrk),
        },
        "postgresql": {"server": pg_kind, "postmaster_measured": bool(pg.postmaster_pid)},
        "setup": {
            "workers_per_server": options.workers,
            "wrk": f"-t1 -c{options.connections} -d{options.seconds:g}s --latency --timeout=60s",
            "rounds": options.rounds,
            "warmup_seconds": options.warmup_seconds,
            "aggregate": "median over rounds; rounds alternate which server goes first",
        },
        "dataset": asdict(dataset),
        "scenarios": [
            _scenario_result(s, checks[s.key], samples[(s.key, "reusegraph")], samples)
            for s in SCENARIOS
        ],
    }
    return _write(results, options)


def _url(name: str, server: Server, scenario: Scenario) -> str:
    return (
        f"{server.base_url}/graphql"
        if name == "reusegraph"
        else server.base_url + (scenario.floor_path)
    )


def _scenario_result(
    scenario: Scenario,
    found: Check,
    app_samples: list[Sample],
    samples: dict[tuple[str, str], list[Sample]],
) -> dict[str, Any]:
    app = summarize(app_samples)
    floor = summarize(samples[(scenario.key, "floor")])

    def times(a: float | None, b: float | None) -> float | None:
        return round(a / b, 2) if a and b else None

    return {
        "key": scenario.key,
        "label": scenario.label,
        "query": scenario.query_file.read_text(),
        "same_data": found.same_data,
        "difference": found.difference,
        "response": {"reusegraph": asdict(found.reusegraph), "floor": asdict(found.floor)},
        "reusegraph": asdict(app),
        "floor": asdict(floor),
        "floor_advantage": {
            "requests_per_second": times(floor.requests_per_second, app.requests_per_second),
            "p50": times(app.p50_ms, floor.p50_ms),
            "p95": times(app.p95_ms, floor.p95_ms),
            "server_cpu": times(app.server_cpu_ms_per_request, floor.server_cpu_ms_per_request),
            "pg_cpu": times(app.pg_cpu_ms_per_request, floor.pg_cpu_ms_per_request),
            "cpu": times(app.cpu_ms_per_request, floor.cpu_ms_per_request),
        },
    }


def _write(results: dict[str, Any], options: Options) -> Path:
    stem = f"{results['date']}-read{'-quick' if options.quick else ''}"
    md_path = write_results(results, options.out_dir, stem, write_markdown)
    say(f"wrote {md_path.with_suffix('.json')} and {md_path.name}")
    return md_path


def main(argv: list[str] | None = None) -> None:
    md = run(parse_options(argv))
    print(md.read_text())


if __name__ == "__main__":
    main()
