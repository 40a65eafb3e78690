"""The Markdown page of a sync benchmark run (the JSON next to it has every sample).

    .venv/bin/python -m bench.sync_report bench/results/<date>-sync.json   # rewrite the .md

The page ends with ``bench/sync_notes.md`` (where the time goes, from profiles of the
runs: the hand-written part), so the notes can be corrected without measuring again.
"""

import json
import sys
from pathlib import Path
from typing import Any

from bench import machine

NOTES = Path(__file__).with_name("sync_notes.md")

TARGETS = {"full": 60.0, "incremental": 5.0}


def _load(dataset: dict[str, Any]) -> list[str]:
    """The remote's data set loaded by the bench loader: the import half of issue 13."""
    if not dataset.get("load_seconds"):
        return []
    rows = dataset.get("rows", {})
    when = "in this run" if dataset.get("loaded_now") else f"earlier ({dataset.get('loaded_at')})"
    return [
        f"Remote data set ({rows.get('process', 0):,} processes, {rows.get('reuse_link', 0):,}"
        f" reuse links, {rows.get('benefit_record', 0):,} benefit records) loaded {when} in"
        f" **{dataset['load_seconds']:g} s** by `store/demo/loader.py`.",
        "",
    ]


def write_markdown(results: dict[str, Any]) -> str:
    configs = results["configurations"]
    largest = configs[max(configs, key=int)]
    lines = [
        f"# Sync benchmark, {results['date']}",
        "",
        f"Command: `{results['command']}` (took {results['wall_seconds']:g} s in all).",
        "",
        _headline(largest),
        "",
        *_load(results.get("dataset", {})),
        "## Results (median of the repetitions)",
        "",
        "| sources | processes | benefit records | sync | wall s | all runs s"
        " | CPU probe ms before/after | peak RSS MiB | gateway CPU s | PostgreSQL CPU s"
        " | fixture CPU s | other load (cores)"
        " | converged |",
        "|---:|---:|---:|---|---:|---|---|---:|---:|---:|---:|---:|---|",
    ]
    for key in sorted(configs, key=int):
        config = configs[key]
        for phase, summary in config["summary"].items():
            watched = summary["watched_cpu_seconds"]
            what = {
                "full": "full",
                "incremental": f"incremental ({config['changed']} changed)",
                "idle": "idle (nothing new)",
            }[phase]
            lines.append(
                f"| {config['sources']} | {config['processes']:,} | {config['benefit_records']:,}"
                f" | {what} | **{summary['wall_seconds']:g}**"
                f" | {', '.join(f'{w:g}' for w in summary['wall_seconds_all'])}"
                f" | {_probes(summary)}"
                f" | {summary['peak_rss_mib']:g} | {summary['gateway_cpu_seconds']:g}"
                f" | {watched.get('postgres', '-')} | {watched.get('fixture', '-')}"
                f" | {summary['other_cpu_cores']:g} | {'yes' if summary['converged'] else 'NO'} |"
            )
    lines += ["", *_memory(configs), "", *_cpu(configs), "", *_remote(results)]
    lines += ["", *_setup(results)]
    if NOTES.exists():
        lines += ["", NOTES.read_text().strip()]
    return "\n".join(lines) + "\n"


def _probes(summary: dict[str, Any]) -> str:
    """Each run's ``machine.cpu_probe_ms`` just before and after it: lower is faster."""
    pairs = [p for p in summary.get("cpu_probe_ms_all", []) if isinstance(p, list) and p[0]]
    return ", ".join(f"{before:g}/{after:g}" for before, after in pairs) if pairs else "-"


def _cpu(configs: dict[str, Any]) -> list[str]:
    """Whose CPU the wall time was: the sync process, PostgreSQL, the fixture."""
    lines = [
        "## Whose CPU (median run)",
        "",
        'The machine has 2 cores; "busy" is the sum of the three divided by the wall time.',
        "",
        "| sources | sync | wall s | gateway CPU s | PostgreSQL CPU s | fixture CPU s"
        " | busy cores |",
        "|---:|---|---:|---:|---:|---:|---:|",
    ]
    for key in sorted(configs, key=int):
        for phase, summary in configs[key]["summary"].items():
            watched = summary["watched_cpu_seconds"]
            gateway = summary["gateway_cpu_seconds"]
            postgres = watched.get("postgres", 0.0)
            fixture = watched.get("fixture", 0.0)
            wall = summary["wall_seconds"]
            busy = (gateway + postgres + fixture) / wall if wall else 0.0
            lines.append(
                f"| {key} | {phase} | {wall:g} | {gateway:g} | {postgres:g} | {fixture:g}"
                f" | {busy:.2f} |"
            )
    return lines


def _headline(config: dict[str, Any]) -> str:
    summary = config["summary"]
    verdicts = []
    for phase, target in TARGETS.items():
        wall = summary[phase]["wall_seconds"]
        verdict = "met" if wall < target else "MISSED"
        verdicts.append(f"{phase} sync **{wall:g} s** (target < {target:g} s: {verdict})")
    return (
        f"{config['sources']} sources, {config['processes']:,} processes,"
        f" {config['benefit_records']:,} benefit records: "
        + "; ".join(verdicts)
        + f"; peak RSS of the gateway **{summary['full']['peak_rss_mib']:g} MiB**."
    )


def _memory(configs: dict[str, Any]) -> list[str]:
    lines = [
        "## Memory: does it grow with the records?",
        "",
        "Peak RSS of the `reusegraph sync` process (the kernel's high-water mark,"
        " `ru_maxrss`), full sync:",
        "",
        "| sources | processes | peak RSS MiB (median) | all runs"
        " | RSS when the peak was reached (s into the run) |",
        "|---:|---:|---:|---|---|",
    ]
    for key in sorted(configs, key=int):
        config = configs[key]
        runs = [r["full"] for r in config["repetitions"]]
        peaks = ", ".join(f"{r['peak_rss_mib']:g}" for r in runs)
        moments = ", ".join(
            f"{r['peak_rss_at_seconds']:g} of {r['wall_seconds']:.0f}"
            for r in runs
            if r["peak_rss_at_seconds"] is not None
        )
        lines.append(
            f"| {config['sources']} | {config['processes']:,}"
            f" | {config['summary']['full']['peak_rss_mib']:g} | {peaks} | {moments} |"
        )
    largest = configs[max(configs, key=int)]["repetitions"][0]["full"]
    samples = largest["rss_samples_mib"]
    if samples:
        marks = [samples[int(len(samples) * f)] for f in (0.1, 0.25, 0.5, 0.75)] + [samples[-1]]
        lines += [
            "",
            "RSS during the largest full sync (first repetition): "
            + ", ".join(f"{mib:g} MiB at {t:g} s" for t, mib in marks)
            + ".",
        ]
    return lines


def _remote(results: dict[str, Any]) -> list[str]:
    remote = results["remote"]
    lines = [
        "## The remote's share",
        "",
        f"Remote: {remote['kind']}, database `{remote['database']}`,"
        f" {remote['workers']} uvicorn workers; recorded {remote['recorded_at']}.",
        "Walking every feed as the gateway does (same query, page size, 4 at once):",
        "",
        "| phase | pages | upserts | MiB | remote wall s | remote CPU s | PostgreSQL CPU s |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for phase, walk in remote["walks"].items():
        lines.append(
            f"| {phase} | {walk['pages']} | {walk['upserts']:,} | {walk['bytes'] / 2**20:.0f}"
            f" | {walk['wall_seconds']:g} | {walk['remote_cpu_seconds']:g}"
            f" | {walk['pg_cpu_seconds']} |"
        )
    return lines


def _setup(results: dict[str, Any]) -> list[str]:
    m = results["machine"]
    v = results["versions"]
    setup = results["setup"]
    return [
        "## Setup",
        "",
        f"- Machine: {machine.sentence(m)}",
        f"- PostgreSQL {v['postgresql']} ({results['postgresql']}); Python {v['python']},"
        f" SQLAlchemy {v['SQLAlchemy']}, asyncpg {v['asyncpg']}.",
        f"- Page size {setup['page_size']}; concurrency: {setup['concurrency']};"
        f" {setup['aggregate']}; every timed run under `flock {setup['lock']}`.",
        f"- Before each timed sync, waited for the server's autovacuum workers to finish:"
        f" {_waits(results)}. A fixed Python loop was timed just before and after each run"
        " (`bench.machine.cpu_probe_ms`, the CPU probe column): the shared cores' speed"
        " moves by up to 1.8x within an hour, and runs compare only at similar probes.",
    ]


def _waits(results: dict[str, Any]) -> str:
    waits = [
        run.get("waited_for_autovacuum_seconds")
        for configuration in results["configurations"].values()
        for repetition in configuration["repetitions"]
        for run in repetition.values()
    ]
    known = [w for w in waits if w is not None]
    if not known:
        return "not recorded (older run)"
    return f"{sum(1 for w in known if w >= 1)} of {len(known)} waited, at most {max(known):g} s"


def main(argv: list[str] | None = None) -> None:
    """Writes the .md next to a results .json again (after editing ``sync_notes.md``)."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        raise SystemExit("usage: python -m bench.sync_report RESULTS.json")
    path = Path(args[0])
    path.with_suffix(".md").write_text(write_markdown(json.loads(path.read_text())))
    print(path.with_suffix(".md"))


if __name__ == "__main__":
    main()
