"""The readable half of a reuse benchmark result: one Markdown page from the JSON."""

from typing import Any

from bench import machine

TARGET_MS = 100.0

ROLLUPS_AND_INDEXES = (
    "`process_rollup` (migration 0005, `store/models/rollups.py`): one narrow row per process"
    " kept by triggers; reuseCandidates ranks on it instead of summing benefit records and"
    " probing child tables per candidate, and the graph, leaderboard, similarity, scoring"
    " and exports read a process's visibility, IT systems, technologies and realised hours"
    " from it. Indexes: `ix_process_rollup_municipality_code` (the Bitmap Index Scans that"
    " start reuseCandidates' own-municipality CTEs and both branches of reuseGraph's link"
    " set), `ix_process_rollup_live_it_systems` (GIN, `it_systems <@ settings`, partial:"
    " only OPERATION and IMPLEMENTATION, migration 0010; the candidates' Bitmap Heap Scan"
    " reads about 12 900 rows instead of 19 500 and drops 2 300 instead of 7 600),"
    " `ix_process_rollup_reused_by` (the leaderboard's range on `reused_by`).",
    "`benefit_month_total`, `benefit_month_set`, `process_benefit_months` (migration 0006):"
    " benefit records summed per municipality, month, kind and currency, and per"
    " municipality the sets of months processes have records in, for what anyone may read;"
    " kept exact by triggers. They replace benefitSummary's Index Scan of ~900 000"
    " benefit_record rows, its per-record join to `process` and the external-merge Sort"
    " for the distinct counts (2 s) with scans of `pk_benefit_month_total` (public, period,"
    " ...) and `pk_benefit_month_set`; a member's own internal processes come from"
    " `ix_process_municipality_code` and `uq_benefit_record_process_id_period_kind`.",
    "reuseGraph reads each link once: two branches, each from one end's processes"
    " (`ix_process_rollup_municipality_code`) to their links (`ix_reuse_link_origin_id`,"
    " `ix_reuse_link_derived_id`), instead of a hashed set of link ids followed by a second"
    " `pk_reuse_link` probe (and row-level security check) per link.",
    "The export names IT systems and technologies from the two vocabularies read once per"
    " request, instead of two SubPlans (a Seq Scan, a Sort and an Aggregate) per row.",
    "The Trondheim model's dimensions that depend only on a process's own inputs are stored"
    " on `process_rollup` as generated columns (migration 0009): reuseCandidates' Bitmap "
    "Heap Scan of about 8 000 eligible rows no longer evaluates fifteen CASE chains per row"
    " (its `eligible` CTE 50 -> 33 ms).",
    "reuseGraph's link ends are loaded in one batch per page and resolve synchronously, "
    "with their municipalities: an awaitable per end and per municipality was most of a "
    "large page's time (40 % less CPU for 500 links).",
    "A request's loaders are emptied once it is answered (`Loaders.release`): graphql-core's"
    " execution context refers to itself, so everything the loaders held (9 000 objects for"
    " 500 links) waited for the cycle collector, whose collections took 100-150 ms every"
    " tenth large graph. Loaders send their keys as one array (`store/keys.py`, `= ANY`),"
    " one cached statement whatever the batch size. Graph ends asked only for id, title,"
    " phase, municipality or source (`Process.REF_FIELDS`, checked on the request's"
    " selection through fragments) are read as five columns, not sixty-five. Together, in"
    " process, 500 links went from 99 to 75 ms a request (CPU 85 -> 59 ms); what is left is"
    " GraphQL execution of about 7 000 fields (~40 ms) and the links' own statement"
    " (~15 ms, most of it the row-level security of each link's two ends).",
    "The CSV export's lines are written by PostgreSQL (`store/exports/cells.py`): Python "
    "only names three lists per row (8 us a row instead of 49).",
)


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:,.1f}"


def _flag(p95: float | None) -> str:
    return "" if p95 is None or p95 <= TARGET_MS else " **>100**"


def _dataset_sentence(name: str, d: dict[str, Any]) -> str:
    rows = d["dataset"]["rows"]
    text = (
        f"`{d['dataset']['database']}`: {rows['municipality']:,} municipalities,"
        f" {rows['process']:,} processes, {rows['benefit_record']:,} benefit records,"
        f" {rows['reuse_link']:,} reuse links."
    )
    t = d["targets"]
    return (
        f"{text} Member runs: a `member` of {t['municipality']} (token from"
        f" `reusegraph dev-token`). Per-municipality queries ask about {t['municipality']};"
        f" graph and given/taken about {', '.join(t['neighbours'])}; similarProcesses about"
        f" `{t['process']}`; lineage about `{t['lineage_root']}`; the one-municipality"
        f" benefitSummary about {t['benefits'][0]} from {t['benefits'][1]} to {t['benefits'][2]}."
    )


def _table(scenarios: list[dict[str, Any]], measured: dict[str, Any]) -> list[str]:
    lines = [
        "| query | anonymous p50 | anonymous p95 | member p50 | member p95"
        " | first byte p50 (anon / member) | server + PG CPU ms/req (anon) | KiB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for scenario in scenarios:
        anon = measured.get(f"{scenario['key']}/anonymous", {})
        member = measured.get(f"{scenario['key']}/member", {})
        if "failed" in anon or "failed" in member:
            lines.append(f"| {scenario['label']} | failed: {(anon or member).get('failed')} |")
            continue
        cpu = None
        if anon.get("server_cpu_ms_per_request") is not None:
            cpu = anon["server_cpu_ms_per_request"] + (anon.get("pg_cpu_ms_per_request") or 0)
        lines.append(
            f"| {scenario['label']} | {_ms(anon.get('p50_ms'))}"
            f" | {_ms(anon.get('p95_ms'))}{_flag(anon.get('p95_ms'))}"
            f" | {_ms(member.get('p50_ms'))}"
            f" | {_ms(member.get('p95_ms'))}{_flag(member.get('p95_ms'))}"
            f" | {_ms(anon.get('first_byte_p50_ms'))} / {_ms(member.get('first_byte_p50_ms'))}"
            f" | {_ms(cpu)} | {anon.get('bytes', 0) / 1024:,.1f} |"
        )
    return lines


def _plans(plans: list[dict[str, Any]]) -> list[str]:
    lines: list[str] = []
    for found in plans:
        for statement in found["statements"]:
            lines += [
                "",
                f"**{found['key']}** (p95 {found['p95_ms']} ms): its slowest statement of"
                f" {statement['statements']}, {statement['execution_ms']:.1f} ms in"
                " EXPLAIN ANALYZE:",
                "",
                "```",
                statement["plan"],
                "```",
            ]
    return lines


def write_markdown(r: dict[str, Any]) -> str:
    m, v, s = r["machine"], r["versions"], r["setup"]
    lines = [
        f"# Reuse queries benchmark, {r['date']}",
        "",
        "Issue 5's queries and exports through HTTP, as an anonymous caller and as a member"
        " of one municipality. Target: p95 under 100 ms at 100 000 processes.",
        "",
        f"Command: `{r['command']}` (wall time {r['wall_seconds']:.0f} s).",
        "",
        f"Machine: {machine.sentence(m)}",
        "",
        f"Versions: Python {v['python']}, PostgreSQL {v['postgresql']} (embedded),"
        f" strawberry-graphql {v['strawberry-graphql']}, SQLAlchemy {v['SQLAlchemy']},"
        f" asyncpg {v['asyncpg']}, uvicorn {v['uvicorn']}.",
        "",
        f"Setup: uvicorn with {s['workers']} workers on loopback; {s['client']}; {s['runs']}"
        f" runs, each {s['per_run']}, after {s['warmup_requests']} warm-up requests;"
        f" {s['aggregate']}. Every timed run and every EXPLAIN ran under `{s['lock']}`."
        " Latency is the client's: request sent to last byte read (exports: also to the"
        " first byte of the body).",
    ]
    lines += ["", "Rollups and indexes the queries rely on, and the plan nodes they replaced:", ""]
    lines += [f"- {item}" for item in ROLLUPS_AND_INDEXES]
    for name, d in r["datasets"].items():
        lines += ["", f"## {name}", "", _dataset_sentence(name, d), ""]
        lines += _table(r["scenarios"], d["scenarios"])
        lines += ["", f"### Plans of the slowest ({name})", ""]
        lines += [
            "Captured from the app itself and replayed as `reusegraph_api` under row-level"
            " security with the app's read transaction settings (`bench/reuse_plans.py`)."
        ]
        lines += _plans(d["plans"])
    return "\n".join(lines) + "\n"
