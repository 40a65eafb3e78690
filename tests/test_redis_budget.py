"""The per-caller budget in Redis (``REDIS_URL``): same answers as in PostgreSQL, shared by
replicas, and a server that goes on when Redis is gone.

Against the Redis on 127.0.0.1:6379 (or ``REUSEGRAPH_TEST_REDIS_URL``); each test has a
key prefix of its own and deletes its keys.
"""

import asyncio
import os
import re
import socket
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis
from sqlalchemy import text

from reusegraph.api.app import create_app
from reusegraph.api.settings import Settings
from reusegraph.store.engine import Database
from tests.support.captured_logs import captured
from tests.support.http import serving
from tests.support.postgres import url_of

REDIS_URL = os.environ.get("REUSEGRAPH_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
CHEAP = "{ processes(first: 10) { nodes { title } } }"  # 11 points


def _reachable(url: str) -> bool:
    found = re.match(r"redis://(?:[^@/]*@)?([^:/]+)(?::(\d+))?", url)
    host, port = (found.group(1), int(found.group(2) or 6379)) if found else ("127.0.0.1", 6379)
    try:
        socket.create_connection((host, port), timeout=1).close()
        return True
    except OSError:
        return False


pytestmark = pytest.mark.skipif(
    not _reachable(REDIS_URL), reason=f"no Redis at {REDIS_URL} (set REUSEGRAPH_TEST_REDIS_URL)"
)


@pytest.fixture
async def redis() -> AsyncIterator[tuple[Redis, str]]:
    """A client and this test's key prefix; the keys are deleted afterwards."""
    client = Redis.from_url(REDIS_URL)
    prefix = f"rgtest:{uuid.uuid4().hex[:12]}:"
    try:
        yield client, prefix
    finally:
        keys = [key async for key in client.scan_iter(match=f"{prefix}*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()


@asynccontextmanager
async def app_client(db: Database, **settings: Any) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(Settings(**{"compiled_reads": False, **settings}), url_of(db))
    async with serving(app) as base, httpx.AsyncClient(base_url=base, timeout=60) as http:
        yield http


async def ask(http: httpx.AsyncClient, query: str = CHEAP) -> httpx.Response:
    return await http.post("/graphql", json={"query": query})


async def test_a_spent_budget_is_refused_with_429_and_retry_after(
    empty_db: Database, redis: tuple[Redis, str]
) -> None:
    client, prefix = redis
    settings = {"redis_url": REDIS_URL, "redis_key_prefix": prefix}
    async with app_client(
        empty_db, rate_limit=25, rate_limit_window_seconds=60, **settings
    ) as http:
        first = (await ask(http)).json()["extensions"]["cost"]
        assert (first["budgetLeft"], first["budget"], first["window"]) == (14, 25, 60)
        assert (await ask(http)).status_code == 200
        refused = await ask(http)
        assert refused.status_code == 429
        # 3 points left, 11 needed, refilling at 25 a minute: 8 / (25/60) s = 19.2 s.
        assert refused.headers["Retry-After"] == "20"
        [error] = refused.json()["errors"]
        assert error["extensions"]["code"] == "RATE_LIMITED"
        assert error["extensions"]["budgetLeft"] == 3
        assert (await ask(http, "{ __typename }")).status_code == 200, "a cheaper one fits"
    keys = [key async for key in client.scan_iter(match=f"{prefix}*")]
    assert len(keys) == 1
    assert re.fullmatch(rf"{prefix}budget:[0-9a-f]{{64}}", keys[0].decode()), "a hash, no address"
    assert 0 < await client.pttl(keys[0]) <= 60_000, "forgotten a window after its last use"
    async with empty_db.engine.connect() as conn:
        rows = (await conn.execute(text("SELECT count(*) FROM rate_budget"))).scalar_one()
    assert rows == 0, "nothing of the budget is kept in PostgreSQL"


async def test_two_instances_share_the_budget_in_redis(
    empty_db: Database, redis: tuple[Redis, str]
) -> None:
    _, prefix = redis
    settings: dict[str, Any] = {
        "rate_limit": 50,
        "rate_limit_window_seconds": 3600,
        "redis_url": REDIS_URL,
        "redis_key_prefix": prefix,
    }
    async with app_client(empty_db, **settings) as one, app_client(empty_db, **settings) as two:
        answers = [(await ask(http)).status_code for http in (one, two, one, two, one, two)]
        # 50 points at 11 a request: four requests, whichever instance answers them.
        assert answers == [200, 200, 200, 200, 429, 429]
        concurrent = await asyncio.gather(*(ask(http) for http in [one, two] * 5))
        assert {a.status_code for a in concurrent} == {429}


async def test_concurrent_requests_cannot_overspend(
    empty_db: Database, redis: tuple[Redis, str]
) -> None:
    _, prefix = redis
    settings: dict[str, Any] = {
        "rate_limit": 110,
        "rate_limit_window_seconds": 3600,
        "redis_url": REDIS_URL,
        "redis_key_prefix": prefix,
    }
    async with app_client(empty_db, **settings) as one, app_client(empty_db, **settings) as two:
        answers = await asyncio.gather(*(ask(http) for http in [one, two] * 15))
    assert sorted(a.status_code for a in answers) == [200] * 10 + [429] * 20


async def test_without_redis_requests_are_admitted_and_the_outage_is_logged(
    empty_db: Database,
) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = {"rate_limit": 25, "redis_url": f"redis://127.0.0.1:{port}/0"}
    with captured("reusegraph.limits") as lines:
        async with app_client(empty_db, **settings) as http:
            answers = [await ask(http) for _ in range(4)]
    assert [a.status_code for a in answers] == [200] * 4, "more than the budget, all admitted"
    assert "budgetLeft" not in answers[0].json()["extensions"]["cost"]
    warnings = [e for e in lines.entries() if "Redis is unreachable" in e["message"]]
    assert len(warnings) == 1, "asked again only after a pause"
