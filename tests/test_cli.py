"""The ``reusegraph`` command as a user runs it: a real process, real database."""

import os
import subprocess
import sys
from collections.abc import AsyncIterator

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
