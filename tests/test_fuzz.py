"""The public tools, in CI: schemathesis fuzzes every query and mutation, and nothing is a 500.

Schemathesis reads a plain SDL, not the federation subgraph's (it cannot read
``@link``/``@key``), so ``plain_sdl`` prints the schema without federation's directives,
types and fields. Each root field gets ``EXAMPLES`` generated operations (arguments and
selections from the schema, by hypothesis-graphql), sent with a member's token to the
whole app on loopback, over the demo data. A server error is a 5xx or an error coded
``INTERNAL_SERVER_ERROR``; refusals (``BAD_USER_INPUT``, ``FORBIDDEN`` for a member's
writes) are fine.
"""

import asyncio
import os
import threading
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
import requests
import schemathesis
import uvicorn
from graphql import (
    DirectiveDefinitionNode,
    DocumentNode,
    ObjectTypeDefinitionNode,
    parse,
    print_ast,
    print_schema,
)
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from schemathesis.graphql import nodes
from sqlalchemy.engine import URL

from reusegraph.api.app import create_app
from reusegraph.api.server import http_options
from reusegraph.api.settings import Settings
from reusegraph.schema import build_schema
from reusegraph.store.engine import Database
from tests.support.issuer import LocalIssuer
from tests.support.postgres import cloned_database, url_of
from tests.support.tenants import issuer_entry

pytest_plugins = ("tests.support.identity_fixtures",)

EXAMPLES = int(os.environ.get("REUSEGRAPH_FUZZ_EXAMPLES", "6"))
FEDERATION_TYPES = frozenset({"_Service", "_Entity", "_Any", "FieldSet", "link__Import"})
FEDERATION_FIELDS = frozenset({"_service", "_entities"})


def plain_sdl() -> str:
    """The schema as plain SDL: no federation directives, types or fields."""
    document = parse(print_schema(build_schema()._schema))
    definitions = []
    for definition in document.definitions:
        if isinstance(definition, DirectiveDefinitionNode):
            continue
        name = getattr(getattr(definition, "name", None), "value", "")
        if name in FEDERATION_TYPES or name.startswith("link__"):
            continue
        if isinstance(definition, ObjectTypeDefinitionNode) and name == "Query":
            fields = [f for f in definition.fields or () if f.name.value not in FEDERATION_FIELDS]
            definition = ObjectTypeDefinitionNode(
                name=definition.name,
                fields=tuple(fields),
                interfaces=definition.interfaces,
                directives=(),
                description=definition.description,
            )
        definitions.append(definition)
    return print_ast(DocumentNode(definitions=tuple(definitions)))


def _text(valid: st.SearchStrategy[str]) -> st.SearchStrategy[Any]:
    """Mostly well-formed values, sometimes any text (NUL characters included)."""
    return st.one_of(valid, valid, st.text(max_size=30)).map(nodes.String)


schemathesis.graphql.scalar("Month", _text(st.from_regex(r"\A\d{4}-(0[1-9]|1[0-2])\Z")))
schemathesis.graphql.scalar("Date", _text(st.dates().map(date.isoformat)))
schemathesis.graphql.scalar(
    "DateTime", _text(st.datetimes(timezones=st.just(UTC)).map(datetime.isoformat))
)
schemathesis.graphql.scalar(
    "JSON", st.one_of(st.text(max_size=30).map(nodes.String), st.integers().map(nodes.Int))
)
SCHEMA = schemathesis.graphql.from_file(plain_sdl())


class ThreadedServer:
    """The app under uvicorn in a thread of its own: schemathesis calls it synchronously."""

    def __init__(self, settings: Settings, database_url: str) -> None:
        self.settings = settings
        self.database_url = database_url
        self.server: uvicorn.Server | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.ready = threading.Event()

    def _run(self) -> None:
        app = create_app(self.settings, self.database_url)
        config = uvicorn.Config(
            app, host="127.0.0.1", port=0, log_level="warning", **http_options(self.settings)
        )
        self.server = uvicorn.Server(config)
        asyncio.run(self._serve())

    async def _serve(self) -> None:
        assert self.server is not None
        task = asyncio.create_task(self.server.serve())
        while not self.server.started:
            if task.done():
                break  # __enter__ sees that it did not start
            await asyncio.sleep(0.01)
        self.ready.set()
        await task

    @property
    def url(self) -> str:
        assert self.server is not None
        port = self.server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/graphql"

    def __enter__(self) -> "ThreadedServer":
        self.thread.start()
        if not self.ready.wait(30) or self.server is None or not self.server.started:
            raise RuntimeError("the app did not start")
        return self

    def __exit__(self, *_: object) -> None:
        assert self.server is not None
        self.server.should_exit = True
        self.thread.join(30)


@pytest.fixture(scope="module")
async def fuzz_db(pg_server: URL, demo_template: str) -> AsyncIterator[Database]:
    """The demo data, in a database of this module's own (the fuzz run may write)."""
    async with cloned_database(pg_server, demo_template) as db:
        yield db


@pytest.fixture(scope="module")
def member() -> Iterator[LocalIssuer]:
    with LocalIssuer() as issuer:
        yield issuer


@pytest.fixture(scope="module")
def target(fuzz_db: Database, member: LocalIssuer) -> Iterator[tuple[str, requests.Session]]:
    settings = Settings(issuers=issuer_entry(member), sync_check_seconds=0)
    token = member.token("fuzzer", municipality="NO-5001", roles=["member"], exp_in=3600)
    with ThreadedServer(settings, url_of(fuzz_db)) as server, requests.Session() as session:
        session.headers["Authorization"] = f"Bearer {token}"
        yield server.url, session


@SCHEMA.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    phases=[Phase.generate],
    suppress_health_check=list(HealthCheck),
    database=None,
)
def test_no_generated_operation_is_a_server_error(
    case: Any, target: tuple[str, requests.Session]
) -> None:
    url, session = target
    response = case.call(base_url=url, session=session, timeout=30)
    assert response.status_code < 500, (case.body, response.text)
    body = response.json()
    codes = [e.get("extensions", {}).get("code") for e in body.get("errors") or ()]
    assert "INTERNAL_SERVER_ERROR" not in codes, (case.body, body)
