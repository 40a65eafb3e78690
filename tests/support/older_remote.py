"""A reusegraph of an earlier version, on loopback: today's schema less the fields it
did not have yet, in front of a real remote.

A query is validated against that older schema by graphql-core, as the older server
would: one that asks for a missing field is refused with graphql-core's own errors,
any other is forwarded to the real remote. ``older`` switches it (an upgrade, a
rollback) between runs.
"""

from dataclasses import dataclass, field
from functools import cache

import graphql
import httpx
import orjson
from starlette.types import Receive, Scope, Send

from reusegraph.schema import build_schema
from tests.support.http import request_body

MISSING = (("FeedProcess", "umbrellaIds"),)
"""(type, field) pairs that came after the older version."""


@cache
def older_schema() -> graphql.GraphQLSchema:
    schema = graphql.build_schema(build_schema().as_str(), assume_valid_sdl=True)
    for type_name, name in MISSING:
        kind = schema.get_type(type_name)
        assert isinstance(kind, graphql.GraphQLObjectType)
        del kind.fields[name]
    return schema


@dataclass
class OlderRemote:
    target: str
    older: bool = True
    queries: list[str] = field(default_factory=list)
    """Every query asked, in order."""
    refused: int = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = await request_body(scope, receive, send)
        if body is None:
            return
        request = orjson.loads(body)
        self.queries.append(request["query"])
        if self.older:
            errors = graphql.validate(older_schema(), graphql.parse(request["query"]))
            if errors:
                self.refused += 1
                answer = {"errors": [error.formatted for error in errors]}
                await _send(send, 200, orjson.dumps(answer))
                return
        headers = {k.decode(): v.decode() for k, v in scope["headers"]}
        forwarded = {"content-type": "application/json"}
        if "authorization" in headers:
            forwarded["authorization"] = headers["authorization"]
        async with httpx.AsyncClient(timeout=30) as client:
            response = await client.post(self.target, content=body, headers=forwarded)
        await _send(send, response.status_code, response.content)


async def _send(send: Send, status: int, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": body})
