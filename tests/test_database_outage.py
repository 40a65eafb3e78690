"""When PostgreSQL goes away: clear errors, /readyz fails, and the server recovers alone."""

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from reusegraph.api.app import create_app
from reusegraph.api.settings import Settings
from reusegraph.store.databases import create_database
from reusegraph.store.embedded import EmbeddedPostgres
from reusegraph.store.engine import Database
from reusegraph.store.schema_version import upgrade
from reusegraph.store.urls import with_database
from tests.support.http import graphql_client, serving


@pytest.fixture
async def own_server(server_dir: Path) -> AsyncIterator[tuple[EmbeddedPostgres, str]]:
    """A PostgreSQL of this test's own, so that it can be stopped and started."""
    embedded = EmbeddedPostgres(server_dir / "pgdata")
    server = embedded.start()
    await create_database(str(server), "outage")
    url = with_database(server, "outage").render_as_string(hide_password=False)
    db = Database(url, pool_size=1)
    await upgrade(db.engine)
    await db.dispose()
    yield embedded, url
    embedded.stop()


def _pg_ctl(embedded: EmbeddedPostgres, action: str) -> None:
    from pgserver._commands import pg_ctl  # type: ignore[attr-defined]

    server = embedded._server
    assert server is not None
    if action == "stop":
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=server.pgdata, user=server.system_user)  # type: ignore[attr-defined]
    else:
        server.ensure_postgres_running()  # type: ignore[attr-defined]


async def test_queries_fail_clearly_while_the_database_is_down_and_recover(
    own_server: tuple[EmbeddedPostgres, str],
) -> None:
    embedded, url = own_server
    app = create_app(Settings(), url)
    async with serving(app) as base_url, graphql_client(base_url) as client:
        assert await client.data("{ municipalities { totalCount } }") == {
            "municipalities": {"totalCount": 0}
        }

        await asyncio.to_thread(_pg_ctl, embedded, "stop")
        error = await client.error("{ municipalities { totalCount } }")
        assert error["extensions"]["code"] == "SERVICE_UNAVAILABLE"
        assert "database is unavailable" in error["message"]
        assert (await client.http.get("/readyz")).status_code == 503
        assert (await client.http.get("/healthz")).status_code == 200

        await asyncio.to_thread(_pg_ctl, embedded, "start")
        assert await client.data("{ municipalities { totalCount } }") == {
            "municipalities": {"totalCount": 0}
        }
        assert (await client.http.get("/readyz")).status_code == 200
