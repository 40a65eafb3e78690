"""The ``reusegraph`` command as a user runs it: a real process, real database."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import URL

from reusegraph.store.databases import create_database, drop_database
from reusegraph.store.urls import with_database
from tests.support.postgres import unique_name

REUSEGRAPH = [sys.executable, "-m", "reusegraph"]


@pytest.fixture
async def blank_database(pg_server: URL) -> AsyncIterator[str]:
    """A database with no schema at all, as a new external PostgreSQL would have."""
    name = unique_name("blank")
    await create_database(str(pg_server), name)
    yield with_database(pg_server, name).render_as_string(hide_password=False)
    await drop_database(str(pg_server), name)


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*REUSEGRAPH, *args],
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_serve_refuses_a_database_that_is_behind_and_says_how_to_fix_it(
    blank_database: str,
) -> None:
    result = run("serve", "--port", "0", env={"DATABASE_URL": blank_database})
    assert result.returncode == 2
    assert "Run `reusegraph migrate`" in result.stderr


def test_migrate_brings_the_database_to_head(blank_database: str) -> None:
    result = run("migrate", env={"DATABASE_URL": blank_database})
    assert result.returncode == 0, result.stderr
    assert "(empty) -> " in result.stdout
    again = run("migrate", env={"DATABASE_URL": blank_database})
    assert again.returncode == 0


def test_bad_setting_names_the_variable_and_what_is_allowed() -> None:
    result = run("schema", env={"REUSEGRAPH_PORT": "eighty"})
    assert result.returncode == 2
    assert "REUSEGRAPH_PORT has value 'eighty'; it must be a whole number" in result.stderr


def test_schema_command_prints_the_sdl() -> None:
    result = run("schema")
    assert result.returncode == 0
    assert "type Query {" in result.stdout


@pytest.mark.parametrize("flag", [["--due"], ["--watch", "60"]])
def test_sync_refuses_named_sources_with_due_or_watch_instead_of_syncing_others(
    flag: list[str],
) -> None:
    result = run("sync", "oslo-registry", *flag)
    assert result.returncode == 2
    assert "name no SOURCE with them" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_listing_piped_into_a_reader_that_stops_early_ends_quietly() -> None:
    """`reusegraph municipality list --official | head -1`: the list (80 kB) is more than a
    pipe holds, so the command writes on after the reader has gone."""
    child = subprocess.Popen(
        [*REUSEGRAPH, "municipality", "list", "--official"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert child.stdout is not None
    first = os.read(child.stdout.fileno(), 40)
    child.stdout.close()
    _, err = child.communicate(timeout=60)
    assert first.startswith(b"code")
    assert b"Traceback" not in err, err.decode()
    assert child.returncode == 141, "128 + SIGPIPE, as a shell tool that lost its reader"


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_serve_from_nothing_starts_postgres_loads_the_demo_and_answers(
    server_dir: Path, stop: signal.Signals
) -> None:
    """The quick start: no DATABASE_URL, an empty data directory, one command; stopped
    with Ctrl-C or by a service manager (SIGTERM), it takes its PostgreSQL down too."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env |= {"REUSEGRAPH_DATA_DIR": str(server_dir / "data"), "REUSEGRAPH_PORT": str(port)}
    process = subprocess.Popen([*REUSEGRAPH, "serve"], env=env, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stderr is not None
        lines: list[str] = []
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            line = process.stderr.readline()
            assert line, f"serve exited early: {''.join(lines)}"
            lines.append(line)
            if line.startswith("GraphiQL: "):
                break
        assert lines[-1].strip() == f"GraphiQL: http://127.0.0.1:{port}/graphql"
        assert any("Loading the demo data" in line for line in lines)
        body = {"query": '{ municipality(code: "NO-5001") { name } }'}
        for _ in range(100):
            try:
                response = httpx.post(f"http://127.0.0.1:{port}/graphql", json=body, timeout=5)
                break
            except httpx.ConnectError:
                time.sleep(0.1)
        assert response.json()["data"] == {"municipality": {"name": "Trondheim kommune"}}
    finally:
        process.send_signal(stop)
        process.wait(timeout=60)
    assert process.returncode == 0
    assert not (server_dir / "data" / "postgres" / "postmaster.pid").exists(), (
        "PostgreSQL left running"
    )
