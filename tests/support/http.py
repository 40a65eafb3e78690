"""The real app on a real loopback port (uvicorn), and a small GraphQL client for tests."""

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send

from reusegraph.api.server import http_options
from reusegraph.api.settings import Settings


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@asynccontextmanager
async def serving(
    app: ASGIApp, port: int = 0, settings: Settings | None = None
) -> AsyncIterator[str]:
    """Run ``app`` with uvicorn on 127.0.0.1 (a free port by default); yield its base URL.

    With the HTTP options of ``reusegraph serve`` (its request head limit from ``settings``).
    """
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="on",
        **http_options(settings or Settings()),
        proxy_headers=False,  # the app decides whom to believe (trusted proxies)
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(30):
            while not server.started:
                if task.done():
                    task.result()
                    raise RuntimeError("server stopped during start-up")
                await asyncio.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, timeout=30)


class GraphQLClient:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http
        self.app: Any = None
        """The app under test, where ``running_api`` made it (to read its counters)."""

    async def post(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        response = await self.http.post("/graphql", json={"query": query, "variables": variables})
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def data(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """The result's data; fails the test if there are any errors."""
        body = await self.post(query, variables)
        assert "errors" not in body, body["errors"]
        data: dict[str, Any] = body["data"]
        return data

    async def error(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """The first error; fails the test if there is none."""
        body = await self.post(query, variables)
        assert body.get("errors"), f"expected an error, got {body}"
        first: dict[str, Any] = body["errors"][0]
        return first


@asynccontextmanager
async def graphql_client(base_url: str) -> AsyncIterator[GraphQLClient]:
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        yield GraphQLClient(http)


@asynccontextmanager
async def running_api(database_url: str, **settings: Any) -> AsyncIterator[GraphQLClient]:
    """The whole app (as ``reusegraph serve`` builds it) over a test database."""
    from reusegraph.api.app import create_app

    config = Settings(**settings)
    app = create_app(config, database_url)
    async with serving(app, settings=config) as base_url, graphql_client(base_url) as client:
        client.app = app
        yield client


async def request_body(scope: Scope, receive: Receive, send: Send) -> bytes | None:
    """For a bare ASGI stand-in (a fake remote, a collector): answers the lifespan
    protocol and returns None, or reads an HTTP request's whole body."""
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return None
    body = b""
    while True:
        message = await receive()
        chunk: bytes = message.get("body", b"")
        body += chunk
        if not message.get("more_body"):
            return body
