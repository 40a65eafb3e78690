"""GraphQL over HTTP (the GraphQL-over-HTTP spec), written directly on ``schema.execute``.

Owning the endpoint, rather than subclassing Strawberry's view, keeps the request path in
one place: one database transaction per request, status codes by the spec, orjson, and
the error format (codes, request id, masking) of ``schema.core.errors``.
"""

import logging
import re
import uuid
from collections.abc import Callable
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.types import Receive, Scope, Send
from strawberry.federation import Schema
from strawberry.types.graphql import OperationType

from reusegraph.api.graphiql import render_graphiql
from reusegraph.auth.authenticator import Authenticator, challenge
from reusegraph.auth.errors import AuthError, InvalidToken
from reusegraph.auth.principal import Principal
from reusegraph.schema.context import Context
from reusegraph.schema.core.errors import format_error
from reusegraph.schema.limits.budget import refusal_status
from reusegraph.schema.provenance import stale_sources, tracking
from reusegraph.store.engine import Database

log = logging.getLogger("reusegraph.graphql")

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestError(Exception):
    """The request is not a GraphQL request we can run: answered before execution."""

    def __init__(
        self,
        status: int,
        message: str,
        headers: dict[str, str] | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.headers = headers or {}
        self.code = code


class GraphQLEndpoint:
    def __init__(
        self,
        schema: Schema,
        db: Database,
        authenticator: Authenticator,
        *,
        max_body_bytes: int,
        graphiql: bool,
        on_issuers_changed: Callable[[], None] | None = None,
    ) -> None:
        self.schema = schema
        self.db = db
        self.authenticator = authenticator
        self.max_body_bytes = max_body_bytes
        self.graphiql = graphiql
        self.on_issuers_changed = on_issuers_changed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        response = await self.handle(request)
        await response(scope, receive, send)

    async def handle(self, request: Request) -> Response:
        header = request.headers.get("x-request-id", "")
        request_id = header if _REQUEST_ID.match(header) else uuid.uuid4().hex
        media_type = _response_type(request.headers.get("accept", ""))
        try:
            if request.method == "GET" and _wants_html(request):
                if not self.graphiql:
                    raise RequestError(404, "GraphiQL is switched off on this server.")
                return HTMLResponse(render_graphiql())
            query, variables, operation_name = await self._parse(request)
            viewer = await self._authenticate(request)
        except RequestError as error:
            extensions = {"requestId": request_id}
            if error.code:
                extensions["code"] = error.code
            refusal: dict[str, Any] = {
                "errors": [{"message": str(error), "extensions": extensions}]
            }
            return _response(refusal, error.status, media_type, request_id, error.headers)

        allowed = {OperationType.QUERY} if request.method == "GET" else None
        async with self.db.read(viewer) as reader:
            context = Context(
                reader=reader,
                viewer=viewer,
                request_id=request_id,
                db=self.db,
                on_issuers_changed=self.on_issuers_changed,
                request=request,
            )
            try:
                with tracking() as touched:
                    result = await self.schema.execute(
                        query,
                        variable_values=variables,
                        context_value=context,
                        operation_name=operation_name,
                        allowed_operation_types=allowed,
                    )
                stale = await stale_sources(context, touched)
            finally:
                context.loaders.release()
        body: dict[str, Any] = {}
        if result.errors:
            schema = self.schema._schema
            body["errors"] = [format_error(e, schema, request_id) for e in result.errors]
        body["data"] = result.data
        reported: dict[str, Any] = {**(result.extensions or {})}
        if stale:
            reported["sources"] = stale
        if reported:
            body["extensions"] = reported
        status, headers = 200, dict[str, str]()
        if refused := refusal_status(result.errors):
            status, headers = refused
        elif result.data is None and result.errors:
            if allowed and any("GET" in e.message for e in result.errors):
                status = 405
            elif media_type == GRAPHQL_RESPONSE:
                status = 400
        return _response(body, status, media_type, request_id, headers)

    async def _authenticate(self, request: Request) -> Principal:
        try:
            return await self.authenticator.principal_of(request)
        except InvalidToken as error:
            raise RequestError(
                401, str(error), {"WWW-Authenticate": challenge(error)}, "UNAUTHENTICATED"
            ) from None
        except AuthError as error:
            raise RequestError(
                error.status, str(error), {"Retry-After": "5"}, "SERVICE_UNAVAILABLE"
            ) from None

    async def _parse(self, request: Request) -> tuple[str, dict[str, Any] | None, str | None]:
        if request.method == "GET":
            params: dict[str, Any] = dict(request.query_params)
            if "variables" in params:
                params["variables"] = _json(params["variables"], "variables")
            if "extensions" in params:
                params["extensions"] = _json(params["extensions"], "extensions")
        elif request.method == "POST":
            content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
            if content_type != JSON:
                raise RequestError(
                    415,
                    "POST /graphql needs Content-Type: application/json.",
                    {"Accept-Post": JSON},
                )
            body = await _read_limited(request, self.max_body_bytes)
            params = _json(body, "request body")
            if isinstance(params, list):
                raise RequestError(400, "Batched requests are not supported; send one operation.")
        else:
            raise RequestError(405, "Use GET (queries) or POST.", {"Allow": "GET, POST"})
        if not isinstance(params, dict):
            raise RequestError(400, "The request body must be a JSON object.")
        query = params.get("query")
        if not isinstance(query, str) or not query.strip():
            raise RequestError(400, "`query` must be a non-empty string.")
        variables = params.get("variables")
        if variables is not None and not isinstance(variables, dict):
            raise RequestError(400, "`variables` must be a JSON object.")
        operation_name = params.get("operationName")
        if operation_name is not None and not isinstance(operation_name, str):
            raise RequestError(400, "`operationName` must be a string.")
        return query, variables, operation_name


def _json(raw: str | bytes, what: str) -> Any:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise RequestError(400, f"The {what} is not valid JSON.") from None


async def _read_limited(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise RequestError(413, f"The request body is larger than {limit} bytes.")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise RequestError(413, f"The request body is larger than {limit} bytes.")
        chunks.append(chunk)
    return b"".join(chunks)


def _wants_html(request: Request) -> bool:
    return "query" not in request.query_params and "text/html" in request.headers.get("accept", "")


def _response_type(accept: str) -> str:
    """The spec's media type when the client asks for it; plain JSON otherwise."""
    return GRAPHQL_RESPONSE if GRAPHQL_RESPONSE in accept else JSON


def _response(
    body: dict[str, Any],
    status: int,
    media_type: str,
    request_id: str,
    headers: dict[str, str] | None = None,
) -> Response:
    all_headers = {"X-Request-ID": request_id, **(headers or {})}
    return Response(
        orjson.dumps(body),
        status_code=status,
        media_type=f"{media_type}; charset=utf-8",
        headers=all_headers,
    )
