"""Create and drop whole databases: CREATE DATABASE cannot run inside a transaction."""

import re

import asyncpg

from reusegraph.store.urls import asyncpg_dsn, with_database

_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def _quoted(name: str) -> str:
    if not _NAME.match(name):
        raise ValueError(f"database name must match {_NAME.pattern}; got {name!r}")
    return f'"{name}"'


async def _admin(server_url: str) -> asyncpg.Connection:
    return await asyncpg.connect(asyncpg_dsn(with_database(server_url, "postgres")), timeout=10)


async def database_exists(server_url: str, name: str) -> bool:
    conn = await _admin(server_url)
    try:
        return bool(await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name))
    finally:
        await conn.close()


async def create_database(server_url: str, name: str, *, template: str | None = None) -> None:
    conn = await _admin(server_url)
    try:
        sql = f"CREATE DATABASE {_quoted(name)}"
        if template:
            sql += f" TEMPLATE {_quoted(template)}"
        await conn.execute(sql)
    finally:
        await conn.close()


async def drop_database(server_url: str, name: str) -> None:
    conn = await _admin(server_url)
    try:
        await conn.execute(f"DROP DATABASE IF EXISTS {_quoted(name)} WITH (FORCE)")
    finally:
        await conn.close()
