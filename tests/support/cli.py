"""The reusegraph CLI as a child process over a test's database, and the rows it wrote.

A child process, not the CLI's function: what it prints, its exit code and its own
connection are what an operator gets.
"""

import asyncio
import os
import subprocess
import sys
from typing import Any

from sqlalchemy import text

from reusegraph.store.engine import Database
from tests.support.postgres import url_of


async def reusegraph(db: Database, *args: str) -> subprocess.CompletedProcess[str]:
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "reusegraph", *args],
        env={**os.environ, "DATABASE_URL": url_of(db)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def rows(db: Database, sql: str, **params: Any) -> list[dict[str, Any]]:
    """Read as the owner (past row-level security) what the CLI wrote."""
    async with db.session(None) as session:
        return [dict(r) for r in (await session.execute(text(sql), params)).mappings()]
