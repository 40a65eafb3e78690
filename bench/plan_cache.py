"""PostgreSQL's CPU per compiled statement under each ``plan_cache_mode``, beside the floor.

Why the compiled pool runs every statement on its generic plan (``compiler/runner.py``):
with the default mode PostgreSQL keeps planning these statements afresh on every run.
One connection per variant, the statement prepared by asyncpg and run ``--runs`` times
in a row after a warm-up; the figure is the backend's own CPU (``/proc``) per run, so
the client's and the machine's other load do not enter it. Compiled statements run as
``reusegraph_api`` with the anonymous viewer's settings, as the server runs them; the
floor's run as the owner with the anonymous rule written out (``bench/fourway_floor.py``).

Run: ``python -m bench.plan_cache`` (the demo database of ``bench.compiled``).
"""

import argparse
import asyncio
from collections.abc import Sequence
from typing import Any

import asyncpg

from bench.compiled import SHAPES, ensure_demo
from bench.fourway_floor import ONE_PROCESS, PAGE_SQL, REUSE_SQL
from bench.postgres import DEFAULT_DATA_DIR, start_server
from bench.procstat import TICKS_PER_SECOND, own_ticks
from reusegraph.auth.principal import ANONYMOUS
from reusegraph.compiler import CompiledAnswer, Compiler
from reusegraph.schema import build_schema
from reusegraph.store.rls import session_settings
from reusegraph.store.urls import asyncpg_dsn

FLOORS: dict[str, tuple[str, list[Any]]] = {
    "3_one_process_reuse": (REUSE_SQL, [ONE_PROCESS]),
    "4_processes_10": (PAGE_SQL, [10]),
    "1_processes_100": (PAGE_SQL, [100]),
}
MODES = ("auto", "force_generic_plan", "force_custom_plan")


Setup = Sequence[tuple[str, Sequence[Any]]]


async def backend_ms(dsn: str, sql: str, args: Sequence[Any], runs: int, setup: Setup) -> float:
    connection = await asyncpg.connect(dsn)
    try:
        for statement, values in setup:
            await connection.execute(statement, *values)
        for _ in range(50):
            await connection.fetchval(sql, *args)
        pid = int(await connection.fetchval("SELECT pg_backend_pid()"))
        before = own_ticks(pid) or 0
        for _ in range(runs):
            await connection.fetchval(sql, *args)
        after = own_ticks(pid) or 0
    finally:
        await connection.close()
    return (after - before) / TICKS_PER_SECOND * 1000 / runs


async def run(runs: int) -> list[str]:
    pg = start_server(DEFAULT_DATA_DIR)
    dsn = asyncpg_dsn(await ensure_demo(pg))
    schema = build_schema()
    compiler = Compiler(schema._schema, schema.checks.rules, schema.checks.max_tokens)
    owner = await asyncpg.connect(dsn)
    try:
        key = bytes(await owner.fetchval("SELECT key FROM reusegraph_viewer_key"))
    finally:
        await owner.close()
    viewer: list[tuple[str, Sequence[Any]]] = [
        ("SET ROLE reusegraph_api", ()),
        session_settings(ANONYMOUS, 10_000, key),
    ]
    lines = ["| shape | " + " | ".join(MODES) + " | floor |", "|---|" + "---:|" * 4]
    for shape, (floor_sql, floor_args) in FLOORS.items():
        compiled = compiler.compile(SHAPES[shape], None, None)
        assert isinstance(compiled, CompiledAnswer), compiled
        cells = []
        for mode in MODES:
            setup = [*viewer, (f"SET plan_cache_mode = {mode}", ())]
            cells.append(await backend_ms(dsn, compiled.sql, compiled.args, runs, setup))
        cells.append(await backend_ms(dsn, floor_sql, floor_args, runs, ()))
        lines.append(f"| {shape} | " + " | ".join(f"{ms:.3f}" for ms in cells) + " |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=2000)
    lines = asyncio.run(run(parser.parse_args().runs))
    print("PostgreSQL backend CPU ms per statement\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
