"""The readable half of a result: one Markdown page from the JSON ``run.py`` writes."""

from typing import Any

from bench import machine


def _num(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "-"
    return f"{value:,.{digits}f}"


def _times(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


def _kib(n: int) -> str:
    return f"{n / 1024:.1f}"


def _load_sentence(d: dict[str, Any]) -> str:
    stale = (
        ""
        if d["generator_current"]
        else " **The generator or the migrations changed since it was loaded: rerun with"
        " `--reload`.**"
    )
    if d["load_seconds"] is None:
        return "Loaded by an earlier run that recorded no load time." + stale
    when = "in this run" if d["loaded_now"] else f"by an earlier run ({d['loaded_at']})"
    return (
        f"Generated and inserted {when} in {d['load_seconds']:.0f} s"
        f" (+ {d['vacuum_seconds'] or 0:.0f} s VACUUM ANALYZE)." + stale
    )


def write_markdown(r: dict[str, Any]) -> str:
    m, v, d, s = r["machine"], r["versions"], r["dataset"], r["setup"]
    rows = d["rows"]
    lines = [
        f"# Read benchmark, {r['date']}",
        "",
        "reusegraph's GraphQL endpoint next to the same data fetched by hand-written asyncpg"
        " SQL and serialised with orjson (the *floor*, `bench/floor.py`).",
        "",
        f"Command: `{r['command']}` (wall time {r['wall_seconds']:.0f} s).",
        "",
        f"Machine: {machine.sentence(m)}",
        "",
        f"Versions: Python {v['python']}, PostgreSQL {v['postgresql']}"
        f" ({r['postgresql']['server']}), {v['wrk']}, strawberry-graphql"
        f" {v['strawberry-graphql']}, graphql-core {v['graphql-core']}, starlette"
        f" {v['starlette']}, uvicorn {v['uvicorn']} (uvloop {v['uvloop']}, httptools"
        f" {v['httptools']}), SQLAlchemy {v['SQLAlchemy']}, asyncpg {v['asyncpg']}, orjson"
        f" {v['orjson']}.",
        "",
        f"Data set `{d['database']}`: {rows['municipality']:,} municipalities,"
        f" {rows['process']:,} processes, {rows['benefit_record']:,} benefit records,"
        f" {rows['process_it_system']:,} process-IT-system links, {rows['reuse_link']:,} reuse"
        " links. " + _load_sentence(d),
        "",
        f"Load: both servers run as uvicorn with {s['workers_per_server']} workers on"
        f" loopback; `wrk {s['wrk']}` with `bench/post.lua`; {s['rounds']} rounds per server"
        f" and scenario, {s['aggregate']}; {s['warmup_seconds']:g} s warm-up each."
        " Server, PostgreSQL and wrk share the cores.",
        "",
        "CPU ms/request is read from /proc: the server's uvicorn master + workers, and the"
        " postmaster + all backends, over the run, divided by the requests served."
        " It moves much less with other tenants' load than req/s does; quote it first.",
        "",
        "## Results",
        "",
        "| scenario | server | req/s | p50 ms | p95 ms | server CPU ms/req"
        " | PG CPU ms/req | total CPU ms/req | response KiB |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for sc in r["scenarios"]:
        for name in ("reusegraph", "floor"):
            x = sc[name]
            lines.append(
                f"| {sc['label'] if name == 'reusegraph' else ''} | {name}"
                f" | {_num(x['requests_per_second'])} | {_num(x['p50_ms'])}"
                f" | {_num(x['p95_ms'])} | {_num(x['server_cpu_ms_per_request'], 2)}"
                f" | {_num(x['pg_cpu_ms_per_request'], 2)} | {_num(x['cpu_ms_per_request'], 2)}"
                f" | {_kib(sc['response'][name]['json_bytes'])} |"
            )
        a = sc["floor_advantage"]
        lines.append(
            f"| | **floor advantage** | **{_times(a['requests_per_second'])}**"
            f" | {_times(a['p50'])} | {_times(a['p95'])} | **{_times(a['server_cpu'])}**"
            f" | {_times(a['pg_cpu'])} | **{_times(a['cpu'])}** | |"
        )
    lines += [
        "",
        "*Floor advantage*: req/s is floor / reusegraph; latency and CPU are reusegraph / floor."
        " Both read: how many times better the floor does.",
        "",
        "## Checks",
        "",
        "| scenario | same data as the floor | JSON objects | leaf values | failed requests"
        " (rg / floor) | requests measured (rg / floor) | other tenants' CPU, cores (rg / floor) |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for sc in r["scenarios"]:
        shape = sc["response"]["reusegraph"]
        same = "yes" if sc["same_data"] else f"**no**: {sc['difference']}"
        lines.append(
            f"| {sc['key']} | {same} | {shape['objects']:,} | {shape['leaves']:,}"
            f" | {sc['reusegraph']['failed_requests']} / {sc['floor']['failed_requests']}"
            f" | {sc['reusegraph']['requests']:,} / {sc['floor']['requests']:,}"
            f" | {_num(sc['reusegraph']['other_cpu_cores'], 2)}"
            f" / {_num(sc['floor']['other_cpu_cores'], 2)} |"
        )
    lines += [
        "",
        "Other tenants' CPU is the machine's busy time minus the server, PostgreSQL and wrk"
        " during the runs (median, in cores; per sample in the JSON). Of 2 cores, more than"
        " a few tenths means the req/s and latencies above were squeezed.",
        "",
    ]
    return "\n".join(lines)
