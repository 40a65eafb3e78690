"""Sync benchmark: 100 remote sources x 1 000 processes with 24 months of benefits.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres .venv/bin/python -m bench.sync
    ... -m bench.sync --quick      # 10 sources x 100 processes: a smoke check
    ... -m bench.sync --size medium --sources 10   # 10 sources x 1 000 processes

Steps: the remote data set (loaded once, ``sync_remote``); a recording of the real
remote's feed for every municipality, a 1 % edit, and the feed after it (once; kept
with the remote's own time); a fixture server replaying it; then per configuration (all
sources, and a tenth of them to show that memory does not grow with the records) a
gateway template, and per repetition a fresh gateway database that gets a full sync, an
incremental re-sync after the edit, and an idle re-sync (nothing new). Each sync is
``reusegraph sync`` (every source, the configured concurrency) as its own process, run
under ``flock /tmp/reusegraph-bench.lock`` by ``sync_measure``; after each, the mirror
is compared with the remote, municipality by municipality.
"""

import argparse
import asyncio
import datetime as dt
import os
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import orjson

from bench import machine
from bench.dataset import say_stderr
from bench.postgres import BenchServer, server_facts, settle, start_server
from bench.results_files import write_results
from bench.servers import ROOT, Server, start_uvicorn, stop, wait_ready
from bench.sync_gateway import (
    analyze,
    differences,
    fresh_copy,
    mirror_state,
    prepare_template,
    sizes,
)
from bench.sync_remote import SIZES, Recording, RemoteSpec, ensure_remote
from bench.sync_report import write_markdown
from reusegraph.store.databases import drop_database

LOCK = "/tmp/reusegraph-bench.lock"
DEFAULT_DATA_DIR = Path("/tmp/reusegraph-bench-sync")
RESULTS = Path(__file__).with_name("results")
PHASES = ("full", "incremental", "idle")
say = say_stderr


@dataclass(frozen=True)
class Options:
    size: str
    reps: int
    rerecord: bool
    sources: list[int]
    first: int
    data_dir: Path
    out: Path
    name: str
    profile: bool


def parse_options(argv: list[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(
        prog="python -m bench.sync", description=(__doc__ or "").split("\n\n")[0]
    )
    parser.add_argument("--quick", action="store_true", help="10 sources x 100 processes")
    parser.add_argument(
        "--size", choices=SIZES, default="full", help="quick, medium (10 x 1 000) or full"
    )
    parser.add_argument("--reps", type=int, default=3, help="repetitions (median)")
    parser.add_argument("--rerecord", action="store_true", help="record the remote again")
    parser.add_argument(
        "--sources", type=int, action="append", help="sources per configuration (repeatable)"
    )
    parser.add_argument("--first", type=int, default=500, help="page size (sources' default)")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--out", type=Path, help="results folder (default bench/results)")
    parser.add_argument("--name", default="sync", help="result file name after the date")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="run each sync under cProfile (profiles next to the runs; figures not comparable)",
    )
    args = parser.parse_args(argv)
    if not 1 <= args.reps <= 10:
        parser.error("--reps must be 1..10")
    size = "quick" if args.quick else args.size
    spec = SIZES[size]
    sources = sorted(set(args.sources or [spec.municipalities // 10, spec.municipalities]))
    if not all(1 <= n <= spec.municipalities for n in sources):
        parser.error(f"--sources must be 1..{spec.municipalities}")
    data_dir = args.data_dir / size
    out = args.out or (data_dir / "results" if size != "full" else RESULTS)
    if args.profile:
        out = data_dir / "profile"
    return Options(
        size,
        args.reps,
        args.rerecord,
        sources,
        args.first,
        data_dir,
        out,
        args.name,
        args.profile,
    )


def locked(command: list[str], env: dict[str, str] | None = None) -> None:
    """Runs ``command`` under the benchmark lock (another benchmark may be measuring)."""
    waited = time.monotonic()
    done = subprocess.run(
        ["flock", LOCK, *command], cwd=ROOT, env={**os.environ, **(env or {})}, check=False
    )
    if done.returncode not in (0, 1):
        raise SystemExit(f"{command[:4]} ended with {done.returncode}")
    say(f"    (lock + run: {time.monotonic() - waited:.1f} s)")


def ensure_recording(options: Options, spec: RemoteSpec, server: BenchServer) -> Recording:
    path = options.data_dir / "recording.json"
    found = Recording.load(path)
    if (
        found is not None
        and not options.rerecord
        and found.first == options.first
        and found.database == spec.database_name
    ):
        say(f"using the recording of {found.recorded_at} ({path})")
        return found
    command = [sys.executable, "-m", "bench.sync_remote", "--root", str(options.data_dir)]
    command += ["--first", str(options.first), "--size", options.size]
    # The recorder joins this server (the remote's database is here), not its own default.
    locked(command, {"DATABASE_URL": server.url})
    recorded = Recording.load(path)
    if recorded is None:
        raise SystemExit(f"the recording failed; see the output above and {options.data_dir}")
    return recorded


def start_fixture(options: Options, recording: Recording) -> Server:
    env = {
        "BENCH_SYNC_PAGES": str(options.data_dir / "pages"),
        "BENCH_SYNC_FIRST": str(recording.first),
    }
    server = start_uvicorn(
        "fixture", "bench.sync_fixture:create_app", env, workers=1, log_dir=options.data_dir
    )
    wait_ready(server)
    return server


def measured_sync(
    label: str, url: str, options: Options, watch: dict[str, int | None]
) -> dict[str, Any]:
    runs = options.data_dir / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    out = runs / f"{label}.json"
    out.unlink(missing_ok=True)
    command = [sys.executable, "-m", "bench.sync_measure", "--out", str(out)]
    for name, pid in watch.items():
        if pid:
            command += ["--watch", f"{name}={pid}"]
    command.append("--")
    if options.profile:
        command += [sys.executable, "-m", "cProfile", "-o", str(out.with_suffix(".prof"))]
        command += ["-m", "reusegraph", "sync"]
    else:
        command += [str(Path(sys.executable).with_name("reusegraph")), "sync"]
    # The console script imports the installed package; this checkout's code is measured.
    env = {"DATABASE_URL": url, "REUSEGRAPH_LOG_LEVEL": "warning", "PYTHONPATH": str(ROOT)}
    locked(command, env)
    result: dict[str, Any] = orjson.loads(out.read_bytes())
    return result


async def repetition(
    server: BenchServer,
    template: str,
    codes: list[str],
    recording: Recording,
    options: Options,
    watch: dict[str, int | None],
    label: str,
) -> dict[str, Any]:
    name = f"bench_sync_gw_{len(codes)}"
    url = await fresh_copy(server.url, template, name)
    found: dict[str, Any] = {}
    try:
        for phase in PHASES:
            # As a scheduled sync would find it: not while autovacuum digests the last one.
            waited = await settle(server.url, say)
            probe = machine.cpu_probe_ms()
            run = measured_sync(f"{label}-{phase}", url, options, watch)
            run["waited_for_autovacuum_seconds"] = waited
            run["cpu_probe_ms"] = probe
            run["cpu_probe_after_ms"] = machine.cpu_probe_ms()
            expected = recording.expected["full" if phase == "full" else "incremental"]
            mark = None if phase == "full" else recording.mark
            state = await mirror_state(url, codes, mark)
            run["outcomes"] = state.pop("_outcomes")
            run["differences"] = differences(expected, state, codes)[:5]
            run["converged"] = not run["differences"] and run["exit_status"] == 0
            run["peak_rss_at_seconds"] = _peak_moment(run)
            say(
                f"  {label} {phase:<11} {run['wall_seconds']:7.2f} s  peak RSS"
                f" {run['peak_rss_mib']:6.1f} MiB  gateway CPU {run['cpu_seconds']:6.2f} s"
                f"  {run['watched_cpu_seconds']}  other {run['other_cpu_cores']} cores"
                f"  {'converged' if run['converged'] else 'NOT CONVERGED'}"
                f"  CPU probe {run['cpu_probe_ms']} -> {run['cpu_probe_after_ms']} ms"
            )
            if not run["converged"]:
                say(f"    {run['outcomes']} {run['differences'][:2]}; log {run['log']}")
            if phase == "full":
                run["database"] = await sizes(url)
                await analyze(url)
            run["rss_samples_mib"] = _thin(run["rss_samples_mib"], 120)
            found[phase] = run
    finally:
        await drop_database(server.url, name)
    return found


def _peak_moment(run: dict[str, Any]) -> float | None:
    samples = run["rss_samples_mib"]
    return max(samples, key=lambda s: s[1])[0] if samples else None


def _thin(samples: list[list[float]], keep: int) -> list[list[float]]:
    step = max(1, len(samples) // keep)
    return samples[::step]


def summarize(runs: list[dict[str, Any]]) -> dict[str, Any]:
    def median(key: str) -> float:
        return round(statistics.median(float(r[key]) for r in runs), 2)

    watched = {
        name: round(statistics.median(r["watched_cpu_seconds"].get(name, 0.0) for r in runs), 2)
        for name in runs[0]["watched_cpu_seconds"]
    }
    return {
        "wall_seconds": median("wall_seconds"),
        "wall_seconds_all": [r["wall_seconds"] for r in runs],
        "cpu_probe_ms_all": [[r.get("cpu_probe_ms"), r.get("cpu_probe_after_ms")] for r in runs],
        "peak_rss_mib": median("peak_rss_mib"),
        "peak_rss_mib_all": [r["peak_rss_mib"] for r in runs],
        "gateway_cpu_seconds": median("cpu_seconds"),
        "watched_cpu_seconds": watched,
        "other_cpu_cores": median("other_cpu_cores"),
        "converged": all(r["converged"] for r in runs),
    }


async def run_all(options: Options, server: BenchServer) -> dict[str, Any]:
    spec = SIZES[options.size]
    dataset = await ensure_remote(server, spec, say)
    remote_url = server.database_url(spec.database_name)
    recording = ensure_recording(options, spec, server)
    facts = await server_facts(remote_url)
    fixture = start_fixture(options, recording)
    configurations: dict[str, Any] = {}
    try:
        watch = {"fixture": fixture.pid, "postgres": facts.postmaster_pid}
        for count in options.sources:
            codes = recording.codes[:count]
            template = f"bench_sync_gw_template_{count}"
            await prepare_template(
                server.url,
                template,
                remote_url,
                codes,
                f"{fixture.base_url}/graphql",
                options.data_dir / "tokens",
                say,
            )
            reps = []
            for rep in range(1, options.reps + 1):
                reps.append(
                    await repetition(
                        server, template, codes, recording, options, watch, f"{count}s-r{rep}"
                    )
                )
            await drop_database(server.url, template)
            configurations[str(count)] = {
                "sources": count,
                "processes": sum(recording.expected["full"][c]["processes"] for c in codes),
                "benefit_records": sum(
                    recording.expected["full"][c]["benefit_records"] for c in codes
                ),
                "changed": recording.changed * count // len(recording.codes),
                "summary": {p: summarize([r[p] for r in reps]) for p in PHASES},
                "repetitions": reps,
            }
    finally:
        stop(fixture)
    return {"dataset": asdict(dataset), "recording": recording, "configurations": configurations}


def main(argv: list[str] | None = None) -> None:
    options = parse_options(argv)
    options.data_dir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    load_before = machine.load_average()
    server = start_server(options.data_dir / "embedded")
    kind = server.kind  # stop() forgets the embedded server
    try:
        found = asyncio.run(run_all(options, server))
        version = asyncio.run(server_facts(server.database_url("postgres"))).version
    finally:
        server.stop()
    recording: Recording = found.pop("recording")
    results = {
        "kind": "sync",
        "date": dt.date.today().isoformat(),
        "command": " ".join([".venv/bin/python", "-m", "bench.sync", *sys.argv[1:]]),
        "wall_seconds": round(time.monotonic() - started, 1),
        "machine": {
            **machine.describe(ROOT),
            "load_average_before": load_before,
            "load_average_after": machine.load_average(),
        },
        "versions": {**machine.versions(), "postgresql": version},
        "postgresql": kind,
        "setup": {
            "lock": LOCK,
            "page_size": recording.first,
            "concurrency": "SyncOptions default (4 sources at once)",
            "aggregate": f"median of {options.reps} repetitions, each on a fresh gateway database",
        },
        "remote": {
            "kind": "real reusegraph (uvicorn, dev-mode member tokens), recorded and replayed",
            "database": recording.database,
            "workers": recording.remote_workers,
            "recorded_at": recording.recorded_at,
            "changed": recording.changed,
            "walks": recording.walks,
        },
        **found,
    }
    stem = f"{results['date']}-{options.name}{'' if options.size == 'full' else '-' + options.size}"
    md_path = write_results(results, options.out, stem, write_markdown)
    say(f"wrote {md_path.with_suffix('.json')} and {md_path.name}")
    print(md_path.read_text())


if __name__ == "__main__":
    main()
